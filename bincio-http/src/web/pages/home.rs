//! Shared bits of the start page and member pages. (`/` itself is the
//! combined feed: [`super::feed::home`].)

/// A member's display name, or their handle when they left it empty.
pub(crate) fn display(u: &bincio_core::model::User) -> &str {
    if u.display_name.trim().is_empty() {
        &u.handle
    } else {
        &u.display_name
    }
}
