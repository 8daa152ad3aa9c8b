//! `dataplace plugin new`: a standalone plugin crate on the SDK that builds to a component and
//! passes its own fixture as generated, anywhere on disk. The SDK and the WIT contract travel
//! inside this binary and are written into the crate (`vendor/dataplace-sdk`, `wit/`), so a
//! provider needs nothing from this repository; `--sdk-path` references an SDK checkout instead.
//!
//! The starting point is the `plugins/template` crate of this repository (a fleet CSV trip log
//! converter), which the workspace builds and tests like any plugin.

use std::path::{Path, PathBuf};

/// Why a crate could not be scaffolded.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0} exists and is not empty; choose a new directory")]
    NotEmpty(PathBuf),
    #[error("plugin name {0:?}: use lower-case letters, digits and '-' (it names the crate and the plugin)")]
    BadName(String),
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// The SDK's sources, vendored into every new crate.
const SDK_SOURCES: [(&str, &str); 8] = [
    ("lib.rs", include_str!("../../../plugins/sdk/src/lib.rs")),
    ("batch.rs", include_str!("../../../plugins/sdk/src/batch.rs")),
    ("catalogue.rs", include_str!("../../../plugins/sdk/src/catalogue.rs")),
    ("config.rs", include_str!("../../../plugins/sdk/src/config.rs")),
    ("frames.rs", include_str!("../../../plugins/sdk/src/frames.rs")),
    ("guest.rs", include_str!("../../../plugins/sdk/src/guest.rs")),
    ("lines.rs", include_str!("../../../plugins/sdk/src/lines.rs")),
    ("native.rs", include_str!("../../../plugins/sdk/src/native.rs")),
];

/// The vendored SDK's manifest: the dependencies of `plugins/sdk/Cargo.toml`, spelled out.
const SDK_MANIFEST: &str = r#"[package]
name = "dataplace-sdk"
version = "{version}"
edition = "2024"
description = "The dataplace plugin SDK, vendored by `dataplace plugin new`"
license = "Apache-2.0"
publish = false

[dependencies]
memchr = "2"
rustc-hash = "2"

[target.'cfg(target_arch = "wasm32")'.dependencies]
wit-bindgen = { version = "0.47", default-features = false, features = ["macros", "realloc"] }
"#;

const PLUGIN_MANIFEST: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
# cdylib: the WebAssembly component; rlib: the same code natively, for `cargo test`.
crate-type = ["rlib", "cdylib"]

[dependencies]
dataplace-sdk = { path = "{sdk}" }

# A crate of its own, not a member of any workspace around it.
[workspace]
"#;

const README: &str = r#"# {name}

A dataplace converter plugin, scaffolded by `dataplace plugin new`.

```sh
cargo test                                        # the converter, natively
cargo build --release --target wasm32-wasip2      # the component
dataplace plugin test . fixtures                  # every fixture, in the real sandbox
dataplace plugin publish . --provider <you> --key <you>.key --fixtures fixtures
```

- `src/lib.rs`: the converter. Replace the fleet CSV format with yours.
- `fixtures/<name>.expected.json`: an input file, its config, and every observation and reject
  it must produce. Add one per case worth keeping.
- `wit/converter.wit`: the contract between plugin and host ({world}).
- `vendor/dataplace-sdk`: the SDK (version {version}), vendored so this crate builds anywhere.
- `rust-toolchain.toml`: the toolchain and the `wasm32-wasip2` target, installed by rustup.
"#;

/// What `plugin new` wrote.
#[derive(Debug)]
pub struct Scaffolded {
    pub dir: PathBuf,
    pub name: String,
    pub files: Vec<PathBuf>,
}

/// Write a new plugin crate into `dir` (created; must not exist or be empty). `name` defaults to
/// the directory's name; `sdk_path` references an SDK crate instead of vendoring one.
///
/// # Errors
/// [`ScaffoldError`] for a bad name, a non-empty directory or a write failure.
pub fn new_plugin(dir: &Path, name: Option<&str>, sdk_path: Option<&Path>) -> Result<Scaffolded, ScaffoldError> {
    let name = name.map(str::to_owned).unwrap_or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    if !crate::registry::valid_name(&name) {
        return Err(ScaffoldError::BadName(name));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(ScaffoldError::NotEmpty(dir.into()));
    }
    let version = env!("CARGO_PKG_VERSION");
    let sdk = sdk_path.map_or_else(|| "vendor/dataplace-sdk".to_owned(), |p| p.display().to_string());
    let fill = |t: &str| t.replace("{name}", &name).replace("{version}", version).replace("{sdk}", &sdk).replace("{world}", crate::registry::WORLD);
    let mut files: Vec<(PathBuf, String)> = vec![
        ("Cargo.toml".into(), fill(PLUGIN_MANIFEST)),
        ("README.md".into(), fill(README)),
        (".gitignore".into(), "/target\n".into()),
        ("rust-toolchain.toml".into(), include_str!("../../../rust-toolchain.toml").into()),
        ("src/lib.rs".into(), include_str!("../../../plugins/template/src/lib.rs").into()),
        ("fixtures/trip.csv".into(), include_str!("../../../plugins/template/fixtures/trip.csv").into()),
        ("fixtures/trip.expected.json".into(), include_str!("../../../plugins/template/fixtures/trip.expected.json").into()),
        ("wit/converter.wit".into(), include_str!("../../../wit/converter.wit").into()),
    ];
    if sdk_path.is_none() {
        files.push(("vendor/dataplace-sdk/Cargo.toml".into(), fill(SDK_MANIFEST)));
        files.extend(SDK_SOURCES.iter().map(|(file, text)| (Path::new("vendor/dataplace-sdk/src").join(file), (*text).to_owned())));
    }
    let mut written = Vec::new();
    for (relative, text) in files {
        let path = dir.join(relative);
        let write = |path: &Path| {
            std::fs::create_dir_all(path.parent().expect("files sit in a directory"))?;
            std::fs::write(path, text)
        };
        write(&path).map_err(|source| ScaffoldError::Write { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(Scaffolded { dir: dir.into(), name, files: written })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendored manifest must name exactly the SDK's dependencies.
    #[test]
    fn the_vendored_sdk_has_the_sdks_dependencies() {
        let deps = |text: &str| -> Vec<String> {
            let t: toml::Table = toml::from_str(text).unwrap();
            let mut tables = vec![&t["dependencies"]];
            tables.extend(t.get("target").and_then(|t| t.as_table()).into_iter().flat_map(|t| t.values().map(|cfg| &cfg["dependencies"])));
            let mut names: Vec<String> = tables.iter().flat_map(|d| d.as_table().unwrap().keys().cloned()).collect();
            names.sort();
            names
        };
        assert_eq!(deps(SDK_MANIFEST), deps(include_str!("../../../plugins/sdk/Cargo.toml")));
    }

    #[test]
    fn every_sdk_module_is_vendored() {
        let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/src");
        let mut on_disk: Vec<String> = std::fs::read_dir(sdk).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        on_disk.sort();
        let mut vendored: Vec<String> = SDK_SOURCES.iter().map(|(f, _)| (*f).to_owned()).collect();
        vendored.sort();
        assert_eq!(on_disk, vendored);
    }

    #[test]
    fn names_and_occupied_directories_are_refused() {
        let dir = std::env::temp_dir().join(format!("dataplace-scaffold-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("x"), "").unwrap();
        assert!(matches!(new_plugin(&dir, Some("ok"), None), Err(ScaffoldError::NotEmpty(_))));
        assert!(matches!(new_plugin(&dir.join("n"), Some("Bad_Name"), None), Err(ScaffoldError::BadName(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
