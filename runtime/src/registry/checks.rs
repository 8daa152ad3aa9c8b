//! Validation at publish: a component is accepted only if it fits the size limit, compiles,
//! targets a compatible version of our WIT world, imports nothing the sandbox does not grant,
//! and passes the fixtures it ships with under production limits.

use super::{MAX_COMPONENT_BYTES, RegistryError, Validated};
use crate::authoring::fixtures::{self, FixtureReport};
use crate::catalogue::Catalogue;
use crate::limits::Limits;
use crate::plugin::{Host, Plugin};
use std::path::Path;

/// Check `component` and run the fixtures in `fixtures_dir` under `limits` (production limits:
/// [`Limits::default`]). Returns what the manifest records, and every fixture's report.
///
/// # Errors
/// [`RegistryError::Refused`] naming the check that failed (with the failing fixtures' accounts);
/// [`RegistryError::Fixtures`] when the fixtures cannot be read.
pub fn validate(component: &[u8], fixtures_dir: &Path, limits: &Limits) -> Result<(Validated, Vec<FixtureReport>), RegistryError> {
    if component.len() as u64 > MAX_COMPONENT_BYTES {
        return Err(RegistryError::Refused(format!("the component is {} bytes; the limit is {MAX_COMPONENT_BYTES}", component.len())));
    }
    let host = Host::new(&limits.plugin, Catalogue::builtin()).map_err(|e| RegistryError::Refused(e.to_string()))?;
    let plugin = host.load(component, &limits.plugin).map_err(|e| RegistryError::Refused(e.to_string()))?;
    let ungranted = plugin.ungranted_imports();
    if !ungranted.is_empty() {
        return Err(RegistryError::Refused(format!(
            "the component imports {}, which the sandbox does not grant (plugins get no network, no host files, no environment)",
            ungranted.join(", ")
        )));
    }
    let reports = fixtures::run_all(&plugin, fixtures_dir, &limits.plugin, &limits.source)?;
    let failed: Vec<&FixtureReport> = reports.iter().filter(|r| !r.passed).collect();
    if !failed.is_empty() {
        let accounts: String = failed.iter().map(|r| r.human()).collect();
        return Err(RegistryError::Refused(format!("{} of {} fixtures fail under production limits:\n{accounts}", failed.len(), reports.len())));
    }
    let info = plugin.info();
    let validated = Validated {
        name: info.name.clone(),
        version: info.version.clone(),
        signals: default_signals(&plugin, limits),
        formats: info.formats.clone(),
        unit: info.unit.clone(),
        fixtures_passed: reports.len() as u64,
    };
    Ok((validated, reports))
}

/// The signals a session with an empty config declares; `None` when the plugin needs a config
/// to open (its signals depend on it).
pub fn default_signals(plugin: &Plugin, limits: &Limits) -> Option<Vec<String>> {
    let mut signals = plugin.declared_signals(&[], &limits.plugin).ok()?;
    signals.sort();
    Some(signals)
}
