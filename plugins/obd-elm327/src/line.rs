//! One physical line of the log container (format doc §2.1–§2.2): blank, comment, `# VIN:`
//! comment, or a timestamped response line whose payload is a message, a multi-frame header or a
//! segment.

use chrono::NaiveDate;

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Blank,
    Comment,
    /// `# VIN: …` with the text after `VIN:`, trimmed (not yet validated).
    VinComment(String),
    Response { time_us: i64, payload: Payload },
}

/// The payload of a response line.
#[derive(Debug, PartialEq, Eq)]
pub enum Payload {
    /// A complete single-line message.
    Message(Vec<u8>),
    /// A multi-frame header: this many bytes follow on segment lines.
    Header(usize),
    /// A segment: its number (0–F) and bytes.
    Segment(u8, Vec<u8>),
}

/// Why a line is malformed: (reason code, message).
pub type Malformed = (&'static str, String);

/// Texts the ELM327 prints instead of data.
const ADAPTER_MESSAGES: [&str; 11] =
    ["NO DATA", "?", "STOPPED", "CAN ERROR", "SEARCHING...", "BUFFER FULL", "UNABLE TO CONNECT", "BUS INIT: ...ERROR", "BUS BUSY", "DATA ERROR", "ERROR"];

/// Classify one line (without its line end).
pub fn parse(raw: &[u8]) -> Result<Line, Malformed> {
    let text = std::str::from_utf8(raw).map_err(|_| ("encoding", "line is not UTF-8".to_owned()))?.trim();
    if text.is_empty() {
        return Ok(Line::Blank);
    }
    if let Some(comment) = text.strip_prefix('#') {
        return Ok(match comment.trim_start().strip_prefix("VIN:") {
            Some(vin) => Line::VinComment(vin.trim().to_owned()),
            None => Line::Comment,
        });
    }
    let (stamp, payload) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let time_us = timestamp(stamp)?;
    let payload = payload.trim();
    if payload.is_empty() {
        return Err(("malformed", "empty payload".into()));
    }
    Ok(Line::Response { time_us, payload: classify(payload)? })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC, exactly three fraction digits.
fn timestamp(s: &str) -> Result<i64, Malformed> {
    let bad = || ("timestamp", format!("{s:?} is not YYYY-MM-DDTHH:MM:SS.mmmZ"));
    let shape = s.len() == 24
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'.',
            23 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(bad());
    }
    // The shape is fixed, so the fields are read by position (chrono's format-string parser is
    // the most expensive thing on a line); chrono still checks the calendar.
    let n = |range: std::ops::Range<usize>| s.as_bytes()[range].iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    let date = NaiveDate::from_ymd_opt(n(0..4) as i32, n(5..7), n(8..10));
    let t = date.and_then(|d| d.and_hms_milli_opt(n(11..13), n(14..16), n(17..19), n(20..23))).ok_or_else(bad)?;
    Ok(t.and_utc().timestamp_micros())
}

fn classify(payload: &str) -> Result<Payload, Malformed> {
    let byte = |t: &str| (t.len() == 2).then(|| u8::from_str_radix(t, 16).ok()).flatten();
    // Hex bytes, the common case: parsed straight from the tokens, nothing else allocated.
    if let Some(bytes) = payload.split_whitespace().map(byte).collect::<Option<Vec<u8>>>() {
        return Ok(Payload::Message(bytes));
    }
    let mut tokens = payload.split_whitespace();
    let first = tokens.next().unwrap_or_default();
    if tokens.clone().next().is_none()
        && first.len() == 3
        && let Ok(n) = usize::from_str_radix(first, 16)
    {
        return if n == 0 { Err(("multi-frame", "multi-frame header of 0 bytes".into())) } else { Ok(Payload::Header(n)) };
    }
    if let Some(seq) = first.strip_suffix(':').filter(|s| s.len() == 1).and_then(|s| u8::from_str_radix(s, 16).ok()) {
        return match tokens.map(byte).collect::<Option<Vec<u8>>>() {
            Some(b) if !b.is_empty() => Ok(Payload::Segment(seq, b)),
            _ => Err(("malformed", format!("segment {seq:X}: expected two-digit hex bytes after `{first}`"))),
        };
    }
    if ADAPTER_MESSAGES.contains(&payload) {
        return Err(("adapter-message", format!("the adapter answered {payload:?}")));
    }
    Err(("malformed", format!("payload {payload:?} is neither hex bytes, a multi-frame header nor a segment")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified() {
        assert_eq!(parse(b"  ").unwrap(), Line::Blank);
        assert_eq!(parse(b"# ATZ").unwrap(), Line::Comment);
        assert_eq!(parse(b"#  VIN: WBA3A5C51CF256985 ").unwrap(), Line::VinComment("WBA3A5C51CF256985".into()));
        let r = parse(b"2024-05-01T10:00:00.250Z  41 0c 0B 30\r").unwrap();
        assert_eq!(r, Line::Response { time_us: 1_714_557_600_250_000, payload: Payload::Message(vec![0x41, 0x0C, 0x0B, 0x30]) });
        assert!(matches!(parse(b"2024-05-01T10:00:00.250Z 014").unwrap(), Line::Response { payload: Payload::Header(20), .. }));
        assert!(matches!(parse(b"2024-05-01T10:00:00.250Z 1: 01 02").unwrap(), Line::Response { payload: Payload::Segment(1, _), .. }));
    }

    #[test]
    fn malformed_lines_say_why() {
        let code = |l: &[u8]| parse(l).unwrap_err().0;
        assert_eq!(code(b"2024-05-01T10:00:00Z 41 0D 20"), "timestamp");
        assert_eq!(code(b"2024-05-01T10:00:00.250+02:00 41 0D 20"), "timestamp");
        assert_eq!(code(b"2024-05-01 10:00:00.250Z 41 0D 20"), "timestamp");
        assert_eq!(code(b"2024-02-30T10:00:00.250Z 41 0D 20"), "timestamp");
        assert_eq!(code(b"41 0D 20"), "timestamp");
        assert_eq!(code(b"2024-05-01T10:00:00.250Z"), "malformed");
        assert_eq!(code(b"2024-05-01T10:00:00.250Z NO DATA"), "adapter-message");
        assert_eq!(code(b"2024-05-01T10:00:00.250Z 41 0D 3G"), "malformed");
        assert_eq!(code(b"2024-05-01T10:00:00.250Z 41 0D 200"), "malformed");
        assert_eq!(code(b"2024-05-01T10:00:00.250Z 000"), "multi-frame");
        assert_eq!(code(b"2024-05-01T10:00:00.250Z \xff"), "encoding");
    }
}
