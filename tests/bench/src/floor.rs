//! The physical floor of end-to-end conversion: the native Teltonika decoder's batches turned
//! into Arrow record batches of the output schema and written by `ArrowWriter` (zstd) on one
//! thread: no sandbox, no validation, no object store.

use arrow::array::{ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray, new_null_array};
use arrow::compute::take;
use dataplace_sdk::{Batch, Columns};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

/// Decode `input` natively and write it as Parquet to `path`; returns the rows written.
pub fn native_to_parquet(input: &[u8], path: &std::path::Path) -> u64 {
    let limits = dataplace::limits::SinkLimits::default();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(limits.zstd_level).expect("level")))
        .set_max_row_group_row_count(Some(limits.row_group_rows))
        .build();
    let file = std::fs::File::create(path).expect("floor file");
    let mut writer = ArrowWriter::try_new(file, dataplace::schema::data(), Some(props)).expect("writer");
    let mut rows = 0u64;
    dataplace_sdk::native::for_each_batch::<dataplace_teltonika::Teltonika>(&[], "floor.bin", input, 1 << 20, |b| {
        for rb in record_batches(&b) {
            rows += rb.num_rows() as u64;
            writer.write(&rb).expect("write");
        }
    })
    .expect("native decode");
    writer.close().expect("close");
    rows
}

fn record_batches(b: &Batch) -> Vec<RecordBatch> {
    let strings: ArrayRef = Arc::new(StringArray::from_iter_values(b.strings.iter()));
    let mut out = Vec::new();
    let mut one = |c: &dyn Shape, column: usize, values: ArrayRef| {
        if c.rows() == 0 {
            return;
        }
        let schema = dataplace::schema::data();
        let vehicle = take(strings.as_ref(), &arrow::array::UInt32Array::from(c.vehicle().to_vec()), None).expect("take");
        let keys = Int32Array::from_iter_values(c.signal().iter().map(|&s| s as i32));
        let signal: ArrayRef = Arc::new(DictionaryArray::try_new(keys, strings.clone()).expect("dictionary"));
        let time: ArrayRef = Arc::new(TimestampMicrosecondArray::from(c.time().to_vec()).with_timezone("UTC"));
        let mut columns = vec![vehicle, time, signal];
        let mut values = Some(values);
        for (i, field) in schema.fields().iter().enumerate().skip(3) {
            columns.push(if i == column { values.take().expect("once") } else { new_null_array(field.data_type(), c.rows()) });
        }
        out.push(RecordBatch::try_new(schema, columns).expect("batch"));
    };
    one(&b.doubles, 3, Arc::new(Float64Array::from(b.doubles.value.clone())));
    one(&b.ints, 4, Arc::new(Int64Array::from(b.ints.value.clone())));
    one(&b.bools, 5, Arc::new(BooleanArray::from(b.bools.value.clone())));
    one(&b.texts, 6, take(strings.as_ref(), &arrow::array::UInt32Array::from(b.texts.value.clone()), None).expect("take"));
    out
}

/// The shape shared by every typed column set.
trait Shape {
    fn rows(&self) -> usize;
    fn vehicle(&self) -> &[u32];
    fn signal(&self) -> &[u32];
    fn time(&self) -> &[i64];
}

impl<T> Shape for Columns<T> {
    fn rows(&self) -> usize {
        self.len()
    }
    fn vehicle(&self) -> &[u32] {
        &self.vehicle
    }
    fn signal(&self) -> &[u32] {
        &self.signal
    }
    fn time(&self) -> &[i64] {
        &self.time
    }
}
