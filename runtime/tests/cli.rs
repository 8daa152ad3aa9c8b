//! The binary's own surface: help, version and usage errors with their exit codes. (Running
//! jobs is tested end to end in the workspace's `tests/` crate, which needs this binary built.)

use std::process::Command;

fn dataplace(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dataplace")).args(args).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn help_documents_the_exit_codes() {
    let (code, text) = dataplace(&["--help"]);
    assert_eq!(code, 0);
    assert!(text.contains("Exit codes: 0 every input converted; 1 the job ran but some inputs failed"), "{text}");
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let (code, text) = dataplace(&["convert", "--plugin", "p.wasm", "--output", "out", "--config", "novalue", "x.bin"]);
    assert_eq!(code, 2);
    assert!(text.contains("--config novalue: expected KEY=VALUE"), "{text}");
    let (code, text) = dataplace(&["run", "/nonexistent/job.toml"]);
    assert_eq!(code, 2);
    assert!(text.contains("reading /nonexistent/job.toml"), "{text}");
    let (code, text) = dataplace(&["convert", "--plugin", "p.wasm", "--output", "out", "/nonexistent/input.bin"]);
    assert_eq!(code, 2);
    assert!(text.contains("no input objects found"), "{text}");
}

#[test]
fn the_catalogue_can_be_browsed_and_exported() {
    let (code, text) = dataplace(&["catalogue", "show", "Vehicle.TraveledDistance", "--json"]);
    assert_eq!(code, 0);
    let entry: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!((entry["datatype"].as_str(), entry["unit"].as_str(), entry["core"].as_bool()), (Some("uint32"), Some("m"), Some(true)));
    let (code, text) = dataplace(&["catalogue", "show", "Vehicle.Nope"]);
    assert_eq!(code, 2);
    assert!(text.contains("Vehicle.Nope is not in the catalogue"), "{text}");
    let (code, text) = dataplace(&["catalogue", "list", "--core", "--branch", "Vehicle.Service"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().last()).filter(|w| w.starts_with("Vehicle.")).collect();
    assert_eq!(ids, ["Vehicle.Service.Brakes.DistanceToService", "Vehicle.Service.DistanceToService", "Vehicle.Service.EngineOil.DistanceToService", "Vehicle.Service.IsServiceDue", "Vehicle.Service.TimeToService"]);
    let dir = std::env::temp_dir().join(format!("dataplace-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("catalogue.parquet");
    let (code, _) = dataplace(&["catalogue", "export", "--format", "parquet", "--output", &file.display().to_string()]);
    assert_eq!(code, 0);
    let reader = parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(reader.metadata().file_metadata().num_rows() as usize, dataplace::catalogue::Catalogue::builtin().entries().len());
    std::fs::remove_dir_all(&dir).unwrap();
}
