//! One catalogue entry: what a signal id means, its type, unit and valid values.

use serde::{Deserialize, Serialize};

/// VSS node kinds that carry values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Sensor,
    Actuator,
    Attribute,
}

impl Kind {
    /// The VSS spelling: `sensor`, `actuator`, `attribute`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sensor => "sensor",
            Kind::Actuator => "actuator",
            Kind::Attribute => "attribute",
        }
    }
}

/// VSS datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Datatype {
    #[serde(rename = "boolean")]
    Boolean,
    #[serde(rename = "int8")]
    Int8,
    #[serde(rename = "int16")]
    Int16,
    #[serde(rename = "int32")]
    Int32,
    #[serde(rename = "int64")]
    Int64,
    #[serde(rename = "uint8")]
    Uint8,
    #[serde(rename = "uint16")]
    Uint16,
    #[serde(rename = "uint32")]
    Uint32,
    #[serde(rename = "uint64")]
    Uint64,
    #[serde(rename = "float")]
    Float,
    #[serde(rename = "double")]
    Double,
    #[serde(rename = "string")]
    String,
    #[serde(rename = "string[]")]
    StringArray,
    #[serde(rename = "float[]")]
    FloatArray,
    #[serde(rename = "uint8[]")]
    Uint8Array,
}

/// The value column of the output table that carries a datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Double,
    Int,
    Bool,
    Text,
    TextList,
}

impl Datatype {
    /// The column that carries values of this type, or `None` for numeric arrays (no column
    /// carries them yet: an emission is quarantined as the wrong type).
    pub fn column(self) -> Option<Column> {
        use Datatype::*;
        match self {
            Boolean => Some(Column::Bool),
            Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64 => Some(Column::Int),
            Float | Double => Some(Column::Double),
            String => Some(Column::Text),
            StringArray => Some(Column::TextList),
            FloatArray | Uint8Array => None,
        }
    }

    /// The representable range of an integer type (`uint64` capped at `i64::MAX`, the int column).
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

    /// The VSS spelling (`uint8`, `string[]` …).
    pub fn as_str(self) -> &'static str {
        use Datatype::*;
        match self {
            Boolean => "boolean",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            Uint8 => "uint8",
            Uint16 => "uint16",
            Uint32 => "uint32",
            Uint64 => "uint64",
            Float => "float",
            Double => "double",
            String => "string",
            StringArray => "string[]",
            FloatArray => "float[]",
            Uint8Array => "uint8[]",
        }
    }
}

/// One signal of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The signal id: a VSS path such as `Vehicle.Speed`.
    pub id: String,
    /// Sensor, actuator or attribute.
    pub kind: Kind,
    /// The VSS datatype; decides the value column.
    pub datatype: Datatype,
    /// VSS unit id (`km/h`, `m`, `Celsius` …); absent for unitless signals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Smallest valid value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest valid value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The only valid text values (enumerations); empty when any value is allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// What the signal means.
    pub description: String,
    /// Set when VSS deprecates the signal: what to use instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// True when a value identifies or locates a person (GDPR personal data).
    #[serde(default)]
    pub personal: bool,
    /// True for the after-sales core items.
    #[serde(default)]
    pub core: bool,
    /// Where the entry comes from: `VSS 6.0`, `VSS 6.0 OBD overlay` or `dataplace overlay`.
    pub source: String,
    /// Why the project overlay widened this VSS entry's range, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widened: Option<String>,
}
