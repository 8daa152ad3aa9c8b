//! The candump + DBC converter against the format doc's worked examples (with the example DBCs
//! and mappings of `examples/candump/`) and against logs written by the independent writer in
//! `dataplace-fixtures`, at chunk sizes 1, 7 and 64 KiB.

use dataplace_candump_dbc::CandumpDbc;
use dataplace_fixtures::candump::{self, put, raw_of, sg};
use dataplace_sdk::native::{self, Observation, Output, Value};
use dataplace_sdk::{Error, Position};
use std::path::PathBuf;


fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/candump").join(name);
    String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
}

/// The native harness reads the runtime's own catalogue.
fn with_catalogue() {
    dataplace_tests::use_runtime_catalogue();
}

fn sorted(mut v: Vec<Observation>) -> Vec<Observation> {
    v.sort_by(|a, b| (a.time_us, &a.signal).cmp(&(b.time_us, &b.signal)));
    v
}

fn convert(log: &str, dbc: &str, mapping: &str) -> Output {
    with_catalogue();
    let config = [("vehicle_id", "WBA-TEST"), ("dbc", dbc), ("mapping", mapping)];
    native::convert_checked::<CandumpDbc>(&config, "bus.log", log.as_bytes()).unwrap()
}

fn config_error(dbc: &str, mapping: &str) -> String {
    with_catalogue();
    match native::convert::<CandumpDbc>(&[("vehicle_id", "V"), ("dbc", dbc), ("mapping", mapping)], "bus.log", b"", 7) {
        Err(Error::Config(m)) => m,
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn obs(time_us: i64, signal: &str, value: Value) -> Observation {
    Observation { vehicle_id: "WBA-TEST".into(), time_us, signal: signal.into(), value }
}

fn value(out: &Output, signal: &str) -> Value {
    out.observations.iter().find(|o| o.signal == signal).unwrap_or_else(|| panic!("no {signal}")).value.clone()
}

#[test]
fn worked_examples_intel_bmw() {
    let log = "(1717171800.250000) can0 1A0#5213F03F00FEAFC4\n(1717171800.260000) can0 0C4#E0FC0075000000\n\
               (1717171800.270000) can0 3B4#0036E20000000000\n(1717171800.280000) can0 1D2#0100000000000000\n\
               (1717171800.290000) can0 1D2#0000000000000000\n";
    let out = convert(log, &example("bmw_e9x_e8x.dbc"), &example("bmw_e9x_e8x.mapping.toml"));
    let speed = value(&out, "Vehicle.Speed");
    assert!(matches!(speed, Value::Double(v) if (v - 87.55).abs() < 1e-9), "{speed:?}");
    assert_eq!(value(&out, "Vehicle.Chassis.SteeringWheel.Angle"), Value::Int(-34));
    assert!(matches!(value(&out, "Vehicle.LowVoltageBattery.CurrentVoltage"), Value::Double(v) if (v - 14.05).abs() < 1e-9));
    let gears: Vec<&Observation> = out.observations.iter().filter(|o| o.signal.ends_with("SelectedGear")).collect();
    assert_eq!(gears.len(), 1, "raw 0 (\"Off\") is not in the map: no observation");
    assert_eq!(gears[0].value, Value::Int(126));
    assert_eq!(out.observations.iter().find(|o| o.signal == "Vehicle.Speed").unwrap().time_us, 1_717_171_800_250_000);
}

#[test]
fn worked_examples_motorola_prius() {
    let log = "(1700000123.456789) can1 025#0FE20000DFF40000\n(1700000124.000001) can1 0B4#000000002A1F4086\n\
               (1700000124.100000) can1 0B4##5000000002A1F4086\n(1700000125.000000) can1 127#0000000000300000\n\
               (1700000126.000000) can1 025#0FFD000000000000\n(1700000127.000000) can1 025#0003000000000000\n";
    let out = convert(log, &example("toyota_prius_2010_pt.dbc"), &example("toyota_prius_2010_pt.mapping.toml"));
    let angles: Vec<(i64, Value)> = out.observations.iter().filter(|o| o.signal.ends_with("SteeringWheel.Angle")).map(|o| (o.time_us, o.value.clone())).collect();
    assert_eq!(angles, [(1_700_000_123_456_789, Value::Int(-45)), (1_700_000_126_000_000, Value::Int(-5)), (1_700_000_127_000_000, Value::Int(5))], "halves round away from zero");
    let speeds: Vec<Value> = out.observations.iter().filter(|o| o.signal == "Vehicle.Speed").map(|o| o.value.clone()).collect();
    assert_eq!(speeds.len(), 2, "the CAN FD frame decodes like the classic one");
    assert!(speeds.iter().all(|v| matches!(v, Value::Double(x) if (x - 79.8234624).abs() < 1e-9)));
    assert_eq!(value(&out, "Vehicle.Powertrain.Transmission.SelectedGear"), Value::Int(127));
}

const MUX_DBC: &str = "BO_ 1280 ENGINE_STATUS: 8 ECU\n SG_ PAGE M : 0|2@1+ (1,0) [0|3] \"\" XXX\n\
 SG_ OIL_TEMP m0 : 8|8@1+ (1,-40) [-40|215] \"degC\" XXX\n SG_ FUEL_LEVEL m1 : 8|8@1+ (0.4,0) [0|100] \"%\" XXX\n\
 SG_ RPM : 16|16@1+ (0.25,0) [0|16383.75] \"rpm\" XXX\n";
const MUX_MAPPING: &str = "[[signal]]\ndbc = \"ENGINE_STATUS.OIL_TEMP\"\nvss = \"Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature\"\n\
[[signal]]\ndbc = \"ENGINE_STATUS.FUEL_LEVEL\"\nvss = \"Vehicle.Powertrain.FuelSystem.RelativeLevel\"\n\
[[signal]]\ndbc = \"ENGINE_STATUS.RPM\"\nvss = \"Vehicle.Powertrain.CombustionEngine.Speed\"\n";

#[test]
fn worked_example_multiplexing() {
    let log = "(1.000000) can0 500#00820C1C00000000\n(2.000000) can0 500#01C80C1C00000000\n(3.000000) can0 500#02C80C1C00000000\n";
    let out = convert(log, MUX_DBC, MUX_MAPPING);
    assert_eq!(
        sorted(out.observations),
        vec![
            obs(1_000_000, "Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature", Value::Double(90.0)),
            obs(1_000_000, "Vehicle.Powertrain.CombustionEngine.Speed", Value::Double(1795.0)),
            obs(2_000_000, "Vehicle.Powertrain.CombustionEngine.Speed", Value::Double(1795.0)),
            obs(2_000_000, "Vehicle.Powertrain.FuelSystem.RelativeLevel", Value::Int(80)),
            obs(3_000_000, "Vehicle.Powertrain.CombustionEngine.Speed", Value::Double(1795.0)),
        ]
    );
}

/// Signals placed by the fixture writer at every width and both byte orders decode to the value
/// the doc's formula gives for the written raw value.
#[test]
fn intel_and_motorola_signals_of_every_width() {
    let mut dbc = String::from("BO_ 256 WIDE: 8 ECU\n");
    let mut mapping = String::new();
    let targets = ["Vehicle.Speed", "Vehicle.OBD.MAF", "Vehicle.OBD.EngineLoad", "Vehicle.OBD.ThrottlePosition", "Vehicle.OBD.FuelLevel", "Vehicle.OBD.RunTime"];
    let layouts = [sg(0, 64, true, true, 1.0, 0.0), sg(3, 13, true, true, 0.5, -2.0), sg(20, 7, true, false, 1.0, 0.0), sg(7, 64, false, false, 1.0, 0.0), sg(12, 9, false, true, 0.25, 0.0), sg(55, 1, false, false, 1.0, 0.0)];
    for (i, (l, vss)) in layouts.iter().zip(targets).enumerate() {
        dbc += &format!(" SG_ S{i} : {}|{}@{}{} ({},{}) [0|0] \"\" X\n", l.start, l.len, if l.intel { 1 } else { 0 }, if l.signed { "-" } else { "+" }, l.factor, l.offset);
        mapping += &format!("[[signal]]\ndbc = \"WIDE.S{i}\"\nvss = \"{vss}\"\n");
    }
    // One frame per group of non-overlapping signals; each frame is checked for the signals it was written with.
    let frames: [&[(usize, f64)]; 4] = [&[(0, -123_456_789.0)], &[(1, -300.5), (2, 100.0)], &[(3, 18_000_000_000_000_000_000.0)], &[(4, -60.0), (5, 1.0)]];
    let mut log = String::new();
    for (f, signals) in frames.iter().enumerate() {
        let mut payload = [0u8; 8];
        for (i, v) in signals.iter() {
            put(&mut payload, &layouts[*i], raw_of(&layouts[*i], *v));
        }
        log += &candump::line(1_000_000 + f as i64, "can0", "100", &payload);
        log.push('\n');
    }
    let out = convert(&log, &dbc, &mapping);
    let at = |t: i64, s: &str| out.observations.iter().find(|o| o.time_us == t && o.signal == s).map(|o| o.value.clone());
    assert_eq!(at(1_000_000, "Vehicle.Speed"), Some(Value::Double(-123_456_789.0)), "64-bit signed Intel");
    assert_eq!(at(1_000_001, "Vehicle.OBD.MAF"), Some(Value::Double(-300.5)), "13-bit signed Intel at an odd start");
    assert_eq!(at(1_000_001, "Vehicle.OBD.EngineLoad"), Some(Value::Double(100.0)));
    assert_eq!(at(1_000_002, "Vehicle.OBD.ThrottlePosition"), Some(Value::Double(18_000_000_000_000_000_000.0)), "64-bit unsigned Motorola");
    assert_eq!(at(1_000_003, "Vehicle.OBD.FuelLevel"), Some(Value::Double(-60.0)), "9-bit signed Motorola across bytes");
    assert_eq!(at(1_000_003, "Vehicle.OBD.RunTime"), Some(Value::Double(1.0)), "1-bit Motorola");
}

#[test]
fn line_outcomes_and_positions() {
    let dbc = example("toyota_prius_2010_pt.dbc");
    let mapping = example("toyota_prius_2010_pt.mapping.toml");
    let lines = [
        "(1700000124.000001) can1 0B4#000000002A1F4086",  // 1 decoded
        "",                                               // blank: not a unit
        "(1700000124.000002) can1 0B4#0000",              // 3 short payload
        "(1700000124.000003) can1 7E8#0011223344556677",  // 4 unmapped id
        "(1700000124.000004) can1 1C4#R8",                // 5 remote
        "(1700000124.000005) can1 20000080#0000000000000000", // 6 error frame
        "DROPCOUNT: dropped 1 CAN frames on 'can1' socket (total drops 1)", // 7
        "(1700000124.0000) can1 0B4#000000002A1F4086",    // 8 bad fraction
        "(1700000124.000009) can1 9A0#00",                // 9 standard id > 7FF
        "(1700000124.000010) can1 000000B4#000000002A1F4086", // 10 extended 0xB4 is not SPEED
        "(1700000124.000011) can1 45123#81:00:12345678#11223344", // 11 CAN XL
        "(1700000124.000012) can1 0B4#000000002A1F408 T",  // 12 odd hex
        "(1700001234.5",                                   // 13 cut off by a power loss
    ];
    let out = convert(&(lines.join("\r\n")), &dbc, &mapping);
    assert_eq!(out.observations.len(), 1);
    let rejects: Vec<(Position, &str)> = out.rejects.iter().map(|r| (r.position, r.code.as_str())).collect();
    assert_eq!(rejects, [(Position::Line(3), "short-payload"), (Position::Line(8), "malformed"), (Position::Line(9), "malformed"), (Position::Line(12), "malformed"), (Position::Line(13), "malformed")]);
    assert_eq!(out.rejects[0].message, "payload 2 byte(s) < DBC length 8 of SPEED (0x0B4)");
    for (reason, n) in [("unmapped id", 2), ("remote frame", 1), ("error frame", 1), ("dropcount notice", 1), ("CAN XL frame", 1)] {
        assert_eq!(out.skipped.get(reason), Some(&n), "{reason}");
    }
}

#[test]
fn configuration_errors_name_the_entry() {
    let dbc = example("bmw_e9x_e8x.dbc");
    let entry = |body: &str| format!("[[signal]]\n{body}\n");
    let cases = [
        (entry("dbc = \"Speed.VehicleSpeed\"\nvss = \"Vehicle.Speed\"\ncolour = 1"), "unknown field `colour`"),
        (entry("dbc = \"Speed\"\nvss = \"Vehicle.Speed\""), "`dbc` must be MESSAGE.SIGNAL"),
        (entry("dbc = \"Nope.VehicleSpeed\"\nvss = \"Vehicle.Speed\""), "the DBC has no message Nope"),
        (entry("dbc = \"Speed.Nope\"\nvss = \"Vehicle.Speed\""), "message Speed has no signal Nope"),
        (entry("dbc = \"Speed.VehicleSpeed\"\nvss = \"Vehicle.Warp\""), "Vehicle.Warp is not a signal of the catalogue"),
        (entry("dbc = \"Speed.VehicleSpeed\"\nvss = \"Vehicle.Diagnostics.DTCList\""), "is an array signal"),
        (entry("dbc = \"TransmissionDataDisplay.ShiftLeverPosition\"\nvss = \"Vehicle.Powertrain.Transmission.SelectedGear\"\nmap = { P = 126 }\nscale = 2.0"), "`map` excludes `scale` and `offset`"),
        (entry("dbc = \"TransmissionDataDisplay.ShiftLeverPosition\"\nvss = \"Vehicle.Powertrain.Transmission.SelectedGear\"\nmap = { Q = 1 }"), "map key \"Q\" is neither"),
        (entry("dbc = \"TransmissionDataDisplay.ShiftLeverPosition\"\nvss = \"Vehicle.Powertrain.Transmission.SelectedGear\"\nmap = { P = \"park\" }"), "does not fit"),
        (entry("dbc = \"TransmissionDataDisplay.ShiftLeverPosition\"\nvss = \"Vehicle.Powertrain.Transmission.SelectedGear\"\nmap = { P = 126, \"1\" = 1 }"), "names raw value 1 twice"),
        (entry("dbc = \"Speed.VehicleSpeed\"\nvss = \"Vehicle.Speed\"") + &entry("dbc = \"WheelSpeeds.Wheel_FL\"\nvss = \"Vehicle.Speed\""), "Vehicle.Speed is mapped twice"),
    ];
    for (mapping, expected) in cases {
        let e = config_error(&dbc, &mapping);
        assert!(e.contains(expected), "{e:?} should contain {expected:?}");
        assert!(e.starts_with("mapping"), "{e}");
    }
    let ext = "BO_ 1 A: 8 X\n SG_ S M : 0|2@1+ (1,0) [0|0] \"\" X\n SG_ T m0M : 8|8@1+ (1,0) [0|0] \"\" X\n";
    assert!(config_error(ext, &entry("dbc = \"A.S\"\nvss = \"Vehicle.Speed\"")).contains("extended multiplexing"));
    assert!(config_error("BO_ 1 A: 8 X\nBO_ 2 A: 8 X\n", "").starts_with("DBC line 2: message name A"));
    with_catalogue();
    let missing = native::convert::<CandumpDbc>(&[("dbc", &dbc), ("mapping", "")], "bus.log", b"", 7).unwrap_err();
    assert_eq!(missing, Error::Config("key `vehicle_id` is required".into()));
}

#[test]
fn the_example_drives_convert() {
    for (dbc, mapping, generator) in [
        ("bmw_e9x_e8x.dbc", "bmw_e9x_e8x.mapping.toml", "bmw"),
        ("toyota_prius_2010_pt.dbc", "toyota_prius_2010_pt.mapping.toml", "prius"),
        ("hyundai_2015_ccan.dbc", "hyundai_2015_ccan.mapping.toml", "hyundai"),
    ] {
        let log = candump::drive(generator, 1_714_550_000_000_000, 60, 5);
        let out = convert(&log, &example(dbc), &example(mapping));
        assert!(out.rejects.is_empty(), "{generator}: {:?}", out.rejects.first());
        assert!(out.observations.len() > 3_000, "{generator}: {}", out.observations.len());
        assert!(out.skipped["unmapped id"] > 0 && out.skipped["remote frame"] > 0, "{generator}");
        if generator == "hyundai" {
            let map = out.observations.iter().filter(|o| o.signal == "Vehicle.Powertrain.CombustionEngine.MAP").count();
            let baro = out.observations.iter().filter(|o| o.signal == "Vehicle.OBD.BarometricPressure").count();
            assert!(map > 0 && baro > 0 && map + baro == 1200, "each EMS13 frame carries one page: {map} + {baro}");
        }
    }
}
