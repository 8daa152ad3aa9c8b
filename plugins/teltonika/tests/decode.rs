//! The Teltonika decoder against the format doc's worked example and against fixtures made by
//! the independent encoder in `dataplace-fixtures`, at chunk sizes 1, 7 and 64 KiB.

use dataplace_fixtures::teltonika::{self as enc, Codec, Gps, IoValue, Record};
use dataplace_sdk::native::{self, Observation, Output, Value};
use dataplace_sdk::{Error, Position};
use dataplace_teltonika::Teltonika;


fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn convert(input: &[u8], config: &[(&str, &str)], chunk: usize) -> Output {
    native::convert::<Teltonika>(config, "fleet/unit-7.bin", input, chunk).unwrap()
}

/// Converts at every chunk size, checks they agree and the ledger adds up, and returns one output.
fn convert_all(input: &[u8]) -> Output {
    native::convert_checked::<Teltonika>(&[], "fleet/unit-7.bin", input).unwrap()
}

fn obs(vehicle: &str, time_us: i64, signal: &str, value: Value) -> Observation {
    Observation { vehicle_id: vehicle.into(), time_us, signal: signal.into(), value }
}

fn sorted(mut v: Vec<Observation>) -> Vec<Observation> {
    v.sort_by(|a, b| (a.time_us, &a.signal).cmp(&(b.time_us, &b.signal)));
    v
}

const WORKED_EXAMPLE: &str = "000F333536333037303432343431303133\
000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF";

#[test]
fn worked_example_of_the_format_doc() {
    let out = convert_all(&hex(WORKED_EXAMPLE));
    assert_eq!(
        out.observations,
        vec![obs("356307042441013", 1_560_161_086_000_000, "Vehicle.LowVoltageBattery.CurrentVoltage", Value::Double(24.079))]
    );
    assert!(out.rejects.is_empty());
    assert_eq!((out.units_read, out.decoded), (2, 2), "login frame + one packet");
    let notes: Vec<(&str, u64)> = out.notes.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        notes,
        [("record without gnss fix", 1), ("unmapped io 1", 1), ("unmapped io 21", 1), ("unmapped io 241", 1), ("unmapped io 78", 1)]
    );
}

fn full_record(ts_ms: u64) -> Record {
    Record {
        timestamp_ms: ts_ms,
        priority: 1,
        gps: Gps { longitude: -736_000_000, latitude: 408_000_000, altitude: -12, angle: 271, satellites: 9, speed: 57 },
        event_id: 240,
        io: vec![
            (239, IoValue::U8(1)),
            (240, IoValue::U8(1)),
            (32, IoValue::U8(0xFB)),
            (37, IoValue::U8(55)),
            (31, IoValue::U8(42)),
            (48, IoValue::U8(63)),
            (30, IoValue::U8(2)),
            (66, IoValue::U16(12_650)),
            (36, IoValue::U16(2_150)),
            (16, IoValue::U32(123_456_789)),
            (199, IoValue::U32(4_321)),
            (181, IoValue::U16(12)),
        ],
    }
}

/// The observations the mapping table (§8) defines for `full_record`.
fn expected_full(vehicle: &str, ts_ms: u64) -> Vec<Observation> {
    let t = ts_ms as i64 * 1000;
    let d = |s: &str, v: f64| obs(vehicle, t, s, Value::Double(v));
    let i = |s: &str, v: i64| obs(vehicle, t, s, Value::Int(v));
    vec![
        d("Vehicle.CurrentLocation.Latitude", 40.8),
        d("Vehicle.CurrentLocation.Longitude", -73.6),
        d("Vehicle.CurrentLocation.Altitude", -12.0),
        d("Vehicle.CurrentLocation.Heading", 271.0),
        d("Vehicle.Speed", 57.0),
        obs(vehicle, t, "Vehicle.LowVoltageSystemState", Value::Text("ON".into())),
        obs(vehicle, t, "Vehicle.IsMoving", Value::Bool(true)),
        d("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", -5.0),
        d("Vehicle.OBD.Speed", 55.0),
        d("Vehicle.OBD.EngineLoad", 42.0),
        i("Vehicle.Powertrain.FuelSystem.RelativeLevel", 63),
        i("Vehicle.Diagnostics.DTCCount", 2),
        d("Vehicle.LowVoltageBattery.CurrentVoltage", 12.65),
        d("Vehicle.Powertrain.CombustionEngine.Speed", 2150.0),
        obs(vehicle, t, "Vehicle.Powertrain.CombustionEngine.IsRunning", Value::Bool(true)),
        i("Vehicle.TraveledDistance", 123_456_789),
        i("Vehicle.TraveledDistanceSinceStart", 4_321),
    ]
}

#[test]
fn codec8e_with_vin_and_every_mapped_field() {
    let mut r = full_record(1_714_557_600_250);
    r.io.push((256, IoValue::Var(b"WBA3A5C51CF256985".to_vec())));
    r.io.push((385, IoValue::Var(vec![1, 2, 3, 4, 5])));
    let mut input = enc::login("356307042441013");
    input.extend(enc::packet(Codec::C8E, &[r, full_record(1_714_557_610_250)]));
    let out = convert_all(&input);
    let v = "356307042441013";
    let mut expected = expected_full(v, 1_714_557_600_250);
    expected.push(obs(v, 1_714_557_600_250_000, "Vehicle.VehicleIdentification.VIN", Value::Text("WBA3A5C51CF256985".into())));
    expected.extend(expected_full(v, 1_714_557_610_250));
    assert_eq!(sorted(out.observations), sorted(expected));
    assert_eq!(out.notes["unmapped io 181"], 2);
    assert_eq!(out.notes["unmapped io 385"], 1);
    assert_eq!((out.units_read, out.decoded), (2, 2), "login frame + one packet of two records");
}

#[test]
fn without_login_the_vehicle_comes_from_config_or_object_name() {
    let input = enc::packet(Codec::C8, &[full_record(1_700_000_000_000)]);
    let from_name = convert_all(&input);
    assert_eq!(sorted(from_name.observations), sorted(expected_full("unit-7", 1_700_000_000_000)));
    let from_config = convert(&input, &[("vehicle_id", "VAN-12")], 7);
    assert!(from_config.observations.iter().all(|o| o.vehicle_id == "VAN-12"));
}

#[test]
fn a_corrupted_packet_is_one_reject_and_its_neighbours_still_decode() {
    let p1 = enc::packet(Codec::C8, &[full_record(1_700_000_000_000)]);
    let mut p2 = enc::packet(Codec::C8E, &[full_record(1_700_000_010_000)]);
    let p3 = enc::packet(Codec::C8, &[full_record(1_700_000_020_000)]);
    p2[40] ^= 0x55; // a flipped byte inside the records
    let mut input = enc::login("356307042441013");
    let p2_offset = (input.len() + p1.len()) as u64;
    for p in [&p1, &p2, &p3] {
        input.extend_from_slice(p);
    }
    let out = convert_all(&input);
    let v = "356307042441013";
    let mut expected = expected_full(v, 1_700_000_000_000);
    expected.extend(expected_full(v, 1_700_000_020_000));
    assert_eq!(sorted(out.observations), sorted(expected));
    assert_eq!(out.rejects.len(), 1);
    let r = &out.rejects[0];
    assert_eq!((r.position, r.code.as_str()), (Position::Byte(p2_offset), "crc"));
    assert!(r.message.contains("computed 0x"), "{}", r.message);
    assert_eq!(r.excerpt, p2[..256.min(p2.len())]);
    assert_eq!((out.units_read, out.decoded), (4, 3));
}

#[test]
fn structural_errors_reject_the_packet_and_decoding_goes_on() {
    let good = enc::packet(Codec::C8, &[full_record(1_700_000_000_000)]);
    // N2 differs from N1 (CRC recomputed, so only the structure is wrong).
    let mut data = enc::data_field(Codec::C8, &[full_record(1_700_000_000_000)]);
    *data.last_mut().unwrap() = 2;
    let n_mismatch = enc::frame_packet(&data, u32::from(enc::crc16_ibm(&data)));
    // Records run past N2: one byte chopped from the IO element.
    let mut data = enc::data_field(Codec::C8, &[full_record(1_700_000_000_000)]);
    data.remove(data.len() - 2);
    let overrun = enc::frame_packet(&data, u32::from(enc::crc16_ibm(&data)));
    // Bytes left between the last record and N2.
    let mut data = enc::data_field(Codec::C8, &[full_record(1_700_000_000_000)]);
    data.insert(data.len() - 1, 0);
    let leftover = enc::frame_packet(&data, u32::from(enc::crc16_ibm(&data)));
    // Codec 12 (a command codec).
    let mut data = enc::data_field(Codec::C8, &[full_record(1_700_000_000_000)]);
    data[0] = 0x0C;
    let codec12 = enc::frame_packet(&data, u32::from(enc::crc16_ibm(&data)));

    let mut input = Vec::new();
    let mut offsets = Vec::new();
    for p in [&n_mismatch, &good, &overrun, &leftover, &codec12, &good] {
        offsets.push(input.len() as u64);
        input.extend_from_slice(p);
    }
    let out = convert_all(&input);
    assert_eq!(out.observations.len(), 2 * expected_full("x", 0).len());
    let got: Vec<(Position, &str)> = out.rejects.iter().map(|r| (r.position, r.code.as_str())).collect();
    assert_eq!(
        got,
        [
            (Position::Byte(offsets[0]), "malformed"),
            (Position::Byte(offsets[2]), "malformed"),
            (Position::Byte(offsets[3]), "malformed"),
            (Position::Byte(offsets[4]), "unsupported-codec"),
        ]
    );
    assert!(out.rejects[0].message.contains("N1 = 1, N2 = 2"));
    assert!(out.rejects[1].message.contains("run past the end"));
    assert!(out.rejects[2].message.contains("1 bytes left"));
    assert_eq!(out.rejects[3].message, "unsupported codec 0x0C");
}

#[test]
fn framing_errors_stop_the_file_and_keep_what_came_before() {
    let good = enc::packet(Codec::C8, &[full_record(1_700_000_000_000)]);
    // A broken preamble: nothing after it can be framed.
    let mut input = good.clone();
    input.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 5]);
    input.extend_from_slice(&good);
    let out = convert_all(&input);
    assert_eq!(out.observations.len(), expected_full("x", 0).len());
    assert_eq!(out.rejects.len(), 1);
    assert_eq!((out.rejects[0].position, out.rejects[0].code.as_str()), (Position::Byte(good.len() as u64), "preamble"));
    assert_eq!(out.notes["bytes ignored after framing was lost"], 8 + good.len() as u64, "from the broken preamble on");

    // A truncated last packet.
    let mut input = good.clone();
    input.extend_from_slice(&good[..good.len() - 3]);
    let out = convert_all(&input);
    assert_eq!(out.rejects.len(), 1);
    assert_eq!(out.rejects[0].code, "truncated");
    assert_eq!(out.rejects[0].message, format!("packet needs {} bytes, {} available", good.len(), good.len() - 3));

    // Fewer than 8 bytes where a packet should start.
    let mut input = good.clone();
    input.extend_from_slice(&[0, 0, 0]);
    let out = convert_all(&input);
    assert_eq!(out.rejects[0].message, "packet needs at least 8 bytes, 3 available");
}

#[test]
fn a_bad_login_frame_stops_at_offset_zero() {
    let good = enc::packet(Codec::C8, &[full_record(1_700_000_000_000)]);
    for (login, why) in [
        (enc::login("35630704244101"), "IMEI length 14, expected 15"),
        (enc::login("35630704244101X"), "IMEI is not 15 ASCII digits"),
    ] {
        let mut input = login;
        input.extend_from_slice(&good);
        let out = convert_all(&input);
        assert!(out.observations.is_empty());
        assert_eq!(out.rejects.len(), 1);
        assert_eq!((out.rejects[0].position, out.rejects[0].code.as_str()), (Position::Byte(0), "login"));
        assert_eq!(out.rejects[0].message, why);
    }
    let out = convert_all(&enc::login("356307042441013")[..9]);
    assert_eq!((out.rejects[0].code.as_str(), out.units_read), ("login", 1));
}

#[test]
fn out_of_range_values_give_no_observation_but_a_note() {
    let mut r = full_record(1_700_000_000_000);
    r.gps.angle = 361;
    r.io = vec![(239, IoValue::U8(2)), (48, IoValue::U8(101)), (66, IoValue::U16(12_000)), (66, IoValue::U16(13_000))];
    let mut bad_position = full_record(1_700_000_001_000);
    bad_position.gps.latitude = 910_000_000;
    bad_position.io.clear();
    let out = convert_all(&enc::packet(Codec::C8, &[r, bad_position]));
    let signals: Vec<&str> = out.observations.iter().map(|o| o.signal.as_str()).collect();
    assert_eq!(
        sorted_strs(signals),
        ["Vehicle.CurrentLocation.Altitude", "Vehicle.CurrentLocation.Latitude", "Vehicle.CurrentLocation.Longitude",
         "Vehicle.LowVoltageBattery.CurrentVoltage", "Vehicle.Speed"]
    );
    let voltage = out.observations.iter().find(|o| o.signal.ends_with("CurrentVoltage")).unwrap();
    assert_eq!(voltage.value, Value::Double(12.0), "the first of a repeated id wins");
    for note in ["gnss angle out of range", "gnss position out of range", "out of range io 239", "out of range io 48", "duplicate io 66"] {
        assert_eq!(out.notes.get(note), Some(&1), "{note}");
    }
}

fn sorted_strs(mut v: Vec<&str>) -> Vec<&str> {
    v.sort();
    v
}

#[test]
fn unknown_config_keys_are_refused() {
    let err = native::convert::<Teltonika>(&[("vehicle-id", "x")], "a.bin", &[], 7).unwrap_err();
    assert_eq!(err, Error::Config("unknown key `vehicle-id`; this plugin accepts: vehicle_id".into()));
}

#[test]
fn a_realistic_session_decodes_completely() {
    let tracker = enc::Tracker {
        imei: "352093081234567".into(),
        vin: "WF0XXXGCDX1234567".into(),
        codec: Codec::C8E,
        start_ms: 1_714_540_000_000,
        home: (52.52, 13.40),
    };
    let input = enc::session(&tracker, 4.0, 3);
    let out = convert_all(&input);
    assert!(out.rejects.is_empty());
    assert!(out.observations.len() > 10_000, "{}", out.observations.len());
    assert!(out.observations.iter().all(|o| o.vehicle_id == tracker.imei));
    let odometer: Vec<i64> = out
        .observations
        .iter()
        .filter(|o| o.signal == "Vehicle.TraveledDistance")
        .map(|o| match o.value { Value::Int(v) => v, _ => panic!("odometer must be an integer") })
        .collect();
    assert!(odometer.windows(2).all(|w| w[0] <= w[1]), "odometer never decreases");
    assert!(out.observations.iter().any(|o| o.signal == "Vehicle.VehicleIdentification.VIN"));
}
