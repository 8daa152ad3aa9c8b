//! The structure of one Auto API message (format doc §2–§3): header, properties and their
//! components, checked to nest exactly before anything is converted.

/// The component ids the converter reads.
const DATA: u8 = 0x01;
const TIMESTAMP: u8 = 0x02;
const FAILURE: u8 = 0x03;

/// One property occurrence, with the components that matter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Property<'a> {
    pub id: u8,
    pub data: Option<&'a [u8]>,
    pub timestamp: Option<&'a [u8]>,
    pub failure: Option<&'a [u8]>,
}

/// A structurally valid message.
#[derive(Debug)]
pub struct Message<'a> {
    pub capability: u16,
    pub properties: Vec<Property<'a>>,
}

/// Why a whole frame is rejected: (reason code, message).
pub type FrameError = (&'static str, String);

/// Capability ids of Auto API level 13 (§2).
const CAPABILITIES: [u16; 59] = [
    0x0002, 0x0003, 0x0010, 0x0011, 0x0012, 0x0013, 0x0014, 0x0015, 0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,
    0x0028, 0x0029, 0x0030, 0x0031, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045,
    0x0046, 0x0047, 0x0048, 0x0049, 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x0060, 0x0061,
    0x0062, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d,
];

/// Parse a message, or say why the whole frame is rejected.
pub fn parse(msg: &[u8]) -> Result<Message<'_>, FrameError> {
    if msg.len() < 4 {
        return Err(("malformed", format!("a message needs at least 4 bytes, got {}", msg.len())));
    }
    if msg[0] != 0x0d {
        return Err(("version", format!("protocol version 0x{:02x}, only 0x0d (L13) is read", msg[0])));
    }
    let capability = u16::from_be_bytes([msg[1], msg[2]]);
    if msg[3] != 0x01 {
        return Err(("message-type", format!("message type 0x{:02x} carries no vehicle data (only 0x01 set/state does)", msg[3])));
    }
    if !CAPABILITIES.contains(&capability) {
        return Err(("unknown-capability", format!("capability 0x{capability:04x} is not in Auto API L13")));
    }
    let mut properties = Vec::new();
    let mut rest = &msg[4..];
    while !rest.is_empty() {
        let (id, body, after) = tlv(rest).ok_or_else(|| overrun("property", msg.len() - rest.len()))?;
        let mut p = Property { id, ..Property::default() };
        let mut components = body;
        while !components.is_empty() {
            let (cid, payload, after) = tlv(components).ok_or_else(|| overrun("component", msg.len() - components.len()))?;
            match cid {
                DATA => p.data = Some(payload),
                TIMESTAMP => p.timestamp = Some(payload),
                FAILURE => p.failure = Some(payload),
                _ => {} // availability and future components: skipped by their length
            }
            components = after;
        }
        properties.push(p);
        rest = after;
    }
    Ok(Message { capability, properties })
}

/// `id:u8 size:u16 body[size]`, or `None` when the size overruns.
fn tlv(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let size = usize::from(u16::from_be_bytes([*bytes.get(1)?, *bytes.get(2)?]));
    let body = bytes.get(3..3 + size)?;
    Some((bytes[0], body, &bytes[3 + size..]))
}

fn overrun(what: &str, at: usize) -> FrameError {
    ("structure", format!("{what} at message byte {at} overruns its container"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_nest_exactly() {
        let ok = [0x0d, 0x00, 0x33, 0x01, 0x0c, 0x00, 0x04, 0x01, 0x00, 0x01, 0x00];
        let m = parse(&ok).unwrap();
        assert_eq!((m.capability, m.properties.len(), m.properties[0].data), (0x33, 1, Some(&[0u8][..])));
        let mut overrun = ok;
        overrun[6] = 0x05;
        assert_eq!(parse(&overrun).unwrap_err().0, "structure");
        let mut inner = ok;
        inner[9] = 0x02;
        assert_eq!(parse(&inner).unwrap_err().0, "structure");
        assert_eq!(parse(&[0x0d, 0x00, 0x33, 0x00]).unwrap_err().0, "message-type");
        assert_eq!(parse(&[0x0c, 0x00, 0x33, 0x01]).unwrap_err().0, "version");
        assert_eq!(parse(&[0x0d, 0x00, 0x99, 0x01]).unwrap_err().0, "unknown-capability");
    }
}
