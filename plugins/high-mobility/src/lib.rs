//! dataplace converter for the High Mobility Auto API (level 13, binary): length-prefixed
//! messages of capabilities and properties, each value with its own unit and timestamp, to
//! VSS 6.0 observations (format doc §6–§7).
//!
//! One input unit is a property occurrence; a frame rejected as a whole (truncated, wrong version
//! or message type, unknown capability, broken nesting, no vehicle id) counts as one unit, and
//! so does a message without properties. Failed, untimed or undecodable mapped properties are
//! rejects at their frame's byte offset; unmapped properties are skipped.

mod mapping;
mod message;
mod values;

use dataplace_sdk::{Batch, Config, Converter, Error, Flow, Framing, Frames, Info, Measure, Position};
use mapping::{Mapped, Value};
use message::Property;

pub use mapping::SIGNALS;

/// The Auto API converter: one value per input object.
pub struct HighMobility {
    frames: Frames,
    decoder: Decoder,
}

/// How a property occurrence that was not rejected counts.
enum Counted {
    Decoded,
    Skipped(&'static str),
}

struct Decoder {
    /// `vehicle_id` from the config: the last resort (§6.1).
    configured: Option<String>,
    /// The most recent VIN seen in this object.
    last_vin: Option<String>,
}

impl Converter for HighMobility {
    const INFO: Info = Info {
        name: "high-mobility",
        version: env!("CARGO_PKG_VERSION"),
        formats: &["high-mobility-auto-api-l13"],
        unit: "property",
        config: &[],
    };

    fn open(config: &Config, _object_name: &str) -> Result<Self, Error> {
        Ok(Self { frames: Frames::default(), decoder: Decoder { configured: config.vehicle_id().map(str::to_owned), last_vin: None } })
    }

    fn signals(&self) -> Vec<String> {
        SIGNALS.iter().map(|s| s.to_string()).collect()
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
        self.frames.push(chunk, &mut self.decoder, out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
        self.frames.finish(&mut self.decoder, out);
        Ok(())
    }
}

impl Framing for Decoder {
    fn measure(&mut self, head: &[u8], _offset: u64, _out: &mut Batch) -> Measure {
        match head {
            [a, b, c, d, ..] => Measure::Frame(4 + u32::from_be_bytes([*a, *b, *c, *d]) as usize),
            _ => Measure::Need(4),
        }
    }

    fn frame(&mut self, frame: &[u8], offset: u64, out: &mut Batch) -> Flow {
        self.message(&frame[4..], frame, Position::Byte(offset), out);
        Flow::Continue
    }

    fn truncated(&mut self, tail: &[u8], offset: u64, out: &mut Batch) {
        let why = match tail {
            [a, b, c, d, ..] => format!("frame of {} bytes, {} available", 4 + u64::from(u32::from_be_bytes([*a, *b, *c, *d])), tail.len()),
            _ => format!("{} bytes left, a length prefix needs 4", tail.len()),
        };
        out.reject(Position::Byte(offset), "truncated", why, tail);
    }
}

impl Decoder {
    fn message(&mut self, msg: &[u8], frame: &[u8], at: Position, out: &mut Batch) {
        let m = match message::parse(msg) {
            Ok(m) => m,
            Err((code, why)) => return out.reject(at, code, why, frame),
        };
        if m.properties.is_empty() {
            return out.skipped("empty message");
        }
        let universal = |id| m.properties.iter().find(|p| p.id == id).and_then(|p| p.data);
        let vin = universal(mapping::VIN).filter(|v| valid_vin(v));
        let message_time = universal(mapping::TIMESTAMP).and_then(millis);
        if let Some(vin) = vin {
            self.last_vin = Some(String::from_utf8_lossy(vin).into_owned());
        }
        let Some(vehicle) = self.last_vin.as_deref().or(self.configured.as_deref()) else {
            return out.reject(at, "no-vehicle-id", "no VIN in or before this message, and no vehicle_id configured", frame);
        };
        let mut codes: Vec<(i64, String)> = Vec::new();
        for p in &m.properties {
            match self.property(m.capability, p, message_time, vehicle, &mut codes, out) {
                Ok(Counted::Decoded) => out.decoded(),
                Ok(Counted::Skipped(why)) => out.skipped(why),
                Err((code, why)) => out.reject(at, code, format!("capability 0x{:04x} property 0x{:02x}: {why}", m.capability, p.id), frame),
            }
        }
        // One DTC list per distinct time, codes in message order (§7.5).
        let mut lists: Vec<(i64, Vec<String>)> = Vec::new();
        for (t, code) in codes {
            match lists.iter_mut().find(|(lt, _)| *lt == t) {
                Some((_, list)) => list.push(code),
                None => lists.push((t, vec![code])),
            }
        }
        for (t, list) in lists {
            out.vehicle(vehicle).text_list(t, "Vehicle.Diagnostics.DTCList", &list);
        }
    }

    /// Convert one property occurrence: one unit, decoded, skipped or (as the error) rejected.
    fn property(
        &self,
        capability: u16,
        p: &Property<'_>,
        message_time: Option<i64>,
        vehicle: &str,
        codes: &mut Vec<(i64, String)>,
        out: &mut Batch,
    ) -> Result<Counted, (&'static str, String)> {
        match p.id {
            mapping::VIN => {
                return match p.data {
                    Some(v) if valid_vin(v) => Ok(Counted::Decoded),
                    _ => Err(("undecodable", "the VIN is not 17 ASCII letters or digits".into())),
                };
            }
            mapping::TIMESTAMP => {
                return match p.data.and_then(millis) {
                    Some(_) => Ok(Counted::Decoded),
                    None => Err(("undecodable", "a timestamp needs 8 bytes of milliseconds".into())),
                };
            }
            0xa0 | 0xa1 | 0xa4 => return Ok(Counted::Skipped("universal property")),
            _ if !mapping::is_mapped(capability, p.id) => return Ok(Counted::Skipped("unmapped property")),
            _ => {}
        }
        let Some(data) = p.data else {
            return match p.failure {
                Some(f) => Err(("failure", failure(f))),
                None => Ok(Counted::Skipped("no data")),
            };
        };
        let time = match p.timestamp {
            Some(ts) => millis(ts).ok_or(("undecodable", "a timestamp component needs 8 bytes".to_owned()))?,
            None => message_time.ok_or(("no-timestamp", "neither the property nor the message has a timestamp".to_owned()))?,
        };
        match mapping::decode(capability, p.id, data).map_err(|why| ("undecodable", why))? {
            Mapped::Values(values) => {
                let mut rows = out.vehicle(vehicle);
                for (signal, v) in values {
                    match v {
                        Value::Double(x) => rows.double(time, signal, x),
                        Value::Int(x) => rows.int(time, signal, x),
                        Value::Bool(x) => rows.bool(time, signal, x),
                        Value::Text(x) => rows.text(time, signal, &x),
                    };
                }
                Ok(Counted::Decoded)
            }
            Mapped::TroubleCode(code) => {
                codes.push((time, code));
                Ok(Counted::Decoded)
            }
            Mapped::NoCounterpart(why) => Ok(Counted::Skipped(why)),
        }
    }
}

/// A VIN as the universal property carries it: 17 ASCII letters or digits.
fn valid_vin(v: &[u8]) -> bool {
    v.len() == 17 && v.iter().all(u8::is_ascii_alphanumeric)
}

/// Milliseconds (u64, §4.1) as µs since the epoch; `None` unless exactly 8 bytes in range.
fn millis(d: &[u8]) -> Option<i64> {
    let ms = u64::from_be_bytes(d.try_into().ok()?);
    i64::try_from(ms).ok()?.checked_mul(1000)
}

/// A failure component as text: its reason and description (§3).
fn failure(f: &[u8]) -> String {
    const REASONS: [&str; 8] =
        ["rate_limit", "execution_timeout", "format_error", "unauthorised", "unknown", "pending", "oem_error", "privacy_mode_active"];
    let reason = f.first().and_then(|&r| REASONS.get(usize::from(r))).copied().unwrap_or("unknown reason");
    let description = f.get(1..).and_then(|d| values::string16(d).ok()).map_or("", |(s, _)| s);
    format!("failed: {reason} ({description:?})")
}

dataplace_sdk::plugin!(HighMobility);
