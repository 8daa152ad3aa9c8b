//! Consumers for real: an output root holding two providers' data (the Teltonika examples and a
//! plugin whose observations are partly invalid) is read with DuckDB and pyarrow, installed from
//! PyPI, and `dataplace catalogue coverage` counts what each provider delivers. Every number is
//! checked against the rows read back with the Rust Parquet reader.

use dataplace_tests::{Row, Value, data_files, files, plugin, python, read_rows, run_json, scratch, workspace};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::process::Command;

/// Two jobs into one root; returns the root and the rows written by each provider.
fn two_providers() -> (std::path::PathBuf, BTreeMap<String, Vec<Row>>, Json) {
    let root = scratch("consumers");
    let out = root.join("out").display().to_string();
    let mut args = vec!["convert".to_owned(), "--plugin".into(), plugin("teltonika").display().to_string()];
    args.extend(["--config", "vehicle_id={stem}", "--provider", "demo-fleet", "--job-id", "fleet", "--output", &out].map(String::from));
    args.extend(files(&workspace().join("examples/teltonika"), ".bin").iter().map(|p| p.display().to_string()));
    let (code, fleet) = run_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{fleet:#}");
    std::fs::write(root.join("invalid.bin"), vec![0u8; 2000]).unwrap();
    let evil = plugin("evil").display().to_string();
    let invalid = root.join("invalid.bin").display().to_string();
    let (code, bad) = run_json(&[
        "convert", "--plugin", &evil, "--config", "mode=invalid", "--chunk-bytes", "1000", "--provider", "evil-corp", "--job-id", "bad",
        "--output", &out, &invalid,
    ]);
    assert_eq!(code, 0, "{bad:#}");
    let mut rows: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for f in data_files(&root.join("out")) {
        let rel = f.strip_prefix(root.join("out")).unwrap().to_string_lossy().into_owned();
        let provider = rel.strip_prefix("provider=").and_then(|r| r.split('/').next()).unwrap();
        rows.entry(provider.to_owned()).or_default().extend(read_rows(&f));
    }
    let mut quarantined: BTreeMap<String, u64> = BTreeMap::new();
    for report in [&fleet, &bad] {
        for i in report["inputs"].as_array().unwrap() {
            for key in ["rejects_by_reason", "quarantined_by_reason"] {
                for (reason, n) in i[key].as_object().unwrap() {
                    *quarantined.entry(reason.clone()).or_default() += n.as_u64().unwrap();
                }
            }
        }
    }
    (root.join("out"), rows, serde_json::to_value(quarantined).unwrap())
}

#[test]
fn duckdb_and_pyarrow_read_the_output_and_the_catalogue_joins() {
    let (root, rows, quarantined) = two_providers();
    let out = Command::new(python())
        .arg(workspace().join("tests/python/consumers.py"))
        .arg(&root)
        .output()
        .expect("running the consumers script");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Json = serde_json::from_slice(&out.stdout).unwrap();
    let all: Vec<&Row> = rows.values().flatten().collect();

    // The latest odometer reading of every vehicle.
    let mut latest: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in all.iter().filter(|r| r.signal == "Vehicle.TraveledDistance") {
        let Value::Int(v) = r.value else { panic!("odometer is an integer") };
        let e = latest.entry(&r.vehicle_id).or_insert((r.time_us, v));
        if r.time_us > e.0 {
            *e = (r.time_us, v);
        }
    }
    assert_eq!(got["latest_odometer"].as_object().unwrap().len(), latest.len());
    for (vehicle, (_, odometer)) in &latest {
        assert_eq!(got["latest_odometer"][vehicle][1], *odometer, "{vehicle}");
    }

    // Speed between 08:00 and 09:00 UTC.
    let (from, to) = (1_714_550_400_000_000, 1_714_554_000_000_000);
    let speeds: Vec<f64> = all
        .iter()
        .filter(|r| r.signal == "Vehicle.Speed" && (from..to).contains(&r.time_us))
        .map(|r| match r.value {
            Value::Double(v) => v,
            _ => panic!("speed is a double"),
        })
        .collect();
    assert!(!speeds.is_empty());
    assert_eq!(got["speed_8_to_9"]["count"], speeds.len());
    assert_eq!(got["speed_8_to_9"]["max"], speeds.iter().cloned().fold(f64::MIN, f64::max));

    // Quarantine by reason, as the job reports counted it, and by provider.
    assert_eq!(got["quarantined_by_reason"], quarantined);
    assert_eq!(got["quarantined_by_provider"]["evil-corp"], 16);
    assert_eq!(got["quarantined_by_provider"]["demo-fleet"], 1);

    // Every written signal joins its catalogue entry.
    let catalogue = dataplace::catalogue::Catalogue::builtin();
    for (signal, joined) in got["catalogue_join"].as_object().unwrap() {
        let entry = catalogue.get(signal).unwrap();
        assert_eq!(joined["unit"].as_str(), entry.unit.as_deref(), "{signal}");
        assert_eq!(joined["core"], entry.core, "{signal}");
    }

    // Types as consumers see them.
    assert_eq!(got["duckdb_types"]["time"], "TIMESTAMP WITH TIME ZONE");
    assert_eq!(got["duckdb_types"]["value_list"], "VARCHAR[]");
    assert_eq!(got["pyarrow_schema"]["time"], "timestamp[us, tz=UTC]");
    assert_eq!(got["pyarrow_schema"]["signal"], "dictionary<values=string, indices=int32, ordered=0>");
    for (provider, r) in &rows {
        assert_eq!(got["pyarrow_rows_by_provider"][provider], r.len(), "pyarrow reads only data, all of it");
    }
}

#[test]
fn coverage_counts_what_each_provider_delivers() {
    let (root, rows, _) = two_providers();
    let (code, cov) = run_json(&["catalogue", "coverage", &root.display().to_string()]);
    assert_eq!(code, 0);
    let catalogue = dataplace::catalogue::Catalogue::builtin();
    let total = catalogue.entries().len() as f64;
    let core = catalogue.entries().iter().filter(|e| e.core).count() as f64;
    let groups = cov["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for g in groups {
        let provider = g["provider"].as_str().unwrap();
        let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &rows[provider] {
            *expected.entry(&r.signal).or_default() += 1;
        }
        let got: BTreeMap<&str, u64> = g["signals"].as_array().unwrap().iter().map(|s| (s["id"].as_str().unwrap(), s["observations"].as_u64().unwrap())).collect();
        assert_eq!(got, expected, "{provider}");
        let n_core = expected.keys().filter(|s| catalogue.get(s).unwrap().core).count() as f64;
        assert!((g["share"].as_f64().unwrap() - expected.len() as f64 / total).abs() < 1e-12);
        assert!((g["core_share"].as_f64().unwrap() - n_core / core).abs() < 1e-12);
    }
    assert_eq!(groups[0]["plugin"], "teltonika@0.1.0");
    assert_eq!(groups[0]["provider"], "demo-fleet");
}

#[test]
fn coverage_of_the_bundled_plugins_is_what_they_declare_and_all_core() {
    let catalogue = dataplace::catalogue::Catalogue::builtin();
    let examples = workspace().join("examples/candump");
    let mut cases: Vec<(String, Vec<String>, Vec<String>)> = vec![
        ("teltonika".into(), vec![], dataplace_teltonika::SIGNALS.iter().map(|s| s.to_string()).collect()),
        ("obd-elm327".into(), vec![], dataplace_obd_elm327::SIGNALS.iter().map(|s| s.to_string()).collect()),
        ("high-mobility".into(), vec![], dataplace_high_mobility::SIGNALS.iter().map(|s| s.to_string()).collect()),
    ];
    for model in ["bmw_e9x_e8x", "toyota_prius_2010_pt", "hyundai_2015_ccan"] {
        let mapping = examples.join(format!("{model}.mapping.toml"));
        let vss: Vec<String> = std::fs::read_to_string(&mapping)
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().strip_prefix("vss = \"").and_then(|r| r.split('"').next()).map(str::to_owned))
            .collect();
        let config = vec![
            "vehicle_id=x".to_owned(),
            format!("dbc=@{}", examples.join(format!("{model}.dbc")).display()),
            format!("mapping=@{}", mapping.display()),
        ];
        cases.push(("candump-dbc".into(), config, vss));
    }
    for (name, config, mut expected) in cases {
        let wasm = plugin(&name).display().to_string();
        let mut args = vec!["catalogue".to_owned(), "coverage".into(), "--plugin".into(), wasm];
        for c in config {
            args.extend(["--config".to_owned(), c]);
        }
        let (code, cov) = run_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 0, "{name}: {cov:#}");
        let declared: Vec<&str> = cov["groups"][0]["signals"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        expected.sort();
        expected.dedup();
        assert_eq!(declared, expected, "{name}");
        for s in &expected {
            assert!(catalogue.get(s).is_some_and(|e| e.core), "{name} emits {s}, which must be an after-sales core item");
        }
    }
}
