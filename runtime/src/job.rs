//! The job: where the data path is wired together. For every input object,
//! `source → plugin → validate → sink → ledger`: a reader task streams chunks, a blocking thread
//! runs the plugin session and validates its batches, and this task writes them and keeps the
//! books. Inputs fail on their own; the job goes on and reports every one.

use crate::catalogue::Catalogue;
use crate::config::{JobSpec, PluginSource};
use crate::ledger::{InputReport, JobReport, Outcome, PluginId, Totals};
use crate::manifest::{self, ManifestError, Manifests, Shard, ShardManifest};
use crate::plugin::{self, Failure, Host, Plugin, PluginError};
use crate::progress::Progress;
use crate::registry::{PluginManifest, Registry};
use crate::quarantine::{Origin, QuarantineSink};
use crate::sink::{self, DataSink, SinkError};
use crate::source::{self, Input, SourceError};
use crate::store::{Location, StoreError, Stores};
use crate::validate::{Checked, Validator, Violation};
use bytes::Bytes;
use futures::StreamExt;
use object_store::ObjectStoreExt;
use parquet::file::metadata::KeyValue;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Why a job could not run at all (as opposed to inputs failing inside it).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Inputs(#[from] SourceError),
    #[error("output: {0}")]
    Output(StoreError),
    #[error("plugin {plugin}: {reason}")]
    PluginLoad { plugin: String, reason: String },
    #[error(transparent)]
    Build(#[from] plugin::crate_build::BuildError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

impl JobError {
    /// True when the job's own configuration is at fault (exit code 2); false for failures of
    /// the environment (stores, network; exit code 3).
    pub fn is_usage(&self) -> bool {
        !matches!(self, JobError::Sink(_) | JobError::Manifest(_))
            && !matches!(self, JobError::Inputs(SourceError::Read { .. } | SourceError::Store(StoreError::Store { .. })))
    }
}

/// Everything the inputs of one job share.
struct Job {
    spec: JobSpec,
    plugin: Arc<Plugin>,
    /// `provider/name@version` when the plugin came from the registry.
    published: Option<String>,
    catalogue: &'static Catalogue,
    output: Location,
    started_us: i64,
    progress: Progress,
}

/// Run a job (or one shard of it): resolve the output, expand the inputs and keep the shard's,
/// skip those an earlier run committed, load the plugin, convert the rest, write the ledger and
/// the shard manifest, and, for an unsharded run, commit the job.
///
/// # Errors
/// [`JobError`] when the job cannot start or its manifests cannot be written; failing inputs are
/// in the report instead.
pub async fn run(spec: JobSpec, shard: Shard, progress: Progress) -> Result<JobReport, JobError> {
    let started = Instant::now();
    let stores = Stores::new();
    let output = stores.resolve(&spec.output, &spec.base_dir).map_err(JobError::Output)?;
    let manifests = Manifests::new(&output, &spec.job_id);
    if let Some(done) = manifests.job_manifest().await? {
        tracing::info!(job = %spec.job_id, "job already committed; nothing to do");
        return Ok(done.report);
    }
    let mut inputs = source::expand(&spec.inputs, &spec.base_dir, &stores).await?;
    inputs.retain(|i| shard.owns(&i.id()));
    let committed = manifests.committed_inputs().await?;
    let removed = manifest::gc(&output, Some(&spec.job_id), &|id| shard.owns(id), false).await?;
    if !removed.is_empty() {
        tracing::info!(job = %spec.job_id, files = removed.len(), "removed uncommitted files of an earlier run");
    }
    let (done, todo): (Vec<Input>, Vec<Input>) = inputs.into_iter().partition(|i| committed.contains_key(&i.id()));
    let catalogue = Catalogue::builtin();
    let (plugin, component) = load_plugin(&spec.plugin, &spec.base_dir, &spec.limits.plugin, &stores, catalogue).await?;
    let plugin = Arc::new(plugin);
    let published = component.manifest.as_ref().map(PluginManifest::reference);
    let plugin_id = PluginId::of(&plugin, published.clone());
    progress.start(todo.iter().map(|i| i.size).sum(), todo.len() as u64);
    let parallel = spec.limits.job.parallel_inputs;
    let job = Arc::new(Job { spec, plugin, published, catalogue, output, started_us: chrono::Utc::now().timestamp_micros(), progress });
    let converted: Vec<Result<InputReport, ManifestError>> = futures::stream::iter(todo)
        .map(|input| {
            let (job, manifests) = (job.clone(), &manifests);
            async move {
                let id = input.id();
                let report = job.convert(input).await;
                manifests.commit_input(&id, &report).await.map(|()| report)
            }
        })
        .buffered(parallel)
        .collect()
        .await;
    job.progress.finish();
    let mut reports = converted.into_iter().collect::<Result<Vec<_>, _>>()?;
    reports.extend(done.iter().map(|i| committed[&i.id()].clone()));
    reports.sort_by(|a, b| a.object.cmp(&b.object));
    crate::catalogue::export::publish(&job.output, catalogue).await?;
    let report = JobReport {
        job_id: job.spec.job_id.clone(),
        provider: job.spec.provider.clone(),
        plugin: plugin_id,
        catalogue_version: catalogue.version(),
        fuel_schedule: plugin::schedule_id(),
        wasmtime_version: plugin::WASMTIME_VERSION.to_owned(),
        chunk_bytes: job.spec.limits.source.chunk_bytes,
        output: job.output.url.to_string(),
        totals: Totals::of(&reports),
        inputs: reports,
        wall_time_s: started.elapsed().as_secs_f64(),
        peak_rss_bytes: crate::ledger::peak_rss_bytes(),
        compiled_from_cache: job.plugin.from_cache(),
    };
    let ledger = crate::ledger::append(&job.output, &report, shard).await?;
    manifests.commit_shard(&ShardManifest { shard, ledger: ledger.url, report: report.clone() }).await?;
    if shard.count == 1 {
        manifests.commit_job().await?;
    }
    Ok(report)
}

/// Resolve (for a published plugin: verify), build (for a crate), read and compile a plugin.
/// Returns it with its bytes (and registry manifest, when it was published).
///
/// # Errors
/// [`JobError`] when the plugin cannot be resolved, verified, built, read or compiled.
pub async fn load_plugin(
    source: &PluginSource,
    base_dir: &std::path::Path,
    limits: &plugin::PluginLimits,
    stores: &Stores,
    catalogue: &'static Catalogue,
) -> Result<(Plugin, ComponentBytes), JobError> {
    let component = plugin_bytes(source, base_dir, stores).await?;
    let limits = limits.clone();
    let bytes = component.bytes.clone();
    let plugin = tokio::task::spawn_blocking(move || {
        let host = Host::new(&limits, catalogue)?;
        host.load(&bytes, &limits)
    })
    .await
    .expect("compile thread")
    .map_err(|e: PluginError| JobError::PluginLoad { plugin: component.label.clone(), reason: e.to_string() })?;
    Ok((plugin, component))
}

/// A plugin's component bytes, before compilation.
pub struct ComponentBytes {
    /// How errors name it: the reference, path or URL.
    pub label: String,
    pub bytes: Bytes,
    /// The verified registry manifest, for a published plugin.
    pub manifest: Option<PluginManifest>,
}

/// The component bytes of a plugin: from the registry (signature and hash verified), built from
/// a crate, or read from a path or URL.
///
/// # Errors
/// [`JobError`] when the plugin cannot be resolved, verified, built or read.
pub async fn plugin_bytes(source: &PluginSource, base_dir: &std::path::Path, stores: &Stores) -> Result<ComponentBytes, JobError> {
    match source {
        PluginSource::Registry { registry, reference, allow_yanked } => {
            let load_error = |reason: String| JobError::PluginLoad { plugin: reference.to_string(), reason };
            let root = stores.resolve(registry, base_dir).map_err(|e| load_error(e.to_string()))?;
            let (manifest, bytes) = Registry::new(root).resolve(reference, *allow_yanked).await.map_err(|e| load_error(e.to_string()))?;
            Ok(ComponentBytes { label: manifest.reference(), bytes: Bytes::from(bytes), manifest: Some(manifest) })
        }
        PluginSource::Crate(dir) => {
            let dir = dir.clone();
            let wasm = tokio::task::spawn_blocking(move || plugin::crate_build::build(&dir, None)).await.expect("build thread")?;
            let label = wasm.display().to_string();
            Ok(ComponentBytes { bytes: read_component(&label, base_dir, stores).await?, label, manifest: None })
        }
        PluginSource::Component(c) => Ok(ComponentBytes { label: c.clone(), bytes: read_component(c, base_dir, stores).await?, manifest: None }),
    }
}

/// The bytes of a component at a path or URL.
async fn read_component(component: &str, base_dir: &std::path::Path, stores: &Stores) -> Result<Bytes, JobError> {
    let load_error = |reason: String| JobError::PluginLoad { plugin: component.to_owned(), reason };
    let location = stores.resolve(component, base_dir).map_err(|e| load_error(e.to_string()))?;
    let got = location.store.get(&location.path).await.map_err(|e| load_error(e.to_string()))?;
    got.bytes().await.map_err(|e| load_error(e.to_string()))
}

/// How a plugin session ended.
#[derive(Debug, Clone, Copy)]
pub struct SessionEnd {
    /// Fuel the session used.
    pub fuel: u64,
    /// Largest linear memory the plugin grew to, in bytes.
    pub peak_memory: u64,
}

/// One input object as a plugin session sees it.
pub struct SessionInput<'a> {
    pub plugin: &'a Plugin,
    /// The plugin config for this object.
    pub config: &'a [(String, String)],
    /// The object's key (the plugin's `object-name`).
    pub key: &'a str,
    /// The object's size in bytes (sets the fuel budget).
    pub size: u64,
    pub limits: &'a plugin::PluginLimits,
    pub catalogue: &'static Catalogue,
    /// When the job started, in µs since the epoch (bounds plausible observation times).
    pub started_us: i64,
}

/// Run one plugin session over an object: open it, push every chunk `next` yields, finish; show
/// each batch to `observe` as the plugin returned it, then validate it and hand it to `deliver`,
/// which returns false to stop early. The one place a session is driven, for jobs and for the
/// provider tools alike.
///
/// # Errors
/// The session's [`Failure`]: a limit, trap, plugin error or contract violation.
pub fn run_session(
    input: &SessionInput<'_>,
    mut next: impl FnMut() -> Option<Bytes>,
    mut observe: impl FnMut(&plugin::Batch),
    mut deliver: impl FnMut(Checked) -> bool,
) -> Result<SessionEnd, Failure> {
    let limits = input.limits;
    let mut session = input.plugin.open(input.config, input.key, input.size, limits)?;
    let validator = Validator::new(input.catalogue, session.signals()?, input.started_us, limits);
    let unknown = validator.unknown_declared();
    if !unknown.is_empty() {
        return Err(session.contract_violation(format!("declares signals the catalogue does not have: {}", unknown.join(", "))));
    }
    let mut chunk = next();
    loop {
        let (batch, last) = match chunk.take() {
            Some(bytes) => (session.push(&bytes)?, false),
            None => (session.finish()?, true),
        };
        observe(&batch);
        let checked = validator.check(batch).map_err(|v| match v {
            Violation::Contract(m) => session.contract_violation(m),
            Violation::Limit(l) => session.limit_exceeded(l),
        })?;
        if !deliver(checked) || last {
            break;
        }
        chunk = next();
    }
    Ok(SessionEnd { fuel: session.fuel_used(), peak_memory: session.peak_memory() })
}

impl Job {
    /// Convert one input object; never fails the job.
    async fn convert(&self, input: Input) -> InputReport {
        let mut report = InputReport::new(input.url().to_owned());
        report.started_at_us = chrono::Utc::now().timestamp_micros();
        report.fuel_budget = self.spec.limits.plugin.fuel_budget(input.size);
        report.instantiations = 1;
        let mut report = self.convert_into(input, report).await;
        report.bytes_out = report.files.iter().map(|f| f.bytes).sum();
        report.finished_at_us = chrono::Utc::now().timestamp_micros();
        self.progress.input_done(report.outcome == Outcome::Ok);
        report
    }

    /// The data path of one input, filling `report`.
    async fn convert_into(&self, input: Input, mut report: InputReport) -> InputReport {
        let lineage = self.lineage(&input);
        let file_name = format!("{}-{}.parquet", self.spec.job_id, input.id());
        let limits = &self.spec.limits;
        let props = match sink::writer_properties(&limits.sink, lineage) {
            Ok(p) => p,
            Err(e) => {
                report.fail(Outcome::Error, e.to_string());
                return report;
            }
        };
        let mut data = DataSink::new(self.output.clone(), &self.spec.provider, file_name.clone(), props.clone(), &limits.sink);
        let origin = Origin {
            job_id: self.spec.job_id.clone(),
            plugin: format!("{}@{}", self.plugin.info().name, self.plugin.info().version),
            plugin_sha256: self.plugin.sha256().to_owned(),
            input: input.url().to_owned(),
        };
        let quarantine_key = format!("_quarantine/provider={}/{file_name}", self.spec.provider);
        let mut quarantine = QuarantineSink::new(self.output.join(&quarantine_key), origin, props, limits.sink.upload_part_bytes);

        let (chunk_tx, chunk_rx) = mpsc::channel::<Bytes>(limits.source.read_ahead_chunks);
        let (batch_tx, mut batch_rx) = mpsc::channel::<Checked>(2);
        let reader = {
            let input = input.clone();
            let chunk = limits.source.chunk_bytes as usize;
            tokio::spawn(async move { source::read(&input, chunk, chunk_tx).await })
        };
        let converter = {
            let plugin = self.plugin.clone();
            let config = self.spec.config_for(input.key());
            let key = input.key().to_owned();
            let size = input.size;
            let plugin_limits = limits.plugin.clone();
            let (catalogue, started_us, progress) = (self.catalogue, self.started_us, self.progress.clone());
            let mut chunk_rx = chunk_rx;
            tokio::task::spawn_blocking(move || {
                let session = SessionInput { plugin: &plugin, config: &config, key: &key, size, limits: &plugin_limits, catalogue, started_us };
                let next = || chunk_rx.blocking_recv().inspect(|chunk| progress.read(chunk.len() as u64));
                run_session(&session, next, |_| {}, |checked| batch_tx.blocking_send(checked).is_ok())
            })
        };

        let mut sink_error: Option<SinkError> = None;
        while let Some(checked) = batch_rx.recv().await {
            report.add(&checked);
            if let Err(e) = write(&mut data, &mut quarantine, &checked).await {
                sink_error = Some(e);
                break;
            }
        }
        drop(batch_rx);
        let session = converter.await.expect("plugin thread");
        let read = reader.await.expect("reader task");
        report.bytes = *read.as_ref().unwrap_or(&0);

        let failure: Option<(Outcome, String)> = match (&session, read, sink_error) {
            (Err(f), _, _) => {
                report.fuel = f.fuel;
                Some((outcome(&f.error), self.describe_failure(&input, &f.error)))
            }
            (_, Err(e), _) => Some((Outcome::Io, e.to_string())),
            (_, _, Some(e)) => Some((Outcome::Io, e.to_string())),
            (Ok(_), Ok(_), None) => None,
        };
        if let Ok(end) = &session {
            report.fuel = end.fuel;
            report.peak_memory = end.peak_memory;
        }
        if let Some((outcome, error)) = failure {
            data.abort().await;
            quarantine.abort().await;
            tracing::warn!(input = %input.url(), %error, "input failed");
            report.fail(outcome, error);
            return report;
        }
        let fuel = [KeyValue::new("dataplace.fuel".to_owned(), report.fuel.to_string())];
        let committed = async {
            let mut files = data.commit(&fuel).await?;
            files.extend(quarantine.commit(&fuel).await?);
            Ok::<_, SinkError>(files)
        };
        match committed.await {
            Ok(files) => report.files = files,
            Err(e) => report.fail(Outcome::Io, e.to_string()),
        }
        report
    }

    fn describe_failure(&self, input: &Input, e: &PluginError) -> String {
        let info = self.plugin.info();
        format!("plugin {} {} (sha256 {}) failed on {}: {e}", info.name, info.version, &self.plugin.sha256()[..12], input.url())
    }

    /// Key-value metadata every file of `input` carries.
    fn lineage(&self, input: &Input) -> Vec<KeyValue> {
        let info = self.plugin.info();
        [
            ("dataplace.version", env!("CARGO_PKG_VERSION").to_owned()),
            ("dataplace.job_id", self.spec.job_id.clone()),
            ("dataplace.provider", self.spec.provider.clone()),
            ("dataplace.plugin.name", info.name.clone()),
            ("dataplace.plugin.version", info.version.clone()),
            ("dataplace.plugin.sha256", self.plugin.sha256().to_owned()),
            ("dataplace.input", input.url().to_owned()),
            ("dataplace.catalogue.version", self.catalogue.version()),
            ("dataplace.fuel.schedule", plugin::schedule_id()),
            ("dataplace.wasmtime", plugin::WASMTIME_VERSION.to_owned()),
            ("dataplace.chunk_bytes", self.spec.limits.source.chunk_bytes.to_string()),
        ]
        .into_iter()
        .chain(self.published.clone().map(|p| ("dataplace.plugin.published", p)))
        .map(|(k, v)| KeyValue::new(k.to_owned(), v))
        .collect()
    }
}

/// The signals a plugin declares for a session opened with `config`, and its `name@version`.
///
/// # Errors
/// [`JobError`] when the plugin cannot be loaded or refuses the config.
pub async fn declared_signals(
    source: &PluginSource,
    config: &[(String, String)],
    base_dir: &std::path::Path,
) -> Result<(String, Vec<String>), JobError> {
    let limits = plugin::PluginLimits::default();
    let (plugin, _) = load_plugin(source, base_dir, &limits, &Stores::new(), Catalogue::builtin()).await?;
    let label = format!("{}@{}", plugin.info().name, plugin.info().version);
    let signals = plugin.declared_signals(config, &limits).map_err(|f| JobError::PluginLoad { plugin: label.clone(), reason: f.error.to_string() })?;
    Ok((label, signals))
}

fn outcome(e: &PluginError) -> Outcome {
    match e.outcome() {
        "limit" => Outcome::Limit,
        "trap" => Outcome::Trap,
        _ => Outcome::Error,
    }
}

async fn write(data: &mut DataSink, quarantine: &mut QuarantineSink, checked: &Checked) -> Result<(), SinkError> {
    for batch in &checked.valid {
        data.write(batch).await?;
    }
    quarantine.write(&checked.rejects, &checked.quarantined).await
}
