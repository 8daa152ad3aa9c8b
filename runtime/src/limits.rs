//! Resource limits, one plain struct per resource, each with a `Default` that explains its
//! numbers. They deserialize from a job file's `[limits.*]` tables (every field optional).

use serde::{Deserialize, Serialize};

/// What one plugin sandbox may use for one input object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginLimits {
    /// Fuel (metered WebAssembly operators) any input object may use, on top of its share
    /// per byte: the object's budget is `fuel_base + fuel_per_byte × object size`.
    pub fuel_base: u64,
    /// Fuel an input object may use per byte of its size.
    pub fuel_per_byte: u64,
    /// Largest size, in bytes, a plugin's linear memory may grow to.
    pub memory_bytes: u64,
    /// Largest number of elements of a plugin's tables.
    pub table_elements: u64,
    /// Wall-clock backstop for one call into the plugin, in milliseconds. Fuel is the real
    /// limit; this only catches what fuel cannot see. When it fires, the whole fuel budget is
    /// charged, so a bill never depends on machine load.
    pub call_timeout_ms: u64,
    /// Largest WebAssembly stack, in bytes (deep recursion traps beyond it).
    pub stack_bytes: u64,
    /// Bytes of the plugin's stdout/stderr kept for the report; the rest is counted and dropped.
    pub log_bytes: u64,
    /// Most observations one batch (one `push` or `finish`) may carry.
    pub batch_observations: u64,
    /// Most rejects one batch may carry.
    pub batch_rejects: u64,
    /// Longest string (vehicle id, signal id, text value, reject message) in bytes.
    pub string_bytes: u64,
}

impl PluginLimits {
    /// The fuel budget of an object of `size` bytes.
    pub fn fuel_budget(&self, size: u64) -> u64 {
        self.fuel_base.saturating_add(self.fuel_per_byte.saturating_mul(size))
    }
}

impl Default for PluginLimits {
    fn default() -> Self {
        Self {
            // ~1 s of CPU: instantiation, config parsing (a large DBC) and the final flush.
            fuel_base: 2_000_000_000,
            // The bundled decoders use 100-400 fuel per byte; 20x that leaves room for heavier
            // formats while a looping plugin exhausts its budget in proportion to its input.
            fuel_per_byte: 5_000,
            // A streaming converter needs a chunk, a partial record and a batch: 512 MiB leaves
            // room for large DBC tables while bounding what a hostile plugin can take.
            memory_bytes: 512 << 20,
            // Rust components use a few thousand entries for their function tables.
            table_elements: 100_000,
            // A 1 MiB chunk decodes in milliseconds; 60 s only trips on a stuck plugin.
            call_timeout_ms: 60_000,
            // Twice wasmtime's default: room for recursive-descent parsers, still bounded.
            stack_bytes: 1 << 20,
            // Enough for a panic message and backtrace-sized context.
            log_bytes: 64 << 10,
            // A 1 MiB chunk of the densest format yields ~100k observations; 4M is 40x that.
            batch_observations: 4_000_000,
            // One reject per input unit: a chunk of 1-byte units would be 1M.
            batch_rejects: 1_000_000,
            // VINs, VSS paths and DTC texts are short; 64 KiB stops giant-string floods.
            string_bytes: 64 << 10,
        }
    }
}

/// How input objects are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceLimits {
    /// Bytes pushed to the plugin per call. Part of the priced configuration: the fuel of an
    /// object depends (slightly) on how many calls it takes.
    pub chunk_bytes: u64,
    /// Chunks read ahead of the plugin per input.
    pub read_ahead_chunks: usize,
}

impl Default for SourceLimits {
    fn default() -> Self {
        // 1 MiB amortises the per-call cost to well under 1 % while keeping a few chunks in
        // flight per input cheap.
        Self { chunk_bytes: 1 << 20, read_ahead_chunks: 2 }
    }
}

/// How Parquet is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SinkLimits {
    /// Most rows in one Parquet row group.
    pub row_group_rows: usize,
    /// Most (estimated, encoded) bytes in one row group.
    pub row_group_bytes: usize,
    /// Bytes an output file buffers before it switches to a multipart upload, and the part size.
    pub upload_part_bytes: usize,
    /// Most date partitions one input object may span (each holds an open file while the
    /// input converts).
    pub open_partitions: usize,
    /// Encoded bytes all open files of one input may buffer before the largest row group is
    /// flushed early.
    pub buffer_bytes: usize,
    /// zstd level of the data pages.
    pub zstd_level: i32,
}

impl Default for SinkLimits {
    fn default() -> Self {
        Self {
            // 1 Mi rows of the narrow table are ~10-20 MiB encoded: large enough for efficient
            // scans in DuckDB/Spark, small enough to prune by statistics.
            row_group_rows: 1 << 20,
            row_group_bytes: 128 << 20,
            // S3's minimum part size; a file smaller than this is one atomic put.
            upload_part_bytes: 5 << 20,
            // A device log rarely spans more than a few days; two months of days still fit.
            open_partitions: 64,
            // Bounds a job's write buffers independently of the input size.
            buffer_bytes: 256 << 20,
            // zstd's default level: most of the ratio of higher levels at a fraction of the CPU.
            zstd_level: 3,
        }
    }
}

/// How many things a job does at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobLimits {
    /// Input objects converted concurrently.
    pub parallel_inputs: usize,
}

impl Default for JobLimits {
    fn default() -> Self {
        // One input at a time: each input already runs reader, plugin and writer concurrently.
        Self { parallel_inputs: 1 }
    }
}

/// All limits of a job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub plugin: PluginLimits,
    pub source: SourceLimits,
    pub sink: SinkLimits,
    pub job: JobLimits,
}
