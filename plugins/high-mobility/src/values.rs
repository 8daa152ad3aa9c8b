//! Auto API value encodings (format doc §4): big-endian doubles, percentages as fractions, unit
//! values in whatever unit the sender chose (converted here to the catalogue's unit), enums and
//! the composite types the mapping uses.

/// Why a data component cannot be decoded.
pub type Undecodable = String;

/// A measurement type and the catalogue unit its values are converted to (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    /// → metres
    Length,
    /// → km/h
    Speed,
    /// → rpm
    AngularVelocity,
    /// → °C
    Temperature,
    /// → V
    Voltage,
    /// → litres
    Volume,
    /// → seconds
    Duration,
    /// → kPa
    Pressure,
    /// → degrees
    Angle,
    /// → l/100 km
    FuelEfficiency,
}

impl Measurement {
    fn id(self) -> u8 {
        match self {
            Measurement::Length => 0x12,
            Measurement::Speed => 0x16,
            Measurement::AngularVelocity => 0x03,
            Measurement::Temperature => 0x17,
            Measurement::Voltage => 0x0a,
            Measurement::Volume => 0x19,
            Measurement::Duration => 0x07,
            Measurement::Pressure => 0x15,
            Measurement::Angle => 0x02,
            Measurement::FuelEfficiency => 0x0f,
        }
    }

    /// Convert `v`, given in unit `unit`, to the catalogue unit; `None` for a unit id the spec
    /// does not list for this measurement.
    fn convert(self, unit: u8, v: f64) -> Option<f64> {
        use std::f64::consts::PI;
        let scale = |factors: &[(u8, f64)]| factors.iter().find(|(u, _)| *u == unit).map(|(_, f)| v * f);
        match self {
            Measurement::Length => scale(&[
                (0x00, 1.0), (0x01, 0.001), (0x02, 0.01), (0x03, 0.1), (0x04, 1000.0), (0x05, 1e6), (0x0b, 0.0254), (0x0c, 0.3048),
                (0x0d, 0.9144), (0x0e, 1609.344), (0x0f, 10_000.0), (0x11, 1852.0),
            ]),
            Measurement::Speed => scale(&[(0x00, 3.6), (0x01, 1.0), (0x02, 1.609344), (0x03, 1.852)]),
            Measurement::AngularVelocity => scale(&[(0x00, 1.0), (0x01, 1.0 / 6.0), (0x02, 60.0 / (2.0 * PI))]),
            Measurement::Temperature => match unit {
                0x00 => Some(v - 273.15),
                0x01 => Some(v),
                0x02 => Some((v - 32.0) * 5.0 / 9.0),
                _ => None,
            },
            Measurement::Voltage => scale(&[(0x00, 1.0), (0x01, 0.001), (0x02, 1000.0)]),
            Measurement::Volume => scale(&[
                (0x02, 1.0), (0x03, 0.001), (0x04, 0.01), (0x05, 0.1), (0x07, 1000.0), (0x08, 1.0), (0x09, 0.001), (0x0a, 1e-6),
                (0x0b, 0.016387064), (0x0c, 28.316846592), (0x13, 0.0295735296875), (0x17, 3.785411784), (0x1a, 0.0284130625),
                (0x1d, 4.54609),
            ]),
            Measurement::Duration => scale(&[(0x00, 1.0), (0x01, 60.0), (0x02, 3600.0), (0x03, 86_400.0), (0x04, 604_800.0), (0x05, 2_629_800.0), (0x06, 0.001)]),
            Measurement::Pressure => scale(&[(0x00, 0.001), (0x03, 1.0), (0x05, 3.38639), (0x06, 100.0), (0x07, 0.1), (0x08, 0.133322), (0x09, 6.894757)]),
            Measurement::Angle => scale(&[(0x00, 1.0), (0x03, 180.0 / PI), (0x05, 360.0)]),
            Measurement::FuelEfficiency => match unit {
                0x00 => Some(v),
                0x01 => Some(282.4809363 / v),
                0x02 => Some(235.2145833 / v),
                0x03 => Some(100.0 / v),
                _ => None,
            },
        }
    }
}

/// A big-endian IEEE-754 double of exactly 8 bytes.
pub fn double(data: &[u8]) -> Result<f64, Undecodable> {
    let bytes: [u8; 8] = data.try_into().map_err(|_| format!("a double needs 8 bytes, got {}", data.len()))?;
    Ok(f64::from_be_bytes(bytes))
}

/// A percentage (a fraction, §4.2) in percent.
pub fn percent(data: &[u8]) -> Result<f64, Undecodable> {
    Ok(double(data)? * 100.0)
}

/// A 10-byte unit value of measurement `m`, in the catalogue unit.
pub fn unit(data: &[u8], m: Measurement) -> Result<f64, Undecodable> {
    if data.len() != 10 {
        return Err(format!("a unit value needs 10 bytes, got {}", data.len()));
    }
    if data[0] != m.id() {
        return Err(format!("measurement type 0x{:02x}, expected 0x{:02x} ({m:?})", data[0], m.id()));
    }
    let v = double(&data[2..])?;
    m.convert(data[1], v).ok_or_else(|| format!("unit id 0x{:02x} is not a {m:?} unit", data[1]))
}

/// A one-byte enum whose defined values are `0..=max`.
pub fn enumeration(data: &[u8], max: u8) -> Result<u8, Undecodable> {
    match data {
        [v] if *v <= max => Ok(*v),
        [v] => Err(format!("enum value {v} is not defined (0..={max})")),
        _ => Err(format!("an enum needs 1 byte, got {}", data.len())),
    }
}

/// A whole-value UTF-8 string.
pub fn text(data: &[u8]) -> Result<&str, Undecodable> {
    std::str::from_utf8(data).map_err(|_| "invalid UTF-8".to_owned())
}

/// A `u16` length-prefixed string inside a composite; returns it and the rest.
pub fn string16(data: &[u8]) -> Result<(&str, &[u8]), Undecodable> {
    let short = || "a string runs past its composite".to_owned();
    let len = usize::from(u16::from_be_bytes([*data.first().ok_or_else(short)?, *data.get(1).ok_or_else(short)?]));
    let s = data.get(2..2 + len).ok_or_else(short)?;
    Ok((text(s)?, &data[2 + len..]))
}

/// A value rounded half away from zero into `lo..=hi` (integer catalogue types, §6.3).
pub fn integer(v: f64, lo: i64, hi: i64) -> Result<i64, Undecodable> {
    let r = v.round();
    if r.is_finite() && r >= lo as f64 && r <= hi as f64 {
        Ok(r as i64)
    } else {
        Err(format!("{v} is outside the target integer range {lo}..={hi}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_bytes(m: u8, u: u8, v: f64) -> Vec<u8> {
        let mut b = vec![m, u];
        b.extend_from_slice(&v.to_be_bytes());
        b
    }

    #[test]
    fn units_convert_to_the_catalogue_units() {
        assert_eq!(unit(&unit_bytes(0x12, 0x04, 12345.6), Measurement::Length).unwrap(), 12_345_600.0);
        assert!((unit(&unit_bytes(0x15, 0x09, 36.0), Measurement::Pressure).unwrap() - 248.211252).abs() < 1e-6);
        assert_eq!(unit(&unit_bytes(0x17, 0x00, 273.15), Measurement::Temperature).unwrap(), 0.0);
        assert!((unit(&unit_bytes(0x0f, 0x03, 20.0), Measurement::FuelEfficiency).unwrap() - 5.0).abs() < 1e-12);
        assert!(unit(&unit_bytes(0x12, 0x04, 1.0), Measurement::Speed).unwrap_err().contains("measurement type"));
        assert!(unit(&unit_bytes(0x16, 0x09, 1.0), Measurement::Speed).unwrap_err().contains("unit id 0x09"));
    }

    #[test]
    fn integers_round_half_away_from_zero() {
        assert_eq!(integer(61.75, 0, 255), Ok(62));
        assert_eq!(integer(-4.5, -10, 10), Ok(-5));
        assert!(integer(255.6, 0, 255).is_err());
        assert!(integer(f64::NAN, 0, 255).is_err());
    }
}
