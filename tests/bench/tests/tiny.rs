//! The benchmark harness itself runs (on tiny inputs, no timing assertions: benchmarks are not
//! tests): every measurement produces its row, and the memory check holds.

use dataplace_bench::{Scale, Tools, run, scratch};

#[test]
fn the_suite_runs_on_tiny_inputs() {
    let tools = Tools { dataplace: dataplace_bench::dataplace_binary(), scratch: scratch("tiny") };
    let report = run(Scale::TINY, &tools, &[]);
    let names: Vec<&str> = report.rows.iter().map(|r| r.name.as_str()).collect();
    for expected in ["teltonika: wasm (fuel on) / native time", "candump-dbc: fuel on / fuel off time", "end to end: dataplace convert / native floor throughput", "Python + pyarrow baseline: dataplace / Python throughput", "peak RSS large / small input", "scaling: --jobs 2 / --jobs 1 throughput (2 cores)"] {
        assert!(names.contains(&expected), "missing {expected}: {names:?}");
    }
    assert!(report.rows.iter().filter_map(|r| r.ratio).all(|r| r.is_finite() && r > 0.0));
    assert!(report.table().lines().count() >= report.rows.len() + 2);
}
