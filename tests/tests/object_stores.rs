//! The same job against real S3-compatible (moto, from PyPI) and Azure-compatible (Azurite, from
//! npm) servers started on 127.0.0.1: inputs read from the store, output, quarantine, manifests
//! and ledger written to it, a crashed run resumed, and the committed observations equal to a
//! local run's. Endpoints and credentials reach dataplace through the environment variables
//! object_store reads.

use dataplace_tests::{Row, Server, dataplace, files, free_port, node_tools, plugin, python, read_rows, run_json, run_json_env, scratch, sorted, workspace};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn stores_py(kind: &str, endpoint: &str, args: &[&str]) {
    let status = Command::new(python())
        .arg(workspace().join("tests/python/stores.py"))
        .args([kind, endpoint])
        .args(args)
        .status()
        .expect("stores.py");
    assert!(status.success(), "stores.py {kind} {args:?}");
}

/// The Teltonika examples converted into a local root: what every store must end up with.
fn local_rows(dir: &Path) -> Vec<Row> {
    let out = dir.join("local").display().to_string();
    let wasm = plugin("teltonika").display().to_string();
    let mut args = vec!["convert", "--plugin", &wasm, "--config", "vehicle_id={stem}", "--job-id", "stores", "--output", &out];
    let inputs: Vec<String> = files(&workspace().join("examples/teltonika"), ".bin").iter().map(|p| p.display().to_string()).collect();
    args.extend(inputs.iter().map(String::as_str));
    let (code, report) = run_json(&args);
    assert_eq!(code, 0, "{report:#}");
    sorted(dataplace_tests::data_rows(&dir.join("local")))
}

/// Upload the examples, run the job (killed once and resumed), and compare with a local run.
fn round_trip(dir: &Path, kind: &str, scheme: &str, endpoint: &str, env: &[(&str, String)]) {
    stores_py(kind, endpoint, &["put", "dataplace", &workspace().join("examples/teltonika").display().to_string(), "in"]);
    let job = dir.join("job.toml");
    std::fs::write(
        &job,
        format!(
            "job_id = \"stores\"\nprovider = \"local\"\nplugin = {:?}\ninputs = [\"{scheme}://dataplace/in/\"]\noutput = \"{scheme}://dataplace/out\"\n[config]\nvehicle_id = \"{{stem}}\"\n",
            plugin("teltonika").display().to_string()
        ),
    )
    .unwrap();
    // A run killed early, then resumed to the end.
    let mut first = dataplace().args(["run", &job.display().to_string()]).envs(env.iter().map(|(k, v)| (*k, v.as_str()))).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let _ = first.kill();
    first.wait().unwrap();
    let (code, report) = run_json_env(&["run", &job.display().to_string()], env);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["inputs"].as_array().unwrap().len(), 5);
    assert!(report["inputs"][0]["object"].as_str().unwrap().starts_with(&format!("{scheme}://dataplace/in/")));

    // Committed files, manifests, ledger and quarantine are all in the store.
    let root = format!("{scheme}://dataplace/out");
    let (code, committed) = run_json_env(&["job", "files", &root, "--quarantine"], env);
    assert_eq!(code, 0);
    let urls: Vec<String> = committed.as_array().unwrap().iter().map(|f| f["url"].as_str().unwrap().to_owned()).collect();
    assert!(urls.iter().any(|u| u.contains("/_quarantine/")), "the rejected packet is quarantined in the store");
    let local = dir.join("download");
    stores_py(kind, endpoint, &["get", "dataplace", "out/", &local.display().to_string()]);
    let prefix = format!("{scheme}://dataplace/");
    let rows: Vec<Row> = urls
        .iter()
        .filter(|u| !u.contains("/_quarantine/"))
        .flat_map(|u| read_rows(&local.join(u.strip_prefix(&prefix).unwrap())))
        .collect();
    assert_eq!(sorted(rows), local_rows(dir), "{kind}: the store holds exactly what a local run writes");
    assert!(local.join("out/_manifests/stores.json").exists());
    assert!(local.join("out/_ledger/job=stores/shard=0-of-1.parquet").exists());
    let (code, meter) = run_json_env(&["meter", "report", &root], env);
    assert_eq!(code, 0);
    let billed: u64 = report["inputs"].as_array().unwrap().iter().map(|i| i["fuel"].as_u64().unwrap()).sum();
    assert_eq!(meter["totals"]["fuel"].as_u64(), Some(billed));
}

#[test]
fn s3_compatible_moto() {
    let dir = scratch("store-s3");
    let port = free_port();
    let mut moto = Command::new(python());
    moto.args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()]);
    let server = Server::start(moto, port);
    let env = [
        ("AWS_ENDPOINT", server.endpoint()),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    round_trip(&dir, "s3", "s3", &server.endpoint(), &env);
}

#[test]
fn azure_compatible_azurite() {
    let dir = scratch("store-azure");
    let port = free_port();
    let mut azurite = Command::new(node_tools().join("azurite-blob"));
    azurite.args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string(), "--location"]).arg(dir.join("azurite")).args(["--silent", "--skipApiVersionCheck", "--loose"]);
    let server = Server::start(azurite, port);
    let env = [("AZURE_STORAGE_USE_EMULATOR", "true".to_owned()), ("AZURITE_BLOB_STORAGE_URL", server.endpoint())];
    round_trip(&dir, "az", "az", &server.endpoint(), &env);
}
