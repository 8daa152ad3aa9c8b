//! A converter for a fleet's CSV trip log — the starting point `dataplace plugin new` gives
//! you. Replace the format with yours; keep the shape: parse units, emit observations with their
//! catalogue ids, skip or reject every unit that yields none, with a reason.
//!
//! The format: one header line `time_ms,speed_kmh,odometer_km`, then one line per sample, e.g.
//! `1714557600000,52.5,12345.678`. The vehicle is the `vehicle_id` config key, else the file
//! name's stem. Each sample becomes `Vehicle.Speed` (km/h) and `Vehicle.TraveledDistance`
//! (the catalogue wants whole metres). Blank lines and the header are skipped; any other line
//! that does not parse is rejected with its line number.
//!
//! Build the component: `cargo build --release --target wasm32-wasip2`.
//! Check it in the real sandbox: `dataplace plugin test . fixtures`.

use dataplace_sdk::{Batch, Config, Converter, Error, Info, Line, Lines, Position};

/// One session: the conversion of one input file.
pub struct FleetCsv {
    vehicle: String,
    lines: Lines,
}

impl Converter for FleetCsv {
    const INFO: Info = Info {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        formats: &["fleet-csv-v1"],
        unit: "line",
        config: &[],
    };

    fn open(config: &Config, object_name: &str) -> Result<Self, Error> {
        Ok(Self { vehicle: config.vehicle_id_or_stem(object_name), lines: Lines::default() })
    }

    fn signals(&self) -> Vec<String> {
        vec!["Vehicle.Speed".into(), "Vehicle.TraveledDistance".into()]
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
        let vehicle = &self.vehicle;
        self.lines.push(chunk, |line| convert_line(vehicle, line, out));
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
        let vehicle = &self.vehicle;
        self.lines.finish(|line| convert_line(vehicle, line, out));
        Ok(())
    }
}

/// Convert one line: every line is exactly one of decoded, skipped or rejected.
fn convert_line(vehicle: &str, line: Line<'_>, out: &mut Batch) {
    let text = String::from_utf8_lossy(line.text);
    let text = text.trim();
    if text.is_empty() {
        return out.skipped("blank");
    }
    if text.starts_with("time_ms") {
        return out.skipped("header");
    }
    match parse_sample(text) {
        Ok((time_us, speed_kmh, odometer_m)) => {
            out.vehicle(vehicle).double(time_us, "Vehicle.Speed", speed_kmh).int(time_us, "Vehicle.TraveledDistance", odometer_m);
            out.decoded();
        }
        Err(why) => out.reject(Position::Line(line.number), "malformed", why, line.text),
    }
}

/// `time_ms,speed_kmh,odometer_km` → (time in µs, km/h, whole metres).
fn parse_sample(text: &str) -> Result<(i64, f64, i64), String> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    let [time_ms, speed, odometer] = fields[..] else {
        return Err(format!("expected 3 fields (time_ms,speed_kmh,odometer_km), found {}", fields.len()));
    };
    let time_ms: i64 = time_ms.parse().map_err(|_| format!("time_ms {time_ms:?} is not an integer"))?;
    let speed: f64 = speed.parse().map_err(|_| format!("speed_kmh {speed:?} is not a number"))?;
    let odometer: f64 = odometer.parse().map_err(|_| format!("odometer_km {odometer:?} is not a number"))?;
    Ok((time_ms * 1000, speed, (odometer * 1000.0).round() as i64))
}

dataplace_sdk::plugin!(FleetCsv);

#[cfg(test)]
mod tests {
    use super::*;
    use dataplace_sdk::native::{Value, convert_checked};

    /// Byte by byte, in odd chunks or whole, the fixture converts the same way.
    #[test]
    fn the_fixture_converts_natively_in_any_chunking() {
        let out = convert_checked::<FleetCsv>(&[], "van-7.csv", include_bytes!("../fixtures/trip.csv")).unwrap();
        assert_eq!((out.units_read, out.decoded, out.skipped_total(), out.rejects.len()), (6, 3, 2, 1));
        assert_eq!(out.rejects[0].code, "malformed");
        let first = &out.observations[0];
        assert_eq!((first.vehicle_id.as_str(), first.time_us, first.signal.as_str()), ("van-7", 1_714_557_600_000_000, "Vehicle.Speed"));
        assert_eq!(first.value, Value::Double(0.0));
        let odometers: Vec<_> = out.observations.iter().filter(|o| o.signal == "Vehicle.TraveledDistance").map(|o| o.value.clone()).collect();
        assert_eq!(odometers, [Value::Int(12_345_600), Value::Int(12_345_612), Value::Int(12_345_650)]);
    }
}
