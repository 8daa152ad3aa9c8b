//! Shadow runs: two versions of a plugin over the same inputs, and what changed between them —
//! observations added, removed and changed per signal (with examples), rejects that appeared or
//! went away, and the fuel difference — so an upgrade can be approved before it goes live.

use super::{Comparison, Observation, Rejected, run_input};
use crate::ledger::PluginId;
use crate::limits::{PluginLimits, SourceLimits};
use crate::plugin::Plugin;
use serde::Serialize;
use std::collections::BTreeMap;

/// Examples kept per signal and kind of change.
pub const EXAMPLES_PER_KIND: usize = 3;

/// One input of a shadow run: its name, config and bytes.
pub struct ShadowInput {
    /// The object's URL (reports) and key (what the plugin is told).
    pub url: String,
    pub key: String,
    pub config: Vec<(String, String)>,
    pub bytes: Vec<u8>,
}

/// How one version did on one input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SideResult {
    pub observations: u64,
    pub rejects: u64,
    pub fuel: u64,
    /// Why the plugin failed the input, if it did.
    pub failure: Option<String>,
}

/// Both versions on one input.
#[derive(Debug, Clone, Serialize)]
pub struct InputDiff {
    pub input: String,
    pub old: SideResult,
    pub new: SideResult,
}

/// The changes to one signal, over all inputs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SignalDiff {
    pub signal: String,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    /// A few of each kind, first come first kept.
    pub examples: Vec<Example>,
}

/// One example change.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// `added`, `removed` or `changed`.
    pub kind: &'static str,
    pub input: String,
    pub old: Option<Observation>,
    pub new: Option<Observation>,
}

/// A reject only one version produced.
#[derive(Debug, Clone, Serialize)]
pub struct RejectChange {
    pub input: String,
    /// `added` (only the new version rejects it) or `removed` (only the old one did).
    pub kind: &'static str,
    pub reject: Rejected,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub old: PluginId,
    pub new: PluginId,
    pub inputs: Vec<InputDiff>,
    /// Only signals with changes, by id.
    pub signals: Vec<SignalDiff>,
    pub rejects: Vec<RejectChange>,
    pub fuel_old: u64,
    pub fuel_new: u64,
    /// (new − old) / old, in percent; 0 when the old version used none.
    pub fuel_change_percent: f64,
    /// True when both versions produced the same observations and rejects, and neither failed.
    pub identical: bool,
}

/// Run `old` and `new` over every input and compare them.
pub fn shadow_run(old: (&Plugin, PluginId), new: (&Plugin, PluginId), inputs: &[ShadowInput], limits: &PluginLimits, source: &SourceLimits) -> DiffReport {
    let mut signals: BTreeMap<String, SignalDiff> = BTreeMap::new();
    let mut report = DiffReport {
        old: old.1,
        new: new.1,
        inputs: Vec::new(),
        signals: Vec::new(),
        rejects: Vec::new(),
        fuel_old: 0,
        fuel_new: 0,
        fuel_change_percent: 0.0,
        identical: true,
    };
    let chunk = source.chunk_bytes as usize;
    for input in inputs {
        let run = |p: &Plugin| run_input(p, &input.config, &input.key, &input.bytes, limits, chunk);
        let (a, b) = (run(old.0), run(new.0));
        let side = |r: &Result<super::Run, crate::plugin::Failure>| match r {
            Ok(run) => SideResult { observations: run.observations.len() as u64, rejects: run.rejects.len() as u64, fuel: run.fuel, failure: None },
            Err(f) => SideResult { fuel: f.fuel, failure: Some(f.error.to_string()), ..SideResult::default() },
        };
        let (sa, sb) = (side(&a), side(&b));
        report.fuel_old += sa.fuel;
        report.fuel_new += sb.fuel;
        report.identical &= sa.failure.is_none() && sb.failure.is_none();
        if let (Ok(a), Ok(b)) = (&a, &b) {
            let c = Comparison::of(&a.observations, &b.observations);
            report.identical &= c.is_empty();
            record(&mut signals, &input.url, c);
            let (removed, added) = super::fixtures::multiset_difference(a.rejects.clone(), b.rejects.clone());
            report.identical &= removed.is_empty() && added.is_empty();
            let change = |kind| move |reject| RejectChange { input: input.url.clone(), kind, reject };
            report.rejects.extend(added.into_iter().map(change("added")));
            report.rejects.extend(removed.into_iter().map(change("removed")));
        }
        report.inputs.push(InputDiff { input: input.url.clone(), old: sa, new: sb });
    }
    report.signals = signals.into_values().collect();
    if report.fuel_old > 0 {
        report.fuel_change_percent = (report.fuel_new as f64 - report.fuel_old as f64) / report.fuel_old as f64 * 100.0;
    }
    report
}

/// Count one input's changes per signal, keeping a few examples.
fn record(signals: &mut BTreeMap<String, SignalDiff>, input: &str, c: Comparison) {
    let changes = c.added.into_iter().map(|n| ("added", None, Some(n)));
    let changes = changes.chain(c.removed.into_iter().map(|o| ("removed", Some(o), None)));
    let changes = changes.chain(c.changed.into_iter().map(|(o, n)| ("changed", Some(o), Some(n))));
    for (kind, old, new) in changes {
        let signal = old.as_ref().or(new.as_ref()).map(|o| o.signal.clone()).unwrap_or_default();
        let d = signals.entry(signal.clone()).or_insert_with(|| SignalDiff { signal, ..SignalDiff::default() });
        *match kind {
            "added" => &mut d.added,
            "removed" => &mut d.removed,
            _ => &mut d.changed,
        } += 1;
        if d.examples.iter().filter(|e| e.kind == kind).count() < EXAMPLES_PER_KIND {
            d.examples.push(Example { kind, input: input.to_owned(), old, new });
        }
    }
}

impl DiffReport {
    /// A human account for the terminal.
    pub fn human(&self) -> String {
        let id = |p: &PluginId| format!("{} {} (sha256 {})", p.name, p.version, &p.sha256[..12.min(p.sha256.len())]);
        let mut s = format!("old: {}\nnew: {}\n", id(&self.old), id(&self.new));
        for i in &self.inputs {
            let side = |r: &SideResult| match &r.failure {
                Some(f) => format!("FAILED ({f})"),
                None => format!("{} observations, {} rejects, fuel {}", r.observations, r.rejects, r.fuel),
            };
            s.push_str(&format!("{}\n  old: {}\n  new: {}\n", i.input, side(&i.old), side(&i.new)));
        }
        for d in &self.signals {
            s.push_str(&format!("{}: +{} added, -{} removed, ~{} changed\n", d.signal, d.added, d.removed, d.changed));
            for e in &d.examples {
                let show = |o: &Option<Observation>| o.as_ref().map_or(String::new(), |o| format!("{} @{} = {}", o.vehicle_id, o.time_us, o.value));
                match e.kind {
                    "added" => s.push_str(&format!("    + {}\n", show(&e.new))),
                    "removed" => s.push_str(&format!("    - {}\n", show(&e.old))),
                    _ => s.push_str(&format!("    ~ {} -> {}\n", show(&e.old), e.new.as_ref().map_or(String::new(), |n| n.value.to_string()))),
                }
            }
        }
        for r in &self.rejects {
            let sign = if r.kind == "added" { '+' } else { '-' };
            s.push_str(&format!("reject {sign} {} at {} {}: {}\n", r.reject.code, r.reject.position_kind, r.reject.position, r.reject.message));
        }
        s.push_str(&format!("fuel: {} -> {} ({:+.1} %)\n", self.fuel_old, self.fuel_new, self.fuel_change_percent));
        s.push_str(if self.identical { "identical output\n" } else { "the versions differ\n" });
        s
    }
}
