//! The compiled-code cache: a component is compiled once per (component sha256, engine
//! configuration) and the machine code kept in a local directory this runtime owns.
//!
//! wasmtime trusts what it deserialises (the bytes are machine code), so compiled code is only
//! ever read from this directory, which only this runtime writes, under a name made of the
//! sha256 of the component bytes it verified and the engine's compatibility hash; a sidecar
//! digest catches truncated or corrupted entries. Compiled code never comes from an object store
//! or a provider.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: PathBuf,
}

impl CompiledCache {
    /// A cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default cache: `$DATAPLACE_CACHE_DIR`, else `$XDG_CACHE_HOME/dataplace/compiled`, else
    /// `$HOME/.cache/dataplace/compiled`; `None` when there is no home (nothing is cached).
    pub fn default_location() -> Option<Self> {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        env("DATAPLACE_CACHE_DIR")
            .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("dataplace/compiled")))
            .or_else(|| env("HOME").map(|d| d.join(".cache/dataplace/compiled")))
            .map(Self::new)
    }

    /// The compiled component for `wasm` (whose sha256 is `sha256`): from the cache when an entry
    /// for this engine configuration exists and is intact, else compiled and stored. Returns the
    /// component and whether it came from the cache.
    ///
    /// # Errors
    /// Compilation errors (an invalid component). Cache I/O problems only cost a compilation.
    pub fn load(&self, engine: &Engine, wasm: &[u8], sha256: &str) -> wasmtime::Result<(Component, bool)> {
        let path = self.dir.join(engine_key(engine)).join(format!("{sha256}.cwasm"));
        if let Some(component) = read_entry(engine, &path) {
            return Ok((component, true));
        }
        let component = Component::from_binary(engine, wasm)?;
        if let Err(e) = write_entry(&component, &path) {
            tracing::warn!(path = %path.display(), error = %e, "could not cache compiled code");
        }
        Ok((component, false))
    }
}

/// A stable key of the engine's code-generation settings.
fn engine_key(engine: &Engine) -> String {
    let mut h = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("engine-{:016x}", h.finish())
}

fn digest_path(path: &Path) -> PathBuf {
    path.with_extension("cwasm.sha256")
}

fn read_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = std::fs::read(path).ok()?;
    let digest = std::fs::read_to_string(digest_path(path)).ok()?;
    if hex::encode(Sha256::digest(&bytes)) != digest.trim() {
        tracing::warn!(path = %path.display(), "compiled-code cache entry is corrupt; recompiling");
        return None;
    }
    // SAFETY: the bytes are machine code this runtime compiled and wrote into its own cache
    // directory (see the module docs), checked against the digest written with them, and keyed by
    // this engine's compatibility hash.
    unsafe { Component::deserialize(engine, &bytes) }.ok()
}

fn write_entry(component: &Component, path: &Path) -> std::io::Result<()> {
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    std::fs::create_dir_all(path.parent().expect("entries are in a directory"))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &bytes)?;
    std::fs::write(digest_path(path), hex::encode(Sha256::digest(&bytes)))?;
    std::fs::rename(tmp, path)
}
