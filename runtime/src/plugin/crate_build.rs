//! Building a plugin crate into its component: `cargo build --release --target wasm32-wasip2`,
//! for providers iterating on a plugin and for the bundled examples. Production jobs name a
//! compiled `.wasm` (or, later, a registry reference) instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target every plugin is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Why a plugin crate could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("running cargo in {dir}: {source}")]
    Spawn { dir: PathBuf, source: std::io::Error },
    #[error("cargo build of {dir} failed ({status}); its diagnostics are above")]
    Failed { dir: PathBuf, status: std::process::ExitStatus },
    #[error("cargo built {dir} but produced no .wasm component (is it a `cdylib` crate?)")]
    NoComponent { dir: PathBuf },
}

/// Build the crate in `dir` and return the path of its component. Cargo's diagnostics go to
/// stderr; `target_dir` overrides cargo's target directory.
///
/// # Errors
/// [`BuildError`] when cargo cannot run, fails, or builds no component.
pub fn build(dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir)
        .args(["build", "--release", "--target", TARGET, "--message-format=json-render-diagnostics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(t) = target_dir {
        cmd.arg("--target-dir").arg(t);
    }
    let out = cmd.output().map_err(|source| BuildError::Spawn { dir: dir.into(), source })?;
    if !out.status.success() {
        return Err(BuildError::Failed { dir: dir.into(), status: out.status });
    }
    let manifest = std::fs::canonicalize(dir.join("Cargo.toml")).unwrap_or_else(|_| dir.join("Cargo.toml"));
    component_of(&String::from_utf8_lossy(&out.stdout), &manifest).ok_or_else(|| BuildError::NoComponent { dir: dir.into() })
}

/// The `.wasm` artifact of the package whose manifest is `manifest`, from cargo's JSON messages.
fn component_of(messages: &str, manifest: &Path) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && Path::new(m["manifest_path"].as_str().unwrap_or("")) == manifest)
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_component_is_found_among_cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","manifest_path":"/w/sdk/Cargo.toml","filenames":["/t/libsdk.rlib"]}
{"reason":"compiler-artifact","manifest_path":"/w/p/Cargo.toml","filenames":["/t/libp.rlib","/t/p.wasm"]}
{"reason":"build-finished","success":true}"#;
        assert_eq!(component_of(messages, Path::new("/w/p/Cargo.toml")), Some(PathBuf::from("/t/p.wasm")));
        assert_eq!(component_of(messages, Path::new("/w/q/Cargo.toml")), None);
    }
}
