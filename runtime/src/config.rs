//! Job configuration in two stages: the job file as written (serde, unknown fields refused),
//! then a validated [`JobSpec`] built before anything runs. The CLI's `convert` flags build the
//! same [`JobSpec`].

use crate::limits::Limits;
use crate::registry::Reference;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a job's configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("{0}")]
    Invalid(String),
}

/// A job file (`dataplace run job.toml`). Relative paths are relative to the file's directory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    /// Job id: names the output files, so a rerun with the same id rewrites the same files.
    /// Default: a new id from the current time.
    pub job_id: Option<String>,
    /// The data provider the output is filed under (`provider=<name>/`).
    pub provider: String,
    /// The converter: a published plugin (`provider/name@<semver requirement>` or
    /// `sha256:<hex>`, resolved in `registry`), a `.wasm` component (path or URL), or a plugin
    /// crate directory, which is built with cargo first.
    pub plugin: String,
    /// The plugin registry (path or URL) that published references resolve in. Default:
    /// `$DATAPLACE_REGISTRY`, else `~/.local/share/dataplace/registry`.
    pub registry: Option<String>,
    /// Run a yanked version that a version requirement matches (pinned versions and sha256
    /// references run anyway). Default: false, so new jobs do not pick up a yanked version.
    #[serde(default)]
    pub allow_yanked: bool,
    /// Input objects: paths, URLs, prefixes or globs.
    pub inputs: Vec<String>,
    /// Output root: a path or an object-store URL.
    pub output: String,
    /// The plugin's configuration. Values may use `{key}`, `{name}` and `{stem}` of the input
    /// object, and `@file` to read the value from a file.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Resource limits; every field is optional.
    #[serde(default)]
    pub limits: Limits,
}

/// Where the converter comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// A published plugin, verified against its provider's signature when loaded.
    Registry {
        /// The registry, a path or URL.
        registry: String,
        reference: Reference,
        /// Run a yanked version that a requirement matches.
        allow_yanked: bool,
    },
    /// A compiled component: a local path or an object-store URL.
    Component(String),
    /// A plugin crate directory, built with `cargo build --release --target wasm32-wasip2`.
    Crate(PathBuf),
}

/// A validated job, ready to run.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub job_id: String,
    pub provider: String,
    pub plugin: PluginSource,
    /// Config values, templates checked, `@file` values read.
    pub config: Vec<(String, String)>,
    pub inputs: Vec<String>,
    pub output: String,
    /// Directory that relative paths are relative to.
    pub base_dir: PathBuf,
    pub limits: Limits,
}

impl JobFile {
    /// Read and validate a job file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and what is wrong.
    pub fn load(path: &Path) -> Result<JobSpec, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let file: JobFile = toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        file.validate(&base_dir)
    }

    /// Validate against `base_dir` (where relative paths start).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a bad name, template, limit or missing input.
    pub fn validate(self, base_dir: &Path) -> Result<JobSpec, ConfigError> {
        let job_id = match self.job_id {
            Some(id) => check_name("job_id", &id, 64)?,
            None => new_job_id(),
        };
        let provider = check_name("provider", &self.provider, 64)?;
        if self.inputs.is_empty() {
            return Err(ConfigError::Invalid("inputs: at least one input is required".into()));
        }
        let config = self
            .config
            .into_iter()
            .map(|(k, v)| Ok((k.clone(), config_value(&k, &v, base_dir)?)))
            .collect::<Result<Vec<_>, ConfigError>>()?;
        check_limits(&self.limits)?;
        let plugin = plugin_source(&self.plugin, base_dir, self.registry.as_deref(), self.allow_yanked)?;
        Ok(JobSpec {
            job_id,
            provider,
            plugin,
            config,
            inputs: self.inputs,
            output: self.output,
            base_dir: base_dir.to_path_buf(),
            limits: self.limits,
        })
    }
}

impl JobSpec {
    /// The plugin config for one input object, templates filled from its key.
    pub fn config_for(&self, key: &str) -> Vec<(String, String)> {
        let name = key.rsplit('/').next().unwrap_or(key);
        let stem = match name.rfind('.') {
            Some(dot) if dot > 0 => &name[..dot],
            _ => name,
        };
        self.config
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{key}", key).replace("{name}", name).replace("{stem}", stem)))
            .collect()
    }
}

/// A plugin reference: `provider/name@req` or `sha256:…` is a published plugin in `registry`
/// (default [`crate::registry::default_location`]); a directory holding a `Cargo.toml` is a
/// crate; anything else a component.
///
/// # Errors
/// [`ConfigError::Invalid`] for a malformed registry reference.
pub fn plugin_source(plugin: &str, base_dir: &Path, registry: Option<&str>, allow_yanked: bool) -> Result<PluginSource, ConfigError> {
    let local = base_dir.join(plugin);
    if !plugin.contains("://") && local.join("Cargo.toml").is_file() {
        return Ok(PluginSource::Crate(local));
    }
    match Reference::parse(plugin) {
        Some(reference) => Ok(PluginSource::Registry {
            registry: registry.map_or_else(crate::registry::default_location, str::to_owned),
            reference: reference.map_err(|e| ConfigError::Invalid(format!("plugin {plugin:?}: {e}")))?,
            allow_yanked,
        }),
        None => Ok(PluginSource::Component(plugin.to_owned())),
    }
}

/// A config value: `@file` reads the file (relative to `base_dir`); `{…}` placeholders must be
/// known ones. `@@` escapes a literal leading `@`.
///
/// # Errors
/// [`ConfigError::Invalid`] for an unreadable file or an unknown placeholder.
pub fn config_value(key: &str, value: &str, base_dir: &Path) -> Result<String, ConfigError> {
    if let Some(rest) = value.strip_prefix("@@") {
        return Ok(format!("@{rest}"));
    }
    if let Some(file) = value.strip_prefix('@') {
        let path = base_dir.join(file);
        return std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::Invalid(format!("config {key} = @{file}: reading {}: {e}", path.display())));
    }
    let mut rest = value;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or_else(|| ConfigError::Invalid(format!("config {key}: unclosed `{{` in {value:?}")))?;
        let name = &rest[open + 1..open + close];
        if !matches!(name, "key" | "name" | "stem") {
            return Err(ConfigError::Invalid(format!(
                "config {key}: unknown placeholder {{{name}}} (use {{key}}, {{name}} or {{stem}})"
            )));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(value.to_owned())
}

/// A name used in object keys: 1..=`max` of `[A-Za-z0-9._-]`, not starting with `.`, `_` or `-`.
fn check_name(what: &str, name: &str, max: usize) -> Result<String, ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.starts_with(['.', '_', '-']);
    if ok {
        Ok(name.to_owned())
    } else {
        Err(ConfigError::Invalid(format!(
            "{what} {name:?}: use 1 to {max} letters, digits, '.', '_' or '-', not starting with '.', '_' or '-'"
        )))
    }
}

fn check_limits(l: &Limits) -> Result<(), ConfigError> {
    let bad = |what: &str, why: &str| Err(ConfigError::Invalid(format!("limits.{what}: {why}")));
    if l.plugin.fuel_base == 0 {
        return bad("plugin.fuel_base", "must be positive");
    }
    if l.plugin.call_timeout_ms == 0 {
        return bad("plugin.call_timeout_ms", "must be positive");
    }
    if l.plugin.memory_bytes < 1 << 20 {
        return bad("plugin.memory_bytes", "at least 1 MiB");
    }
    if !(1..=64 << 20).contains(&l.source.chunk_bytes) {
        return bad("source.chunk_bytes", "between 1 byte and 64 MiB");
    }
    if l.source.read_ahead_chunks == 0 {
        return bad("source.read_ahead_chunks", "at least 1");
    }
    if l.sink.row_group_rows == 0 || l.sink.open_partitions == 0 {
        return bad("sink", "row_group_rows and open_partitions must be positive");
    }
    if l.sink.upload_part_bytes < 5 << 20 {
        return bad("sink.upload_part_bytes", "at least 5 MiB (the S3 minimum part size)");
    }
    if !(1..=22).contains(&l.sink.zstd_level) {
        return bad("sink.zstd_level", "between 1 and 22");
    }
    if !(1..=256).contains(&l.job.parallel_inputs) {
        return bad("job.parallel_inputs", "between 1 and 256");
    }
    Ok(())
}

/// `YYYYMMDDTHHMMSSZ-xxxx`: sortable by start time, unique enough for concurrent starts.
fn new_job_id() -> String {
    let now = chrono::Utc::now();
    format!("{}-{:04x}", now.format("%Y%m%dT%H%M%SZ"), rand::random::<u16>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(extra: &str) -> Result<JobSpec, ConfigError> {
        let text = format!("provider = \"acme\"\nplugin = \"p.wasm\"\ninputs = [\"a/*.bin\"]\noutput = \"out\"\n{extra}");
        let file: JobFile = toml::from_str(&text).map_err(|source| ConfigError::Parse { path: "job.toml".into(), source })?;
        file.validate(Path::new("/nonexistent"))
    }

    #[test]
    fn a_minimal_job_validates_with_defaults() {
        let spec = job("").unwrap();
        assert_eq!(spec.provider, "acme");
        assert_eq!(spec.plugin, PluginSource::Component("p.wasm".into()));
        assert_eq!(spec.limits, Limits::default());
        assert!(spec.job_id.len() > 16);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(matches!(job("colour = 1"), Err(ConfigError::Parse { .. })));
        assert!(matches!(job("[limits.plugin]\nfule = 1"), Err(ConfigError::Parse { .. })));
        let e = job("[limits.source]\nchunk_bytes = 0").unwrap_err().to_string();
        assert_eq!(e, "limits.source.chunk_bytes: between 1 byte and 64 MiB");
        let e = job("job_id = \"../x\"").unwrap_err().to_string();
        assert!(e.starts_with("job_id \"../x\""), "{e}");
        let e = job("[config]\nvehicle_id = \"{imei}\"").unwrap_err().to_string();
        assert!(e.contains("unknown placeholder {imei}"), "{e}");
    }

    #[test]
    fn published_references_resolve_in_the_registry() {
        let spec = job("").unwrap();
        assert!(matches!(spec.plugin, PluginSource::Component(_)));
        let text = "provider = \"acme\"\nplugin = \"acme/teltonika@^1.2\"\nregistry = \"reg\"\ninputs = [\"a\"]\noutput = \"o\"";
        let spec = toml::from_str::<JobFile>(text).unwrap().validate(Path::new("/x")).unwrap();
        assert!(matches!(spec.plugin, PluginSource::Registry { ref registry, allow_yanked: false, .. } if registry == "reg"));
        let e = plugin_source("acme/teltonika@one", Path::new("/x"), None, false).unwrap_err().to_string();
        assert!(e.contains("invalid version requirement"), "{e}");
    }

    #[test]
    fn templates_fill_from_the_object_key() {
        let spec = job("[config]\nvehicle_id = \"{stem}\"\nnote = \"{name} in {key}\"\nlit = \"@@x\"").unwrap();
        let cfg = spec.config_for("fleet/2024/VAN-12.bin");
        assert_eq!(
            cfg,
            vec![
                ("lit".to_owned(), "@x".to_owned()),
                ("note".to_owned(), "VAN-12.bin in fleet/2024/VAN-12.bin".to_owned()),
                ("vehicle_id".to_owned(), "VAN-12".to_owned()),
            ]
        );
    }
}
