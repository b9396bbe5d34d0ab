//! `/u/{handle}/athlete/`: the power curve (all time, last 365 and 90
//! days, and each of the member's seasons, with the FTP line), records per
//! sport, best climbs and zones — and, for the owner, the form for FTP,
//! max heart rate, zones, seasons and gear.
//!
//! The numbers come from `Activities::athlete` and `season_curves`, which
//! already apply the viewer's privacy; the form is one call to
//! `Activities::set_athlete`, whose validation errors name the field.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::CoreError;
use bincio_svg::{CurveSeries, PowerCurveOptions};
use serde_json::{json, Map, Value};

use super::cards::activity_href;
use super::feed::{member, MemberHead};
use crate::web::ctx::{Ctx, Member};
use crate::web::flash::Notice;
use crate::web::fmt::{self, num, text};
use crate::web::form::PageForm;

use crate::web::render::html;
use crate::web::units::Units;

/// One record line.
struct Record {
    what: String,
    value: String,
    extra: String,
    href: String,
    title: String,
    date: String,
}

/// Records of one sport.
struct SportRecords {
    sport: &'static str,
    rows: Vec<Record>,
}

/// A zone line.
struct Zone {
    name: String,
    range: String,
}

/// The owner's form values.
pub(crate) struct AthleteForm {
    ftp: String,
    max_hr: String,
    hr_zones: String,
    power_zones: String,
    seasons: String,
    gear: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "athlete.html")]
struct AthletePage<'a> {
    c: &'a Ctx,
    head: MemberHead,
    curve: Option<String>,
    records: Vec<SportRecords>,
    climbs: Vec<Record>,
    hr_zones: Vec<Zone>,
    power_zones: Vec<Zone>,
    ftp: Option<String>,
    max_hr: Option<String>,
    form: Option<AthleteForm>,
}

fn curve_points(v: Option<&Value>) -> Vec<(u32, f64)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        u32::try_from(p.get(0)?.as_u64()?).ok()?,
                        p.get(1)?.as_f64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn zones(v: Option<&Value>, unit: &str) -> Vec<Zone> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(i, z)| {
                    Some(Zone {
                        name: format!("Z{}", i + 1),
                        range: format!("{}–{} {unit}", z.get(0)?.as_f64()?, z.get(1)?.as_f64()?),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `5.0` → `5 km`, `21.097` → `21.1 km`, `0.4` → `400 m`.
fn effort_name(km: &str, u: Units) -> String {
    let Ok(k) = km.parse::<f64>() else {
        return km.to_owned();
    };
    match (u, k) {
        (_, 1.609) => "1 mi".to_owned(),
        (_, 21.097) => "Half marathon".to_owned(),
        (_, 42.195) => "Marathon".to_owned(),
        (Units::Metric, k) if k < 1.0 => format!("{:.0} m", k * 1000.0),
        (_, k) => format!("{} km", bincio_svg::num(k)),
    }
}

fn records(c: &Ctx, u: Units, handle: &str, doc: &Value) -> Vec<SportRecords> {
    let Some(by_sport) = doc.get("records").and_then(Value::as_object) else {
        return Vec::new();
    };
    let meta = |r: &Value| {
        let id = text(r, "activity_id");
        (
            activity_href(handle, id),
            match text(r, "title") {
                "" => c.t.untitled.to_owned(),
                t => t.to_owned(),
            },
            fmt::start(r, 0)
                .map(|d| fmt::date(c.t, &d))
                .unwrap_or_default(),
        )
    };
    let mut out = Vec::new();
    for (sport, recs) in by_sport {
        let Some(recs) = recs.as_object() else {
            continue;
        };
        let mut rows: Vec<(f64, Record)> = Vec::new();
        for (key, r) in recs {
            let (href, title, date) = meta(r);
            let row = match key.as_str() {
                "longest_m" => num(r, "value").map(|m| {
                    (
                        1e9,
                        Record {
                            what: c.t.record_longest.to_owned(),
                            value: u.distance(m),
                            extra: String::new(),
                            href,
                            title,
                            date,
                        },
                    )
                }),
                "most_elevation_m" => num(r, "value").map(|m| {
                    (
                        1e9 + 1.0,
                        Record {
                            what: c.t.record_most_elevation.to_owned(),
                            value: u.elevation(m),
                            extra: String::new(),
                            href,
                            title,
                            date,
                        },
                    )
                }),
                km => num(r, "time_s").map(|s| {
                    let k = km.parse::<f64>().unwrap_or(0.0);
                    let kmh = if s > 0.0 { k / (s / 3600.0) } else { 0.0 };
                    let extra = if super::cards::uses_pace(sport) {
                        u.pace(kmh).unwrap_or_default()
                    } else {
                        u.speed(kmh)
                    };
                    (
                        k,
                        Record {
                            what: effort_name(km, u),
                            value: fmt::clock(s),
                            extra,
                            href,
                            title,
                            date,
                        },
                    )
                }),
            };
            if let Some(r) = row {
                rows.push(r);
            }
        }
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !rows.is_empty() {
            out.push(SportRecords {
                sport: c.t.sport_name(sport),
                rows: rows.into_iter().map(|(_, r)| r).collect(),
            });
        }
    }
    out
}

fn pairs_text(v: Option<&Value>) -> String {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|z| Some(format!("{}-{}", z.get(0)?, z.get(1)?)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

impl AthleteForm {
    fn from_doc(doc: &Value) -> Self {
        let n = |k: &str| {
            doc.get(k)
                .filter(|v| v.is_number())
                .map(Value::to_string)
                .unwrap_or_default()
        };
        Self {
            ftp: n("ftp_w"),
            max_hr: n("max_hr"),
            hr_zones: pairs_text(doc.get("hr_zones")),
            power_zones: pairs_text(doc.get("power_zones")),
            seasons: doc
                .get("seasons")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|s| {
                            format!(
                                "{}, {}, {}",
                                text(s, "name"),
                                text(s, "start"),
                                text(s, "end")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            gear: doc
                .get("gear")
                .and_then(Value::as_object)
                .map(|g| {
                    g.iter()
                        .map(|(k, v)| match v.as_str() {
                            Some(s) if !s.is_empty() => format!("{k}: {s}"),
                            _ => k.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            error: None,
        }
    }
}

async fn page<'a>(
    c: &'a Ctx,
    handle: &str,
    form: Option<AthleteForm>,
) -> Result<(AthletePage<'a>, bool), Response> {
    let m = member(c, handle).await?;
    let acts = c.st.activities();
    let viewer = c.user.as_ref();
    let doc = acts
        .athlete(viewer, &m.handle)
        .await
        .map_err(|e| c.fail(e))?
        .into_value();
    let seasons = acts
        .season_curves(viewer, &m.handle)
        .await
        .map_err(|e| c.fail(e))?;
    let u = c.units().await;
    let t = c.t;
    let mut series = vec![
        CurveSeries {
            label: t.curve_all_time.to_owned(),
            points: curve_points(doc.pointer("/power_curve/all_time")),
        },
        CurveSeries {
            label: t.curve_365.to_owned(),
            points: curve_points(doc.pointer("/power_curve/last_365d")),
        },
        CurveSeries {
            label: t.curve_90.to_owned(),
            points: curve_points(doc.pointer("/power_curve/last_90d")),
        },
    ];
    for s in seasons.into_iter().take(bincio_svg::MAX_SERIES - 3) {
        series.push(CurveSeries {
            label: s.name,
            points: s.curve,
        });
    }
    let ftp = num(&doc, "ftp_w");
    let curve = bincio_svg::power_curve(
        &series,
        &PowerCurveOptions {
            label: t.power_curve_title.to_owned(),
            ftp,
            ..PowerCurveOptions::default()
        },
    );
    let climbs = doc
        .get("best_climbs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some(Record {
                        what: String::new(),
                        value: u.elevation(num(r, "climb_m")?),
                        extra: String::new(),
                        href: activity_href(&m.handle, text(r, "activity_id")),
                        title: match text(r, "title") {
                            "" => t.untitled.to_owned(),
                            s => s.to_owned(),
                        },
                        date: fmt::start(r, 0)
                            .map(|d| fmt::date(t, &d))
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let is_owner = viewer.is_some_and(|v| v.handle == m.handle);
    let form = is_owner.then(|| form.unwrap_or_else(|| AthleteForm::from_doc(&doc)));
    let refused = form.as_ref().is_some_and(|f| f.error.is_some());
    Ok((
        AthletePage {
            c,
            records: records(c, u, &m.handle, &doc),
            hr_zones: zones(doc.get("hr_zones"), "bpm"),
            power_zones: zones(doc.get("power_zones"), "W"),
            ftp: ftp.map(|f| format!("{f:.0} W")),
            max_hr: num(&doc, "max_hr").map(|v| format!("{v:.0} bpm")),
            head: MemberHead::new(c, &m, "athlete"),
            curve,
            climbs,
            form,
        },
        refused,
    ))
}

/// `GET /u/{handle}/athlete/`.
pub(crate) async fn show(c: Ctx, Path(handle): Path<String>) -> Response {
    match page(&c, &handle, None).await {
        Ok((p, _)) => html(&c, StatusCode::OK, &p),
        Err(r) => r,
    }
}

/// `[[lo, hi]…]` from `0-120, 120-150`; `null` for empty (clears).
fn parse_pairs(s: &str) -> Value {
    let s = s.trim();
    if s.is_empty() {
        return Value::Null;
    }
    Value::Array(
        s.split([',', ';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (a, b) = p.split_once('-').unwrap_or((p, ""));
                let n = |x: &str| {
                    x.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or(Value::String(x.trim().to_owned()), Value::Number)
                };
                json!([n(a), n(b)])
            })
            .collect(),
    )
}

/// The `POST /api/athlete` body the form means (the core validates it).
fn body(form: &PageForm, old_gear: Option<&Map<String, Value>>) -> Value {
    let int = |k: &str| {
        let v = form.get(k).trim();
        if v.is_empty() {
            Value::Null
        } else {
            v.parse::<i64>()
                .map_or(Value::String(v.to_owned()), Value::from)
        }
    };
    let seasons: Vec<Value> = form
        .get("seasons")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let p: Vec<&str> = l.split(',').map(str::trim).collect();
            json!({"name": p.first().copied().unwrap_or(""), "start": p.get(1).copied().unwrap_or(""),
                   "end": p.get(2).copied().unwrap_or("")})
        })
        .collect();
    let mut gear = Map::new();
    for l in form
        .get("gear")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (name, note) = l
            .split_once(':')
            .map_or((l, ""), |(a, b)| (a.trim(), b.trim()));
        // Keep what another client stored under a name that stays.
        let kept = old_gear
            .and_then(|g| g.get(name))
            .filter(|v| !v.is_string());
        let v = match (kept, note.is_empty()) {
            (Some(v), true) => v.clone(),
            (_, false) => Value::String(note.to_owned()),
            (None, true) => Value::String(String::new()),
        };
        gear.insert(name.to_owned(), v);
    }
    json!({
        "ftp_w": int("ftp"),
        "max_hr": int("max_hr"),
        "hr_zones": parse_pairs(form.get("hr_zones")),
        "power_zones": parse_pairs(form.get("power_zones")),
        "seasons": if seasons.is_empty() { Value::Null } else { Value::Array(seasons) },
        "gear": if gear.is_empty() { Value::Null } else { Value::Object(gear) },
    })
}

/// `POST /u/{handle}/athlete/` (the owner's form).
pub(crate) async fn save(
    Member(c, user): Member,
    Path(handle): Path<String>,
    form: PageForm,
) -> Response {
    if user.handle != handle {
        return c.fail(CoreError::NotFound("User not found".into()));
    }
    let acts = c.st.activities();
    let old = match acts.athlete_config(&user.handle).await {
        Ok(cfg) => serde_json::to_value(&cfg).unwrap_or(Value::Null),
        Err(e) => return c.fail(e),
    };
    let b = body(&form, old.get("gear").and_then(Value::as_object));
    match acts.set_athlete(&user, &b).await {
        Ok(_) => c.done(&format!("/u/{handle}/athlete/"), Notice::AthleteSaved),
        Err(e @ (CoreError::Unprocessable(_) | CoreError::Invalid(_))) => {
            let refused = AthleteForm {
                ftp: form.get("ftp").to_owned(),
                max_hr: form.get("max_hr").to_owned(),
                hr_zones: form.get("hr_zones").to_owned(),
                power_zones: form.get("power_zones").to_owned(),
                seasons: form.get("seasons").to_owned(),
                gear: form.get("gear").to_owned(),
                error: Some(super::core_message(&c, &e)),
            };
            match page(&c, &handle, Some(refused)).await {
                Ok((p, _)) => html(&c, StatusCode::UNPROCESSABLE_ENTITY, &p),
                Err(r) => r,
            }
        }
        Err(e) => c.fail(e),
    }
}
