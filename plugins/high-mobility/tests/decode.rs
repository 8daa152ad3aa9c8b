//! The Auto API converter against the format doc's worked examples and against messages built
//! by the independent encoder in `dataplace-fixtures`, at chunk sizes 1, 7 and 64 KiB.

use dataplace_fixtures::high_mobility::{self as hm, data, failure, frame, message, message_time, property, timed, unit};
use dataplace_high_mobility::HighMobility;
use dataplace_sdk::Position;
use dataplace_sdk::native::{self, Observation, Output, Value};

const VIN: &str = "1FTFW1E55NFA12345";
const T: u64 = 1_715_934_615_250;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn sorted(mut v: Vec<Observation>) -> Vec<Observation> {
    v.sort_by(|a, b| (a.time_us, &a.signal).cmp(&(b.time_us, &b.signal)));
    v
}

/// Convert at every chunk size, check they agree and that the ledger adds up.
fn convert(input: &[u8], config: &[(&str, &str)]) -> Output {
    native::convert_checked::<HighMobility>(config, "feed.bin", input).unwrap()
}

fn obs(vehicle: &str, ms: u64, signal: &str, value: Value) -> Observation {
    Observation { vehicle_id: vehicle.into(), time_us: ms as i64 * 1000, signal: signal.into(), value }
}

fn codes(out: &Output) -> Vec<&str> {
    out.rejects.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn worked_example_1_vin_odometer_and_coolant() {
    let input = hex(
        "00 00 00 51 0d 00 33 01 a3 00 14 01 00 11 31 46 54 46 57 31 45 35 35 4e 46 41 31 32 33 34 35
         1f 00 18 01 00 0a 12 04 40 c8 1c cc cc cc cc cd 02 00 08 00 00 01 8f 85 ac 56 d2
         11 00 18 01 00 0a 17 01 40 56 20 00 00 00 00 00 02 00 08 00 00 01 8f 85 ac 56 d2",
    );
    let out = convert(&input, &[]);
    assert_eq!(
        sorted(out.observations),
        vec![
            obs(VIN, T, "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", Value::Double(88.5)),
            obs(VIN, T, "Vehicle.TraveledDistance", Value::Int(12_345_600)),
        ]
    );
    assert!(out.rejects.is_empty());
    assert_eq!((out.units_read, out.decoded), (3, 3), "VIN, odometer, coolant");
}

#[test]
fn worked_example_2_message_time_tyres_and_a_failed_property() {
    let input = hex(
        "00 00 00 44 0d 00 33 01 a2 00 0b 01 00 08 00 00 01 8f 85 ad 05 a0
         1a 00 0e 01 00 0b 00 15 06 40 03 33 33 33 33 33 33
         1a 00 0e 01 00 0b 02 15 09 40 42 00 00 00 00 00 00
         05 00 0d 03 00 0a 07 00 07 70 72 69 76 61 63 79",
    );
    let v = "VF3ABCDEF12345678";
    let out = convert(&input, &[("vehicle_id", v)]);
    assert_eq!(
        sorted(out.observations),
        vec![
            obs(v, 1_715_934_660_000, "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure", Value::Int(240)),
            obs(v, 1_715_934_660_000, "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure", Value::Int(248)),
        ]
    );
    assert_eq!(out.rejects.len(), 1);
    let r = &out.rejects[0];
    assert_eq!((r.position, r.code.as_str()), (Position::Byte(0), "failure"));
    assert!(r.message.contains("privacy_mode_active") && r.message.contains("\"privacy\""), "{}", r.message);
}

/// Every mapped property of §7.1, encoded by the fixture encoder, in the unit the catalogue wants
/// or in another one.
#[test]
fn every_mapped_property_with_unit_conversion() {
    let t = T;
    let diag = message(
        0x0033,
        &[
            hm::vin(VIN),
            message_time(t),
            property(0x1f, &[data(&unit(0x12, 0x0e, 100.0))]),              // 100 miles
            property(0x03, &[data(&unit(0x16, 0x00, 10.0))]),               // 10 m/s
            property(0x04, &[data(&unit(0x03, 0x02, 100.0))]),              // 100 rad/s
            property(0x02, &[data(&unit(0x17, 0x02, 212.0))]),              // 212 °F
            property(0x11, &[data(&unit(0x17, 0x00, 363.15))]),             // 363.15 K
            property(0x05, &[data(&hm::percentage(0.6175))]),               // 61.75 % → 62
            property(0x0f, &[data(&unit(0x19, 0x17, 10.0))]),               // 10 US gal
            property(0x06, &[data(&unit(0x12, 0x04, 432.1))]),              // km
            property(0x0b, &[data(&unit(0x0a, 0x01, 12_600.0))]),           // mV
            property(0x09, &[data(&[2])]),                                 // very_low → low
            property(0x0c, &[data(&hm::percentage(0.5))]),
            property(0x25, &[data(&unit(0x12, 0x04, 1500.0))]),
            property(0x20, &[data(&unit(0x07, 0x03, 2.0))]),                // 2 days
            property(0x33, &[data(&[2])]),                                 // very_low
            property(0x32, &[data(&[1])]),                                 // filled
        ],
    );
    let loc = message(
        0x0030,
        &[
            message_time(t + 1),
            property(0x04, &[data(&hm::coordinates(48.137, -11.575))]),
            property(0x05, &[data(&unit(0x02, 0x05, 1.25))]),                // 1.25 revolutions → 90°
            property(0x06, &[data(&unit(0x12, 0x0c, 1000.0))]),             // feet
        ],
    );
    let charging = message(
        0x0023,
        &[
            message_time(t + 2),
            property(0x03, &[data(&hm::percentage(0.8))]),
            property(0x02, &[data(&unit(0x12, 0x04, 250.4))]),
            property(0x08, &[data(&hm::percentage(0.9))]),
            property(0x09, &[data(&unit(0x07, 0x01, 95.0))]),               // minutes
            property(0x17, &[data(&[8])]),                                 // fast_charging
            property(0x16, &[data(&[2])]),
            property(0x0b, &[data(&[1])]),
            property(0x3b, &[data(&unit(0x0a, 0x02, 0.4))]),                // kV
            property(0x14, &[data(&unit(0x17, 0x01, 31.5))]),
            property(0x50, &[data(&hm::percentage(1.04))]),                 // may exceed 100 %
        ],
    );
    let rest = [
        message(0x0034, &[message_time(t + 3), property(0x0e, &[data(&unit(0x12, 0x00, -1500.0))]), property(0x0d, &[data(&unit(0x07, 0x03, 30.0))]), property(0x1e, &[data(&[2])])]),
        message(0x0035, &[message_time(t + 4), property(0x03, &[data(&[2])])]),
        message(0x0069, &[message_time(t + 5), property(0x01, &[data(&[1])])]),
        message(0x0061, &[message_time(t + 6), property(0x01, &[data(&[0x4a, 1])]), property(0x01, &[data(&[0x13, 0])])]),
        message(0x0068, &[message_time(t + 7), property(0x0e, &[data(&unit(0x0f, 0x02, 47.0))])]),
        message(0x0014, &[message_time(t + 8), property(0x03, &[data(b"Transit Custom")]), property(0x07, &[data(&2023u16.to_be_bytes())]), property(0x18, &[data(&unit(0x19, 0x1d, 15.0))])]),
    ];
    let mut input = frame(&diag);
    for m in [loc, charging].iter().chain(&rest) {
        input.extend(frame(m));
    }
    let out = convert(&input, &[]);
    assert!(out.rejects.is_empty(), "{:?}", out.rejects);
    let d = |ms: u64, s: &str, v: f64| obs(VIN, ms, s, Value::Double(v));
    let i = |ms: u64, s: &str, v: i64| obs(VIN, ms, s, Value::Int(v));
    let b = |ms: u64, s: &str, v: bool| obs(VIN, ms, s, Value::Bool(v));
    let x = |ms: u64, s: &str, v: &str| obs(VIN, ms, s, Value::Text(v.into()));
    let expected = vec![
        i(t, "Vehicle.TraveledDistance", 160_934),
        d(t, "Vehicle.Speed", 36.0),
        d(t, "Vehicle.Powertrain.CombustionEngine.Speed", 100.0 * 60.0 / (2.0 * std::f64::consts::PI)),
        d(t, "Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature", 100.0),
        d(t, "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", 363.15 - 273.15),
        i(t, "Vehicle.Powertrain.FuelSystem.RelativeLevel", 62),
        d(t, "Vehicle.Powertrain.FuelSystem.AbsoluteLevel", 37.85411784),
        i(t, "Vehicle.Powertrain.FuelSystem.Range", 432_100),
        d(t, "Vehicle.LowVoltageBattery.CurrentVoltage", 12.6),
        b(t, "Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", true),
        i(t, "Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Level", 50),
        i(t, "Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Range", 1_500_000),
        d(t, "Vehicle.Powertrain.CombustionEngine.EngineHours", 48.0),
        x(t, "Vehicle.Powertrain.CombustionEngine.EngineOil.Level", "CRITICALLY_LOW"),
        x(t, "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Level", "NORMAL"),
        d(t + 1, "Vehicle.CurrentLocation.Latitude", 48.137),
        d(t + 1, "Vehicle.CurrentLocation.Longitude", -11.575),
        d(t + 1, "Vehicle.CurrentLocation.Heading", 90.0),
        d(t + 1, "Vehicle.CurrentLocation.Altitude", 1000.0 * 0.3048),
        d(t + 2, "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", 80.0),
        i(t + 2, "Vehicle.Powertrain.TractionBattery.Range", 250_400),
        i(t + 2, "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", 90),
        i(t + 2, "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", 5700),
        b(t + 2, "Vehicle.Powertrain.TractionBattery.Charging.IsCharging", true),
        b(t + 2, "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected", true),
        b(t + 2, "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen", true),
        d(t + 2, "Vehicle.Powertrain.TractionBattery.CurrentVoltage", 400.0),
        d(t + 2, "Vehicle.Powertrain.TractionBattery.Temperature.Average", 31.5),
        d(t + 2, "Vehicle.Powertrain.TractionBattery.StateOfHealth", 104.0),
        d(t + 3, "Vehicle.Service.DistanceToService", -1.5),
        i(t + 3, "Vehicle.Service.TimeToService", 2_592_000),
        b(t + 3, "Vehicle.Service.IsServiceDue", true),
        x(t + 4, "Vehicle.LowVoltageSystemState", "ACC"),
        b(t + 5, "Vehicle.Powertrain.CombustionEngine.IsRunning", true),
        b(t + 6, "Vehicle.OBD.Status.IsMILOn", true),
        b(t + 6, "Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", false),
        d(t + 7, "Vehicle.Powertrain.FuelSystem.AverageConsumption", 235.2145833 / 47.0),
        x(t + 8, "Vehicle.VehicleIdentification.Model", "Transit Custom"),
        i(t + 8, "Vehicle.VehicleIdentification.Year", 2023),
        d(t + 8, "Vehicle.Powertrain.FuelSystem.TankCapacity", 15.0 * 4.54609),
    ];
    let got = sorted(out.observations);
    let want = sorted(expected);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((&g.vehicle_id, g.time_us, &g.signal), (&w.vehicle_id, w.time_us, &w.signal));
        match (&g.value, &w.value) {
            (Value::Double(a), Value::Double(b)) => assert!((a - b).abs() < 1e-9, "{}: {a} vs {b}", g.signal),
            (a, b) => assert_eq!(a, b, "{}", g.signal),
        }
    }
}

#[test]
fn trouble_codes_sharing_a_time_form_one_list() {
    let tc = |id: &str| data(&hm::trouble_code(1, id, "ECM", "confirmed", 3));
    let m = message(
        0x0033,
        &[
            hm::vin(VIN),
            message_time(T),
            property(0x1d, &[tc("P0420")]),
            property(0x1d, &[tc("C0035")]),
            property(0x1d, &[tc("U0100"), hm::timestamp(T + 60_000)]),
            property(0x1d, &[data(&[1, 0, 5, b'P'])]), // broken composite: one reject, left out of the list
        ],
    );
    let out = convert(&frame(&m), &[]);
    assert_eq!(
        out.observations,
        vec![
            obs(VIN, T, "Vehicle.Diagnostics.DTCList", Value::TextList(vec!["P0420".into(), "C0035".into()])),
            obs(VIN, T + 60_000, "Vehicle.Diagnostics.DTCList", Value::TextList(vec!["U0100".into()])),
        ]
    );
    assert_eq!(codes(&out), ["undecodable"]);
}

#[test]
fn frame_and_property_errors_are_rejected_and_the_rest_converts() {
    let good = || message(0x0033, &[message_time(T), property(0x03, &[data(&unit(0x16, 0x01, 50.0))])]);
    let frames: Vec<Vec<u8>> = vec![
        message(0x0033, &[hm::vin(VIN), message_time(T)]),                     // sets the VIN for later frames
        vec![0x0d, 0x00, 0x33],                                                 // shorter than 4 bytes
        [&[0x0c][..], &good()[1..]].concat(),                                   // version 0x0c
        [&good()[..3], &[0x00][..], &good()[4..]].concat(),                     // type get
        message(0x0099, &[message_time(T)]),                                    // unknown capability
        [&good()[..], &[0x04, 0x00, 0x09, 0x01][..]].concat(),                  // property overruns the message
        good(),
        message(0x0033, &[property(0x03, &[data(&unit(0x16, 0x01, 50.0))])]),   // no time at all
        message(0x0033, &[message_time(T), property(0x05, &[failure(0x00, "slow down")])]), // failed property
        message(0x0033, &[message_time(T), property(0x03, &[data(&unit(0x12, 0x01, 50.0))])]), // wrong measurement
        message(0x0033, &[message_time(T), property(0x03, &[data(&unit(0x16, 0x09, 50.0))])]), // unknown unit id
        message(0x0035, &[message_time(T), property(0x03, &[data(&[9])])]),     // enum value undefined
        message(0x0033, &[message_time(T), property(0x05, &[data(&hm::percentage(3.0))])]), // 300 % into uint8
        message(0x0033, &[message_time(T), property(0x1a, &[data(&hm::tire_pressure(5, 0x06, 2.4))])]), // outer rear: skipped
        message(0x0061, &[message_time(T), property(0x01, &[data(&[0x2c, 1])])]), // unmapped lamp: skipped
        message(0x0033, &[message_time(T), property(0x32, &[data(&[4])])]),     // coolant high: skipped
        message(0x0033, &[message_time(T), property(0x03, &[hm::availability()])]), // availability only: skipped
        message(0x0033, &[message_time(T), property(0x4f, &[data(&[1])])]),     // unmapped property: skipped
        message(0x0033, &[]),                                                   // empty message: skipped
    ];
    let mut input: Vec<u8> = frames.iter().flat_map(|m| frame(m)).collect();
    input.extend_from_slice(&[0, 0, 0, 99, 0x0d]); // truncated at the end
    let out = convert(&input, &[]);
    assert_eq!(out.observations, vec![obs(VIN, T, "Vehicle.Speed", Value::Double(50.0))]);
    assert_eq!(
        codes(&out),
        ["malformed", "version", "message-type", "unknown-capability", "structure", "no-timestamp", "failure", "undecodable", "undecodable", "undecodable", "undecodable", "truncated"]
    );
    let offsets: Vec<u64> = frames.iter().scan(0u64, |at, m| {
        let here = *at;
        *at += 4 + m.len() as u64;
        Some(here)
    }).collect();
    assert_eq!(out.rejects[0].position, Position::Byte(offsets[1]));
    assert!(out.rejects[6].message.contains("rate_limit") && out.rejects[6].message.contains("slow down"));
    assert_eq!(out.rejects[11].position, Position::Byte(offsets.last().unwrap() + 4 + frames.last().unwrap().len() as u64));
    for reason in ["tyre location without a VSS wheel", "dashboard light without a VSS signal", "coolant level high has no VSS value", "no data", "unmapped property", "empty message"] {
        assert_eq!(out.skipped.get(reason), Some(&1), "{reason}");
    }
}

#[test]
fn without_any_vin_or_config_the_frame_is_rejected() {
    let m = message(0x0033, &[message_time(T), property(0x03, &[data(&unit(0x16, 0x01, 50.0))])]);
    let out = convert(&frame(&m), &[]);
    assert_eq!(codes(&out), ["no-vehicle-id"]);
    assert_eq!(out.units_read, 1, "a frame rejected as a whole is one unit");
    let out = convert(&frame(&m), &[("vehicle_id", "FLEET-3")]);
    assert_eq!(out.observations[0].vehicle_id, "FLEET-3");
}

#[test]
fn timed_properties_use_their_own_time() {
    let m = message(0x0033, &[hm::vin(VIN), message_time(T), timed(0x03, &unit(0x16, 0x01, 42.0), T - 5000)]);
    let out = convert(&frame(&m), &[]);
    assert_eq!(out.observations, vec![obs(VIN, T - 5000, "Vehicle.Speed", Value::Double(42.0))]);
}

#[test]
fn a_realistic_feed_converts() {
    let input = hm::feed("WF0XXXGCDX7512399", 1_714_550_000_000, 24.0, 9);
    let out = convert(&input, &[]);
    assert!(out.observations.len() > 5_000, "{}", out.observations.len());
    assert!(out.observations.iter().all(|o| o.vehicle_id == "WF0XXXGCDX7512399"), "the first message's VIN carries over");
    assert!(out.rejects.iter().all(|r| r.code == "failure"), "only the privacy-mode failures: {:?}", codes(&out));
    assert!(!out.rejects.is_empty());
}
