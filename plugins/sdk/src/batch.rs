//! The output of one call: columnar observations with an interned string table, rejects and
//! the plugin's accounting of input units.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// The host keeps at most this many bytes of a reject's excerpt; the SDK cuts there already.
pub const EXCERPT_LIMIT: usize = 256;

/// Parallel columns of observations whose values are `T`: row `i` is
/// (`vehicle[i]`, `time[i]`, `signal[i]`, `value[i]`), indexes into [`Batch::strings`].
#[derive(Debug, Clone, PartialEq)]
pub struct Columns<T> {
    pub vehicle: Vec<u32>,
    pub signal: Vec<u32>,
    pub time: Vec<i64>,
    pub value: Vec<T>,
}

impl<T> Default for Columns<T> {
    fn default() -> Self {
        Self { vehicle: Vec::new(), signal: Vec::new(), time: Vec::new(), value: Vec::new() }
    }
}

impl<T> Columns<T> {
    fn push(&mut self, vehicle: u32, time: i64, signal: u32, value: T) {
        self.vehicle.push(vehicle);
        self.signal.push(signal);
        self.time.push(time);
        self.value.push(value);
    }

    fn truncate(&mut self, len: usize) {
        self.vehicle.truncate(len);
        self.signal.truncate(len);
        self.time.truncate(len);
        self.value.truncate(len);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
}

/// Columns of observations whose values are lists of text (string-table indexes).
pub type TextListColumns = Columns<Vec<u32>>;

/// A position in a [`Batch`]'s observations, see [`Batch::mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark([usize; 5]);

/// Where a rejected unit starts in the input object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Zero-based byte offset.
    Byte(u64),
    /// One-based physical line number.
    Line(u64),
}

/// One input unit that could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub position: Position,
    /// Stable machine-readable reason (e.g. `crc`).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The first [`EXCERPT_LIMIT`] bytes of the unit at most.
    pub excerpt: Vec<u8>,
}

/// What one `push` or `finish` produced. Filled through [`Batch::vehicle`] (observations),
/// [`Batch::decoded`], [`Batch::skipped`] and [`Batch::reject`] (one call per input unit), and
/// [`Batch::note`] (diagnostic counters).
#[derive(Debug, Default)]
pub struct Batch {
    /// The string table all indexes point into.
    pub strings: Vec<String>,
    index: FxHashMap<Box<str>, u32>,
    recent: Recent,
    pub doubles: Columns<f64>,
    pub ints: Columns<i64>,
    pub bools: Columns<bool>,
    pub texts: Columns<u32>,
    pub text_lists: TextListColumns,
    pub rejects: Vec<Reject>,
    /// Input units converted.
    pub decoded: u64,
    /// Input units skipped on purpose, per reason.
    pub skipped: BTreeMap<String, u64>,
    /// Diagnostic counters, per code.
    pub notes: BTreeMap<String, u64>,
}

impl Batch {
    /// Start writing observations of one vehicle.
    pub fn vehicle(&mut self, vehicle_id: &str) -> Rows<'_> {
        let vehicle = self.intern(vehicle_id);
        Rows { batch: self, vehicle }
    }

    /// Count one input unit as converted (into zero or more observations).
    pub fn decoded(&mut self) {
        self.decoded += 1;
    }

    /// Count one input unit as deliberately not converted, for `reason`.
    pub fn skipped(&mut self, reason: &str) {
        bump(&mut self.skipped, reason, 1);
    }

    /// Count one input unit as rejected. `excerpt` is cut to [`EXCERPT_LIMIT`] bytes.
    pub fn reject(&mut self, at: Position, code: &str, message: impl Into<String>, excerpt: &[u8]) {
        self.rejects.push(Reject {
            position: at,
            code: code.to_owned(),
            message: message.into(),
            excerpt: excerpt[..excerpt.len().min(EXCERPT_LIMIT)].to_vec(),
        });
    }

    /// Add `n` to the diagnostic counter `code` (facts that are not unit outcomes).
    pub fn note(&mut self, code: &str, n: u64) {
        bump(&mut self.notes, code, n);
    }

    /// Remember where the observations end now, to [`rollback`](Batch::rollback) to it.
    pub fn mark(&self) -> Mark {
        Mark([self.doubles.len(), self.ints.len(), self.bools.len(), self.texts.len(), self.text_lists.len()])
    }

    /// Drop the observations written since `mark`: for a unit found invalid half-way through
    /// (its earlier records must not be published either). Unit counts, rejects and notes are
    /// kept; strings interned since stay in the table, unused.
    pub fn rollback(&mut self, mark: Mark) {
        let [d, i, b, t, l] = mark.0;
        self.doubles.truncate(d);
        self.ints.truncate(i);
        self.bools.truncate(b);
        self.texts.truncate(t);
        self.text_lists.truncate(l);
    }

    /// Input units completed in this batch: decoded + skipped + rejected.
    pub fn units_read(&self) -> u64 {
        self.decoded + self.skipped.values().sum::<u64>() + self.rejects.len() as u64
    }

    /// Number of observations in the batch.
    pub fn observations(&self) -> usize {
        self.doubles.len()
            + self.ints.len()
            + self.bools.len()
            + self.texts.len()
            + self.text_lists.len()
    }

    /// The index of `s` in the string table, added if new. Signal ids and vehicle ids repeat on
    /// every row, so a hit in [`Recent`] (same address, same bytes) skips hashing.
    fn intern(&mut self, s: &str) -> u32 {
        let slot = Recent::slot(s);
        let (ptr, i) = self.recent.0[slot];
        if ptr == s.as_ptr() as usize && same_bytes(self.strings[i as usize].as_bytes(), s.as_bytes()) {
            return i;
        }
        let i = match self.index.get(s) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.strings.len()).expect("more than 2^32 strings in one batch");
                self.strings.push(s.to_owned());
                self.index.insert(s.into(), i);
                i
            }
        };
        self.recent.0[slot] = (s.as_ptr() as usize, i);
        i
    }
}

/// A direct-mapped cache of recently interned strings, keyed by their address: (address,
/// string-table index). An entry is only a hint; [`Batch::intern`] checks the bytes too, so a
/// buffer reused for another string never hits wrongly. Address 0 never occurs (references are
/// not null), so zeroed slots are empty.
#[derive(Debug)]
struct Recent([(usize, u32); Recent::SLOTS]);

impl Recent {
    /// 256 slots: a plugin's signal ids, vehicle ids and enum texts rarely collide.
    const SLOTS: usize = 256;

    /// Fibonacci hashing of the address: the top 8 bits of address × 2⁶⁴/φ.
    fn slot(s: &str) -> usize {
        ((s.as_ptr() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
    }
}

impl Default for Recent {
    fn default() -> Self {
        Self([(0, 0); Self::SLOTS])
    }
}

/// Byte equality, eight bytes at a time: WebAssembly has no vectorised `memcmp`, and a
/// byte-wise loop dominated the profile of signal-heavy plugins.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let ((a8, a_rest), (b8, b_rest)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    a8.iter().zip(b8).all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y)) && a_rest.iter().zip(b_rest).all(|(x, y)| x == y)
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match map.get_mut(key) {
        Some(count) => *count += n,
        None => {
            map.insert(key.to_owned(), n);
        }
    }
}

/// Writes observations of one vehicle into a [`Batch`]. Times are µs since the Unix epoch (UTC).
pub struct Rows<'a> {
    batch: &'a mut Batch,
    vehicle: u32,
}

impl Rows<'_> {
    /// A floating-point observation (catalogue `float` / `double`).
    pub fn double(&mut self, time_us: i64, signal: &str, value: f64) -> &mut Self {
        let signal = self.batch.intern(signal);
        self.batch.doubles.push(self.vehicle, time_us, signal, value);
        self
    }

    /// An integer observation (catalogue `int8` … `uint64`).
    pub fn int(&mut self, time_us: i64, signal: &str, value: i64) -> &mut Self {
        let signal = self.batch.intern(signal);
        self.batch.ints.push(self.vehicle, time_us, signal, value);
        self
    }

    /// A boolean observation.
    pub fn bool(&mut self, time_us: i64, signal: &str, value: bool) -> &mut Self {
        let signal = self.batch.intern(signal);
        self.batch.bools.push(self.vehicle, time_us, signal, value);
        self
    }

    /// A text observation (catalogue `string`).
    pub fn text(&mut self, time_us: i64, signal: &str, value: &str) -> &mut Self {
        let signal = self.batch.intern(signal);
        let value = self.batch.intern(value);
        self.batch.texts.push(self.vehicle, time_us, signal, value);
        self
    }

    /// A list-of-text observation (catalogue `string[]`); may be empty.
    pub fn text_list<S: AsRef<str>>(&mut self, time_us: i64, signal: &str, values: &[S]) -> &mut Self {
        let signal = self.batch.intern(signal);
        let values = values.iter().map(|v| self.batch.intern(v.as_ref())).collect();
        self.batch.text_lists.push(self.vehicle, time_us, signal, values);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_interned_once_per_batch() {
        let mut b = Batch::default();
        b.vehicle("V1").double(1, "Vehicle.Speed", 3.0).double(2, "Vehicle.Speed", 4.0);
        b.vehicle("V1").text(3, "Vehicle.LowVoltageSystemState", "ON");
        b.vehicle("V2").text_list(4, "Vehicle.Diagnostics.DTCList", &["P0301", "ON"]);
        assert_eq!(b.strings, ["V1", "Vehicle.Speed", "Vehicle.LowVoltageSystemState", "ON", "V2",
                               "Vehicle.Diagnostics.DTCList", "P0301"]);
        assert_eq!(b.doubles.vehicle, [0, 0]);
        assert_eq!(b.doubles.signal, [1, 1]);
        assert_eq!(b.texts.value, [3]);
        assert_eq!(b.text_lists.value, [vec![6, 3]]);
        assert_eq!(b.observations(), 4);
    }

    #[test]
    fn a_reused_buffer_interns_its_new_content() {
        let mut b = Batch::default();
        let mut buf = String::with_capacity(32);
        for id in ["Vehicle.Speed", "Vehicle.Spee!", "Vehicle.Speed", "Vehicle.Speed.Long.Name"] {
            buf.clear();
            buf.push_str(id);
            b.vehicle("V").double(1, &buf, 1.0);
        }
        assert_eq!(b.strings, ["V", "Vehicle.Speed", "Vehicle.Spee!", "Vehicle.Speed.Long.Name"]);
        assert_eq!(b.doubles.signal, [1, 2, 1, 3]);
        assert!(same_bytes(b"abcdefghij", b"abcdefghij") && !same_bytes(b"abcdefghij", b"abcdefghiJ") && !same_bytes(b"abcdefgh", b"abcdefgi"));
    }

    #[test]
    fn rollback_drops_only_later_observations() {
        let mut b = Batch::default();
        b.vehicle("V").double(1, "A", 1.0);
        let mark = b.mark();
        b.vehicle("V").double(2, "A", 2.0).int(2, "B", 3).text_list(2, "C", &["x"]);
        b.rollback(mark);
        assert_eq!((b.doubles.time.as_slice(), b.observations()), (&[1][..], 1));
    }

    #[test]
    fn units_add_up_and_excerpts_are_bounded() {
        let mut b = Batch::default();
        b.decoded();
        b.skipped("remote frame");
        b.skipped("remote frame");
        b.reject(Position::Byte(7), "crc", "bad", &[0u8; 1000]);
        b.note("unmapped io 21", 2);
        assert_eq!(b.units_read(), 4);
        assert_eq!(b.skipped["remote frame"], 2);
        assert_eq!(b.rejects[0].excerpt.len(), EXCERPT_LIMIT);
    }
}
