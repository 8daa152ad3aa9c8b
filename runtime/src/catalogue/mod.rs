//! The common catalogue: every signal id an observation may carry (COVESA VSS 6.0 with its OBD
//! overlay, plus the project overlay), versioned data embedded in the binary.

mod entry;

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
