//! The WebAssembly glue: wit-bindgen bindings for the `dataplace:converter` world, and the
//! adapter that exports any [`Converter`] through them. Plugin authors never touch this module;
//! [`crate::plugin!`] does.

use crate::{Batch, Config, Converter, Error, Position};
use std::cell::RefCell;
use std::marker::PhantomData;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "export_plugin",
        runtime_path: "::dataplace_sdk::guest::wit_bindgen_rt",
    });
}

#[doc(hidden)]
pub use bindings::export_plugin;
#[doc(hidden)]
pub use wit_bindgen::rt as wit_bindgen_rt;

use bindings::dataplace::converter::types as wit;
use bindings::exports::dataplace::converter::converter::{Guest, GuestSession, Session};

/// Exports `C` as the converter of the component.
pub struct Adapter<C>(PhantomData<C>);

/// One open session of `C`.
pub struct SessionOf<C> {
    inner: RefCell<C>,
}

impl<C: Converter> Guest for Adapter<C> {
    type Session = SessionOf<C>;

    fn describe() -> wit::PluginInfo {
        let info = C::INFO;
        let mut config = vec![(
            crate::VEHICLE_ID.to_owned(),
            "vehicle identity for inputs that carry none".to_owned(),
        )];
        config.extend(info.config.iter().map(|(k, d)| (k.to_string(), d.to_string())));
        wit::PluginInfo {
            name: info.name.into(),
            version: info.version.into(),
            formats: info.formats.iter().map(|f| f.to_string()).collect(),
            unit: info.unit.into(),
            config,
        }
    }

    fn open(config: Vec<(String, String)>, object_name: String) -> Result<Session, wit::Error> {
        let config = Config::new(config, C::INFO.config).map_err(to_wit_error)?;
        let converter = C::open(&config, &object_name).map_err(to_wit_error)?;
        Ok(Session::new(SessionOf { inner: RefCell::new(converter) }))
    }
}

impl<C: Converter> GuestSession for SessionOf<C> {
    fn signals(&self) -> Vec<String> {
        self.inner.borrow().signals()
    }

    fn push(&self, chunk: Vec<u8>) -> Result<wit::Batch, wit::Error> {
        let mut out = Batch::default();
        self.inner.borrow_mut().push(&chunk, &mut out).map_err(to_wit_error)?;
        Ok(to_wit_batch(out))
    }

    fn finish(&self) -> Result<wit::Batch, wit::Error> {
        let mut out = Batch::default();
        self.inner.borrow_mut().finish(&mut out).map_err(to_wit_error)?;
        Ok(to_wit_batch(out))
    }
}

/// The host's catalogue import, in the SDK's types.
pub(crate) fn lookup(id: &str) -> Option<crate::catalogue::Entry> {
    use crate::catalogue::Datatype as D;
    use bindings::dataplace::converter::catalogue::{self as host, Datatype as H};
    host::lookup(id).map(|e| crate::catalogue::Entry {
        datatype: match e.datatype {
            H::Boolean => D::Boolean,
            H::Int8 => D::Int8,
            H::Int16 => D::Int16,
            H::Int32 => D::Int32,
            H::Int64 => D::Int64,
            H::Uint8 => D::Uint8,
            H::Uint16 => D::Uint16,
            H::Uint32 => D::Uint32,
            H::Uint64 => D::Uint64,
            H::Float => D::Float,
            H::Double => D::Double,
            H::String => D::String,
            H::StringArray => D::StringArray,
            H::FloatArray => D::FloatArray,
            H::Uint8Array => D::Uint8Array,
        },
        unit: e.unit,
        min: e.min,
        max: e.max,
        allowed: e.allowed,
    })
}

fn to_wit_error(e: Error) -> wit::Error {
    match e {
        Error::Config(m) => wit::Error::Config(m),
        Error::Fatal(m) => wit::Error::Fatal(m),
    }
}

/// Moves the batch's columns into the WIT record: no copy of the column data.
fn to_wit_batch(b: Batch) -> wit::Batch {
    let units = wit::UnitCounts {
        read: b.units_read(),
        decoded: b.decoded,
        skipped: b.skipped.into_iter().collect(),
    };
    wit::Batch {
        strings: b.strings,
        doubles: wit::Doubles { vehicle: b.doubles.vehicle, signal: b.doubles.signal, time: b.doubles.time, value: b.doubles.value },
        ints: wit::Ints { vehicle: b.ints.vehicle, signal: b.ints.signal, time: b.ints.time, value: b.ints.value },
        bools: wit::Bools { vehicle: b.bools.vehicle, signal: b.bools.signal, time: b.bools.time, value: b.bools.value },
        texts: wit::Texts { vehicle: b.texts.vehicle, signal: b.texts.signal, time: b.texts.time, value: b.texts.value },
        text_lists: wit::TextLists {
            vehicle: b.text_lists.vehicle,
            signal: b.text_lists.signal,
            time: b.text_lists.time,
            value: b.text_lists.value,
        },
        rejects: b
            .rejects
            .into_iter()
            .map(|r| {
                let (position, position_kind) = match r.position {
                    Position::Byte(p) => (p, wit::PositionKind::ByteOffset),
                    Position::Line(p) => (p, wit::PositionKind::LineNumber),
                };
                wit::Reject { position, position_kind, code: r.code, message: r.message, excerpt: r.excerpt }
            })
            .collect(),
        units,
        notes: b.notes.into_iter().collect(),
    }
}
