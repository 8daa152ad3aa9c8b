//! Helpers shared by the end-to-end tests: the bundled plugins built once per test process, the
//! real `dataplace` binary, and a reader that turns an output root back into rows.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type, TimestampMicrosecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

pub use dataplace_sdk::native::Value;

/// The workspace root.
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace")
}

/// The component of a bundled plugin (`plugins/<name>`), built once per test process.
pub fn plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built
        .entry(name.to_owned())
        .or_insert_with(|| {
            let dir = workspace().join("plugins").join(name);
            dataplace::plugin::crate_build::build(&dir, None).unwrap_or_else(|e| panic!("building plugin {name}: {e}"))
        })
        .clone()
}

/// `target/<profile>`, where cargo put this test executable (in `deps/`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps").to_path_buf()
}

/// Cargo's target directory for this test run (`target/`, or `$CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    profile_dir().parent().expect("target/<profile>").to_path_buf()
}

/// The `dataplace` binary cargo built for this test run (the runtime package's integration
/// tests make cargo build it before any test runs).
pub fn dataplace() -> Command {
    let bin = profile_dir().join("dataplace");
    assert!(bin.exists(), "{} not built: run the tests with `cargo test --workspace`", bin.display());
    Command::new(bin)
}

/// Run `dataplace` with `args`; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

/// Run `dataplace` with `args` and extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, String)]) -> (i32, String, String) {
    let out = dataplace().args(args).envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().expect("running dataplace");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Run `dataplace … --json` and parse the report.
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value) {
    run_json_env(args, &[])
}

/// Run `dataplace … --json` with extra environment variables and parse the report.
pub fn run_json_env(args: &[&str], env: &[(&str, String)]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = run_env(&all, env);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("report is not JSON ({e}); exit {code}; stderr:\n{stderr}\nstdout:\n{stdout}"));
    (code, report)
}

/// A fresh, empty directory under the target directory, named for the test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = profile_dir().join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Every file under `dir` whose name ends with `suffix`, sorted.
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The observation files under an output root (`provider=*/…/*.parquet`), sorted.
pub fn data_files(root: &Path) -> Vec<PathBuf> {
    files(root, ".parquet").into_iter().filter(|f| f.strip_prefix(root).is_ok_and(|r| r.to_string_lossy().starts_with("provider="))).collect()
}

/// Every observation under an output root.
pub fn data_rows(root: &Path) -> Vec<Row> {
    data_files(root).iter().flat_map(|f| read_rows(f)).collect()
}

/// One observation read back from Parquet.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub vehicle_id: String,
    pub time_us: i64,
    pub signal: String,
    pub value: Value,
}

/// Read an observation file back, checking that exactly one value column is set per row.
pub fn read_rows(file: &Path) -> Vec<Row> {
    read_batches(file).iter().flat_map(rows_of).collect()
}

/// The record batches of a Parquet file.
pub fn read_batches(file: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(file).expect("parquet file");
    let reader = ParquetRecordBatchReaderBuilder::try_new(f).expect("parquet footer").build().expect("reader");
    reader.map(|b| b.expect("record batch")).collect()
}

/// The key-value metadata (lineage) of a Parquet file.
pub fn metadata(file: &Path) -> BTreeMap<String, String> {
    let f = std::fs::File::open(file).expect("parquet file");
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).expect("parquet footer");
    dataplace::sink::lineage(builder.metadata().file_metadata())
}

fn rows_of(b: &RecordBatch) -> Vec<Row> {
    let vehicle = b.column(0).as_string::<i32>();
    let time = b.column(1).as_primitive::<TimestampMicrosecondType>();
    let signal = arrow::compute::cast(b.column(2), &arrow::datatypes::DataType::Utf8).expect("signal as text");
    let signal = signal.as_string::<i32>();
    let (d, i, l, t, x) = (
        b.column(3).as_primitive::<Float64Type>(),
        b.column(4).as_primitive::<Int64Type>(),
        b.column(5).as_boolean(),
        b.column(6).as_string::<i32>(),
        b.column(7).as_list::<i32>(),
    );
    (0..b.num_rows())
        .map(|r| {
            let set = [d.is_valid(r), i.is_valid(r), l.is_valid(r), t.is_valid(r), x.is_valid(r)];
            assert_eq!(set.iter().filter(|s| **s).count(), 1, "row {r}: exactly one value column is set");
            let value = if d.is_valid(r) {
                Value::Double(d.value(r))
            } else if i.is_valid(r) {
                Value::Int(i.value(r))
            } else if l.is_valid(r) {
                Value::Bool(l.value(r))
            } else if t.is_valid(r) {
                Value::Text(t.value(r).to_owned())
            } else {
                let list = x.value(r);
                Value::TextList(list.as_string::<i32>().iter().map(|s| s.unwrap_or_default().to_owned()).collect())
            };
            Row { vehicle_id: vehicle.value(r).to_owned(), time_us: time.value(r), signal: signal.value(r).to_owned(), value }
        })
        .collect()
}

/// Rows sorted into a canonical order, for multiset comparisons.
pub fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| {
        (&a.vehicle_id, a.time_us, &a.signal)
            .cmp(&(&b.vehicle_id, b.time_us, &b.signal))
            .then_with(|| format!("{:?}", a.value).cmp(&format!("{:?}", b.value)))
    });
    rows
}

/// A Python interpreter with the consumers' tools of `tests/python/requirements.txt` (DuckDB,
/// pyarrow), in a virtualenv under the target directory, installed from PyPI on first use.
pub fn python() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let requirements = workspace().join("tests/python/requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).expect("requirements.txt");
        let venv = profile_dir().join("python-venv");
        let stamp = venv.join("installed-requirements.txt");
        let python = venv.join("bin/python");
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
            let _ = std::fs::remove_dir_all(&venv);
            let ok = |c: &mut Command, what: &str| {
                let status = c.status().unwrap_or_else(|e| panic!("{what}: {e} (Python 3 with venv is required)"));
                assert!(status.success(), "{what} failed: {status}");
            };
            ok(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv");
            ok(Command::new(&python).args(["-m", "pip", "install", "--quiet", "-r"]).arg(&requirements), "pip install");
            std::fs::write(&stamp, wanted).expect("stamp");
        }
        python
    })
    .clone()
}

/// The Node.js servers of `tests/node/package.json` (Azurite), installed from npm under the
/// target directory on first use; returns the `node_modules/.bin` directory.
pub fn node_tools() -> PathBuf {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let package = workspace().join("tests/node/package.json");
            let wanted = std::fs::read_to_string(&package).expect("package.json");
            let dir = profile_dir().join("node-tools");
            let stamp = dir.join("installed-package.json");
            if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).expect("node-tools dir");
                std::fs::write(dir.join("package.json"), &wanted).expect("package.json");
                let status = Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--silent"])
                    .current_dir(&dir)
                    .status()
                    .unwrap_or_else(|e| panic!("npm: {e} (Node.js and npm are required)"));
                assert!(status.success(), "npm install failed: {status}");
                std::fs::write(&stamp, wanted).expect("stamp");
            }
            dir.join("node_modules/.bin")
        })
        .clone()
}

/// A server process on 127.0.0.1, killed when dropped.
pub struct Server {
    child: std::process::Child,
    pub port: u16,
}

impl Server {
    /// Start `command` (which must listen on `port`) and wait until it accepts connections.
    pub fn start(mut command: Command, port: u16) -> Server {
        let child = command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect("starting a test server");
        let mut server = Server { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "the test server on port {port} did not come up");
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the test server exited: {status}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Make the SDK's native harness answer catalogue lookups from the runtime's catalogue, as the
/// host does for plugins in WebAssembly.
pub fn use_runtime_catalogue() {
    use dataplace::catalogue::Datatype as D;
    use dataplace_sdk::catalogue::{Datatype, Entry};
    dataplace_sdk::native::set_catalogue(|id| {
        dataplace::catalogue::Catalogue::builtin().get(id).map(|e| Entry {
            datatype: match e.datatype {
                D::Boolean => Datatype::Boolean,
                D::Int8 => Datatype::Int8,
                D::Int16 => Datatype::Int16,
                D::Int32 => Datatype::Int32,
                D::Int64 => Datatype::Int64,
                D::Uint8 => Datatype::Uint8,
                D::Uint16 => Datatype::Uint16,
                D::Uint32 => Datatype::Uint32,
                D::Uint64 => Datatype::Uint64,
                D::Float => Datatype::Float,
                D::Double => Datatype::Double,
                D::String => Datatype::String,
                D::StringArray => Datatype::StringArray,
                D::FloatArray => Datatype::FloatArray,
                D::Uint8Array => Datatype::Uint8Array,
            },
            unit: e.unit.clone(),
            min: e.min,
            max: e.max,
            allowed: e.allowed.clone(),
        })
    });
}
