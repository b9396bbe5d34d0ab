//! Profile, members and settings: display name, prefs, account deletion,
//! operator actions, community stats and instance settings.

use std::collections::BTreeMap;

use super::{
    settings, Accounts, InstanceSettings, IssuedResetCode, MAX_PREFS, MAX_PREF_KEY, MAX_PREF_VALUE,
};
use crate::error::{CoreError, CoreResult};
use crate::model::{Member, Role, User};
use crate::validate;

/// A member with derived fields, as `/api/stats` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberInfo {
    /// Handle.
    pub handle: String,
    /// Display name.
    pub display_name: String,
    /// Unix seconds.
    pub member_since: i64,
    /// Whole days since joining.
    pub member_for_days: i64,
    /// Who invited them.
    pub invited_by: Option<String>,
}

/// The community as `/api/stats` shows it ([`Accounts::community_for`]).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Community {
    /// Number of members.
    pub user_count: usize,
    /// Members, oldest first.
    pub members: Vec<MemberInfo>,
}

impl Accounts {
    /// Set the display name (≤ 60 characters, may be empty).
    #[tracing::instrument(skip_all, fields(handle = %user.handle))]
    pub async fn set_display_name(&self, user: &User, name: &str) -> CoreResult<String> {
        let name = name.trim();
        validate::display_name(name)?;
        if !self.users.set_display_name(&user.handle, name).await? {
            return Err(CoreError::NotFound("User not found".into()));
        }
        Ok(name.to_owned())
    }

    /// The user's prefs.
    pub async fn prefs(&self, user: &User) -> CoreResult<BTreeMap<String, String>> {
        Ok(self.users.get_prefs(&user.handle).await?)
    }

    /// Upsert prefs (bounded in count and size).
    #[tracing::instrument(skip_all, fields(handle = %user.handle, prefs = prefs.len()))]
    pub async fn set_prefs(&self, user: &User, prefs: BTreeMap<String, String>) -> CoreResult<()> {
        for (k, v) in &prefs {
            if k.is_empty() || k.len() > MAX_PREF_KEY {
                return Err(CoreError::invalid(format!("Invalid preference key: {k:?}")));
            }
            if v.len() > MAX_PREF_VALUE {
                return Err(CoreError::invalid(format!("Preference {k} is too long")));
            }
        }
        let existing = self.users.get_prefs(&user.handle).await?;
        let new_keys = prefs.keys().filter(|k| !existing.contains_key(*k)).count();
        if existing.len() + new_keys > MAX_PREFS {
            return Err(CoreError::invalid(format!(
                "Too many preferences (max {MAX_PREFS})"
            )));
        }
        self.users.set_prefs(&user.handle, &prefs).await?;
        Ok(())
    }

    /// Delete the account after checking its password.
    #[tracing::instrument(skip_all, fields(handle = %user.handle))]
    pub async fn delete_account(&self, user: &User, password: &str) -> CoreResult<()> {
        self.confirm_password(user, password).await?;
        self.users.delete_user(&user.handle).await?;
        Ok(())
    }

    /// Re-check the logged-in user's password before a destructive action
    /// (401 `Wrong password`; store failures stay internal errors).
    pub async fn confirm_password(&self, user: &User, password: &str) -> CoreResult<()> {
        self.check_password(&user.handle, password)
            .await
            .map(|_| ())
            .map_err(|e| match e {
                CoreError::Unauthorized(_) => CoreError::Unauthorized("Wrong password".into()),
                e => e,
            })
    }

    /// Issue a reset code on behalf of the instance operator (CLI): the
    /// code is recorded as issued by the oldest admin.
    pub async fn issue_reset_code_as_operator(&self, handle: &str) -> CoreResult<IssuedResetCode> {
        let admin = self
            .users
            .list_users()
            .await?
            .into_iter()
            .find(User::is_admin)
            .ok_or_else(|| {
                CoreError::Conflict("no admin account exists: run `bincio init` first".into())
            })?;
        self.issue_reset_code(&admin.handle, handle).await
    }

    /// Delete a user (operator action, no password).
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn delete_user(&self, handle: &str) -> CoreResult<()> {
        if !self.users.delete_user(handle).await? {
            return Err(CoreError::NotFound(format!("No such user: {handle}")));
        }
        Ok(())
    }

    /// Set a user's role (operator action).
    #[tracing::instrument(skip_all, fields(handle = %handle, role = role.as_str()))]
    pub async fn set_role(&self, handle: &str, role: Role) -> CoreResult<()> {
        if !self.users.set_role(handle, role).await? {
            return Err(CoreError::NotFound(format!("No such user: {handle}")));
        }
        Ok(())
    }

    /// All users, oldest first.
    pub async fn list_users(&self) -> CoreResult<Vec<User>> {
        Ok(self.users.list_users().await?)
    }

    /// One user or `NotFound`.
    pub async fn require_user(&self, handle: &str) -> CoreResult<User> {
        self.users
            .get_user(handle)
            .await?
            .ok_or_else(|| CoreError::NotFound("User not found".into()))
    }

    /// `/api/stats` as `viewer` may see it: on a private instance (the
    /// default) only members learn who the members are (401 `Not
    /// authenticated` for anonymous viewers); on an open one anyone does.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn community_for(&self, viewer: Option<&User>) -> CoreResult<Community> {
        if viewer.is_none() && self.settings().await?.private {
            return Err(CoreError::Unauthorized("Not authenticated".into()));
        }
        let members = self.community().await?;
        Ok(Community {
            user_count: members.len(),
            members,
        })
    }

    /// Community stats: members oldest first with who invited them.
    pub async fn community(&self) -> CoreResult<Vec<MemberInfo>> {
        let now = self.clock.unix();
        let members: Vec<Member> = self.users.list_members().await?;
        Ok(members
            .into_iter()
            .map(|m| MemberInfo {
                member_for_days: ((now - m.created_at).max(0)) / 86_400,
                handle: m.handle,
                display_name: m.display_name,
                member_since: m.created_at,
                invited_by: m.invited_by,
            })
            .collect())
    }

    /// Typed instance settings.
    pub async fn settings(&self) -> CoreResult<InstanceSettings> {
        InstanceSettings::from_map(&self.users.list_settings().await?)
    }

    /// Raw settings (secret ones hidden).
    pub async fn list_settings(&self) -> CoreResult<BTreeMap<String, String>> {
        let mut all = self.users.list_settings().await?;
        all.retain(|k, _| !settings::is_secret(k));
        Ok(all)
    }

    /// One setting (secret ones hidden).
    pub async fn get_setting(&self, key: &str) -> CoreResult<Option<String>> {
        if settings::is_secret(key) {
            return Ok(None);
        }
        Ok(self.users.get_setting(key).await?)
    }

    /// Set one known setting after validating its value.
    #[tracing::instrument(skip_all, fields(key = %key))]
    pub async fn set_setting(&self, key: &str, value: &str) -> CoreResult<()> {
        let value = settings::validate(key, value)?;
        self.users.set_setting(key, &value).await?;
        Ok(())
    }
}
