//! One line of a `candump -L` log (format doc §2): timestamp, interface, frame, optional
//! direction; classic and FD data frames, remote, error and CAN XL frames, `DROPCOUNT:` notices.

use crate::dbc::FrameId;

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// Blank: not a record.
    Blank,
    /// Well-formed, nothing to decode (remote, error, CAN XL frame, dropcount notice).
    Skip(&'static str),
    /// A data frame: its payload is in the parser's buffer.
    Data { time_us: i64, id: FrameId, len: usize },
}

/// CAN FD payload lengths.
const FD_LENGTHS: [usize; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48];

/// Parse a line; a data frame's payload goes to `payload`. The error says what is malformed.
pub fn parse(raw: &[u8], payload: &mut [u8; 64]) -> Result<Line, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "line is not ASCII".to_owned())?.trim();
    if text.is_empty() {
        return Ok(Line::Blank);
    }
    if text.starts_with("DROPCOUNT:") {
        return Ok(Line::Skip("dropcount notice"));
    }
    let mut fields = text.split_whitespace();
    let (stamp, _interface, frame) = match (fields.next(), fields.next(), fields.next()) {
        (Some(s), Some(i), Some(f)) => (s, i, f),
        _ => return Err("expected (timestamp) interface frame".into()),
    };
    match fields.next() {
        None | Some("R" | "T") => {}
        Some(other) => return Err(format!("unexpected field {other:?} after the frame")),
    }
    if fields.next().is_some() {
        return Err("too many fields".into());
    }
    let time_us = timestamp(stamp)?;
    let (id_text, rest) = frame.split_once('#').ok_or("frame without '#'")?;
    if rest.contains(':') {
        return Ok(Line::Skip("CAN XL frame"));
    }
    let id = frame_id(id_text)?;
    let Some(id) = id else { return Ok(Line::Skip("error frame")) };
    if let Some(fd) = rest.strip_prefix('#') {
        let mut chars = fd.chars();
        let flags = chars.next().ok_or("CAN FD frame without flags")?;
        if !flags.is_ascii_hexdigit() {
            return Err(format!("CAN FD flags {flags:?} are not a hex digit"));
        }
        let len = hex(&fd[1..], payload)?;
        if len != 64 && !FD_LENGTHS.contains(&len) {
            return Err(format!("CAN FD payload of {len} bytes"));
        }
        return Ok(Line::Data { time_us, id, len });
    }
    if rest.starts_with(['R', 'r']) {
        return Ok(Line::Skip("remote frame"));
    }
    let (data, dlc) = match rest.split_once('_') {
        Some((d, dlc)) => (d, Some(dlc)),
        None => (rest, None),
    };
    let len = hex(data, payload)?;
    if len > 8 {
        return Err(format!("{len} data bytes in a classic frame"));
    }
    if let Some(dlc) = dlc {
        let ok = len == 8 && dlc.len() == 1 && matches!(dlc.as_bytes()[0], b'9' | b'A'..=b'F' | b'a'..=b'f');
        if !ok {
            return Err(format!("DLC suffix _{dlc} is only valid after 8 data bytes, as 9 to F"));
        }
    }
    Ok(Line::Data { time_us, id, len })
}

/// `(seconds.fraction)` with 6 (µs) or 9 (ns, truncated) fraction digits, as integers.
fn timestamp(stamp: &str) -> Result<i64, String> {
    let inner = stamp.strip_prefix('(').and_then(|s| s.strip_suffix(')')).ok_or_else(|| format!("timestamp {stamp:?} is not (seconds.fraction)"))?;
    let (secs, frac) = inner.split_once('.').ok_or_else(|| format!("timestamp {stamp:?} has no fraction"))?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(secs) || !digits(frac) {
        return Err(format!("timestamp {stamp:?} is not decimal"));
    }
    let secs: i64 = secs.parse().map_err(|_| format!("timestamp {stamp:?} is out of range"))?;
    let frac: i64 = frac.parse().expect("checked digits");
    let micros = match inner.len() - inner.find('.').expect("split above") - 1 {
        6 => frac,
        9 => frac / 1000,
        n => return Err(format!("timestamp fraction must have 6 or 9 digits, not {n}")),
    };
    secs.checked_mul(1_000_000).and_then(|s| s.checked_add(micros)).ok_or_else(|| format!("timestamp {stamp:?} is out of range"))
}

/// The identifier: 3 hex digits standard, 8 extended; `None` for an error frame.
fn frame_id(text: &str) -> Result<Option<FrameId>, String> {
    let value = u32::from_str_radix(text, 16).map_err(|_| format!("identifier {text:?} is not hexadecimal"))?;
    match text.len() {
        3 if value <= 0x7FF => Ok(Some(FrameId { id: value, extended: false })),
        3 => Err(format!("standard id {text} > 7FF")),
        8 if value & 0x2000_0000 != 0 => Ok(None),
        8 if value <= 0x1FFF_FFFF => Ok(Some(FrameId { id: value, extended: true })),
        8 => Err(format!("extended id {text} > 1FFFFFFF")),
        n => Err(format!("identifier of {n} hex digits (3 standard, 8 extended)")),
    }
}

/// Hex bytes, `.` separators dropped, into `out`; returns the byte count.
fn hex(text: &str, out: &mut [u8; 64]) -> Result<usize, String> {
    let mut n = 0;
    let mut high: Option<u8> = None;
    for c in text.bytes().filter(|&c| c != b'.') {
        let v = (c as char).to_digit(16).ok_or_else(|| format!("{:?} is not a hex digit in the data", c as char))? as u8;
        match high.take() {
            None => high = Some(v),
            Some(h) => {
                *out.get_mut(n).ok_or("more than 64 data bytes")? = h << 4 | v;
                n += 1;
            }
        }
    }
    if high.is_some() {
        return Err("odd number of hex digits in data".into());
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Line, String> {
        parse(line.as_bytes(), &mut [0; 64])
    }

    #[test]
    fn frames_of_every_kind() {
        let std = FrameId { id: 0x1A0, extended: false };
        assert_eq!(p("(1717171800.250000) can0 1A0#5213F03F00FEAFC4"), Ok(Line::Data { time_us: 1_717_171_800_250_000, id: std, len: 8 }));
        assert_eq!(p("(1700000000.123456789)  vcan10 000000B4#01 R"), Ok(Line::Data { time_us: 1_700_000_000_123_456, id: FrameId { id: 0xB4, extended: true }, len: 1 }));
        assert_eq!(p("(1.000000) can0 0B4##5000000002A1F4086"), Ok(Line::Data { time_us: 1_000_000, id: FrameId { id: 0xB4, extended: false }, len: 8 }));
        assert_eq!(p("(1.000000) can0 0AA#1122334455667788_A"), Ok(Line::Data { time_us: 1_000_000, id: FrameId { id: 0xAA, extended: false }, len: 8 }));
        assert_eq!(p("(1.000000) can0 123#11.22.33"), Ok(Line::Data { time_us: 1_000_000, id: FrameId { id: 0x123, extended: false }, len: 3 }));
        assert_eq!(p("(1.000000) can0 7DF#"), Ok(Line::Data { time_us: 1_000_000, id: FrameId { id: 0x7DF, extended: false }, len: 0 }));
        assert_eq!(p("(1.000000) can0 1C4#R8"), Ok(Line::Skip("remote frame")));
        assert_eq!(p("(1.000000) can0 20000080#0000000000000000"), Ok(Line::Skip("error frame")));
        assert_eq!(p("(1.000000) can0 45123#81:00:12345678#11223344"), Ok(Line::Skip("CAN XL frame")));
        assert_eq!(p("DROPCOUNT: dropped 12 CAN frames on 'can0' socket (total drops 40)"), Ok(Line::Skip("dropcount notice")));
        assert_eq!(p("   "), Ok(Line::Blank));
    }

    #[test]
    fn malformed_lines_say_why() {
        let e = |l: &str| p(l).unwrap_err();
        assert_eq!(e("(1.0001) can0 1A0#00"), "timestamp fraction must have 6 or 9 digits, not 4");
        assert_eq!(e("(1.000000) can0 9A0#00"), "standard id 9A0 > 7FF");
        assert_eq!(e("(1.000000) can0 1A0#001"), "odd number of hex digits in data");
        assert_eq!(e("(1.000000) can0 1A0#001122334455667788"), "9 data bytes in a classic frame");
        assert_eq!(e("(1.000000) can0 1A0##0001122334455667788"), "CAN FD payload of 9 bytes");
        assert_eq!(e("(1.000000) can0 1A0#0011_9"), "DLC suffix _9 is only valid after 8 data bytes, as 9 to F");
        assert_eq!(e("(1.000000) can0 1A00#00"), "identifier of 4 hex digits (3 standard, 8 extended)");
        assert_eq!(e("(1700001234.5"), "expected (timestamp) interface frame");
        assert_eq!(e("(1.000000) can0 1A0#0G"), "'G' is not a hex digit in the data");
    }
}
