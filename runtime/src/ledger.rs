//! The ledger stage: per input object, the two sets of books that must balance — the plugin's
//! input units (read = decoded + skipped + rejected) and the host's observations (emitted =
//! written + quarantined) — plus fuel, bytes and the outcome; and their totals for the job.

use crate::sink::{ParquetFile, SinkError, WrittenFile};
use crate::store::Location;
use crate::validate::Checked;
use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How the conversion of one input object ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Converted; its output is committed.
    #[default]
    Ok,
    /// The plugin hit a resource limit; nothing of the input is visible.
    Limit,
    /// The plugin trapped; nothing of the input is visible.
    Trap,
    /// The plugin refused its config, gave up (fatal) or broke the contract; nothing of the input
    /// is visible.
    Error,
    /// Reading the input or writing its output failed; nothing of the input is visible, and a
    /// resumed job tries it again.
    Io,
}

/// The books of one input object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InputReport {
    /// The input object's URL.
    pub object: String,
    /// Bytes read from the object.
    pub bytes: u64,
    /// Input units (packets, lines, frames) the plugin completed.
    pub units_read: u64,
    pub decoded: u64,
    pub skipped: u64,
    pub rejects: u64,
    /// Observations the plugin emitted.
    pub observations: u64,
    /// Observations written to the output.
    pub written: u64,
    /// Observations quarantined by validation.
    pub quarantined: u64,
    /// Observations of a failed input, dropped with it (0 when the input converted):
    /// observations = written + quarantined + discarded.
    pub discarded: u64,
    /// Fuel billed for the object.
    pub fuel: u64,
    /// The object's fuel budget (`fuel_base + fuel_per_byte × size`).
    pub fuel_budget: u64,
    /// Bytes of Parquet committed for the object (data and quarantine).
    pub bytes_out: u64,
    /// Sandboxes instantiated for the object (one, unless the plugin could not even start).
    pub instantiations: u64,
    /// When the conversion started and ended, µs since the epoch (UTC).
    pub started_at_us: i64,
    pub finished_at_us: i64,
    /// Largest plugin memory, bytes.
    pub peak_memory: u64,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Skipped units per reason.
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Rejected units per reason code.
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Quarantined observations per reason code.
    pub quarantined_by_reason: BTreeMap<String, u64>,
    /// The plugin's diagnostic counters.
    pub notes: BTreeMap<String, u64>,
    /// Committed output files (data and quarantine).
    pub files: Vec<WrittenFile>,
    /// True when the input was committed by an earlier run of the job and skipped by this one.
    #[serde(default)]
    pub resumed: bool,
}

impl InputReport {
    /// A report for `object` before anything happened.
    pub fn new(object: String) -> Self {
        Self { object, ..Self::default() }
    }

    /// Add one batch as validation judged it.
    pub fn add(&mut self, checked: &Checked) {
        self.units_read += checked.units.read;
        self.decoded += checked.units.decoded;
        for (reason, n) in &checked.units.skipped {
            self.skipped += n;
            *self.skipped_by_reason.entry(reason.clone()).or_default() += n;
        }
        self.rejects += checked.rejects.len() as u64;
        for r in &checked.rejects {
            *self.rejects_by_reason.entry(r.code.clone()).or_default() += 1;
        }
        for (code, n) in &checked.notes {
            *self.notes.entry(code.clone()).or_default() += n;
        }
        self.observations += checked.emitted;
        self.written += checked.written();
        self.quarantined += checked.quarantined.len() as u64;
        for q in &checked.quarantined {
            *self.quarantined_by_reason.entry(q.reason.code().to_owned()).or_default() += 1;
        }
    }

    /// Both ledgers balance.
    pub fn balanced(&self) -> bool {
        self.units_read == self.decoded + self.skipped + self.rejects
            && self.observations == self.written + self.quarantined + self.discarded
    }

    /// Record a failure: none of the input's output is visible, so what was written or
    /// quarantined so far counts as discarded. The unit counts stay, showing how far the plugin got.
    pub fn fail(&mut self, outcome: Outcome, error: String) {
        self.outcome = outcome;
        self.error = Some(error);
        self.discarded += self.written + self.quarantined;
        self.written = 0;
        self.quarantined = 0;
        self.quarantined_by_reason.clear();
        self.files.clear();
    }
}

/// The plugin as reports and the ledger name it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginId {
    pub name: String,
    pub version: String,
    /// Hex SHA-256 of the component bytes that ran.
    pub sha256: String,
    /// `provider/name@version` when the plugin came from the registry (signature verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

impl PluginId {
    /// The id of a loaded plugin; `published` is its registry reference, if it came from one.
    pub fn of(plugin: &crate::plugin::Plugin, published: Option<String>) -> Self {
        let info = plugin.info();
        Self { name: info.name.clone(), version: info.version.clone(), sha256: plugin.sha256().to_owned(), published }
    }
}

/// The outcome of a job: every input's books, and their totals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobReport {
    pub job_id: String,
    pub provider: String,
    pub plugin: PluginId,
    pub catalogue_version: String,
    /// The fuel cost schedule (`dp-fuel-1+<digest>`) every fuel number refers to.
    pub fuel_schedule: String,
    pub wasmtime_version: String,
    /// Bytes per plugin call: part of the priced configuration.
    pub chunk_bytes: u64,
    pub output: String,
    pub inputs: Vec<InputReport>,
    pub totals: Totals,
    pub wall_time_s: f64,
    /// Peak resident memory of the host process, when the platform tells (Linux).
    pub peak_rss_bytes: Option<u64>,
    /// True when the plugin's machine code came from the compiled-code cache.
    #[serde(default)]
    pub compiled_from_cache: bool,
}

impl JobReport {
    /// True when every input converted.
    pub fn all_ok(&self) -> bool {
        self.inputs.iter().all(|i| i.outcome == Outcome::Ok)
    }
}

/// Sums over all inputs of a job.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    pub inputs: u64,
    pub inputs_ok: u64,
    pub inputs_failed: u64,
    pub bytes: u64,
    pub units_read: u64,
    pub decoded: u64,
    pub skipped: u64,
    pub rejects: u64,
    pub observations: u64,
    pub written: u64,
    pub quarantined: u64,
    pub discarded: u64,
    pub fuel: u64,
}

impl Totals {
    /// Sum the reports.
    pub fn of(inputs: &[InputReport]) -> Self {
        let mut t = Totals::default();
        for r in inputs {
            t.inputs += 1;
            if r.outcome == Outcome::Ok {
                t.inputs_ok += 1;
            } else {
                t.inputs_failed += 1;
            }
            t.bytes += r.bytes;
            t.units_read += r.units_read;
            t.decoded += r.decoded;
            t.skipped += r.skipped;
            t.rejects += r.rejects;
            t.observations += r.observations;
            t.written += r.written;
            t.quarantined += r.quarantined;
            t.discarded += r.discarded;
            t.fuel += r.fuel;
        }
        t
    }
}

/// Append a job shard's rows to the metering ledger: one Parquet file per job and shard,
/// `_ledger/job=<job_id>/shard=<i>-of-<n>.parquet`, one row per input object, written in one
/// atomic put (a resumed run rewrites it with all the shard's rows, so nothing is billed twice).
///
/// # Errors
/// [`SinkError`] when the store refuses the write.
pub async fn append(root: &Location, report: &JobReport, shard: crate::manifest::Shard) -> Result<WrittenFile, SinkError> {
    let location = root.join(&format!("_ledger/job={}/shard={}-of-{}.parquet", report.job_id, shard.index, shard.count));
    let mut file = ParquetFile::create(location, crate::schema::ledger(), WriterProperties::builder().build(), 64 << 20)?;
    file.write(&rows(report)).await?;
    file.commit(&[]).await
}

/// The ledger rows of a job (schema [`crate::schema::ledger`]).
pub fn rows(r: &JobReport) -> RecordBatch {
    let n = r.inputs.len();
    let same = |s: &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n))) };
    let text = |f: &dyn Fn(&InputReport) -> Option<&str>| -> ArrayRef { Arc::new(r.inputs.iter().map(f).collect::<StringArray>()) };
    let num = |f: &dyn Fn(&InputReport) -> u64| -> ArrayRef { Arc::new(r.inputs.iter().map(f).collect::<UInt64Array>()) };
    let time = |f: &dyn Fn(&InputReport) -> i64| -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from_iter_values(r.inputs.iter().map(f)).with_timezone(crate::schema::TIMEZONE))
    };
    let columns: Vec<ArrayRef> = vec![
        same(&r.job_id),
        same(&r.provider),
        same(&r.plugin.name),
        same(&r.plugin.version),
        same(&r.plugin.sha256),
        text(&|i| Some(&i.object)),
        text(&|i| Some(outcome_code(i.outcome))),
        text(&|i| i.error.as_deref()),
        num(&|i| i.fuel),
        num(&|i| i.fuel_budget),
        num(&|i| i.bytes),
        num(&|i| i.bytes_out),
        num(&|i| i.units_read),
        num(&|i| i.decoded),
        num(&|i| i.skipped),
        num(&|i| i.rejects),
        num(&|i| i.observations),
        num(&|i| i.written),
        num(&|i| i.quarantined),
        num(&|i| i.discarded),
        num(&|i| i.instantiations),
        num(&|i| i.peak_memory),
        same(&r.fuel_schedule),
        same(&r.wasmtime_version),
        Arc::new(UInt64Array::from_iter_values(std::iter::repeat_n(r.chunk_bytes, n))),
        time(&|i| i.started_at_us),
        time(&|i| i.finished_at_us),
    ];
    RecordBatch::try_new(crate::schema::ledger(), columns).expect("columns match the ledger schema")
}

/// The outcome as the ledger spells it.
pub fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Limit => "limit",
        Outcome::Trap => "trap",
        Outcome::Error => "error",
        Outcome::Io => "io",
    }
}

/// Peak resident memory of this process (`VmHWM`), on Linux.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}
