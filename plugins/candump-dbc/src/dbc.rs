//! The DBC subset the converter needs (format doc §3): messages (`BO_`), signals (`SG_`), value
//! descriptions (`VAL_`), float types (`SIG_VALTYPE_`) and the presence of extended multiplexing
//! (`SG_MUL_VAL_`). Every other statement is stepped over, including quoted strings that span
//! lines; the file is read as Latin-1 so no byte is ever an encoding error.
//!
//! Not parsed with the `can-dbc` crate: its grammar requires `BS_`, stops at statements it does
//! not know, and reports no line numbers for the semantic errors below; the doc demands all three.

use crate::bits::Layout;
use rustc_hash::FxHashMap;

/// A CAN identifier: standard (11-bit) and extended (29-bit) ids never match each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameId {
    pub id: u32,
    pub extended: bool,
}

impl std::fmt::Display for FrameId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.extended { write!(f, "0x{:08X}", self.id) } else { write!(f, "0x{:03X}", self.id) }
    }
}

/// A signal's role in multiplexing (§3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mux {
    None,
    /// The multiplexer switch (`M`).
    Switch,
    /// Present only when the switch's raw value is this (`m<n>`).
    When(u64),
}

/// IEEE float signals (`SIG_VALTYPE_` 1 or 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Float {
    F32,
    F64,
}

#[derive(Debug, Clone)]
pub struct Signal {
    pub name: String,
    pub layout: Layout,
    pub signed: bool,
    pub factor: f64,
    pub offset: f64,
    pub mux: Mux,
    pub float: Option<Float>,
    /// `VAL_` labels by raw value.
    pub labels: Vec<(i64, String)>,
    /// Line of its `SG_` statement.
    pub line: usize,
}

impl Signal {
    /// The raw value of `label`, if the signal has that `VAL_` label.
    pub fn raw_of(&self, label: &str) -> Option<i64> {
        self.labels.iter().find(|(_, l)| l == label).map(|(r, _)| *r)
    }

    /// The label of a raw value.
    pub fn label(&self, raw: i64) -> Option<&str> {
        self.labels.iter().find(|(r, _)| *r == raw).map(|(_, l)| l.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: FrameId,
    pub name: String,
    /// The DBC length in bytes.
    pub len: usize,
    pub signals: Vec<Signal>,
    /// Uses `m<n>M` signals or `SG_MUL_VAL_`: not supported for mapping.
    pub extended_mux: bool,
    /// Line of its `BO_` statement.
    pub line: usize,
}

impl Message {
    /// The index of the multiplexer switch, if any.
    pub fn switch(&self) -> Option<usize> {
        self.signals.iter().position(|s| s.mux == Mux::Switch)
    }
}

/// A parsed DBC.
#[derive(Debug, Default)]
pub struct Dbc {
    pub messages: Vec<Message>,
    by_id: FxHashMap<FrameId, usize>,
}

impl Dbc {
    pub fn index_of(&self, id: FrameId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    pub fn by_name(&self, name: &str) -> Option<usize> {
        self.messages.iter().position(|m| m.name == name)
    }
}

/// A DBC error: what is wrong, at which line.
pub type DbcError = String;

/// Parse DBC bytes (any encoding; read as Latin-1).
///
/// # Errors
/// A message naming the line of a malformed `BO_`/`SG_`/`VAL_`, a signal of length 0 or more
/// than 64, or a duplicate message id, message name or signal name.
pub fn parse(bytes: &[u8]) -> Result<Dbc, DbcError> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let mut dbc = Dbc::default();
    let mut current: Option<usize> = None;
    let mut floats: Vec<(usize, FrameId, String, Float)> = Vec::new();
    let mut values: Vec<(usize, ValueLabels)> = Vec::new();
    let mut extended: Vec<FrameId> = Vec::new();
    // Vector's pseudo-message parks unassigned signals; it and its signals are skipped (§3.2).
    let mut in_pseudo = false;
    for (line, keyword, body) in Statements::new(&text) {
        let err = |why: String| format!("DBC line {line}: {why}");
        match keyword {
            "BO_" => {
                let message = message(&body).map_err(err)?;
                current = None;
                in_pseudo = message.name == "VECTOR__INDEPENDENT_SIG_MSG";
                if in_pseudo {
                    continue;
                }
                if let Some(&other) = dbc.by_id.get(&message.id) {
                    return Err(err(format!("message id {} is already used by {} (line {})", message.id, dbc.messages[other].name, dbc.messages[other].line)));
                }
                if let Some(other) = dbc.by_name(&message.name) {
                    return Err(err(format!("message name {} is already used (line {})", message.name, dbc.messages[other].line)));
                }
                dbc.by_id.insert(message.id, dbc.messages.len());
                current = Some(dbc.messages.len());
                dbc.messages.push(Message { line, ..message });
            }
            "SG_" => {
                if in_pseudo {
                    continue;
                }
                let (signal, ext) = signal(&body, line).map_err(err)?;
                let Some(m) = current.map(|i| &mut dbc.messages[i]) else {
                    return Err(err("SG_ outside a message".into()));
                };
                if m.signals.iter().any(|s| s.name == signal.name) {
                    return Err(err(format!("signal {} appears twice in message {}", signal.name, m.name)));
                }
                m.extended_mux |= ext;
                m.signals.push(signal);
            }
            "VAL_" => {
                current = None;
                if let Some(v) = val(&body).map_err(err)? {
                    values.push((line, v));
                }
            }
            "SIG_VALTYPE_" => {
                current = None;
                let (id, name, float) = valtype(&body).map_err(err)?;
                floats.push((line, id, name, float));
            }
            "SG_MUL_VAL_" => {
                current = None;
                let id = body.split_whitespace().next().and_then(|t| frame_id(t).ok()).ok_or_else(|| err("SG_MUL_VAL_ without a message id".into()))?;
                extended.push(id);
            }
            _ => {
                current = None;
                in_pseudo = false;
            }
        }
    }
    for (line, v) in values {
        let (id, name) = (v.id, v.signal);
        signal_mut(&mut dbc, id, &name).ok_or_else(|| format!("DBC line {line}: VAL_ for unknown signal {id} {name}"))?.labels = v.labels;
    }
    for (line, id, name, float) in floats {
        signal_mut(&mut dbc, id, &name).ok_or_else(|| format!("DBC line {line}: SIG_VALTYPE_ for unknown signal {id} {name}"))?.float = Some(float);
    }
    for id in extended {
        if let Some(i) = dbc.index_of(id) {
            dbc.messages[i].extended_mux = true;
        }
    }
    Ok(dbc)
}

fn signal_mut<'a>(dbc: &'a mut Dbc, id: FrameId, name: &str) -> Option<&'a mut Signal> {
    let i = dbc.index_of(id)?;
    dbc.messages[i].signals.iter_mut().find(|s| s.name == name)
}

/// A `BO_` message id (decimal; bit 31 set = extended).
fn frame_id(token: &str) -> Result<FrameId, String> {
    let raw: u64 = token.parse().map_err(|_| format!("message id {token:?} is not a decimal number"))?;
    if raw >= 0x8000_0000 {
        Ok(FrameId { id: (raw & 0x1FFF_FFFF) as u32, extended: true })
    } else if raw <= 0x7FF {
        Ok(FrameId { id: raw as u32, extended: false })
    } else {
        Err(format!("standard message id {raw} is above 0x7FF"))
    }
}

/// `BO_ <id> <name>: <len> <transmitter>`
fn message(body: &str) -> Result<Message, String> {
    let (head, tail) = body.split_once(':').ok_or("BO_ without ':' after the message name")?;
    let mut head = head.split_whitespace();
    let id_token = head.next().ok_or("BO_ without an id")?;
    let name = head.next().ok_or("BO_ without a name")?.to_owned();
    let id = frame_id(id_token)?;
    let len_token = tail.split_whitespace().next().ok_or("BO_ without a length")?;
    let len: usize = len_token.parse().map_err(|_| format!("message length {len_token:?} is not a number"))?;
    if len > 64 {
        return Err(format!("message length {len} is more than 64 bytes"));
    }
    Ok(Message { id, name, len, signals: Vec::new(), extended_mux: false, line: 0 })
}

/// ` SG_ <name> [M|m<n>|m<n>M] : <start>|<len>@<order><sign> (<factor>,<offset>) [<min>|<max>] "<unit>" <receivers>`;
/// returns the signal and whether it uses extended multiplexing.
fn signal(body: &str, line: usize) -> Result<(Signal, bool), String> {
    let (head, tail) = body.split_once(':').ok_or("SG_ without ':'")?;
    let mut head = head.split_whitespace();
    let name = head.next().ok_or("SG_ without a name")?.to_owned();
    let (mux, extended) = match head.next() {
        None => (Mux::None, false),
        Some("M") => (Mux::Switch, false),
        Some(t) if t.starts_with('m') => {
            let digits = t[1..].trim_end_matches('M');
            let n = digits.parse().map_err(|_| format!("multiplex indicator {t:?}"))?;
            (Mux::When(n), t.ends_with('M'))
        }
        Some(t) => return Err(format!("unexpected {t:?} between the signal name and ':'")),
    };
    let tail = tail.trim_start();
    let (layout, rest) = tail.split_once(char::is_whitespace).unwrap_or((tail, ""));
    let bad_layout = || format!("layout {layout:?} is not start|length@order sign");
    let (start, rest_layout) = layout.split_once('|').ok_or_else(bad_layout)?;
    let (len, order) = rest_layout.split_once('@').ok_or_else(bad_layout)?;
    let start: u16 = start.parse().map_err(|_| bad_layout())?;
    let len: u16 = len.parse().map_err(|_| bad_layout())?;
    let (little_endian, signed) = match order {
        "1+" => (true, false),
        "1-" => (true, true),
        "0+" => (false, false),
        "0-" => (false, true),
        _ => return Err(bad_layout()),
    };
    if len == 0 || len > 64 {
        return Err(format!("signal {name} has length {len}; 1 to 64 bits are allowed"));
    }
    let open = rest.find('(').ok_or("SG_ without (factor,offset)")?;
    let close = rest[open..].find(')').ok_or("SG_ without a closing ')'")? + open;
    let (factor, offset) = rest[open + 1..close].split_once(',').ok_or("(factor,offset) without ','")?;
    let number = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("{s:?} is not a number"));
    Ok((
        Signal {
            name,
            layout: crate::bits::Layout { start, len, little_endian },
            signed,
            factor: number(factor)?,
            offset: number(offset)?,
            mux,
            float: None,
            labels: Vec::new(),
            line,
        },
        extended,
    ))
}

/// The labels of one `VAL_` statement.
struct ValueLabels {
    id: FrameId,
    signal: String,
    labels: Vec<(i64, String)>,
}

/// `VAL_ <id> <signal> <raw> "<label>" … ;` (the `;` already cut). `None` for environment
/// variable descriptions (no numeric id).
fn val(body: &str) -> Result<Option<ValueLabels>, String> {
    let mut rest = body.trim();
    let (id, after) = rest.split_once(char::is_whitespace).ok_or("VAL_ without a signal")?;
    if id.parse::<u64>().is_err() {
        return Ok(None);
    }
    let id = frame_id(id)?;
    rest = after.trim_start();
    let (name, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let mut labels = Vec::new();
    let mut rest = after.trim_start();
    while !rest.is_empty() {
        let (raw, after) = rest.split_once(char::is_whitespace).ok_or_else(|| format!("VAL_ value {rest:?} without a label"))?;
        let raw: i64 = raw.parse().map_err(|_| format!("VAL_ value {raw:?} is not an integer"))?;
        let after = after.trim_start().strip_prefix('"').ok_or("VAL_ label is not quoted")?;
        let end = after.find('"').ok_or("VAL_ label without a closing quote")?;
        labels.push((raw, after[..end].to_owned()));
        rest = after[end + 1..].trim_start();
    }
    Ok(Some(ValueLabels { id, signal: name.to_owned(), labels }))
}

/// `SIG_VALTYPE_ <id> <signal> : <1|2>` (the `;` already cut).
fn valtype(body: &str) -> Result<(FrameId, String, Float), String> {
    let cleaned = body.replace(':', " ");
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let [id, name, kind] = tokens[..] else { return Err(format!("SIG_VALTYPE_ {body:?}")) };
    let float = match kind {
        "1" => Float::F32,
        "2" => Float::F64,
        other => return Err(format!("SIG_VALTYPE_ type {other} (1 = float, 2 = double)")),
    };
    Ok((frame_id(id)?, name.to_owned(), float))
}

/// Splits DBC text into statements: (line, keyword, body). Statements that end with `;` are read
/// up to a `;` outside quotes (across lines); others end with their line, unless a quoted string
/// is still open. The `NS_` block's indented keyword list is skipped.
struct Statements<'a> {
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
    in_ns_block: bool,
}

/// Statements that run up to a `;`.
const SEMICOLON_STATEMENTS: [&str; 3] = ["VAL_", "SIG_VALTYPE_", "SG_MUL_VAL_"];

impl<'a> Statements<'a> {
    fn new(text: &'a str) -> Self {
        Self { lines: text.lines().enumerate(), in_ns_block: false }
    }
}

impl Iterator for Statements<'_> {
    type Item = (usize, &'static str, String);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (index, raw) = self.lines.next()?;
            let line = index + 1;
            let text = raw.trim_end_matches('\r');
            let indented = text.starts_with([' ', '\t']);
            let trimmed = text.trim();
            if trimmed.is_empty() {
                continue;
            }
            if self.in_ns_block && indented {
                continue;
            }
            self.in_ns_block = false;
            let keyword = trimmed.split(|c: char| c.is_whitespace() || c == ':').next().unwrap_or("");
            if keyword == "NS_" {
                self.in_ns_block = true;
                continue;
            }
            let mut body = trimmed[keyword.len()..].to_owned();
            let wants_semicolon = SEMICOLON_STATEMENTS.contains(&keyword);
            while (wants_semicolon && !ends_statement(&body)) || open_quote(&body) {
                match self.lines.next() {
                    Some((_, more)) => {
                        body.push('\n');
                        body.push_str(more.trim_end_matches('\r'));
                    }
                    None => break,
                }
            }
            if wants_semicolon && let Some(end) = semicolon(&body) {
                body.truncate(end);
            }
            let known: &'static str = match keyword {
                "BO_" => "BO_",
                "SG_" => "SG_",
                "VAL_" => "VAL_",
                "SIG_VALTYPE_" => "SIG_VALTYPE_",
                "SG_MUL_VAL_" => "SG_MUL_VAL_",
                _ => "other",
            };
            return Some((line, known, body));
        }
    }
}

fn open_quote(s: &str) -> bool {
    let mut open = false;
    let mut escaped = false;
    for c in s.chars() {
        match c {
            '\\' if open => escaped = !escaped,
            '"' if !escaped => open = !open,
            _ => escaped = false,
        }
    }
    open
}

/// Byte index of the first `;` outside quotes.
fn semicolon(s: &str) -> Option<usize> {
    let mut open = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if open => escaped = !escaped,
            '"' if !escaped => open = !open,
            ';' if !open => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn ends_statement(s: &str) -> bool {
    semicolon(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "VERSION \"\"\n\nNS_ :\n    CM_\n    SG_MUL_VAL_\n\nBS_:\nBU_: ECU\n\n\
BO_ 1280 ENGINE_STATUS: 8 ECU\n SG_ PAGE M : 0|2@1+ (1,0) [0|3] \"\" XXX\n SG_ OIL_TEMP m0 : 8|8@1+ (1,-40) [-40|215] \"degC\" XXX\n\
 SG_ FUEL_LEVEL m1 : 8|8@1+ (0.4,0.0) [0.0|100.0] \"%\"  ECU,XXX\n SG_ RPM : 16|16@1+ (0.25,0) [0|16383.75] \"rpm\" XXX\n\n\
CM_ SG_ 1280 RPM \"a comment; with a semicolon\nand a second line \\\"quoted\\\"\";\nFOO_ unknown statement\n\
BO_ 2147483904 EXT: 8 ECU\n SG_ X : 7|16@0- (1E-005,2) [0|0] \"deg C\" ECU\n\
VAL_ 1280 PAGE 0 \"oil\" 1 \"fuel level\" 3 \"none\" ;\nSIG_VALTYPE_ 2147483904 X : 1;\n";

    #[test]
    fn messages_signals_labels_and_floats() {
        let dbc = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(dbc.messages.len(), 2);
        let message = |id| dbc.index_of(id).map(|i| &dbc.messages[i]);
        let m = message(FrameId { id: 0x500, extended: false }).unwrap();
        assert_eq!((m.name.as_str(), m.len, m.signals.len(), m.switch()), ("ENGINE_STATUS", 8, 4, Some(0)));
        assert_eq!(m.signals[1].mux, Mux::When(0));
        assert_eq!(m.signals[0].label(1), Some("fuel level"));
        let x = &message(FrameId { id: 0x100, extended: true }).unwrap().signals[0];
        assert_eq!((x.layout.little_endian, x.signed, x.factor, x.offset, x.float), (false, true, 1e-5, 2.0, Some(Float::F32)));
        assert!(message(FrameId { id: 0x100, extended: false }).is_none(), "standard and extended ids differ");
    }

    #[test]
    fn errors_name_their_line() {
        let dup = "BO_ 1 A: 8 X\nBO_ 1 B: 8 X\n";
        assert_eq!(parse(dup.as_bytes()).unwrap_err(), "DBC line 2: message id 0x001 is already used by A (line 1)");
        let long = "BO_ 1 A: 8 X\n SG_ S : 0|65@1+ (1,0) [0|0] \"\" X\n";
        assert_eq!(parse(long.as_bytes()).unwrap_err(), "DBC line 2: signal S has length 65; 1 to 64 bits are allowed");
        let twice = "BO_ 1 A: 8 X\n SG_ S : 0|8@1+ (1,0) [0|0] \"\" X\n SG_ S : 8|8@1+ (1,0) [0|0] \"\" X\n";
        assert_eq!(parse(twice.as_bytes()).unwrap_err(), "DBC line 3: signal S appears twice in message A");
        let bad = "BO_ 1 A: 8 X\n SG_ S : 0|8@2+ (1,0) [0|0] \"\" X\n";
        assert!(parse(bad.as_bytes()).unwrap_err().starts_with("DBC line 2: layout"));
    }

    #[test]
    fn latin1_bytes_are_never_an_error() {
        let bytes = b"BO_ 1 A: 8 X\n SG_ T : 0|8@1+ (1,-40) [0|0] \"\xb0C\" X\nCM_ \"K\xfchlmitteltemperatur\";\n";
        let dbc = parse(bytes).unwrap();
        assert_eq!(dbc.messages[0].signals.len(), 1);
    }
}
