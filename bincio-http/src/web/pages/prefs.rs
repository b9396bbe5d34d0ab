//! `POST /theme` and `POST /lang`: the header's theme toggle and the
//! footer's language menu. Both only set a cookie (so they work for
//! visitors too, and the server renders the choice without a flash) and go
//! back to the page they were posted from.

use axum::response::Response;

use crate::web::cookies;
use crate::web::ctx::{safe_next, Ctx, Theme};
use crate::web::form::PageForm;
use crate::web::i18n::Lang;
use crate::web::render::see_other;

/// The `Set-Cookie` for a theme choice (`system` deletes the cookie).
pub(crate) fn theme_cookie(theme: Theme, secure: bool) -> String {
    match theme.attr() {
        Some(v) => cookies::set(cookies::THEME, v, Some(cookies::YEAR), false, secure),
        None => cookies::clear(cookies::THEME, secure),
    }
}

/// The `Set-Cookie` for a language choice (`auto` deletes the cookie).
pub(crate) fn lang_cookie(value: &str, secure: bool) -> String {
    match Lang::from_code(value) {
        Some(l) => cookies::set(cookies::LANG, l.code(), Some(cookies::YEAR), false, secure),
        None => cookies::clear(cookies::LANG, secure),
    }
}

/// `POST /theme` (`theme` = `light` / `dark` / `system`, `back`).
pub(crate) async fn theme(c: Ctx, f: PageForm) -> Response {
    let cookie = theme_cookie(Theme::parse(Some(f.get("theme"))), c.secure());
    see_other(&c, &safe_next(Some(f.get("back"))), vec![cookie])
}

/// `POST /lang` (`lang` = a language code or `auto`, `back`).
pub(crate) async fn lang(c: Ctx, f: PageForm) -> Response {
    let cookie = lang_cookie(f.get("lang"), c.secure());
    see_other(&c, &safe_next(Some(f.get("back"))), vec![cookie])
}
