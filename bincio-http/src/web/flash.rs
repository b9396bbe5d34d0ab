//! Flash messages: what a redirect-after-post shows once on the next page.
//!
//! The cookie holds a [`Notice`] — a fixed kind plus its arguments, never
//! free text — so a forged cookie can at worst show one of our own
//! messages, and the words come from the reader's string table. The page
//! that shows it deletes the cookie in the same response.

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};

use super::i18n::{fill, Strings};

/// A message for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notice {
    LoggedOut,
    Welcome(String),
    SetupDone,
    PasswordReset,
    /// The invite link to copy.
    InviteCreated(String),
    PasswordChanged,
    DisplayNameSaved,
    PrefsSaved,
    /// Freed size, already formatted.
    OriginalsDeleted(String),
    ActivitiesDeleted(u64),
    AccountDeleted,
    SettingsSaved,
    /// Handle and the reset link to copy (shown once).
    ResetIssued(String, String),
    /// Handle and the new role's name.
    RoleChanged(String, String),
    /// Handle and how many activities were deleted.
    Wiped(String, u64),
    UserDeleted(String),
    ActivitySaved,
    PhotoAdded,
    PhotoRemoved,
    /// The deleted activity's title.
    ActivityDeleted(String),
    /// The new elevation gain, formatted.
    ElevationRecalculated(String),
    AthleteSaved,
    /// A drop-folder scan: new, duplicates, failed, still being written.
    DropScanned(u32, u32, u32, u32),
}

/// A notice as a page shows it.
#[derive(Debug, Clone)]
pub(crate) struct FlashView {
    /// The sentence.
    pub text: String,
    /// A value the reader will want to copy (a link), shown with a button.
    pub copy: Option<String>,
}

const SEP: char = '\u{1f}';

impl Notice {
    /// The cookie value (percent-encoded, cookie-safe).
    pub(crate) fn encode(&self) -> String {
        let (kind, args): (&str, Vec<String>) = match self {
            Self::LoggedOut => ("logged_out", vec![]),
            Self::Welcome(n) => ("welcome", vec![n.clone()]),
            Self::SetupDone => ("setup_done", vec![]),
            Self::PasswordReset => ("password_reset", vec![]),
            Self::InviteCreated(l) => ("invite_created", vec![l.clone()]),
            Self::PasswordChanged => ("password_changed", vec![]),
            Self::DisplayNameSaved => ("display_name_saved", vec![]),
            Self::PrefsSaved => ("prefs_saved", vec![]),
            Self::OriginalsDeleted(s) => ("originals_deleted", vec![s.clone()]),
            Self::ActivitiesDeleted(n) => ("activities_deleted", vec![n.to_string()]),
            Self::AccountDeleted => ("account_deleted", vec![]),
            Self::SettingsSaved => ("settings_saved", vec![]),
            Self::ResetIssued(h, l) => ("reset_issued", vec![h.clone(), l.clone()]),
            Self::RoleChanged(h, r) => ("role_changed", vec![h.clone(), r.clone()]),
            Self::Wiped(h, n) => ("wiped", vec![h.clone(), n.to_string()]),
            Self::UserDeleted(h) => ("user_deleted", vec![h.clone()]),
            Self::ActivitySaved => ("activity_saved", vec![]),
            Self::PhotoAdded => ("photo_added", vec![]),
            Self::PhotoRemoved => ("photo_removed", vec![]),
            Self::ActivityDeleted(t) => ("activity_deleted", vec![t.clone()]),
            Self::ElevationRecalculated(g) => ("elevation", vec![g.clone()]),
            Self::AthleteSaved => ("athlete_saved", vec![]),
            Self::DropScanned(a, b, e, p) => (
                "drop_scanned",
                vec![a.to_string(), b.to_string(), e.to_string(), p.to_string()],
            ),
        };
        let mut raw = kind.to_owned();
        for a in args {
            raw.push(SEP);
            raw.extend(a.chars().filter(|c| *c != SEP).take(512));
        }
        utf8_percent_encode(&raw, NON_ALPHANUMERIC).to_string()
    }

    /// The `Set-Cookie` that carries this notice to the next page.
    pub(crate) fn cookie(&self, secure: bool) -> String {
        super::cookies::set(super::cookies::FLASH, &self.encode(), None, true, secure)
    }

    /// Read a cookie value; anything malformed is `None` (and ignored).
    pub(crate) fn decode(value: &str) -> Option<Self> {
        if value.len() > 4096 {
            return None;
        }
        let raw = percent_decode_str(value).decode_utf8().ok()?;
        let mut parts = raw.split(SEP);
        let kind = parts.next()?;
        let args: Vec<String> = parts.map(str::to_owned).collect();
        let n = |s: &str| s.parse::<u64>().ok();
        Some(match (kind, args.as_slice()) {
            ("logged_out", []) => Self::LoggedOut,
            ("welcome", [a]) => Self::Welcome(a.clone()),
            ("setup_done", []) => Self::SetupDone,
            ("password_reset", []) => Self::PasswordReset,
            ("invite_created", [l]) => Self::InviteCreated(l.clone()),
            ("password_changed", []) => Self::PasswordChanged,
            ("display_name_saved", []) => Self::DisplayNameSaved,
            ("prefs_saved", []) => Self::PrefsSaved,
            ("originals_deleted", [s]) => Self::OriginalsDeleted(s.clone()),
            ("activities_deleted", [c]) => Self::ActivitiesDeleted(n(c)?),
            ("account_deleted", []) => Self::AccountDeleted,
            ("settings_saved", []) => Self::SettingsSaved,
            ("reset_issued", [h, l]) => Self::ResetIssued(h.clone(), l.clone()),
            ("role_changed", [h, r]) => Self::RoleChanged(h.clone(), r.clone()),
            ("wiped", [h, c]) => Self::Wiped(h.clone(), n(c)?),
            ("user_deleted", [h]) => Self::UserDeleted(h.clone()),
            ("activity_saved", []) => Self::ActivitySaved,
            ("photo_added", []) => Self::PhotoAdded,
            ("photo_removed", []) => Self::PhotoRemoved,
            ("activity_deleted", [t]) => Self::ActivityDeleted(t.clone()),
            ("elevation", [g]) => Self::ElevationRecalculated(g.clone()),
            ("athlete_saved", []) => Self::AthleteSaved,
            ("drop_scanned", [a, b, e, p]) => {
                let n = |s: &str| s.parse::<u32>().ok();
                Self::DropScanned(n(a)?, n(b)?, n(e)?, n(p)?)
            }
            _ => return None,
        })
    }

    /// The message in the reader's language.
    pub(crate) fn view(&self, t: &Strings) -> FlashView {
        let plain = |s: &str| FlashView {
            text: s.to_owned(),
            copy: None,
        };
        match self {
            Self::LoggedOut => plain(t.flash_logged_out),
            Self::Welcome(n) => plain(&fill(t.flash_welcome, &[n])),
            Self::SetupDone => plain(t.flash_setup_done),
            Self::PasswordReset => plain(t.flash_password_reset),
            Self::InviteCreated(l) => FlashView {
                text: t.flash_invite_created.to_owned(),
                copy: Some(l.clone()),
            },
            Self::PasswordChanged => plain(t.flash_password_changed),
            Self::DisplayNameSaved => plain(t.flash_display_name_saved),
            Self::PrefsSaved => plain(t.flash_prefs_saved),
            Self::OriginalsDeleted(s) => plain(&fill(t.flash_originals_deleted, &[s])),
            Self::ActivitiesDeleted(n) => plain(&fill(t.flash_activities_deleted, &[n])),
            Self::AccountDeleted => plain(t.flash_account_deleted),
            Self::SettingsSaved => plain(t.flash_settings_saved),
            Self::ResetIssued(h, l) => FlashView {
                text: fill(t.flash_reset_issued, &[h]),
                copy: Some(l.clone()),
            },
            Self::RoleChanged(h, r) => plain(&fill(t.flash_role_changed, &[h, r])),
            Self::Wiped(h, n) => plain(&fill(t.flash_wiped, &[n, h])),
            Self::UserDeleted(h) => plain(&fill(t.flash_user_deleted, &[h])),
            Self::ActivitySaved => plain(t.flash_activity_saved),
            Self::PhotoAdded => plain(t.flash_photo_added),
            Self::PhotoRemoved => plain(t.flash_photo_removed),
            Self::ActivityDeleted(title) => plain(&fill(t.flash_activity_deleted, &[title])),
            Self::ElevationRecalculated(g) => plain(&fill(t.flash_elevation, &[g])),
            Self::AthleteSaved => plain(t.flash_athlete_saved),
            Self::DropScanned(a, b, e, p) => plain(&fill(t.flash_drop_scanned, &[a, b, e, p])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_garbage() {
        for n in [
            Notice::LoggedOut,
            Notice::ResetIssued(
                "bob".into(),
                "http://x/reset-password/?code=A&handle=bob".into(),
            ),
            Notice::Wiped("bob".into(), 12),
            Notice::Welcome("<script>é;=".into()),
        ] {
            let v = n.encode();
            assert!(
                v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'%'),
                "{v}"
            );
            assert_eq!(Notice::decode(&v), Some(n));
        }
        for bad in [
            "",
            "nope",
            "wiped%1Fbob%1Fx",
            "%FF%FE",
            "logged_out%1Fextra",
        ] {
            assert_eq!(Notice::decode(bad), None, "{bad}");
        }
    }
}
