//! dataplace converter for Teltonika Codec 8 / Codec 8 Extended: recorded device → server TCP
//! sessions of FMB-family trackers (IMEI login frame, AVL data packets) to VSS 6.0 observations.
//!
//! One input unit is a packet; the IMEI login frame counts as one. A packet is trusted only once
//! its CRC-16/IBM is checked; a bad CRC, unknown codec or malformed structure rejects that packet
//! (with its byte offset) and decoding goes on with the next one. A bad login frame, a broken
//! preamble or a truncated packet ends the file: nothing after it can be framed safely. Unmapped
//! IO ids are counted in notes, never rejected.

mod codec;
mod mapping;

use dataplace_sdk::{Batch, Config, Converter, Error, Frames, Info};

pub use mapping::SIGNALS;

/// The Teltonika converter: one value per input object.
#[derive(Debug)]
pub struct Teltonika {
    frames: Frames,
    decoder: codec::Decoder,
}

impl Converter for Teltonika {
    const INFO: Info = Info {
        name: "teltonika",
        version: env!("CARGO_PKG_VERSION"),
        formats: &["teltonika-codec8", "teltonika-codec8e"],
        unit: "packet",
        config: &[],
    };

    /// The vehicle id is the login frame's IMEI; without one, `vehicle_id` from the config, else
    /// the object's name without directories and extension.
    fn open(config: &Config, object_name: &str) -> Result<Self, Error> {
        Ok(Self { frames: Frames::default(), decoder: codec::Decoder::new(config.vehicle_id_or_stem(object_name)) })
    }

    fn signals(&self) -> Vec<String> {
        SIGNALS.iter().map(|s| s.to_string()).collect()
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), Error> {
        self.frames.push(chunk, &mut self.decoder, out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), Error> {
        self.frames.finish(&mut self.decoder, out);
        self.decoder.report_notes(out);
        Ok(())
    }
}

dataplace_sdk::plugin!(Teltonika);
