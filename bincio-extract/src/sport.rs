//! Sport and sub-sport normalisation (contract §4.3), Strava numeric GPX
//! types, and the speed rule for files that name no sport.

/// The sports of the BAS schema.
pub const SPORTS: [&str; 7] = [
    "cycling", "running", "hiking", "walking", "swimming", "skiing", "other",
];

/// The contract's key: insert `_` before every capital, lower-case, strip
/// leading `_`, spaces / hyphens → `_`, strip leading digits.
pub fn sport_key(raw: &str) -> String {
    let raw = raw.trim();
    let mut s = String::with_capacity(raw.len() + 4);
    for c in raw.chars() {
        if c.is_uppercase() {
            s.push('_');
            s.extend(c.to_lowercase());
        } else {
            s.extend(c.to_lowercase());
        }
    }
    let s = s.trim_start_matches('_').replace([' ', '-'], "_");
    s.trim_start_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

/// Strava GPX exports sometimes write the activity type as a number
/// (`<type>9</type>`). The reference strips the digits and ends with
/// "other"; we map the codes Strava is known to use to their type names
/// (1 Ride, 2 AlpineSki, 3 BackcountrySki, 4 Hike, 7 NordicSki, 9 Run,
/// 10 Walk, 16 Swim, 17 VirtualRide, 18 EBikeRide, 19 Velomobile,
/// 32 Handcycle). Unknown codes stay unknown ("other").
pub fn strava_type_code(raw: &str) -> Option<&'static str> {
    let code: u32 = raw.trim().parse().ok()?;
    Some(match code {
        1 => "Ride",
        2 => "AlpineSki",
        3 => "BackcountrySki",
        4 => "Hike",
        7 => "NordicSki",
        9 => "Run",
        10 => "Walk",
        16 => "Swim",
        17 => "VirtualRide",
        18 => "EBikeRide",
        19 => "Velomobile",
        32 => "Handcycle",
        _ => return None,
    })
}

/// Normalise a raw sport name to one of [`SPORTS`] (default `other`).
pub fn normalize_sport(raw: Option<&str>) -> &'static str {
    let Some(raw) = raw else { return "other" };
    let raw = strava_type_code(raw).unwrap_or(raw);
    match sport_key(raw).as_str() {
        "cycling" | "biking" | "bike" | "ride" | "road_biking" | "road_cycling"
        | "mountain_biking" | "mountain_bike_ride" | "gravel_cycling" | "gravel_ride"
        | "cyclocross" | "indoor_cycling" | "indoor_ride" | "virtual_ride" | "e_biking"
        | "ebikeride" | "e_bike_ride" | "ebike_ride" | "handcycle" | "velomobile" => "cycling",
        "running" | "run" | "trail_running" | "trail_run" | "treadmill_running" | "treadmill"
        | "virtual_run" | "outdoor_run" | "indoor_run" | "track_run" => "running",
        "hiking" | "hike" | "outdoor_hike" => "hiking",
        "walking" | "walk" | "outdoor_walk" => "walking",
        "skiing"
        | "cross_country_skiing"
        | "nordic_skiing"
        | "nordic_ski"
        | "downhill_skiing"
        | "alpine_skiing"
        | "alpine_ski"
        | "skate_skiing"
        | "backcountry_skiing"
        | "backcountry_ski" => "skiing",
        "swimming" | "swim" | "open_water_swimming" | "lap_swimming" => "swimming",
        _ => "other",
    }
}

/// Sub-sport of a GPX / TCX / Strava type name (contract §4.3), or `None`.
pub fn normalize_sub_sport(raw: Option<&str>) -> Option<&'static str> {
    let raw = raw?;
    let raw = strava_type_code(raw).unwrap_or(raw);
    Some(match sport_key(raw).as_str() {
        "ride" | "road_biking" | "road_cycling" => "road",
        "mountain_biking" | "mountain_bike_ride" => "mountain",
        "gravel_cycling" | "gravel_ride" | "cyclocross" => "gravel",
        "indoor_cycling" | "indoor_ride" | "virtual_ride" => "indoor",
        "trail_running" | "trail_run" => "trail",
        "treadmill_running" | "treadmill" | "indoor_run" | "virtual_run" => "indoor",
        "track_run" => "track",
        "cross_country_skiing"
        | "nordic_skiing"
        | "nordic_ski"
        | "skate_skiing"
        | "backcountry_skiing"
        | "backcountry_ski" => "nordic",
        "downhill_skiing" | "alpine_skiing" | "alpine_ski" => "alpine",
        "open_water_swimming" => "open_water",
        "lap_swimming" => "pool",
        _ => return None,
    })
}

/// FIT sub-sport names (contract §4.2). Unlike the reference, values outside
/// the schema's enum are dropped (`None`) instead of passed through.
pub fn fit_sub_sport(raw: &str) -> Option<&'static str> {
    Some(match raw {
        "virtual_activity" | "indoor_cycling" => "indoor",
        "road" => "road",
        "mountain" => "mountain",
        "gravel_cycling" | "cyclocross" => "gravel",
        "trail" => "trail",
        "track" => "track",
        "cross_country_skiing" | "nordic_skiing" | "skate_skiing" | "backcountry_skiing" => {
            "nordic"
        }
        "treadmill" | "indoor_running" => "indoor",
        "lap_swimming" => "pool",
        "open_water" => "open_water",
        _ => return None,
    })
}

/// Sport for a GPX file that names none (Wikiloc, Geo Tracker, …).
///
/// The reference always says "cycling", which turns every hike into a ride.
/// Rule, on the moving average speed (km/h) and the climbing per km:
/// * ≥ 14 km/h → cycling (beyond sustained amateur running pace);
/// * ≥ 6.5 km/h → running (beyond a brisk walk);
/// * otherwise walking on foot: hiking when it climbs ≥ 20 m per km (or the
///   climb is unknown but the route is long, ≥ 10 km), else walking;
/// * no moving speed at all → "other".
///
/// Slow mountain-bike rides (< 14 km/h) are misread as running; a speed rule
/// cannot tell them apart, and users can edit the sport.
pub fn infer_from_speed(
    avg_moving_kmh: Option<f64>,
    distance_m: Option<f64>,
    gain_m: Option<f64>,
) -> &'static str {
    let Some(v) = avg_moving_kmh.filter(|v| v.is_finite() && *v > 0.0) else {
        return "other";
    };
    if v >= 14.0 {
        "cycling"
    } else if v >= 6.5 {
        "running"
    } else {
        let km = distance_m.unwrap_or(0.0) / 1000.0;
        match gain_m {
            Some(g) if km > 0.0 && g / km >= 20.0 => "hiking",
            None if km >= 10.0 => "hiking",
            _ => "walking",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants() {
        assert_eq!(normalize_sport(Some("e-biking")), "cycling");
        assert_eq!(normalize_sport(Some("Run")), "running");
        assert_eq!(normalize_sport(Some("backcountry_ski")), "skiing");
        assert_eq!(normalize_sport(Some("MountainBikeRide")), "cycling");
        assert_eq!(normalize_sport(Some("yoga")), "other");
        assert_eq!(normalize_sport(None), "other");
        assert_eq!(normalize_sport(Some("Biking")), "cycling");
    }

    #[test]
    fn strava_numeric_types() {
        assert_eq!(normalize_sport(Some("9")), "running");
        assert_eq!(normalize_sport(Some("1")), "cycling");
        assert_eq!(normalize_sport(Some("10")), "walking");
        assert_eq!(normalize_sport(Some("4")), "hiking");
        assert_eq!(normalize_sport(Some("999")), "other");
        assert_eq!(normalize_sub_sport(Some("17")), Some("indoor"));
    }

    #[test]
    fn sub_sports() {
        assert_eq!(
            normalize_sub_sport(Some("MountainBikeRide")),
            Some("mountain")
        );
        assert_eq!(normalize_sub_sport(Some("GravelRide")), Some("gravel"));
        assert_eq!(normalize_sub_sport(Some("VirtualRide")), Some("indoor"));
        assert_eq!(normalize_sub_sport(Some("Ride")), Some("road"));
        assert_eq!(normalize_sub_sport(Some("AlpineSki")), Some("alpine"));
        assert_eq!(normalize_sub_sport(Some("NordicSki")), Some("nordic"));
        assert_eq!(normalize_sub_sport(Some("BackcountrySki")), Some("nordic"));
        assert_eq!(normalize_sub_sport(Some("generic")), None);
        assert_eq!(normalize_sub_sport(None), None);
    }

    #[test]
    fn speed_rule() {
        assert_eq!(infer_from_speed(Some(20.0), None, None), "cycling");
        assert_eq!(infer_from_speed(Some(10.0), None, None), "running");
        assert_eq!(
            infer_from_speed(Some(3.6), Some(13_000.0), Some(640.0)),
            "hiking"
        );
        assert_eq!(
            infer_from_speed(Some(4.5), Some(3_000.0), Some(10.0)),
            "walking"
        );
        assert_eq!(infer_from_speed(None, None, None), "other");
    }
}
