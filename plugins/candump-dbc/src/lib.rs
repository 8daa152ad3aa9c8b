//! dataplace converter for raw CAN logs in `candump -L` format, decoded with the provider's DBC
//! file and mapped to VSS 6.0 by the provider's mapping file (format doc `candump-dbc.md`).
//!
//! Config: `vehicle_id` (required: a log carries no vehicle identity), `dbc` (the DBC text) and
//! `mapping` (TOML), all checked before the first line is read; catalogue datatypes come from the
//! host's catalogue import. One input unit is a non-blank line: decoded (a mapped message),
//! skipped (unmapped id, remote/error/XL frame, dropcount notice) or rejected (malformed, or
//! shorter than its DBC message) with its line number.

mod bits;
mod candump;
mod dbc;
mod mapping;

use candump::Line;
use dataplace_sdk::catalogue::Datatype;
use dataplace_sdk::{Batch, Config, Converter, Error, Info, Lines, Position};
use dbc::{Dbc, Float, Mux, Signal};
use mapping::{Conversion, Entry, Mapped};
use rustc_hash::FxHashMap;

/// The candump + DBC converter: one value per input object.
pub struct CandumpDbc {
    lines: Lines,
    decoder: Decoder,
}

struct Decoder {
    vehicle: String,
    dbc: Dbc,
    entries: Vec<Entry>,
    /// Mapping entries per DBC message, in mapping-file order.
    by_message: FxHashMap<usize, Vec<usize>>,
    payload: [u8; 64],
}

impl Converter for CandumpDbc {
    const INFO: Info = Info {
        name: "candump-dbc",
        version: env!("CARGO_PKG_VERSION"),
        formats: &["candump-l"],
        unit: "line",
        config: &[("dbc", "the DBC file (text; use KEY=@FILE)"), ("mapping", "DBC signal → catalogue mapping (TOML; use KEY=@FILE)")],
    };

    fn open(config: &Config, _object_name: &str) -> Result<Self, Error> {
        let vehicle = config.require(dataplace_sdk::VEHICLE_ID)?.trim().to_owned();
        let dbc = dbc::parse(config.require("dbc")?.as_bytes()).map_err(Error::Config)?;
        let entries = mapping::parse(config.require("mapping")?, &dbc).map_err(Error::Config)?;
        let mut by_message: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        for (i, e) in entries.iter().enumerate() {
            by_message.entry(e.message).or_default().push(i);
        }
        Ok(Self { lines: Lines::default(), decoder: Decoder { vehicle, dbc, entries, by_message, payload: [0; 64] } })
    }

    fn signals(&self) -> Vec<String> {
        self.decoder.entries.iter().map(|e| e.vss.clone()).collect()
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
        let decoder = &mut self.decoder;
        self.lines.push(chunk, |l| decoder.line(l, out));
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
        let decoder = &mut self.decoder;
        self.lines.finish(|l| decoder.line(l, out));
        Ok(())
    }
}

impl Decoder {
    fn line(&mut self, l: dataplace_sdk::Line<'_>, out: &mut Batch) {
        let at = Position::Line(l.number);
        if l.overlong {
            return out.reject(at, "malformed", format!("line longer than {} bytes", l.text.len()), l.text);
        }
        match candump::parse(l.text, &mut self.payload) {
            Ok(Line::Blank) => {}
            Ok(Line::Skip(why)) => out.skipped(why),
            Ok(Line::Data { time_us, id, len }) => {
                let Some((index, entries)) = self.dbc.index_of(id).and_then(|i| self.by_message.get(&i).map(|e| (i, e))) else {
                    return out.skipped("unmapped id");
                };
                let message = &self.dbc.messages[index];
                if len < message.len {
                    let why = format!("payload {len} byte(s) < DBC length {} of {} ({id})", message.len, message.name);
                    return out.reject(at, "short-payload", why, l.text);
                }
                let payload = &self.payload[..len];
                let switch = message.switch().map(|s| message.signals[s].layout.raw(payload));
                let mut rows = out.vehicle(&self.vehicle);
                let mut out_of_range = Vec::new();
                for &e in entries {
                    let entry = &self.entries[e];
                    let signal = &message.signals[entry.signal];
                    if let Mux::When(n) = signal.mux
                        && switch != Some(n)
                    {
                        continue;
                    }
                    match value(entry, signal, payload) {
                        Ok(Some(Mapped::Double(v))) => rows.double(time_us, &entry.vss, v),
                        Ok(Some(Mapped::Int(v))) => rows.int(time_us, &entry.vss, v),
                        Ok(Some(Mapped::Bool(v))) => rows.bool(time_us, &entry.vss, v),
                        Ok(Some(Mapped::Text(v))) => rows.text(time_us, &entry.vss, &v),
                        Ok(None) => continue,
                        Err(()) => {
                            out_of_range.push(e);
                            continue;
                        }
                    };
                }
                for e in out_of_range {
                    out.note(&format!("value out of range for {}", self.entries[e].vss), 1);
                }
                out.decoded();
            }
            Err(why) => out.reject(at, "malformed", why, l.text),
        }
    }
}

/// The catalogue value of one mapping entry in a frame (§4.2): `Ok(None)` when a `map` does not
/// name the raw value, `Err` when the value does not fit the integer target.
fn value(entry: &Entry, signal: &Signal, payload: &[u8]) -> Result<Option<Mapped>, ()> {
    let bits = signal.layout.raw(payload);
    let raw = if signal.signed { bits::signed(bits, signal.layout.len) } else { bits as i64 };
    let v = match &entry.conversion {
        Conversion::Map(pairs) => return Ok(pairs.iter().find(|(r, _)| *r == raw).map(|(_, v)| v.clone())),
        Conversion::Linear { scale, offset } => {
            let raw_value = match signal.float {
                Some(Float::F32) => f64::from(f32::from_bits(bits as u32)),
                Some(Float::F64) => f64::from_bits(bits),
                None if signal.signed => raw as f64,
                None => bits as f64,
            };
            (raw_value * signal.factor + signal.offset) * scale + offset
        }
    };
    Ok(Some(match entry.datatype {
        Datatype::Boolean => Mapped::Bool(v != 0.0),
        Datatype::Float | Datatype::Double => Mapped::Double(v),
        Datatype::String => Mapped::Text(signal.label(raw).map_or_else(|| v.to_string(), str::to_owned)),
        d => {
            let (lo, hi) = d.int_range().expect("arrays are refused at configuration");
            let r = v.round();
            if !(r >= lo as f64 && r <= hi as f64) {
                return Err(());
            }
            Mapped::Int(r as i64)
        }
    }))
}

dataplace_sdk::plugin!(CandumpDbc);
