//! The benchmark suite. Every result is a ratio of two measurements taken in the same run on the
//! same machine (absolute MB/s are printed for context only):
//!
//! 1. sandbox overhead per converter: the wasm plugin in the runtime (fuel on, and off) vs the
//!    same decoder crate compiled natively, decoding the same input to observations in memory;
//! 2. end to end: `dataplace convert` (read, wasm decode, validate, zstd Parquet to the local
//!    store) vs the floor: the native decoder feeding `ArrowWriter` directly;
//! 3. what a user would write instead: a Python decoder + pyarrow (`baselines/`);
//! 4. per-object cost: a fresh sandbox per object, 10,000 small objects vs one large one;
//! 5. memory: peak RSS of converting a 100 MB and a 1 GB input;
//! 6. scaling: `--jobs 1` vs `--jobs 2`.

mod floor;
mod inputs;
mod measure;

use dataplace_sdk::Converter;
pub use measure::{Report, Row};
use measure::{best_of, mbps, time};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// How big the suite runs.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// MB decoded per converter for the sandbox overhead.
    pub decode_mb: f64,
    /// MB of the end-to-end input.
    pub e2e_mb: f64,
    /// MB the Python baseline decodes.
    pub python_mb: f64,
    /// Small objects of the per-object benchmark.
    pub small_objects: usize,
    /// The two inputs of the memory benchmark, MB.
    pub memory_mb: [f64; 2],
    /// Inputs × MB of the scaling benchmark.
    pub scaling: (usize, f64),
}

impl Scale {
    /// The documented suite: under 15 minutes on 2 cores.
    pub const FULL: Scale = Scale { decode_mb: 200.0, e2e_mb: 200.0, python_mb: 20.0, small_objects: 10_000, memory_mb: [100.0, 1024.0], scaling: (8, 25.0) };
    /// A smoke run for the test suite: seconds, every code path.
    pub const TINY: Scale = Scale { decode_mb: 0.5, e2e_mb: 0.5, python_mb: 0.2, small_objects: 20, memory_mb: [0.5, 1.0], scaling: (2, 0.25) };
}

/// The tools the suite drives: the `dataplace` binary, the plugin components, Python.
pub struct Tools {
    pub dataplace: PathBuf,
    pub scratch: PathBuf,
}

impl Tools {
    fn convert(&self, args: &[&str]) -> Value {
        let out = Command::new(&self.dataplace).arg("convert").args(args).arg("--json").output().expect("running dataplace");
        assert!(out.status.success(), "dataplace convert {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("a JSON report")
    }
}

/// The parts of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Sandbox,
    EndToEnd,
    Python,
    PerObject,
    Memory,
    Scaling,
}

/// Run the suite, or only the sections in `only` (empty: all). The Python and per-object
/// sections compare with the end-to-end throughput, so they run it too.
pub fn run(scale: Scale, tools: &Tools, only: &[Section]) -> Report {
    let wanted = |s: Section| only.is_empty() || only.contains(&s);
    let mut report = Report::default();
    if wanted(Section::Sandbox) {
        sandbox_overhead(scale, &mut report);
    }
    if wanted(Section::EndToEnd) || wanted(Section::Python) || wanted(Section::PerObject) {
        let e2e_mbps = end_to_end(scale, tools, &mut report);
        if wanted(Section::Python) {
            python_baseline(scale, tools, e2e_mbps, &mut report);
        }
        if wanted(Section::PerObject) {
            per_object(scale, tools, e2e_mbps, &mut report);
        }
    }
    if wanted(Section::Memory) {
        memory(scale, tools, &mut report);
    }
    if wanted(Section::Scaling) {
        scaling(scale, tools, &mut report);
    }
    report
}

fn plugin_bytes(name: &str) -> Vec<u8> {
    std::fs::read(dataplace_tests::plugin(name)).expect("component")
}

/// 1. Each converter natively, and as wasm in the runtime with fuel on and off.
fn sandbox_overhead(scale: Scale, report: &mut Report) {
    use dataplace_candump_dbc::CandumpDbc;
    use dataplace_high_mobility::HighMobility;
    use dataplace_obd_elm327::Obd;
    use dataplace_teltonika::Teltonika;
    dataplace_tests::use_runtime_catalogue();
    let can = inputs::can_config();
    let can_config: Vec<(&str, &str)> = can.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let teltonika = inputs::teltonika(scale.decode_mb);
    overhead::<Teltonika>(report, "teltonika", &teltonika, &[]);
    drop(teltonika);
    let obd = inputs::obd(scale.decode_mb);
    overhead::<Obd>(report, "obd-elm327", &obd, &[]);
    drop(obd);
    let hm = inputs::high_mobility(scale.decode_mb);
    overhead::<HighMobility>(report, "high-mobility", &hm, &[]);
    drop(hm);
    let candump = inputs::candump(scale.decode_mb);
    overhead::<CandumpDbc>(report, "candump-dbc", &candump, &can_config);
}

/// Timed runs per variant in the sandbox overhead benchmark; the fastest counts.
const RUNS: usize = 5;

fn overhead<C: Converter>(report: &mut Report, name: &str, input: &[u8], config: &[(&str, &str)]) {
    let chunk = 1 << 20;
    let (native_n, native) = best_of(RUNS, || dataplace_sdk::native::count::<C>(config, "bench.bin", input, chunk).expect("native decode"));
    let bytes = plugin_bytes(name);
    let owned: Vec<(String, String)> = config.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let (metered, unmetered) = (measure::load(&bytes, true), measure::load(&bytes, false));
    let (fuel_n, fuel) = best_of(RUNS, || measure::wasm_decode(&metered, &owned, input, chunk));
    let (free_n, free) = best_of(RUNS, || measure::wasm_decode(&unmetered, &owned, input, chunk));
    assert_eq!((native_n, native_n), (fuel_n, free_n), "{name}: the wasm and native builds emit the same observations");
    let mb = input.len() as f64 / 1e6;
    report.push(Row::ratio(&format!("{name}: wasm (fuel on) / native time"), fuel.as_secs_f64() / native.as_secs_f64(), 1.3, false)
        .context(format!("native {:.0} MB/s, wasm {:.0} MB/s, {:.1} M obs/s wasm", mbps(mb, native), mbps(mb, fuel), native_n as f64 / fuel.as_secs_f64() / 1e6)));
    report.push(Row::ratio(&format!("{name}: fuel on / fuel off time"), fuel.as_secs_f64() / free.as_secs_f64(), 1.15, false)
        .context(format!("metering's own cost; fuel off {:.0} MB/s", mbps(mb, free))));
}

/// 2. `dataplace convert` against the native floor; returns dataplace's MB/s.
fn end_to_end(scale: Scale, tools: &Tools, report: &mut Report) -> f64 {
    let input = tools.scratch.join("e2e.bin");
    std::fs::write(&input, inputs::teltonika(scale.e2e_mb)).expect("e2e input");
    let mb = std::fs::metadata(&input).expect("e2e input").len() as f64 / 1e6;
    let wasm = dataplace_tests::plugin("teltonika").display().to_string();
    let out = tools.scratch.join("e2e-out");
    let _ = std::fs::remove_dir_all(&out);
    let (r, e2e) = time(|| tools.convert(&["--plugin", &wasm, "--output", &out.display().to_string(), &input.display().to_string()]));
    let written = r["totals"]["written"].as_u64().expect("written");
    let floor_file = tools.scratch.join("floor.parquet");
    let (floor_rows, floor) = time(|| floor::native_to_parquet(&std::fs::read(&input).expect("input"), &floor_file));
    assert_eq!(floor_rows, written, "the floor writes what dataplace writes");
    let e2e_mbps = mbps(mb, e2e);
    report.push(
        Row::ratio("end to end: dataplace convert / native floor throughput", floor.as_secs_f64() / e2e.as_secs_f64(), 0.7, true)
            .context(format!("dataplace {e2e_mbps:.0} MB/s ({:.1} M rows/s), floor {:.0} MB/s", written as f64 / e2e.as_secs_f64() / 1e6, mbps(mb, floor))),
    );
    e2e_mbps
}

/// 3. The Python + pyarrow baseline against dataplace's end-to-end throughput.
fn python_baseline(scale: Scale, tools: &Tools, e2e_mbps: f64, report: &mut Report) {
    let input = tools.scratch.join("python.bin");
    std::fs::write(&input, inputs::teltonika(scale.python_mb)).expect("python input");
    let mb = std::fs::metadata(&input).expect("python input").len() as f64 / 1e6;
    let script = dataplace_tests::workspace().join("tests/bench/baselines/teltonika_pyarrow.py");
    // The virtualenv is made (and pyarrow installed) on first use: before the clock starts.
    let interpreter = dataplace_tests::python();
    let (out, python) = time(|| Command::new(&interpreter).arg(&script).arg(&input).arg(tools.scratch.join("python.parquet")).output().expect("python baseline"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let python_mbps = mbps(mb, python);
    report.push(Row::ratio("Python + pyarrow baseline: dataplace / Python throughput", e2e_mbps / python_mbps, 20.0, true).context(format!("Python {python_mbps:.2} MB/s")));
}

/// 4. Sandbox setup per object, and many small objects against one large one.
fn per_object(scale: Scale, tools: &Tools, e2e_mbps: f64, report: &mut Report) {
    let bytes = plugin_bytes("teltonika");
    let opens = 1000;
    let per_open = measure::instantiation(&bytes, opens);
    report.push(Row::info("fresh sandbox (store + instance + open + finish) per object", format!("{:.0} µs", per_open.as_secs_f64() * 1e6)));
    let dir = tools.scratch.join("small");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("small dir");
    let mut total = 0;
    for (i, object) in inputs::small_objects(scale.small_objects).into_iter().enumerate() {
        total += object.len();
        std::fs::write(dir.join(format!("{i:05}.bin")), object).expect("small object");
    }
    let wasm = dataplace_tests::plugin("teltonika").display().to_string();
    let out = tools.scratch.join("small-out");
    let _ = std::fs::remove_dir_all(&out);
    let (_, small) = time(|| tools.convert(&["--plugin", &wasm, "--jobs", "2", "--output", &out.display().to_string(), &dir.display().to_string()]));
    let small_mbps = mbps(total as f64 / 1e6, small);
    report.push(
        Row::ratio(&format!("{} objects of ~1 KiB / one large object throughput", scale.small_objects), small_mbps / e2e_mbps, 0.0, true)
            .context(format!("{:.0} objects/s, {small_mbps:.2} MB/s", scale.small_objects as f64 / small.as_secs_f64())),
    );
}

/// 5. Peak RSS of converting a small and a large input: it must not grow with the input.
fn memory(scale: Scale, tools: &Tools, report: &mut Report) {
    let wasm = dataplace_tests::plugin("teltonika").display().to_string();
    let mut peaks = Vec::new();
    for mb in scale.memory_mb {
        let input = tools.scratch.join(format!("memory-{mb}.bin"));
        inputs::teltonika_file(mb, &input);
        let out = tools.scratch.join("memory-out");
        let _ = std::fs::remove_dir_all(&out);
        let r = tools.convert(&["--plugin", &wasm, "--output", &out.display().to_string(), &input.display().to_string()]);
        let _ = std::fs::remove_file(&input);
        let peak = r["peak_rss_bytes"].as_u64().expect("peak RSS (Linux)");
        peaks.push(peak);
        report.push(Row::info(&format!("peak RSS converting {mb} MB"), format!("{:.0} MiB (bound 512 MiB)", peak as f64 / (1 << 20) as f64)));
        assert!(peak < 512 << 20, "peak RSS {peak} exceeds the documented 512 MiB bound");
    }
    report.push(Row::ratio("peak RSS large / small input", peaks[1] as f64 / peaks[0] as f64, 1.5, false).context("flat: independent of input size".into()));
}

/// 6. Two inputs at a time on two cores.
fn scaling(scale: Scale, tools: &Tools, report: &mut Report) {
    let dir = tools.scratch.join("scaling");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scaling dir");
    for i in 0..scale.scaling.0 {
        std::fs::write(dir.join(format!("{i}.bin")), inputs::teltonika_seeded(scale.scaling.1, 1000 + i as u64)).expect("scaling input");
    }
    let wasm = dataplace_tests::plugin("teltonika").display().to_string();
    let mut times = Vec::new();
    for jobs in ["1", "2"] {
        let out = tools.scratch.join(format!("scaling-out-{jobs}"));
        let _ = std::fs::remove_dir_all(&out);
        let (_, t) = time(|| tools.convert(&["--plugin", &wasm, "--jobs", jobs, "--output", &out.display().to_string(), &dir.display().to_string()]));
        times.push(t);
    }
    report.push(Row::ratio("scaling: --jobs 2 / --jobs 1 throughput (2 cores)", times[0].as_secs_f64() / times[1].as_secs_f64(), 0.0, true)
        .context(format!("each process also runs reader, plugin and writer in parallel: {:.1} s vs {:.1} s", times[0].as_secs_f64(), times[1].as_secs_f64())));
}

/// Build the release (or debug) `dataplace` binary with cargo and return its path.
pub fn dataplace_binary() -> PathBuf {
    let release = !cfg!(debug_assertions);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "dataplace", "--bin", "dataplace", "--message-format=json-render-diagnostics"]).current_dir(dataplace_tests::workspace());
    if release {
        cmd.arg("--release");
    }
    let out = cmd.stderr(std::process::Stdio::inherit()).output().expect("cargo build");
    assert!(out.status.success(), "building dataplace failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .find(|p| p.file_name().is_some_and(|f| f == "dataplace"))
        .expect("cargo reports the dataplace executable")
}

/// A scratch directory for the suite.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dataplace-bench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
