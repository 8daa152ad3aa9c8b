//! A hostile converter for the sandbox tests. Config `mode` picks the misbehaviour (use
//! `mode = "{stem}"` to pick it per input object by file name; anything after a `.` is ignored,
//! so `well-behaved.a` and `well-behaved.b` are two inputs of one mode); `well-behaved` converts
//! each chunk into one valid observation. Never deploy this.

use dataplace_sdk::{Batch, Config, Converter, Error, Info, Position};

/// What the plugin does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One `Vehicle.Speed` observation per chunk: the control case.
    WellBehaved,
    /// Panics in `push`.
    Panic,
    /// `std::process::abort()` in the middle of the stream (second chunk).
    Abort,
    /// Loops forever in `push`.
    Loop,
    /// Loops forever in `finish`.
    LoopInFinish,
    /// Allocates without bound.
    Grow,
    /// Recurses without bound.
    Recurse,
    /// Emits valid output for every chunk, then traps in `finish`.
    TrapAfterOutput,
    /// Emits observations that fail every catalogue check, plus one valid one.
    Invalid,
    /// Tries to reach files, environment, clocks, randomness and network, and reports what it got
    /// as text observations of `Vehicle.VehicleIdentification.Model`.
    Probe,
    /// Points a row at a string index past the table.
    BadIndex,
    /// Returns millions of observations in one batch.
    Flood,
    /// Returns a vehicle id of 10 MiB.
    GiantString,
    /// Prints a lot on stderr, then behaves.
    Chatty,
    /// Rejects every chunk as one unit.
    RejectAll,
    /// Declares a signal the catalogue does not have.
    DeclareUnknown,
}

impl Mode {
    fn parse(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "well-behaved" => Mode::WellBehaved,
            "panic" => Mode::Panic,
            "abort" => Mode::Abort,
            "loop" => Mode::Loop,
            "loop-in-finish" => Mode::LoopInFinish,
            "grow" => Mode::Grow,
            "recurse" => Mode::Recurse,
            "trap-after-output" => Mode::TrapAfterOutput,
            "invalid" => Mode::Invalid,
            "probe" => Mode::Probe,
            "bad-index" => Mode::BadIndex,
            "flood" => Mode::Flood,
            "giant-string" => Mode::GiantString,
            "chatty" => Mode::Chatty,
            "reject-all" => Mode::RejectAll,
            "declare-unknown" => Mode::DeclareUnknown,
            other => return Err(Error::Config(format!("key `mode`: unknown mode {other:?}"))),
        })
    }
}

/// 2024-05-01T00:00:00Z in µs.
const T0: i64 = 1_714_521_600_000_000;
const SPEED: &str = "Vehicle.Speed";
const MODEL: &str = "Vehicle.VehicleIdentification.Model";

pub struct Evil {
    mode: Mode,
    vehicle: String,
    chunks: i64,
}

impl Converter for Evil {
    const INFO: Info = Info {
        name: "evil",
        version: "0.0.1",
        formats: &["anything"],
        unit: "chunk",
        config: &[("mode", "the misbehaviour (see the crate docs)")],
    };

    fn open(config: &Config, object_name: &str) -> Result<Self, Error> {
        let mode = config.require("mode")?;
        let mode = Mode::parse(mode.split('.').next().unwrap_or(mode))?;
        Ok(Self { mode, vehicle: config.vehicle_id_or_stem(object_name), chunks: 0 })
    }

    fn signals(&self) -> Vec<String> {
        let mut s: Vec<String> =
            [SPEED, MODEL, "Vehicle.IsMoving", "Vehicle.Powertrain.FuelSystem.RelativeLevel", "Vehicle.LowVoltageSystemState"]
                .map(String::from)
                .into();
        if self.mode == Mode::DeclareUnknown {
            s.push("Vehicle.Teleporter.Charge".to_owned());
        }
        s
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
        self.chunks += 1;
        let t = T0 + self.chunks * 1_000_000;
        match self.mode {
            Mode::Panic => panic!("evil: panicking on purpose at chunk {}", self.chunks),
            Mode::Abort if self.chunks == 2 => std::process::abort(),
            Mode::Loop => spin(),
            Mode::Grow => grow(),
            Mode::Recurse => {
                out.note("depth", recurse(chunk.len() as u64 + 1));
            }
            Mode::Invalid => invalid(&self.vehicle, t, out),
            Mode::Probe => probe(&self.vehicle, t, out),
            Mode::BadIndex => {
                out.vehicle(&self.vehicle).double(t, SPEED, 1.0);
                out.doubles.signal[0] = 1000;
            }
            Mode::Flood => {
                let mut rows = out.vehicle(&self.vehicle);
                for i in 0..5_000_000 {
                    rows.double(t + i, SPEED, 1.0);
                }
            }
            Mode::GiantString => {
                out.vehicle(&"V".repeat(10 << 20)).double(t, SPEED, 1.0);
            }
            Mode::Chatty => {
                for i in 0..100_000 {
                    eprintln!("evil: chatter line {i} of a plugin that logs far too much");
                }
                out.vehicle(&self.vehicle).double(t, SPEED, chunk.len() as f64);
            }
            Mode::RejectAll => {
                out.reject(Position::Byte(0), "evil", "every chunk is rejected", chunk);
                return Ok(());
            }
            _ => {
                out.vehicle(&self.vehicle).double(t, SPEED, chunk.len() as f64);
            }
        }
        out.decoded();
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
        match self.mode {
            Mode::LoopInFinish => spin(),
            Mode::TrapAfterOutput => panic!("evil: trapping in finish after {} chunks of output", self.chunks),
            _ => {
                out.note("chunks", self.chunks as u64);
                Ok(())
            }
        }
    }
}

/// Never returns, and the optimiser cannot remove it.
fn spin() -> ! {
    let mut x: u64 = 1;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
}

/// Allocates (and touches) memory until something stops it.
fn grow() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

fn recurse(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 16]);
    if n == 0 { 0 } else { recurse(n.wrapping_add(1)).wrapping_add(pad[3]) }
}

/// One observation per catalogue check, and one valid observation.
fn invalid(vehicle: &str, t: i64, out: &mut Batch) {
    let mut rows = out.vehicle(vehicle);
    rows.double(t, "Vehicle.Teleporter.Charge", 1.0) // unknown-signal
        .double(t, "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", 1.0) // undeclared-signal (known, not declared)
        .text(t, SPEED, "fast") // wrong-type
        .double(t, SPEED, f64::NAN) // not-finite
        .int(t, "Vehicle.Powertrain.FuelSystem.RelativeLevel", 101) // out-of-range (0..100)
        .text(t, "Vehicle.LowVoltageSystemState", "HALF-ON") // not-allowed (an enumeration)
        .double(-1_000_000, SPEED, 10.0) // implausible-time (1969)
        .double(t, SPEED, 42.0); // valid
    out.vehicle("").bool(t, "Vehicle.IsMoving", true); // bad-vehicle-id
}

/// Try every door out of the sandbox and report what opened.
fn probe(vehicle: &str, t: i64, out: &mut Batch) {
    let file = std::fs::read("/etc/passwd").map(|b| format!("read {} bytes", b.len())).unwrap_or_else(|e| format!("denied: {e}"));
    let dir = std::fs::read_dir(".").map(|_| "listed".to_owned()).unwrap_or_else(|e| format!("denied: {e}"));
    let env = format!("{} vars", std::env::vars().count());
    let args = format!("{} args", std::env::args().count());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let start = std::time::Instant::now();
    let elapsed = start.elapsed().as_nanos();
    let random = std::collections::hash_map::RandomState::new();
    let hash = std::hash::BuildHasher::hash_one(&random, 1u8);
    let net = std::net::TcpStream::connect("127.0.0.1:80").map(|_| "connected".to_owned()).unwrap_or_else(|e| format!("denied: {e}"));
    let dns = std::net::ToSocketAddrs::to_socket_addrs("example.com:80").map(|_| "resolved".to_owned()).unwrap_or_else(|e| format!("denied: {e}"));
    let mut rows = out.vehicle(vehicle);
    for (i, report) in [
        format!("file: {file}"),
        format!("dir: {dir}"),
        format!("env: {env}"),
        format!("args: {args}"),
        format!("clock: {now}"),
        format!("monotonic: {elapsed}"),
        format!("random: {hash}"),
        format!("net: {net}"),
        format!("dns: {dns}"),
    ]
    .iter()
    .enumerate()
    {
        rows.text(t + i as i64, MODEL, report);
    }
}

dataplace_sdk::plugin!(Evil);
