//! Fixtures: a provider's examples of input and the exact output expected from it, checked in the
//! real sandbox under production limits (`dataplace plugin test`, and again at publish).
//!
//! A fixture is a file `<name>.expected.json` in the fixtures directory:
//!
//! ```json
//! {
//!   "input": "trip.csv",
//!   "config": { "vehicle_id": "van-7" },
//!   "observations": [
//!     { "vehicle_id": "van-7", "signal": "Vehicle.Speed", "time_us": 1714557600000000, "value": 42.5 }
//!   ],
//!   "rejects": [ { "position": 5, "code": "malformed" } ]
//! }
//! ```
//!
//! It passes when the plugin emits exactly those observations (in any order; numbers equal to a
//! relative 1e-9), rejects exactly those units, and the host would quarantine nothing.

use super::{Comparison, Observation, Run, run_input};
use crate::limits::{PluginLimits, SourceLimits};
use crate::plugin::Plugin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What ends a fixture's file name.
pub const SUFFIX: &str = ".expected.json";

/// Why fixtures could not be run (as opposed to failing).
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("no fixtures (*{SUFFIX}) in {0}")]
    None(PathBuf),
}

/// A fixture file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    /// The input object, relative to the fixture file.
    pub input: PathBuf,
    /// The plugin config for this input.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Every observation the plugin must emit, in any order.
    pub observations: Vec<Observation>,
    /// Every unit the plugin must reject.
    #[serde(default)]
    pub rejects: Vec<ExpectedReject>,
}

/// A reject a fixture expects: where, and its code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedReject {
    /// Byte offset or line number, as the plugin reports it.
    pub position: u64,
    pub code: String,
}

/// One fixture's result.
#[derive(Debug, Clone, Serialize)]
pub struct FixtureReport {
    pub name: String,
    pub passed: bool,
    /// The plugin failed the input (limit, trap, error); nothing else was compared.
    pub failure: Option<String>,
    /// Expected observations it did not emit, unexpected ones it did, and wrong values.
    pub observations: Comparison,
    pub missing_rejects: Vec<ExpectedReject>,
    pub unexpected_rejects: Vec<ExpectedReject>,
    /// What it emitted, and its ledger, fuel and memory.
    pub run: Option<Run>,
}

impl FixtureReport {
    /// A short human account: `PASS name (…)` or `FAIL name` with the differences.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let status = if self.passed { "PASS" } else { "FAIL" };
        match &self.run {
            Some(r) => s.push_str(&format!(
                "{status} {}: {} observations, {} rejects, units read {} = decoded {} + skipped {} + rejected {}, fuel {}, peak memory {} KiB\n",
                self.name,
                r.observations.len(),
                r.rejects.len(),
                r.units.read,
                r.units.decoded,
                r.units.skipped.values().sum::<u64>(),
                r.units.rejected,
                r.fuel,
                r.peak_memory_bytes >> 10
            )),
            None => s.push_str(&format!("{status} {}\n", self.name)),
        }
        if let Some(f) = &self.failure {
            s.push_str(&format!("  the plugin failed: {f}\n"));
        }
        let at = |o: &Observation| format!("{} {} @{}", o.vehicle_id, o.signal, o.time_us);
        self.observations.removed.iter().for_each(|o| s.push_str(&format!("  - missing    {} = {}\n", at(o), o.value)));
        self.observations.added.iter().for_each(|o| s.push_str(&format!("  + unexpected {} = {}\n", at(o), o.value)));
        for (want, got) in &self.observations.changed {
            s.push_str(&format!("  ~ value      {} expected {}, got {}\n", at(want), want.value, got.value));
        }
        self.missing_rejects.iter().for_each(|r| s.push_str(&format!("  - missing reject    {} at {}\n", r.code, r.position)));
        self.unexpected_rejects.iter().for_each(|r| s.push_str(&format!("  + unexpected reject {} at {}\n", r.code, r.position)));
        if let Some(r) = &self.run {
            for q in &r.quarantined {
                s.push_str(&format!("  ! quarantined {} {} @{} = {}: {} ({})\n", q.vehicle_id, q.signal, q.time_us, q.value, q.reason, q.message));
            }
        }
        s
    }
}

/// The fixture files of `dir`, sorted by name.
///
/// # Errors
/// [`FixtureError`] when the directory cannot be read or holds no fixture.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let read = |source| FixtureError::Read { path: dir.into(), source };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(SUFFIX)) {
            found.push(path);
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(FixtureError::None(dir.into()));
    }
    Ok(found)
}

/// Run every fixture of `dir` with `plugin` under `limits`, chunked as `source` says.
///
/// # Errors
/// [`FixtureError`] when a fixture cannot be read; a failing fixture is a report, not an error.
pub fn run_all(plugin: &Plugin, dir: &Path, limits: &PluginLimits, source: &SourceLimits) -> Result<Vec<FixtureReport>, FixtureError> {
    discover(dir)?.iter().map(|path| run_one(plugin, path, limits, source)).collect()
}

/// Run one fixture file.
///
/// # Errors
/// [`FixtureError`] when the fixture or its input cannot be read.
pub fn run_one(plugin: &Plugin, path: &Path, limits: &PluginLimits, source: &SourceLimits) -> Result<FixtureReport, FixtureError> {
    let text = std::fs::read(path).map_err(|source| FixtureError::Read { path: path.into(), source })?;
    let fixture: FixtureFile = serde_json::from_slice(&text).map_err(|source| FixtureError::Parse { path: path.into(), source })?;
    let input_path = path.parent().unwrap_or(Path::new(".")).join(&fixture.input);
    let input = std::fs::read(&input_path).map_err(|source| FixtureError::Read { path: input_path.clone(), source })?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().trim_end_matches(SUFFIX).to_owned();
    let config: Vec<(String, String)> = fixture.config.into_iter().collect();
    let object_name = fixture.input.to_string_lossy();
    let mut report = FixtureReport {
        name,
        passed: false,
        failure: None,
        observations: Comparison::default(),
        missing_rejects: Vec::new(),
        unexpected_rejects: Vec::new(),
        run: None,
    };
    match run_input(plugin, &config, &object_name, &input, limits, source.chunk_bytes as usize) {
        Err(f) => report.failure = Some(format!("{} (fuel {})", f.error, f.fuel)),
        Ok(run) => {
            report.observations = Comparison::of(&fixture.observations, &run.observations);
            let got: Vec<ExpectedReject> = run.rejects.iter().map(|r| ExpectedReject { position: r.position, code: r.code.clone() }).collect();
            (report.missing_rejects, report.unexpected_rejects) = multiset_difference(fixture.rejects, got);
            report.passed = report.observations.is_empty()
                && report.missing_rejects.is_empty()
                && report.unexpected_rejects.is_empty()
                && run.quarantined.is_empty();
            report.run = Some(run);
        }
    }
    Ok(report)
}

/// (in `want` only, in `got` only), counting repeats.
pub(crate) fn multiset_difference<T: Ord>(mut want: Vec<T>, mut got: Vec<T>) -> (Vec<T>, Vec<T>) {
    want.sort();
    got.sort();
    let (mut only_want, mut only_got) = (Vec::new(), Vec::new());
    let (mut w, mut g) = (want.into_iter().peekable(), got.into_iter().peekable());
    loop {
        match (w.peek(), g.peek()) {
            (Some(a), Some(b)) if a == b => {
                w.next();
                g.next();
            }
            (Some(a), Some(b)) if a < b => only_want.extend(w.next()),
            (Some(_), Some(_)) | (None, Some(_)) => only_got.extend(g.next()),
            (Some(_), None) => only_want.extend(w.next()),
            (None, None) => return (only_want, only_got),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiset_difference_counts_repeats() {
        let (a, b) = multiset_difference(vec![1, 2, 2, 5], vec![2, 3, 5, 5]);
        assert_eq!((a, b), (vec![1, 2], vec![3, 5]));
    }

    #[test]
    fn fixture_files_refuse_unknown_fields() {
        let e = serde_json::from_str::<FixtureFile>(r#"{"input":"x","observations":[],"reject":[]}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `reject`"), "{e}");
    }
}
