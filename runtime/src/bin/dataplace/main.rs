//! The `dataplace` command line: parse flags, call the library, print the report, map the
//! outcome to an exit code (documented in `--help` and the README).

mod args;
mod catalogue;
mod jobs;
mod plugins;

use anyhow::Context;
use args::{Cli, Command, ConvertArgs, LogFormat};
use clap::Parser;
use dataplace::config::{JobFile, JobSpec};
use dataplace::job::{self, JobError};
use dataplace::ledger::JobReport;
use dataplace::manifest::Shard;
use dataplace::progress::Progress;
use std::process::ExitCode;

/// Every input converted.
const EXIT_OK: u8 = 0;
/// The job ran, but at least one input failed (its output was not published).
const EXIT_INPUTS_FAILED: u8 = 1;
/// The job could not start: invalid flags, job file, plugin or inputs.
const EXIT_USAGE: u8 = 2;
/// The job could not run: a store or the output was unreachable or failed.
const EXIT_RUNTIME: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = match cli.command {
        Command::Convert(a) => convert_spec(a.clone()).and_then(|spec| runtime.block_on(run_job(spec, Shard::ALL, a.output_json))),
        Command::Run(a) => shard_of(a.shard.as_deref(), a.shards).and_then(|shard| {
            let mut spec = JobFile::load(&a.job).map_err(|e| Failure::usage(e.into()))?;
            if let Some(n) = a.jobs {
                spec.limits.job.parallel_inputs = n;
            }
            runtime.block_on(run_job(spec, shard, a.json))
        }),
        Command::Catalogue(c) => runtime.block_on(catalogue::run(c)),
        Command::Meter(m) => runtime.block_on(meter(m)),
        Command::Job(j) => runtime.block_on(jobs::run(j)),
        Command::Plugin(p) => runtime.block_on(plugins::plugin(p)),
        Command::Provider(p) => runtime.block_on(plugins::provider(p)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

/// An error that stops the command, with its exit code.
struct Failure {
    error: anyhow::Error,
    code: u8,
}

impl Failure {
    fn usage(error: anyhow::Error) -> Self {
        Self { error, code: EXIT_USAGE }
    }

    fn runtime(error: anyhow::Error) -> Self {
        Self { error, code: EXIT_RUNTIME }
    }
}

/// `KEY=VALUE` pairs of repeated `--config` flags.
fn config_pairs(flags: &[String]) -> Result<Vec<(String, String)>, Failure> {
    flags
        .iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').with_context(|| format!("--config {kv}: expected KEY=VALUE")).map_err(Failure::usage)?;
            let v = dataplace::config::config_value(k, v, &std::env::current_dir().unwrap_or_default()).map_err(|e| Failure::usage(e.into()))?;
            Ok((k.to_owned(), v))
        })
        .collect()
}

impl From<JobError> for Failure {
    fn from(e: JobError) -> Self {
        let code = if e.is_usage() { EXIT_USAGE } else { EXIT_RUNTIME };
        Self { error: e.into(), code }
    }
}

/// The shard a run converts: `--shard I/N`, or `--shards N` with the index from the scheduler
/// (`JOB_COMPLETION_INDEX` of a Kubernetes Indexed Job, `AWS_BATCH_JOB_ARRAY_INDEX` of an AWS
/// Batch array job), or the whole job.
fn shard_of(shard: Option<&str>, shards: Option<u32>) -> Result<Shard, Failure> {
    match (shard, shards) {
        (Some(s), _) => Shard::parse(s).map_err(|e| Failure::usage(e.into())),
        (None, Some(n)) => {
            let index = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]
                .iter()
                .find_map(|v| std::env::var(v).ok())
                .ok_or_else(|| Failure::usage(anyhow::anyhow!("--shards {n} needs JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX")))?;
            Shard::parse(&format!("{}/{n}", index.trim())).map_err(|e| Failure::usage(e.into()))
        }
        (None, None) => Ok(Shard::ALL),
    }
}

/// The `convert` flags as a job.
fn convert_spec(a: ConvertArgs) -> Result<JobSpec, Failure> {
    let mut config = toml::Table::new();
    for kv in &a.config {
        let (k, v) = kv.split_once('=').with_context(|| format!("--config {kv}: expected KEY=VALUE")).map_err(Failure::usage)?;
        config.insert(k.to_owned(), toml::Value::String(v.to_owned()));
    }
    // `@file` values are read by validation, relative to the working directory.
    let mut file = toml::Table::new();
    file.insert("provider".into(), a.provider.into());
    file.insert("plugin".into(), a.plugin.into());
    if let Some(registry) = a.registry.registry {
        file.insert("registry".into(), registry.into());
    }
    file.insert("allow_yanked".into(), a.allow_yanked.into());
    file.insert("output".into(), a.output.into());
    file.insert("inputs".into(), toml::Value::Array(a.inputs.into_iter().map(toml::Value::String).collect()));
    file.insert("config".into(), config.into());
    if let Some(id) = a.job_id {
        file.insert("job_id".into(), id.into());
    }
    let mut limits = toml::Table::new();
    limits.insert("job".into(), toml::Value::Table([("parallel_inputs".to_owned(), toml::Value::Integer(a.jobs as i64))].into_iter().collect()));
    if let Some(chunk) = a.chunk_bytes {
        limits.insert("source".into(), toml::Value::Table([("chunk_bytes".to_owned(), toml::Value::Integer(chunk as i64))].into_iter().collect()));
    }
    file.insert("limits".into(), limits.into());
    let job: JobFile = file.try_into().context("invalid flags").map_err(Failure::usage)?;
    job.validate(&std::env::current_dir().unwrap_or_default()).map_err(|e| Failure::usage(e.into()))
}

async fn run_job(spec: JobSpec, shard: Shard, json: bool) -> Result<u8, Failure> {
    let report: JobReport = job::run(spec, shard, Progress::on_terminal()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).expect("report serialises"));
    } else {
        print!("{}", dataplace::report::human(&report));
    }
    Ok(if report.all_ok() { EXIT_OK } else { EXIT_INPUTS_FAILED })
}

async fn meter(command: args::MeterCommand) -> Result<u8, Failure> {
    use dataplace::meter::{GroupBy, Prices};
    let args::MeterCommand::Report { root, by, since, price_per_compute_unit, price_per_gb_in, price_per_gb_out, json } = command;
    let by = match by {
        args::MeterBy::Provider => GroupBy::Provider,
        args::MeterBy::Plugin => GroupBy::Plugin,
        args::MeterBy::Job => GroupBy::Job,
        args::MeterBy::Input => GroupBy::Input,
    };
    let here = std::env::current_dir().unwrap_or_default();
    let root = dataplace::store::Stores::new().resolve(&root, &here).map_err(|e| Failure::usage(e.into()))?;
    let prices = Prices { per_compute_unit: price_per_compute_unit, per_gb_in: price_per_gb_in, per_gb_out: price_per_gb_out };
    let report = dataplace::meter::report(&root, by, since.as_deref(), prices).await.map_err(|e| Failure::runtime(e.into()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report).expect("report serialises"));
    } else {
        print!("{}", report.human());
    }
    Ok(EXIT_OK)
}

fn init_logging(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DATAPLACE_LOG").unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
