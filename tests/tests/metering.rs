//! Deterministic metering and the ledger: the same input costs the same fuel whatever the
//! parallelism and on every rerun (the chunk size is part of the priced configuration), and
//! `meter report` adds up exactly to the fuel the job reports billed.

use dataplace_tests::{files, plugin, run_json, scratch, workspace};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

fn teltonika(out: &Path, job: &str, extra: &[&str]) -> Json {
    let wasm = plugin("teltonika").display().to_string();
    let out = out.display().to_string();
    let mut args = vec!["convert", "--plugin", &wasm, "--config", "vehicle_id={stem}", "--provider", "fleet-a", "--job-id", job, "--output", &out];
    args.extend_from_slice(extra);
    let inputs: Vec<String> = files(&workspace().join("examples/teltonika"), ".bin").iter().map(|p| p.display().to_string()).collect();
    args.extend(inputs.iter().map(String::as_str));
    let (code, report) = run_json(&args);
    assert_eq!(code, 0, "{report:#}");
    report
}

fn fuel_by_object(report: &Json) -> BTreeMap<String, u64> {
    report["inputs"].as_array().unwrap().iter().map(|i| (i["object"].as_str().unwrap().to_owned(), i["fuel"].as_u64().unwrap())).collect()
}

#[test]
fn fuel_is_the_same_across_reruns_and_parallelism_and_depends_only_on_the_chunk_size() {
    let dir = scratch("fuel-determinism");
    let serial = teltonika(&dir.join("a"), "j1", &["--jobs", "1"]);
    let parallel = teltonika(&dir.join("b"), "j2", &["--jobs", "2"]);
    let again = teltonika(&dir.join("c"), "j3", &["--jobs", "2"]);
    assert_eq!(fuel_by_object(&serial), fuel_by_object(&parallel));
    assert_eq!(fuel_by_object(&parallel), fuel_by_object(&again));
    let small = teltonika(&dir.join("d"), "j4", &["--chunk-bytes", "4096"]);
    let small_again = teltonika(&dir.join("e"), "j5", &["--chunk-bytes", "4096", "--jobs", "2"]);
    assert_eq!(fuel_by_object(&small), fuel_by_object(&small_again), "deterministic for a given chunk size");
    assert_ne!(fuel_by_object(&small), fuel_by_object(&serial), "more calls cost a little more: the chunk size is priced");
    assert_eq!((small["chunk_bytes"].as_u64(), serial["chunk_bytes"].as_u64()), (Some(4096), Some(1 << 20)));
    assert!(serial["fuel_schedule"].as_str().unwrap().starts_with("dp-fuel-1+"));
    assert_eq!(serial["wasmtime_version"], "48");
}

#[test]
fn meter_report_adds_up_to_the_fuel_the_jobs_billed() {
    let dir = scratch("meter-report");
    let out = dir.join("out");
    let fleet = teltonika(&out, "fleet-job", &[]);
    // A second provider whose job has a failing input: failures are billed too.
    std::fs::create_dir_all(dir.join("in")).unwrap();
    for mode in ["well-behaved", "loop", "panic"] {
        std::fs::write(dir.join("in").join(format!("{mode}.bin")), vec![1u8; 2000]).unwrap();
    }
    let job = format!(
        "provider = \"evil-corp\"\nplugin = {:?}\ninputs = [\"in/\"]\noutput = \"out\"\njob_id = \"evil-job\"\n[config]\nmode = \"{{stem}}\"\n[limits.plugin]\nfuel_base = 200000000\n",
        plugin("evil").display().to_string()
    );
    std::fs::write(dir.join("job.toml"), job).unwrap();
    let (code, evil) = run_json(&["run", &dir.join("job.toml").display().to_string()]);
    assert_eq!(code, 1);
    let billed = |r: &Json| fuel_by_object(r).values().sum::<u64>();
    let out_s = out.display().to_string();
    let (code, by_provider) = run_json(&["meter", "report", &out_s, "--by", "provider"]);
    assert_eq!(code, 0);
    let groups: BTreeMap<&str, &Json> = by_provider["groups"].as_array().unwrap().iter().map(|g| (g["key"].as_str().unwrap(), g)).collect();
    assert_eq!(groups["fleet-a"]["fuel"].as_u64(), Some(billed(&fleet)));
    assert_eq!(groups["evil-corp"]["fuel"].as_u64(), Some(billed(&evil)));
    assert_eq!(groups["evil-corp"]["failed"], 2);
    assert_eq!(by_provider["totals"]["fuel"].as_u64(), Some(billed(&fleet) + billed(&evil)));
    assert_eq!(by_provider["totals"]["bytes_in"].as_u64(), Some(fleet["totals"]["bytes"].as_u64().unwrap() + evil["totals"]["bytes"].as_u64().unwrap()));
    let (_, by_input) = run_json(&["meter", "report", &out_s, "--by", "input"]);
    assert_eq!(by_input["groups"].as_array().unwrap().len(), 8);
    for (object, fuel) in fuel_by_object(&fleet).into_iter().chain(fuel_by_object(&evil)) {
        let row = by_input["groups"].as_array().unwrap().iter().find(|g| g["key"] == object.as_str()).unwrap();
        assert_eq!(row["fuel"].as_u64(), Some(fuel), "{object}");
    }
    // The price formula, spelled out.
    let (_, priced) = run_json(&["meter", "report", &out_s, "--price-per-compute-unit", "2", "--price-per-gb-in", "0", "--price-per-gb-out", "0"]);
    let amount = priced["totals"]["amount"].as_f64().unwrap();
    assert!((amount - 2.0 * by_provider["totals"]["fuel"].as_f64().unwrap() / 1e9).abs() < 1e-9);
    let (_, future) = run_json(&["meter", "report", &out_s, "--since", "2999-01-01"]);
    assert_eq!(future["totals"]["inputs"], 0);
    assert!(files(&out.join("_ledger"), ".parquet").len() == 2, "one ledger file per job");
}
