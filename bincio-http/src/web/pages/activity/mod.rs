//! The activity page, `/u/{handle}/activity/{id}/`: header, description,
//! photos, stats, map, charts, laps and zones — and, for the owner, the
//! controls to edit, add photos, recalculate, download and delete
//! ([`owner`]).
//!
//! Everything shown comes from the core *as this viewer may see it*
//! (`Activities::detail`, `geojson`, `timeseries`): private is 404 to
//! others, a `no_gps` activity has no track, no positions in the chart
//! data and no coordinates in the detail, `blur_start` only the trimmed
//! track. The page never re-decides privacy; it shows what it is given.

pub(crate) mod charts;
pub(crate) mod drawn;
pub(crate) mod owner;

use std::sync::Arc;

use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::cards::{self, Stat};
use super::feed::member;
use crate::web::ctx::Ctx;
use crate::web::draw;
use crate::web::fmt::{self, num, text};
use crate::web::markdown;
use crate::web::render::{html, CSP};
use crate::web::units::Units;
use charts::{chart_data, zone_pairs, zone_times, ZoneRow};
use drawn::Drawn;

/// A photo of the activity.
pub(crate) struct Photo {
    pub name: String,
    pub url: String,
}

/// One lap row.
pub(crate) struct Lap {
    pub n: String,
    pub time: String,
    pub distance: String,
    pub elevation: String,
    pub speed: String,
    pub hr: String,
    pub power: String,
}

/// A chart slot: the server-drawn fallback and its caption.
#[derive(Debug, Clone)]
pub(crate) struct ChartSlot {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub svg: Option<String>,
}

#[derive(Template)]
#[template(path = "activity.html")]
pub(crate) struct ActivityPage<'a> {
    pub c: &'a Ctx,
    pub handle: String,
    pub owner_name: String,
    pub base: String,
    pub title: String,
    pub sport: String,
    pub sport_label: &'static str,
    pub when: String,
    pub privacy: String,
    pub privacy_label: &'static str,
    pub description_html: String,
    pub gear: String,
    pub device: String,
    pub photos: Vec<Photo>,
    pub stats: Vec<Stat>,
    /// Stats the owner hides from others (shown to the owner only).
    pub hidden_note: Option<String>,
    pub map_svg: Option<String>,
    pub has_track: bool,
    pub tiles_url: String,
    pub tiles_attribution: String,
    pub charts: Vec<ChartSlot>,
    /// The JSON block `activity.js` reads (map track + chart data).
    pub data_json: String,
    pub laps: Vec<Lap>,
    pub hr_zones: Vec<ZoneRow>,
    pub power_zones: Vec<ZoneRow>,
    pub is_owner: bool,
    pub edit: Option<owner::EditForm>,
    /// The error of the photo, elevation or delete form, if refused.
    pub photo_error: Option<String>,
    pub has_original: bool,
}

/// `[[lat, lon]…]` of a GeoJSON `LineString` (`[lon, lat, ele?]`).
fn track_points(geo: &Value) -> Vec<[f64; 2]> {
    geo.pointer("/geometry/coordinates")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| Some([p.get(1)?.as_f64()?, p.get(0)?.as_f64()?]))
                .collect()
        })
        .unwrap_or_default()
}

/// JSON safe inside `<script type="application/json">`: no `<`, `>` or
/// `&` survives (they are written as `\u003c` …), so no text of the
/// document can close the element.
pub(crate) fn script_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn laps(u: Units, doc: &Value) -> Vec<Lap> {
    let Some(laps) = doc.get("laps").and_then(Value::as_array) else {
        return Vec::new();
    };
    laps.iter()
        .take(500)
        .enumerate()
        .map(|(i, l)| Lap {
            n: (i + 1).to_string(),
            time: num(l, "duration_s").map(fmt::clock).unwrap_or_default(),
            distance: num(l, "distance_m")
                .map(|m| u.distance(m))
                .unwrap_or_default(),
            elevation: num(l, "elevation_gain_m")
                .map(|m| u.elevation(m))
                .unwrap_or_default(),
            speed: num(l, "avg_speed_kmh")
                .map(|k| u.speed(k))
                .unwrap_or_default(),
            hr: num(l, "avg_hr_bpm")
                .map(|v| format!("{v:.0}"))
                .unwrap_or_default(),
            power: num(l, "avg_power_w")
                .map(|v| format!("{v:.0}"))
                .unwrap_or_default(),
        })
        .filter(|l| !l.time.is_empty() || !l.distance.is_empty())
        .collect()
}

/// Build the page for `viewer`; `edit` carries a refused form back.
/// Draw the map, charts and zones from the documents as seen.
fn draw_parts(
    c: &Ctx,
    u: Units,
    sport: &str,
    title: &str,
    geo: Option<&Value>,
    ts: Option<&Value>,
    config: &bincio_core::model::AthleteConfig,
) -> Drawn {
    let t = c.t;
    let points = geo.map(track_points).unwrap_or_default();
    let chart = ts.and_then(|ts| chart_data(t, u, sport, ts));
    let charts = chart
        .as_ref()
        .map(|d| {
            d.series
                .iter()
                .map(|s| ChartSlot {
                    key: s.key,
                    label: s.label,
                    unit: s.unit,
                    svg: draw::profile(d, s),
                })
                .collect()
        })
        .unwrap_or_default();
    let round = |x: f64| (x * 1e5).round() / 1e5;
    let data = serde_json::json!({
        "track": points.iter().map(|p| [round(p[0]), round(p[1])]).collect::<Vec<_>>(),
        "charts": chart,
    });
    let (hr_zones, power_zones) = match ts {
        Some(ts) => (
            zone_times(ts, "hr_bpm", &zone_pairs(config.hr_zones.as_ref()), "bpm"),
            zone_times(ts, "power_w", &zone_pairs(config.power_zones.as_ref()), "W"),
        ),
        None => (Vec::new(), Vec::new()),
    };
    Drawn {
        has_track: !points.is_empty(),
        map_svg: draw::map_track(&points, title),
        charts,
        data_json: script_json(&data),
        hr_zones,
        power_zones,
    }
}

/// Build the page for `viewer`; `edit` carries a refused form back.
pub(crate) async fn build<'a>(
    c: &'a Ctx,
    handle: &str,
    id: &str,
    edit: Option<owner::EditForm>,
) -> Result<ActivityPage<'a>, Response> {
    let m = member(c, handle).await?;
    let acts = c.st.activities();
    let viewer = c.user.as_ref();
    let is_owner = viewer.is_some_and(|v| v.handle == m.handle);
    // The generation first: a drawing is never older than it says.
    let generation = acts.generation(&m.handle).await.map_err(|e| c.fail(e))?;
    let config = acts
        .athlete_config(&m.handle)
        .await
        .map_err(|e| c.fail(e))?;
    let u = c.units().await;
    let t = c.t;
    let key: drawn::Key = (
        m.handle.clone(),
        id.to_owned(),
        is_owner,
        u.value(),
        c.lang.code(),
        format!("{:?}{:?}", config.hr_zones, config.power_zones),
    );
    let kept = c.st.drawn().get(&key, generation);
    // Kept: the detail alone (no track parse). Else everything at once.
    let (doc, fresh) = if kept.is_some() {
        let d = acts
            .detail(viewer, &m.handle, id)
            .await
            .map_err(|e| c.fail(e))?;
        (d.into_value(), None)
    } else {
        let v = acts
            .view(viewer, &m.handle, id)
            .await
            .map_err(|e| c.fail(e))?;
        (v.detail.into_value(), Some((v.geojson, v.timeseries)))
    };
    let sport = text(&doc, "sport").to_owned();
    let title = match text(&doc, "title") {
        "" => t.untitled.to_owned(),
        s => s.to_owned(),
    };
    let drawn = match (kept, fresh) {
        (Some(d), _) => d,
        (None, fresh) => {
            let (geo, ts) = fresh.unwrap_or_default();
            let d = Arc::new(draw_parts(
                c,
                u,
                &sport,
                &title,
                geo.as_ref().map(|g| g.as_value()),
                ts.as_ref().map(|t| t.as_value()),
                &config,
            ));
            c.st.drawn().put(key, generation, d.clone());
            d
        }
    };
    let Drawn {
        has_track,
        map_svg,
        charts,
        data_json,
        hr_zones,
        power_zones,
    } = (*drawn).clone();
    let base = cards::activity_href(&m.handle, id);
    let tiles = &c.st.config().tiles;
    let hidden = fmt::strings(&doc, "/custom/hide_stats");
    let hidden_note = (is_owner && !hidden.is_empty()).then(|| {
        crate::web::i18n::fill(
            t.hidden_stats_note,
            &[&hidden
                .iter()
                .map(|h| t.hideable_name(h))
                .collect::<Vec<_>>()
                .join(", ")],
        )
    });
    let photos = fmt::strings(&doc, "/custom/images")
        .into_iter()
        .map(|name| Photo {
            url: format!("{base}photos/{name}"),
            name,
        })
        .collect();
    let privacy = text(&doc, "privacy").to_owned();
    let edit = if is_owner {
        Some(edit.unwrap_or_else(|| owner::EditForm::from_doc(&doc)))
    } else {
        None
    };
    Ok(ActivityPage {
        c,
        owner_name: super::home::display(&m).to_owned(),
        handle: m.handle.clone(),
        when: fmt::start(&doc, 0)
            .map(|d| fmt::date_time(t, &d))
            .unwrap_or_default(),
        sport_label: t.sport_name(&sport),
        privacy_label: t.privacy_name(&privacy),
        privacy,
        description_html: markdown::to_html(text(&doc, "description")),
        gear: text(&doc, "gear").to_owned(),
        device: text(&doc, "device").to_owned(),
        photos,
        stats: cards::stats(c, u, &doc, true),
        hidden_note,
        has_track,
        map_svg,
        tiles_url: tiles.url().to_owned(),
        tiles_attribution: tiles.attribution().to_owned(),
        charts,
        data_json,
        laps: laps(u, &doc),
        hr_zones,
        power_zones,
        is_owner,
        edit,
        photo_error: None,
        has_original: is_owner,
        base,
        title,
        sport,
    })
}

/// The page response: the layout's CSP plus the tile host in `img-src`.
pub(crate) fn respond(c: &Ctx, status: StatusCode, page: &ActivityPage<'_>) -> Response {
    let mut r = html(c, status, page);
    if let Some(host) = c.st.config().tiles.csp_source() {
        let csp = CSP.replacen(
            "img-src 'self' data:",
            &format!("img-src 'self' data: {host}"),
            1,
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            r.headers_mut().insert("content-security-policy", v);
        }
    }
    r
}

/// `GET /u/{handle}/activity/{id}/`.
pub(crate) async fn show(c: Ctx, Path((handle, id)): Path<(String, String)>) -> Response {
    match build(&c, &handle, &id, None).await {
        Ok(page) => respond(&c, StatusCode::OK, &page),
        Err(r) => r,
    }
}

/// `GET /u/{handle}/activity/{id}/photos/{name}`: a photo, as an image
/// only (sniffed type, `nosniff`, a sandbox CSP).
pub(crate) async fn photo(
    c: Ctx,
    Path((handle, id, name)): Path<(String, String, String)>,
) -> Response {
    match c
        .st
        .activities()
        .image(c.user.as_ref(), &handle, &id, &name)
        .await
    {
        Ok(blob) => crate::routes::blob_response(blob),
        Err(e) => c.fail(e),
    }
}
