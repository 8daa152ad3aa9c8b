//! The provider's mapping file (format doc §4): which DBC signals become which catalogue
//! signals, with a unit conversion or a value map, checked against the DBC and the host's
//! catalogue before the first log line is read.

use crate::dbc::{Dbc, Mux};
use dataplace_sdk::catalogue::{self, Datatype};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    signal: Vec<Raw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    dbc: String,
    vss: String,
    scale: Option<f64>,
    offset: Option<f64>,
    map: Option<toml::Table>,
}

/// A value a `map` entry produces, already of the target's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(String),
}

/// How the DBC's physical value becomes the catalogue value.
#[derive(Debug, Clone, PartialEq)]
pub enum Conversion {
    /// `physical × scale + offset`.
    Linear { scale: f64, offset: f64 },
    /// Raw value → value; raws the map does not name give no observation.
    Map(Vec<(i64, Mapped)>),
}

/// One resolved mapping entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Index of the message and of the signal in the DBC.
    pub message: usize,
    pub signal: usize,
    pub vss: String,
    pub datatype: Datatype,
    pub conversion: Conversion,
}

/// A configuration error of the mapping.
pub type MappingError = String;

/// Parse and check the mapping against the DBC and the catalogue.
///
/// # Errors
/// Everything §4.4 lists, naming the entry (by position and `dbc` value).
pub fn parse(text: &str, dbc: &Dbc) -> Result<Vec<Entry>, MappingError> {
    let file: File = toml::from_str(text).map_err(|e| format!("mapping: {e}"))?;
    let mut entries: Vec<Entry> = Vec::with_capacity(file.signal.len());
    for (i, raw) in file.signal.into_iter().enumerate() {
        let at = format!("mapping signal #{} (dbc = {:?})", i + 1, raw.dbc);
        let entry = resolve(raw, dbc).map_err(|e| format!("{at}: {e}"))?;
        if entries.iter().any(|e| e.vss == entry.vss) {
            return Err(format!("{at}: {} is mapped twice", entry.vss));
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn resolve(raw: Raw, dbc: &Dbc) -> Result<Entry, String> {
    let (message_name, signal_name) = match raw.dbc.split('.').collect::<Vec<_>>()[..] {
        [m, s] if !m.is_empty() && !s.is_empty() => (m, s),
        _ => return Err("`dbc` must be MESSAGE.SIGNAL".into()),
    };
    let message = dbc.by_name(message_name).ok_or_else(|| format!("the DBC has no message {message_name}"))?;
    let m = &dbc.messages[message];
    let signal = m.signals.iter().position(|s| s.name == signal_name).ok_or_else(|| format!("message {message_name} has no signal {signal_name}"))?;
    let s = &m.signals[signal];
    if m.extended_mux {
        return Err(format!("message {message_name} uses extended multiplexing, which is not supported"));
    }
    let fits = s.layout.bytes().is_some_and(|(_, last)| last < m.len);
    if !fits {
        return Err(format!("signal {signal_name} (DBC line {}) does not fit in the {} bytes of {message_name}", s.line, m.len));
    }
    if s.mux != Mux::None && s.mux != Mux::Switch && m.switch().is_none() {
        return Err(format!("signal {signal_name} is multiplexed but {message_name} has no multiplexer"));
    }
    let entry = catalogue::lookup(&raw.vss).ok_or_else(|| format!("{} is not a signal of the catalogue", raw.vss))?;
    let datatype = entry.datatype;
    if matches!(datatype, Datatype::StringArray | Datatype::FloatArray | Datatype::Uint8Array) {
        return Err(format!("{} is an array signal; a CAN signal cannot fill it", raw.vss));
    }
    let conversion = match raw.map {
        Some(_) if raw.scale.is_some() || raw.offset.is_some() => return Err("`map` excludes `scale` and `offset`".into()),
        Some(map) => {
            let mut pairs: Vec<(i64, Mapped)> = Vec::with_capacity(map.len());
            for (key, value) in map {
                let raw_value = key.parse::<i64>().ok().or_else(|| s.raw_of(&key)).ok_or_else(|| {
                    format!("map key {key:?} is neither a decimal raw value nor a VAL_ label of {signal_name}")
                })?;
                if pairs.iter().any(|(r, _)| *r == raw_value) {
                    return Err(format!("map names raw value {raw_value} twice"));
                }
                pairs.push((raw_value, typed(&value, datatype).ok_or_else(|| format!("map value {value} for {key:?} does not fit {:?}", datatype))?));
            }
            Conversion::Map(pairs)
        }
        None => Conversion::Linear { scale: raw.scale.unwrap_or(1.0), offset: raw.offset.unwrap_or(0.0) },
    };
    Ok(Entry { message, signal, vss: raw.vss, datatype, conversion })
}

/// A TOML map value as a value of `datatype`, or `None` if it does not fit.
fn typed(value: &toml::Value, datatype: Datatype) -> Option<Mapped> {
    match (value, datatype) {
        (toml::Value::Boolean(b), Datatype::Boolean) => Some(Mapped::Bool(*b)),
        (toml::Value::Integer(i), d) if d.int_range().is_some_and(|(lo, hi)| (lo..=hi).contains(i)) => Some(Mapped::Int(*i)),
        (toml::Value::Integer(i), Datatype::Float | Datatype::Double) => Some(Mapped::Double(*i as f64)),
        (toml::Value::Float(f), Datatype::Float | Datatype::Double) => Some(Mapped::Double(*f)),
        (toml::Value::String(s), Datatype::String) => Some(Mapped::Text(s.clone())),
        _ => None,
    }
}
