//! What a plugin's store holds: a WASI context that grants nothing real (no files, network,
//! environment or arguments; fixed clocks; seeded randomness; captured, bounded output), the
//! resource limiter, and the host side of the catalogue import.

use super::bindings::dataplace::converter::catalogue as wit;
use crate::catalogue::{Catalogue, Datatype};
use crate::limits::PluginLimits;
use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// The seed of every plugin's randomness: runs are reproducible, not secret.
const RANDOM_SEED: u64 = 0x6461_7461_706c_6163; // "dataplac"

/// The instant every plugin sees as "now": 2000-01-01T00:00:00Z.
const FIXED_WALL_CLOCK: Duration = Duration::from_secs(946_684_800);

/// A resource limit a plugin ran into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{limit} exceeded: limit={limit_value} used={used}")]
pub struct LimitExceeded {
    /// The limit's name as in [`PluginLimits`] (`fuel`, `memory_bytes` …).
    pub limit: &'static str,
    pub limit_value: u64,
    pub used: u64,
}

/// The data of one plugin store.
pub struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: Limiter,
    pub(super) log: Log,
    catalogue: &'static Catalogue,
}

impl Sandbox {
    /// A sandbox that grants nothing but bounded memory, captured output and the catalogue.
    pub fn new(limits: &PluginLimits, catalogue: &'static Catalogue) -> Self {
        let log = Log::new(limits.log_bytes as usize);
        let wasi = WasiCtx::builder()
            .stdout(log.clone())
            .stderr(log.clone())
            .wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .secure_random(ChaCha8Rng::seed_from_u64(RANDOM_SEED))
            .insecure_random(ChaCha8Rng::seed_from_u64(RANDOM_SEED + 1))
            .insecure_random_seed(u128::from(RANDOM_SEED))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self { wasi, table: ResourceTable::new(), limiter: Limiter::new(limits), log, catalogue }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The `types` interface has no functions; its host side is empty.
impl super::bindings::dataplace::converter::types::Host for Sandbox {}

impl wit::Host for Sandbox {
    fn lookup(&mut self, id: String) -> Option<wit::Entry> {
        self.catalogue.get(&id).map(|e| wit::Entry {
            datatype: match e.datatype {
                Datatype::Boolean => wit::Datatype::Boolean,
                Datatype::Int8 => wit::Datatype::Int8,
                Datatype::Int16 => wit::Datatype::Int16,
                Datatype::Int32 => wit::Datatype::Int32,
                Datatype::Int64 => wit::Datatype::Int64,
                Datatype::Uint8 => wit::Datatype::Uint8,
                Datatype::Uint16 => wit::Datatype::Uint16,
                Datatype::Uint32 => wit::Datatype::Uint32,
                Datatype::Uint64 => wit::Datatype::Uint64,
                Datatype::Float => wit::Datatype::Float,
                Datatype::Double => wit::Datatype::Double,
                Datatype::String => wit::Datatype::String,
                Datatype::StringArray => wit::Datatype::StringArray,
                Datatype::FloatArray => wit::Datatype::FloatArray,
                Datatype::Uint8Array => wit::Datatype::Uint8Array,
            },
            unit: e.unit.clone(),
            min: e.min,
            max: e.max,
            allowed: e.allowed.clone(),
        })
    }
}

/// Memory and table limits, remembering which one was hit and the peak memory.
pub struct Limiter {
    memory_bytes: u64,
    table_elements: u64,
    /// Largest linear memory size granted, in bytes.
    pub peak_memory: u64,
    /// The limit that made the plugin trap, if any.
    pub exceeded: Option<LimitExceeded>,
}

impl Limiter {
    fn new(limits: &PluginLimits) -> Self {
        Self { memory_bytes: limits.memory_bytes, table_elements: limits.table_elements, peak_memory: 0, exceeded: None }
    }

    fn check(&mut self, limit: &'static str, limit_value: u64, desired: u64) -> wasmtime::Result<bool> {
        if desired > limit_value {
            let e = LimitExceeded { limit, limit_value, used: desired };
            self.exceeded = Some(e.clone());
            return Err(wasmtime::Error::new(e));
        }
        Ok(true)
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let granted = self.check("memory_bytes", self.memory_bytes, desired as u64)?;
        self.peak_memory = self.peak_memory.max(desired as u64);
        Ok(granted)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.check("table_elements", self.table_elements, desired as u64)
    }
}

/// The same instant, always: plugins cannot observe time.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        FIXED_WALL_CLOCK
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// The plugin's stdout and stderr, merged: the first `capacity` bytes are kept, the rest is
/// counted and dropped. Writes never fail, so a chatty plugin is not killed for logging.
#[derive(Clone)]
pub struct Log {
    inner: Arc<Mutex<LogBuf>>,
}

struct LogBuf {
    kept: Vec<u8>,
    dropped: u64,
    capacity: usize,
}

impl Log {
    fn new(capacity: usize) -> Self {
        Self { inner: Arc::new(Mutex::new(LogBuf { kept: Vec::new(), dropped: 0, capacity })) }
    }

    fn append(&self, bytes: &[u8]) {
        let mut b = self.inner.lock().expect("log lock");
        let room = b.capacity - b.kept.len();
        let keep = bytes.len().min(room);
        b.kept.extend_from_slice(&bytes[..keep]);
        b.dropped += (bytes.len() - keep) as u64;
    }

    /// What the plugin printed (lossy UTF-8), with a note of the bytes dropped.
    pub fn text(&self) -> String {
        let b = self.inner.lock().expect("log lock");
        let mut text = String::from_utf8_lossy(&b.kept).into_owned();
        if b.dropped > 0 {
            text.push_str(&format!("\n[{} more bytes dropped]", b.dropped));
        }
        text
    }
}

impl IsTerminal for Log {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Log {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for Log {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Log {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for Log {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
