//! Metering reports: the ledger rows under an output root (`_ledger/`), aggregated by provider,
//! plugin, job or input, and priced with a documented formula.
//!
//! Price of a row = `fuel / 10⁹ × per_compute_unit + bytes_in / 10⁹ × per_gb_in +
//! bytes_out / 10⁹ × per_gb_out`. One compute unit is 10⁹ fuel (about one CPU-second of plugin
//! code). Every outcome is billed: a plugin that runs out of fuel or hits the wall-clock backstop
//! pays its whole budget, so a bill never depends on the machine or its load.

use crate::store::{Location, ParquetReader};
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{TimestampMicrosecondType, UInt64Type};
use futures::StreamExt;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why the ledger could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct MeterError {
    pub location: String,
    pub reason: String,
}

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Provider,
    Plugin,
    Job,
    Input,
}

/// Unit prices of the formula (module docs).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Prices {
    /// Per 10⁹ fuel.
    pub per_compute_unit: f64,
    /// Per 10⁹ bytes read.
    pub per_gb_in: f64,
    /// Per 10⁹ bytes of Parquet written.
    pub per_gb_out: f64,
}

impl Default for Prices {
    fn default() -> Self {
        // Illustrative list prices in EUR: a CPU-second of sandboxed code at a cloud vCPU's cost
        // with margin, and storage-class transfer prices.
        Self { per_compute_unit: 0.000_05, per_gb_in: 0.01, per_gb_out: 0.02 }
    }
}

/// Sums of one group.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Sums {
    pub key: String,
    pub inputs: u64,
    pub failed: u64,
    pub fuel: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub observations: u64,
    pub written: u64,
    pub rejects: u64,
    pub quarantined: u64,
    pub instantiations: u64,
    pub compute_units: f64,
    pub amount: f64,
}

/// A metering report.
#[derive(Debug, Clone, Serialize)]
pub struct MeterReport {
    pub by: GroupBy,
    pub since: Option<String>,
    pub prices: Prices,
    /// The fuel schedules the rows were metered with (normally one).
    pub fuel_schedules: Vec<String>,
    pub groups: Vec<Sums>,
    pub totals: Sums,
}

/// Read `root/_ledger/` and aggregate the rows started on or after `since` (`YYYY-MM-DD`, UTC).
///
/// # Errors
/// [`MeterError`] when the ledger cannot be listed or read, or `since` is not a date.
pub async fn report(root: &Location, by: GroupBy, since: Option<&str>, prices: Prices) -> Result<MeterReport, MeterError> {
    let err = |location: &str, reason: String| MeterError { location: location.to_owned(), reason };
    let since_us = since
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros())
                .map_err(|e| err(d, format!("--since expects YYYY-MM-DD: {e}")))
        })
        .transpose()?;
    let ledger = root.join("_ledger");
    let mut listing = ledger.store.list(Some(&ledger.path));
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    let mut schedules = BTreeSet::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| err(ledger.url.as_str(), e.to_string()))?;
        if !meta.location.as_ref().ends_with(".parquet") {
            continue;
        }
        let name = meta.location.to_string();
        let reader = ParquetReader::new(ledger.store.clone(), meta.location.clone(), meta.size);
        let mut stream = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .and_then(|b| b.build())
            .map_err(|e| err(&name, e.to_string()))?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| err(&name, e.to_string()))?;
            add(&batch, by, since_us, &prices, &mut groups, &mut schedules).map_err(|e| err(&name, e))?;
        }
    }
    let mut totals = Sums { key: "total".to_owned(), ..Sums::default() };
    for g in groups.values() {
        totals.inputs += g.inputs;
        totals.failed += g.failed;
        totals.fuel += g.fuel;
        totals.bytes_in += g.bytes_in;
        totals.bytes_out += g.bytes_out;
        totals.observations += g.observations;
        totals.written += g.written;
        totals.rejects += g.rejects;
        totals.quarantined += g.quarantined;
        totals.instantiations += g.instantiations;
        totals.compute_units += g.compute_units;
        totals.amount += g.amount;
    }
    Ok(MeterReport { by, since: since.map(str::to_owned), prices, fuel_schedules: schedules.into_iter().collect(), groups: groups.into_values().collect(), totals })
}

fn add(
    b: &RecordBatch,
    by: GroupBy,
    since_us: Option<i64>,
    prices: &Prices,
    groups: &mut BTreeMap<String, Sums>,
    schedules: &mut BTreeSet<String>,
) -> Result<(), String> {
    let text = |name: &str| b.column_by_name(name).map(|c| c.as_string::<i32>().clone()).ok_or_else(|| format!("ledger without column {name}"));
    let num = |name: &str| b.column_by_name(name).map(|c| c.as_primitive::<UInt64Type>().clone()).ok_or_else(|| format!("ledger without column {name}"));
    let (provider, plugin, version, sha, job, input, outcome, schedule) =
        (text("provider")?, text("plugin")?, text("plugin_version")?, text("plugin_sha256")?, text("job_id")?, text("input")?, text("outcome")?, text("fuel_schedule")?);
    let (fuel, bytes_in, bytes_out, observations, written, rejects, quarantined, instantiations) = (
        num("fuel")?,
        num("bytes_in")?,
        num("bytes_out")?,
        num("observations")?,
        num("written")?,
        num("rejects")?,
        num("quarantined")?,
        num("instantiations")?,
    );
    let started = b.column_by_name("started_at").ok_or("ledger without column started_at")?.as_primitive::<TimestampMicrosecondType>().clone();
    for r in 0..b.num_rows() {
        if since_us.is_some_and(|s| started.value(r) < s) {
            continue;
        }
        let key = match by {
            GroupBy::Provider => provider.value(r).to_owned(),
            GroupBy::Plugin => format!("{}@{} ({})", plugin.value(r), version.value(r), &sha.value(r)[..12.min(sha.value(r).len())]),
            GroupBy::Job => job.value(r).to_owned(),
            GroupBy::Input => input.value(r).to_owned(),
        };
        schedules.insert(schedule.value(r).to_owned());
        let g = groups.entry(key.clone()).or_insert_with(|| Sums { key, ..Sums::default() });
        g.inputs += 1;
        g.failed += u64::from(outcome.value(r) != "ok");
        g.fuel += fuel.value(r);
        g.bytes_in += bytes_in.value(r);
        g.bytes_out += bytes_out.value(r);
        g.observations += observations.value(r);
        g.written += written.value(r);
        g.rejects += rejects.value(r);
        g.quarantined += quarantined.value(r);
        g.instantiations += instantiations.value(r);
        let cu = fuel.value(r) as f64 / 1e9;
        g.compute_units += cu;
        g.amount += cu * prices.per_compute_unit + bytes_in.value(r) as f64 / 1e9 * prices.per_gb_in + bytes_out.value(r) as f64 / 1e9 * prices.per_gb_out;
    }
    Ok(())
}

impl MeterReport {
    /// A human-readable table.
    pub fn human(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "fuel schedule(s): {} · prices: {:?}", self.fuel_schedules.join(", "), self.prices);
        let _ = writeln!(s, "{:<44} {:>7} {:>7} {:>16} {:>12} {:>12} {:>12} {:>12}", format!("{:?}", self.by).to_lowercase(), "inputs", "failed", "fuel", "MB in", "MB out", "observations", "amount");
        for g in self.groups.iter().chain(std::iter::once(&self.totals)) {
            let _ = writeln!(
                s,
                "{:<44} {:>7} {:>7} {:>16} {:>12.3} {:>12.3} {:>12} {:>12.6}",
                g.key,
                g.inputs,
                g.failed,
                g.fuel,
                g.bytes_in as f64 / 1e6,
                g.bytes_out as f64 / 1e6,
                g.observations,
                g.amount
            );
        }
        s
    }
}
