//! The sink stage: an input object's valid observations go to zstd Parquet files, one per
//! `provider=<p>/date=<YYYY-MM-DD>/` partition, with lineage in each file's key-value metadata.
//! Files become visible only when the whole input has converted: every file is uploaded in one
//! atomic put or a multipart upload completed at commit; a failed input aborts them all.

use crate::limits::SinkLimits;
use crate::store::Location;
use arrow::array::{Array, BooleanArray, RecordBatch, TimestampMicrosecondArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use object_store::buffered::BufWriter;
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;

const DAY_US: i64 = 86_400_000_000;

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("writing {path}: {source}")]
    Parquet { path: String, source: parquet::errors::ParquetError },
    #[error("input spans more than {limit} dates (open_partitions); split it or raise [limits.sink] open_partitions")]
    TooManyPartitions { limit: usize },
    #[error("invalid sink setting: {0}")]
    Config(String),
    #[error("writing {path}: {reason}")]
    Store { path: String, reason: String },
}

/// A committed output file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrittenFile {
    /// URL of the file.
    pub url: String,
    pub rows: u64,
    pub bytes: u64,
}

/// Writer properties shared by every file of a job.
///
/// # Errors
/// [`SinkError::Config`] for an invalid zstd level.
pub fn writer_properties(limits: &SinkLimits, lineage: Vec<KeyValue>) -> Result<WriterProperties, SinkError> {
    let level = ZstdLevel::try_new(limits.zstd_level).map_err(|e| SinkError::Config(e.to_string()))?;
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(limits.row_group_rows))
        .set_max_row_group_bytes(Some(limits.row_group_bytes))
        .set_key_value_metadata(Some(lineage))
        .build())
}

/// The lineage a file carries (its key-value metadata), as written by [`writer_properties`].
pub fn lineage(file: &parquet::file::metadata::FileMetaData) -> BTreeMap<String, String> {
    file.key_value_metadata().into_iter().flatten().filter_map(|kv| kv.value.clone().map(|v| (kv.key.clone(), v))).collect()
}

/// One Parquet file being uploaded.
pub struct ParquetFile {
    location: Location,
    writer: AsyncArrowWriter<BufWriter>,
    rows: u64,
}

impl ParquetFile {
    /// Start a file at `location`.
    ///
    /// # Errors
    /// [`SinkError::Parquet`] if the writer cannot be set up.
    pub fn create(location: Location, schema: SchemaRef, props: WriterProperties, part_bytes: usize) -> Result<Self, SinkError> {
        let upload = BufWriter::with_capacity(location.store.clone(), location.path.clone(), part_bytes);
        let writer = AsyncArrowWriter::try_new(upload, schema, Some(props)).map_err(|source| SinkError::Parquet { path: location.url.to_string(), source })?;
        Ok(Self { location, writer, rows: 0 })
    }

    /// Append rows.
    ///
    /// # Errors
    /// [`SinkError::Parquet`] on encoding or upload failure.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).await.map_err(|e| self.error(e))
    }

    /// Encoded bytes buffered in the open row group.
    fn buffered(&self) -> usize {
        self.writer.in_progress_size()
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.writer.flush().await.map_err(|e| self.error(e))
    }

    /// Finish the file with extra key-value metadata, making it visible.
    ///
    /// # Errors
    /// [`SinkError::Parquet`] on encoding or upload failure.
    pub async fn commit(mut self, metadata: &[KeyValue]) -> Result<WrittenFile, SinkError> {
        for kv in metadata {
            self.writer.append_key_value_metadata(kv.clone());
        }
        self.writer.finish().await.map_err(|e| self.error(e))?;
        Ok(WrittenFile { url: self.location.url.to_string(), rows: self.rows, bytes: self.writer.bytes_written() as u64 })
    }

    /// Drop the file: nothing of it becomes visible.
    pub async fn abort(self) {
        let mut upload = self.writer.into_inner();
        if let Err(e) = upload.abort().await {
            tracing::warn!(file = %self.location.url, error = %e, "aborting an upload failed");
        }
    }

    fn error(&self, source: parquet::errors::ParquetError) -> SinkError {
        SinkError::Parquet { path: self.location.url.to_string(), source }
    }
}

/// The observation files of one input object, one per date partition.
pub struct DataSink {
    root: Location,
    provider: String,
    file_name: String,
    props: WriterProperties,
    limits: SinkLimits,
    files: BTreeMap<i64, ParquetFile>,
}

impl DataSink {
    /// Files named `<file_name>` under `root/provider=<provider>/date=<day>/`.
    pub fn new(root: Location, provider: &str, file_name: String, props: WriterProperties, limits: &SinkLimits) -> Self {
        Self { root, provider: provider.to_owned(), file_name, props, limits: limits.clone(), files: BTreeMap::new() }
    }

    /// Write valid observations, each to the partition of its UTC date.
    ///
    /// # Errors
    /// [`SinkError`] on write failure or when the input spans too many dates.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let time = batch.column(1).as_any().downcast_ref::<TimestampMicrosecondArray>().expect("time column");
        let days: Vec<i64> = time.values().iter().map(|t| t.div_euclid(DAY_US)).collect();
        let first = days[0];
        if days.iter().all(|&d| d == first) {
            self.file(first)?.write(batch).await?;
        } else {
            let mut distinct = days.clone();
            distinct.sort_unstable();
            distinct.dedup();
            for day in distinct {
                let mask = BooleanArray::from_iter(days.iter().map(|&d| Some(d == day)));
                let part = filter_record_batch(batch, &mask).expect("mask has the batch's length");
                self.file(day)?.write(&part).await?;
            }
        }
        self.bound_buffers().await
    }

    /// Finish every file with `metadata` appended (e.g. the fuel used).
    ///
    /// # Errors
    /// [`SinkError`]; files already committed stay (the job manifest decides what is visible).
    pub async fn commit(self, metadata: &[KeyValue]) -> Result<Vec<WrittenFile>, SinkError> {
        let mut written = Vec::with_capacity(self.files.len());
        for file in self.files.into_values() {
            written.push(file.commit(metadata).await?);
        }
        Ok(written)
    }

    /// Abort every file.
    pub async fn abort(self) {
        for file in self.files.into_values() {
            file.abort().await;
        }
    }

    fn file(&mut self, day: i64) -> Result<&mut ParquetFile, SinkError> {
        if !self.files.contains_key(&day) {
            if self.files.len() >= self.limits.open_partitions {
                return Err(SinkError::TooManyPartitions { limit: self.limits.open_partitions });
            }
            let key = format!("provider={}/date={}/{}", self.provider, date(day), self.file_name);
            let file = ParquetFile::create(self.root.join(&key), crate::schema::data(), self.props.clone(), self.limits.upload_part_bytes)?;
            self.files.insert(day, file);
        }
        Ok(self.files.get_mut(&day).expect("inserted above"))
    }

    /// Keep the row groups buffered by all files under `buffer_bytes`, flushing the largest.
    async fn bound_buffers(&mut self) -> Result<(), SinkError> {
        while self.files.values().map(ParquetFile::buffered).sum::<usize>() > self.limits.buffer_bytes {
            let largest = self.files.values_mut().max_by_key(|f| f.buffered()).expect("files are open");
            largest.flush().await?;
        }
        Ok(())
    }
}

/// `YYYY-MM-DD` of a day number since 1970-01-01.
fn date(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0).map_or_else(|| format!("day{day}"), |d| d.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_of_day_numbers() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(19_844), "2024-05-01");
        assert_eq!(super::date(-1), "1969-12-31");
    }
}
