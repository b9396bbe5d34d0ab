//! Differential test of the fast FIT decoder against fitparser.
//!
//! `fit::decode_fast` (our decoder) and `fit::decode_reference` (fitparser
//! 0.11, the previous decoder) must give the same points, laps, legs, sport
//! and device — value for value — on:
//! * every FIT file under `tests/data` (the `.fit.gz` fixtures and the
//!   fitparser fixtures, chained files included), which the fast decoder
//!   must claim;
//! * generated files exercising what real devices do less often: big-endian
//!   definitions, compressed-timestamp headers (with roll-over), invalid
//!   sentinels, arrays and odd-sized fields, unknown base types and fields,
//!   component expansion (altitude, speed, compressed speed/distance,
//!   average speed), developer fields (described, undescribed, shadowing a
//!   field name), chained files, multisport sessions;
//! * real files with random bytes changed and their CRCs recomputed.
//!
//! Where the fast decoder declines a file, `parse_bytes` uses fitparser, so
//! only claimed files are compared; the test also checks that enough of the
//! generated files are claimed for the comparison to mean something.

use std::io::Read;
use std::path::{Path, PathBuf};

use bincio_extract::fit::{decode_fast, decode_reference, fit_crc, FitContent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MAX_POINTS: usize = 200_000;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

fn fit_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            fit_files(&p, out);
        } else {
            let n = p.file_name().unwrap().to_string_lossy().to_lowercase();
            if n.ends_with(".fit") || n.ends_with(".fit.gz") {
                out.push(p);
            }
        }
    }
}

fn load(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).unwrap();
    if p.extension().is_some_and(|e| e == "gz") {
        let mut v = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut v)
            .unwrap();
        v
    } else {
        raw
    }
}

type Outcome = Result<FitContent, String>;

/// `Some(outcome)` when the fast decoder claims the file.
fn fast(name: &str, data: &[u8]) -> Option<Outcome> {
    match decode_fast(name, data, MAX_POINTS) {
        Ok(Some(c)) => Some(Ok(c)),
        Ok(None) => None,
        Err(e) => Some(Err(e.to_string())),
    }
}

fn reference(name: &str, data: &[u8]) -> Outcome {
    decode_reference(name, data, MAX_POINTS).map_err(|e| e.to_string())
}

/// Compare point by point first, so a failure names the first difference.
fn assert_same(what: &str, fast: &Outcome, reference: &Outcome) {
    if let (Ok(a), Ok(b)) = (fast, reference) {
        assert_eq!(a.points.len(), b.points.len(), "{what}: number of points");
        for (i, (x, y)) in a.points.iter().zip(&b.points).enumerate() {
            assert_eq!(x, y, "{what}: point {i}");
        }
        assert_eq!(a.laps, b.laps, "{what}: laps");
        assert_eq!(a.legs, b.legs, "{what}: legs");
    }
    assert_eq!(fast, reference, "{what}");
}

#[test]
fn every_repository_fit_file_decodes_exactly_as_fitparser() {
    let mut files = Vec::new();
    fit_files(&data_dir(), &mut files);
    files.sort();
    assert!(files.len() >= 5, "FIT fixtures found: {files:?}");
    for p in &files {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let data = load(p);
        let f = fast(&name, &data).unwrap_or_else(|| panic!("{name}: fast decoder declined"));
        let r = reference(&name, &data);
        assert!(r.is_ok(), "{name}: {r:?}");
        assert!(
            !r.as_ref().unwrap().points.is_empty(),
            "{name}: no points to compare"
        );
        assert_same(&name, &f, &r);
    }
}

// ---- generated files ----

/// FIT epoch (1989-12-31T00:00:00Z) in Unix seconds.
const FIT_EPOCH: u32 = 631_065_600;

/// One FIT file of a chain, built message by message.
struct Fit {
    body: Vec<u8>,
    big: bool,
}

impl Fit {
    fn def(&mut self, local: u8, global: u16, fields: &[(u8, u8, u8)], dev: &[(u8, u8, u8)]) {
        let dev_flag = if dev.is_empty() { 0 } else { 0x20 };
        self.body.push(0x40 | dev_flag | local);
        self.body.push(0);
        self.body.push(u8::from(self.big));
        let g = if self.big {
            global.to_be_bytes()
        } else {
            global.to_le_bytes()
        };
        self.body.extend_from_slice(&g);
        self.body.push(fields.len() as u8);
        for f in fields {
            self.body.extend_from_slice(&[f.0, f.1, f.2]);
        }
        if !dev.is_empty() {
            self.body.push(dev.len() as u8);
            for f in dev {
                self.body.extend_from_slice(&[f.0, f.1, f.2]);
            }
        }
    }
    /// A normal-header data message.
    fn data(&mut self, local: u8, payload: &[u8]) {
        self.body.push(local);
        self.body.extend_from_slice(payload);
    }
    /// A compressed-timestamp data message (local 0–3, offset 0–31).
    fn data_compressed(&mut self, local: u8, offset: u8, payload: &[u8]) {
        self.body.push(0x80 | (local << 5) | (offset & 0x1F));
        self.body.extend_from_slice(payload);
    }
    /// An integer of `size` bytes in the file's byte order.
    fn int(&self, v: u64, size: usize) -> Vec<u8> {
        let le = v.to_le_bytes();
        let mut b = le[..size].to_vec();
        if self.big {
            b.reverse();
        }
        b
    }
    fn finish(self, out: &mut Vec<u8>) {
        let mut f = vec![14u8, 0x20, 0x54, 0x08];
        f.extend_from_slice(&(self.body.len() as u32).to_le_bytes());
        f.extend_from_slice(b".FIT");
        let c = fit_crc(&f);
        f.extend_from_slice(&c.to_le_bytes());
        f.extend_from_slice(&self.body);
        let c = fit_crc(&f);
        f.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&f);
    }
}

/// A field of the generated `record` definition: number, size, base type.
type FieldDef = (u8, u8, u8);

/// The record field menu: usual encodings first, then odd ones.
fn record_fields(rng: &mut StdRng) -> Vec<FieldDef> {
    let mut f: Vec<FieldDef> = vec![(253, 4, 0x86)];
    let mut pick = |p: f64, usual: FieldDef, odd: &[FieldDef], rng: &mut StdRng| {
        if rng.random_bool(p) {
            if !odd.is_empty() && rng.random_bool(0.2) {
                f.push(odd[rng.random_range(0..odd.len())]);
            } else {
                f.push(usual);
            }
        }
    };
    pick(0.8, (0, 4, 0x85), &[(0, 8, 0x85), (0, 3, 0x85)], rng);
    pick(0.8, (1, 4, 0x85), &[(1, 4, 0x86)], rng);
    // altitude or enhanced_altitude (never both: fitparser's order between
    // a real field and an expanded one depends on hash iteration).
    if rng.random_bool(0.5) {
        pick(
            0.8,
            (2, 2, 0x84),
            &[(2, 4, 0x84), (2, 1, 0x84), (2, 4, 0x86)],
            rng,
        );
    } else {
        pick(0.8, (78, 4, 0x86), &[(78, 2, 0x84), (78, 8, 0x86)], rng);
    }
    pick(
        0.7,
        (3, 1, 0x02),
        &[(3, 2, 0x02), (3, 1, 0x0D), (3, 1, 0x03)],
        rng,
    );
    pick(0.5, (4, 1, 0x02), &[(4, 1, 0x0A), (4, 2, 0x84)], rng);
    pick(0.5, (7, 2, 0x84), &[(7, 3, 0x84), (7, 2, 0x8B)], rng);
    pick(0.4, (13, 1, 0x01), &[(13, 2, 0x83)], rng);
    match rng.random_range(0..4) {
        0 => {
            pick(0.9, (6, 2, 0x84), &[(6, 4, 0x84)], rng);
            pick(0.7, (5, 4, 0x86), &[], rng);
        }
        1 => {
            pick(0.9, (73, 4, 0x86), &[(73, 2, 0x84)], rng);
            pick(0.7, (5, 4, 0x86), &[(5, 8, 0x8F)], rng);
        }
        2 => pick(1.0, (8, 3, 0x0D), &[(8, 3, 0x02), (8, 6, 0x0D)], rng),
        _ => {}
    }
    // Fields we do not read, and a few unknown ones.
    pick(0.3, (53, 1, 0x02), &[], rng);
    pick(0.2, (200, 2, 0x84), &[(200, 3, 0x07), (201, 4, 0x88)], rng);
    // Field order does not matter to fitparser's output.
    for i in (1..f.len()).rev() {
        let j = rng.random_range(0..=i);
        f.swap(i, j);
    }
    f
}

/// A random value of `size` bytes for a field, sometimes an invalid
/// sentinel (all 0xFF, or 0x7F…/0 patterns).
fn value(fit: &Fit, rng: &mut StdRng, size: usize, typical: u64) -> Vec<u8> {
    match rng.random_range(0..20) {
        0 => vec![0xFF; size],
        1 => vec![0; size],
        2 => {
            let mut v = vec![0xFF; size];
            if fit.big {
                v[0] = 0x7F;
            } else {
                v[size - 1] = 0x7F;
            }
            v
        }
        _ => {
            let mut v = Vec::with_capacity(size);
            let mut left = size;
            while left > 0 {
                let n = left.min(8);
                let x = typical.wrapping_add(rng.random_range(0..64));
                v.extend(fit.int(x, n));
                left -= n;
            }
            v
        }
    }
}

fn typical(field: u8, t: u32) -> u64 {
    match field {
        253 => u64::from(t),
        0 => (45.5f64 / 180.0 * 2_147_483_648.0) as u64,
        1 => (7.25f64 / 180.0 * 2_147_483_648.0) as u64,
        2 => 2_600,
        78 => 2_600,
        3 => 130,
        4 => 85,
        5 => u64::from(t % 10_000) * 100,
        6 | 73 => 5_500,
        7 => 210,
        8 => 0x0A_05_0F,
        13 => 21,
        _ => 17,
    }
}

/// A developer field description (`field_description`, local 5).
fn describe(fit: &mut Fit, dev_index: u8, field: u8, base: u8, name: &str) {
    let mut name_b = name.as_bytes().to_vec();
    name_b.resize(16, 0);
    fit.def(
        5,
        206,
        &[(0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02), (3, 16, 0x07)],
        &[],
    );
    let mut p = vec![dev_index, field, base];
    p.extend_from_slice(&name_b);
    fit.data(5, &p);
}

fn gen_section(rng: &mut StdRng, out: &mut Vec<u8>, t0: u32) {
    let mut fit = Fit {
        body: Vec::new(),
        big: rng.random_bool(0.3),
    };
    // file_id: type, manufacturer, product, product_name
    let manufacturer: u64 = [1, 263, 255, 32, 89, 15, 5000][rng.random_range(0..7)];
    fit.def(
        0,
        0,
        &[(0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (8, 12, 0x07)],
        &[],
    );
    let mut p = vec![4];
    p.extend(fit.int(manufacturer, 2));
    p.extend(fit.int(rng.random_range(1..4000), 2));
    let mut pname = if rng.random_bool(0.5) {
        b"Edge 530".to_vec()
    } else {
        vec![]
    };
    pname.resize(12, 0);
    p.extend(pname);
    fit.data(0, &p);
    // device_info: device_index, manufacturer, product
    if rng.random_bool(0.7) {
        fit.def(1, 23, &[(0, 1, 0x02), (2, 2, 0x84), (4, 2, 0x84)], &[]);
        for idx in [1u8, 0] {
            let mut p = vec![idx];
            p.extend(fit.int([1, 263, 32][rng.random_range(0..3)], 2));
            p.extend(fit.int(rng.random_range(1..3000), 2));
            fit.data(1, &p);
        }
    }
    // sport
    if rng.random_bool(0.6) {
        fit.def(2, 12, &[(0, 1, 0x00), (1, 1, 0x00)], &[]);
        fit.data(2, &[rng.random_range(0..6), rng.random_range(0..12)]);
    }
    // developer fields on records, sometimes
    let mut dev: Vec<FieldDef> = Vec::new();
    if rng.random_bool(0.3) {
        match rng.random_range(0..5) {
            0 => {}                                            // undescribed: fitparser refuses the file
            1 => describe(&mut fit, 0, 1, 0x84, "heart_rate"), // shadows a field
            2 => describe(&mut fit, 0, 1, 0x86, "Power"),      // size 2: not a multiple
            _ => describe(&mut fit, 0, 1, 0x84, "Power"),
        }
        dev.push((1, 2, 0));
    }
    // records
    let fields = record_fields(rng);
    fit.def(3, 20, &fields, &dev);
    let n = rng.random_range(1..120);
    let mut t = t0;
    let mut compressed = rng.random_bool(0.3);
    let ts_slot = fields.iter().position(|f| f.0 == 253);
    let compressed_fields: Vec<FieldDef> = fields.iter().copied().filter(|f| f.0 != 253).collect();
    if compressed {
        fit.def(0, 20, &compressed_fields, &dev);
        // The reference time: a timestamp-only message (an `event`).
        fit.def(2, 21, &[(253, 4, 0x86)], &[]);
        let b = fit.int(u64::from(t), 4);
        fit.data(2, &b);
    }
    for _ in 0..n {
        t += rng.random_range(1..40);
        if compressed && rng.random_bool(0.8) {
            let mut p = Vec::new();
            for f in &compressed_fields {
                p.extend(value(&fit, rng, f.1 as usize, typical(f.0, t)));
            }
            for d in &dev {
                p.extend(value(&fit, rng, d.1 as usize, 99));
            }
            fit.data_compressed(0, (t & 0x1F) as u8, &p);
        } else {
            let mut p = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                if Some(i) == ts_slot && rng.random_bool(0.95) {
                    p.extend(fit.int(u64::from(t), 4));
                } else {
                    p.extend(value(&fit, rng, f.1 as usize, typical(f.0, t)));
                }
            }
            for d in &dev {
                p.extend(value(&fit, rng, d.1 as usize, 99));
            }
            fit.data(3, &p);
        }
        if rng.random_bool(0.02) {
            compressed = false;
        }
    }
    // laps and sessions
    fit.def(
        4,
        19,
        &[
            (253, 4, 0x86),
            (2, 4, 0x86),
            (7, 4, 0x86),
            (9, 4, 0x86),
            (21, 2, 0x84),
            (13, 2, 0x84),
            (15, 1, 0x02),
            (19, 2, 0x84),
        ],
        &[],
    );
    let nlaps = rng.random_range(0..4);
    for k in 0..nlaps {
        let mut p = fit.int(u64::from(t), 4);
        p.extend(value(&fit, rng, 4, u64::from(t0 + k * 60)));
        p.extend(value(&fit, rng, 4, 600_000));
        p.extend(value(&fit, rng, 4, 300_000));
        p.extend(value(&fit, rng, 2, 40));
        p.extend(value(&fit, rng, 2, 5_000));
        p.extend(value(&fit, rng, 1, 140));
        p.extend(value(&fit, rng, 2, 200));
        fit.data(4, &p);
    }
    let enhanced = rng.random_bool(0.5);
    let speed_field = if enhanced {
        (124, 4, 0x86)
    } else {
        (14, 2, 0x84)
    };
    fit.def(
        1,
        18,
        &[
            (253, 4, 0x86),
            (2, 4, 0x86),
            (5, 1, 0x00),
            (6, 1, 0x00),
            (7, 4, 0x86),
            (9, 4, 0x86),
            speed_field,
            (16, 1, 0x02),
        ],
        &[],
    );
    for k in 0..rng.random_range(0..4u32) {
        let mut p = fit.int(u64::from(t), 4);
        p.extend(value(&fit, rng, 4, u64::from(t0 + k * 600)));
        p.push(rng.random_range(0..6));
        p.push(rng.random_range(0..20));
        p.extend(value(&fit, rng, 4, 600_000));
        p.extend(value(&fit, rng, 4, 300_000));
        p.extend(value(&fit, rng, speed_field.1 as usize, 5_000));
        p.extend(value(&fit, rng, 1, 140));
        fit.data(1, &p);
    }
    fit.finish(out);
}

fn gen_file(rng: &mut StdRng) -> Vec<u8> {
    let mut out = Vec::new();
    let t0 = 1_622_527_200 - FIT_EPOCH + rng.random_range(0..10_000_000);
    for k in 0..rng.random_range(1..=2u32) {
        gen_section(rng, &mut out, t0 + k * 20_000);
    }
    out
}

#[test]
fn generated_odd_files_decode_exactly_as_fitparser() {
    let mut rng = StdRng::seed_from_u64(0x00F1_7DEC);
    let (mut claimed, mut declined, mut refused) = (0, 0, 0);
    for k in 0..600 {
        let data = gen_file(&mut rng);
        let name = format!("gen-{k}.fit");
        let r = reference(&name, &data);
        match fast(&name, &data) {
            Some(f) => {
                claimed += 1;
                assert_same(&name, &f, &r);
            }
            None => {
                declined += 1;
                refused += usize::from(r.is_err());
            }
        }
    }
    eprintln!("generated: {claimed} claimed, {declined} declined ({refused} refused by fitparser)");
    assert!(claimed >= 400, "{claimed} of 600 claimed");
    assert!(declined >= 20, "the decline paths ran {declined} times");
    assert!(refused >= 5, "fitparser refused {refused} declined files");
}

#[test]
fn mutated_real_files_decode_exactly_as_fitparser() {
    let mut files = Vec::new();
    fit_files(&data_dir(), &mut files);
    files.sort();
    let seeds: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                load(p),
            )
        })
        .filter(|(_, d)| d.len() >= 14 && d.len() < 100_000)
        .collect();
    let mut rng = StdRng::seed_from_u64(0xBAD_F17);
    let mut claimed = 0;
    for k in 0..400 {
        let (name, seed) = &seeds[k % seeds.len()];
        let mut data = seed.clone();
        let hsize = data[0] as usize;
        let data_size = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
        let end = hsize + data_size;
        if end + 2 > data.len() || hsize >= end {
            continue;
        }
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(hsize..end);
            data[at] = rng.random();
        }
        let c = fit_crc(&data[..end]);
        data[end..end + 2].copy_from_slice(&c.to_le_bytes());
        let what = format!("{name} mutation {k}");
        if let Some(f) = fast(&what, &data) {
            claimed += 1;
            let r = reference(&what, &data);
            assert_same(&what, &f, &r);
        }
    }
    assert!(claimed >= 100, "{claimed} mutated files claimed");
}
