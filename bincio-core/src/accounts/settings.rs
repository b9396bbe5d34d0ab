//! Instance settings: a string map in the store with a typed view here.

use std::collections::BTreeMap;

use crate::error::{CoreError, CoreResult};

/// `max_users`: positive ⇒ registrations stop at that many accounts.
pub const MAX_USERS: &str = "max_users";
/// `store_originals`: keep uploaded original files (`true`/`false`).
pub const STORE_ORIGINALS: &str = "store_originals";
/// `private`: nothing is served to anonymous clients (`true`/`false`).
pub const PRIVATE: &str = "private";
/// `instance_name`: shown in the BAS manifest.
pub const INSTANCE_NAME: &str = "instance_name";

/// Settings an operator may set, with their meaning.
pub const KNOWN: &[(&str, &str)] = &[
    (MAX_USERS, "maximum number of accounts (0 = unlimited)"),
    (STORE_ORIGINALS, "keep uploaded original files (true/false)"),
    (PRIVATE, "serve nothing to anonymous clients (true/false)"),
    (INSTANCE_NAME, "instance name shown in the BAS manifest"),
];

/// Keys that hold secrets (hashes) and are never listed.
pub fn is_secret(key: &str) -> bool {
    key == super::SETUP_CODE_SETTING || key == super::SETUP_CODE_SEALED_SETTING
}

/// Check and normalise a value for a known key.
pub fn validate(key: &str, value: &str) -> CoreResult<String> {
    let value = value.trim();
    match key {
        MAX_USERS => value
            .parse::<u64>()
            .map(|n| n.to_string())
            .map_err(|_| CoreError::invalid("max_users must be a whole number (0 = unlimited)")),
        STORE_ORIGINALS | PRIVATE => parse_bool(value)
            .map(|b| b.to_string())
            .ok_or_else(|| CoreError::invalid(format!("{key} must be true or false"))),
        INSTANCE_NAME => {
            if value.chars().count() > 100 {
                Err(CoreError::invalid("instance_name is too long (max 100)"))
            } else {
                Ok(value.to_owned())
            }
        }
        _ => Err(CoreError::invalid(format!(
            "unknown setting {key:?}; known: {}",
            KNOWN.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Typed view of the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// `None` = unlimited.
    pub max_users: Option<u64>,
    /// Absent ⇒ true (as BincioActivity's `/api/me` reports it).
    pub store_originals: bool,
    /// Absent ⇒ true: a new instance is private until opened.
    pub private: bool,
    /// Instance name.
    pub instance_name: String,
}

impl InstanceSettings {
    /// Build from the raw map; malformed values are reported, not guessed.
    pub fn from_map(map: &BTreeMap<String, String>) -> CoreResult<Self> {
        let max_users = match map.get(MAX_USERS) {
            None => None,
            Some(v) => {
                let n: u64 = v
                    .trim()
                    .parse()
                    .map_err(|_| CoreError::Internal(format!("bad max_users setting {v:?}")))?;
                (n > 0).then_some(n)
            }
        };
        Ok(Self {
            max_users,
            store_originals: map.get(STORE_ORIGINALS).map(String::as_str) != Some("false"),
            private: map.get(PRIVATE).map(String::as_str) != Some("false"),
            instance_name: map
                .get(INSTANCE_NAME)
                .cloned()
                .unwrap_or_else(|| "BincioActivity".to_owned()),
        })
    }
}
