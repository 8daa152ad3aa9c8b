//! Every bundled example job runs with the real binary and its plugin crate, and both ledgers of
//! its report add up.

use dataplace_tests::{plugin, run_json, workspace};

#[test]
fn every_example_job_converts_and_its_books_balance() {
    let jobs = [
        ("teltonika.toml", "teltonika", 5),
        ("obd.toml", "obd-elm327", 3),
        ("high-mobility.toml", "high-mobility", 2),
        ("candump-bmw.toml", "candump-dbc", 1),
        ("candump-prius.toml", "candump-dbc", 1),
        ("candump-hyundai.toml", "candump-dbc", 1),
    ];
    for (job, crate_name, inputs) in jobs {
        plugin(crate_name); // build it once, with cargo's output in the test log
        let (code, report) = run_json(&["run", &workspace().join("examples").join(job).display().to_string()]);
        assert_eq!(code, 0, "{job}: {report:#}");
        let all = report["inputs"].as_array().unwrap();
        assert_eq!(all.len(), inputs, "{job}");
        for i in all {
            let n = |k: &str| i[k].as_u64().unwrap();
            assert_eq!(i["outcome"], "ok", "{job}: {i:#}");
            assert_eq!(n("units_read"), n("decoded") + n("skipped") + n("rejects"), "{job}: {i:#}");
            assert_eq!(n("observations"), n("written") + n("quarantined") + n("discarded"), "{job}: {i:#}");
            assert!(n("written") > 1000, "{job}: {i:#}");
        }
    }
}
