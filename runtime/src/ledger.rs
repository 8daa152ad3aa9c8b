//! The ledger stage: per input object, the two sets of books that must balance — the plugin's
//! input units (read = decoded + skipped + rejected) and the host's observations (emitted =
//! written + quarantined) — plus fuel, bytes and the outcome; and their totals for the job.

use crate::sink::WrittenFile;
use crate::validate::Checked;
use serde::Serialize;
use std::collections::BTreeMap;

/// How the conversion of one input object ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Converted; its output is committed.
    #[default]
    Ok,
    /// The plugin hit a resource limit; nothing of the input is visible.
    Limit,
    /// The plugin trapped; nothing of the input is visible.
    Trap,
    /// Anything else failed (config, plugin fatal error, contract violation, read or write
    /// error); nothing of the input is visible.
    Error,
}

/// The books of one input object.
#[derive(Debug, Clone, Default, Serialize)]
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

/// Sums over all inputs of a job.
#[derive(Debug, Clone, Default, Serialize)]
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
