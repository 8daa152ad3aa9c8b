//! The catalogue as tables consumers read without our tools: JSON, CSV and Parquet, and the
//! `_catalogue/` folder every output root gets so observations join their units and descriptions.

use super::{Catalogue, Entry};
use crate::sink::{ParquetFile, SinkError, WrittenFile};
use crate::store::Location;
use arrow::array::{ArrayRef, BooleanArray, Float64Array, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use object_store::{ObjectStoreExt, PutPayload};
use parquet::file::properties::WriterProperties;
use std::sync::{Arc, LazyLock};

/// Export formats of `dataplace catalogue export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Parquet,
}

/// The catalogue table: one row per entry, the fields of [`Entry`] plus the catalogue version.
pub fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let text = |name, nullable| Field::new(name, DataType::Utf8, nullable);
        Arc::new(Schema::new(vec![
            text("id", false),
            text("kind", false),
            text("datatype", false),
            text("unit", true),
            Field::new("min", DataType::Float64, true),
            Field::new("max", DataType::Float64, true),
            Field::new("allowed", DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false),
            text("description", false),
            text("deprecated", true),
            Field::new("personal", DataType::Boolean, false),
            Field::new("core", DataType::Boolean, false),
            text("source", false),
            text("widened", true),
            text("catalogue_version", false),
        ]))
    });
    SCHEMA.clone()
}

/// `entries` as one record batch of [`schema`].
pub fn record_batch(entries: &[&Entry], version: &str) -> RecordBatch {
    let text = |f: &dyn Fn(&Entry) -> Option<&str>| -> ArrayRef { Arc::new(entries.iter().map(|e| f(e)).collect::<StringArray>()) };
    let mut allowed = ListBuilder::new(StringBuilder::new());
    for e in entries {
        for a in &e.allowed {
            allowed.values().append_value(a);
        }
        allowed.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        text(&|e| Some(&e.id)),
        text(&|e| Some(e.kind.as_str())),
        text(&|e| Some(e.datatype.as_str())),
        text(&|e| e.unit.as_deref()),
        Arc::new(entries.iter().map(|e| e.min).collect::<Float64Array>()),
        Arc::new(entries.iter().map(|e| e.max).collect::<Float64Array>()),
        Arc::new(allowed.finish()),
        text(&|e| Some(&e.description)),
        text(&|e| e.deprecated.as_deref()),
        Arc::new(entries.iter().map(|e| Some(e.personal)).collect::<BooleanArray>()),
        Arc::new(entries.iter().map(|e| Some(e.core)).collect::<BooleanArray>()),
        text(&|e| Some(&e.source)),
        text(&|e| e.widened.as_deref()),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(version, entries.len()))),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the catalogue schema")
}

/// `entries` as JSON: `{"version": …, "signals": [entry…]}`.
pub fn json(entries: &[&Entry], version: &str) -> String {
    let doc = serde_json::json!({ "version": version, "signals": entries });
    serde_json::to_string_pretty(&doc).expect("entries serialise")
}

/// `entries` as CSV with a header row; `allowed` values are joined with `|`.
pub fn csv(entries: &[&Entry], version: &str) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id", "kind", "datatype", "unit", "min", "max", "allowed", "description", "deprecated", "personal", "core", "source", "widened",
        "catalogue_version",
    ])
    .expect("in-memory CSV");
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for e in entries {
        w.write_record([
            e.id.as_str(),
            e.kind.as_str(),
            e.datatype.as_str(),
            e.unit.as_deref().unwrap_or(""),
            &num(e.min),
            &num(e.max),
            &e.allowed.join("|"),
            &e.description,
            e.deprecated.as_deref().unwrap_or(""),
            if e.personal { "true" } else { "false" },
            if e.core { "true" } else { "false" },
            &e.source,
            e.widened.as_deref().unwrap_or(""),
            version,
        ])
        .expect("in-memory CSV");
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("CSV of UTF-8 fields")
}

/// Write the whole catalogue (Parquet and JSON) under `root/_catalogue/version=<v>/`, unless
/// already there. The whole catalogue rather than only the entries one job used: one table per
/// version then joins without duplicates whatever jobs (or shards) wrote to the root, and its
/// bytes are the same whoever writes it.
///
/// # Errors
/// [`SinkError`] when the store refuses the write.
pub async fn publish(root: &Location, catalogue: &Catalogue) -> Result<Vec<WrittenFile>, SinkError> {
    let version = catalogue.version();
    let dir = root.join(&format!("_catalogue/version={version}"));
    let parquet = dir.join("catalogue.parquet");
    if parquet.store.head(&parquet.path).await.is_ok() {
        return Ok(Vec::new());
    }
    let entries: Vec<&Entry> = catalogue.entries().iter().collect();
    let json = dir.join("catalogue.json");
    let body = self::json(&entries, &version);
    let bytes = body.len() as u64;
    json.store
        .put(&json.path, PutPayload::from(body))
        .await
        .map_err(|e| SinkError::Store { path: json.url.to_string(), reason: e.to_string() })?;
    let mut file = ParquetFile::create(parquet, schema(), WriterProperties::builder().build(), 5 << 20)?;
    file.write(&record_batch(&entries, &version)).await?;
    let written = file.commit(&[]).await?;
    Ok(vec![WrittenFile { url: json.url.to_string(), rows: entries.len() as u64, bytes }, written])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_carries_every_entry() {
        let c = Catalogue::builtin();
        let entries: Vec<&Entry> = c.entries().iter().collect();
        let batch = record_batch(&entries, &c.version());
        assert_eq!(batch.num_rows(), entries.len());
        let json: serde_json::Value = serde_json::from_str(&json(&entries, &c.version())).unwrap();
        assert_eq!(json["signals"].as_array().unwrap().len(), entries.len());
        let csv = csv(&entries, &c.version());
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(reader.records().count(), entries.len());
        let speed = csv.lines().find(|l| l.starts_with("Vehicle.Speed,")).unwrap();
        assert!(speed.starts_with("Vehicle.Speed,sensor,float,km/h,"), "{speed}");
    }
}
