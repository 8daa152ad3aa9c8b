//! The quarantine of one input object: the plugin's rejects and the observations that failed
//! validation, each with its reason, written as Parquet under `_quarantine/` beside the data and
//! committed (or aborted) together with it.

use crate::plugin::Reject;
use crate::sink::{ParquetFile, SinkError, WrittenFile};
use crate::store::Location;
use crate::validate::Quarantined;
use arrow::array::{ArrayRef, BinaryArray, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

/// Who produced the quarantined rows: repeated on every row.
#[derive(Debug, Clone)]
pub struct Origin {
    pub job_id: String,
    /// `name@version`.
    pub plugin: String,
    pub plugin_sha256: String,
    /// The input object's URL.
    pub input: String,
}

/// The quarantine file of one input, created on the first quarantined row.
pub struct QuarantineSink {
    location: Location,
    origin: Origin,
    props: WriterProperties,
    part_bytes: usize,
    file: Option<ParquetFile>,
}

impl QuarantineSink {
    pub fn new(location: Location, origin: Origin, props: WriterProperties, part_bytes: usize) -> Self {
        Self { location, origin, props, part_bytes, file: None }
    }

    /// Quarantine a batch's rejects and failed observations.
    ///
    /// # Errors
    /// [`SinkError`] on write failure.
    pub async fn write(&mut self, rejects: &[Reject], failed: &[Quarantined]) -> Result<(), SinkError> {
        if rejects.is_empty() && failed.is_empty() {
            return Ok(());
        }
        let batch = self.rows(rejects, failed);
        if self.file.is_none() {
            let file = ParquetFile::create(self.location.clone(), crate::schema::quarantine(), self.props.clone(), self.part_bytes)?;
            self.file = Some(file);
        }
        self.file.as_mut().expect("created above").write(&batch).await
    }

    /// Make the file visible, if anything was quarantined.
    ///
    /// # Errors
    /// [`SinkError`] on upload failure.
    pub async fn commit(self, metadata: &[KeyValue]) -> Result<Option<WrittenFile>, SinkError> {
        match self.file {
            Some(f) => f.commit(metadata).await.map(Some),
            None => Ok(None),
        }
    }

    /// Drop the file.
    pub async fn abort(self) {
        if let Some(f) = self.file {
            f.abort().await;
        }
    }

    fn rows(&self, rejects: &[Reject], failed: &[Quarantined]) -> RecordBatch {
        let n = rejects.len() + failed.len();
        let same = |s: &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n))) };
        let o = &self.origin;
        let stage = StringArray::from_iter_values(
            std::iter::repeat_n("plugin", rejects.len()).chain(std::iter::repeat_n("validate", failed.len())),
        );
        let reason = StringArray::from_iter_values(
            rejects.iter().map(|r| r.code.as_str()).chain(failed.iter().map(|q| q.reason.code())),
        );
        let message =
            StringArray::from_iter_values(rejects.iter().map(|r| r.message.as_str()).chain(failed.iter().map(|q| q.message.as_str())));
        let position = UInt64Array::from_iter(rejects.iter().map(|r| Some(r.position)).chain(failed.iter().map(|_| None)));
        let position_kind = StringArray::from_iter(rejects.iter().map(|r| Some(r.position_kind.as_str())).chain(failed.iter().map(|_| None)));
        let none = || rejects.iter().map(|_| None::<&str>);
        let vehicle = StringArray::from_iter(none().chain(failed.iter().map(|q| Some(q.vehicle_id.as_str()))));
        let time = TimestampMicrosecondArray::from_iter(rejects.iter().map(|_| None).chain(failed.iter().map(|q| Some(q.time_us))))
            .with_timezone(crate::schema::TIMEZONE);
        let signal = StringArray::from_iter(none().chain(failed.iter().map(|q| Some(q.signal.as_str()))));
        let value = StringArray::from_iter(none().chain(failed.iter().map(|q| Some(q.value.as_str()))));
        let excerpt = BinaryArray::from_iter(rejects.iter().map(|r| Some(&r.excerpt[..r.excerpt.len().min(256)])).chain(failed.iter().map(|_| None)));
        let columns: Vec<ArrayRef> = vec![
            same(&o.job_id),
            same(&o.plugin),
            same(&o.plugin_sha256),
            same(&o.input),
            Arc::new(stage),
            Arc::new(reason),
            Arc::new(message),
            Arc::new(position),
            Arc::new(position_kind),
            Arc::new(vehicle),
            Arc::new(time),
            Arc::new(signal),
            Arc::new(value),
            Arc::new(excerpt),
        ];
        RecordBatch::try_new(crate::schema::quarantine(), columns).expect("columns match the quarantine schema")
    }
}
