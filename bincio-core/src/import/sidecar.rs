//! BincioActivity sidecar edits `edits/{id}.md`: a YAML front matter block
//! between `---` lines, then the markdown description.
//!
//! The writer of the original only ever emits `title`, `sport`, `gear`
//! (JSON strings or plain), `highlight: true`, `private: true` and
//! `hide_stats: [a, b]`; this reader accepts exactly those keys (others are
//! ignored) instead of pulling in a YAML parser.

use crate::model::{ActivityEdits, Privacy};

fn scalar(v: &str) -> String {
    let v = v.trim();
    if v.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(v) {
            return s;
        }
    }
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return v[1..v.len() - 1].replace("''", "'");
    }
    v.to_owned()
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "on"
    )
}

/// Parse a sidecar into edits.
pub fn parse(text: &str) -> ActivityEdits {
    let mut e = ActivityEdits::default();
    let (front, body) = match text.strip_prefix("---") {
        Some(rest) => match rest.find("\n---") {
            Some(end) => {
                let after = &rest[end + 4..];
                let after = after.split_once('\n').map(|x| x.1).unwrap_or("");
                (&rest[..end], after)
            }
            None => ("", text),
        },
        None => ("", text),
    };
    for line in front.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k.trim() {
            "title" => e.title = Some(scalar(v)).filter(|s| !s.is_empty()),
            "sport" => e.sport = Some(scalar(v)).filter(|s| !s.is_empty()),
            "gear" => e.gear = Some(scalar(v)).filter(|s| !s.is_empty()),
            "highlight" if truthy(v) => e.highlight = Some(true),
            "private" if truthy(v) => e.privacy = Some(Privacy::Unlisted),
            "description" => e.description = Some(scalar(v)).filter(|s| !s.is_empty()),
            "hide_stats" => {
                let list: Vec<String> = v
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(scalar)
                    .filter(|s| !s.is_empty())
                    .collect();
                if !list.is_empty() {
                    e.hide_stats = Some(list);
                }
            }
            _ => {}
        }
    }
    let body = body.trim();
    if !body.is_empty() {
        e.description = Some(body.to_owned());
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_sidecar() {
        let e = parse(
            "---\ntitle: \"Col du \\\"Galibier\\\"\"\nsport: cycling\ngear: \"Canyon\"\nhighlight: true\nprivate: true\nhide_stats: [heart_rate, power]\n---\n\nHot day.\n",
        );
        assert_eq!(e.title.as_deref(), Some("Col du \"Galibier\""));
        assert_eq!(e.sport.as_deref(), Some("cycling"));
        assert_eq!(e.gear.as_deref(), Some("Canyon"));
        assert_eq!(e.highlight, Some(true));
        assert_eq!(e.privacy, Some(Privacy::Unlisted));
        assert_eq!(
            e.hide_stats,
            Some(vec!["heart_rate".to_owned(), "power".to_owned()])
        );
        assert_eq!(e.description.as_deref(), Some("Hot day."));
    }

    #[test]
    fn body_only_and_front_only() {
        assert_eq!(
            parse("Just words").description.as_deref(),
            Some("Just words")
        );
        let e = parse("---\ntitle: Plain title\n---\n");
        assert_eq!(e.title.as_deref(), Some("Plain title"));
        assert!(e.description.is_none());
    }
}
