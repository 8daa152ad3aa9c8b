//! The job report for people: one line per input with both ledgers, totals, reasons, failures.
//! (`--json` prints [`JobReport`] with serde instead.)

use crate::ledger::{JobReport, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Render the report as text.
pub fn human(r: &JobReport) -> String {
    let mut s = String::new();
    let p = &r.plugin;
    let _ = writeln!(s, "job {} · provider {} · plugin {} {} (sha256 {}…)", r.job_id, r.provider, p.name, p.version, &p.sha256[..12]);
    let _ = writeln!(s, "catalogue {} · fuel schedule {} · output {}", r.catalogue_version, r.fuel_schedule, r.output);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<32} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12} {:>12} {:>11} {:>14}  outcome",
        "object", "bytes", "units", "decoded", "skipped", "rejects", "observations", "written", "quarantined", "fuel"
    );
    for i in &r.inputs {
        let name = i.object.rsplit('/').next().unwrap_or(&i.object);
        let _ = writeln!(
            s,
            "{:<32} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12} {:>12} {:>11} {:>14}  {}",
            shorten(name, 32),
            i.bytes,
            i.units_read,
            i.decoded,
            i.skipped,
            i.rejects,
            i.observations,
            i.written,
            i.quarantined,
            i.fuel,
            outcome(i.outcome)
        );
    }
    let t = &r.totals;
    let _ = writeln!(
        s,
        "{:<32} {:>10} {:>9} {:>9} {:>8} {:>8} {:>12} {:>12} {:>11} {:>14}  {} ok, {} failed",
        format!("total ({} objects)", t.inputs),
        t.bytes,
        t.units_read,
        t.decoded,
        t.skipped,
        t.rejects,
        t.observations,
        t.written,
        t.quarantined,
        t.fuel,
        t.inputs_ok,
        t.inputs_failed
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "ledgers: units read {} = decoded {} + skipped {} + rejected {}; observations {} = written {} + quarantined {} + discarded {}",
        t.units_read, t.decoded, t.skipped, t.rejects, t.observations, t.written, t.quarantined, t.discarded
    );
    let mbps = t.bytes as f64 / 1e6 / r.wall_time_s.max(1e-9);
    let _ = writeln!(s, "wall time {:.2} s ({mbps:.1} MB/s)", r.wall_time_s);
    section(&mut s, "rejects by reason", r.inputs.iter().flat_map(|i| &i.rejects_by_reason));
    section(&mut s, "skipped by reason", r.inputs.iter().flat_map(|i| &i.skipped_by_reason));
    section(&mut s, "quarantined by reason", r.inputs.iter().flat_map(|i| &i.quarantined_by_reason));
    let failed: Vec<_> = r.inputs.iter().filter(|i| i.outcome != Outcome::Ok).collect();
    if !failed.is_empty() {
        let _ = writeln!(s, "failed inputs (nothing of them was published):");
        for i in failed {
            let _ = writeln!(s, "  {}: {}", i.object, i.error.as_deref().unwrap_or("failed"));
        }
    }
    s
}

fn section<'a>(s: &mut String, title: &str, counts: impl Iterator<Item = (&'a String, &'a u64)>) {
    let mut sum: BTreeMap<&str, u64> = BTreeMap::new();
    for (k, n) in counts {
        *sum.entry(k).or_default() += n;
    }
    if !sum.is_empty() {
        let list: Vec<String> = sum.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(s, "{title}: {}", list.join(", "));
    }
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Limit => "LIMIT",
        Outcome::Trap => "TRAP",
        Outcome::Error => "ERROR",
        Outcome::Io => "IO",
    }
}

fn shorten(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_owned()
    } else {
        let tail: String = name.chars().rev().take(width - 1).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{tail}")
    }
}
