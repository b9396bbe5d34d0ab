//! Parser features and the deliberate fixes, on small hand-written files.

use std::io::{Read, Write};

use bincio_extract::expand::gzip_bomb;
use bincio_extract::{compute, fit::fit_crc, parse_bytes, ExtractError, Limits, Options, Privacy};

fn gpx_with(ext: &str, ty: &str) -> String {
    let mut s = format!(
        r#"<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"><trk>{ty}<trkseg>"#
    );
    for i in 0..120 {
        // ~11 m per 4 s northwards (≈ 10 km/h).
        s += &format!(
            r#"<trkpt lat="{:.7}" lon="2.0"><ele>{}</ele><time>2020-05-01T07:{:02}:{:02}Z</time>{}</trkpt>"#,
            41.0 + i as f64 * 0.0001,
            100 + i,
            (i * 4) / 60,
            (i * 4) % 60,
            ext
        );
    }
    s + "</trkseg></trk></gpx>"
}

fn parse(name: &str, data: &[u8]) -> Result<bincio_extract::ParsedActivity, ExtractError> {
    parse_bytes(name, data, &Limits::default())
}

#[test]
fn gpx_extensions_with_and_without_prefix() {
    let prefixed = "<extensions><gpxtpx:TrackPointExtension><gpxtpx:atemp>21.5</gpxtpx:atemp><gpxtpx:hr>150</gpxtpx:hr><gpxtpx:cad>85.6</gpxtpx:cad><gpxtpx:speed>2.5</gpxtpx:speed></gpxtpx:TrackPointExtension><power>250</power></extensions>";
    let plain = "<extensions><TrackPointExtension><hr>150</hr><cad>85</cad><pwr>250</pwr></TrackPointExtension></extensions>";
    for ext in [prefixed, plain] {
        let p = parse("a.gpx", gpx_with(ext, "<type>running</type>").as_bytes()).unwrap();
        let pt = p.points[0];
        assert_eq!(pt.hr_bpm, Some(150));
        assert_eq!(pt.cadence_rpm, Some(85));
        assert_eq!(pt.power_w, Some(250));
        assert_eq!(p.sport, "running");
    }
    let p = parse("a.gpx", gpx_with(prefixed, "").as_bytes()).unwrap();
    assert_eq!(p.points[0].temperature_c, Some(21.5));
    assert_eq!(p.points[0].speed_kmh, Some(9.0));
}

#[test]
fn strava_numeric_type_and_speed_inference() {
    let p = parse("a.gpx", gpx_with("", "<type>9</type>").as_bytes()).unwrap();
    assert_eq!(p.sport, "running");
    let p = parse("a.gpx", gpx_with("", "<type>1</type>").as_bytes()).unwrap();
    assert_eq!(p.sport, "cycling");
    // Untyped at ~10 km/h: running, not the reference's "cycling".
    let p = parse("a.gpx", gpx_with("", "").as_bytes()).unwrap();
    assert!(p.sport_inferred);
    assert_eq!(compute(&p, &Options::default()).detail.sport, "running");
}

fn tcx(ns: &str) -> String {
    let mut s = format!(
        r#"
   <?xml version="1.0"?><TrainingCenterDatabase xmlns="{ns}://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="{ns}://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities><Activity Sport="Running"><Lap StartTime="2021-03-04T05:06:07Z"><DistanceMeters>999</DistanceMeters><Track>"#
    );
    for i in 0..10 {
        s += &format!(
            r#"<Trackpoint><Time>2021-03-04T06:06:{:02}+01:00</Time><Position><LatitudeDegrees>{}</LatitudeDegrees><LongitudeDegrees>7.0</LongitudeDegrees></Position><AltitudeMeters>10</AltitudeMeters><DistanceMeters>{}</DistanceMeters><HeartRateBpm><Value>140</Value></HeartRateBpm><Cadence>90</Cadence><Extensions><ns3:TPX><ns3:Speed>3.0</ns3:Speed><ns3:Watts>200</ns3:Watts></ns3:TPX></Extensions></Trackpoint>"#,
            7 + i,
            45.0 + i as f64 * 0.00003,
            i * 3
        );
    }
    s + "</Track></Lap></Activity><Activity Sport=\"Biking\"/></Activities></TrainingCenterDatabase>"
}

#[test]
fn tcx_both_namespaces() {
    for ns in ["http", "https"] {
        let p = parse("x.tcx", tcx(ns).as_bytes()).unwrap();
        assert_eq!(p.points.len(), 10);
        assert_eq!(p.sport, "running");
        let pt = p.points[0];
        assert_eq!(pt.hr_bpm, Some(140));
        assert_eq!(pt.cadence_rpm, Some(90));
        assert_eq!(pt.power_w, Some(200));
        assert_eq!(pt.distance_m, Some(0.0));
        assert!((pt.speed_kmh.unwrap() - 10.8).abs() < 1e-9);
        let a = compute(&p, &Options::default());
        assert_eq!(a.detail.id, "2021-03-04T050607Z");
        assert_eq!(a.detail.distance_m, Some(27.0));
        assert_eq!(a.detail.source.as_deref(), Some("tcx_file"));
        assert_eq!(a.detail.max_power_w, Some(200));
    }
    let naive = tcx("http").replace("+01:00", "");
    assert!(matches!(
        parse("x.tcx", naive.as_bytes()),
        Err(ExtractError::Malformed { .. })
    ));
}

#[test]
fn implausible_timestamps_are_errors() {
    let old = gpx_with("", "").replace("2020-05-01", "1980-05-01");
    assert!(matches!(
        parse("a.gpx", old.as_bytes()),
        Err(ExtractError::BadTimestamp { .. })
    ));
    let future = gpx_with("", "").replace("2020-05-01", "2999-05-01");
    assert!(matches!(
        parse("a.gpx", future.as_bytes()),
        Err(ExtractError::BadTimestamp { .. })
    ));
}

#[test]
fn empty_and_broken_inputs() {
    let no_pts = r#"<gpx><trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>"#;
    assert!(matches!(
        parse("a.gpx", no_pts.as_bytes()),
        Err(ExtractError::NoDataPoints { .. })
    ));
    assert!(matches!(
        parse("a.gpx", b"<gpx><trk><trkseg><trkpt lat=\"1\""),
        Err(ExtractError::Malformed { .. })
    ));
    assert!(matches!(
        parse("a.txt", b"hello"),
        Err(ExtractError::UnsupportedFormat { .. })
    ));
    // A header-only FIT file (fitparser returns Ok with no records).
    let mut h = vec![14u8, 0x20, 0x08, 0x08, 0, 0, 0, 0, b'.', b'F', b'I', b'T'];
    let c = fit_crc(&h);
    h.extend_from_slice(&c.to_le_bytes());
    let c = fit_crc(&h);
    h.extend_from_slice(&c.to_le_bytes());
    assert!(matches!(
        parse("h.fit", &h),
        Err(ExtractError::NoDataPoints { .. })
    ));
}

#[test]
fn fit_crc_mismatch_is_an_error() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/fit/garmin-fenix-5-bike.fit"
    );
    let mut bytes = std::fs::read(path).unwrap();
    assert!(parse("r.fit", &bytes).is_ok());
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let err = parse("r.fit", &bytes).unwrap_err();
    assert!(err.to_string().contains("CRC"), "{err}");
    bytes.truncate(mid);
    assert!(parse("r.fit", &bytes).is_err());
}

#[test]
fn no_gps_removes_every_location() {
    let p = parse("a.gpx", gpx_with("", "<type>running</type>").as_bytes()).unwrap();
    let opts = Options {
        privacy: Privacy::NoGps,
        ..Options::default()
    };
    let a = compute(&p, &opts);
    let d = &a.detail;
    assert!(d.bbox.is_none() && d.start_latlng.is_none() && d.end_latlng.is_none());
    assert!(a.geojson.is_none() && a.preview_coords.is_none());
    let s = a.summary();
    assert!(s.track_url.is_none() && s.preview_coords.is_none());
    assert!(d.distance_m.unwrap() > 1000.0);
    let ts = a.timeseries.unwrap();
    assert!(ts.lat.is_none() && ts.lon.is_none());
}

#[test]
fn blur_start_trims_both_ends() {
    let p = parse("a.gpx", gpx_with("", "<type>running</type>").as_bytes()).unwrap();
    let public = compute(&p, &Options::default());
    let blurred = compute(
        &p,
        &Options {
            privacy: Privacy::BlurStart,
            ..Options::default()
        },
    );
    // Track ~1.3 km northwards: the first/last 200 m (≈ 0.0018°) are gone.
    let (s0, s1) = (
        public.detail.start_latlng.unwrap(),
        blurred.detail.start_latlng.unwrap(),
    );
    assert!(s1[0] - s0[0] > 0.0017, "{s0:?} {s1:?}");
    let (e0, e1) = (
        public.detail.end_latlng.unwrap(),
        blurred.detail.end_latlng.unwrap(),
    );
    assert!(e0[0] - e1[0] > 0.0017);
    let bbox = blurred.detail.bbox.unwrap();
    assert!(bbox[1] >= s1[0] && bbox[3] <= e1[0]);
    let coords = &blurred.geojson.unwrap().geometry.coordinates;
    assert!(coords.iter().all(|c| c[1] >= s1[0] && c[1] <= e1[0]));
    let pv = blurred.preview_coords.unwrap();
    assert!(pv
        .iter()
        .all(|c| c[0] >= s1[0] - 1e-5 && c[0] <= e1[0] + 1e-5));
    let ts = blurred.timeseries.unwrap();
    let lat = ts.lat.unwrap();
    assert!(lat[0].is_none() && lat[lat.len() - 1].is_none());
    assert!(lat.iter().flatten().all(|v| *v >= s1[0] && *v <= e1[0]));
    // Figures are unchanged by privacy.
    assert_eq!(public.detail.distance_m, blurred.detail.distance_m);
}

#[test]
fn gzip_bomb_is_refused_quickly() {
    // 1 GiB of zeros in ~1 MiB of gzip, built in the test.
    let bomb = gzip_bomb(1024, false);
    assert!(bomb.len() < 2 << 20);
    // ~1000× expansion: refused by the ratio check after the first MiB.
    let err = parse_bytes("bomb.gpx.gz", &bomb, &Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bomb.gpx.gz: too large: decompresses to more than 500 times its compressed size \
         (a decompression bomb)"
    );
    // With the ratio check out of the way, the per-format size limit.
    let limits = Limits {
        max_xml_bytes: 16 << 20,
        max_gzip_ratio: u64::MAX,
        ..Limits::default()
    };
    let err = parse_bytes("bomb.gpx.gz", &bomb, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bomb.gpx.gz: too large: decompresses to more than 16 MiB"
    );
    // FIT has its own, smaller limit; both are far below the bomb's 1 GiB.
    let limits = Limits {
        max_gzip_ratio: u64::MAX,
        ..Limits::default()
    };
    let err = parse_bytes("bomb.fit.gz", &bomb, &limits).unwrap_err();
    assert!(err.to_string().ends_with("more than 64 MiB"), "{err}");
    assert_eq!(Limits::default().max_xml_bytes, 128 << 20);
}

#[test]
fn plain_content_has_the_same_per_format_limit() {
    let limits = Limits {
        max_xml_bytes: 1 << 20,
        ..Limits::default()
    };
    let mut gpx = b"<gpx>".to_vec();
    gpx.resize((1 << 20) + 1, b' ');
    let err = parse_bytes("big.gpx", &gpx, &limits).unwrap_err();
    assert_eq!(err.to_string(), "big.gpx: too large: larger than 1 MiB");
}

#[test]
fn gzipped_fixtures_parse_as_their_plain_content() {
    // The bounded two-pass inflation changes nothing for real files, small
    // (one pass) or past the eager buffer (measured, then read again).
    for rel in [
        "brut/947905012.gpx.gz",
        "dave/901582433.gpx.gz",
        "brut/1526615320.fit.gz",
    ] {
        let path = format!(
            "{}/../tests/data/activities/{rel}",
            env!("CARGO_MANIFEST_DIR")
        );
        let gz = std::fs::read(path).unwrap();
        let mut plain = Vec::new();
        flate2::read::MultiGzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .unwrap();
        let name = rel.rsplit('/').next().unwrap();
        let plain_name = name.trim_end_matches(".gz");
        let a = parse_bytes(name, &gz, &Limits::default()).unwrap();
        let b = parse_bytes(plain_name, &plain, &Limits::default()).unwrap();
        assert_eq!(a.points, b.points, "{rel}");
        assert_eq!((a.sport, a.started_at), (b.sport, b.started_at), "{rel}");
    }
    // A GPX larger than the eager buffer, gzipped: same points as plain.
    let path = format!(
        "{}/../tests/data/activities/brut/823051793.gpx",
        env!("CARGO_MANIFEST_DIR")
    );
    let one = std::fs::read(path).unwrap();
    let body_start = one.windows(8).position(|w| w == b"<trkseg>").unwrap() + 8;
    let body_end = one.windows(9).rposition(|w| w == b"</trkseg>").unwrap();
    // The same segment many times: > 8 MiB, points out of order are sorted.
    let mut big = one[..body_end].to_vec();
    while big.len() < 9 << 20 {
        big.extend_from_slice(&one[body_start..body_end]);
    }
    big.extend_from_slice(&one[body_end..]);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&big).unwrap();
    let gz = enc.finish().unwrap();
    let a = parse_bytes("big.gpx.gz", &gz, &Limits::default()).unwrap();
    let b = parse_bytes("big.gpx", &big, &Limits::default()).unwrap();
    assert_eq!(a.points.len(), b.points.len());
    assert_eq!(a.points, b.points);
}
