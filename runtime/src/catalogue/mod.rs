//! The common catalogue: every signal id an observation may carry (COVESA VSS 6.0 with its OBD
//! overlay, plus the project overlay), versioned data embedded in the binary.

mod coverage;
mod entry;
pub mod export;

pub use coverage::{Coverage, CoverageError};
pub use entry::{Column, Datatype, Entry, Kind};

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;

const VSS: &str = include_str!("../../catalogue/vss-6.0.toml");
const OVERLAY: &str = include_str!("../../catalogue/overlay.toml");

/// Why catalogue data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue file {file}: {source}")]
    Parse { file: &'static str, source: toml::de::Error },
    #[error("signal id {0} appears twice")]
    Duplicate(String),
    #[error("overlay signal {0} reuses a VSS id; change VSS entries only through [[widen]]")]
    Shadows(String),
    #[error("overlay widens {0}, which the catalogue does not have")]
    WidenUnknown(String),
    #[error("overlay widens {0} without giving a reason")]
    WidenWithoutReason(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VssFile {
    signal: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverlayFile {
    version: String,
    #[serde(default)]
    signal: Vec<Entry>,
    #[serde(default)]
    widen: Vec<Widen>,
}

/// A VSS entry whose range the overlay widens, in the open.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Widen {
    id: String,
    min: Option<f64>,
    max: Option<f64>,
    reason: String,
}

/// The catalogue: entries sorted by id, looked up by id.
#[derive(Debug)]
pub struct Catalogue {
    version: String,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Catalogue {
    /// The catalogue built into this binary.
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: LazyLock<Catalogue> =
            LazyLock::new(|| Catalogue::from_sources(VSS, OVERLAY).expect("the built-in catalogue is valid (tested)"));
        &BUILTIN
    }

    /// Build a catalogue from the VSS file and the project overlay (both TOML).
    ///
    /// # Errors
    /// A parse error, a duplicate id, an overlay signal that reuses a VSS id, or a widening of an
    /// unknown id or without a reason.
    pub fn from_sources(vss: &str, overlay: &str) -> Result<Catalogue, CatalogueError> {
        let vss: VssFile = toml::from_str(vss).map_err(|source| CatalogueError::Parse { file: "vss-6.0.toml", source })?;
        let overlay: OverlayFile =
            toml::from_str(overlay).map_err(|source| CatalogueError::Parse { file: "overlay.toml", source })?;
        let mut entries = vss.signal;
        let mut index = HashMap::with_capacity(entries.len() + overlay.signal.len());
        for (i, e) in entries.iter().enumerate() {
            if index.insert(e.id.clone(), i).is_some() {
                return Err(CatalogueError::Duplicate(e.id.clone()));
            }
        }
        for e in overlay.signal {
            if index.contains_key(&e.id) {
                return Err(CatalogueError::Shadows(e.id));
            }
            index.insert(e.id.clone(), entries.len());
            entries.push(e);
        }
        for w in overlay.widen {
            let &i = index.get(&w.id).ok_or_else(|| CatalogueError::WidenUnknown(w.id.clone()))?;
            if w.reason.trim().is_empty() {
                return Err(CatalogueError::WidenWithoutReason(w.id));
            }
            let e = &mut entries[i];
            e.min = w.min.or(e.min);
            e.max = w.max.or(e.max);
            e.widened = Some(w.reason);
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        let index = entries.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
        Ok(Catalogue { version: overlay.version, entries, index })
    }

    /// The catalogue version every export names (`<overlay version>+vss-6.0`).
    pub fn version(&self) -> String {
        format!("{}+vss-6.0", self.version)
    }

    /// The entry of `id`, if the catalogue has it.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    /// All entries, sorted by id.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entries whose id or description contains `text` (case-insensitive), under the branch
    /// `branch` (an id prefix such as `Vehicle.Powertrain`), optionally only the core ones.
    pub fn search(&self, text: Option<&str>, branch: Option<&str>, core_only: bool) -> Vec<&Entry> {
        let text = text.map(str::to_lowercase);
        self.entries
            .iter()
            .filter(|e| !core_only || e.core)
            .filter(|e| branch.is_none_or(|b| e.id == b || e.id.starts_with(&format!("{}.", b.trim_end_matches('.')))))
            .filter(|e| {
                text.as_ref().is_none_or(|t| e.id.to_lowercase().contains(t) || e.description.to_lowercase().contains(t))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalogue_loads() {
        let c = Catalogue::builtin();
        let speed = c.get("Vehicle.Speed").unwrap();
        assert_eq!((speed.datatype, speed.unit.as_deref()), (Datatype::Float, Some("km/h")));
        assert!(c.get("Vehicle.NoSuchThing").is_none());
        let soh = c.get("Vehicle.Powertrain.TractionBattery.StateOfHealth").unwrap();
        assert_eq!(soh.max, Some(120.0));
        assert!(soh.widened.is_some());
    }

    #[test]
    fn every_entry_is_well_formed() {
        let c = Catalogue::builtin();
        let sources = ["VSS 6.0", "VSS 6.0 OBD overlay", "dataplace overlay"];
        for e in c.entries() {
            let parts: Vec<&str> = e.id.split('.').collect();
            assert!(parts.len() >= 2 && parts[0] == "Vehicle", "{}: ids are VSS paths under Vehicle", e.id);
            assert!(parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric())), "{}", e.id);
            assert!(!e.description.trim().is_empty(), "{}: no description", e.id);
            assert!(sources.contains(&e.source.as_str()), "{}: source {}", e.id, e.source);
            if let (Some(min), Some(max)) = (e.min, e.max) {
                assert!(min <= max, "{}: min {min} > max {max}", e.id);
            }
            if !e.allowed.is_empty() {
                assert!(matches!(e.datatype, Datatype::String | Datatype::StringArray), "{}: allowed values on a non-text type", e.id);
            }
            if e.datatype.column() != Some(Column::Double) && e.datatype.int_range().is_none() {
                assert!(e.min.is_none() && e.max.is_none(), "{}: a range on a non-numeric type", e.id);
            }
            assert!(e.widened.is_none() || e.source != "dataplace overlay", "{}: only VSS entries are widened", e.id);
        }
    }

    #[test]
    fn all_vss_leaves_and_enough_core_items_are_there() {
        let c = Catalogue::builtin();
        let count = |source: &str| c.entries().iter().filter(|e| e.source == source).count();
        assert_eq!(count("VSS 6.0") + count("VSS 6.0 OBD overlay"), 1386, "every leaf of VSS 6.0 with the OBD overlay");
        assert_eq!(count("VSS 6.0 OBD overlay"), 119);
        assert!(count("dataplace overlay") >= 5);
        assert!(c.entries().iter().filter(|e| e.core).count() >= 120);
        // Both sources of a datum are valid catalogue items, side by side.
        assert!(c.get("Vehicle.Speed").unwrap().core && c.get("Vehicle.OBD.Speed").unwrap().core);
    }

    #[test]
    fn search_by_text_branch_and_core() {
        let c = Catalogue::builtin();
        let odometer: Vec<&str> = c.search(Some("TRAVELEDDISTANCE"), None, true).iter().map(|e| e.id.as_str()).collect();
        assert_eq!(odometer, ["Vehicle.TraveledDistance", "Vehicle.TraveledDistanceSinceStart"], "case-insensitive");
        let pressure: Vec<&str> = c.search(Some("Pressure"), Some("Vehicle.Chassis.Axle.Row1"), true).iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            pressure,
            [
                "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.IsPressureLow",
                "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure",
                "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.IsPressureLow",
                "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure"
            ]
        );
        assert_eq!(c.search(None, Some("Vehicle.Speed"), false).len(), 1, "a leaf is its own branch");
    }

    #[test]
    fn the_overlay_cannot_shadow_a_vss_id() {
        let vss = "[[signal]]\nid = \"Vehicle.Speed\"\nkind = \"sensor\"\ndatatype = \"float\"\ndescription = \"d\"\nsource = \"VSS 6.0\"\n";
        let overlay = format!("version = \"1\"\n{}", vss.replace("VSS 6.0", "dataplace overlay"));
        assert!(matches!(Catalogue::from_sources(vss, &overlay), Err(CatalogueError::Shadows(id)) if id == "Vehicle.Speed"));
        let widen = "version = \"1\"\n[[widen]]\nid = \"Vehicle.Speed\"\nmax = 500\nreason = \" \"\n";
        assert!(matches!(Catalogue::from_sources(vss, widen), Err(CatalogueError::WidenWithoutReason(_))));
        let unknown = "version = \"1\"\n[[widen]]\nid = \"Vehicle.Nope\"\nmax = 5\nreason = \"r\"\n";
        assert!(matches!(Catalogue::from_sources(vss, unknown), Err(CatalogueError::WidenUnknown(_))));
    }
}
