//! Provider tooling over the real sandbox: run a plugin on one input under production limits and
//! see everything it emitted as plain JSON-able rows; check fixtures ([`fixtures`]), compare two
//! versions ([`diff`]) and scaffold a new plugin crate ([`scaffold`]).

pub mod diff;
pub mod fixtures;
pub mod scaffold;

use crate::catalogue::Catalogue;
use crate::job::{SessionInput, run_session};
use crate::limits::PluginLimits;
use crate::plugin::{Batch, Failure, Plugin};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One observation as the plugin emitted it (fixtures spell observations this way).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub vehicle_id: String,
    /// A catalogue id, e.g. `Vehicle.Speed`.
    pub signal: String,
    /// Microseconds since the Unix epoch, UTC.
    pub time_us: i64,
    /// A number, boolean, string or list of strings.
    pub value: Value,
}

impl Observation {
    /// What identifies an observation when comparing two sets: vehicle, signal, time.
    pub fn key(&self) -> (&str, &str, i64) {
        (&self.vehicle_id, &self.signal, self.time_us)
    }
}

/// A unit the plugin rejected.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rejected {
    /// Byte offset or line number, as `position_kind` says.
    pub position: u64,
    pub position_kind: &'static str,
    pub code: String,
    pub message: String,
}

/// An observation the host would quarantine, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quarantined {
    pub vehicle_id: String,
    pub signal: String,
    pub time_us: i64,
    /// The value as text.
    pub value: String,
    /// The stable reason code (`out-of-range`, `undeclared-signal` …).
    pub reason: &'static str,
    pub message: String,
}

/// The plugin's unit ledger for one input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Units {
    pub read: u64,
    pub decoded: u64,
    /// Skipped units per reason.
    pub skipped: BTreeMap<String, u64>,
    pub rejected: u64,
}

/// Everything one plugin session produced for one input.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Run {
    /// Every observation emitted, in emission order (quarantined ones included).
    pub observations: Vec<Observation>,
    pub rejects: Vec<Rejected>,
    pub quarantined: Vec<Quarantined>,
    pub units: Units,
    pub fuel: u64,
    pub peak_memory_bytes: u64,
}

/// Run `plugin` over `input` (named `object_name`) under `limits`, pushing `chunk_bytes` at a
/// time, exactly as a job would, and collect what it emitted. The whole input is in memory; for
/// objects of many gigabytes use a job.
///
/// # Errors
/// The session's [`Failure`] (limit, trap, plugin error, contract violation).
pub fn run_input(
    plugin: &Plugin,
    config: &[(String, String)],
    object_name: &str,
    input: &[u8],
    limits: &PluginLimits,
    chunk_bytes: usize,
) -> Result<Run, Failure> {
    let mut run = Run::default();
    let mut chunks = input.chunks(chunk_bytes.max(1)).map(Bytes::copy_from_slice);
    let session = SessionInput {
        plugin,
        config,
        key: object_name,
        size: input.len() as u64,
        limits,
        catalogue: Catalogue::builtin(),
        started_us: chrono::Utc::now().timestamp_micros(),
    };
    let mut emitted = Vec::new();
    let end = run_session(
        &session,
        || chunks.next(),
        |batch| emitted.extend(observations(batch)),
        |checked| {
            let units = &mut run.units;
            units.read += checked.units.read;
            units.decoded += checked.units.decoded;
            for (reason, n) in &checked.units.skipped {
                *units.skipped.entry(reason.clone()).or_default() += n;
            }
            units.rejected += checked.rejects.len() as u64;
            run.rejects.extend(checked.rejects.iter().map(|r| Rejected {
                position: r.position,
                position_kind: r.position_kind.as_str(),
                code: r.code.clone(),
                message: r.message.clone(),
            }));
            run.quarantined.extend(checked.quarantined.into_iter().map(|q| Quarantined {
                vehicle_id: q.vehicle_id,
                signal: q.signal,
                time_us: q.time_us,
                value: q.value,
                reason: q.reason.code(),
                message: q.message,
            }));
            true
        },
    )?;
    run.observations = emitted;
    run.fuel = end.fuel;
    run.peak_memory_bytes = end.peak_memory;
    Ok(run)
}

/// The observations of a batch as rows, in the order doubles, ints, bools, texts, text lists.
pub fn observations(b: &Batch) -> Vec<Observation> {
    let s = &b.strings;
    let text = |i: u32| s.get(i as usize).cloned().unwrap_or_default();
    let mut out = Vec::new();
    let mut rows = |vehicle: &[u32], signal: &[u32], time: &[i64], value: &dyn Fn(usize) -> Value| {
        for i in 0..vehicle.len().min(signal.len()).min(time.len()) {
            out.push(Observation { vehicle_id: text(vehicle[i]), signal: text(signal[i]), time_us: time[i], value: value(i) });
        }
    };
    let number = |v: f64| serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number);
    let c = &b.doubles;
    rows(&c.vehicle, &c.signal, &c.time, &|i| c.value.get(i).map_or(Value::Null, |&v| number(v)));
    let c = &b.ints;
    rows(&c.vehicle, &c.signal, &c.time, &|i| c.value.get(i).map_or(Value::Null, |&v| Value::from(v)));
    let c = &b.bools;
    rows(&c.vehicle, &c.signal, &c.time, &|i| c.value.get(i).map_or(Value::Null, |&v| Value::Bool(v)));
    let c = &b.texts;
    rows(&c.vehicle, &c.signal, &c.time, &|i| c.value.get(i).map_or(Value::Null, |&v| Value::String(text(v))));
    let c = &b.text_lists;
    rows(&c.vehicle, &c.signal, &c.time, &|i| {
        c.value.get(i).map_or(Value::Null, |v| Value::Array(v.iter().map(|&j| Value::String(text(j))).collect()))
    });
    out
}

/// Two values are the same observation value: equal, or numbers within a relative 1e-9 (a
/// fixture written by hand says `12.3` where the decoder computes `123 × 0.1`).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

/// How one set of observations differs from another, matched by vehicle, signal and time.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// In the new set only.
    pub added: Vec<Observation>,
    /// In the old set only.
    pub removed: Vec<Observation>,
    /// Same vehicle, signal and time, different value: (old, new).
    pub changed: Vec<(Observation, Observation)>,
}

impl Comparison {
    /// Compare `old` with `new`. Observations with the same vehicle, signal and time pair up in
    /// order; pairs with equal values ([`same_value`]) are the same, others changed.
    pub fn of(old: &[Observation], new: &[Observation]) -> Self {
        type Sides<'a> = (Vec<&'a Observation>, Vec<&'a Observation>);
        let mut by_key: BTreeMap<(&str, &str, i64), Sides<'_>> = BTreeMap::new();
        old.iter().for_each(|o| by_key.entry(o.key()).or_default().0.push(o));
        new.iter().for_each(|o| by_key.entry(o.key()).or_default().1.push(o));
        let mut c = Comparison::default();
        for (_, (mut olds, mut news)) in by_key {
            // Equal values pair first, whatever their order; what is left pairs up as changes.
            olds.retain(|o| match news.iter().position(|n| same_value(&o.value, &n.value)) {
                Some(i) => {
                    news.remove(i);
                    false
                }
                None => true,
            });
            let pairs = olds.len().min(news.len());
            c.changed.extend(olds.iter().zip(&news).map(|(o, n)| ((*o).clone(), (*n).clone())));
            c.removed.extend(olds[pairs..].iter().map(|o| (*o).clone()));
            c.added.extend(news[pairs..].iter().map(|n| (*n).clone()));
        }
        c
    }

    /// True when both sets hold the same observations.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obs(signal: &str, time_us: i64, value: Value) -> Observation {
        Observation { vehicle_id: "V".into(), signal: signal.into(), time_us, value }
    }

    #[test]
    fn comparison_pairs_by_key_and_tolerates_float_noise() {
        let old = [obs("A", 1, json!(12.3)), obs("A", 2, json!(1)), obs("B", 1, json!("x")), obs("C", 5, json!(true))];
        let new = [obs("A", 1, json!(123.0 * 0.1)), obs("A", 2, json!(2)), obs("B", 1, json!("x")), obs("D", 5, json!(false))];
        let c = Comparison::of(&old, &new);
        assert_eq!(c.changed, [(obs("A", 2, json!(1)), obs("A", 2, json!(2)))]);
        assert_eq!(c.removed, [obs("C", 5, json!(true))]);
        assert_eq!(c.added, [obs("D", 5, json!(false))]);
        assert!(Comparison::of(&old, &old).is_empty());
    }

    #[test]
    fn repeated_keys_match_by_value_before_pairing() {
        let old = [obs("A", 1, json!(1)), obs("A", 1, json!(2))];
        let new = [obs("A", 1, json!(2)), obs("A", 1, json!(3)), obs("A", 1, json!(4))];
        let c = Comparison::of(&old, &new);
        assert_eq!(c.changed, [(obs("A", 1, json!(1)), obs("A", 1, json!(3)))]);
        assert_eq!((c.removed.len(), c.added), (0, vec![obs("A", 1, json!(4))]));
    }
}
