//! The dataplace plugin SDK: write a converter as plain Rust over bytes; the SDK does the rest.
//!
//! A plugin author implements [`Converter`] — open a session from its config, take chunks of the
//! input object, finish — and writes observations, rejects and unit counts into a [`Batch`].
//! [`plugin!`] turns the type into a WebAssembly component of the `dataplace:converter` world
//! (see `wit/converter.wit`); [`native::convert`] runs the very same code natively, for unit
//! tests and benchmarks. [`Lines`] and [`Frames`] carry partial records across chunks.
//!
//! ```
//! use dataplace_sdk::{Batch, Config, Converter, Error, Info, Lines, Position};
//!
//! /// `<unix seconds> <km/h>` per line.
//! struct SpeedLog { vehicle: String, lines: Lines }
//!
//! impl Converter for SpeedLog {
//!     const INFO: Info = Info { name: "speed-log", version: "0.1.0", formats: &["speed-log"], unit: "line", config: &[] };
//!
//!     fn open(config: &Config, object: &str) -> Result<Self, Error> {
//!         Ok(SpeedLog { vehicle: config.vehicle_id_or_stem(object), lines: Lines::default() })
//!     }
//!     fn signals(&self) -> Vec<String> { vec!["Vehicle.Speed".into()] }
//!     fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
//!         let vehicle = &self.vehicle;
//!         self.lines.push(chunk, |l| line(vehicle, l, out));
//!         Ok(())
//!     }
//!     fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
//!         let vehicle = &self.vehicle;
//!         self.lines.finish(|l| line(vehicle, l, out));
//!         Ok(())
//!     }
//! }
//!
//! fn line(vehicle: &str, l: dataplace_sdk::Line<'_>, out: &mut Batch) {
//!     let text = String::from_utf8_lossy(l.text);
//!     match text.split_once(' ').and_then(|(t, v)| Some((t.parse::<i64>().ok()?, v.parse::<f64>().ok()?))) {
//!         Some((secs, kmh)) => {
//!             out.vehicle(vehicle).double(secs * 1_000_000, "Vehicle.Speed", kmh);
//!             out.decoded();
//!         }
//!         None => out.reject(Position::Line(l.number), "malformed", "expected `<seconds> <km/h>`", l.text),
//!     }
//! }
//!
//! dataplace_sdk::plugin!(SpeedLog);
//!
//! // The same code, natively: push a file in chunks of 4 bytes.
//! let out = dataplace_sdk::native::convert::<SpeedLog>(&[], "van-7.log", b"1714557600 52.5\nbad\n", 4).unwrap();
//! assert_eq!(out.observations.len(), 1);
//! assert_eq!(out.observations[0].vehicle_id, "van-7");
//! assert_eq!((out.units_read, out.rejects.len()), (2, 1));
//! ```

extern crate self as dataplace_sdk;

mod batch;
pub mod catalogue;
mod config;
mod frames;
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod guest;
mod lines;
pub mod native;

pub use batch::{Batch, Columns, Mark, Position, Reject, Rows, TextListColumns, EXCERPT_LIMIT};
pub use config::{Config, VEHICLE_ID};
pub use frames::{Flow, Framing, Frames, Measure};
pub use lines::{Line, Lines};

/// Static facts about a converter, returned to the host by `describe`.
#[derive(Debug, Clone, Copy)]
pub struct Info {
    /// Short name, lower-case with dashes (e.g. `teltonika`).
    pub name: &'static str,
    /// The plugin's semantic version.
    pub version: &'static str,
    /// Stable ids of the input formats it reads.
    pub formats: &'static [&'static str],
    /// What one input unit is: `packet`, `line`, `frame` or `message`.
    pub unit: &'static str,
    /// Config keys the plugin accepts besides [`VEHICLE_ID`], with a one-line description.
    /// [`Config`] refuses any other key, so a typo fails at open, not silently.
    pub config: &'static [(&'static str, &'static str)],
}

/// Why a converter cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The configuration is unusable; nothing was read. Name the key and what is wrong.
    Config(String),
    /// The converter cannot continue with this object; the host fails the object.
    Fatal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Config(m) => write!(f, "config error: {m}"),
            Error::Fatal(m) => write!(f, "fatal: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// A converter for one input format: one value per input object ("session").
///
/// The host calls [`open`](Converter::open) once, then [`push`](Converter::push) for each chunk
/// of the object in order, then [`finish`](Converter::finish). Every input unit must end up in
/// exactly one of [`Batch::decoded`], [`Batch::skipped`] or [`Batch::reject`].
pub trait Converter: Sized + 'static {
    /// Static facts about the plugin.
    const INFO: Info;

    /// Start converting the object named `object_name` (its key in the store).
    ///
    /// # Errors
    /// [`Error::Config`] when the configuration cannot be used.
    fn open(config: &Config, object_name: &str) -> Result<Self, Error>;

    /// The catalogue signal ids this session may emit. The host quarantines any other.
    fn signals(&self) -> Vec<String>;

    /// Convert the next chunk; keep an incomplete record for the next call.
    ///
    /// # Errors
    /// [`Error::Fatal`] when the object cannot be converted any further.
    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error>;

    /// End of the object: convert or reject what is left.
    ///
    /// # Errors
    /// [`Error::Fatal`] when the object cannot be converted any further.
    fn finish(&mut self, out: &mut Batch) -> Result<(), Error>;
}

/// Export a [`Converter`] as the `dataplace:converter` component. Expands to nothing when not
/// compiling for WebAssembly, so the same crate also builds natively for tests and benchmarks.
#[macro_export]
macro_rules! plugin {
    ($converter:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type DataplacePlugin = $crate::guest::Adapter<$converter>;
            $crate::guest::export_plugin!(DataplacePlugin with_types_in $crate::guest::bindings);
        };
    };
}
