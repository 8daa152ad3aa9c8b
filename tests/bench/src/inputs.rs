//! Deterministic inputs of the suite, made by the fixture encoders (seeded).

use dataplace_fixtures::teltonika::{self, Codec, Tracker};
use dataplace_fixtures::{candump, high_mobility, obd};
use std::io::Write;

const MB: f64 = 1e6;

fn tracker(seed: u64) -> Tracker {
    Tracker {
        imei: format!("35630704244{:04}", seed % 10_000),
        vin: format!("WF0XXXGCDX75{:05}", seed % 100_000),
        codec: if seed.is_multiple_of(4) { Codec::C8 } else { Codec::C8E },
        start_ms: 1_714_540_000_000 + seed * 60_000,
        home: (48.0 + (seed % 100) as f64 * 0.01, 11.5),
    }
}

/// One Teltonika session file of at least `mb` MB: a login, then the packets of day-long sessions.
pub fn teltonika(mb: f64) -> Vec<u8> {
    teltonika_seeded(mb, 1)
}

/// As [`teltonika`], with another seed.
pub fn teltonika_seeded(mb: f64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    teltonika_into(mb, seed, &mut out);
    out
}

/// A large Teltonika session written to `path` as it is generated.
pub fn teltonika_file(mb: f64, path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("input file"));
    teltonika_into(mb, 7, &mut f);
    f.flush().expect("input file");
}

fn teltonika_into(mb: f64, seed: u64, out: &mut impl Write) {
    let mut written = 0usize;
    let mut s = seed;
    while (written as f64) < mb * MB {
        let frames = teltonika::session_frames(&tracker(s), 24.0, s);
        let skip = usize::from(written > 0); // one login frame for the file
        for f in &frames[skip..] {
            out.write_all(f).expect("write");
            written += f.len();
        }
        s += 1;
    }
}

/// ELM327 logs of at least `mb` MB.
pub fn obd(mb: f64) -> Vec<u8> {
    let mut out = String::new();
    let mut s = 0;
    while (out.len() as f64) < mb * MB {
        out += &obd::session(obd::Vin::Comment("WVWZZZ1KZAW000001"), 1_714_546_800_000 + s as i64 * 3_600_000, 30, s);
        s += 1;
    }
    out.into_bytes()
}

/// An Auto API feed of at least `mb` MB.
pub fn high_mobility(mb: f64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut s = 0;
    while (out.len() as f64) < mb * MB {
        out.extend(high_mobility::feed("WBY8P2C05M7000001", 1_714_521_600_000 + s * 86_400_000, 24.0, s));
        s += 1;
    }
    out
}

/// A BMW CAN log of at least `mb` MB.
pub fn candump(mb: f64) -> Vec<u8> {
    let mut out = String::new();
    let mut s = 0;
    while (out.len() as f64) < mb * MB {
        out += &candump::drive("bmw", 1_714_557_600_000_000 + s as i64 * 60_000_000, 60, s);
        s += 1;
    }
    out.into_bytes()
}

/// The BMW example's plugin config.
pub fn can_config() -> Vec<(String, String)> {
    let dir = dataplace_tests::workspace().join("examples/candump");
    let read = |f: &str| String::from_utf8_lossy(&std::fs::read(dir.join(f)).expect("example file")).into_owned();
    vec![
        ("vehicle_id".into(), "bench-car".into()),
        ("dbc".into(), read("bmw_e9x_e8x.dbc")),
        ("mapping".into(), read("bmw_e9x_e8x.mapping.toml")),
    ]
}

/// `n` small Teltonika objects of about 1 KiB: a login and a few packets each.
pub fn small_objects(n: usize) -> Vec<Vec<u8>> {
    (0..n as u64)
        .map(|i| {
            let frames = teltonika::session_frames(&tracker(i), 0.3, i);
            let mut object = Vec::new();
            for f in frames {
                if object.len() + f.len() > 1100 && !object.is_empty() {
                    break;
                }
                object.extend(f);
            }
            object
        })
        .collect()
}
