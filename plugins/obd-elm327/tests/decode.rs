//! The OBD-II/ELM327 converter against the format doc's worked examples and against logs written
//! by the independent writer in `dataplace-fixtures`, at chunk sizes 1, 7 and 64 KiB.

use dataplace_fixtures::obd::{self, multi, single, timestamp};
use dataplace_obd_elm327::Obd;
use dataplace_sdk::Position;
use dataplace_sdk::native::{self, Observation, Output, Value};

const T: i64 = 1_714_557_600_250; // 2024-05-01T10:00:00.250Z, ms

fn sorted(mut v: Vec<Observation>) -> Vec<Observation> {
    v.sort_by(|a, b| (a.time_us, &a.signal).cmp(&(b.time_us, &b.signal)));
    v
}

/// Convert at every chunk size, check they agree and that the ledger adds up.
fn convert(log: &str, config: &[(&str, &str)]) -> Output {
    native::convert_checked::<Obd>(config, "logs/car-17.log", log.as_bytes()).unwrap()
}

fn obs(vehicle: &str, time_ms: i64, signal: &str, value: Value) -> Observation {
    Observation { vehicle_id: vehicle.into(), time_us: time_ms * 1000, signal: signal.into(), value }
}

fn rejects(out: &Output) -> Vec<(u64, &str)> {
    out.rejects
        .iter()
        .map(|r| match r.position {
            Position::Line(n) => (n, r.code.as_str()),
            Position::Byte(_) => panic!("OBD rejects are by line"),
        })
        .collect()
}

#[test]
fn worked_examples_of_the_format_doc() {
    let log = "2024-05-01T10:00:00.250Z 41 0C 0B 30\n2024-05-01T10:00:01.000Z 41 05 7B\n2024-05-01T10:00:02.500Z 43 02 03 01 41 21\n";
    let out = convert(log, &[]);
    assert_eq!(
        sorted(out.observations),
        vec![
            obs("car-17", 1_714_557_600_250, "Vehicle.Powertrain.CombustionEngine.Speed", Value::Double(716.0)),
            obs("car-17", 1_714_557_601_000, "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", Value::Double(83.0)),
            obs("car-17", 1_714_557_602_500, "Vehicle.Diagnostics.DTCList", Value::TextList(vec!["P0301".into(), "C0121".into()])),
        ]
    );
    assert_eq!((out.units_read, out.decoded, out.rejects.len()), (3, 3, 0));
}

/// One response per PID in scope, with the values the doc's formulas give.
#[test]
fn every_mode01_pid_in_scope() {
    let (a, b, c, d) = (0x9Cu8, 0x40u8, 0x01u8, 0x02u8);
    let ab = f64::from(u16::from_be_bytes([a, b]));
    type Response = (u8, Vec<u8>, Vec<(&'static str, Value)>);
    let responses: Vec<Response> = vec![
        (0x01, vec![0x83, 0x07, 0x65, 0x00], vec![("Vehicle.OBD.Status.IsMILOn", Value::Bool(true)), ("Vehicle.Diagnostics.DTCCount", Value::Int(3))]),
        (0x04, vec![a], vec![("Vehicle.OBD.EngineLoad", Value::Double(f64::from(a) * 100.0 / 255.0))]),
        (0x05, vec![a], vec![("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", Value::Double(f64::from(a) - 40.0))]),
        (0x0B, vec![a], vec![("Vehicle.Powertrain.CombustionEngine.MAP", Value::Int(i64::from(a)))]),
        (0x0C, vec![a, b], vec![("Vehicle.Powertrain.CombustionEngine.Speed", Value::Double(ab / 4.0))]),
        (0x0D, vec![a], vec![("Vehicle.Speed", Value::Double(f64::from(a)))]),
        (0x0F, vec![a], vec![("Vehicle.OBD.IntakeTemp", Value::Double(f64::from(a) - 40.0))]),
        (0x10, vec![a, b], vec![("Vehicle.OBD.MAF", Value::Double(ab / 100.0))]),
        (0x11, vec![a], vec![("Vehicle.OBD.ThrottlePosition", Value::Double(f64::from(a) * 100.0 / 255.0))]),
        (0x1F, vec![a, b], vec![("Vehicle.OBD.RunTime", Value::Double(ab))]),
        (0x21, vec![a, b], vec![("Vehicle.OBD.DistanceWithMIL", Value::Double(ab))]),
        (0x2F, vec![a], vec![("Vehicle.OBD.FuelLevel", Value::Double(f64::from(a) * 100.0 / 255.0))]),
        (0x31, vec![a, b], vec![("Vehicle.OBD.DistanceSinceDTCClear", Value::Double(ab))]),
        (0x42, vec![a, b], vec![("Vehicle.OBD.ControlModuleVoltage", Value::Double(ab / 1000.0))]),
        (0x46, vec![a], vec![("Vehicle.Exterior.AirTemperature", Value::Double(f64::from(a) - 40.0))]),
        (0x5C, vec![a], vec![("Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature", Value::Double(f64::from(a) - 40.0))]),
        (0xA6, vec![0, c, d, a], vec![("Vehicle.TraveledDistance", Value::Int(i64::from(u32::from_be_bytes([0, c, d, a]))  * 100))]),
    ];
    let mut log = String::new();
    let mut expected = Vec::new();
    for (i, (pid, data, values)) in responses.iter().enumerate() {
        let t = T + i as i64 * 100;
        let mut m = vec![0x41, *pid];
        m.extend_from_slice(data);
        log += &(single(t, &m) + "\n");
        expected.extend(values.iter().map(|(s, v)| obs("car-17", t, s, v.clone())));
    }
    let out = convert(&log, &[]);
    assert_eq!(sorted(out.observations), sorted(expected));
    assert!(out.rejects.is_empty());
    let declared = out.signals;
    assert!(declared.contains(&"Vehicle.Diagnostics.DTCList".to_owned()));
}

#[test]
fn multi_frame_vin_and_trouble_codes() {
    let vin = "1FTFW1E55NFA12345";
    let mut lines = vec!["# a log with the VIN on the bus".to_owned()];
    lines.extend(multi(T, &obd::mode09_vin(vin), 0x00));
    lines.push(String::new()); // blank lines do not interrupt anything
    lines.extend(multi(T + 500, &obd::mode03(&["P0301", "P0420", "C0121"]), 0x55));
    lines.push(single(T + 900, &[0x43, 0x00]));
    let out = convert(&(lines.join("\r\n") + "\r\n"), &[("vehicle_id", "ignored-when-the-vin-is-known")]);
    assert_eq!(
        out.observations,
        vec![
            obs(vin, T + 500, "Vehicle.Diagnostics.DTCList", Value::TextList(vec!["P0301".into(), "P0420".into(), "C0121".into()])),
            obs(vin, T + 900, "Vehicle.Diagnostics.DTCList", Value::TextList(vec![])),
        ]
    );
    // comment skipped; 4 VIN lines + 3 DTC lines + 1 empty list decoded; the blank line is no unit.
    assert_eq!((out.units_read, out.decoded, out.skipped_total()), (9, 8, 1));
}

#[test]
fn an_interrupted_group_rejects_each_of_its_lines() {
    let mut lines = multi(T, &obd::mode03(&["P0301", "P0420", "C0121"]), 0x00); // 3 lines
    lines.truncate(2); // header and segment 0 only
    lines.push(single(T + 100, &[0x41, 0x0D, 0x32])); // line 3 interrupts; decodes on its own
    lines.push(format!("{} 1: 41 21 00 00 00 00 00", timestamp(T + 200))); // line 4: a stray segment
    let mut vin = multi(T + 300, &obd::mode09_vin("1FTFW1E55NFA12345"), 0x00); // lines 5..8
    vin.remove(2); // segment 1 missing: segment 2 arrives instead
    lines.extend(vin);
    lines.extend(multi(T + 400, &obd::mode03(&["P0301", "P0420", "C0121"]), 0x00)[..2].to_vec()); // lines 8, 9: cut by end of file
    let out = convert(&lines.join("\n"), &[]);
    assert_eq!(out.observations, vec![obs("car-17", T + 100, "Vehicle.Speed", Value::Double(50.0))]);
    assert_eq!(
        rejects(&out),
        [(1, "multi-frame"), (2, "multi-frame"), (4, "multi-frame"), (5, "multi-frame"), (6, "multi-frame"), (7, "multi-frame"), (8, "multi-frame"), (9, "multi-frame")]
    );
    assert!(out.rejects[0].message.contains("a single-line response interrupted it"), "{}", out.rejects[0].message);
    for r in &out.rejects[3..5] {
        assert!(r.message.contains("segment 2 arrived where 1 was expected"), "{}", r.message);
    }
    assert_eq!(out.rejects[5].message, "a segment line outside a multi-frame response");
    assert!(out.rejects[7].message.contains("the log ends inside a multi-frame response"));
}

#[test]
fn the_vehicle_id_is_fixed_before_the_first_observation() {
    let speed = |t| single(t, &[0x41, 0x0D, 0x10]);
    let late_vin = format!("{}\n# VIN: WBA3A5C51CF256985\n# VIN: 1FTFW1E55NFA12345\n{}\n", speed(T), speed(T + 1));
    let out = convert(&late_vin, &[("vehicle_id", "FLEET-7")]);
    assert!(out.observations.iter().all(|o| o.vehicle_id == "FLEET-7"), "a VIN after the first observation relabels nothing");
    assert_eq!(out.notes["vin after the first observation ignored"], 2);
    let early = format!("# VIN: WBA3A5C51CF256985\n# VIN: 1FTFW1E55NFA12345\n{}\n", speed(T));
    assert_eq!(convert(&early, &[("vehicle_id", "FLEET-7")]).observations[0].vehicle_id, "WBA3A5C51CF256985", "the first VIN wins");
    assert_eq!(convert(&speed(T), &[]).observations[0].vehicle_id, "car-17", "the object's stem");
}

#[test]
fn malformed_lines_are_rejected_with_their_numbers_and_the_rest_converts() {
    let lines = [
        single(T, &[0x41, 0x0D, 0x10]),                             // 1 ok
        format!("{} NO DATA", timestamp(T)),                        // 2 adapter message
        "2024-05-01T10:00:00Z 41 0D 10".to_owned(),                  // 3 no milliseconds
        "2024-05-01T10:00:00.250+02:00 41 0D 10".to_owned(),         // 4 offset
        single(T, &[0x41, 0x99, 0x10]),                             // 5 unknown PID
        single(T, &[0x41, 0x0C, 0x10]),                             // 6 wrong length
        single(T, &[0x7F, 0x01, 0x12]),                             // 7 negative response
        format!("{} 41 0D 3G", timestamp(T)),                       // 8 bad hex
        format!("{} 000", timestamp(T)),                            // 9 header of 0 bytes
        "# VIN: WBA3A5C51CF25698O".to_owned(),                       // 10 O is not a VIN character
        single(T, &[0x41, 0x00, 0xBE, 0x3E, 0xB8, 0x13]),           // 11 bitmap: skipped
        single(T, &[0x41, 0x20, 0xBE]),                             // 12 bitmap of wrong length
        single(T, &[0x41, 0xA6, 0xFF, 0xFF, 0xFF, 0xFF]),           // 13 odometer overflow
        format!("{} ", timestamp(T)),                               // 14 empty payload
        single(T, &[0x49, 0x04, 0x01, 0x41]),                       // 15 other Mode 09
        single(T, &[0x43, 0x02, 0x03, 0x01]),                       // 16 Mode 03 count mismatch
        single(T + 5, &[0x41, 0x05, 0x7B]),                         // 17 ok
        "2024-05-01T10:00:00.2".to_owned(),                          // 18 cut off by a power loss (no newline)
    ];
    let out = convert(&lines.join("\n"), &[]);
    assert_eq!(out.observations.len(), 2);
    assert_eq!(
        rejects(&out),
        [
            (2, "adapter-message"),
            (3, "timestamp"),
            (4, "timestamp"),
            (5, "unknown-pid"),
            (6, "length"),
            (7, "unsupported-service"),
            (8, "malformed"),
            (9, "multi-frame"),
            (10, "vin"),
            (12, "length"),
            (13, "out-of-range"),
            (14, "malformed"),
            (15, "unsupported-service"),
            (16, "length"),
            (18, "timestamp"),
        ]
    );
    assert_eq!(out.skipped["supported-pid bitmap"], 1);
    assert_eq!(out.rejects[0].excerpt, format!("{} NO DATA", timestamp(T)).into_bytes());
}

#[test]
fn a_realistic_log_converts_completely() {
    for (vin, seed) in [(obd::Vin::Comment("WF0XXXGCDX7512345"), 1), (obd::Vin::Mode09("WF0XXXGCDX7512345"), 2)] {
        let log = obd::session(vin, 1_714_550_000_000, 20, seed);
        let out = convert(&log, &[]);
        assert!(out.observations.len() > 10_000, "{}", out.observations.len());
        assert!(out.observations.iter().all(|o| o.vehicle_id == "WF0XXXGCDX7512345"));
        assert!(out.rejects.iter().all(|r| r.code == "adapter-message"), "only the NO DATA lines are rejected");
        assert!(out.observations.iter().any(|o| o.signal == "Vehicle.Diagnostics.DTCList"));
        assert!(out.observations.iter().any(|o| o.signal == "Vehicle.TraveledDistance"));
    }
}
