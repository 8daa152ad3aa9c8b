//! The foundation end to end: the real binary converts the bundled Teltonika examples with the
//! real plugin in its sandbox, and the Parquet it writes reads back to exactly what the decoder
//! produces natively.

use dataplace_tests::{Row, data_files, data_rows, files, metadata, plugin, read_batches, read_rows, run, run_json, scratch, sorted, workspace};
use std::path::Path;

fn examples() -> Vec<std::path::PathBuf> {
    files(&workspace().join("examples/teltonika"), ".bin")
}

fn convert(out: &Path, job_id: &str) -> (i32, serde_json::Value) {
    let wasm = plugin("teltonika");
    let mut args = vec![
        "convert".to_owned(),
        "--plugin".into(),
        wasm.display().to_string(),
        "--config".into(),
        "vehicle_id={stem}".into(),
        "--provider".into(),
        "demo-fleet".into(),
        "--job-id".into(),
        job_id.into(),
        "--output".into(),
        out.display().to_string(),
    ];
    args.extend(examples().iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_json(&args)
}

/// What the decoder produces natively for the example files, as rows.
fn native_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for file in examples() {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let stem = name.trim_end_matches(".bin");
        let out = dataplace_sdk::native::convert::<dataplace_teltonika::Teltonika>(&[("vehicle_id", stem)], &name, &bytes, 1 << 20).unwrap();
        rows.extend(out.observations.into_iter().map(|o| Row { vehicle_id: o.vehicle_id, time_us: o.time_us, signal: o.signal, value: o.value }));
    }
    rows
}

#[test]
fn examples_are_reproducible_from_the_generator() {
    for (path, bytes) in dataplace_fixtures::examples::all() {
        let committed = std::fs::read(workspace().join("examples").join(&path)).unwrap();
        assert!(committed == bytes, "examples/{path} differs from the generator; rerun generate-examples");
    }
}

#[test]
fn the_examples_convert_and_read_back_exactly() {
    let out = scratch("teltonika-examples");
    let (code, report) = convert(&out, "t-read-back");
    assert_eq!(code, 0, "{report:#}");

    // Both ledgers add up, per input and in total; the damaged packet is the only reject.
    let totals = &report["totals"];
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 5);
    for i in inputs {
        let n = |k: &str| i[k].as_u64().unwrap();
        assert_eq!(i["outcome"], "ok");
        assert_eq!(n("units_read"), n("decoded") + n("skipped") + n("rejects"), "{i:#}");
        assert_eq!(n("observations"), n("written") + n("quarantined") + n("discarded"), "{i:#}");
        assert!(n("fuel") > 0);
        let expected_rejects = u64::from(i["object"].as_str().unwrap().ends_with("356307042441016.bin"));
        assert_eq!(n("rejects"), expected_rejects, "{}", i["object"]);
    }
    assert_eq!(totals["rejects"], 1);
    assert_eq!(totals["quarantined"], 0);

    // The written rows are exactly the decoder's observations, typed as the schema says.
    let data = data_files(&out);
    let written: Vec<Row> = data.iter().flat_map(|f| read_rows(f)).collect();
    assert_eq!(written.len() as u64, totals["written"].as_u64().unwrap());
    assert_eq!(sorted(written), sorted(native_rows()));

    // Schema, partitions and lineage.
    let expected_schema = dataplace::schema::data();
    for f in &data {
        let rel = f.strip_prefix(&out).unwrap().to_string_lossy().into_owned();
        assert!(rel.starts_with("provider=demo-fleet/date=2024-05-01/t-read-back-"), "{rel}");
        for b in read_batches(f) {
            assert_eq!(b.schema().fields(), expected_schema.fields());
        }
        let m = metadata(f);
        assert_eq!(m["dataplace.job_id"], "t-read-back");
        assert_eq!(m["dataplace.plugin.name"], "teltonika");
        assert_eq!(m["dataplace.plugin.sha256"].len(), 64);
        assert!(m["dataplace.input"].starts_with("file:///"));
        assert!(m["dataplace.fuel"].parse::<u64>().unwrap() > 0);
        assert!(m["dataplace.catalogue.version"].ends_with("+vss-6.0"));
    }

    // The rejected packet is in the quarantine, with its offset and reason.
    let quarantine = files(&out.join("_quarantine"), ".parquet");
    assert_eq!(quarantine.len(), 1);
    let q = &read_batches(&quarantine[0])[0];
    let col = |name: &str| q.column_by_name(name).unwrap().clone();
    use arrow::array::AsArray;
    assert_eq!(q.num_rows(), 1);
    assert_eq!(col("reason").as_string::<i32>().value(0), "crc");
    assert_eq!(col("stage").as_string::<i32>().value(0), "plugin");
    assert_eq!(col("position_kind").as_string::<i32>().value(0), "byte-offset");
}

#[test]
fn the_same_input_twice_gives_the_same_fuel_rows_and_bytes() {
    let (a, b, c) = (scratch("determinism-a"), scratch("determinism-b"), scratch("determinism-c"));
    let (_, ra) = convert(&a, "same-job");
    let (_, rb) = convert(&b, "same-job");
    let (_, rc) = convert(&c, "other-job");
    let fuel = |r: &serde_json::Value| r["inputs"].as_array().unwrap().iter().map(|i| i["fuel"].as_u64().unwrap()).collect::<Vec<_>>();
    assert_eq!(fuel(&ra), fuel(&rb));
    assert_eq!(fuel(&ra), fuel(&rc));
    // Data and quarantine files are byte-identical (the ledger records wall-clock times).
    let output = |root: &Path| files(root, ".parquet").into_iter().filter(|f| !f.strip_prefix(root).unwrap().starts_with("_ledger")).collect::<Vec<_>>();
    let (fa, fb) = (output(&a), output(&b));
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
        assert!(std::fs::read(x).unwrap() == std::fs::read(y).unwrap(), "{} differs between identical runs", x.display());
    }
    let rows = |dir: &Path| sorted(data_rows(dir));
    assert_eq!(rows(&a), rows(&c), "another job id changes names and lineage, not rows");
}

#[test]
fn the_readme_main_job_runs() {
    let (code, stdout, stderr) = run(&["run", &workspace().join("examples/teltonika.toml").display().to_string()]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("ledgers: units read"), "{stdout}");
    assert!(stdout.contains("5 ok, 0 failed"), "{stdout}");
    assert!(stdout.contains("rejects by reason: crc 1"), "{stdout}");
}
