//! Deterministic CPU metering: the engine configuration that makes fuel reproducible, the pinned
//! fuel cost schedule every bill refers to, and the epoch ticker behind the wall-clock backstop.

use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::{Config, OperatorCost, OptLevel};

/// Name of the fuel cost schedule: wasmtime's default operator costs (1 fuel per operator,
/// 0 for `nop`, `drop` and structured control flow, plus 1 per byte of bulk memory operations),
/// pinned here explicitly so a wasmtime upgrade cannot change prices silently.
pub const SCHEDULE_NAME: &str = "dp-fuel-1";

/// How often the epoch advances: the resolution of the wall-clock backstop.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The pinned fuel cost of every WebAssembly operator.
pub fn operator_costs() -> OperatorCost {
    OperatorCost::new()
}

/// `dp-fuel-1+<12 hex digits>`: the schedule name and a digest of the exact cost table, so a
/// ledger row names the prices it was computed with.
pub fn schedule_id() -> String {
    let table = serde_json::to_vec(&operator_costs()).expect("the cost table serialises");
    let digest = hex::encode(Sha256::digest(&table));
    format!("{SCHEDULE_NAME}+{}", &digest[..12])
}

/// The version of wasmtime that compiled and metered the plugins.
pub const WASMTIME_VERSION: &str = "48";

/// Engine configuration: component model, Cranelift optimising for speed, fuel with the pinned
/// schedule, epoch interruption, and the determinism switches (canonical NaNs, deterministic
/// relaxed SIMD), so the same input gives the same output and the same fuel on any machine.
/// `fuel = false` only serves to measure what metering itself costs (benchmarks).
///
/// With `DATAPLACE_PERFMAP=1` in the environment, compiled plugin code is announced to `perf`
/// (`/tmp/perf-<pid>.map`), so `perf record` / `perf report` name plugin functions; it changes
/// nothing else.
pub fn engine_config(max_wasm_stack: usize, fuel: bool) -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .strategy(wasmtime::Strategy::Cranelift)
        .cranelift_opt_level(OptLevel::Speed)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .consume_fuel(fuel)
        .operator_cost(operator_costs())
        .epoch_interruption(true)
        .max_wasm_stack(max_wasm_stack);
    if std::env::var_os("DATAPLACE_PERFMAP").is_some_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// Advances an engine's epoch every [`EPOCH_TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Start ticking `engine`'s epoch on a background thread.
    pub fn start(engine: wasmtime::Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("dataplace-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_id_is_stable() {
        let id = schedule_id();
        assert!(id.starts_with("dp-fuel-1+") && id.len() == "dp-fuel-1+".len() + 12, "{id}");
        assert_eq!(id, schedule_id());
    }
}
