//! The Arrow schemas of everything dataplace writes: the observation table consumers read, and
//! the quarantine table beside it.

use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use std::sync::{Arc, LazyLock};

/// Time zone of every timestamp column.
pub const TIMEZONE: &str = "UTC";

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(TIMEZONE.into()))
}

/// The item field of `value_list`.
pub fn list_item() -> FieldRef {
    static ITEM: LazyLock<FieldRef> = LazyLock::new(|| Arc::new(Field::new("item", DataType::Utf8, false)));
    ITEM.clone()
}

/// The observation table: one typed observation per row, exactly one `value_*` column set.
///
/// | column | type |
/// |---|---|
/// | `vehicle_id` | utf8 |
/// | `time` | timestamp[µs, UTC] |
/// | `signal` | utf8, dictionary-encoded (a catalogue id) |
/// | `value_double` | f64 |
/// | `value_int` | i64 |
/// | `value_bool` | bool |
/// | `value_text` | utf8 |
/// | `value_list` | list<utf8> |
pub fn data() -> SchemaRef {
    static DATA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new("vehicle_id", DataType::Utf8, false),
            Field::new("time", utc_micros(), false),
            Field::new("signal", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), false),
            Field::new("value_double", DataType::Float64, true),
            Field::new("value_int", DataType::Int64, true),
            Field::new("value_bool", DataType::Boolean, true),
            Field::new("value_text", DataType::Utf8, true),
            Field::new("value_list", DataType::List(list_item()), true),
        ]))
    });
    DATA.clone()
}

/// The quarantine table: what did not reach the observation table, and why.
///
/// | column | type | meaning |
/// |---|---|---|
/// | `job_id` | utf8 | |
/// | `plugin` | utf8 | `name@version` |
/// | `plugin_sha256` | utf8 | |
/// | `input` | utf8 | the input object's URL |
/// | `stage` | utf8 | `plugin` (a reject) or `validate` (an observation that failed a check) |
/// | `reason` | utf8 | stable code (`crc`, `out-of-range` …) |
/// | `message` | utf8 | |
/// | `position` | u64? | byte offset or line number of a reject |
/// | `position_kind` | utf8? | `byte-offset` or `line-number` |
/// | `vehicle_id`, `time`, `signal`, `value` | utf8?, timestamp?, utf8?, utf8? | the observation as emitted |
/// | `excerpt` | binary? | the first bytes of a rejected unit |
pub fn quarantine() -> SchemaRef {
    static QUARANTINE: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new("job_id", DataType::Utf8, false),
            Field::new("plugin", DataType::Utf8, false),
            Field::new("plugin_sha256", DataType::Utf8, false),
            Field::new("input", DataType::Utf8, false),
            Field::new("stage", DataType::Utf8, false),
            Field::new("reason", DataType::Utf8, false),
            Field::new("message", DataType::Utf8, false),
            Field::new("position", DataType::UInt64, true),
            Field::new("position_kind", DataType::Utf8, true),
            Field::new("vehicle_id", DataType::Utf8, true),
            Field::new("time", utc_micros(), true),
            Field::new("signal", DataType::Utf8, true),
            Field::new("value", DataType::Utf8, true),
            Field::new("excerpt", DataType::Binary, true),
        ]))
    });
    QUARANTINE.clone()
}

/// The metering ledger: one row per (job, provider, plugin, input object).
///
/// | column | type | meaning |
/// |---|---|---|
/// | `job_id`, `provider`, `plugin`, `plugin_version`, `plugin_sha256`, `input` | utf8 | who and what |
/// | `outcome` | utf8 | `ok`, `limit`, `trap` or `error` |
/// | `error` | utf8? | why, when not ok |
/// | `fuel`, `fuel_budget` | u64 | fuel billed and the object's budget |
/// | `bytes_in`, `bytes_out` | u64 | bytes read, Parquet bytes committed |
/// | `units_read` … `discarded` | u64 | both ledgers of the input |
/// | `instantiations`, `peak_memory` | u64 | sandboxes created, largest plugin memory |
/// | `fuel_schedule`, `wasmtime_version`, `chunk_bytes` | utf8, utf8, u64 | the priced configuration |
/// | `started_at`, `finished_at` | timestamp[µs, UTC] | |
pub fn ledger() -> SchemaRef {
    static LEDGER: LazyLock<SchemaRef> = LazyLock::new(|| {
        let text = |name| Field::new(name, DataType::Utf8, false);
        let count = |name| Field::new(name, DataType::UInt64, false);
        Arc::new(Schema::new(vec![
            text("job_id"),
            text("provider"),
            text("plugin"),
            text("plugin_version"),
            text("plugin_sha256"),
            text("input"),
            text("outcome"),
            Field::new("error", DataType::Utf8, true),
            count("fuel"),
            count("fuel_budget"),
            count("bytes_in"),
            count("bytes_out"),
            count("units_read"),
            count("decoded"),
            count("skipped"),
            count("rejects"),
            count("observations"),
            count("written"),
            count("quarantined"),
            count("discarded"),
            count("instantiations"),
            count("peak_memory"),
            text("fuel_schedule"),
            text("wasmtime_version"),
            count("chunk_bytes"),
            Field::new("started_at", utc_micros(), false),
            Field::new("finished_at", utc_micros(), false),
        ]))
    });
    LEDGER.clone()
}
