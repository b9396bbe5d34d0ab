//! Fuzz smoke: arbitrary bytes and mutated real files never make the
//! parsers (or the metrics on whatever they accept) panic.
//!
//! FIT mutations would nearly always be stopped by the CRC check, so half of
//! them get their CRCs recomputed: that drives the corrupted bytes through
//! our structural pass and into fitparser's decoder.

use std::io::Read;
use std::sync::OnceLock;

use bincio_extract::{compute, fit::fit_crc, parse_bytes, Limits, Options, Privacy};
use proptest::prelude::*;

fn limits() -> Limits {
    Limits {
        max_xml_bytes: 8 << 20,
        max_fit_bytes: 8 << 20,
        max_points: 200_000,
        ..Limits::default()
    }
}

fn fixture(rel: &str) -> Vec<u8> {
    let path = format!("{}/../tests/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(path).unwrap();
    if rel.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        raw
    }
}

struct Seeds {
    gpx: Vec<u8>,
    gpx_ext: Vec<u8>,
    fit_indoor: Vec<u8>,
    fit_gps: Vec<u8>,
    tcx: Vec<u8>,
}

fn seeds() -> &'static Seeds {
    static S: OnceLock<Seeds> = OnceLock::new();
    S.get_or_init(|| {
        let gpx_ext = fixture("activities/brut/1034867910.gpx");
        let text = String::from_utf8_lossy(&gpx_ext);
        let mut tcx = String::from(
            r#"<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:x="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities><Activity Sport="Running"><Lap><Track>"#,
        );
        for (i, line) in text.lines().filter(|l| l.contains("<time>")).take(200).enumerate() {
            let t = line.trim().trim_start_matches("<time>").trim_end_matches("</time>");
            tcx += &format!(
                "<Trackpoint><Time>{t}</Time><Position><LatitudeDegrees>{}</LatitudeDegrees><LongitudeDegrees>2.1</LongitudeDegrees></Position><AltitudeMeters>{i}</AltitudeMeters><HeartRateBpm><Value>150</Value></HeartRateBpm><Extensions><x:TPX><x:Speed>3</x:Speed><x:Watts>200</x:Watts></x:TPX></Extensions></Trackpoint>",
                41.0 + i as f64 * 1e-4
            );
        }
        tcx += "</Track></Lap></Activity></Activities></TrainingCenterDatabase>";
        Seeds {
            gpx: fixture("activities/brut/1026973739.gpx"),
            gpx_ext,
            fit_indoor: fixture("activities/brut/1526615320.fit.gz"),
            fit_gps: fixture("fit/garmin-fenix-5-bike.fit"),
            tcx: tcx.into_bytes(),
        }
    })
}

/// Parse, and when accepted, compute under two privacy modes.
fn exercise(name: &str, bytes: &[u8]) {
    if let Ok(p) = parse_bytes(name, bytes, &limits()) {
        assert!(!p.points.is_empty());
        let a = compute(&p, &Options::default());
        let _ = serde_json::to_vec(&a.detail).unwrap();
        let _ = compute(
            &p,
            &Options {
                privacy: Privacy::BlurStart,
                ..Options::default()
            },
        );
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if data.is_empty() {
            break;
        }
        let len = data.len();
        match m {
            Mutation::Flip(i, b) => data[i % len] ^= b | 1,
            Mutation::Set(i, b) => data[i % len] = *b,
            Mutation::Truncate(i) => data.truncate(i % len),
            Mutation::Insert(i, v) => {
                let at = i % len;
                data.splice(at..at, v.iter().copied());
            }
            Mutation::Remove(i, n) => {
                let at = i % len;
                data.drain(at..(at + n).min(len));
            }
        }
    }
    data
}

/// Recompute the header and file CRCs of a single-file FIT buffer.
fn fix_fit_crcs(data: &mut [u8]) {
    if data.len() >= 16 && data[0] == 14 {
        let c = fit_crc(&data[..12]);
        data[12..14].copy_from_slice(&c.to_le_bytes());
    }
    if data.len() >= 14 {
        let n = data.len() - 2;
        let c = fit_crc(&data[..n]);
        data[n..].copy_from_slice(&c.to_le_bytes());
        if data.len() >= 12 {
            let size = (data.len() - 2).saturating_sub(data[0] as usize) as u32;
            data[4..8].copy_from_slice(&size.to_le_bytes());
            if data[0] == 14 {
                let c = fit_crc(&data[..12]);
                data[12..14].copy_from_slice(&c.to_le_bytes());
            }
            let c = fit_crc(&data[..n]);
            data[n..].copy_from_slice(&c.to_le_bytes());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for name in ["a.gpx", "a.tcx", "a.fit", "a.gpx.gz", "a.bin"] {
            exercise(name, &bytes);
        }
        // Arbitrary bytes behind a valid FIT header and CRC.
        let mut fit = vec![14u8, 0x20, 0x08, 0x08, 0, 0, 0, 0, b'.', b'F', b'I', b'T', 0, 0];
        fit.extend_from_slice(&bytes);
        fit.extend_from_slice(&[0, 0]);
        fix_fit_crcs(&mut fit);
        exercise("a.fit", &fit);
    }

    #[test]
    fn mutated_gpx_never_panics(muts in proptest::collection::vec(mutation(), 1..8)) {
        exercise("m.gpx", &apply(seeds().gpx.clone(), &muts));
        exercise("m.gpx", &apply(seeds().gpx_ext.clone(), &muts));
    }

    #[test]
    fn mutated_tcx_never_panics(muts in proptest::collection::vec(mutation(), 1..8)) {
        exercise("m.tcx", &apply(seeds().tcx.clone(), &muts));
    }

    #[test]
    fn mutated_fit_never_panics(
        muts in proptest::collection::vec(mutation(), 1..6),
        fix in any::<bool>(),
    ) {
        for seed in [&seeds().fit_indoor, &seeds().fit_gps] {
            let mut data = apply(seed.clone(), &muts);
            if fix {
                fix_fit_crcs(&mut data);
            }
            exercise("m.fit", &data);
        }
    }
}
