//! Catalogue coverage: which catalogue items a provider (and each of its plugins) actually
//! delivers in an output root, how many observations of each, and the share of the catalogue and
//! of its after-sales core that covers; or which items a plugin declares.

use super::Catalogue;
use crate::store::{Location, ParquetReader};
use arrow::array::{Array, AsArray};
use futures::StreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why coverage could not be computed.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct CoverageError {
    pub location: String,
    pub reason: String,
}

/// Coverage of one (provider, plugin).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub provider: String,
    /// `name@version` of the plugin, from the files' lineage.
    pub plugin: String,
    pub files: u64,
    pub observations: u64,
    /// Catalogue items delivered (or declared), with observation counts (0 when declared only).
    pub signals: Vec<Signal>,
    /// Share of the whole catalogue covered, 0..1.
    pub share: f64,
    /// Share of the after-sales core covered, 0..1.
    pub core_share: f64,
}

/// One delivered catalogue item.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub id: String,
    pub core: bool,
    pub observations: u64,
}

/// Coverage of an output root or a plugin.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub catalogue_version: String,
    pub catalogue_entries: usize,
    pub core_entries: usize,
    pub groups: Vec<Group>,
}

impl Coverage {
    fn new(catalogue: &Catalogue, counts: BTreeMap<(String, String), (u64, BTreeMap<String, u64>)>) -> Self {
        let total = catalogue.entries().len();
        let core = catalogue.entries().iter().filter(|e| e.core).count();
        let groups = counts
            .into_iter()
            .map(|((provider, plugin), (files, signals))| {
                let signals: Vec<Signal> = signals
                    .into_iter()
                    .map(|(id, observations)| Signal { core: catalogue.get(&id).is_some_and(|e| e.core), id, observations })
                    .collect();
                let known = signals.iter().filter(|s| catalogue.get(&s.id).is_some()).count();
                let core_known = signals.iter().filter(|s| s.core).count();
                Group {
                    provider,
                    plugin,
                    files,
                    observations: signals.iter().map(|s| s.observations).sum(),
                    share: known as f64 / total as f64,
                    core_share: core_known as f64 / core as f64,
                    signals,
                }
            })
            .collect();
        Coverage { catalogue_version: catalogue.version(), catalogue_entries: total, core_entries: core, groups }
    }

    /// Coverage of signals a plugin declares (no observation counts).
    pub fn declared(catalogue: &Catalogue, plugin: &str, signals: &[String]) -> Self {
        let counts = [(("(declared)".to_owned(), plugin.to_owned()), (0, signals.iter().map(|s| (s.clone(), 0)).collect()))];
        Coverage::new(catalogue, counts.into_iter().collect())
    }

    /// Read every observation file under `root` (only its `signal` column) and count.
    ///
    /// # Errors
    /// [`CoverageError`] when the root cannot be listed or a file cannot be read.
    pub async fn of_root(catalogue: &Catalogue, root: &Location) -> Result<Self, CoverageError> {
        let err = |location: &str, e: &dyn std::fmt::Display| CoverageError { location: location.to_owned(), reason: e.to_string() };
        let mut listing = root.store.list(Some(&root.path));
        let mut counts: BTreeMap<(String, String), (u64, BTreeMap<String, u64>)> = BTreeMap::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| err(root.url.as_str(), &e))?;
            let relative: Vec<String> =
                meta.location.prefix_match(&root.path).into_iter().flatten().map(|p| p.as_ref().to_owned()).collect();
            let is_data = relative.first().is_some_and(|p| p.starts_with("provider=")) && meta.location.as_ref().ends_with(".parquet");
            if !is_data {
                continue;
            }
            let url = meta.location.to_string();
            let reader = ParquetReader::new(root.store.clone(), meta.location.clone(), meta.size);
            let builder = ParquetRecordBatchStreamBuilder::new(reader).await.map_err(|e| err(&url, &e))?;
            let kv = crate::sink::lineage(builder.metadata().file_metadata());
            let key_of = |k: &str| kv.get(k).cloned().unwrap_or_else(|| "?".to_owned());
            let group = (key_of("dataplace.provider"), format!("{}@{}", key_of("dataplace.plugin.name"), key_of("dataplace.plugin.version")));
            let mask = ProjectionMask::roots(builder.parquet_schema(), [2]);
            let mut stream = builder.with_projection(mask).build().map_err(|e| err(&url, &e))?;
            let (files, signals) = counts.entry(group).or_default();
            *files += 1;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| err(&url, &e))?;
                let signal = batch.column(0).as_any_dictionary();
                let values = signal.values().as_string::<i32>();
                let mut per_key = vec![0u64; values.len()];
                for k in signal.normalized_keys() {
                    per_key[k] += 1;
                }
                for (k, n) in per_key.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    *signals.entry(values.value(k).to_owned()).or_default() += n;
                }
            }
        }
        Ok(Coverage::new(catalogue, counts))
    }

    /// A human-readable table.
    pub fn human(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "catalogue {}: {} entries, {} after-sales core", self.catalogue_version, self.catalogue_entries, self.core_entries);
        for g in &self.groups {
            let _ = writeln!(
                s,
                "\nprovider {} · plugin {} · {} files · {} observations\n{} catalogue items ({:.1} % of the catalogue), {} core ({:.1} % of the core)",
                g.provider,
                g.plugin,
                g.files,
                g.observations,
                g.signals.len(),
                100.0 * g.share,
                g.signals.iter().filter(|x| x.core).count(),
                100.0 * g.core_share
            );
            for x in &g.signals {
                let _ = writeln!(s, "  {:<4} {:>12}  {}", if x.core { "core" } else { "" }, x.observations, x.id);
            }
        }
        s
    }
}
