//! The cookies of the web pages: reading one by name and writing
//! `Set-Cookie` values with the attributes every page cookie shares
//! (`Path=/`, `SameSite=Lax`, `Secure` behind HTTPS).
//!
//! | cookie | holds | why |
//! |---|---|---|
//! | `bincio_session` | the session token (HttpOnly) | the same cookie as the JSON API's log-in |
//! | `bincio_csrf` | a random value (HttpOnly) | the anonymous half of the form token ([`super::csrf`]) |
//! | `bincio_flash` | one [`super::flash::Notice`] (HttpOnly) | the message a redirect-after-post shows once |
//! | `bincio_theme` | `light` / `dark` | so the server renders the chosen theme (no flash of the wrong one) |
//! | `bincio_lang` | `en` / `it` | a language chosen over `Accept-Language` |

use crate::auth::SESSION_COOKIE;

/// Name of the anonymous CSRF cookie.
pub(crate) const CSRF: &str = "bincio_csrf";
/// Name of the flash-message cookie.
pub(crate) const FLASH: &str = "bincio_flash";
/// Name of the theme cookie.
pub(crate) const THEME: &str = "bincio_theme";
/// Name of the language cookie.
pub(crate) const LANG: &str = "bincio_lang";

/// A year, for remembered choices (theme, language).
pub(crate) const YEAR: i64 = 365 * 86_400;

pub(crate) use crate::auth::cookie as get;

/// A `Set-Cookie` value. `max_age: None` = a browser-session cookie;
/// `Some(0)` deletes it. `value` must already be cookie-safe (callers pass
/// hex, fixed words or percent-encoded text).
pub(crate) fn set(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    http_only: bool,
    secure: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The session cookie as the JSON API's log-in sets it (`max_age` 0 ends it).
pub(crate) fn session(token: &str, max_age: i64, secure: bool) -> String {
    set(SESSION_COOKIE, token, Some(max_age), true, secure)
}

/// Deletes cookie `name`.
pub(crate) fn clear(name: &str, secure: bool) -> String {
    set(name, "", Some(0), true, secure)
}
