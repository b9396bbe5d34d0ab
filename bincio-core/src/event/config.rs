//! Event configuration: `event.toml` and the CCIP-format files it names.
//!
//! Everything is validated when loaded, so a running server never meets a
//! configuration gap (CS answered those with HTML 500s): unknown keys, a
//! missing role file, bad time strings, related scenarios that do not exist,
//! a `disable_time` without `disable_message`, non-positive puzzle weights.
//! Each error names the file and the key. Loading never touches the store.

use std::path::Path;

use serde::Deserialize;

use super::model::{Pairs, TOTAL};
use super::ordered::Ordered;
use super::time::parse_ccip_time;

/// A configuration error: file, key path, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ConfigError {
    /// The file (as given or resolved).
    pub file: String,
    /// Key path inside the file (`checkin.related_scenario[0].id`), or `-`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    fn new(file: &Path, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A loaded, validated event.
#[derive(Debug, Clone)]
pub struct EventConfig {
    /// `event_id` stored on imported attendees.
    pub event_id: String,
    /// Role whose announcements `GET /announcement` shows without a token.
    pub announcement_default_role: String,
    /// Value of the `ccip` header that grants staff access (when set).
    pub staff_key: Option<String>,
    /// Roles in `[roles]` order.
    pub roles: Vec<RoleConfig>,
    /// Puzzle pieces; `None` disables the puzzle game.
    pub puzzle: Option<PuzzleConfig>,
    /// Deliverer token → name, in file order; `None` when not configured.
    pub delivery_permission: Option<Pairs>,
}

/// One role and its scenarios.
#[derive(Debug, Clone)]
pub struct RoleConfig {
    /// Role name.
    pub name: String,
    /// Scenario definitions in file order.
    pub scenarios: Vec<ScenarioDef>,
}

/// A scenario definition (§3).
#[derive(Debug, Clone)]
pub struct ScenarioDef {
    /// Id (key in the file).
    pub id: String,
    /// Sort key.
    pub order: i64,
    /// Locale → label.
    pub display_text: Pairs,
    /// Unix seconds.
    pub available_time: i64,
    /// Unix seconds.
    pub expire_time: i64,
    /// Seconds.
    pub countdown: i64,
    /// Initial `disabled` (non-empty).
    pub lock_message: Option<String>,
    /// Attribute rules.
    pub attr: Vec<AttrRule>,
    /// Unlock rule applied last at import.
    pub not_lock_rule: Option<NotLockRule>,
    /// Import-time visibility.
    pub show_rule: Option<ShowRule>,
    /// Effects of using this scenario.
    pub related_scenario: Vec<RelatedDef>,
    /// Puzzle pieces delivered on use.
    pub deliver_puzzle: u32,
}

/// `attr` rule: copy `row_name` into `attr_name`, or map it through `value`.
#[derive(Debug, Clone)]
pub struct AttrRule {
    /// CSV column.
    pub row_name: String,
    /// Attribute name.
    pub attr_name: String,
    /// CSV value → attribute value; `None` (or empty in the file) copies.
    pub value: Option<Pairs>,
}

/// `not_lock_rule`.
#[derive(Debug, Clone)]
pub struct NotLockRule {
    /// CSV column.
    pub row_name: String,
    /// Value that unlocks.
    pub value_match: String,
    /// `disabled` otherwise.
    pub not_match_disable_message: String,
}

/// `show_rule`.
#[derive(Debug, Clone)]
pub struct ShowRule {
    /// CSV column.
    pub row_name: String,
    /// Value that binds the scenario.
    pub value_match: String,
}

/// One `related_scenario` entry.
#[derive(Debug, Clone)]
pub struct RelatedDef {
    /// Target scenario id (validated to exist in the same file).
    pub id: String,
    /// Clear the target's `disabled`.
    pub unlock: bool,
    /// Under `StaffQuery`, mark the target used.
    pub staff_query_used: bool,
    /// After this instant (Unix seconds), disable the target.
    pub disable_time: Option<i64>,
    /// Message for `disable_time`.
    pub disable_message: Option<String>,
    /// Under `StaffQuery` (and before `disable_time`), disable with this.
    pub staff_query_disable_message: Option<String>,
}

/// The puzzle game's pieces.
#[derive(Debug, Clone)]
pub struct PuzzleConfig {
    /// Piece → weight in file order (weights > 0).
    pub pieces: Vec<(String, f64)>,
}

impl PuzzleConfig {
    /// Piece → `weight / Σweights` (CS's `puzzle_rate`).
    pub fn rates(&self) -> Vec<(String, f64)> {
        let base: f64 = self.pieces.iter().map(|(_, w)| w).sum();
        self.pieces
            .iter()
            .map(|(p, w)| (p.clone(), w / base))
            .collect()
    }
}

impl EventConfig {
    /// The role `name`.
    pub fn role(&self, name: &str) -> Option<&RoleConfig> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The deliverer name of `token`.
    pub fn deliverer(&self, token: &str) -> Option<&str> {
        self.delivery_permission
            .as_ref()?
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, n)| n.as_str())
    }

    /// Load `DIR/event.toml` and the files it names (relative to `DIR`).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let dir = dir.as_ref();
        let file = dir.join("event.toml");
        let text = read(&file)?;
        let raw: RawEvent = {
            let de = toml::Deserializer::parse(&text)
                .map_err(|e| ConfigError::new(&file, "-", one_line(&e.to_string())))?;
            serde_path_to_error::deserialize(de).map_err(|e| {
                ConfigError::new(&file, path_key(&e), one_line(&e.inner().to_string()))
            })?
        };
        let nonempty = |key: &str, v: &str| {
            if v.trim().is_empty() {
                Err(ConfigError::new(&file, key, "must not be empty"))
            } else {
                Ok(())
            }
        };
        nonempty("event_id", &raw.event_id)?;
        if raw.roles.0.is_empty() {
            return Err(ConfigError::new(
                &file,
                "roles",
                "at least one role is required",
            ));
        }
        let mut roles = Vec::new();
        for (name, path) in &raw.roles.0 {
            nonempty(&format!("roles.{name}"), name)?;
            let role_file = dir.join(path);
            if !role_file.is_file() {
                return Err(ConfigError::new(
                    &file,
                    format!("roles.{name}"),
                    format!("scenario file {} not found", role_file.display()),
                ));
            }
            roles.push(RoleConfig {
                name: name.clone(),
                scenarios: load_scenarios(&role_file)?,
            });
        }
        let announcement_default_role = raw
            .announcement_default_role
            .unwrap_or_else(|| roles[0].name.clone());
        if let Some(k) = &raw.staff_key {
            nonempty("staff_key", k)?;
        }
        let puzzle = raw
            .puzzle_config
            .map(|p| load_puzzle(&dir.join(p)))
            .transpose()?;
        let delivery_permission = raw
            .delivery_permission
            .map(|p| load_delivery(&dir.join(p)))
            .transpose()?;
        Ok(Self {
            event_id: raw.event_id,
            announcement_default_role,
            staff_key: raw.staff_key,
            roles,
            puzzle,
            delivery_permission,
        })
    }
}

fn read(file: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(file).map_err(|e| ConfigError::new(file, "-", e.to_string()))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn path_key<E>(e: &serde_path_to_error::Error<E>) -> String {
    let p = e.path().to_string();
    if p == "." || p.is_empty() {
        "-".to_owned()
    } else {
        p
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(file: &Path) -> Result<T, ConfigError> {
    let text = read(file)?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de)
        .map_err(|e| ConfigError::new(file, path_key(&e), one_line(&e.inner().to_string())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    event_id: String,
    announcement_default_role: Option<String>,
    puzzle_config: Option<String>,
    delivery_permission: Option<String>,
    staff_key: Option<String>,
    roles: Ordered<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    order: i64,
    display_text: Ordered<String>,
    available_time: String,
    expire_time: String,
    countdown: i64,
    #[serde(default)]
    lock_message: Option<String>,
    #[serde(default)]
    attr: Vec<RawAttr>,
    #[serde(default)]
    not_lock_rule: Option<RawNotLock>,
    #[serde(default)]
    show_rule: Option<RawShow>,
    #[serde(default)]
    related_scenario: Vec<RawRelated>,
    #[serde(default)]
    deliver_puzzle: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttr {
    row_name: String,
    attr_name: String,
    #[serde(default)]
    value: Option<Ordered<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotLock {
    row_name: String,
    value_match: String,
    not_match_disable_message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShow {
    row_name: String,
    value_match: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelated {
    id: String,
    #[serde(default)]
    unlock: bool,
    #[serde(default)]
    staff_query_used: bool,
    #[serde(default)]
    disable_time: Option<String>,
    #[serde(default)]
    disable_message: Option<String>,
    #[serde(default)]
    staff_query_disable_message: Option<String>,
}

/// Load one role's scenario file.
pub fn load_scenarios(file: &Path) -> Result<Vec<ScenarioDef>, ConfigError> {
    let raw: Ordered<RawScenario> = parse_json(file)?;
    let ids: Vec<&str> = raw.0.iter().map(|(k, _)| k.as_str()).collect();
    let mut out = Vec::new();
    for (id, s) in &raw.0 {
        let time = |key: &str, v: &str| {
            parse_ccip_time(v).map_err(|m| ConfigError::new(file, format!("{id}.{key}"), m))
        };
        if id.is_empty() || id.contains('/') {
            return Err(ConfigError::new(
                file,
                id,
                "scenario id must be non-empty and contain no '/'",
            ));
        }
        let available_time = time("available_time", &s.available_time)?;
        let expire_time = time("expire_time", &s.expire_time)?;
        let mut related = Vec::new();
        for (i, r) in s.related_scenario.iter().enumerate() {
            let key = |k: &str| format!("{id}.related_scenario[{i}].{k}");
            if !ids.contains(&r.id.as_str()) {
                return Err(ConfigError::new(
                    file,
                    key("id"),
                    format!("unknown scenario {:?}", r.id),
                ));
            }
            let disable_time = match &r.disable_time {
                Some(t) => Some(
                    parse_ccip_time(t)
                        .map_err(|m| ConfigError::new(file, key("disable_time"), m))?,
                ),
                None => None,
            };
            if disable_time.is_some() && r.disable_message.is_none() {
                return Err(ConfigError::new(
                    file,
                    key("disable_message"),
                    "required with disable_time",
                ));
            }
            related.push(RelatedDef {
                id: r.id.clone(),
                unlock: r.unlock,
                staff_query_used: r.staff_query_used,
                disable_time,
                disable_message: r.disable_message.clone(),
                staff_query_disable_message: r
                    .staff_query_disable_message
                    .clone()
                    .filter(|m| !m.is_empty()),
            });
        }
        out.push(ScenarioDef {
            id: id.clone(),
            order: s.order,
            display_text: s.display_text.0.clone(),
            available_time,
            expire_time,
            countdown: s.countdown,
            lock_message: s.lock_message.clone().filter(|m| !m.is_empty()),
            attr: s
                .attr
                .iter()
                .map(|a| AttrRule {
                    row_name: a.row_name.clone(),
                    attr_name: a.attr_name.clone(),
                    value: a.value.clone().map(|v| v.0).filter(|v| !v.is_empty()),
                })
                .collect(),
            not_lock_rule: s.not_lock_rule.as_ref().map(|r| NotLockRule {
                row_name: r.row_name.clone(),
                value_match: r.value_match.clone(),
                not_match_disable_message: r.not_match_disable_message.clone(),
            }),
            show_rule: s.show_rule.as_ref().map(|r| ShowRule {
                row_name: r.row_name.clone(),
                value_match: r.value_match.clone(),
            }),
            related_scenario: related,
            deliver_puzzle: s.deliver_puzzle.unwrap_or(0),
        });
    }
    Ok(out)
}

fn load_puzzle(file: &Path) -> Result<PuzzleConfig, ConfigError> {
    let raw: Ordered<f64> = parse_json(file)?;
    for (k, w) in &raw.0 {
        if k.is_empty() || k == TOTAL {
            return Err(ConfigError::new(
                file,
                k,
                "piece name must be non-empty and not \"total\"",
            ));
        }
        if !(w.is_finite() && *w > 0.0) {
            return Err(ConfigError::new(
                file,
                k,
                format!("weight must be positive, got {w}"),
            ));
        }
    }
    Ok(PuzzleConfig { pieces: raw.0 })
}

fn load_delivery(file: &Path) -> Result<Pairs, ConfigError> {
    let raw: Ordered<String> = parse_json(file)?;
    for (k, v) in &raw.0 {
        if k.is_empty() || v.is_empty() {
            return Err(ConfigError::new(
                file,
                k,
                "deliverer token and name must be non-empty",
            ));
        }
    }
    Ok(raw.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event")
    }

    #[test]
    fn loads_fixture_in_file_order() {
        let c = EventConfig::load(fixture()).unwrap();
        assert_eq!(c.event_id, "DEMOCONF2030");
        let roles: Vec<_> = c.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(roles, ["audience", "staff"]);
        let ids: Vec<_> = c.roles[0].scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "checkin",
                "welcome_kit",
                "lunch",
                "sponsor_gift",
                "speaker_dinner"
            ]
        );
        let checkin = &c.roles[0].scenarios[0];
        assert_eq!(checkin.display_text[0], ("en-US".into(), "Check-in".into()));
        assert_eq!(checkin.deliver_puzzle, 1);
        assert_eq!(
            checkin.related_scenario[1].disable_time,
            Some(1_903_834_800)
        );
        let p = c.puzzle.clone().unwrap();
        assert_eq!(p.pieces[0], ("ownership".into(), 3.0));
        assert_eq!(c.deliverer("booth-91c2"), Some("Crab Cloud"));
    }

    fn broken(edit: impl Fn(&Path)) -> ConfigError {
        let dir = tempdir();
        for e in std::fs::read_dir(fixture()).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
        edit(&dir);
        let err = EventConfig::load(&dir).unwrap_err();
        std::fs::remove_dir_all(&dir).ok();
        err
    }

    fn tempdir() -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("bincio-evcfg-{}", crate::event::oid::new_oid(0)));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn replace(dir: &Path, file: &str, from: &str, to: &str) {
        let p = dir.join(file);
        let s = std::fs::read_to_string(&p).unwrap();
        assert!(s.contains(from));
        std::fs::write(&p, s.replacen(from, to, 1)).unwrap();
    }

    #[test]
    fn errors_name_file_and_key() {
        let e = broken(|d| {
            replace(
                d,
                "scenario-audience.json",
                "\"id\": \"lunch\"",
                "\"id\": \"dinner\"",
            )
        });
        assert!(e.file.ends_with("scenario-audience.json"));
        assert_eq!(e.key, "checkin.related_scenario[1].id");

        let e = broken(|d| {
            replace(
                d,
                "scenario-staff.json",
                "2030/04/30 12:00 +0800",
                "2030/04/31 12:00 +0800",
            )
        });
        assert_eq!(e.key, "staff_checkin.available_time");

        let e = broken(|d| {
            replace(
                d,
                "scenario-audience.json",
                "\"countdown\": 30",
                "\"countdown\": 30, \"colour\": 1",
            )
        });
        assert_eq!(e.key, "welcome_kit.colour");
        assert!(e.message.contains("unknown field"), "{e}");

        let e = broken(|d| replace(d, "puzzle-config.json", "\"trait\": 1", "\"trait\": 0"));
        assert_eq!(e.key, "trait");

        let e = broken(|d| replace(d, "event.toml", "scenario-staff.json", "nope.json"));
        assert!(e.file.ends_with("event.toml"));
        assert_eq!(e.key, "roles.staff");

        let e = broken(|d| replace(d, "event.toml", "event_id", "eventid"));
        assert!(e.file.ends_with("event.toml"));
        assert!(e.to_string().contains("eventid"), "{e}");

        let e = broken(|d| {
            replace(
                d,
                "scenario-audience.json",
                "\"disable_message\": \"Too late to check in for lunch\",",
                "",
            )
        });
        assert_eq!(e.key, "checkin.related_scenario[1].disable_message");
    }
}
