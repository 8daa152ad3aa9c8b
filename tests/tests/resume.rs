//! Exactly-once output under crashes and scale-out: a multi-object job killed with SIGKILL at
//! many (seeded, random) moments and resumed each time commits exactly what one clean run
//! commits; three shard processes and `job commit` commit what one process commits.

use dataplace_fixtures::teltonika::{self, Codec, Tracker};
use dataplace_tests::{Row, dataplace, plugin, read_rows, run, run_json, scratch, sorted};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Twelve tracker sessions of two hours each.
fn inputs(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..12u64 {
        let t = Tracker {
            imei: format!("3563070424410{:02}", i),
            vin: format!("WF0XXXGCDX75123{:02}", i),
            codec: if i % 3 == 0 { Codec::C8 } else { Codec::C8E },
            start_ms: 1_714_540_000_000 + i * 3_600_000,
            home: (52.0 + i as f64 * 0.01, 13.0),
        };
        std::fs::write(dir.join(format!("unit-{i:02}.bin")), teltonika::session(&t, 2.0, 70 + i)).unwrap();
    }
}

fn job_file(dir: &Path, out: &str) -> PathBuf {
    let job = format!(
        "job_id = \"nightly\"\nprovider = \"fleet\"\nplugin = {:?}\ninputs = [\"in/*.bin\"]\noutput = {out:?}\n[limits.job]\nparallel_inputs = 2\n",
        plugin("teltonika").display().to_string()
    );
    let path = dir.join(format!("{out}.toml"));
    std::fs::write(&path, job).unwrap();
    path
}

/// The committed observations of a root, via `dataplace job files`, checking no file is listed twice.
fn committed_rows(root: &Path) -> Vec<Row> {
    let (code, files) = run_json(&["job", "files", &root.display().to_string()]);
    assert_eq!(code, 0);
    let urls: Vec<&str> = files.as_array().unwrap().iter().map(|f| f["url"].as_str().unwrap()).collect();
    let mut unique = urls.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), urls.len(), "a file is committed twice");
    sorted(urls.iter().flat_map(|u| read_rows(Path::new(u.strip_prefix("file://").unwrap()))).collect())
}

/// Every Parquet file under the data folders of a root.
fn visible(root: &Path) -> Vec<PathBuf> {
    dataplace_tests::files(root, ".parquet").into_iter().filter(|f| f.strip_prefix(root).unwrap().starts_with("provider=fleet")).collect()
}

#[test]
fn killed_at_ten_moments_and_resumed_it_commits_exactly_one_clean_run() {
    let dir = scratch("resume-kill");
    inputs(&dir.join("in"));
    let clean_job = job_file(&dir, "clean");
    let started = Instant::now();
    let (code, _, stderr) = run(&["run", &clean_job.display().to_string()]);
    assert_eq!(code, 0, "{stderr}");
    let clean_ms = started.elapsed().as_millis() as u64;
    let clean = committed_rows(&dir.join("clean"));
    assert!(clean.len() > 50_000);

    // Rounds of: run, kill at a random moment, run again … until a run completes. Each round
    // writes to its own root; every round must commit exactly the clean run's observations.
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut kills = 0;
    for round in 0..20 {
        let name = format!("crashy-{round}");
        let job = job_file(&dir, &name);
        loop {
            let mut child = dataplace().args(["run", &job.display().to_string()]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(rng.random_range(5..clean_ms.max(50))));
            match child.try_wait().unwrap() {
                Some(status) => {
                    assert!(status.success(), "an unkilled run failed: {status}");
                    break;
                }
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                }
            }
        }
        let root = dir.join(&name);
        assert_eq!(committed_rows(&root), clean, "round {round}: no duplicate, no missing observation");
        let (code, manifest) = run_json(&["job", "commit", &root.display().to_string(), "nightly"]);
        assert_eq!(code, 0);
        assert_eq!(manifest["inputs"].as_array().unwrap().len(), 12, "every input exactly once");
        // Whatever the kills left behind is not committed, and gc removes it.
        let (code, _, _) = run(&["job", "gc", &root.display().to_string()]);
        assert_eq!(code, 0);
        let data_files = manifest["inputs"].as_array().unwrap().iter().flat_map(|i| i["files"].as_array().unwrap()).filter(|f| !f["url"].as_str().unwrap().contains("_quarantine")).count();
        assert_eq!(visible(&root).len(), data_files, "after gc only committed files are visible");
        eprintln!("round {round}: {kills} kills so far (clean run {clean_ms} ms)");
        if kills >= 10 {
            break;
        }
    }
    assert!(kills >= 10, "only {kills} kills landed");
}

#[test]
fn three_shards_and_a_commit_equal_one_process() {
    let dir = scratch("resume-shards");
    inputs(&dir.join("in"));
    let (code, _, stderr) = run(&["run", &job_file(&dir, "single").display().to_string()]);
    assert_eq!(code, 0, "{stderr}");
    let sharded = job_file(&dir, "sharded");
    let root = dir.join("sharded").display().to_string();
    for i in 0..3 {
        if i == 1 {
            // Not all shards there yet: the commit refuses and says which are missing.
            let (code, _, stderr) = run(&["job", "commit", &root, "nightly"]);
            assert_eq!(code, 1);
            assert!(stderr.contains("shard(s) 1, 2 of 3 have not finished"), "{stderr}");
        }
        // Shard 2 takes its index from the Kubernetes Indexed Job variable.
        let out = if i == 2 {
            dataplace().args(["run", &sharded.display().to_string(), "--shards", "3"]).env("JOB_COMPLETION_INDEX", "2").output().unwrap()
        } else {
            dataplace().args(["run", &sharded.display().to_string(), "--shard", &format!("{i}/3")]).output().unwrap()
        };
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(committed_rows(&dir.join("sharded")).is_empty(), "nothing is committed before `job commit`");
    let (code, report) = run_json(&["job", "commit", &root, "nightly"]);
    assert_eq!(code, 0);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 12);
    assert_eq!(committed_rows(&dir.join("sharded")), committed_rows(&dir.join("single")));
    let (_, single) = run_json(&["meter", "report", &dir.join("single").display().to_string()]);
    let (_, shards) = run_json(&["meter", "report", &root]);
    assert_eq!(single["totals"]["fuel"], shards["totals"]["fuel"], "the shards' ledgers bill what one process bills");
}
