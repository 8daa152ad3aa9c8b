//! The commit protocol that makes a job's output visible exactly once, whatever crashes.
//!
//! Under the output root:
//! * `_manifests/<job>/inputs/<input id>.json`: written (create-only where the store supports
//!   it) after an input's files are committed: that input is done and a resumed run skips it;
//! * `_manifests/<job>/shards/<i>-of-<n>.json`: a shard's report, once all its inputs are done;
//! * `_manifests/<job>.json`: the job manifest, written last (by the run itself, or by
//!   `dataplace job commit` when the job ran in shards). Only files it lists are committed:
//!   `dataplace job files` lists them, `dataplace job gc` removes the rest.
//!
//! Output file names are deterministic (`<job>-<input id>.parquet`), so converting an input again
//! after a crash rewrites the same objects with the same bytes; nothing is duplicated.

use crate::ledger::{InputReport, JobReport, Outcome, Totals};
use crate::sink::WrittenFile;
use crate::store::Location;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Why the manifests could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{location}: {reason}")]
    Store { location: String, reason: String },
    #[error("{location}: not a valid manifest: {reason}")]
    Invalid { location: String, reason: String },
    #[error("job {job}: shard(s) {missing} of {shards} have not finished; commit when all have")]
    Incomplete { job: String, shards: u32, missing: String },
    #[error("job {0} has no shard manifest under this root")]
    UnknownJob(String),
    #[error("invalid shard {0:?}: use I/N with 0 <= I < N")]
    Shard(String),
}

/// Which part of a job's inputs a run converts: those whose id hashes to `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole job.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parse `I/N`.
    ///
    /// # Errors
    /// [`ManifestError::Shard`] unless `0 <= I < N`.
    pub fn parse(s: &str) -> Result<Shard, ManifestError> {
        let bad = || ManifestError::Shard(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// True when the input with this id belongs to the shard (a stable hash of its URL).
    pub fn owns(&self, input_id: &str) -> bool {
        let hash = u64::from_str_radix(input_id, 16).unwrap_or(0);
        hash % u64::from(self.count) == u64::from(self.index)
    }

    fn name(&self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

/// A file the job manifest commits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedFile {
    pub url: String,
    pub rows: u64,
    pub bytes: u64,
    /// `data` or `quarantine`.
    pub kind: String,
}

/// What one shard did: its report (all its inputs, resumed or not) and its ledger file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardManifest {
    pub shard: Shard,
    pub ledger: String,
    pub report: JobReport,
}

/// The job manifest: every input's books, the files it commits, the ledger files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobManifest {
    pub shards: u32,
    pub committed_at: String,
    pub files: Vec<CommittedFile>,
    pub ledger: Vec<String>,
    pub report: JobReport,
}

/// The manifests of one job under an output root.
pub struct Manifests {
    root: Location,
    job: String,
}

impl Manifests {
    pub fn new(root: &Location, job: &str) -> Self {
        Self { root: root.clone(), job: job.to_owned() }
    }

    fn job_manifest_location(&self) -> Location {
        self.root.join(&format!("_manifests/{}.json", self.job))
    }

    /// The job manifest, if the job is committed.
    ///
    /// # Errors
    /// [`ManifestError`] when the store fails or the manifest is not valid.
    pub async fn job_manifest(&self) -> Result<Option<JobManifest>, ManifestError> {
        read_json(&self.job_manifest_location()).await
    }

    /// The reports of the inputs already committed, by input id.
    ///
    /// # Errors
    /// [`ManifestError`] when the store fails or a manifest is not valid.
    pub async fn committed_inputs(&self) -> Result<BTreeMap<String, InputReport>, ManifestError> {
        let dir = self.root.join(&format!("_manifests/{}/inputs", self.job));
        let mut found = BTreeMap::new();
        for (path, _) in list(&dir).await? {
            let Some(id) = path.filename().and_then(|f| f.strip_suffix(".json")).map(str::to_owned) else { continue };
            let location = Location { store: dir.store.clone(), url: dir.url.clone(), path };
            if let Some(mut report) = read_json::<InputReport>(&location).await? {
                report.resumed = true;
                found.insert(id, report);
            }
        }
        Ok(found)
    }

    /// Record that an input is done. Inputs that failed reading or writing (`io`) are not
    /// recorded, so a resumed run tries them again.
    ///
    /// # Errors
    /// [`ManifestError`] when the store fails.
    pub async fn commit_input(&self, input_id: &str, report: &InputReport) -> Result<(), ManifestError> {
        if report.outcome == Outcome::Io {
            return Ok(());
        }
        write_json(&self.root.join(&format!("_manifests/{}/inputs/{input_id}.json", self.job)), report).await
    }

    /// Record a finished shard.
    ///
    /// # Errors
    /// [`ManifestError`] when the store fails.
    pub async fn commit_shard(&self, manifest: &ShardManifest) -> Result<(), ManifestError> {
        let location = self.root.join(&format!("_manifests/{}/shards/{}.json", self.job, manifest.shard.name()));
        write_json(&location, manifest).await
    }

    /// Merge the shard manifests into the job manifest, once every shard has finished.
    ///
    /// # Errors
    /// [`ManifestError::Incomplete`] naming the missing shards; store or format errors.
    pub async fn commit_job(&self) -> Result<JobManifest, ManifestError> {
        if let Some(done) = self.job_manifest().await? {
            return Ok(done);
        }
        let dir = self.root.join(&format!("_manifests/{}/shards", self.job));
        let mut shards: Vec<ShardManifest> = Vec::new();
        for (path, _) in list(&dir).await? {
            let location = Location { store: dir.store.clone(), url: dir.url.clone(), path };
            shards.extend(read_json::<ShardManifest>(&location).await?);
        }
        let count = shards.first().map(|s| s.shard.count).ok_or_else(|| ManifestError::UnknownJob(self.job.clone()))?;
        let present: BTreeSet<u32> = shards.iter().filter(|s| s.shard.count == count).map(|s| s.shard.index).collect();
        let missing: Vec<String> = (0..count).filter(|i| !present.contains(i)).map(|i| i.to_string()).collect();
        if !missing.is_empty() {
            return Err(ManifestError::Incomplete { job: self.job.clone(), shards: count, missing: missing.join(", ") });
        }
        shards.retain(|s| s.shard.count == count);
        shards.sort_by_key(|s| s.shard.index);
        let mut report = shards[0].report.clone();
        report.inputs = shards.iter().flat_map(|s| s.report.inputs.iter().cloned()).collect();
        report.inputs.sort_by(|a, b| a.object.cmp(&b.object));
        report.totals = Totals::of(&report.inputs);
        report.wall_time_s = shards.iter().map(|s| s.report.wall_time_s).fold(0.0, f64::max);
        report.peak_rss_bytes = shards.iter().filter_map(|s| s.report.peak_rss_bytes).max();
        let files = report.inputs.iter().flat_map(|i| i.files.iter().map(committed)).collect();
        let manifest = JobManifest {
            shards: count,
            committed_at: chrono::Utc::now().to_rfc3339(),
            files,
            ledger: shards.iter().map(|s| s.ledger.clone()).collect(),
            report,
        };
        write_json(&self.job_manifest_location(), &manifest).await?;
        // A concurrent commit may have won: what is stored is the truth.
        Ok(self.job_manifest().await?.unwrap_or(manifest))
    }
}

fn committed(f: &WrittenFile) -> CommittedFile {
    let kind = if f.url.contains("/_quarantine/") { "quarantine" } else { "data" };
    CommittedFile { url: f.url.clone(), rows: f.rows, bytes: f.bytes, kind: kind.to_owned() }
}

/// The job manifests under a root (all jobs, or one).
///
/// # Errors
/// [`ManifestError`] when the store fails or a manifest is not valid.
pub async fn job_manifests(root: &Location, job: Option<&str>) -> Result<Vec<JobManifest>, ManifestError> {
    let dir = root.join("_manifests");
    let mut manifests = Vec::new();
    for (path, _) in list(&dir).await? {
        let Some(name) = path.filename().and_then(|f| f.strip_suffix(".json")) else { continue };
        let top_level = path.prefix_match(&dir.path).is_some_and(|p| p.count() == 1);
        if !top_level || job.is_some_and(|j| j != name) {
            continue;
        }
        let location = Location { store: dir.store.clone(), url: dir.url.clone(), path: path.clone() };
        manifests.extend(read_json::<JobManifest>(&location).await?);
    }
    Ok(manifests)
}

/// Remove what no manifest commits: output files of committed jobs that their job manifest does
/// not list, output files of `job` (even uncommitted) that no input manifest lists, and
/// multipart uploads the local filesystem left staged by a crash (`<name>#<n>`). Files of other
/// uncommitted jobs are left alone: they may be running. Only files whose input id `scope`
/// accepts are considered (a shard cleans up after itself, not after its siblings). Returns the
/// removed URLs.
///
/// # Errors
/// [`ManifestError`] when the store fails.
pub async fn gc(root: &Location, job: Option<&str>, scope: &dyn Fn(&str) -> bool, dry_run: bool) -> Result<Vec<String>, ManifestError> {
    let mut keep: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in job_manifests(root, None).await? {
        keep.insert(m.report.job_id.clone(), m.files.iter().map(|f| f.url.clone()).collect());
    }
    if let Some(job) = job
        && !keep.contains_key(job)
    {
        let inputs = Manifests::new(root, job).committed_inputs().await?;
        keep.insert(job.to_owned(), inputs.values().flat_map(|i| i.files.iter().map(|f| f.url.clone())).collect());
    }
    let mut removed = Vec::new();
    for dir in ["", "_quarantine"] {
        let base = if dir.is_empty() { root.clone() } else { root.join(dir) };
        for (path, _) in list(&base).await? {
            let Some(name) = path.filename().map(str::to_owned) else { continue };
            let relative: Vec<String> = path.prefix_match(&base.path).into_iter().flatten().map(|p| p.as_ref().to_owned()).collect();
            let in_data = relative.first().is_some_and(|p| p.starts_with("provider="));
            if !in_data {
                continue;
            }
            let url = base.join(&relative.join("/")).url.to_string();
            let final_name = name.split('#').next().unwrap_or(&name);
            let Some((file_job, input_id)) = output_file(final_name) else { continue };
            if !scope(input_id) {
                continue;
            }
            let staged = name.contains(".parquet#") && job.is_none_or(|j| j == file_job);
            let orphan = keep.get(file_job).is_some_and(|files| !files.contains(&url));
            if staged || orphan {
                if !dry_run {
                    base.store.delete(&path).await.map_err(|e| ManifestError::Store { location: url.clone(), reason: e.to_string() })?;
                }
                removed.push(url);
            }
        }
    }
    Ok(removed)
}

/// The job id and input id in an output file name `<job>-<input id>.parquet`.
fn output_file(name: &str) -> Option<(&str, &str)> {
    let stem = name.strip_suffix(".parquet")?;
    let (job, id) = stem.rsplit_once('-')?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some((job, id))
}

async fn list(dir: &Location) -> Result<Vec<(Path, u64)>, ManifestError> {
    let mut listing = dir.store.list(Some(&dir.path));
    let mut out = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| ManifestError::Store { location: dir.url.to_string(), reason: e.to_string() })?;
        out.push((meta.location, meta.size));
    }
    out.sort();
    Ok(out)
}

async fn read_json<T: for<'de> Deserialize<'de>>(location: &Location) -> Result<Option<T>, ManifestError> {
    let url = location.url.to_string();
    match location.store.get(&location.path).await {
        Ok(got) => {
            let bytes = got.bytes().await.map_err(|e| ManifestError::Store { location: url.clone(), reason: e.to_string() })?;
            serde_json::from_slice(&bytes).map(Some).map_err(|e| ManifestError::Invalid { location: url, reason: e.to_string() })
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(ManifestError::Store { location: url, reason: e.to_string() }),
    }
}

/// Write a manifest once: create-only where the store supports it; an existing manifest (a
/// concurrent or earlier writer) is left as it is.
async fn write_json<T: Serialize>(location: &Location, value: &T) -> Result<(), ManifestError> {
    let url = location.url.to_string();
    let body = PutPayload::from(serde_json::to_vec_pretty(value).expect("manifests serialise"));
    let create = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
    match location.store.put_opts(&location.path, body.clone(), create).await {
        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
        Err(object_store::Error::NotImplemented { .. }) => {
            location.store.put(&location.path, body).await.map(drop).map_err(|e| ManifestError::Store { location: url, reason: e.to_string() })
        }
        Err(e) => Err(ManifestError::Store { location: url, reason: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_inputs() {
        let ids: Vec<String> = (0..300u64).map(|i| format!("{:016x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15))).collect();
        let shards: Vec<Shard> = (0..3).map(|i| Shard { index: i, count: 3 }).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.owns(id)).count(), 1, "every input in exactly one shard");
        }
        assert!(shards.iter().all(|s| ids.iter().filter(|id| s.owns(id)).count() > 60), "roughly even");
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        assert!(Shard::parse("3/3").is_err() && Shard::parse("1/0").is_err() && Shard::parse("x").is_err());
    }

    #[test]
    fn job_and_input_ids_come_back_from_file_names() {
        assert_eq!(output_file("my-job-7-0123456789abcdef.parquet"), Some(("my-job-7", "0123456789abcdef")));
        assert_eq!(output_file("catalogue.parquet"), None);
        assert_eq!(output_file("x-0123.parquet"), None);
    }
}
