//! The Teltonika session file: an optional IMEI login frame, then AVL data packets of Codec 8
//! or Codec 8 Extended, each checked with CRC-16/IBM before it is decoded (format doc §3–§7).

use crate::mapping::{self, Gps, Skip};
use dataplace_sdk::{Batch, Flow, Framing, Measure, Position, Rows};
use rustc_hash::FxHashMap;

const CODEC_8: u8 = 0x08;
const CODEC_8E: u8 = 0x8E;
const IMEI_LEN: usize = 15;
/// Marks the Codec 8E section whose elements carry their own length.
const VARIABLE: usize = 0;
/// Slice-by-16 tables: the CRC is the hot loop of this decoder.
const CRC: crc::Crc<u16, crc::Table<16>> = crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_ARC);

/// A diagnostic counted per session and reported as a note at the end (§7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Note {
    UnmappedIo(u16),
    DuplicateIo(u16),
    OutOfRangeIo(u16),
    Gps(Skip),
    IoCountMismatch,
}

impl Note {
    fn code(self) -> String {
        match self {
            Note::UnmappedIo(id) => format!("unmapped io {id}"),
            Note::DuplicateIo(id) => format!("duplicate io {id}"),
            Note::OutOfRangeIo(id) => format!("out of range io {id}"),
            Note::Gps(Skip::NoFix) => "record without gnss fix".into(),
            Note::Gps(Skip::PositionOutOfRange) => "gnss position out of range".into(),
            Note::Gps(Skip::AngleOutOfRange) => "gnss angle out of range".into(),
            Note::IoCountMismatch => "io total count mismatch".into(),
        }
    }
}

/// Decodes one session file; driven by [`dataplace_sdk::Frames`].
#[derive(Debug)]
pub struct Decoder {
    /// The vehicle id: the IMEI once a login frame is read, else the fallback from config.
    vehicle: String,
    /// Notes of the packet being decoded; committed to `notes` when the packet is accepted.
    pending: Vec<Note>,
    notes: FxHashMap<Note, u64>,
}

/// Why a packet whose CRC is right still cannot be decoded.
struct Malformed(String);

impl Decoder {
    pub fn new(fallback_vehicle: String) -> Self {
        Self { vehicle: fallback_vehicle, pending: Vec::new(), notes: FxHashMap::default() }
    }

    /// Write the session's diagnostic counters as notes.
    pub fn report_notes(&mut self, out: &mut Batch) {
        for (note, n) in std::mem::take(&mut self.notes) {
            out.note(&note.code(), n);
        }
    }

    fn login(&mut self, frame: &[u8], out: &mut Batch) -> Flow {
        let imei = &frame[2..];
        if !imei.iter().all(u8::is_ascii_digit) {
            out.reject(Position::Byte(0), "login", "IMEI is not 15 ASCII digits", frame);
            return Flow::Stop;
        }
        self.vehicle = String::from_utf8_lossy(imei).into_owned();
        out.decoded();
        Flow::Continue
    }

    fn packet(&mut self, frame: &[u8], offset: u64, out: &mut Batch) {
        let at = Position::Byte(offset);
        let data = &frame[8..frame.len() - 4];
        let crc_field = u32::from_be_bytes(frame[frame.len() - 4..].try_into().expect("4 bytes"));
        let crc = CRC.checksum(data);
        if crc_field != u32::from(crc) {
            out.reject(at, "crc", format!("CRC field 0x{crc_field:08X}, computed 0x{crc:04X}"), frame);
            return;
        }
        let codec = data.first().copied().unwrap_or_default();
        if codec != CODEC_8 && codec != CODEC_8E {
            out.reject(at, "unsupported-codec", format!("unsupported codec 0x{codec:02X}"), frame);
            return;
        }
        let mark = out.mark();
        self.pending.clear();
        let decoded = records(data, codec == CODEC_8E, &mut out.vehicle(&self.vehicle), &mut self.pending);
        match decoded {
            Ok(()) => {
                for note in self.pending.drain(..) {
                    *self.notes.entry(note).or_default() += 1;
                }
                out.decoded();
            }
            Err(Malformed(why)) => {
                out.rollback(mark);
                out.reject(at, "malformed", why, frame);
            }
        }
    }
}

/// Decode the records of a packet's data field (codec id … N2) into observations, collecting
/// diagnostics in `notes`.
fn records(data: &[u8], extended: bool, rows: &mut Rows<'_>, notes: &mut Vec<Note>) -> Result<(), Malformed> {
    if data.len() < 3 {
        return Err(Malformed(format!("data field of {} bytes is too short", data.len())));
    }
    let n1 = data[1];
    let n2 = data[data.len() - 1];
    if n1 != n2 {
        return Err(Malformed(format!("record counts differ: N1 = {n1}, N2 = {n2}")));
    }
    let mut r = Reader { buf: &data[..data.len() - 1], pos: 2 };
    for index in 0..n1 {
        let ms = r.u64()?;
        let time = i64::try_from(ms)
            .ok()
            .and_then(|ms| ms.checked_mul(1000))
            .ok_or_else(|| Malformed(format!("record {index}: timestamp {ms} ms out of range")))?;
        r.take(1)?; // priority: not mapped
        let gps = Gps {
            longitude: r.u32()? as i32,
            latitude: r.u32()? as i32,
            altitude: r.u16()? as i16,
            angle: r.u16()?,
            satellites: r.u8()?,
            speed: r.u16()?,
        };
        if let Err(skip) = mapping::gps(rows, time, gps) {
            notes.push(Note::Gps(skip));
        }
        io_element(&mut r, rows, time, extended, notes)?;
    }
    if r.pos != r.buf.len() {
        return Err(Malformed(format!("{} bytes left between the last record and N2", r.buf.len() - r.pos)));
    }
    Ok(())
}

/// The IO element of one record (§6.2, §6.3): groups of 1, 2, 4 and 8-byte values, and in
/// Codec 8E the variable-length section. Unmapped, repeated and out-of-range ids become notes.
fn io_element(r: &mut Reader<'_>, rows: &mut Rows<'_>, time: i64, extended: bool, notes: &mut Vec<Note>) -> Result<(), Malformed> {
    let count = |r: &mut Reader<'_>| if extended { r.u16() } else { r.u8().map(u16::from) };
    let _event_id = count(r)?;
    let total = count(r)?;
    let mut seen = 0u16;
    let mut sum = 0u32;
    let groups: &[usize] = if extended { &[1, 2, 4, 8, VARIABLE] } else { &[1, 2, 4, 8] };
    for &width in groups {
        let n = count(r)?;
        sum += u32::from(n);
        for _ in 0..n {
            let id = count(r)?;
            let len = if width == VARIABLE { usize::from(r.u16()?) } else { width };
            let value = r.take(len)?;
            match mapping::slot(id) {
                None => notes.push(Note::UnmappedIo(id)),
                Some(slot) if seen & 1 << slot != 0 => notes.push(Note::DuplicateIo(id)),
                Some(slot) => {
                    seen |= 1 << slot;
                    if !mapping::io(rows, time, id, value) {
                        notes.push(Note::OutOfRangeIo(id));
                    }
                }
            }
        }
    }
    if sum != u32::from(total) {
        notes.push(Note::IoCountMismatch);
    }
    Ok(())
}

impl Framing for Decoder {
    fn measure(&mut self, head: &[u8], offset: u64, out: &mut Batch) -> Measure {
        if head.len() < 2 {
            return Measure::Need(2);
        }
        if is_login(head, offset) {
            let n = usize::from(u16::from_be_bytes([head[0], head[1]]));
            if n != IMEI_LEN {
                out.reject(Position::Byte(0), "login", format!("IMEI length {n}, expected {IMEI_LEN}"), &head[..2]);
                return Measure::Stop;
            }
            return Measure::Frame(2 + IMEI_LEN);
        }
        if head.len() < 8 {
            return Measure::Need(8);
        }
        if head[..4] != [0, 0, 0, 0] {
            out.reject(Position::Byte(offset), "preamble", "packet preamble is not 00 00 00 00", &head[..8]);
            return Measure::Stop;
        }
        let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        Measure::Frame(12 + len as usize)
    }

    fn frame(&mut self, frame: &[u8], offset: u64, out: &mut Batch) -> Flow {
        if is_login(frame, offset) {
            return self.login(frame, out);
        }
        self.packet(frame, offset, out);
        Flow::Continue
    }

    fn truncated(&mut self, tail: &[u8], offset: u64, out: &mut Batch) {
        if is_login(tail, offset) {
            out.reject(Position::Byte(0), "login", format!("input ends inside the login frame ({} bytes)", tail.len()), tail);
            return;
        }
        let expected = if tail.len() >= 8 {
            format!("{} bytes", 12 + u64::from(u32::from_be_bytes([tail[4], tail[5], tail[6], tail[7]])))
        } else {
            "at least 8 bytes".to_owned()
        };
        out.reject(Position::Byte(offset), "truncated", format!("packet needs {expected}, {} available", tail.len()), tail);
    }
}

/// A login frame can only start the file, and starts with a non-zero length where a packet
/// starts with its zero preamble (§3).
fn is_login(head: &[u8], offset: u64) -> bool {
    offset == 0 && head.iter().take(2).any(|&b| b != 0)
}

/// Big-endian reads over a packet's data field; running past its end is [`Malformed`].
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| {
            Malformed(format!("records run past the end of the data field (byte {} of {})", self.pos + 8, self.buf.len() + 8))
        })?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Malformed> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
}
