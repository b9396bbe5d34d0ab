//! The athlete service: `GET|POST /api/athlete` and `athlete.json` for any
//! viewer, plus validation of a config change.
//!
//! Rules:
//! * a change names only the keys it changes; the store merges it
//!   atomically (keys not sent are kept, `null` removes a key);
//! * every value is validated here, once, before reaching the store; an
//!   unknown key or a bad value is 422 naming the field, and nothing is
//!   stored;
//! * the owner's `athlete.json` aggregates all their own activities; anyone
//!   else gets it from the *public* summaries of *listed* activities only
//!   (hidden stats cut first), same access rules as the rest of `/data/`.

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};

use std::sync::Arc;

use super::athlete::SeasonCurve;
use super::read_cache::SeenRows;
use super::{athlete, Activities, AthleteDoc};
use crate::error::{CoreError, CoreResult};
use crate::model::{AthleteConfig, AthleteKey, AthletePatch, Season, User};
use crate::store::StoreError;

/// Most zones per list.
pub const MAX_ZONES: usize = 20;
/// Most seasons.
pub const MAX_SEASONS: usize = 100;
/// Longest season name, characters.
pub const MAX_SEASON_NAME: usize = 100;
/// Largest `gear` object, bytes of compact JSON.
pub const MAX_GEAR_BYTES: usize = 16 * 1024;
/// Highest heart-rate zone bound, bpm.
pub const MAX_HR_BOUND: f64 = 300.0;
/// Highest power zone bound, watts.
pub const MAX_POWER_BOUND: f64 = 10_000.0;

fn bad(msg: String) -> CoreError {
    CoreError::Unprocessable(msg)
}

fn int_in(field: &str, v: &Value, lo: u64, hi: u64) -> CoreResult<u32> {
    v.as_u64()
        .filter(|n| (lo..=hi).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| bad(format!("{field} must be an integer from {lo} to {hi}")))
}

fn zones(field: &str, v: &Value, max_bound: f64) -> CoreResult<Vec<[Number; 2]>> {
    let list = v
        .as_array()
        .ok_or_else(|| bad(format!("{field} must be a list of [lo, hi] pairs")))?;
    if list.len() > MAX_ZONES {
        return Err(bad(format!("{field}: at most {MAX_ZONES} zones")));
    }
    list.iter()
        .enumerate()
        .map(|(i, z)| {
            let pair = z.as_array().filter(|p| p.len() == 2);
            let nums = pair.and_then(|p| match (&p[0], &p[1]) {
                (Value::Number(a), Value::Number(b)) => Some([a.clone(), b.clone()]),
                _ => None,
            });
            let Some([lo, hi]) = nums else {
                return Err(bad(format!(
                    "{field}[{i}] must be a [lo, hi] pair of numbers"
                )));
            };
            let (l, h) = (lo.as_f64().unwrap_or(-1.0), hi.as_f64().unwrap_or(-1.0));
            if !(0.0..=max_bound).contains(&l) || !(0.0..=max_bound).contains(&h) {
                return Err(bad(format!(
                    "{field}[{i}]: bounds must be from 0 to {max_bound}"
                )));
            }
            if l > h {
                return Err(bad(format!("{field}[{i}]: lo must not exceed hi")));
            }
            Ok([lo, hi])
        })
        .collect()
}

fn date(field: &str, v: Option<&Value>) -> CoreResult<(String, NaiveDate)> {
    let s = v
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{field} must be a YYYY-MM-DD date")))?;
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| bad(format!("{field} must be a YYYY-MM-DD date")))?;
    Ok((s.to_owned(), d))
}

fn seasons(v: &Value) -> CoreResult<Vec<Season>> {
    let list = v
        .as_array()
        .ok_or_else(|| bad("seasons must be a list of {name, start, end}".into()))?;
    if list.len() > MAX_SEASONS {
        return Err(bad(format!("seasons: at most {MAX_SEASONS}")));
    }
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let o = s
                .as_object()
                .ok_or_else(|| bad(format!("seasons[{i}] must be an object")))?;
            if let Some(k) = o.keys().find(|k| !matches!(k.as_str(), "name" | "start" | "end")) {
                return Err(bad(format!("seasons[{i}]: unknown field {k:?}")));
            }
            let name = o
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.trim().is_empty() && n.chars().count() <= MAX_SEASON_NAME)
                .ok_or_else(|| {
                    bad(format!(
                        "seasons[{i}].name must be a non-empty string of at most {MAX_SEASON_NAME} characters"
                    ))
                })?;
            let (start, a) = date(&format!("seasons[{i}].start"), o.get("start"))?;
            let (end, b) = date(&format!("seasons[{i}].end"), o.get("end"))?;
            if a > b {
                return Err(bad(format!("seasons[{i}]: start must not be after end")));
            }
            Ok(Season {
                name: name.to_owned(),
                start,
                end,
            })
        })
        .collect()
}

fn gear(v: &Value) -> CoreResult<Map<String, Value>> {
    let o = v
        .as_object()
        .ok_or_else(|| bad("gear must be an object".into()))?;
    if v.to_string().len() > MAX_GEAR_BYTES {
        return Err(bad(format!(
            "gear is too large (max {MAX_GEAR_BYTES} bytes)"
        )));
    }
    Ok(o.clone())
}

/// Validate a `POST /api/athlete` body into a patch. Keys absent are left
/// alone, `null` clears a key; anything else must be valid.
pub fn parse_patch(body: &Value) -> CoreResult<AthletePatch> {
    let obj = body
        .as_object()
        .ok_or_else(|| bad("body must be a JSON object".into()))?;
    let mut p = AthletePatch::default();
    for (k, v) in obj {
        let key = AthleteKey::parse(k).ok_or_else(|| bad(format!("unknown field {k:?}")))?;
        if v.is_null() {
            p.clear.push(key);
            continue;
        }
        let s = &mut p.set;
        match key {
            AthleteKey::MaxHr => s.max_hr = Some(int_in(k, v, 1, 300)?),
            AthleteKey::FtpW => s.ftp_w = Some(int_in(k, v, 1, 3000)?),
            AthleteKey::HrZones => s.hr_zones = Some(zones(k, v, MAX_HR_BOUND)?),
            AthleteKey::PowerZones => s.power_zones = Some(zones(k, v, MAX_POWER_BOUND)?),
            AthleteKey::Seasons => s.seasons = Some(seasons(v)?),
            AthleteKey::Gear => s.gear = Some(gear(v)?),
        }
    }
    Ok(p)
}

fn entries(rows: &[(String, i64, Value)]) -> Vec<athlete::Entry<'_>> {
    rows.iter()
        .map(|(id, t, s)| athlete::Entry {
            id,
            started_at: *t,
            summary: s,
        })
        .collect()
}

/// Entries of the non-duplicate rows (the better copy counts, not both).
fn seen_entries(rows: &SeenRows) -> Vec<athlete::Entry<'_>> {
    rows.rows
        .iter()
        .filter(|r| !r.duplicate)
        .map(|r| athlete::Entry {
            id: &r.id,
            started_at: r.started_at,
            summary: &r.doc,
        })
        .collect()
}

/// What `/u/{handle}/athlete/` shows ([`Activities::athlete_page`]).
#[derive(Debug, Clone)]
pub struct AthletePage {
    /// `athlete.json` as the viewer may see it (power curve all-time /
    /// 365 d / 90 d, records, climbs, the config).
    pub doc: AthleteDoc,
    /// One power curve per configured season, in the config's order.
    pub seasons: Vec<SeasonCurve>,
}

/// `athlete.json` from `(id, start, summary)` rows with `config` laid over.
pub fn document(
    rows: &[(String, i64, Value)],
    config: &AthleteConfig,
    now: i64,
    generated_at: &str,
) -> Value {
    athlete::overlay(athlete::compute(&entries(rows), now, generated_at), config)
}

impl Activities {
    /// `handle`'s `athlete.json` as `viewer` may see it: 401 for anonymous
    /// viewers of a private instance, 404 for an unknown member; the owner's
    /// covers all their activities, anyone else's the listed ones with
    /// hidden stats cut.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle))]
    pub async fn athlete(&self, viewer: Option<&User>, handle: &str) -> CoreResult<AthleteDoc> {
        let (rows, config) = self.athlete_rows(viewer, handle).await?;
        Ok(self.athlete_doc(&rows, &config))
    }

    /// One power curve per season of `handle`'s athlete config, as
    /// `viewer` may see them: the same access and the same activities as
    /// [`Self::athlete`] (the owner: all of theirs; anyone else: the listed
    /// ones with hidden stats cut, so a hidden power never reaches a
    /// curve; duplicates left out). A season holds the activities whose
    /// local start date is within `start..=end`.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle))]
    pub async fn season_curves(
        &self,
        viewer: Option<&User>,
        handle: &str,
    ) -> CoreResult<Vec<SeasonCurve>> {
        let (rows, config) = self.athlete_rows(viewer, handle).await?;
        Ok(athlete::season_curves(
            &seen_entries(&rows),
            config.seasons.as_deref().unwrap_or_default(),
        ))
    }

    /// [`Self::athlete`] and [`Self::season_curves`] from one read, for the
    /// athlete page.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle))]
    pub async fn athlete_page(
        &self,
        viewer: Option<&User>,
        handle: &str,
    ) -> CoreResult<AthletePage> {
        let (rows, config) = self.athlete_rows(viewer, handle).await?;
        let seasons = athlete::season_curves(
            &seen_entries(&rows),
            config.seasons.as_deref().unwrap_or_default(),
        );
        Ok(AthletePage {
            doc: self.athlete_doc(&rows, &config),
            seasons,
        })
    }

    /// Access check, then the rows the viewer may see and the config.
    async fn athlete_rows(
        &self,
        viewer: Option<&User>,
        handle: &str,
    ) -> CoreResult<(Arc<SeenRows>, AthleteConfig)> {
        let owner = self.member_access(viewer, handle).await?;
        let rows = self
            .seen
            .rows(&self.store, Some(handle), owner, usize::MAX)
            .await?;
        let config = self.users.get_athlete(handle).await?;
        Ok((rows, config))
    }

    fn athlete_doc(&self, rows: &SeenRows, config: &AthleteConfig) -> AthleteDoc {
        AthleteDoc(athlete::overlay(
            athlete::compute(
                &seen_entries(rows),
                self.clock.unix(),
                &self.clock.now().to_rfc3339(),
            ),
            config,
        ))
    }

    /// The member's athlete config (for `owner.athlete` of their index).
    pub async fn athlete_config(&self, handle: &str) -> CoreResult<AthleteConfig> {
        Ok(self.users.get_athlete(handle).await?)
    }

    /// Apply an owner's `POST /api/athlete` body (validated first; the store
    /// merges atomically). Returns the config after the change.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle))]
    pub async fn set_athlete(&self, owner: &User, body: &Value) -> CoreResult<AthleteConfig> {
        let patch = parse_patch(body)?;
        let config = self
            .users
            .patch_athlete(&owner.handle, &patch)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(_) => CoreError::NotFound("User not found".into()),
                e => e.into(),
            })?;
        if !patch.is_empty() {
            self.changed(&owner.handle);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        match parse_patch(&v) {
            Err(CoreError::Unprocessable(m)) => m,
            other => panic!("expected 422 for {v}: {other:?}"),
        }
    }

    #[test]
    fn valid_patch_sets_and_clears() {
        let p = parse_patch(&json!({"max_hr": 190, "ftp_w": 250, "hr_zones": [[0, 120], [120, 150.5]],
            "power_zones": [], "seasons": [{"name": "2026", "start": "2026-01-01", "end": "2026-12-31"}],
            "gear": {"bike": {"km": 1200}}, "gear.x": null}))
        .err();
        assert!(matches!(p, Some(CoreError::Unprocessable(m)) if m.contains("gear.x")));
        let p = parse_patch(&json!({"max_hr": 190, "hr_zones": [[0, 120], [120, 150.5]],
            "seasons": [{"name": "2026", "start": "2026-01-01", "end": "2026-12-31"}],
            "ftp_w": null}))
        .unwrap();
        assert_eq!(p.set.max_hr, Some(190));
        assert_eq!(
            serde_json::to_value(&p.set.hr_zones).unwrap(),
            json!([[0, 120], [120, 150.5]])
        );
        assert_eq!(p.clear, vec![AthleteKey::FtpW]);
        assert!(parse_patch(&json!({})).unwrap().is_empty());
    }

    #[test]
    fn bad_values_name_the_field() {
        assert!(err(json!([1])).contains("object"));
        assert!(err(json!({"weight": 70})).contains("weight"));
        assert!(err(json!({"max_hr": 0})).contains("max_hr"));
        assert!(err(json!({"max_hr": 301})).contains("max_hr"));
        assert!(err(json!({"max_hr": 180.5})).contains("max_hr"));
        assert!(err(json!({"max_hr": "180"})).contains("max_hr"));
        assert!(err(json!({"ftp_w": 3001})).contains("ftp_w"));
        assert!(err(json!({"ftp_w": -5})).contains("ftp_w"));
        assert!(err(json!({"hr_zones": [[150, 120]]})).contains("hr_zones[0]"));
        assert!(err(json!({"hr_zones": [[0, 400]]})).contains("hr_zones[0]"));
        assert!(err(json!({"power_zones": [[0, 100, 200]]})).contains("power_zones[0]"));
        assert!(err(json!({"power_zones": [[-1, 100]]})).contains("power_zones[0]"));
        assert!(err(json!({"power_zones": "z"})).contains("power_zones"));
        let many: Vec<Value> = (0..21).map(|i| json!([i, i])).collect();
        assert!(err(json!({"hr_zones": many})).contains("at most"));
        assert!(err(
            json!({"seasons": [{"name": "x", "start": "2026-02-01", "end": "2026-01-01"}]})
        )
        .contains("seasons[0]"));
        assert!(
            err(json!({"seasons": [{"name": "x", "start": "2026-2-1", "end": "2026-03-01"}]}))
                .contains("seasons[0].start")
        );
        assert!(err(
            json!({"seasons": [{"name": "", "start": "2026-01-01", "end": "2026-01-01"}]})
        )
        .contains("seasons[0].name"));
        assert!(err(
            json!({"seasons": [{"name": "x", "start": "2026-01-01", "end": "2026-01-01", "x": 1}]})
        )
        .contains("\"x\""));
        let seasons: Vec<Value> = (0..101)
            .map(|_| json!({"name": "s", "start": "2026-01-01", "end": "2026-01-02"}))
            .collect();
        assert!(err(json!({"seasons": seasons})).contains("seasons"));
        assert!(err(json!({"gear": [1]})).contains("gear"));
        assert!(err(json!({"gear": {"x": "y".repeat(MAX_GEAR_BYTES)}})).contains("gear"));
    }
}
