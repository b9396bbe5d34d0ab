//! What the instance's web pages need from accounts beyond the API's
//! calls: whether set-up is pending, how many invites a member has left,
//! and the admin's role / delete actions with the guard that an admin never
//! removes their own rights (so an instance always keeps the admin acting).

use super::{Accounts, MAX_USER_INVITES};
use crate::error::{CoreError, CoreResult};
use crate::model::{Role, User};

impl Accounts {
    /// True while the instance has no account at all: the one-time set-up
    /// code is what creates the first admin.
    pub async fn needs_setup(&self) -> CoreResult<bool> {
        Ok(self.store().count_users().await? == 0)
    }

    /// How many more invites `user` may mint: `None` = unlimited (admins),
    /// else [`MAX_USER_INVITES`] minus the invites ever created (used or
    /// not), never below 0. The store still decides the limit atomically
    /// when one is minted; this is what a page shows.
    pub async fn invites_left(&self, user: &User) -> CoreResult<Option<u64>> {
        if user.is_admin() {
            return Ok(None);
        }
        let made = self.store().list_invites(&user.handle).await?.len() as u64;
        Ok(Some(MAX_USER_INVITES.saturating_sub(made)))
    }

    /// An admin sets another account's role. Refused (403) on the admin's
    /// own account: demoting oneself could leave the instance without an
    /// admin, and the last admin is the one acting.
    pub async fn admin_set_role(&self, admin: &User, handle: &str, role: Role) -> CoreResult<()> {
        require_admin(admin)?;
        if admin.handle == handle {
            return Err(CoreError::Forbidden(
                "You cannot change your own role".into(),
            ));
        }
        if !self.store().set_role(handle, role).await? {
            return Err(CoreError::NotFound("User not found".into()));
        }
        Ok(())
    }

    /// An admin deletes another account with everything it owns. Refused
    /// (403) on the admin's own account (members delete themselves from
    /// their settings, with their password).
    pub async fn admin_delete_user(&self, admin: &User, handle: &str) -> CoreResult<()> {
        require_admin(admin)?;
        if admin.handle == handle {
            return Err(CoreError::Forbidden(
                "You cannot delete your own account here".into(),
            ));
        }
        if !self.store().delete_user(handle).await? {
            return Err(CoreError::NotFound("User not found".into()));
        }
        Ok(())
    }
}

fn require_admin(user: &User) -> CoreResult<()> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(CoreError::Forbidden("Admin required".into()))
    }
}
