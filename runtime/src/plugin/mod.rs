//! The plugin stage: compile a converter component once per engine, then run one fresh,
//! metered, sandboxed instance per input object. A trap or limit fails only that object; its
//! store is dropped, never reused.

mod cache;
pub mod crate_build;
mod metering;
mod sandbox;

pub use cache::CompiledCache;
pub use metering::{SCHEDULE_NAME, WASMTIME_VERSION, schedule_id};
pub use sandbox::LimitExceeded;

use crate::catalogue::Catalogue;
pub use crate::limits::PluginLimits;
use sandbox::Sandbox;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use wasmtime::component::{Component, HasSelf, Linker, ResourceAny};
use wasmtime::{Engine, Store, Trap};

/// Host bindings of the `dataplace:converter/plugin` world (`wit/converter.wit`).
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

use bindings::dataplace::converter::types as wit;
pub use wit::{Batch, PluginInfo, PositionKind, Reject, UnitCounts};

impl PositionKind {
    /// The name stored in the quarantine and shown to providers: `byte-offset` or `line-number`.
    pub fn as_str(self) -> &'static str {
        match self {
            PositionKind::ByteOffset => "byte-offset",
            PositionKind::LineNumber => "line-number",
        }
    }
}

/// Why a plugin could not be loaded or failed on an input object.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The component cannot be used at all.
    #[error("not a usable dataplace:converter@0.1.0 component: {0}")]
    Invalid(String),
    /// A resource limit was hit (fuel, memory, wall clock, batch size …).
    #[error("{0}")]
    Limit(LimitExceeded),
    /// The plugin trapped (panic, abort, invalid memory access, stack overflow …).
    #[error("trap: {message}{}", log_suffix(.log))]
    Trap { message: String, log: String },
    /// The plugin refused its configuration.
    #[error("config error: {0}")]
    Config(String),
    /// The plugin gave up on the object.
    #[error("fatal: {0}")]
    Fatal(String),
    /// The plugin returned something the contract forbids.
    #[error("contract violation: {0}")]
    Contract(String),
}

fn log_suffix(log: &str) -> String {
    let log = log.trim();
    if log.is_empty() { String::new() } else { format!("; plugin output: {log}") }
}

impl PluginError {
    /// The outcome class recorded in reports and the ledger: `limit`, `trap` or `error`.
    pub fn outcome(&self) -> &'static str {
        match self {
            PluginError::Limit(_) => "limit",
            PluginError::Trap { .. } => "trap",
            _ => "error",
        }
    }
}

/// One engine, linker and epoch ticker for the whole process: components compiled on it are
/// shared by all jobs and inputs.
pub struct Host {
    engine: Engine,
    linker: Linker<Sandbox>,
    catalogue: &'static Catalogue,
    /// False only for benchmarks measuring what fuel metering costs.
    metered: bool,
    /// Where compiled code is kept between runs (none: compile every time).
    cache: Option<CompiledCache>,
    _ticker: metering::EpochTicker,
}

impl Host {
    /// Build the engine (fuel, epochs, deterministic floats) and the linker (WASI with nothing
    /// granted, plus the catalogue import).
    ///
    /// # Errors
    /// [`PluginError::Invalid`] if wasmtime rejects the configuration.
    pub fn new(limits: &PluginLimits, catalogue: &'static Catalogue) -> Result<Arc<Host>, PluginError> {
        Self::build(limits, catalogue, true, CompiledCache::default_location())
    }

    /// A host with explicit metering and compiled-code cache (`None`: compile on every load).
    /// `metered = false` only serves benchmarks measuring what metering costs, never jobs (the
    /// wall-clock backstop is then the only CPU limit, and nothing is billed).
    ///
    /// # Errors
    /// [`PluginError::Invalid`] if wasmtime rejects the configuration.
    pub fn build(limits: &PluginLimits, catalogue: &'static Catalogue, metered: bool, cache: Option<CompiledCache>) -> Result<Arc<Host>, PluginError> {
        let engine = Engine::new(&metering::engine_config(limits.stack_bytes as usize, metered))
            .map_err(|e| PluginError::Invalid(format!("engine configuration: {e}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| PluginError::Invalid(e.to_string()))?;
        bindings::Plugin::add_to_linker::<Sandbox, HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(|e| PluginError::Invalid(e.to_string()))?;
        let ticker = metering::EpochTicker::start(engine.clone());
        Ok(Arc::new(Host { engine, linker, catalogue, metered, cache, _ticker: ticker }))
    }

    /// Compile a component and check it exports the converter world.
    ///
    /// # Errors
    /// [`PluginError::Invalid`] when the bytes are not a component of our world or its imports
    /// are not all granted; any other error when `describe` fails.
    pub fn load(self: &Arc<Self>, bytes: &[u8], limits: &PluginLimits) -> Result<Plugin, PluginError> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (component, from_cache) = match &self.cache {
            Some(cache) => cache.load(&self.engine, bytes, &sha256),
            None => Component::from_binary(&self.engine, bytes).map(|c| (c, false)),
        }
        .map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        let component_type = component.component_type();
        let imports: Vec<String> = component_type.imports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        let exports: Vec<String> = component_type.exports(&self.engine).map(|(name, _)| name.to_owned()).collect();
        if !exports.iter().any(|e| e.starts_with("dataplace:converter/converter@0.1.")) {
            return Err(PluginError::Invalid(format!("does not export dataplace:converter/converter@0.1 (it exports {})", exports.join(", "))));
        }
        let pre = self.linker.instantiate_pre(&component).map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        let pre = bindings::PluginPre::new(pre).map_err(|e| PluginError::Invalid(format!("{e:#}")))?;
        let mut plugin = Plugin { host: self.clone(), pre, sha256, info: None, from_cache, imports, exports };
        let fuel = limits.fuel_base;
        let (mut store, instance) = plugin.instantiate(limits, fuel)?;
        let info = instance.dataplace_converter_converter().call_describe(&mut store).map_err(|e| classify(e, &store, limits, fuel))?;
        plugin.info = Some(info);
        Ok(plugin)
    }
}

/// A compiled converter, ready to open sessions.
pub struct Plugin {
    host: Arc<Host>,
    pre: bindings::PluginPre<Sandbox>,
    sha256: String,
    info: Option<PluginInfo>,
    from_cache: bool,
    imports: Vec<String>,
    exports: Vec<String>,
}

/// The interfaces a published plugin may import: what Rust's `wasm32-wasip2` standard library
/// needs (all backed by the sandbox's stand-ins) and the catalogue. The runtime links the rest of
/// WASI too but grants nothing behind it (sockets fail); the registry refuses components that
/// import it.
const GRANTED_IMPORTS: [&str; 6] = ["wasi:cli/", "wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:filesystem/", "dataplace:converter/"];

fn granted(import: &str) -> bool {
    GRANTED_IMPORTS.iter().any(|prefix| import.starts_with(prefix))
}

impl Plugin {
    /// What the plugin says about itself.
    pub fn info(&self) -> &PluginInfo {
        self.info.as_ref().expect("set at load")
    }

    /// Hex SHA-256 of the component bytes: the plugin's identity in lineage and ledger.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// True when its machine code came from the compiled-code cache.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }

    /// The interfaces the component imports.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// The interfaces the component exports.
    pub fn exports(&self) -> &[String] {
        &self.exports
    }

    /// Imports beyond what the sandbox grants (see [`GRANTED_IMPORTS`]).
    pub fn ungranted_imports(&self) -> Vec<&str> {
        self.imports.iter().map(String::as_str).filter(|i| !granted(i)).collect()
    }

    fn instantiate(&self, limits: &PluginLimits, fuel: u64) -> Result<(Store<Sandbox>, bindings::Plugin), PluginError> {
        let mut store = Store::new(&self.host.engine, Sandbox::new(limits, self.host.catalogue));
        store.limiter(|s| &mut s.limiter);
        if self.host.metered {
            store.set_fuel(fuel).map_err(|e| PluginError::Invalid(e.to_string()))?;
        }
        store.epoch_deadline_trap();
        store.set_epoch_deadline(ticks(limits));
        let instance = self.pre.instantiate(&mut store).map_err(|e| classify(e, &store, limits, fuel))?;
        Ok((store, instance))
    }

    /// The signals a session opened with `config` declares (for coverage, inspection and the
    /// registry manifest; nothing is converted).
    ///
    /// # Errors
    /// [`PluginError::Config`] when the plugin refuses the config; a limit or trap otherwise.
    pub fn declared_signals(&self, config: &[(String, String)], limits: &PluginLimits) -> Result<Vec<String>, Failure> {
        self.open(config, "declared-signals", 0, limits)?.signals()
    }

    /// Open a session for one input object of `size` bytes in a fresh store with `limits`.
    ///
    /// # Errors
    /// [`PluginError::Config`] when the plugin refuses the config; a limit or trap otherwise.
    pub fn open(&self, config: &[(String, String)], object_name: &str, size: u64, limits: &PluginLimits) -> Result<Session, Failure> {
        let fuel = limits.fuel_budget(size);
        let (mut store, instance) = self.instantiate(limits, fuel).map_err(|error| Failure { error, fuel })?;
        let opened = instance.dataplace_converter_converter().call_open(&mut store, config, object_name);
        let mut session = Session { store, instance, resource: None, limits: limits.clone(), fuel };
        let resource = match opened {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(session.fail(wit_error(e))),
            Err(e) => return Err(session.trap(e)),
        };
        session.resource = Some(resource);
        Ok(session)
    }
}

/// A plugin failure, with the fuel to bill for it.
#[derive(Debug)]
pub struct Failure {
    pub error: PluginError,
    /// Fuel used up to the failure; the whole budget for fuel and wall-clock limits.
    pub fuel: u64,
}

/// One open session: the conversion of one input object in its own store.
pub struct Session {
    store: Store<Sandbox>,
    instance: bindings::Plugin,
    resource: Option<ResourceAny>,
    limits: PluginLimits,
    /// This object's fuel budget.
    fuel: u64,
}

impl Session {
    /// The catalogue signals the session may emit.
    ///
    /// # Errors
    /// A trap or limit.
    pub fn signals(&mut self) -> Result<Vec<String>, Failure> {
        self.arm();
        let r = self.resource.expect("open session");
        self.instance.dataplace_converter_converter().session().call_signals(&mut self.store, r).map_err(|e| self.trap(e))
    }

    /// Push the next chunk of the object.
    ///
    /// # Errors
    /// A trap, a limit, or the plugin's own fatal error.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Batch, Failure> {
        self.arm();
        let r = self.resource.expect("open session");
        match self.instance.dataplace_converter_converter().session().call_push(&mut self.store, r, chunk) {
            Ok(Ok(batch)) => Ok(batch),
            Ok(Err(e)) => Err(self.fail(wit_error(e))),
            Err(e) => Err(self.trap(e)),
        }
    }

    /// End of the object.
    ///
    /// # Errors
    /// A trap, a limit, or the plugin's own fatal error.
    pub fn finish(&mut self) -> Result<Batch, Failure> {
        self.arm();
        let r = self.resource.expect("open session");
        match self.instance.dataplace_converter_converter().session().call_finish(&mut self.store, r) {
            Ok(Ok(batch)) => Ok(batch),
            Ok(Err(e)) => Err(self.fail(wit_error(e))),
            Err(e) => Err(self.trap(e)),
        }
    }

    /// Fuel used so far: the budget minus what remains (0 on an unmetered host).
    pub fn fuel_used(&self) -> u64 {
        self.store.get_fuel().map_or(0, |left| self.fuel - left)
    }

    /// Largest linear memory the plugin grew to, in bytes.
    pub fn peak_memory(&self) -> u64 {
        self.store.data().limiter.peak_memory
    }

    /// What the plugin printed on stdout/stderr (bounded).
    pub fn log(&self) -> String {
        self.store.data().log.text()
    }

    /// Fail the session for a contract violation found by the host, billing the fuel used.
    pub fn contract_violation(&self, message: String) -> Failure {
        self.fail(PluginError::Contract(message))
    }

    /// Fail the session for a host-checked limit (batch size, string length), billing fuel used.
    pub fn limit_exceeded(&self, e: LimitExceeded) -> Failure {
        self.fail(PluginError::Limit(e))
    }

    /// The limits this session runs under.
    pub fn limits(&self) -> &PluginLimits {
        &self.limits
    }

    /// Each call gets the full wall-clock backstop.
    fn arm(&mut self) {
        self.store.set_epoch_deadline(ticks(&self.limits));
    }

    fn fail(&self, error: PluginError) -> Failure {
        Failure { error, fuel: self.fuel_used() }
    }

    fn trap(&self, e: wasmtime::Error) -> Failure {
        let error = classify(e, &self.store, &self.limits, self.fuel);
        let fuel = match &error {
            PluginError::Limit(l) if l.limit == "fuel" || l.limit == "call_timeout_ms" => self.fuel,
            _ => self.fuel_used(),
        };
        Failure { error, fuel }
    }
}

fn ticks(limits: &PluginLimits) -> u64 {
    (limits.call_timeout_ms / metering::EPOCH_TICK.as_millis() as u64).max(1)
}

fn wit_error(e: wit::Error) -> PluginError {
    match e {
        wit::Error::Config(m) => PluginError::Config(m),
        wit::Error::Fatal(m) => PluginError::Fatal(m),
    }
}

/// Turn a wasmtime error into the limit or trap it stands for.
fn classify(e: wasmtime::Error, store: &Store<Sandbox>, limits: &PluginLimits, fuel: u64) -> PluginError {
    if let Some(l) = store.data().limiter.exceeded.clone() {
        return PluginError::Limit(l);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PluginError::Limit(LimitExceeded { limit: "fuel", limit_value: fuel, used: fuel }),
        Some(Trap::Interrupt) => PluginError::Limit(LimitExceeded {
            limit: "call_timeout_ms",
            limit_value: limits.call_timeout_ms,
            used: limits.call_timeout_ms,
        }),
        Some(Trap::StackOverflow) => PluginError::Limit(LimitExceeded {
            limit: "stack_bytes",
            limit_value: limits.stack_bytes,
            used: limits.stack_bytes,
        }),
        Some(trap) => PluginError::Trap { message: trap.to_string(), log: store.data().log.text() },
        None => PluginError::Trap { message: format!("{e:#}"), log: store.data().log.text() },
    }
}
