//! Teltonika fields to catalogue signals (VSS 6.0 paths), with the value rules of the format
//! doc §8: widths come from the IO group, only IO 32 is signed, out-of-range values give no
//! observation but a diagnostic note.

use dataplace_sdk::Rows;

pub const LATITUDE: &str = "Vehicle.CurrentLocation.Latitude";
pub const LONGITUDE: &str = "Vehicle.CurrentLocation.Longitude";
pub const ALTITUDE: &str = "Vehicle.CurrentLocation.Altitude";
pub const HEADING: &str = "Vehicle.CurrentLocation.Heading";
pub const SPEED: &str = "Vehicle.Speed";
pub const IGNITION: &str = "Vehicle.LowVoltageSystemState";
pub const MOVING: &str = "Vehicle.IsMoving";
pub const VOLTAGE: &str = "Vehicle.LowVoltageBattery.CurrentVoltage";
pub const ODOMETER: &str = "Vehicle.TraveledDistance";
pub const TRIP: &str = "Vehicle.TraveledDistanceSinceStart";
pub const RPM: &str = "Vehicle.Powertrain.CombustionEngine.Speed";
pub const RUNNING: &str = "Vehicle.Powertrain.CombustionEngine.IsRunning";
pub const OBD_SPEED: &str = "Vehicle.OBD.Speed";
pub const LOAD: &str = "Vehicle.OBD.EngineLoad";
pub const COOLANT: &str = "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature";
pub const FUEL: &str = "Vehicle.Powertrain.FuelSystem.RelativeLevel";
pub const DTC_COUNT: &str = "Vehicle.Diagnostics.DTCCount";
pub const VIN: &str = "Vehicle.VehicleIdentification.VIN";

/// Every signal this plugin can emit.
pub const SIGNALS: [&str; 18] = [
    LATITUDE, LONGITUDE, ALTITUDE, HEADING, SPEED, IGNITION, MOVING, VOLTAGE, ODOMETER, TRIP, RPM,
    RUNNING, OBD_SPEED, LOAD, COOLANT, FUEL, DTC_COUNT, VIN,
];

/// IO ids with a mapping (§8.2).
const MAPPED_IO: [u16; 12] = [239, 240, 66, 16, 199, 36, 37, 31, 32, 48, 30, 256];

/// The index of a mapped IO id in the mapping table (to track repeats in a bit set), or `None`
/// for an id this plugin does not map.
pub fn slot(id: u16) -> Option<u8> {
    MAPPED_IO.iter().position(|&m| m == id).map(|i| i as u8)
}

/// The GPS element of one record (§6.1).
#[derive(Debug, Clone, Copy)]
pub struct Gps {
    pub longitude: i32,
    pub latitude: i32,
    pub altitude: i16,
    pub angle: u16,
    pub satellites: u8,
    pub speed: u16,
}

/// What happened to a field that produced no observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    NoFix,
    PositionOutOfRange,
    AngleOutOfRange,
}

/// Emit the GPS-element signals (§8.1), or say why not.
pub fn gps(rows: &mut Rows<'_>, time: i64, g: Gps) -> Result<(), Skip> {
    if g.satellites == 0 {
        return Err(Skip::NoFix);
    }
    if !(-900_000_000..=900_000_000).contains(&g.latitude) || !(-1_800_000_000..=1_800_000_000).contains(&g.longitude) {
        return Err(Skip::PositionOutOfRange);
    }
    rows.double(time, LATITUDE, f64::from(g.latitude) / 1e7)
        .double(time, LONGITUDE, f64::from(g.longitude) / 1e7)
        .double(time, ALTITUDE, f64::from(g.altitude))
        .double(time, SPEED, f64::from(g.speed));
    if g.angle > 360 {
        return Err(Skip::AngleOutOfRange);
    }
    rows.double(time, HEADING, f64::from(g.angle));
    Ok(())
}

/// Emit the signals of one mapped IO element; `value` holds its bytes (width of its group, or
/// its own length in the NX section). Returns false when the value is out of range.
pub fn io(rows: &mut Rows<'_>, time: i64, id: u16, value: &[u8]) -> bool {
    if id == 256 {
        let vin_ok = value.len() == 17 && value.iter().all(u8::is_ascii_alphanumeric);
        if vin_ok {
            // All bytes are ASCII, so this cannot fail.
            rows.text(time, VIN, std::str::from_utf8(value).unwrap_or_default());
        }
        return vin_ok;
    }
    let Some(raw) = unsigned(value) else { return false };
    match id {
        239 | 240 if raw > 1 => return false,
        239 => rows.text(time, IGNITION, if raw == 1 { "ON" } else { "OFF" }),
        240 => rows.bool(time, MOVING, raw == 1),
        66 => rows.double(time, VOLTAGE, raw as f64 * 0.001),
        16 => rows.int(time, ODOMETER, raw as i64),
        199 => rows.int(time, TRIP, raw as i64),
        36 => rows.double(time, RPM, raw as f64).bool(time, RUNNING, raw > 0),
        37 => rows.double(time, OBD_SPEED, raw as f64),
        31 => rows.double(time, LOAD, raw as f64),
        32 => rows.double(time, COOLANT, signed(raw, value.len()) as f64),
        48 if raw > 100 => return false,
        48 => rows.int(time, FUEL, raw as i64),
        30 => rows.int(time, DTC_COUNT, raw as i64),
        _ => return false,
    };
    true
}

/// A big-endian unsigned value of 1, 2, 4 or 8 bytes; `None` for other widths, and for 8-byte
/// values above `i64::MAX` (no catalogue integer holds them).
fn unsigned(value: &[u8]) -> Option<u64> {
    let raw = match value.len() {
        1 | 2 | 4 | 8 => value.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)),
        _ => return None,
    };
    (raw <= i64::MAX as u64).then_some(raw)
}

/// Two's complement of `raw` at `width` bytes.
fn signed(raw: u64, width: usize) -> i64 {
    let shift = 64 - 8 * width as u32;
    ((raw << shift) as i64) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_signs_follow_the_group() {
        assert_eq!(unsigned(&[0x5E, 0x0F]), Some(24_079));
        assert_eq!(unsigned(&[1, 2, 3]), None);
        assert_eq!(unsigned(&[0xFF; 8]), None);
        assert_eq!(signed(0xFB, 1), -5);
        assert_eq!(signed(0xFFFB, 2), -5);
        assert_eq!(signed(0x7F, 1), 127);
    }
}
