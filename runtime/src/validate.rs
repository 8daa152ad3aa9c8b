//! The validate stage, between plugin and sink: checks a plugin's batch against the contract
//! (a violation fails the input) and every observation against the catalogue (a failing one is
//! quarantined with its reason), and turns the valid rows into Arrow record batches of the
//! output schema with one copy per column.

use crate::catalogue::{Catalogue, Column, Entry};
use crate::plugin::{Batch, LimitExceeded, Reject, UnitCounts};
use crate::schema;
use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch, StringArray,
    TimestampMicrosecondArray, UInt32Array, new_null_array,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{filter_record_batch, take};
use std::collections::HashSet;
use std::sync::Arc;

/// Longest vehicle id accepted, in bytes (VINs are 17, IMEIs 15; fleet ids stay short).
pub const MAX_VEHICLE_ID_BYTES: usize = 128;
/// Earliest plausible observation time: 1990-01-01T00:00:00Z, in µs.
pub const EARLIEST_TIME_US: i64 = 631_152_000_000_000;
/// How far past the job's start an observation may lie: one day, in µs.
pub const FUTURE_SLACK_US: i64 = 86_400_000_000;

/// Why an observation was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    UnknownSignal,
    UndeclaredSignal,
    WrongType,
    NotFinite,
    OutOfRange,
    NotAllowed,
    ImplausibleTime,
    BadVehicleId,
}

impl Reason {
    /// The stable reason code stored in the quarantine.
    pub fn code(self) -> &'static str {
        match self {
            Reason::UnknownSignal => "unknown-signal",
            Reason::UndeclaredSignal => "undeclared-signal",
            Reason::WrongType => "wrong-type",
            Reason::NotFinite => "not-finite",
            Reason::OutOfRange => "out-of-range",
            Reason::NotAllowed => "not-allowed",
            Reason::ImplausibleTime => "implausible-time",
            Reason::BadVehicleId => "bad-vehicle-id",
        }
    }
}

/// An observation that failed a check, as emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    pub reason: Reason,
    pub message: String,
    pub vehicle_id: String,
    pub time_us: i64,
    pub signal: String,
    /// The value as text (lists as JSON), cut to 256 bytes.
    pub value: String,
}

/// A batch after validation.
#[derive(Debug)]
pub struct Checked {
    /// Valid observations, one record batch per value column that had rows.
    pub valid: Vec<RecordBatch>,
    pub quarantined: Vec<Quarantined>,
    /// Observations the plugin emitted in this batch.
    pub emitted: u64,
    /// The plugin's rejects, its unit counts and notes, as it returned them.
    pub rejects: Vec<Reject>,
    pub units: UnitCounts,
    pub notes: Vec<(String, u64)>,
}

impl Checked {
    /// Valid rows.
    pub fn written(&self) -> u64 {
        self.valid.iter().map(|b| b.num_rows() as u64).sum()
    }
}

/// A contract violation or host-checked limit: the input fails.
#[derive(Debug)]
pub enum Violation {
    Contract(String),
    Limit(LimitExceeded),
}

/// Validates the batches of one session.
pub struct Validator {
    catalogue: &'static Catalogue,
    declared: HashSet<String>,
    latest_time_us: i64,
    max_observations: u64,
    max_rejects: u64,
    max_string_bytes: u64,
}

/// What the catalogue says about one string used as a signal in a batch.
enum SignalCheck<'c> {
    Unknown,
    Undeclared,
    Known(&'c Entry),
}

impl Validator {
    /// A validator for a session that declared `signals`, in a job that started at `job_start_us`.
    pub fn new(catalogue: &'static Catalogue, signals: Vec<String>, job_start_us: i64, limits: &crate::limits::PluginLimits) -> Self {
        Self {
            catalogue,
            declared: signals.into_iter().collect(),
            latest_time_us: job_start_us + FUTURE_SLACK_US,
            max_observations: limits.batch_observations,
            max_rejects: limits.batch_rejects,
            max_string_bytes: limits.string_bytes,
        }
    }

    /// Signals the session declared that the catalogue does not have.
    pub fn unknown_declared(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.declared.iter().filter(|s| self.catalogue.get(s).is_none()).map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Check one batch.
    ///
    /// # Errors
    /// A [`Violation`] when the batch breaks the contract or a batch limit.
    pub fn check(&self, mut b: Batch) -> Result<Checked, Violation> {
        self.check_contract(&b)?;
        let strings = Arc::new(StringArray::from_iter_values(b.strings.iter()));
        let signals: Vec<SignalCheck<'_>> = b.strings.iter().map(|s| self.signal(s)).collect();
        let vehicle_ok: Vec<bool> =
            b.strings.iter().map(|v| !v.trim().is_empty() && v.len() <= MAX_VEHICLE_ID_BYTES).collect();
        // The value columns move into Arrow arrays without a copy.
        let doubles = Float64Array::from(std::mem::take(&mut b.doubles.value));
        let ints = Int64Array::from(std::mem::take(&mut b.ints.value));
        let bools = BooleanArray::from(std::mem::take(&mut b.bools.value));
        let mut out = Checked {
            valid: Vec::new(),
            quarantined: Vec::new(),
            emitted: 0,
            rejects: std::mem::take(&mut b.rejects),
            units: std::mem::replace(&mut b.units, UnitCounts { read: 0, decoded: 0, skipped: Vec::new() }),
            notes: std::mem::take(&mut b.notes),
        };
        let mut rows = Rows { b: &b, strings: &strings, signals: &signals, vehicle_ok: &vehicle_ok, v: self, out: &mut out };
        let d = &b.doubles;
        rows.column(Column::Double, &d.vehicle, &d.signal, &d.time, |i| Value::Double(doubles.value(i)), Arc::new(doubles.clone()))?;
        let n = &b.ints;
        rows.column(Column::Int, &n.vehicle, &n.signal, &n.time, |i| Value::Int(ints.value(i)), Arc::new(ints.clone()))?;
        let l = &b.bools;
        rows.column(Column::Bool, &l.vehicle, &l.signal, &l.time, |i| Value::Bool(bools.value(i)), Arc::new(bools.clone()))?;
        let t = &b.texts;
        let texts = take(strings.as_ref(), &UInt32Array::from(t.value.clone()), None).expect("indexes checked");
        rows.column(Column::Text, &t.vehicle, &t.signal, &t.time, |i| Value::Text(&b.strings[t.value[i] as usize]), texts)?;
        let x = &b.text_lists;
        rows.column(
            Column::TextList,
            &x.vehicle,
            &x.signal,
            &x.time,
            |i| Value::TextList(x.value[i].iter().map(|&j| b.strings[j as usize].as_str()).collect()),
            text_list_array(&strings, &x.value),
        )?;
        Ok(out)
    }

    fn signal(&self, s: &str) -> SignalCheck<'static> {
        match self.catalogue.get(s) {
            None => SignalCheck::Unknown,
            Some(_) if !self.declared.contains(s) => SignalCheck::Undeclared,
            Some(e) => SignalCheck::Known(e),
        }
    }

    fn check_contract(&self, b: &Batch) -> Result<(), Violation> {
        let n = b.strings.len() as u64;
        let observations = column_shape("doubles", &b.doubles.vehicle, &b.doubles.signal, b.doubles.time.len(), b.doubles.value.len(), n)?
            + column_shape("ints", &b.ints.vehicle, &b.ints.signal, b.ints.time.len(), b.ints.value.len(), n)?
            + column_shape("bools", &b.bools.vehicle, &b.bools.signal, b.bools.time.len(), b.bools.value.len(), n)?
            + column_shape("texts", &b.texts.vehicle, &b.texts.signal, b.texts.time.len(), b.texts.value.len(), n)?
            + column_shape(
                "text-lists",
                &b.text_lists.vehicle,
                &b.text_lists.signal,
                b.text_lists.time.len(),
                b.text_lists.value.len(),
                n,
            )?;
        let value_indexes = b.texts.value.iter().chain(b.text_lists.value.iter().flatten());
        if let Some(&bad) = value_indexes.into_iter().find(|&&i| u64::from(i) >= n) {
            return Err(Violation::Contract(format!("text value index {bad} out of a table of {n}")));
        }
        let limit = |limit, limit_value, used| Violation::Limit(LimitExceeded { limit, limit_value, used });
        if observations > self.max_observations {
            return Err(limit("batch_observations", self.max_observations, observations));
        }
        if b.rejects.len() as u64 > self.max_rejects {
            return Err(limit("batch_rejects", self.max_rejects, b.rejects.len() as u64));
        }
        let longest = b
            .strings
            .iter()
            .map(String::len)
            .chain(b.rejects.iter().flat_map(|r| [r.code.len(), r.message.len()]))
            .max()
            .unwrap_or(0) as u64;
        if longest > self.max_string_bytes {
            return Err(limit("string_bytes", self.max_string_bytes, longest));
        }
        let skipped: u64 = b.units.skipped.iter().map(|(_, n)| n).sum();
        let accounted = b.units.decoded + skipped + b.rejects.len() as u64;
        if b.units.read != accounted {
            return Err(Violation::Contract(format!(
                "units read {} != decoded {} + skipped {skipped} + rejected {}",
                b.units.read,
                b.units.decoded,
                b.rejects.len()
            )));
        }
        Ok(())
    }
}

/// Check one column set: equal lengths, string indexes inside the table. Returns its rows.
fn column_shape(name: &str, vehicle: &[u32], signal: &[u32], times: usize, values: usize, strings: u64) -> Result<u64, Violation> {
    let lens = [vehicle.len(), signal.len(), times, values];
    if lens.iter().any(|&l| l != lens[0]) {
        return Err(Violation::Contract(format!("{name}: columns of different lengths {lens:?}")));
    }
    if let Some(&bad) = vehicle.iter().chain(signal).find(|&&i| u64::from(i) >= strings) {
        return Err(Violation::Contract(format!("{name}: string index {bad} out of a table of {strings}")));
    }
    Ok(lens[0] as u64)
}

/// A value as emitted, for checking and for the quarantine.
enum Value<'a> {
    Double(f64),
    Int(i64),
    Bool(bool),
    Text(&'a str),
    TextList(Vec<&'a str>),
}

impl Value<'_> {
    fn column(&self) -> Column {
        match self {
            Value::Double(_) => Column::Double,
            Value::Int(_) => Column::Int,
            Value::Bool(_) => Column::Bool,
            Value::Text(_) => Column::Text,
            Value::TextList(_) => Column::TextList,
        }
    }

    fn render(&self) -> String {
        let mut s = match self {
            Value::Double(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Bool(v) => v.to_string(),
            Value::Text(v) => (*v).to_owned(),
            Value::TextList(v) => serde_json::to_string(v).unwrap_or_default(),
        };
        if s.len() > 256 {
            let mut cut = 256;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
        }
        s
    }

    /// Check the value against its catalogue entry.
    fn check(&self, e: &Entry) -> Result<(), (Reason, String)> {
        let column = e.datatype.column();
        if column != Some(self.column()) {
            return Err((Reason::WrongType, format!("{} is {}, not a {:?} value", e.id, e.datatype.as_str(), self.column())));
        }
        let number = match self {
            Value::Double(v) if !v.is_finite() => return Err((Reason::NotFinite, format!("{v} is not finite"))),
            Value::Double(v) => Some(*v),
            Value::Int(v) => {
                let (lo, hi) = e.datatype.int_range().expect("int column has an integer type");
                if *v < lo || *v > hi {
                    return Err((Reason::OutOfRange, format!("{v} does not fit {}", e.datatype.as_str())));
                }
                Some(*v as f64)
            }
            Value::Text(t) if !e.allowed.is_empty() && !e.allowed.iter().any(|a| a == t) => {
                return Err((Reason::NotAllowed, format!("{t:?} is not one of {:?}", e.allowed)));
            }
            _ => None,
        };
        if let Some(v) = number
            && (e.min.is_some_and(|min| v < min) || e.max.is_some_and(|max| v > max))
        {
            let bound = |b: Option<f64>| b.map_or("-".to_owned(), |b| b.to_string());
            return Err((Reason::OutOfRange, format!("{v} outside [{}, {}]", bound(e.min), bound(e.max))));
        }
        Ok(())
    }
}

/// Row checks of one batch, column by column.
struct Rows<'a> {
    b: &'a Batch,
    strings: &'a Arc<StringArray>,
    signals: &'a [SignalCheck<'static>],
    vehicle_ok: &'a [bool],
    v: &'a Validator,
    out: &'a mut Checked,
}

impl Rows<'_> {
    fn column<'v>(
        &mut self,
        column: Column,
        vehicle: &[u32],
        signal: &[u32],
        time: &[i64],
        value: impl Fn(usize) -> Value<'v>,
        values: ArrayRef,
    ) -> Result<(), Violation> {
        let n = vehicle.len();
        if n == 0 {
            return Ok(());
        }
        self.out.emitted += n as u64;
        let mut keep: Option<Vec<bool>> = None;
        for i in 0..n {
            let verdict = self.row(vehicle[i], signal[i], time[i], &value(i));
            if let Err((reason, message)) = verdict {
                keep.get_or_insert_with(|| vec![true; n])[i] = false;
                self.out.quarantined.push(Quarantined {
                    reason,
                    message,
                    vehicle_id: self.b.strings[vehicle[i] as usize].clone(),
                    time_us: time[i],
                    signal: self.b.strings[signal[i] as usize].clone(),
                    value: value(i).render(),
                });
            }
        }
        let batch = record_batch(self.strings, column, vehicle, signal, time, values);
        let batch = match keep {
            None => batch,
            Some(keep) => filter_record_batch(&batch, &BooleanArray::from(keep)).expect("mask has the batch's length"),
        };
        if batch.num_rows() > 0 {
            self.out.valid.push(batch);
        }
        Ok(())
    }

    fn row(&self, vehicle: u32, signal: u32, time: i64, value: &Value<'_>) -> Result<(), (Reason, String)> {
        let name = &self.b.strings[signal as usize];
        let entry = match self.signals[signal as usize] {
            SignalCheck::Unknown => return Err((Reason::UnknownSignal, format!("{name} is not in the catalogue"))),
            SignalCheck::Undeclared => {
                return Err((Reason::UndeclaredSignal, format!("{name} is not among the signals the session declared")));
            }
            SignalCheck::Known(e) => e,
        };
        value.check(entry)?;
        if !(EARLIEST_TIME_US..=self.v.latest_time_us).contains(&time) {
            return Err((Reason::ImplausibleTime, format!("time {time} µs is before 1990 or more than a day after the job started")));
        }
        if !self.vehicle_ok[vehicle as usize] {
            return Err((Reason::BadVehicleId, format!("vehicle id must be 1..={MAX_VEHICLE_ID_BYTES} bytes, not blank")));
        }
        Ok(())
    }
}

/// An output record batch whose value column `column` holds `values`, the others null.
fn record_batch(strings: &Arc<StringArray>, column: Column, vehicle: &[u32], signal: &[u32], time: &[i64], values: ArrayRef) -> RecordBatch {
    let n = vehicle.len();
    let vehicle = take(strings.as_ref(), &UInt32Array::from(vehicle.to_vec()), None).expect("indexes checked");
    let keys = Int32Array::from_iter_values(signal.iter().map(|&s| s as i32));
    let signal = DictionaryArray::try_new(keys, strings.clone() as ArrayRef).expect("indexes checked");
    let time = TimestampMicrosecondArray::from(time.to_vec()).with_timezone(schema::TIMEZONE);
    let out = schema::data();
    let value_columns = [Column::Double, Column::Int, Column::Bool, Column::Text, Column::TextList];
    let mut columns: Vec<ArrayRef> = vec![vehicle, Arc::new(time), Arc::new(signal)];
    let mut values = Some(values);
    for (c, field) in value_columns.iter().zip(out.fields().iter().skip(3)) {
        columns.push(if *c == column { values.take().expect("one value column") } else { new_null_array(field.data_type(), n) });
    }
    RecordBatch::try_new(out, columns).expect("columns match the output schema")
}

fn text_list_array(strings: &StringArray, lists: &[Vec<u32>]) -> ArrayRef {
    let flat: Vec<u32> = lists.iter().flatten().copied().collect();
    let values = take(strings, &UInt32Array::from(flat), None).expect("indexes checked");
    let offsets = OffsetBuffer::from_lengths(lists.iter().map(Vec::len));
    Arc::new(ListArray::new(schema::list_item(), offsets, values, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::bindings::dataplace::converter::types::{Bools, Doubles, Ints, TextLists, Texts};

    fn batch(strings: &[&str], doubles: Vec<(u32, u32, i64, f64)>, read: u64, decoded: u64) -> Batch {
        Batch {
            strings: strings.iter().map(|s| s.to_string()).collect(),
            doubles: Doubles {
                vehicle: doubles.iter().map(|d| d.0).collect(),
                signal: doubles.iter().map(|d| d.1).collect(),
                time: doubles.iter().map(|d| d.2).collect(),
                value: doubles.iter().map(|d| d.3).collect(),
            },
            ints: Ints { vehicle: vec![], signal: vec![], time: vec![], value: vec![] },
            bools: Bools { vehicle: vec![], signal: vec![], time: vec![], value: vec![] },
            texts: Texts { vehicle: vec![], signal: vec![], time: vec![], value: vec![] },
            text_lists: TextLists { vehicle: vec![], signal: vec![], time: vec![], value: vec![] },
            rejects: vec![],
            units: UnitCounts { read, decoded, skipped: vec![("remote frame".into(), 2)] },
            notes: vec![],
        }
    }

    fn validator() -> Validator {
        let limits = crate::limits::PluginLimits::default();
        Validator::new(Catalogue::builtin(), vec!["Vehicle.Speed".into()], 1_800_000_000_000_000, &limits)
    }

    const T: i64 = 1_714_521_600_000_000;

    #[test]
    fn valid_rows_become_one_arrow_batch() {
        let c = validator().check(batch(&["V1", "Vehicle.Speed"], vec![(0, 1, T, 50.0), (0, 1, T + 1, 51.0)], 3, 1)).unwrap();
        assert_eq!((c.emitted, c.written(), c.quarantined.len()), (2, 2, 0));
        assert_eq!(c.valid[0].schema(), crate::schema::data());
    }

    #[test]
    fn units_that_do_not_add_up_break_the_contract() {
        let e = validator().check(batch(&["V1", "Vehicle.Speed"], vec![], 5, 1)).unwrap_err();
        assert!(matches!(e, Violation::Contract(m) if m == "units read 5 != decoded 1 + skipped 2 + rejected 0"));
    }

    #[test]
    fn ragged_columns_break_the_contract() {
        let mut b = batch(&["V1", "Vehicle.Speed"], vec![(0, 1, T, 50.0)], 3, 1);
        b.doubles.time.push(T);
        let e = validator().check(b).unwrap_err();
        assert!(matches!(e, Violation::Contract(m) if m == "doubles: columns of different lengths [1, 1, 2, 1]"));
    }

    #[test]
    fn failing_rows_are_filtered_out_and_quarantined() {
        let b = batch(&["V1", "Vehicle.Speed", "Vehicle.Nope"], vec![(0, 1, T, 50.0), (0, 2, T, 1.0), (0, 1, T, f64::INFINITY)], 3, 1);
        let c = validator().check(b).unwrap();
        assert_eq!((c.emitted, c.written(), c.quarantined.len()), (3, 1, 2));
        let reasons: Vec<_> = c.quarantined.iter().map(|q| q.reason).collect();
        assert_eq!(reasons, [Reason::UnknownSignal, Reason::NotFinite]);
        assert_eq!(c.quarantined[1].value, "inf");
    }
}
