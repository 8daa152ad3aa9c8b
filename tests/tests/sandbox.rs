//! A hostile plugin fails only its own input: one job over inputs that each trigger one
//! misbehaviour of `plugins/evil` (chosen by file name), next to well-behaved inputs that must
//! convert normally. Nothing of a failed input may become visible.

use dataplace_tests::{Value, data_files, data_rows, plugin, read_rows, run_json, scratch};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

/// What the host process may use while hostile plugins (each capped at 64 MiB, or 512 MiB for
/// the flood) run one after the other: their memory, plus the engine and the compiled code.
const HOST_MEMORY_BOUND: u64 = 1 << 30;

/// Two inputs that must convert whatever their neighbours do.
const WELL_BEHAVED: [&str; 2] = ["well-behaved.a", "well-behaved.b"];

/// Run the evil plugin over one input per mode (plus two well-behaved ones) with tight limits.
/// The `[limits.plugin]` of a hostile job.
struct Limits {
    fuel_per_byte: u64,
    call_timeout_ms: u64,
    memory_bytes: u64,
    batch_observations: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { fuel_per_byte: 1000, call_timeout_ms: 3000, memory_bytes: 64 << 20, batch_observations: 4_000_000 }
    }
}

fn hostile_job(name: &str, modes: &[&str], limits: Limits) -> (i32, BTreeMap<String, Json>, std::path::PathBuf) {
    let Limits { fuel_per_byte, call_timeout_ms, memory_bytes, batch_observations } = limits;
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("in")).unwrap();
    for mode in modes.iter().chain(&WELL_BEHAVED) {
        std::fs::write(dir.join("in").join(format!("{mode}.bin")), vec![7u8; 3000]).unwrap();
    }
    let job = format!(
        "provider = \"evil-corp\"\nplugin = {:?}\ninputs = [\"in/\"]\noutput = \"out\"\njob_id = \"hostile\"\n\
         [config]\nmode = \"{{stem}}\"\n\
         [limits.plugin]\nfuel_base = 300000000\nfuel_per_byte = {fuel_per_byte}\ncall_timeout_ms = {call_timeout_ms}\n\
         memory_bytes = {memory_bytes}\nbatch_observations = {batch_observations}\n\
         [limits.source]\nchunk_bytes = 1000\n",
        plugin("evil").display().to_string()
    );
    std::fs::write(dir.join("job.toml"), job).unwrap();
    let (code, report) = run_json(&["run", &dir.join("job.toml").display().to_string()]);
    // A hostile plugin may take up to its memory limit; the host itself stays small.
    let rss = report["peak_rss_bytes"].as_u64().expect("peak RSS is reported on Linux");
    assert!(rss < HOST_MEMORY_BOUND, "{name}: host peak RSS {rss} bytes");
    let by_stem = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let object = i["object"].as_str().unwrap();
            let stem = object.rsplit('/').next().unwrap().trim_end_matches(".bin").to_owned();
            (stem, i.clone())
        })
        .collect();
    (code, by_stem, dir)
}

fn outcome(inputs: &BTreeMap<String, Json>, stem: &str) -> (String, String) {
    let i = &inputs[stem];
    (i["outcome"].as_str().unwrap().to_owned(), i["error"].as_str().unwrap_or_default().to_owned())
}

/// The well-behaved inputs converted, and no file of any other input is visible.
fn only_well_behaved_output(out: &Path, inputs: &BTreeMap<String, Json>) {
    assert!(inputs.values().all(|i| i["units_read"].as_u64() == Some(i["decoded"].as_u64().unwrap() + i["skipped"].as_u64().unwrap() + i["rejects"].as_u64().unwrap())));
    for stem in WELL_BEHAVED {
        let i = &inputs[stem];
        assert_eq!(i["outcome"], "ok", "{i:#}");
        assert_eq!(i["written"], 3, "{i:#}");
    }
    let visible = data_files(out);
    let expected: Vec<&str> = inputs.values().flat_map(|i| i["files"].as_array().unwrap()).map(|f| f["url"].as_str().unwrap()).collect();
    assert_eq!(visible.len(), expected.len(), "visible files: {visible:?}");
    for f in &visible {
        let url = format!("file://{}", f.display());
        assert!(expected.contains(&url.as_str()), "{url} belongs to no successful input");
    }
    let rows: Vec<_> = visible.iter().flat_map(|f| read_rows(f)).collect();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.value == Value::Double(1000.0)));
}

#[test]
fn traps_loops_and_unbounded_memory_fail_only_their_input() {
    let modes = ["panic", "abort", "loop", "loop-in-finish", "grow", "recurse", "trap-after-output"];
    let (code, inputs, dir) = hostile_job("hostile-core", &modes, Limits::default());
    assert_eq!(code, 1, "some inputs failed, the job itself ran");
    let named = |stem: &str, error: &str| {
        assert!(error.contains("plugin evil 0.0.1"), "{stem}: {error}");
        assert!(error.contains(&format!("/in/{stem}.bin")), "{stem}: {error}");
    };
    let budget = 300_000_000u64 + 1000 * 3000;
    for stem in ["loop", "loop-in-finish"] {
        let (o, e) = outcome(&inputs, stem);
        assert_eq!(o, "limit");
        assert!(e.ends_with(&format!("fuel exceeded: limit={budget} used={budget}")), "{e}");
        named(stem, &e);
        assert_eq!(inputs[stem]["fuel"], budget, "running out of fuel bills the whole budget");
    }
    let (o, e) = outcome(&inputs, "grow");
    assert_eq!(o, "limit");
    assert!(e.contains("memory_bytes exceeded: limit=67108864 used="), "{e}");
    named("grow", &e);
    for stem in ["panic", "trap-after-output"] {
        let (o, e) = outcome(&inputs, stem);
        assert_eq!(o, "trap");
        named(stem, &e);
        assert!(e.contains("evil: "), "the plugin's panic message is in the error: {e}");
    }
    assert_eq!(inputs["trap-after-output"]["discarded"], 3, "its output was dropped with it");
    for stem in ["abort", "recurse"] {
        let (o, e) = outcome(&inputs, stem);
        assert_eq!(o, "trap", "{e}");
        named(stem, &e);
    }
    only_well_behaved_output(&dir.join("out"), &inputs);
}

#[test]
fn the_wall_clock_backstop_charges_the_whole_budget() {
    // Fuel high enough that the 300 ms backstop fires first.
    let (code, inputs, dir) = hostile_job("hostile-timeout", &["loop"], Limits { fuel_per_byte: 100_000_000, call_timeout_ms: 300, ..Limits::default() });
    assert_eq!(code, 1);
    let (o, e) = outcome(&inputs, "loop");
    assert_eq!(o, "limit");
    assert!(e.ends_with("call_timeout_ms exceeded: limit=300 used=300"), "{e}");
    assert_eq!(inputs["loop"]["fuel"], 300_000_000u64 + 100_000_000 * 3000);
    only_well_behaved_output(&dir.join("out"), &inputs);
}

#[test]
fn contract_violations_and_batch_limits_fail_the_input() {
    let modes = ["bad-index", "giant-string", "declare-unknown"];
    let (code, inputs, dir) = hostile_job("hostile-contract", &modes, Limits::default());
    assert_eq!(code, 1);
    let (o, e) = outcome(&inputs, "bad-index");
    assert_eq!(o, "error");
    assert!(e.ends_with("contract violation: doubles: string index 1000 out of a table of 2"), "{e}");
    let (o, e) = outcome(&inputs, "giant-string");
    assert_eq!(o, "limit");
    assert!(e.ends_with("string_bytes exceeded: limit=65536 used=10485760"), "{e}");
    let (o, e) = outcome(&inputs, "declare-unknown");
    assert_eq!(o, "error");
    assert!(e.ends_with("declares signals the catalogue does not have: Vehicle.Teleporter.Charge"), "{e}");
    only_well_behaved_output(&dir.join("out"), &inputs);
}

#[test]
fn a_flood_of_observations_hits_the_batch_limit_and_chatter_is_capped() {
    let limits = Limits { fuel_per_byte: 10_000_000, memory_bytes: 512 << 20, batch_observations: 1_000_000, ..Limits::default() };
    let (code, inputs, dir) = hostile_job("hostile-flood", &["flood", "chatty"], limits);
    assert_eq!(code, 1);
    let (o, e) = outcome(&inputs, "flood");
    assert_eq!(o, "limit");
    assert!(e.ends_with("batch_observations exceeded: limit=1000000 used=5000000"), "{e}");
    assert_eq!(inputs["chatty"]["outcome"], "ok", "logging beyond the capture limit is dropped, not fatal");
    assert_eq!(inputs["chatty"]["written"], 3);
    let visible = data_files(&dir.join("out")).len();
    assert_eq!(visible, 3, "the chatty input and the two well-behaved ones");
}

#[test]
fn the_sandbox_grants_nothing_real() {
    let dir = scratch("probe");
    std::fs::write(dir.join("probe.bin"), b"x").unwrap();
    let wasm = plugin("evil").display().to_string();
    let out = dir.join("out").display().to_string();
    let input = dir.join("probe.bin").display().to_string();
    let (code, report) = run_json(&["convert", "--plugin", &wasm, "--config", "mode=probe", "--output", &out, &input]);
    assert_eq!(code, 0, "{report:#}");
    let rows = data_rows(&dir.join("out"));
    let seen: BTreeMap<String, String> = rows
        .iter()
        .filter_map(|r| match &r.value {
            Value::Text(t) => t.split_once(": ").map(|(k, v)| (k.to_owned(), v.to_owned())),
            _ => None,
        })
        .collect();
    assert!(seen["file"].starts_with("denied"), "{seen:?}");
    assert!(seen["dir"].starts_with("denied"), "{seen:?}");
    assert_eq!(seen["env"], "0 vars");
    assert_eq!(seen["args"], "0 args");
    assert_eq!(seen["clock"], "946684800", "the wall clock is fixed at 2000-01-01");
    assert_eq!(seen["monotonic"], "0", "the monotonic clock does not move");
    assert!(seen["net"].starts_with("denied"), "{seen:?}");
    assert!(seen["dns"].starts_with("denied"), "{seen:?}");
    // Randomness is seeded: a second run sees the same value.
    let out2 = dir.join("out2").display().to_string();
    let (_, _) = run_json(&["convert", "--plugin", &wasm, "--config", "mode=probe", "--output", &out2, &input]);
    let again = data_rows(&dir.join("out2"));
    assert_eq!(rows, again);
}
