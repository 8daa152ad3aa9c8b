//! Auto API properties to catalogue signals (format doc §7): which (capability, property) pairs
//! are mapped, and how each data component becomes typed observations.

use smallvec::{SmallVec, smallvec};
use std::borrow::Cow;
use crate::values::{Measurement as M, Undecodable, double, enumeration, integer, percent, string16, text, unit};

const DIAGNOSTICS: u16 = 0x0033;
const LOCATION: u16 = 0x0030;
const CHARGING: u16 = 0x0023;
const MAINTENANCE: u16 = 0x0034;
const IGNITION: u16 = 0x0035;
const ENGINE: u16 = 0x0069;
const DASHBOARD: u16 = 0x0061;
const USAGE: u16 = 0x0068;
const INFORMATION: u16 = 0x0014;

/// The universal properties the converter reads (§5).
pub const TIMESTAMP: u8 = 0xa2;
pub const VIN: u8 = 0xa3;

/// A typed observation value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Double(f64),
    Int(i64),
    Bool(bool),
    /// Mostly one of a fixed set of words, so borrowed; owned for free text (a model name).
    Text(Cow<'static, str>),
}

/// What one mapped data component means.
#[derive(Debug, PartialEq)]
pub enum Mapped {
    /// Observations of these signals (one or two: kept inline, no allocation per property).
    Values(SmallVec<[(&'static str, Value); 2]>),
    /// A trouble code for the message's DTC list (§7.5).
    TroubleCode(String),
    /// Decodable, but VSS has no counterpart (an outer rear tyre, an unmapped lamp …).
    NoCounterpart(&'static str),
}

/// Every signal the mapping can emit (with the DTC list).
pub const SIGNALS: [&str; 53] = [
    "Vehicle.TraveledDistance",
    "Vehicle.Speed",
    "Vehicle.Powertrain.CombustionEngine.Speed",
    "Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature",
    "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature",
    "Vehicle.Powertrain.FuelSystem.RelativeLevel",
    "Vehicle.Powertrain.FuelSystem.AbsoluteLevel",
    "Vehicle.Powertrain.FuelSystem.Range",
    "Vehicle.LowVoltageBattery.CurrentVoltage",
    "Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow",
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure",
    "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure",
    "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure",
    "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure",
    "Vehicle.Diagnostics.DTCList",
    "Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Level",
    "Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Range",
    "Vehicle.Powertrain.CombustionEngine.EngineHours",
    "Vehicle.Powertrain.CombustionEngine.EngineOil.Level",
    "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Level",
    "Vehicle.CurrentLocation.Latitude",
    "Vehicle.CurrentLocation.Longitude",
    "Vehicle.CurrentLocation.Heading",
    "Vehicle.CurrentLocation.Altitude",
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "Vehicle.Powertrain.TractionBattery.Range",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit",
    "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete",
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
    "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen",
    "Vehicle.Powertrain.TractionBattery.CurrentVoltage",
    "Vehicle.Powertrain.TractionBattery.Temperature.Average",
    "Vehicle.Powertrain.TractionBattery.StateOfHealth",
    "Vehicle.Service.DistanceToService",
    "Vehicle.Service.TimeToService",
    "Vehicle.Service.IsServiceDue",
    "Vehicle.LowVoltageSystemState",
    "Vehicle.Powertrain.CombustionEngine.IsRunning",
    "Vehicle.Body.Lights.Beam.High.IsOn",
    "Vehicle.Body.Lights.Beam.Low.IsOn",
    "Vehicle.Body.Lights.Hazard.IsSignaling",
    "Vehicle.Powertrain.FuelSystem.IsFuelLevelLow",
    "Vehicle.Body.Lights.Parking.IsOn",
    "Vehicle.Body.Lights.Fog.Front.IsOn",
    "Vehicle.Body.Lights.Fog.Rear.IsOn",
    "Vehicle.OBD.Status.IsMILOn",
    "Vehicle.ADAS.ABS.IsError",
    "Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.IsLevelLow",
    "Vehicle.Powertrain.FuelSystem.AverageConsumption",
    "Vehicle.VehicleIdentification.Model",
    "Vehicle.VehicleIdentification.Year",
    "Vehicle.Powertrain.FuelSystem.TankCapacity",
];

/// True when the mapping table lists this property (§7.1).
pub fn is_mapped(capability: u16, property: u8) -> bool {
    match capability {
        DIAGNOSTICS => matches!(property, 0x1f | 0x03 | 0x04 | 0x02 | 0x11 | 0x05 | 0x0f | 0x06 | 0x0b | 0x09 | 0x1a | 0x1d | 0x0c | 0x25 | 0x20 | 0x33 | 0x32),
        LOCATION => matches!(property, 0x04..=0x06),
        CHARGING => matches!(property, 0x03 | 0x02 | 0x08 | 0x09 | 0x17 | 0x16 | 0x0b | 0x3b | 0x14 | 0x50),
        MAINTENANCE => matches!(property, 0x0e | 0x0d | 0x1e),
        IGNITION => property == 0x03,
        ENGINE | DASHBOARD => property == 0x01,
        USAGE => property == 0x0e,
        INFORMATION => matches!(property, 0x03 | 0x07 | 0x18),
        _ => false,
    }
}

fn one(signal: &'static str, v: Value) -> Result<Mapped, Undecodable> {
    Ok(Mapped::Values(smallvec![(signal, v)]))
}

fn double_of(signal: &'static str, v: f64) -> Result<Mapped, Undecodable> {
    one(signal, Value::Double(v))
}

fn int_of(signal: &'static str, v: f64, lo: i64, hi: i64) -> Result<Mapped, Undecodable> {
    one(signal, Value::Int(integer(v, lo, hi)?))
}

const U8: (i64, i64) = (0, 255);
const U16: (i64, i64) = (0, 65_535);
const U32: (i64, i64) = (0, 4_294_967_295);
const I32: (i64, i64) = (-2_147_483_648, 2_147_483_647);

/// Decode the data component of a mapped property.
pub fn decode(capability: u16, property: u8, d: &[u8]) -> Result<Mapped, Undecodable> {
    match (capability, property) {
        (DIAGNOSTICS, 0x1f) => int_of("Vehicle.TraveledDistance", unit(d, M::Length)?, U32.0, U32.1),
        (DIAGNOSTICS, 0x03) => double_of("Vehicle.Speed", unit(d, M::Speed)?),
        (DIAGNOSTICS, 0x04) => double_of("Vehicle.Powertrain.CombustionEngine.Speed", unit(d, M::AngularVelocity)?),
        (DIAGNOSTICS, 0x02) => double_of("Vehicle.Powertrain.CombustionEngine.EngineOil.Temperature", unit(d, M::Temperature)?),
        (DIAGNOSTICS, 0x11) => double_of("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature", unit(d, M::Temperature)?),
        (DIAGNOSTICS, 0x05) => int_of("Vehicle.Powertrain.FuelSystem.RelativeLevel", percent(d)?, U8.0, U8.1),
        (DIAGNOSTICS, 0x0f) => double_of("Vehicle.Powertrain.FuelSystem.AbsoluteLevel", unit(d, M::Volume)?),
        (DIAGNOSTICS, 0x06) => int_of("Vehicle.Powertrain.FuelSystem.Range", unit(d, M::Length)?, U32.0, U32.1),
        (DIAGNOSTICS, 0x0b) => double_of("Vehicle.LowVoltageBattery.CurrentVoltage", unit(d, M::Voltage)?),
        (DIAGNOSTICS, 0x09) => one("Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow", Value::Bool(matches!(enumeration(d, 5)?, 0 | 2))),
        (DIAGNOSTICS, 0x1a) => tire_pressure(d),
        (DIAGNOSTICS, 0x1d) => trouble_code(d),
        (DIAGNOSTICS, 0x0c) => int_of("Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Level", percent(d)?, U8.0, U8.1),
        (DIAGNOSTICS, 0x25) => int_of("Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.Range", unit(d, M::Length)?, U32.0, U32.1),
        (DIAGNOSTICS, 0x20) => double_of("Vehicle.Powertrain.CombustionEngine.EngineHours", unit(d, M::Duration)? / 3600.0),
        (DIAGNOSTICS, 0x33) => {
            let level = ["LOW", "NORMAL", "CRITICALLY_LOW", "NORMAL", "HIGH", "CRITICALLY_HIGH"][usize::from(enumeration(d, 5)?)];
            one("Vehicle.Powertrain.CombustionEngine.EngineOil.Level", Value::Text(level.into()))
        }
        (DIAGNOSTICS, 0x32) => match enumeration(d, 5)? {
            4 | 5 => Ok(Mapped::NoCounterpart("coolant level high has no VSS value")),
            v => one("Vehicle.Powertrain.CombustionEngine.EngineCoolant.Level", Value::Text(["LOW", "NORMAL", "CRITICALLY_LOW", "NORMAL"][usize::from(v)].into())),
        },
        (LOCATION, 0x04) => {
            if d.len() != 16 {
                return Err(format!("coordinates need 16 bytes, got {}", d.len()));
            }
            Ok(Mapped::Values(smallvec![
                ("Vehicle.CurrentLocation.Latitude", Value::Double(double(&d[..8])?)),
                ("Vehicle.CurrentLocation.Longitude", Value::Double(double(&d[8..])?)),
            ]))
        }
        (LOCATION, 0x05) => double_of("Vehicle.CurrentLocation.Heading", unit(d, M::Angle)?.rem_euclid(360.0)),
        (LOCATION, 0x06) => double_of("Vehicle.CurrentLocation.Altitude", unit(d, M::Length)?),
        (CHARGING, 0x03) => double_of("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", percent(d)?),
        (CHARGING, 0x02) => int_of("Vehicle.Powertrain.TractionBattery.Range", unit(d, M::Length)?, U32.0, U32.1),
        (CHARGING, 0x08) => int_of("Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", percent(d)?, U8.0, U8.1),
        (CHARGING, 0x09) => int_of("Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete", unit(d, M::Duration)?, U32.0, U32.1),
        (CHARGING, 0x17) => one("Vehicle.Powertrain.TractionBattery.Charging.IsCharging", Value::Bool(matches!(enumeration(d, 13)?, 1 | 7 | 8))),
        (CHARGING, 0x16) => one(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsChargingCableConnected",
            Value::Bool(enumeration(d, 2)? != 0),
        ),
        (CHARGING, 0x0b) => one("Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition.IsFlapOpen", Value::Bool(enumeration(d, 1)? == 1)),
        (CHARGING, 0x3b) => double_of("Vehicle.Powertrain.TractionBattery.CurrentVoltage", unit(d, M::Voltage)?),
        (CHARGING, 0x14) => double_of("Vehicle.Powertrain.TractionBattery.Temperature.Average", unit(d, M::Temperature)?),
        (CHARGING, 0x50) => double_of("Vehicle.Powertrain.TractionBattery.StateOfHealth", percent(d)?),
        (MAINTENANCE, 0x0e) => double_of("Vehicle.Service.DistanceToService", unit(d, M::Length)? / 1000.0),
        (MAINTENANCE, 0x0d) => int_of("Vehicle.Service.TimeToService", unit(d, M::Duration)?, I32.0, I32.1),
        (MAINTENANCE, 0x1e) => one("Vehicle.Service.IsServiceDue", Value::Bool(enumeration(d, 2)? != 0)),
        (IGNITION, 0x03) => one("Vehicle.LowVoltageSystemState", Value::Text(["LOCK", "OFF", "ACC", "ON", "START"][usize::from(enumeration(d, 4)?)].into())),
        (ENGINE, 0x01) => one("Vehicle.Powertrain.CombustionEngine.IsRunning", Value::Bool(enumeration(d, 1)? == 1)),
        (DASHBOARD, 0x01) => dashboard_light(d),
        (USAGE, 0x0e) => double_of("Vehicle.Powertrain.FuelSystem.AverageConsumption", unit(d, M::FuelEfficiency)?),
        (INFORMATION, 0x03) => one("Vehicle.VehicleIdentification.Model", Value::Text(text(d)?.to_owned().into())),
        (INFORMATION, 0x07) => match d {
            [hi, lo] => one("Vehicle.VehicleIdentification.Year", Value::Int(i64::from(u16::from_be_bytes([*hi, *lo])))),
            _ => Err(format!("a model year needs 2 bytes, got {}", d.len())),
        },
        (INFORMATION, 0x18) => double_of("Vehicle.Powertrain.FuelSystem.TankCapacity", unit(d, M::Volume)?),
        _ => unreachable!("decode is only called for mapped properties"),
    }
}

/// `tire_pressure`: location + pressure (§7.3), rounded to whole kPa.
fn tire_pressure(d: &[u8]) -> Result<Mapped, Undecodable> {
    if d.len() != 11 {
        return Err(format!("a tyre pressure needs 11 bytes, got {}", d.len()));
    }
    let kpa = unit(&d[1..], M::Pressure)?;
    let signal = match enumeration(&d[..1], 6)? {
        0 => "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure",
        1 => "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure",
        2 => "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure",
        3 => "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure",
        _ => return Ok(Mapped::NoCounterpart("tyre location without a VSS wheel")),
    };
    int_of(signal, kpa, U16.0, U16.1)
}

/// `trouble_code`: occurrences, id, ECU id, status, system (§4.4); only the id is mapped.
fn trouble_code(d: &[u8]) -> Result<Mapped, Undecodable> {
    let rest = d.get(1..).ok_or("an empty trouble code")?;
    let (id, rest) = string16(rest)?;
    let (_ecu, rest) = string16(rest)?;
    let (_status, rest) = string16(rest)?;
    match rest {
        [system] if *system <= 4 => Ok(Mapped::TroubleCode(id.to_owned())),
        [system] => Err(format!("trouble code system {system} is not defined (0..=4)")),
        _ => Err(format!("a trouble code ends with 1 system byte, {} bytes left", rest.len())),
    }
}

/// `dashboard_light`: light id + state (§7.4).
fn dashboard_light(d: &[u8]) -> Result<Mapped, Undecodable> {
    let [light, state] = d else { return Err(format!("a dashboard light needs 2 bytes, got {}", d.len())) };
    let on = enumeration(&[*state], 1)? == 1;
    let signal = match light {
        0x00 => "Vehicle.Body.Lights.Beam.High.IsOn",
        0x01 => "Vehicle.Body.Lights.Beam.Low.IsOn",
        0x02 => "Vehicle.Body.Lights.Hazard.IsSignaling",
        0x05 => "Vehicle.Powertrain.FuelSystem.IsFuelLevelLow",
        0x09 => "Vehicle.Body.Lights.Parking.IsOn",
        0x0a => "Vehicle.Body.Lights.Fog.Front.IsOn",
        0x0b => "Vehicle.Body.Lights.Fog.Rear.IsOn",
        0x0d | 0x4a => "Vehicle.OBD.Status.IsMILOn",
        0x0e => "Vehicle.Service.IsServiceDue",
        0x11 => "Vehicle.ADAS.ABS.IsError",
        0x13 => "Vehicle.Body.Windshield.Front.WasherFluid.IsLevelLow",
        0x1a => "Vehicle.Powertrain.CombustionEngine.DieselExhaustFluid.IsLevelLow",
        _ => return Ok(Mapped::NoCounterpart("dashboard light without a VSS signal")),
    };
    one(signal, Value::Bool(on))
}
