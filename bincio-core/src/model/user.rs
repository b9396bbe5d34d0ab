//! Accounts: users, sessions, invites, reset codes.

use serde::{Deserialize, Serialize};

/// What an account may do beyond its own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A member: own data only.
    User,
    /// Event staff: CCIP staff-only routes.
    Staff,
    /// Instance admin: everything (includes staff rights).
    Admin,
}

impl Role {
    /// Parse `user`, `staff` or `admin`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Self::User),
            "staff" => Some(Self::Staff),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The wire / CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }
}

/// A registered account. `password_hash` is a PHC string (argon2id) or a
/// legacy bcrypt hash (`$2a$`/`$2b$`) that is replaced on the next login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Unique, validated by [`crate::validate::handle`].
    pub handle: String,
    /// Free text, at most 60 characters, may be empty.
    pub display_name: String,
    /// Password hash (never the password).
    pub password_hash: String,
    /// Role of the account.
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
}

impl User {
    /// Admins can do everything.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Staff or admin: allowed on CCIP staff-only routes.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }
}

/// Input of a user creation.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Validated handle.
    pub handle: String,
    /// Display name.
    pub display_name: String,
    /// Already hashed password.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
}

/// The user a store holds once `NewUser` is created (what every backend
/// returns from a creation).
impl From<NewUser> for User {
    fn from(u: NewUser) -> Self {
        User {
            handle: u.handle,
            display_name: u.display_name,
            password_hash: u.password_hash,
            role: u.role,
            created_at: u.created_at,
        }
    }
}

/// A login session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hex SHA-256 of the bearer / cookie token.
    pub token_hash: String,
    /// Owner.
    pub handle: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; the session is dead at and after this instant.
    pub expires_at: i64,
}

/// An invite code. Codes are shown to their creator, so they are stored as-is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    /// 8 characters, upper case.
    pub code: String,
    /// Handle of the creator.
    pub created_by: String,
    /// Handle of the account that redeemed it.
    pub used_by: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub used_at: Option<i64>,
}

/// An admin-issued password reset code, bound to one handle. Stored hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetCode {
    /// Hex SHA-256 of the code.
    pub code_hash: String,
    /// The account it resets.
    pub handle: String,
    /// The admin who issued it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; invalid at and after this instant.
    pub expires_at: i64,
    /// Unix seconds once redeemed.
    pub used_at: Option<i64>,
}

/// A member of the community as listed by `/api/stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Handle.
    pub handle: String,
    /// Display name.
    pub display_name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Handle of the creator of the invite this member redeemed.
    pub invited_by: Option<String>,
}
