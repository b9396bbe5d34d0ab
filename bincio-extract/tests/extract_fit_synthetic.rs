//! Hand-built FIT files: multisport legs and `enhanced_speed`.

use bincio_extract::{compute, fit::fit_crc, parse_bytes, Limits, Options};

/// FIT epoch (1989-12-31T00:00:00Z) in Unix seconds.
const FIT_EPOCH: u32 = 631_065_600;

struct FitBuilder {
    body: Vec<u8>,
}

impl FitBuilder {
    fn def(&mut self, local: u8, global: u16, fields: &[(u8, u8, u8)]) {
        self.body.extend_from_slice(&[0x40 | local, 0, 0]);
        self.body.extend_from_slice(&global.to_le_bytes());
        self.body.push(fields.len() as u8);
        for f in fields {
            self.body.extend_from_slice(&[f.0, f.1, f.2]);
        }
    }
    fn data(&mut self, local: u8, bytes: &[u8]) {
        self.body.push(local);
        self.body.extend_from_slice(bytes);
    }
    fn finish(self) -> Vec<u8> {
        let mut f = vec![14u8, 0x20, 0x54, 0x08];
        f.extend_from_slice(&(self.body.len() as u32).to_le_bytes());
        f.extend_from_slice(b".FIT");
        let c = fit_crc(&f);
        f.extend_from_slice(&c.to_le_bytes());
        f.extend_from_slice(&self.body);
        let c = fit_crc(&f);
        f.extend_from_slice(&c.to_le_bytes());
        f
    }
}

/// 2021-06-01T06:00:00Z as a FIT timestamp.
fn t0() -> u32 {
    1_622_527_200 - FIT_EPOCH
}

fn triathlon() -> Vec<u8> {
    let mut b = FitBuilder { body: Vec::new() };
    // record: timestamp, lat, long (semicircles), heart_rate, enhanced_speed (mm/s)
    b.def(
        0,
        20,
        &[
            (253, 4, 0x86),
            (0, 4, 0x85),
            (1, 4, 0x85),
            (3, 1, 0x02),
            (73, 4, 0x86),
        ],
    );
    let deg = |d: f64| ((d / 180.0) * 2_147_483_648.0) as i32;
    for i in 0..600u32 {
        let s = i * 10; // every 10 s for 6000 s
        let speed_mm_s: u32 = if s < 600 {
            1_000
        } else if s < 4200 {
            8_000
        } else {
            3_000
        };
        let mut rec = Vec::new();
        rec.extend_from_slice(&(t0() + s).to_le_bytes());
        rec.extend_from_slice(&deg(45.0 + f64::from(i) * 0.0005).to_le_bytes());
        rec.extend_from_slice(&deg(7.0).to_le_bytes());
        rec.push(140);
        rec.extend_from_slice(&speed_mm_s.to_le_bytes());
        b.data(0, &rec);
    }
    // session: timestamp, start_time, sport, total_elapsed_time (ms), total_distance (cm)
    b.def(
        1,
        18,
        &[
            (253, 4, 0x86),
            (2, 4, 0x86),
            (5, 1, 0x00),
            (7, 4, 0x86),
            (9, 4, 0x86),
        ],
    );
    for (start, dur, sport, dist_m) in [
        (0u32, 600u32, 5u8, 600u32),
        (600, 3600, 2, 28_800),
        (4200, 1800, 1, 5_400),
    ] {
        let mut s = Vec::new();
        s.extend_from_slice(&(t0() + start + dur).to_le_bytes());
        s.extend_from_slice(&(t0() + start).to_le_bytes());
        s.push(sport);
        s.extend_from_slice(&(dur * 1000).to_le_bytes());
        s.extend_from_slice(&(dist_m * 100).to_le_bytes());
        b.data(1, &s);
    }
    b.finish()
}

#[test]
fn multisport_records_legs_and_takes_the_longest_sport() {
    let p = parse_bytes("tri.fit", &triathlon(), &Limits::default()).unwrap();
    assert_eq!(p.points.len(), 600);
    let a = compute(&p, &Options::default());
    let d = &a.detail;
    assert_eq!(d.sport, "cycling", "longest leg");
    let sports: Vec<&str> = d.legs.iter().map(|l| l.sport.as_str()).collect();
    assert_eq!(sports, ["swimming", "cycling", "running"]);
    assert_eq!(d.legs[1].duration_s, Some(3600));
    assert_eq!(d.legs[1].distance_m, Some(28_800.0));
    assert_eq!(d.legs[0].started_at, "2021-06-01T06:00:00+00:00");
    let json = serde_json::to_value(d).unwrap();
    assert_eq!(json["legs"].as_array().unwrap().len(), 3);
}

#[test]
fn enhanced_speed_is_used() {
    let p = parse_bytes("tri.fit", &triathlon(), &Limits::default()).unwrap();
    assert_eq!(p.points[0].speed_kmh, Some(3.6));
    let a = compute(&p, &Options::default());
    // Device speed recorded: max speed is the device's 8 m/s.
    assert_eq!(a.detail.max_speed_kmh, Some(28.8));
    assert_eq!(a.detail.avg_hr_bpm, Some(140));
    assert_eq!(a.detail.id, "2021-06-01T060000Z");
    assert_eq!(a.detail.source.as_deref(), Some("fit_file"));
}

#[test]
fn single_sport_files_have_no_legs() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/fit/garmin-fenix-5-bike.fit"
    );
    let bytes = std::fs::read(path).unwrap();
    let p = parse_bytes("r.fit", &bytes, &Limits::default()).unwrap();
    let d = compute(&p, &Options::default()).detail;
    assert!(d.legs.is_empty());
    assert!(serde_json::to_value(&d).unwrap().get("legs").is_none());
}
