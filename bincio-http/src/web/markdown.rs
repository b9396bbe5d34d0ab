//! Activity descriptions: Markdown written by members, shown to everyone
//! who may see the activity — so it is rendered *safely*, on the server.
//!
//! Invariants of [`to_html`]:
//! * raw HTML in the source is never passed through: it is shown as text
//!   (escaped), so no tag or attribute a member writes reaches the page;
//! * links keep only `http:`, `https:`, `mailto:` and local (`/…`, `#…`)
//!   targets and get `rel="nofollow noopener noreferrer ugc"`; any other
//!   scheme (`javascript:`, `data:` …) becomes plain text;
//! * images become links to the image (the page's CSP would refuse
//!   third-party images anyway, and a description must not make readers'
//!   browsers fetch from elsewhere);
//! * input is bounded by the core (20 000 characters), so the work is too.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Whether a link target may be kept.
fn safe_url(url: &str) -> bool {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
    {
        return true;
    }
    // Local: `/path` (not `//host`), `#anchor`, or a relative path without a scheme.
    (u.starts_with('/') && !u.starts_with("//"))
        || u.starts_with('#')
        || (!u.is_empty() && !u.contains(':') && !u.starts_with('\\'))
}

/// Sanitised HTML of a Markdown description.
pub(crate) fn to_html(src: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TABLES);
    let mut depth_dropped: Vec<bool> = Vec::new();
    let events = Parser::new_ext(src, opts).filter_map(|ev| match ev {
        Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            // E-mail autolinks (`<a@b.c>`) carry the bare address; the
            // writer adds `mailto:` itself.
            let ok = link_type == LinkType::Email || safe_url(&dest_url);
            depth_dropped.push(!ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            if depth_dropped.pop().unwrap_or(true) {
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        Event::Start(Tag::Image {
            dest_url, title, ..
        }) => {
            let ok = safe_url(&dest_url);
            depth_dropped.push(!ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url,
                title,
                id: CowStr::Borrowed(""),
            }))
        }
        Event::End(TagEnd::Image) => {
            if depth_dropped.pop().unwrap_or(true) {
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(src.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, events);
    out.replace(
        "<a href=",
        "<a rel=\"nofollow noopener noreferrer ugc\" href=",
    )
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn formats_and_escapes() {
        let h = to_html("**Windy** day\n\n- one\n- two");
        assert!(
            h.contains("<strong>Windy</strong>") && h.contains("<li>two</li>"),
            "{h}"
        );
        let h = to_html("<script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!h.contains("<script") && !h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn links_are_filtered() {
        let h =
            to_html("[ok](https://example.org) [bad](javascript:alert(1)) [d](data:text/html,x)");
        assert!(h.contains("href=\"https://example.org\""), "{h}");
        assert!(
            h.contains("rel=\"nofollow noopener noreferrer ugc\""),
            "{h}"
        );
        assert!(!h.contains("href=\"javascript"), "{h}");
        assert!(!h.contains("href=\"data:"), "{h}");
        assert!(h.contains("bad"), "{h}");
        let h = to_html("![pic](https://example.org/p.jpg)");
        assert!(
            !h.contains("<img") && h.contains("href=\"https://example.org/p.jpg\""),
            "{h}"
        );
        let h = to_html("<https://example.org/x>");
        assert!(h.contains("href=\"https://example.org/x\""), "{h}");
    }
}
