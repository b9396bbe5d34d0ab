//! Bounds of a posted announcement (`POST /announcement`, `bincio event
//! announce`), checked by [`super::EventService::announce`] before anything
//! is stored.
//!
//! CS stored whatever was posted: an empty body, megabytes of text, any
//! string as a link, 100 000 roles. Every client downloads the whole list
//! on each refresh, so one bad post costs every attendee; the rules below
//! keep what CS's clients can show and refuse the rest with CS's error shape
//! (400 `{"message": …}`):
//!
//! * at least one of `msg_zh` / `msg_en` has visible text;
//! * each text is at most [`MAX_TEXT_CHARS`] characters;
//! * `uri` is absent, empty (what the apps show as "no link"), or an
//!   `http://` / `https://` URL with a host, at most [`MAX_URI_CHARS`]
//!   characters, without whitespace or control characters;
//! * every `role[]` entry names a configured role, at most once (so there
//!   are never more entries than roles). An empty list stays allowed, as in
//!   CS (the announcement is visible to nobody).

use super::config::EventConfig;
use super::service::NewAnnouncement;
use crate::error::{CoreError, CoreResult};

/// Most characters in `msg_zh` or `msg_en`.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Most characters in `uri`.
pub const MAX_URI_CHARS: usize = 2_048;

/// Refusal when neither text has visible content (CS style: short, lower
/// case).
pub const TEXT_REQUIRED: &str = "msg_zh or msg_en required";

/// Refuse an announcement outside the bounds above.
pub fn check(n: &NewAnnouncement, config: &EventConfig) -> CoreResult<()> {
    let has_text = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.trim().is_empty());
    if !has_text(&n.msg_zh) && !has_text(&n.msg_en) {
        return Err(CoreError::invalid(TEXT_REQUIRED));
    }
    for (field, text) in [("msg_zh", &n.msg_zh), ("msg_en", &n.msg_en)] {
        if text
            .as_deref()
            .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(CoreError::invalid(format!(
                "{field} too long (max {MAX_TEXT_CHARS} characters)"
            )));
        }
    }
    if let Some(uri) = n.uri.as_deref().filter(|u| !u.is_empty()) {
        if !is_http_url(uri) {
            return Err(CoreError::invalid(format!(
                "uri must be an http(s) URL of at most {MAX_URI_CHARS} characters"
            )));
        }
    }
    for (i, role) in n.role.iter().enumerate() {
        if config.role(role).is_none() {
            return Err(CoreError::invalid(format!("unknown role: {role}")));
        }
        if n.role[..i].contains(role) {
            return Err(CoreError::invalid(format!("role listed twice: {role}")));
        }
    }
    Ok(())
}

/// `http(s)://host…`, bounded, no whitespace or control characters.
fn is_http_url(uri: &str) -> bool {
    if uri.chars().count() > MAX_URI_CHARS
        || uri.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let lower = uri.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    !host.is_empty() && !host.starts_with(':')
}

#[cfg(test)]
mod tests {
    use super::is_http_url;

    #[test]
    fn http_urls() {
        for ok in [
            "https://ex.org",
            "HTTP://ex.org/a?b#c",
            "https://[::1]:8443/x",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "ftp://ex.org",
            "https://",
            "https:///path",
            "https://:80/",
            "https://ex.org/a b",
            "//ex.org",
            "https://ex.org/\u{7}",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
        assert!(!is_http_url(&format!(
            "https://ex.org/{}",
            "a".repeat(2048)
        )));
    }
}
