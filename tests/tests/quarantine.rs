//! Enforcement of the catalogue on every observation: a plugin that emits every kind of invalid
//! observation gets each one quarantined with its own reason; only the valid ones are written,
//! and both ledgers add up.

use arrow::array::AsArray;
use dataplace_tests::{Value, data_rows, files, plugin, read_batches, run_json, scratch};
use std::collections::BTreeMap;

#[test]
fn every_invalid_observation_is_quarantined_with_its_reason() {
    let dir = scratch("quarantine-invalid");
    std::fs::write(dir.join("invalid.bin"), vec![0u8; 2500]).unwrap();
    let (wasm, out, input) = (plugin("evil").display().to_string(), dir.join("out"), dir.join("invalid.bin").display().to_string());
    let (code, report) = run_json(&[
        "convert", "--plugin", &wasm, "--config", "mode=invalid", "--chunk-bytes", "1000", "--job-id", "q1", "--output",
        &out.display().to_string(), &input,
    ]);
    assert_eq!(code, 0, "{report:#}");
    let i = &report["inputs"][0];
    // Three chunks, each with 9 observations: 8 invalid ones and 1 valid one.
    assert_eq!((i["observations"].as_u64(), i["written"].as_u64(), i["quarantined"].as_u64()), (Some(27), Some(3), Some(24)));
    let by_reason: BTreeMap<String, u64> = serde_json::from_value(i["quarantined_by_reason"].clone()).unwrap();
    let expected: BTreeMap<String, u64> = [
        "bad-vehicle-id", "implausible-time", "not-allowed", "not-finite", "out-of-range", "undeclared-signal", "unknown-signal", "wrong-type",
    ]
    .iter()
    .map(|r| (r.to_string(), 3))
    .collect();
    assert_eq!(by_reason, expected);

    // Nothing invalid reached the output.
    let rows = data_rows(&out);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.signal == "Vehicle.Speed" && r.value == Value::Double(42.0) && r.vehicle_id == "invalid"));

    // The quarantine holds every failed observation, as emitted, with its reason and message.
    let q = files(&out.join("_quarantine"), ".parquet");
    assert_eq!(q.len(), 1);
    assert!(q[0].to_string_lossy().contains("_quarantine/provider=local/q1-"));
    let batches = read_batches(&q[0]);
    let mut seen = BTreeMap::new();
    for b in &batches {
        let (reason, signal, value, stage) = (
            b.column_by_name("reason").unwrap().as_string::<i32>(),
            b.column_by_name("signal").unwrap().as_string::<i32>(),
            b.column_by_name("value").unwrap().as_string::<i32>(),
            b.column_by_name("stage").unwrap().as_string::<i32>(),
        );
        for r in 0..b.num_rows() {
            assert_eq!(stage.value(r), "validate");
            seen.insert(reason.value(r).to_owned(), (signal.value(r).to_owned(), value.value(r).to_owned()));
        }
    }
    assert_eq!(seen["unknown-signal"].0, "Vehicle.Teleporter.Charge");
    assert_eq!(seen["undeclared-signal"].0, "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen");
    assert_eq!(seen["wrong-type"], ("Vehicle.Speed".to_owned(), "fast".to_owned()));
    assert_eq!(seen["not-finite"].1, "NaN");
    assert_eq!(seen["out-of-range"], ("Vehicle.Powertrain.FuelSystem.RelativeLevel".to_owned(), "101".to_owned()));
    assert_eq!(seen["not-allowed"].1, "HALF-ON");
}

#[test]
fn plugin_rejects_are_quarantined_with_their_positions() {
    let dir = scratch("quarantine-rejects");
    std::fs::write(dir.join("reject-all.bin"), vec![9u8; 2500]).unwrap();
    let (wasm, out, input) = (plugin("evil").display().to_string(), dir.join("out"), dir.join("reject-all.bin").display().to_string());
    let (code, report) =
        run_json(&["convert", "--plugin", &wasm, "--config", "mode={stem}", "--chunk-bytes", "1000", "--output", &out.display().to_string(), &input]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["totals"]["rejects"], 3);
    assert_eq!(report["totals"]["units_read"], 3);
    let q = files(&out.join("_quarantine"), ".parquet");
    let b = &read_batches(&q[0])[0];
    assert_eq!(b.num_rows(), 3);
    let excerpt = b.column_by_name("excerpt").unwrap().as_binary::<i32>();
    assert_eq!(excerpt.value(0), &[9u8; 256][..], "the excerpt is bounded to 256 bytes");
    assert_eq!(b.column_by_name("reason").unwrap().as_string::<i32>().value(2), "evil");
}
