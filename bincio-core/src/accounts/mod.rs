// Over 600 lines on purpose: one service, one `Accounts` type whose methods
// share its private helpers (password, tokens, settings are already apart);
// its methods are being retyped by issue 11 part 2, split after that lands.

//! The accounts service: registration, login, sessions, invites, reset
//! codes, profile, prefs, settings, community stats, instance set-up.
//!
//! Every rule of the accounts product lives here, once; HTTP handlers and CLI
//! commands call these methods and only translate input and output.

mod admin;
pub mod password;
mod profile;
pub mod settings;
pub mod tokens;

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::model::{Invite, NewUser, ResetCode, Role, Session, User};
use crate::store::{RegisterClaim, RegisterError, StoreError, UserStore};
use crate::validate;
use password::Verified;
pub use profile::{Community, MemberInfo};
pub use settings::InstanceSettings;

/// Session lifetime (fixed, not sliding), seconds.
pub const SESSION_TTL_SECS: i64 = 30 * 86_400;
/// Reset code lifetime, seconds.
pub const RESET_CODE_TTL_SECS: i64 = 86_400;
/// Invites a non-admin may ever create.
pub const MAX_USER_INVITES: u64 = 3;
/// Most preferences one user may keep, and their sizes.
pub const MAX_PREFS: usize = 100;
/// Longest preference key.
pub const MAX_PREF_KEY: usize = 64;
/// Longest preference value.
pub const MAX_PREF_VALUE: usize = 1024;

/// Setting holding the SHA-256 of the one-time admin set-up code.
pub const SETUP_CODE_SETTING: &str = "setup_code_sha256";

/// Setting holding the set-up code itself, sealed with the instance key
/// (`DATA_DIR/keys/secrets.key`, hex): every process sharing the store and
/// the key file, and every restart, prints the same working link. Never the
/// plain code.
pub const SETUP_CODE_SEALED_SETTING: &str = "setup_code_sealed";

/// Associated data the set-up code is sealed for.
const SETUP_CODE_AAD: &str = "bincio:instance:setup-code";

/// A freshly issued session: the clear token goes to the client once.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// Clear token (cookie value or Bearer token). Never stored.
    pub token: String,
    /// The account.
    pub user: User,
    /// Unix seconds.
    pub expires_at: i64,
}

/// An issued reset code (clear, shown once to the admin).
#[derive(Debug, Clone)]
pub struct IssuedResetCode {
    /// The code to hand to the user.
    pub code: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Result of [`Accounts::init_instance`].
#[derive(Debug, Clone)]
pub struct InitOutcome {
    /// True when the admin was created by this call.
    pub created_admin: bool,
    /// An unused invite of the admin (reused when one exists, so re-running
    /// `init` does not pile up codes).
    pub invite_code: String,
}

/// The accounts service.
#[derive(Clone)]
pub struct Accounts {
    users: Arc<dyn UserStore>,
    clock: Arc<dyn Clock>,
}

impl Accounts {
    /// A service over a store and a clock.
    pub fn new(users: Arc<dyn UserStore>, clock: Arc<dyn Clock>) -> Self {
        Self { users, clock }
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn UserStore> {
        &self.users
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    // ---------------------------------------------------------------- setup

    /// Initialise an instance: create the admin if absent, default settings,
    /// and return an unused admin invite. Idempotent: a second call with the
    /// same handle changes nothing and returns the same invite.
    #[tracing::instrument(skip_all, fields(handle = %req.handle))]
    pub async fn init_instance(&self, req: InitRequest) -> CoreResult<InitOutcome> {
        validate::handle(&req.handle)?;
        validate::display_name(&req.display_name)?;
        let created_admin = match self.users.get_user(&req.handle).await? {
            Some(u) if u.is_admin() => false,
            Some(_) => {
                return Err(CoreError::Conflict(format!(
                    "user {} exists and is not an admin",
                    req.handle
                )))
            }
            None => {
                let pw = req.password.ok_or_else(|| {
                    CoreError::invalid("a password is required to create the admin")
                })?;
                validate::password(&pw)?;
                self.create_user(&req.handle, &req.display_name, &pw, Role::Admin)
                    .await?;
                true
            }
        };
        if let Some(name) = &req.instance_name {
            self.users
                .set_setting(settings::INSTANCE_NAME, name)
                .await?;
        }
        if let Some(n) = req.max_users {
            self.users
                .set_setting(settings::MAX_USERS, &n.to_string())
                .await?;
        }
        match req.store_originals {
            Some(v) => {
                self.users
                    .set_setting(settings::STORE_ORIGINALS, if v { "true" } else { "false" })
                    .await?
            }
            None => {
                self.users
                    .set_setting_if_absent(settings::STORE_ORIGINALS, "true")
                    .await?;
            }
        }
        self.users.delete_setting(SETUP_CODE_SETTING).await?;
        self.users.delete_setting(SETUP_CODE_SEALED_SETTING).await?;
        let existing = self
            .users
            .list_invites(&req.handle)
            .await?
            .into_iter()
            .find(|i| i.used_by.is_none());
        let invite_code = match existing {
            Some(i) => i.code,
            None => self.new_invite_for(&req.handle, None).await?.code,
        };
        Ok(InitOutcome {
            created_admin,
            invite_code,
        })
    }

    /// For an instance with no users: the one-time set-up code that
    /// registers the first admin; `None` when the instance has users.
    ///
    /// The code is minted once per instance, not per process: it is kept
    /// sealed with `keys` (the instance key file) in a setting written with
    /// `set_setting_if_absent`, so among processes starting at once on one
    /// store exactly one code wins and every process (and every restart)
    /// answers that one; its SHA-256 is the setting registration checks.
    /// When the stored code was sealed with another key file, it is not
    /// replaced (the link another process printed keeps working): the error
    /// says how to get going.
    pub async fn issue_setup_code(
        &self,
        keys: &crate::sync::seal::KeyRing,
    ) -> CoreResult<Option<String>> {
        if self.users.count_users().await? > 0 {
            return Ok(None);
        }
        let fresh = tokens::new_code(12);
        let sealed = keys.seal(SETUP_CODE_AAD, fresh.as_bytes()).map_err(|e| {
            CoreError::Internal(format!(
                "sealing the set-up code with {}: {e}",
                keys.path().display()
            ))
        })?;
        self.users
            .set_setting_if_absent(SETUP_CODE_SEALED_SETTING, &hex::encode(sealed))
            .await?;
        let stored = self
            .users
            .get_setting(SETUP_CODE_SEALED_SETTING)
            .await?
            .unwrap_or_default();
        let code = hex::decode(stored.trim())
            .ok()
            .and_then(|b| keys.open(SETUP_CODE_AAD, &b))
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                CoreError::Conflict(format!(
                    "this instance's set-up code was made by a process with another key file \
                     than {key}; use the link that process printed, or give every process \
                     the same key file (copy {key} from it), or create the admin with \
                     `bincio init --handle NAME --password-stdin`",
                    key = keys.path().display()
                ))
            })?;
        // Every process writes the same hash, so the order does not matter.
        self.users
            .set_setting(SETUP_CODE_SETTING, &tokens::sha256_hex(&code))
            .await?;
        Ok(Some(code))
    }

    /// Create a user directly (admin CLI). Validates every field.
    #[tracing::instrument(skip_all, fields(handle = %handle, role = role.as_str()))]
    pub async fn create_user(
        &self,
        handle: &str,
        display_name: &str,
        password: &str,
        role: Role,
    ) -> CoreResult<User> {
        validate::handle(handle)?;
        validate::display_name(display_name)?;
        validate::password(password)?;
        let hash = password::hash_blocking(password.to_owned()).await?;
        let user = self
            .users
            .create_user(NewUser {
                handle: handle.to_owned(),
                display_name: display_name.to_owned(),
                password_hash: hash,
                role,
                created_at: self.clock.unix(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => CoreError::Conflict("Handle already taken".into()),
                e => e.into(),
            })?;
        Ok(user)
    }

    // ---------------------------------------------------------- registration

    /// Register with an invite (or the set-up code) and log in. The claim,
    /// handle uniqueness and `max_users` are decided atomically by the store.
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn register(
        &self,
        code: &str,
        handle: &str,
        password: &str,
        display_name: &str,
    ) -> CoreResult<IssuedSession> {
        let handle = validate::normalise_handle(handle);
        validate::handle(&handle)?;
        validate::password(password)?;
        validate::display_name(display_name)?;
        let code = validate::normalise_code(code);
        if code.is_empty() {
            return Err(CoreError::invalid("Invalid or already used invite code"));
        }
        let setup = code.len() == CODE_LEN_SETUP && self.setup_code_matches(&code).await?;
        let claim = if setup {
            RegisterClaim::Setup(tokens::sha256_hex(&code))
        } else {
            RegisterClaim::Invite(code)
        };
        let hash = password::hash_blocking(password.to_owned()).await?;
        let display_name = if display_name.is_empty() {
            handle.clone()
        } else {
            display_name.to_owned()
        };
        let user = self
            .users
            .register(
                claim,
                NewUser {
                    handle,
                    display_name,
                    password_hash: hash,
                    role: Role::User,
                    created_at: self.clock.unix(),
                },
            )
            .await
            .map_err(|e| match e {
                RegisterError::InvalidClaim => {
                    CoreError::invalid("Invalid or already used invite code")
                }
                RegisterError::HandleTaken => CoreError::Conflict("Handle already taken".into()),
                RegisterError::UserLimit(n) => {
                    CoreError::Forbidden(format!("This instance has reached its user limit ({n})"))
                }
                RegisterError::Store(s) => s.into(),
            })?;
        if setup {
            // Spent: the sealed copy goes too (the store removed the hash).
            self.users.delete_setting(SETUP_CODE_SEALED_SETTING).await?;
        }
        self.open_session(user).await
    }

    async fn setup_code_matches(&self, code: &str) -> CoreResult<bool> {
        Ok(self.users.get_setting(SETUP_CODE_SETTING).await?.as_deref()
            == Some(tokens::sha256_hex(code).as_str()))
    }

    // ---------------------------------------------------------------- login

    /// Check credentials and open a session. Unknown handles cost the same
    /// hashing work as known ones. A correct bcrypt password upgrades the
    /// stored hash to argon2id.
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn login(&self, handle: &str, password: &str) -> CoreResult<IssuedSession> {
        let user = self.check_password(handle, password).await?;
        self.open_session(user).await
    }

    /// Verify a handle + password without opening a session.
    pub async fn check_password(&self, handle: &str, password: &str) -> CoreResult<User> {
        let handle = validate::normalise_handle(handle);
        let invalid = || CoreError::Unauthorized("Invalid credentials".into());
        if password.len() > validate::MAX_PASSWORD {
            return Err(invalid());
        }
        let user = if validate::is_valid_handle(&handle) {
            self.users.get_user(&handle).await?
        } else {
            None
        };
        let Some(user) = user else {
            let _ =
                password::verify_blocking(password.to_owned(), password::dummy_hash().to_owned())
                    .await;
            return Err(invalid());
        };
        match password::verify_blocking(password.to_owned(), user.password_hash.clone()).await? {
            Verified::No => Err(invalid()),
            Verified::Yes => Ok(user),
            Verified::YesUpgrade => {
                let new_hash = password::hash_blocking(password.to_owned()).await?;
                self.users
                    .upgrade_password_hash(&user.handle, &user.password_hash, &new_hash)
                    .await?;
                Ok(User {
                    password_hash: new_hash,
                    ..user
                })
            }
        }
    }

    async fn open_session(&self, user: User) -> CoreResult<IssuedSession> {
        let token = tokens::new_session_token();
        let now = self.clock.unix();
        let expires_at = now + SESSION_TTL_SECS;
        self.users
            .create_session(Session {
                token_hash: tokens::sha256_hex(&token),
                handle: user.handle.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(IssuedSession {
            token,
            user,
            expires_at,
        })
    }

    /// The user behind a clear session token, if the session is alive.
    pub async fn authenticate(&self, token: &str) -> CoreResult<Option<User>> {
        if token.is_empty() || token.len() > 256 {
            return Ok(None);
        }
        let hash = tokens::sha256_hex(token);
        Ok(self
            .users
            .session_user(&hash, self.clock.unix())
            .await?
            .map(|(_, u)| u))
    }

    /// End a session (unknown tokens are fine).
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, token: &str) -> CoreResult<()> {
        self.users
            .delete_session(&tokens::sha256_hex(token))
            .await?;
        Ok(())
    }

    // -------------------------------------------------------------- invites

    /// Mint an invite for `user`: at most 3 ever for non-admins, unlimited
    /// for admins; the limit is enforced atomically by the store.
    #[tracing::instrument(skip_all, fields(handle = %user.handle))]
    pub async fn create_invite(&self, user: &User) -> CoreResult<Invite> {
        let limit = if user.is_admin() {
            None
        } else {
            Some(MAX_USER_INVITES)
        };
        self.new_invite_for(&user.handle, limit).await
    }

    async fn new_invite_for(&self, handle: &str, limit: Option<u64>) -> CoreResult<Invite> {
        for _ in 0..8 {
            let invite = Invite {
                code: tokens::new_code(tokens::CODE_LEN),
                created_by: handle.to_owned(),
                used_by: None,
                created_at: self.clock.unix(),
                used_at: None,
            };
            match self.users.create_invite(invite, limit).await {
                Ok(i) => return Ok(i),
                Err(StoreError::LimitReached(_)) => {
                    return Err(CoreError::invalid(format!(
                        "Invite limit reached ({MAX_USER_INVITES})"
                    )))
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::Internal(
            "could not mint a unique invite code".into(),
        ))
    }

    /// Invites of `user`, newest first.
    pub async fn list_invites(&self, user: &User) -> CoreResult<Vec<Invite>> {
        Ok(self.users.list_invites(&user.handle).await?)
    }

    /// Mint an invite for `handle` on behalf of an operator (CLI), respecting
    /// the per-user limit unless the user is an admin.
    pub async fn create_invite_for(&self, handle: &str) -> CoreResult<Invite> {
        let user = self.require_user(handle).await?;
        self.create_invite(&user).await
    }

    // -------------------------------------------------------------- passwords

    /// Change the password of `user` (knowing the current one). Every other
    /// session of the user is revoked; `keep_token` (the caller's) survives.
    #[tracing::instrument(skip_all, fields(handle = %user.handle))]
    pub async fn change_password(
        &self,
        user: &User,
        keep_token: Option<&str>,
        current: &str,
        new: &str,
    ) -> CoreResult<()> {
        match password::verify_blocking(current.to_owned(), user.password_hash.clone()).await? {
            Verified::No => {
                return Err(CoreError::Unauthorized(
                    "Current password is incorrect".into(),
                ))
            }
            Verified::Yes | Verified::YesUpgrade => {}
        }
        validate::password(new)?;
        let hash = password::hash_blocking(new.to_owned()).await?;
        if !self.users.set_password_hash(&user.handle, &hash).await? {
            return Err(CoreError::NotFound("User not found".into()));
        }
        let keep = keep_token.map(tokens::sha256_hex);
        self.users
            .delete_sessions_of(&user.handle, keep.as_deref())
            .await?;
        Ok(())
    }

    /// Issue a reset code for `handle` (admin action). Replaces any unused one.
    #[tracing::instrument(skip_all, fields(admin = %admin, handle = %handle))]
    pub async fn issue_reset_code(&self, admin: &str, handle: &str) -> CoreResult<IssuedResetCode> {
        let handle = validate::normalise_handle(handle);
        self.require_user(&handle).await?;
        let code = tokens::new_code(tokens::CODE_LEN);
        let now = self.clock.unix();
        let expires_at = now + RESET_CODE_TTL_SECS;
        self.users
            .replace_reset_code(ResetCode {
                code_hash: tokens::sha256_hex(&code),
                handle,
                created_by: admin.to_owned(),
                created_at: now,
                expires_at,
                used_at: None,
            })
            .await?;
        Ok(IssuedResetCode { code, expires_at })
    }

    /// Redeem a reset code: sets the password and revokes all sessions of
    /// the user, atomically with marking the code used.
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn reset_password(&self, handle: &str, code: &str, new: &str) -> CoreResult<()> {
        validate::password(new)?;
        let handle = validate::normalise_handle(handle);
        let code = validate::normalise_code(code);
        let invalid = || CoreError::invalid("Invalid or expired reset code");
        if !validate::is_valid_handle(&handle) || code.is_empty() {
            return Err(invalid());
        }
        let hash = password::hash_blocking(new.to_owned()).await?;
        let ok = self
            .users
            .redeem_reset_code(
                &tokens::sha256_hex(&code),
                &handle,
                self.clock.unix(),
                &hash,
            )
            .await?;
        if ok {
            Ok(())
        } else {
            Err(invalid())
        }
    }
}

/// Length of the set-up code (distinguishes it from 8-char invites).
const CODE_LEN_SETUP: usize = 12;

/// Input of [`Accounts::init_instance`].
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    /// Admin handle.
    pub handle: String,
    /// Admin display name.
    pub display_name: String,
    /// Admin password (needed only when the admin does not exist yet).
    pub password: Option<String>,
    /// Instance name.
    pub instance_name: Option<String>,
    /// `max_users` (0 = unlimited).
    pub max_users: Option<u64>,
    /// `store_originals`.
    pub store_originals: Option<bool>,
}
