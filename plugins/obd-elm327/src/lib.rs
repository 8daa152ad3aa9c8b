//! dataplace converter for OBD-II (SAE J1979) logs captured with an ELM327 adapter (headers
//! off, spaces on, CAN formatting on): the project's timestamped log container, Mode 01 PIDs,
//! Mode 03 trouble codes and the Mode 09 VIN, to VSS 6.0 observations.
//!
//! One input unit is a physical line (blank lines are not units). Malformed lines, adapter
//! messages such as `NO DATA`, unknown PIDs and wrong lengths are rejects with their line number;
//! a broken multi-frame response rejects every line of it. The vehicle id is fixed before the
//! first observation: the first valid VIN (`# VIN:` comment or Mode 09), else `vehicle_id`, else
//! the object name's stem.

mod line;
mod pids;

use dataplace_sdk::{Batch, Config, Converter, Error, Info, Lines, Position};
use line::{Line, Payload};
use pids::Decoded;

pub use pids::SIGNALS;

/// The OBD-II/ELM327 converter: one value per input object.
pub struct Obd {
    lines: Lines,
    vehicle: Vehicle,
    group: Option<Group>,
}

/// The vehicle id, open until the first observation fixes it (§2.5).
enum Vehicle {
    Open { vin: Option<String>, fallback: String },
    Fixed(String),
}

impl Vehicle {
    /// A valid VIN was read: the first one counts, until the id is fixed.
    fn offer(&mut self, vin: String, out: &mut Batch) {
        match self {
            Vehicle::Open { vin: seen @ None, .. } => *seen = Some(vin),
            Vehicle::Open { .. } => {}
            Vehicle::Fixed(id) if *id != vin => out.note("vin after the first observation ignored", 1),
            Vehicle::Fixed(_) => {}
        }
    }

    /// The vehicle id, fixed from now on.
    fn fix(&mut self) -> &str {
        if let Vehicle::Open { vin, fallback } = self {
            *self = Vehicle::Fixed(vin.take().unwrap_or_else(|| std::mem::take(fallback)));
        }
        match self {
            Vehicle::Fixed(id) => id,
            Vehicle::Open { .. } => unreachable!("fixed above"),
        }
    }
}

/// An open multi-frame response (§2.3).
struct Group {
    time_us: i64,
    len: usize,
    next: u8,
    bytes: Vec<u8>,
    /// Line numbers and text of the lines read so far, for rejects.
    lines: Vec<(u64, Vec<u8>)>,
}

impl Converter for Obd {
    const INFO: Info = Info {
        name: "obd-elm327",
        version: env!("CARGO_PKG_VERSION"),
        formats: &["obd2-elm327-log"],
        unit: "line",
        config: &[],
    };

    fn open(config: &Config, object_name: &str) -> Result<Self, Error> {
        let fallback = config.vehicle_id_or_stem(object_name);
        Ok(Self { lines: Lines::default(), vehicle: Vehicle::Open { vin: None, fallback }, group: None })
    }

    fn signals(&self) -> Vec<String> {
        SIGNALS.iter().map(|s| s.to_string()).collect()
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
        let Self { lines, vehicle, group } = self;
        lines.push(chunk, |l| handle(vehicle, group, l, out));
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
        let Self { lines, vehicle, group } = self;
        lines.finish(|l| handle(vehicle, group, l, out));
        abandon(group, "the log ends inside a multi-frame response", out);
        Ok(())
    }
}

fn handle(vehicle: &mut Vehicle, group: &mut Option<Group>, l: dataplace_sdk::Line<'_>, out: &mut Batch) {
    let at = Position::Line(l.number);
    let parsed = if l.overlong { Err(("too-long", format!("line longer than {} bytes", l.text.len()))) } else { line::parse(l.text) };
    match parsed {
        Ok(Line::Blank) => {}
        Ok(Line::Comment) => out.skipped("comment"),
        Ok(Line::VinComment(vin)) if vin.len() == 17 && vin.bytes().all(pids::is_vin_char) => {
            vehicle.offer(vin, out);
            out.decoded();
        }
        Ok(Line::VinComment(vin)) => out.reject(at, "vin", format!("{vin:?} is not a valid VIN"), l.text),
        Ok(Line::Response { payload: Payload::Segment(seq, bytes), .. }) => match group {
            Some(g) if g.next == seq => {
                g.bytes.extend_from_slice(&bytes);
                g.lines.push((l.number, l.text.to_vec()));
                g.next = (g.next + 1) % 16;
                if g.bytes.len() >= g.len {
                    let mut g = group.take().expect("open group");
                    g.bytes.truncate(g.len);
                    let outcome = pids::decode(&g.bytes, g.time_us, || out.vehicle(vehicle.fix()));
                    settle(vehicle, outcome, &g.lines, out);
                }
            }
            Some(g) => {
                let expected = g.next;
                abandon(group, &format!("segment {seq:X} arrived where {expected:X} was expected"), out);
                out.reject(at, "multi-frame", "a segment line outside a multi-frame response", l.text);
            }
            None => out.reject(at, "multi-frame", "a segment line outside a multi-frame response", l.text),
        },
        Ok(Line::Response { time_us, payload: Payload::Header(len) }) => {
            abandon(group, "a new multi-frame header interrupted it", out);
            *group = Some(Group { time_us, len, next: 0, bytes: Vec::with_capacity(len), lines: vec![(l.number, l.text.to_vec())] });
        }
        Ok(Line::Response { time_us, payload: Payload::Message(bytes) }) => {
            abandon(group, "a single-line response interrupted it", out);
            let outcome = pids::decode(&bytes, time_us, || out.vehicle(vehicle.fix()));
            settle(vehicle, outcome, &[(l.number, l.text)], out);
        }
        Err((code, message)) => {
            abandon(group, "a malformed line interrupted it", out);
            out.reject(at, code, message, l.text);
        }
    }
}

/// Count the lines of a decoded (or rejected) message.
fn settle<T: AsRef<[u8]>>(vehicle: &mut Vehicle, outcome: Result<Decoded, pids::Rejection>, lines: &[(u64, T)], out: &mut Batch) {
    match outcome {
        Ok(Decoded::Bitmap) => lines.iter().for_each(|_| out.skipped("supported-pid bitmap")),
        Ok(Decoded::Observations) => lines.iter().for_each(|_| out.decoded()),
        Ok(Decoded::Vin(vin)) => {
            vehicle.offer(vin, out);
            lines.iter().for_each(|_| out.decoded());
        }
        Err((code, message)) => {
            for (number, text) in lines {
                out.reject(Position::Line(*number), code, message.clone(), text.as_ref());
            }
        }
    }
}

/// Reject every line of an open multi-frame response.
fn abandon(group: &mut Option<Group>, why: &str, out: &mut Batch) {
    if let Some(g) = group.take() {
        let message = format!("incomplete multi-frame response ({} of {} bytes): {why}", g.bytes.len(), g.len);
        for (number, text) in &g.lines {
            out.reject(Position::Line(*number), "multi-frame", message.clone(), text);
        }
    }
}

dataplace_sdk::plugin!(Obd);
