//! Read access to the host's common catalogue, for converters that type their values from it
//! (a generic CAN converter reads the datatype of each mapped signal). In WebAssembly this calls
//! the host's `catalogue.lookup` import; in the native harness it calls the function registered
//! with [`crate::native::set_catalogue`].

/// VSS datatypes, as the catalogue import names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Float,
    Double,
    String,
    StringArray,
    FloatArray,
    Uint8Array,
}

impl Datatype {
    /// The representable range of an integer type (`uint64` capped at `i64::MAX`).
    pub fn int_range(self) -> Option<(i64, i64)> {
        use Datatype::*;
        Some(match self {
            Int8 => (i8::MIN.into(), i8::MAX.into()),
            Int16 => (i16::MIN.into(), i16::MAX.into()),
            Int32 => (i32::MIN.into(), i32::MAX.into()),
            Int64 => (i64::MIN, i64::MAX),
            Uint8 => (0, u8::MAX.into()),
            Uint16 => (0, u16::MAX.into()),
            Uint32 => (0, u32::MAX.into()),
            Uint64 => (0, i64::MAX),
            _ => return None,
        })
    }
}

/// What the catalogue says about one signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub datatype: Datatype,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub allowed: Vec<String>,
}

/// The catalogue entry of `id` (a VSS path), if the catalogue has it.
pub fn lookup(id: &str) -> Option<Entry> {
    #[cfg(target_arch = "wasm32")]
    {
        crate::guest::lookup(id)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::native::lookup(id)
    }
}
