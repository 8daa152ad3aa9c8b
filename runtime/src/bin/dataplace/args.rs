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
    /// Write, test, inspect, compare and publish converter plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Provider identities: signing keys and their registration.
    #[command(subcommand)]
    Provider(ProviderCommand),
}

/// Where published plugins live.
#[derive(Debug, Clone, Args)]
pub struct RegistryArg {
    /// The plugin registry: a directory or object-store URL. Default: $DATAPLACE_REGISTRY, else
    /// ~/.local/share/dataplace/registry.
    #[arg(long)]
    pub registry: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Scaffold a plugin crate on the SDK, with a fixture and a test, that builds as generated.
    New {
        /// The new crate's directory (must not exist or be empty).
        dir: PathBuf,
        /// Plugin and crate name (lower-case, digits, '-'). Default: the directory's name.
        #[arg(long)]
        name: Option<String>,
        /// Reference this SDK crate (a path) instead of vendoring the SDK into the new crate.
        #[arg(long)]
        sdk_path: Option<PathBuf>,
    },
    /// Run fixtures (<name>.expected.json: input, config, expected observations and rejects) in
    /// the real sandbox under production limits. Exit code 1 when any fails.
    Test {
        /// The plugin: a .wasm component, a crate directory, or a published reference.
        plugin: String,
        /// The fixtures directory.
        fixtures: PathBuf,
        #[command(flatten)]
        registry: RegistryArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// World, imports, exports, size, hash, declared signals and registry manifest of a plugin.
    Inspect {
        /// The plugin: a .wasm component, a crate directory, or a published reference.
        plugin: String,
        #[command(flatten)]
        registry: RegistryArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Shadow run: both versions over the same inputs; observations added, removed and changed
    /// per signal, reject differences, fuel difference. Exit code 1 when they differ.
    Diff {
        /// The current plugin (.wasm, crate directory or published reference).
        old: String,
        /// The candidate.
        new: String,
        /// Input objects: paths, URLs, prefixes or globs.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Plugin config KEY=VALUE for both versions (repeatable).
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
        #[command(flatten)]
        registry: RegistryArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate (size, world, imports, fixtures under production limits), sign and publish a
    /// plugin under its own name and version.
    Publish {
        /// The plugin: a .wasm component or a crate directory (built first).
        plugin: String,
        /// The registered provider publishing it.
        #[arg(long)]
        provider: String,
        /// The provider's signing key file (from `dataplace provider keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The fixtures it must pass.
        #[arg(long)]
        fixtures: PathBuf,
        /// Who publishes it (recorded in the manifest). Default: the provider.
        #[arg(long)]
        author: Option<String>,
        #[command(flatten)]
        registry: RegistryArg,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Published versions, with their yank status.
    List {
        /// Only this provider's.
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        registry: RegistryArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Yank a version: jobs pinned to it still run; version requirements skip it.
    Yank {
        /// provider/name@version
        version: String,
        /// The provider's signing key file.
        #[arg(long)]
        key: PathBuf,
        /// Why, for the record.
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        registry: RegistryArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Create a signing key: the secret goes to FILE (mode 0600), the public key to stdout.
    Keygen {
        /// Where to write the secret key (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Register a provider name with its public key; only that key can publish under the name.
    Register {
        /// The provider name (lower-case, digits, '-').
        name: String,
        /// The public key (hex, as keygen prints it).
        #[arg(long)]
        public_key: String,
        #[command(flatten)]
        registry: RegistryArg,
    },
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
    /// The converter: a published plugin (provider/name@version-requirement or sha256:…), a
    /// .wasm component (path or URL) or a plugin crate directory (built first).
    #[arg(long)]
    pub plugin: String,
    #[command(flatten)]
    pub registry: RegistryArg,
    /// Run a yanked version that the version requirement matches.
    #[arg(long)]
    pub allow_yanked: bool,
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
