//! OBD-II responses to catalogue signals (format doc §3–§6): the Mode 01 PIDs in scope with
//! their formulas and VSS paths, Mode 03 trouble codes, Mode 09 VIN.

use dataplace_sdk::Rows;

/// Every signal this plugin can emit.
pub const SIGNALS: [&str; 19] = [
    MIL, DTC_COUNT, LOAD, COOLANT, MAP, RPM, SPEED, INTAKE, MAF, THROTTLE, RUN_TIME, DIST_MIL, FUEL, DIST_CLEAR, VOLTAGE, AMBIENT,
    OIL, ODOMETER, DTC_LIST,
];
const DTC_LIST: &str = "Vehicle.Diagnostics.DTCList";
const MIL: &str = "Vehicle.OBD.Status.IsMILOn";
const DTC_COUNT: &str = "Vehicle.Diagnostics.DTCCount";
const LOAD: &str = "Vehicle.OBD.EngineLoad";
const COOLANT: &str = "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature";
const MAP: &str = "Vehicle.Powertrain.CombustionEngine.MAP";
const RPM: &str = "Vehicle.Powertrain.CombustionEngine.Speed";
const SPEED: &str = "Vehicle.Speed";
const INTAKE: &str = "Vehicle.OBD.IntakeTemp";
const MAF: &str = "Vehicle.OBD.MAF";
const THROTTLE: &str = "Vehicle.OBD.ThrottlePosition";
const RUN_TIME: &str = "Vehicle.OBD.RunTime";
const DIST_MIL: &str = "Vehicle.OBD.DistanceWithMIL";
const FUEL: &str = "Vehicle.OBD.FuelLevel";
const DIST_CLEAR: &str = "Vehicle.OBD.DistanceSinceDTCClear";
const VOLTAGE: &str = "Vehicle.OBD.ControlModuleVoltage";
const AMBIENT: &str = "Vehicle.Exterior.AirTemperature";
const OIL: &str = "Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature";
const ODOMETER: &str = "Vehicle.TraveledDistance";

/// What a response message turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Observations were written.
    Observations,
    /// A "supported PIDs" bitmap: valid, nothing to convert.
    Bitmap,
    /// A valid VIN (Mode 09 PID 02).
    Vin(String),
}

/// Why a response message was rejected: (reason code, message).
pub type Rejection = (&'static str, String);

/// Data bytes of each Mode 01 PID in scope.
fn data_len(pid: u8) -> Option<usize> {
    Some(match pid {
        0x01 => 4,
        0x04 | 0x05 | 0x0B | 0x0D | 0x0F | 0x11 | 0x2F | 0x46 | 0x5C => 1,
        0x0C | 0x10 | 0x1F | 0x21 | 0x31 | 0x42 => 2,
        0xA6 => 4,
        _ => return None,
    })
}

/// A character allowed in a VIN: digits and capitals except I, O and Q.
pub fn is_vin_char(c: u8) -> bool {
    c.is_ascii_digit() || (c.is_ascii_uppercase() && !matches!(c, b'I' | b'O' | b'Q'))
}

/// Decode one response message (§2.4). Observations need the vehicle id, which the caller fixes
/// lazily: `rows` is called only when there is something to write.
pub fn decode<'b>(msg: &[u8], time: i64, rows: impl FnOnce() -> Rows<'b>) -> Result<Decoded, Rejection> {
    if msg.len() < 2 {
        return Err(("length", format!("a response needs at least 2 bytes, got {}", msg.len())));
    }
    match msg[0] {
        0x41 => mode01(msg[1], &msg[2..], time, rows),
        0x43 => mode03(msg, time, rows),
        0x49 => mode09(msg),
        other => Err(("unsupported-service", format!("service 0x{other:02X} is not converted"))),
    }
}

fn mode01<'b>(pid: u8, data: &[u8], time: i64, rows: impl FnOnce() -> Rows<'b>) -> Result<Decoded, Rejection> {
    if pid.is_multiple_of(0x20) && pid <= 0xE0 {
        return if data.len() == 4 {
            Ok(Decoded::Bitmap)
        } else {
            Err(("length", format!("supported-PIDs bitmap 0x{pid:02X} needs 4 data bytes, got {}", data.len())))
        };
    }
    let n = data_len(pid).ok_or_else(|| ("unknown-pid", format!("Mode 01 PID 0x{pid:02X} is not in scope")))?;
    if data.len() != n {
        return Err(("length", format!("PID 0x{pid:02X} needs {n} data bytes, got {}", data.len())));
    }
    let a = f64::from(data[0]);
    let ab = || f64::from(u16::from_be_bytes([data[0], data[1]]));
    let pct = a * 100.0 / 255.0;
    if pid == 0xA6 {
        let tenths_km = u64::from(u32::from_be_bytes([data[0], data[1], data[2], data[3]]));
        let metres = tenths_km * 100;
        if metres > u64::from(u32::MAX) {
            return Err(("out-of-range", format!("odometer {metres} m overflows Vehicle.TraveledDistance (uint32)")));
        }
        rows().int(time, ODOMETER, metres as i64);
        return Ok(Decoded::Observations);
    }
    let mut r = rows();
    match pid {
        0x01 => r.bool(time, MIL, data[0] & 0x80 != 0).int(time, DTC_COUNT, i64::from(data[0] & 0x7F)),
        0x04 => r.double(time, LOAD, pct),
        0x05 => r.double(time, COOLANT, a - 40.0),
        0x0B => r.int(time, MAP, i64::from(data[0])),
        0x0C => r.double(time, RPM, ab() / 4.0),
        0x0D => r.double(time, SPEED, a),
        0x0F => r.double(time, INTAKE, a - 40.0),
        0x10 => r.double(time, MAF, ab() / 100.0),
        0x11 => r.double(time, THROTTLE, pct),
        0x1F => r.double(time, RUN_TIME, ab()),
        0x21 => r.double(time, DIST_MIL, ab()),
        0x2F => r.double(time, FUEL, pct),
        0x31 => r.double(time, DIST_CLEAR, ab()),
        0x42 => r.double(time, VOLTAGE, ab() / 1000.0),
        0x46 => r.double(time, AMBIENT, a - 40.0),
        0x5C => r.double(time, OIL, a - 40.0),
        _ => unreachable!("data_len covers exactly these PIDs"),
    };
    Ok(Decoded::Observations)
}

/// Mode 03: `43 N` then N two-byte codes (§4).
fn mode03<'b>(msg: &[u8], time: i64, rows: impl FnOnce() -> Rows<'b>) -> Result<Decoded, Rejection> {
    let n = usize::from(msg[1]);
    if msg.len() != 2 + 2 * n {
        return Err(("length", format!("Mode 03 with {n} codes needs {} bytes, got {}", 2 + 2 * n, msg.len())));
    }
    let codes: Vec<String> = msg[2..].chunks(2).filter(|c| c != &[0, 0]).map(|c| dtc(c[0], c[1])).collect();
    rows().text_list(time, DTC_LIST, &codes);
    Ok(Decoded::Observations)
}

/// A two-byte trouble code as its five characters (`P0301`).
fn dtc(x: u8, y: u8) -> String {
    let system = ['P', 'C', 'B', 'U'][usize::from(x >> 6)];
    format!("{system}{}{:X}{:02X}", (x >> 4) & 0x3, x & 0xF, y)
}

/// Mode 09: only PID 02 with the 20-byte CAN layout (§5).
fn mode09(msg: &[u8]) -> Result<Decoded, Rejection> {
    if msg.len() != 20 || msg[1] != 0x02 || msg[2] != 0x01 {
        return Err(("unsupported-service", "only Mode 09 PID 02 (49 02 01 + 17 VIN bytes) is converted".into()));
    }
    let vin = &msg[3..];
    if !vin.iter().all(|&c| is_vin_char(c)) {
        return Err(("vin", format!("{:?} is not a valid VIN", String::from_utf8_lossy(vin))));
    }
    Ok(Decoded::Vin(String::from_utf8_lossy(vin).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trouble_codes_follow_the_bit_layout() {
        assert_eq!(dtc(0x03, 0x01), "P0301");
        assert_eq!(dtc(0x41, 0x21), "C0121");
        assert_eq!(dtc(0xAA, 0xBC), "B2ABC");
        assert_eq!(dtc(0xFF, 0x0F), "U3F0F");
    }
}
