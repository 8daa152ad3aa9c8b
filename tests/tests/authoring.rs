//! The provider's workflow through the real binary, outside this repository: scaffold a plugin,
//! build it, test it against its fixtures in the sandbox, change it, and compare the versions.

use dataplace_tests::{run, run_env, target_dir};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Replace `from` (which must occur) with `to` in `file`.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

/// Build the crate's component (sharing this run's target directory) and keep a copy as `keep`.
fn build(crate_dir: &Path, keep: PathBuf) -> String {
    let wasm = dataplace::plugin::crate_build::build(crate_dir, Some(&target_dir())).expect("the scaffolded crate builds");
    std::fs::copy(wasm, &keep).unwrap();
    keep.display().to_string()
}

#[test]
fn a_scaffolded_plugin_builds_passes_its_fixture_and_diffs_against_its_next_version() {
    let home = std::env::temp_dir().join(format!("dataplace-provider-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let crate_dir = home.join("acme-trips");
    let (code, out, err) = run(&["plugin", "new", &crate_dir.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created plugin acme-trips"), "{out}");
    for file in ["Cargo.toml", "src/lib.rs", "fixtures/trip.expected.json", "wit/converter.wit", "vendor/dataplace-sdk/src/guest.rs", "rust-toolchain.toml"] {
        assert!(crate_dir.join(file).is_file(), "{file}");
    }
    let (code, _, err) = run(&["plugin", "new", &crate_dir.display().to_string()]);
    assert_eq!(code, 2, "an existing crate is not overwritten");
    assert!(err.contains("exists and is not empty"), "{err}");

    // Its own unit test passes natively, as generated.
    let test = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--quiet"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    assert!(test.status.success(), "cargo test in the new crate:\n{}", String::from_utf8_lossy(&test.stderr));

    // `plugin test` on the crate directory builds it and runs the fixture in the sandbox.
    let fixtures = crate_dir.join("fixtures").display().to_string();
    let target = [("CARGO_TARGET_DIR", target_dir().display().to_string())];
    let (code, out, err) = run_env(&["plugin", "test", &crate_dir.display().to_string(), &fixtures, "--json"], &target);
    assert_eq!(code, 0, "{out}\n{err}");
    let reports: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(reports[0]["name"], "trip");
    assert_eq!(reports[0]["passed"], true);
    let run_report = &reports[0]["run"];
    assert_eq!(run_report["units"], json!({ "read": 6, "decoded": 3, "skipped": { "blank": 1, "header": 1 }, "rejected": 1 }));
    assert!(run_report["fuel"].as_u64().unwrap() > 0 && run_report["peak_memory_bytes"].as_u64().unwrap() > 0);

    let v1 = build(&crate_dir, home.join("v1.wasm"));

    // A fixture that no longer holds fails, and says how.
    let fixture = crate_dir.join("fixtures/trip.expected.json");
    edit(&fixture, "\"code\": \"malformed\"", "\"code\": \"bad-line\"");
    edit(&fixture, "\"value\": 12345650", "\"value\": 12345651");
    let (code, out, _) = run(&["plugin", "test", &v1, &fixtures]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL trip"), "{out}");
    assert!(out.contains("~ value      van-7 Vehicle.TraveledDistance @1714557603000000 expected 12345651, got 12345650"), "{out}");
    assert!(out.contains("- missing reject    bad-line at 5") && out.contains("+ unexpected reject malformed at 5"), "{out}");
    assert!(out.contains("0 of 1 fixtures passed"), "{out}");

    // Version 0.2.0: speeds rounded, the odometer dropped, a moving flag added, another reject code.
    edit(&crate_dir.join("Cargo.toml"), "version = \"0.1.0\"", "version = \"0.2.0\"");
    let lib = crate_dir.join("src/lib.rs");
    edit(&lib, "vec![\"Vehicle.Speed\".into(), \"Vehicle.TraveledDistance\".into()]", "vec![\"Vehicle.Speed\".into(), \"Vehicle.IsMoving\".into()]");
    edit(
        &lib,
        ".double(time_us, \"Vehicle.Speed\", speed_kmh).int(time_us, \"Vehicle.TraveledDistance\", odometer_m);",
        ".double(time_us, \"Vehicle.Speed\", speed_kmh.round()).bool(time_us, \"Vehicle.IsMoving\", speed_kmh > 0.0);",
    );
    edit(&lib, "Ok((time_us, speed_kmh, odometer_m))", "Ok((time_us, speed_kmh, _odometer_m))");
    edit(&lib, "\"malformed\", why", "\"bad-line\", why");
    let v2 = build(&crate_dir, home.join("v2.wasm"));

    let input = crate_dir.join("fixtures/trip.csv").display().to_string();
    let (code, out, err) = run(&["plugin", "diff", &v1, &v2, &input, "--config", "vehicle_id=van-7", "--json"]);
    assert_eq!(code, 1, "the versions differ: {err}");
    let d: Json = serde_json::from_str(&out).unwrap();
    assert_eq!((d["old"]["version"].as_str(), d["new"]["version"].as_str()), (Some("0.1.0"), Some("0.2.0")));
    let counts: Vec<(String, u64, u64, u64)> = d["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["signal"].as_str().unwrap().to_owned(), s["added"].as_u64().unwrap(), s["removed"].as_u64().unwrap(), s["changed"].as_u64().unwrap()))
        .collect();
    let expected = [("Vehicle.IsMoving", 3, 0, 0), ("Vehicle.Speed", 0, 0, 2), ("Vehicle.TraveledDistance", 0, 3, 0)];
    assert_eq!(counts, expected.map(|(s, a, r, c)| (s.to_owned(), a, r, c)));
    let speed = &d["signals"][1]["examples"];
    let changes: Vec<(f64, f64)> = speed.as_array().unwrap().iter().map(|e| (e["old"]["value"].as_f64().unwrap(), e["new"]["value"].as_f64().unwrap())).collect();
    assert_eq!(changes, [(42.5, 43.0), (130.25, 130.0)]);
    let moving: Vec<&Json> = d["signals"][0]["examples"].as_array().unwrap().iter().map(|e| &e["new"]["value"]).collect();
    assert_eq!(moving, [&json!(false), &json!(true), &json!(true)]);
    let rejects: Vec<(&str, &str, u64)> =
        d["rejects"].as_array().unwrap().iter().map(|r| (r["kind"].as_str().unwrap(), r["reject"]["code"].as_str().unwrap(), r["reject"]["position"].as_u64().unwrap())).collect();
    assert_eq!(rejects, [("added", "bad-line", 5), ("removed", "malformed", 5)]);
    let (fuel_old, fuel_new) = (d["fuel_old"].as_u64().unwrap(), d["fuel_new"].as_u64().unwrap());
    assert!(fuel_old > 0 && fuel_new > 0);
    assert_eq!(d["inputs"][0]["old"]["fuel"].as_u64(), Some(fuel_old));
    assert_eq!(d["identical"], false);

    // A version compared with itself is identical.
    let (code, out, _) = run(&["plugin", "diff", &v1, &v1, &input]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("identical output") && out.contains("(+0.0 %)"), "{out}");
    let _ = std::fs::remove_dir_all(&home);
}
