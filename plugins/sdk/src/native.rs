//! The native harness: run a [`Converter`] without WebAssembly over bytes in memory, the way the
//! host would (open, push chunk by chunk, finish), and collect its output as plain rows. Plugin
//! crates use it for unit tests and native benchmarks.

use crate::catalogue::Entry;
use crate::{Batch, Config, Converter, Error, Reject};
use std::collections::BTreeMap;
use std::sync::OnceLock;

type Lookup = Box<dyn Fn(&str) -> Option<Entry> + Send + Sync>;

static CATALOGUE: OnceLock<Lookup> = OnceLock::new();

/// Give the native harness a catalogue (the runtime's, in tests): what
/// [`crate::catalogue::lookup`] answers outside WebAssembly. The first registration wins.
pub fn set_catalogue(lookup: impl Fn(&str) -> Option<Entry> + Send + Sync + 'static) {
    let _ = CATALOGUE.set(Box::new(lookup));
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn lookup(id: &str) -> Option<Entry> {
    let lookup = CATALOGUE.get().expect("the native harness has no catalogue: call dataplace_sdk::native::set_catalogue first");
    lookup(id)
}

/// A typed observation value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Double(f64),
    Int(i64),
    Bool(bool),
    Text(String),
    TextList(Vec<String>),
}

/// One observation, as a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub vehicle_id: String,
    pub time_us: i64,
    pub signal: String,
    pub value: Value,
}

/// Everything a converter produced for one input object.
#[derive(Debug, Default)]
pub struct Output {
    /// The signals the session declared.
    pub signals: Vec<String>,
    /// Observations, per batch in the order doubles, ints, bools, texts, text lists.
    pub observations: Vec<Observation>,
    pub rejects: Vec<Reject>,
    /// Units read, decoded, skipped (per reason) summed over all batches.
    pub units_read: u64,
    pub decoded: u64,
    pub skipped: BTreeMap<String, u64>,
    pub notes: BTreeMap<String, u64>,
}

impl Output {
    /// Units skipped, all reasons.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    fn absorb(&mut self, batch: Batch) {
        let s = &batch.strings;
        let row = |v: &[u32], t: &[i64], g: &[u32], i: usize, value| Observation {
            vehicle_id: s[v[i] as usize].clone(),
            time_us: t[i],
            signal: s[g[i] as usize].clone(),
            value,
        };
        let c = &batch.doubles;
        (0..c.len()).for_each(|i| self.observations.push(row(&c.vehicle, &c.time, &c.signal, i, Value::Double(c.value[i]))));
        let c = &batch.ints;
        (0..c.len()).for_each(|i| self.observations.push(row(&c.vehicle, &c.time, &c.signal, i, Value::Int(c.value[i]))));
        let c = &batch.bools;
        (0..c.len()).for_each(|i| self.observations.push(row(&c.vehicle, &c.time, &c.signal, i, Value::Bool(c.value[i]))));
        let c = &batch.texts;
        (0..c.len()).for_each(|i| {
            let v = Value::Text(s[c.value[i] as usize].clone());
            self.observations.push(row(&c.vehicle, &c.time, &c.signal, i, v));
        });
        let c = &batch.text_lists;
        (0..c.len()).for_each(|i| {
            let v = Value::TextList(c.value[i].iter().map(|&j| s[j as usize].clone()).collect());
            self.observations.push(row(&c.vehicle, &c.time, &c.signal, i, v));
        });
        self.units_read += batch.units_read();
        self.decoded += batch.decoded;
        for (k, n) in batch.skipped {
            *self.skipped.entry(k).or_default() += n;
        }
        for (k, n) in batch.notes {
            *self.notes.entry(k).or_default() += n;
        }
        self.rejects.extend(batch.rejects);
    }
}

/// Convert `input` with `C` as the host would, pushing it in chunks of `chunk_size` bytes.
///
/// # Errors
/// The converter's own [`Error`] (configuration or fatal).
pub fn convert<C: Converter>(
    config: &[(&str, &str)],
    object_name: &str,
    input: &[u8],
    chunk_size: usize,
) -> Result<Output, Error> {
    let mut output = Output::default();
    output.signals = for_each_batch::<C>(config, object_name, input, chunk_size, |batch| output.absorb(batch))?;
    Ok(output)
}

/// The chunk sizes a converter must be indifferent to: byte by byte, an odd size, and large.
pub const TEST_CHUNKS: [usize; 3] = [1, 7, 64 << 10];

/// Convert `input` at every size of [`TEST_CHUNKS`], check that the outputs agree and that the
/// unit ledger adds up (read = decoded + skipped + rejected), and return the output: the check
/// every converter test wants.
///
/// # Errors
/// The converter's own [`Error`].
///
/// # Panics
/// When chunk sizes give different observations (in any order), rejects, unit counts or notes,
/// or the ledger does not add up.
pub fn convert_checked<C: Converter>(config: &[(&str, &str)], object_name: &str, input: &[u8]) -> Result<Output, Error> {
    let outputs = TEST_CHUNKS.iter().map(|&c| convert::<C>(config, object_name, input, c)).collect::<Result<Vec<_>, _>>()?;
    let first = &outputs[0];
    let sorted = |o: &Output| {
        let mut v = o.observations.clone();
        v.sort_by(|a, b| (&a.vehicle_id, a.time_us, &a.signal).cmp(&(&b.vehicle_id, b.time_us, &b.signal)));
        v
    };
    for (o, chunk) in outputs.iter().zip(TEST_CHUNKS).skip(1) {
        assert_eq!(sorted(o), sorted(first), "observations at chunk size {chunk}");
        assert_eq!(o.rejects, first.rejects, "rejects at chunk size {chunk}");
        assert_eq!((o.units_read, o.decoded, &o.skipped, &o.notes), (first.units_read, first.decoded, &first.skipped, &first.notes), "units at chunk size {chunk}");
    }
    let out = outputs.into_iter().next().expect("three chunk sizes");
    assert_eq!(out.units_read, out.decoded + out.skipped_total() + out.rejects.len() as u64, "the unit ledger must add up");
    Ok(out)
}

/// Decode `input` and drop the output, counting observations: what a native benchmark measures.
///
/// # Errors
/// The converter's own [`Error`].
pub fn count<C: Converter>(config: &[(&str, &str)], object_name: &str, input: &[u8], chunk_size: usize) -> Result<usize, Error> {
    let mut n = 0;
    for_each_batch::<C>(config, object_name, input, chunk_size, |batch| n += batch.observations())?;
    Ok(n)
}

/// Open a session, push `input` chunk by chunk and finish, handing each batch to `each` (what a
/// native pipeline builds on). Returns the session's declared signals.
///
/// # Errors
/// The converter's own [`Error`].
pub fn for_each_batch<C: Converter>(
    config: &[(&str, &str)],
    object_name: &str,
    input: &[u8],
    chunk_size: usize,
    mut each: impl FnMut(Batch),
) -> Result<Vec<String>, Error> {
    let entries = config.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut session = C::open(&Config::new(entries, C::INFO.config)?, object_name)?;
    for chunk in input.chunks(chunk_size.max(1)) {
        let mut batch = Batch::default();
        session.push(chunk, &mut batch)?;
        each(batch);
    }
    let mut batch = Batch::default();
    session.finish(&mut batch)?;
    each(batch);
    Ok(session.signals())
}
