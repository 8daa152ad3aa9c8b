//! Timing, the wasm side of the sandbox benchmark, and the result table.

use dataplace::catalogue::Catalogue;
use dataplace::plugin::{Batch, Host, Plugin, PluginLimits};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Run `f` once and time it.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// Megabytes per second.
pub fn mbps(mb: f64, d: Duration) -> f64 {
    mb / d.as_secs_f64().max(1e-9)
}

fn observations(b: &Batch) -> usize {
    b.doubles.value.len() + b.ints.value.len() + b.bools.value.len() + b.texts.value.len() + b.text_lists.value.len()
}

/// Compile `component` on a host with production limits, fuel metering on or off.
pub fn load(component: &[u8], metered: bool) -> Plugin {
    let limits = PluginLimits::default();
    let host = Host::build(&limits, Catalogue::builtin(), metered, None).expect("host");
    host.load(component, &limits).expect("plugin")
}

/// Decode `input` with `plugin` in a fresh sandbox, chunk by chunk, lifting every batch into the
/// host as a job does (no validation, no output). Returns the observations.
pub fn wasm_decode(plugin: &Plugin, config: &[(String, String)], input: &[u8], chunk: usize) -> usize {
    let limits = PluginLimits::default();
    let mut session = plugin.open(config, "bench.bin", input.len() as u64, &limits).expect("open");
    let mut n = 0;
    for c in input.chunks(chunk) {
        n += observations(&session.push(c).expect("push"));
    }
    n + observations(&session.finish().expect("finish"))
}

/// The fastest of `runs` timed runs of `f` (the least disturbed by the rest of the machine).
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, Duration) {
    let (mut value, mut best) = time(&mut f);
    for _ in 1..runs {
        let (v, d) = time(&mut f);
        if d < best {
            (value, best) = (v, d);
        }
    }
    (value, best)
}

/// Mean time of a fresh sandbox per object: store, instance, open and finish of an empty input.
pub fn instantiation(component: &[u8], n: usize) -> Duration {
    let limits = PluginLimits::default();
    let host = Host::new(&limits, Catalogue::builtin()).expect("host");
    let plugin = host.load(component, &limits).expect("plugin");
    let ((), total) = time(|| {
        for _ in 0..n {
            let mut session = plugin.open(&[], "small.bin", 0, &limits).expect("open");
            session.finish().expect("finish");
        }
    });
    total / n as u32
}

/// One line of the result table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    /// The measured ratio (or `None` for information rows).
    pub ratio: Option<f64>,
    /// The target the ratio must meet (≤ when lower is better, ≥ otherwise); 0 = no target.
    pub target: f64,
    pub higher_is_better: bool,
    pub pass: Option<bool>,
    /// Absolute numbers, for context.
    pub context: String,
}

impl Row {
    pub fn ratio(name: &str, ratio: f64, target: f64, higher_is_better: bool) -> Row {
        let pass = (target > 0.0).then_some(if higher_is_better { ratio >= target } else { ratio <= target });
        Row { name: name.to_owned(), ratio: Some(ratio), target, higher_is_better, pass, context: String::new() }
    }

    pub fn info(name: &str, context: String) -> Row {
        Row { name: name.to_owned(), ratio: None, target: 0.0, higher_is_better: false, pass: None, context }
    }

    pub fn context(mut self, context: String) -> Row {
        self.context = context;
        self
    }
}

/// The results of a run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    pub fn push(&mut self, row: Row) {
        eprintln!("{}", Report::line(&row));
        self.rows.push(row);
    }

    fn line(r: &Row) -> String {
        let ratio = r.ratio.map_or("—".to_owned(), |v| format!("{v:.2}"));
        let target = if r.target > 0.0 { format!("{} {}", if r.higher_is_better { "≥" } else { "≤" }, r.target) } else { "—".to_owned() };
        let pass = match r.pass {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "",
        };
        format!("| {} | {ratio} | {target} | {pass} | {} |", r.name, r.context)
    }

    /// The table as Markdown.
    pub fn table(&self) -> String {
        let mut s = String::from("| measurement | ratio | target | result | context |\n|---|---|---|---|---|\n");
        for r in &self.rows {
            s += &Report::line(r);
            s.push('\n');
        }
        s
    }
}
