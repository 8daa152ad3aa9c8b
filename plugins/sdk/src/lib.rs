//! The dataplace plugin SDK: write a converter as plain Rust over bytes; the SDK does the rest.
//!
//! A plugin author implements [`Converter`] — open a session from its config, take chunks of the
//! input object, finish — and writes observations, rejects and unit counts into a [`Batch`].
//! [`plugin!`] turns the type into a WebAssembly component of the `dataplace:converter` world
//! (see `wit/converter.wit`); [`native::convert`] runs the very same code natively, for unit
//! tests and benchmarks. [`Lines`] and [`Frames`] carry partial records across chunks.
//!
//! ```ignore
//! struct Echo { vehicle: String }
//! impl dataplace_sdk::Converter for Echo {
//!     const INFO: Info = Info { name: "echo", version: "0.1.0", formats: &["echo"],
//!                               unit: "chunk", config: &[] };
//!     fn open(config: &Config, object: &str) -> Result<Self, Error> {
//!         Ok(Echo { vehicle: config.vehicle_id_or_stem(object) })
//!     }
//!     fn signals(&self) -> Vec<String> { vec!["Vehicle.Speed".into()] }
//!     fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
//!         out.vehicle(&self.vehicle).double(0, "Vehicle.Speed", chunk.len() as f64);
//!         out.decoded();
//!         Ok(())
//!     }
//!     fn finish(&mut self, _out: &mut Batch) -> Result<(), Error> { Ok(()) }
//! }
//! dataplace_sdk::plugin!(Echo);
//! ```

extern crate self as dataplace_sdk;

mod batch;
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
