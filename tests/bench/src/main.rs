//! Run the benchmark suite and print its ratio table; write it as JSON for comparisons across
//! commits.
//!
//! Run with: cargo run --release -p dataplace-bench -- --out docs/benchmarks.json

use clap::Parser;
use dataplace_bench::{Scale, Section, Tools, dataplace_binary, run, scratch};

/// The dataplace benchmark suite (2–3 minutes on 2 cores after the build).
#[derive(Parser)]
struct Args {
    /// Write the results as JSON here.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// A seconds-long smoke run of every benchmark on tiny inputs.
    #[arg(long)]
    tiny: bool,
    /// Run only these sections (repeatable; default: all).
    #[arg(long, value_enum)]
    only: Vec<Section>,
}

fn main() {
    let args = Args::parse();
    let scale = if args.tiny { Scale::TINY } else { Scale::FULL };
    let tools = Tools { dataplace: dataplace_binary(), scratch: scratch("suite") };
    let started = std::time::Instant::now();
    let report = run(scale, &tools, &args.only);
    println!("{}", report.table());
    println!("suite took {:.0} s", started.elapsed().as_secs_f64());
    if let Some(out) = args.out {
        let json = serde_json::json!({ "machine": machine(), "rows": report.rows });
        std::fs::write(&out, serde_json::to_string_pretty(&json).expect("json")).expect("writing the results");
    }
    let _ = std::fs::remove_dir_all(&tools.scratch);
}

/// What the numbers were measured on.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())).unwrap_or_default();
    format!("{cpu}, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()))
}
