//! The context of one page request: who is looking, in which language and
//! theme, the instance's settings, the form token, and a pending flash
//! message. Built once per request by the [`Ctx`] extractor; every template
//! gets it as `c`.
//!
//! The private-instance rule is applied here, so no page can forget it: on
//! a private instance an anonymous visitor is sent to `/login/?next=…`
//! from every page but the open ones ([`is_open_path`]). [`Member`] and
//! [`Admin`] narrow a page further (log-in redirect; 403 page).

use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT_LANGUAGE, HOST};
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::Response;
use bincio_core::accounts::InstanceSettings;
use bincio_core::model::User;

use super::cookies;
use super::csrf;
use super::flash::{FlashView, Notice};
use super::i18n::{Lang, Strings, LANGS};
use super::render::{see_other, PageError};
use crate::AppState;

/// The theme the reader chose (a cookie); `System` follows the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    /// From the cookie value.
    pub(crate) fn parse(v: Option<&str>) -> Self {
        match v {
            Some("light") => Self::Light,
            Some("dark") => Self::Dark,
            _ => Self::System,
        }
    }

    /// The `data-theme` attribute of `<html>` (none = follow the device).
    pub(crate) fn attr(self) -> Option<&'static str> {
        match self {
            Self::System => None,
            Self::Light => Some("light"),
            Self::Dark => Some("dark"),
        }
    }

    /// The value of the settings form's select.
    pub(crate) fn value(self) -> &'static str {
        self.attr().unwrap_or("system")
    }
}

/// Paths any visitor may open on a private instance: the ways in, and
/// the things those pages need.
pub(crate) fn is_open_path(path: &str) -> bool {
    const OPEN: &[&str] = &[
        "/login/",
        "/login",
        "/logout",
        "/register/",
        "/register",
        "/reset-password/",
        "/reset-password",
        "/setup/",
        "/setup",
        "/theme",
        "/lang",
        // A booth's link carries its deliverer token, the page's credential.
        "/event/booth/",
        "/event/booth",
    ];
    OPEN.contains(&path) || path.starts_with("/assets/")
}

/// A local path to go to after logging in: must start with one `/` (no
/// `//host`, no backslash tricks, no scheme); anything else is `/`.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 2048 =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Everything a page template needs about the request (see the module doc).
#[derive(Clone)]
pub(crate) struct Ctx {
    /// The application.
    pub st: AppState,
    /// The logged-in account, if any.
    pub user: Option<User>,
    /// The clear session token of `user` (to keep it on a password change).
    pub session: Option<String>,
    /// The page language and its strings.
    pub lang: Lang,
    pub t: &'static Strings,
    /// The language chosen by cookie (`None` = from `Accept-Language`).
    pub lang_choice: Option<Lang>,
    pub theme: Theme,
    /// The form token every form of this page carries.
    pub csrf: String,
    pub settings: InstanceSettings,
    /// Path and query of this request (for `next=` and `back=`).
    pub path: String,
    /// `scheme://host` of this instance, for links people copy.
    pub base_url: String,
    /// The flash message to show (its cookie is cleared by this response).
    pub flash: Option<FlashView>,
    /// `Set-Cookie` of a newly minted `bincio_csrf` (every response of
    /// this request carries it, redirects included).
    pub csrf_cookie: Option<String>,
    /// `Set-Cookie` deleting the flash (only a rendered page carries it:
    /// a redirect passes the message on to the page it leads to).
    pub flash_clear: Option<String>,
}

impl Ctx {
    /// Build the context. With `gate`, an anonymous visitor of a private
    /// instance is redirected to log in (the `Err` response) unless the
    /// path is open. A store failure is the 500 page.
    pub(crate) async fn build(
        parts: &mut Parts,
        st: &AppState,
        gate: bool,
    ) -> Result<Self, Response> {
        let secure = st.config().secure_cookies;
        let headers = &parts.headers;
        let lang_choice = cookies::get(headers, cookies::LANG).and_then(Lang::from_code);
        let lang = lang_choice.unwrap_or_else(|| {
            Lang::negotiate(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        });
        let theme = Theme::parse(cookies::get(headers, cookies::THEME));
        let mut csrf_cookie = None;
        let anon = match cookies::get(headers, cookies::CSRF).filter(|v| csrf::is_anon_value(v)) {
            Some(v) => v.to_owned(),
            None => {
                let v = csrf::new_anon();
                csrf_cookie = Some(cookies::set(cookies::CSRF, &v, None, true, secure));
                v
            }
        };
        let flash = cookies::get(headers, cookies::FLASH).map(Notice::decode);
        let flash_clear = flash
            .is_some()
            .then(|| cookies::clear(cookies::FLASH, secure));
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
        let base_url = base_url(st, parts);
        let fail = |e: bincio_core::CoreError| {
            let c = Self::fallback(st, lang, theme, &path, &base_url);
            PageError::from(e).render(Some(&c))
        };
        let token = crate::auth::cookie_token(&parts.headers);
        let user = match &token {
            Some(t) => st.accounts().authenticate(t).await.map_err(fail)?,
            None => None,
        };
        let session = user.as_ref().and(token);
        let settings = st.accounts().settings().await.map_err(fail)?;
        let t = lang.strings();
        let c = Self {
            st: st.clone(),
            csrf: csrf::token(session.as_deref(), &anon),
            user,
            session,
            lang,
            t,
            lang_choice,
            theme,
            settings,
            flash: flash.flatten().map(|n| n.view(t)),
            path,
            base_url,
            csrf_cookie,
            flash_clear,
        };
        if gate && c.user.is_none() && c.settings.private && !is_open_path(parts.uri.path()) {
            return Err(c.to_login());
        }
        parts.extensions.insert(c.clone());
        Ok(c)
    }

    /// A context without the store, for the 500 page of a failed build.
    fn fallback(st: &AppState, lang: Lang, theme: Theme, path: &str, base_url: &str) -> Self {
        Self {
            st: st.clone(),
            user: None,
            session: None,
            lang,
            t: lang.strings(),
            lang_choice: None,
            theme,
            csrf: String::new(),
            settings: InstanceSettings {
                max_users: None,
                store_originals: true,
                private: true,
                instance_name: "bincio".into(),
            },
            path: path.to_owned(),
            base_url: base_url.to_owned(),
            flash: None,
            csrf_cookie: None,
            flash_clear: None,
        }
    }

    /// Redirect to the log-in page, coming back here afterwards (a page
    /// `GET`; a form post comes back to the start).
    pub(crate) fn to_login(&self) -> Response {
        let next = if self.path.starts_with("/login") {
            "/".to_owned()
        } else {
            self.path.clone()
        };
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &next)
            .finish();
        see_other(self, &format!("/login/?{q}"), Vec::new())
    }

    /// A query parameter of this request (first occurrence).
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        let q = self.path.split_once('?')?.1;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The error page for `e`.
    pub(crate) fn fail(&self, e: impl Into<PageError>) -> Response {
        e.into().render(Some(self))
    }

    /// Redirect-after-post to `location`, showing `notice` there.
    pub(crate) fn done(&self, location: &str, notice: Notice) -> Response {
        see_other(self, location, vec![notice.cookie(self.secure())])
    }

    /// To the log-in page with the session cookie deleted (log-out, a
    /// deleted account), showing `notice` there.
    pub(crate) fn signed_out(&self, notice: Notice) -> Response {
        let cookies = vec![
            cookies::session("", 0, self.secure()),
            notice.cookie(self.secure()),
        ];
        see_other(self, "/login/", cookies)
    }

    /// Whether cookies set by this instance get `Secure`.
    pub(crate) fn secure(&self) -> bool {
        self.st.config().secure_cookies
    }

    /// The instance's name as pages show it.
    pub(crate) fn instance_name(&self) -> &str {
        let n = self.settings.instance_name.trim();
        if n.is_empty() {
            "bincio"
        } else {
            n
        }
    }

    /// The versioned URL of a vendored asset.
    pub(crate) fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }

    /// The languages of the footer menu.
    pub(crate) fn langs(&self) -> &'static [Lang] {
        LANGS
    }

    /// Whether `lang` is the one chosen by cookie.
    pub(crate) fn lang_chosen(&self, lang: &Lang) -> bool {
        self.lang_choice == Some(*lang)
    }

    /// The logged-in handle, or "".
    pub(crate) fn handle(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.handle.as_str())
    }

    /// Whether the viewer is an admin.
    pub(crate) fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(User::is_admin)
    }

    /// Whether the current path is `prefix` or below it (navigation state).
    pub(crate) fn at(&self, prefix: &str) -> bool {
        let p = self.path.split('?').next().unwrap_or("");
        if prefix == "/" {
            p == "/"
        } else {
            p.starts_with(prefix)
        }
    }

    /// The viewer's units (metric for visitors; one store read for members).
    pub(crate) async fn units(&self) -> super::units::Units {
        match &self.user {
            Some(u) => self
                .st
                .accounts()
                .prefs(u)
                .await
                .map(|p| super::units::Units::from_prefs(&p))
                .unwrap_or(super::units::Units::Metric),
            None => super::units::Units::Metric,
        }
    }

    /// Whether the reader may open the event staff console (staff or
    /// admin, and the instance serves an event).
    pub(crate) fn event_console(&self) -> bool {
        self.st.event().is_some() && self.user.as_ref().is_some_and(User::is_staff)
    }

    /// Whether the reader is on one of their own `/u/{handle}/…` pages.
    pub(crate) fn at_member_pages(&self) -> bool {
        !self.handle().is_empty() && self.at(&format!("/u/{}/", self.handle()))
    }

    /// The name of a role in the reader's language.
    pub(crate) fn role_name(&self, role: bincio_core::model::Role) -> &'static str {
        use bincio_core::model::Role;
        match role {
            Role::User => self.t.role_user,
            Role::Staff => self.t.role_staff,
            Role::Admin => self.t.role_admin,
        }
    }
}

/// `scheme://host` for links: the configured public URL, else the request's
/// `Host` over plain HTTP (HTTPS when cookies are `Secure`).
fn base_url(st: &AppState, parts: &Parts) -> String {
    if let Some(u) = st
        .config()
        .public_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        return u.trim().trim_end_matches('/').to_owned();
    }
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'"')
        })
        .unwrap_or("localhost");
    let scheme = if st.config().secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        Self::build(parts, st, true).await
    }
}

/// A page for members: an anonymous visitor is sent to log in.
pub(crate) struct Member(pub Ctx, pub User);

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let c = Ctx::build(parts, st, true).await?;
        match c.user.clone() {
            Some(u) => Ok(Self(c, u)),
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                Err(c.to_login())
            }
            None => Err(see_other(&c, "/login/", Vec::new())),
        }
    }
}

/// A page for admins: anonymous → log in; a member → the 403 page.
pub(crate) struct Admin(pub Ctx, pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Member(c, u) = Member::from_request_parts(parts, st).await?;
        if u.is_admin() {
            Ok(Self(c, u))
        } else {
            Err(PageError::Forbidden.render(Some(&c)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/admin/?page=2")), "/admin/?page=2");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "admin",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn open_paths() {
        assert!(is_open_path("/login/") && is_open_path("/assets/abc/app.css"));
        assert!(!is_open_path("/") && !is_open_path("/settings/") && !is_open_path("/admin/"));
    }
}
