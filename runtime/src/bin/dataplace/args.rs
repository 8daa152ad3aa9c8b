//! The command-line flags.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// dataplace: convert providers' vehicle data into the common catalogue with sandboxed
/// WebAssembly plugins, write it as Parquet to object storage, and meter every plugin's CPU.
///
/// Exit codes: 0 every input converted; 1 the job ran but some inputs failed (their output was
/// not published); 2 the job could not start (flags, job file, plugin, inputs); 3 the job could
/// not run (a store or the output failed).
#[derive(Debug, Parser)]
#[command(name = "dataplace", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// More logging (-v info, -vv debug); DATAPLACE_LOG overrides with a tracing filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert input objects with a plugin.
    Convert(ConvertArgs),
    /// Run a job file.
    Run(RunArgs),
    /// Browse and export the common catalogue, and measure coverage.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Metering: what the ledger under an output root says each provider owes.
    #[command(subcommand)]
    Meter(MeterCommand),
    /// Committed output: list it, clean up after crashes, commit sharded jobs.
    #[command(subcommand)]
    Job(JobCommand),
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// List the files committed by job manifests (only those are exactly-once output).
    Files {
        /// Output root (path or URL).
        root: String,
        /// Only this job.
        #[arg(long)]
        job: Option<String>,
        /// Include quarantine files.
        #[arg(long)]
        quarantine: bool,
        /// Print JSON (url, rows, bytes, kind per file).
        #[arg(long, conflicts_with = "sql")]
        json: bool,
        /// Print a DuckDB statement creating the view `observations` over exactly these files.
        #[arg(long)]
        sql: bool,
    },
    /// Remove output files no manifest commits (left by crashed runs) and staged uploads.
    Gc {
        /// Output root (path or URL).
        root: String,
        /// Also clean up this job if it is not committed yet (do not while it runs).
        #[arg(long)]
        job: Option<String>,
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Commit a job that ran in shards, once every shard has finished.
    Commit {
        /// Output root (path or URL).
        root: String,
        /// The job id.
        job: String,
        /// Print the job report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MeterCommand {
    /// Aggregate the ledger (`_ledger/`) of an output root and price it:
    /// amount = fuel/1e9 × price-per-compute-unit + GB in × price-per-gb-in + GB out × price-per-gb-out.
    Report {
        /// Output root (path or URL).
        root: String,
        /// Group rows by.
        #[arg(long, value_enum, default_value = "provider")]
        by: MeterBy,
        /// Only rows of inputs started on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Price of 10^9 fuel (one compute unit).
        #[arg(long, default_value_t = dataplace::meter::Prices::default().per_compute_unit)]
        price_per_compute_unit: f64,
        /// Price of 10^9 bytes read.
        #[arg(long, default_value_t = dataplace::meter::Prices::default().per_gb_in)]
        price_per_gb_in: f64,
        /// Price of 10^9 bytes of Parquet written.
        #[arg(long, default_value_t = dataplace::meter::Prices::default().per_gb_out)]
        price_per_gb_out: f64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MeterBy {
    Provider,
    Plugin,
    Job,
    Input,
}

#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// List entries: id, datatype, unit, core flag.
    List {
        /// Only entries whose id or description contains this text (case-insensitive).
        #[arg(long)]
        search: Option<String>,
        /// Only entries under this branch (e.g. Vehicle.Powertrain).
        #[arg(long)]
        branch: Option<String>,
        /// Only after-sales core entries.
        #[arg(long)]
        core: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one signal id.
    Show {
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the whole catalogue.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file (stdout when absent; required for parquet).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Catalogue items delivered in an output root (per provider and plugin), or declared by a
    /// plugin (--plugin), with the share of the catalogue and of its core they cover.
    Coverage {
        /// Output root (path or URL) to measure.
        #[arg(required_unless_present = "plugin", conflicts_with = "plugin")]
        root: Option<String>,
        /// A plugin (.wasm or crate directory) whose declared signals to measure.
        #[arg(long)]
        plugin: Option<String>,
        /// Plugin config KEY=VALUE for --plugin (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE", requires = "plugin")]
        config: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Parquet,
}

#[derive(Debug, Clone, Args)]
pub struct ConvertArgs {
    /// The converter: a .wasm component (path or URL) or a plugin crate directory (built first).
    #[arg(long)]
    pub plugin: String,
    /// Plugin config KEY=VALUE (repeatable); KEY=@FILE reads the value from a file. Values may
    /// use {key}, {name}, {stem} of each input object.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// The data provider the output is filed under.
    #[arg(long, default_value = "local")]
    pub provider: String,
    /// Output root: a directory or an object-store URL (s3://, az://, gs://, file://).
    #[arg(long)]
    pub output: String,
    /// Job id (names the output files). Default: a new one from the current time.
    #[arg(long)]
    pub job_id: Option<String>,
    /// Input objects converted concurrently.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Bytes pushed to the plugin per call (part of the priced configuration).
    #[arg(long)]
    pub chunk_bytes: Option<u64>,
    /// Print the report as JSON.
    #[arg(long = "json")]
    pub output_json: bool,
    /// Input objects: paths, URLs, prefixes or globs.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job file (TOML).
    pub job: PathBuf,
    /// Input objects converted concurrently (overrides the job file).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Convert only shard I of N (a stable hash of each input's URL picks its shard); commit the
    /// job with `dataplace job commit` once all shards have run.
    #[arg(long, value_name = "I/N", conflicts_with = "shards")]
    pub shard: Option<String>,
    /// Run as one of N shards, the index taken from JOB_COMPLETION_INDEX (Kubernetes Indexed
    /// Job) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
