//! Progress of a job on a terminal (bytes, objects, rate, ETA); silent when stderr is not a
//! terminal, so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A job's progress display; cheap to clone and share between threads.
#[derive(Clone, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    inputs: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
}

impl Progress {
    /// No display at all.
    pub fn hidden() -> Self {
        Self::default()
    }

    /// A progress bar on stderr if it is a terminal, else nothing.
    pub fn on_terminal() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Self { bar: Some(bar), counts: Arc::default() }
    }

    /// The job starts with `bytes` in `inputs` objects.
    pub fn start(&self, bytes: u64, inputs: u64) {
        self.counts.inputs.store(inputs, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_length(bytes);
        }
        self.update_message();
    }

    /// `n` more bytes were handed to the plugin.
    pub fn read(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// One input object is done.
    pub fn input_done(&self, ok: bool) {
        self.counts.done.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.counts.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.update_message();
    }

    /// The job is over: clear the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn update_message(&self) {
        if let Some(bar) = &self.bar {
            let c = &self.counts;
            let (done, inputs, failed) = (c.done.load(Ordering::Relaxed), c.inputs.load(Ordering::Relaxed), c.failed.load(Ordering::Relaxed));
            bar.set_message(format!("{done}/{inputs} objects, {failed} failed"));
        }
    }
}
