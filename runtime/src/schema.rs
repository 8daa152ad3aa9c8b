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
