//! The page handlers, one file per group of pages. Each handler parses
//! input, calls the core services (never the JSON API) and renders a
//! template; a form post ends in a redirect (303) on success, or the same
//! page with the errors next to their fields.

pub(crate) mod account;
pub(crate) mod activity;
pub(crate) mod admin;
pub(crate) mod athlete;
pub(crate) mod cards;
pub(crate) mod community;
pub(crate) mod drop_card;
pub(crate) mod event;
pub(crate) mod feed;
pub(crate) mod home;
pub(crate) mod invites;
pub(crate) mod join;
pub(crate) mod prefs;
pub(crate) mod session;
pub(crate) mod settings_strava;
pub(crate) mod stats;
pub(crate) mod upload;

use bincio_core::CoreError;

use super::ctx::Ctx;

/// One input of a form, with its value and its error in words.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The form field name.
    pub name: &'static str,
    /// The element id (unique on the page).
    pub id: String,
    pub label: &'static str,
    /// `text`, `password`, `number`.
    pub kind: &'static str,
    /// The value to show again (never for passwords).
    pub value: String,
    pub autocomplete: &'static str,
    pub required: bool,
    pub autofocus: bool,
    pub minlength: Option<usize>,
    pub maxlength: Option<usize>,
    pub hint: Option<String>,
    pub error: Option<String>,
}

impl Field {
    /// A text input.
    pub(crate) fn text(name: &'static str, label: &'static str, value: &str) -> Self {
        Self {
            name,
            id: format!("f-{name}"),
            label,
            kind: "text",
            value: value.to_owned(),
            autocomplete: "off",
            required: false,
            autofocus: false,
            minlength: None,
            maxlength: None,
            hint: None,
            error: None,
        }
    }

    /// A password input (its value is never sent back to the browser).
    pub(crate) fn password(
        name: &'static str,
        label: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            kind: "password",
            autocomplete,
            required: true,
            ..Self::text(name, label, "")
        }
    }

    /// A new password: the core's minimum length as a hint and a browser
    /// check (the server checks it again).
    pub(crate) fn new_password(name: &'static str, c: &Ctx) -> Self {
        let label = if name == "password_confirm" {
            c.t.field_password_confirm
        } else {
            c.t.field_new_password
        };
        let mut f = Self::password(name, label, "new-password");
        f.minlength = Some(bincio_core::validate::MIN_PASSWORD);
        if name != "password_confirm" {
            f.hint = Some(super::i18n::fill(
                c.t.password_hint,
                &[&bincio_core::validate::MIN_PASSWORD],
            ));
        }
        f
    }

    /// A number input.
    pub(crate) fn number(name: &'static str, label: &'static str, value: &str) -> Self {
        Self {
            kind: "number",
            ..Self::text(name, label, value)
        }
    }

    pub(crate) fn id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    pub(crate) fn autocomplete(mut self, v: &'static str) -> Self {
        self.autocomplete = v;
        self
    }

    pub(crate) fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub(crate) fn maxlength(mut self, n: usize) -> Self {
        self.maxlength = Some(n);
        self
    }

    pub(crate) fn hint(mut self, h: &str) -> Self {
        self.hint = Some(h.to_owned());
        self
    }

    /// Set the error (and focus the field, so the reader lands on it).
    pub(crate) fn error(mut self, e: Option<String>) -> Self {
        if e.is_some() {
            self.autofocus = true;
        }
        self.error = e;
        self
    }

    /// Whether a hint or error describes the input.
    pub(crate) fn has_note(&self) -> bool {
        self.error.is_some() || self.hint.is_some()
    }
}

/// Which field of an account form a core validation error is about,
/// decided by running the core's own validators on the input (no rule is
/// repeated here): the handle, the password, the display name, or none of
/// them (then it is the code's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Culprit {
    Handle,
    Password,
    DisplayName,
    Other,
}

pub(crate) fn culprit(
    handle: Option<&str>,
    password: Option<&str>,
    display: Option<&str>,
) -> Culprit {
    use bincio_core::validate;
    if handle.is_some_and(|h| validate::handle(&validate::normalise_handle(h)).is_err()) {
        Culprit::Handle
    } else if password.is_some_and(|p| validate::password(p).is_err()) {
        Culprit::Password
    } else if display.is_some_and(|d| validate::display_name(d.trim()).is_err()) {
        Culprit::DisplayName
    } else {
        Culprit::Other
    }
}

/// The message of a core refusal in the reader's language.
pub(crate) fn core_message(c: &Ctx, e: &CoreError) -> String {
    c.t.core_msg(&e.to_string()).to_owned()
}

/// A date (UTC) as `YYYY-MM-DD`.
pub(crate) fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A date and time (UTC) as `YYYY-MM-DD HH:MM`.
pub(crate) fn date_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}
