//! `dataplace plugin …` and `dataplace provider …`: the provider's side — scaffold, test,
//! inspect, compare, publish, list and yank plugins; create and register signing keys.

use crate::args::{PluginCommand, ProviderCommand, RegistryArg};
use crate::{EXIT_INPUTS_FAILED, EXIT_OK, Failure, config_pairs};
use anyhow::{Context, anyhow};
use dataplace::authoring::{diff, fixtures, scaffold};
use dataplace::catalogue::Catalogue;
use dataplace::config::{PluginSource, plugin_source};
use dataplace::job::{ComponentBytes, load_plugin, plugin_bytes};
use dataplace::ledger::PluginId;
use dataplace::limits::Limits;
use dataplace::plugin::Plugin;
use dataplace::registry::{self, Reference, Registry, RegistryError, checks, signing};
use dataplace::store::Stores;
use object_store::ObjectStoreExt;
use std::path::{Path, PathBuf};

pub async fn plugin(command: PluginCommand) -> Result<u8, Failure> {
    match command {
        PluginCommand::New { dir, name, sdk_path } => {
            let done = scaffold::new_plugin(&dir, name.as_deref(), sdk_path.as_deref()).map_err(|e| Failure::usage(e.into()))?;
            println!("created plugin {} in {} ({} files)", done.name, done.dir.display(), done.files.len());
            println!("next: cd {} && cargo test && dataplace plugin test . fixtures", done.dir.display());
            Ok(EXIT_OK)
        }
        PluginCommand::Test { plugin, fixtures: dir, registry, json } => {
            let (component, plugin) = load(&plugin, &registry).await?;
            let limits = Limits::default();
            let reports = blocking(move || fixtures::run_all(&plugin, &dir, &limits.plugin, &limits.source)).await.map_err(|e| Failure::usage(e.into()))?;
            let failed = reports.iter().filter(|r| !r.passed).count();
            if json {
                println!("{}", serde_json::to_string_pretty(&reports).expect("reports serialise"));
            } else {
                reports.iter().for_each(|r| print!("{}", r.human()));
                println!("{} of {} fixtures passed ({})", reports.len() - failed, reports.len(), component.label);
            }
            Ok(if failed == 0 { EXIT_OK } else { EXIT_INPUTS_FAILED })
        }
        PluginCommand::Inspect { plugin, registry, json } => inspect(&plugin, &registry, json).await,
        PluginCommand::Diff { old, new, inputs, config, registry, json } => {
            let config = config_pairs(&config)?;
            let ((_, old), (_, new)) = (load(&old, &registry).await?, load(&new, &registry).await?);
            let inputs = read_inputs(&inputs, &config).await?;
            let limits = Limits::default();
            let report = blocking(move || {
                let (old_id, new_id) = (PluginId::of(&old, None), PluginId::of(&new, None));
                diff::shadow_run((&old, old_id), (&new, new_id), &inputs, &limits.plugin, &limits.source)
            })
            .await;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).expect("report serialises"));
            } else {
                print!("{}", report.human());
            }
            Ok(if report.identical { EXIT_OK } else { EXIT_INPUTS_FAILED })
        }
        PluginCommand::Publish { plugin, provider, key, fixtures: dir, author, registry, json } => {
            let key = read_key(&key)?;
            let component = bytes_of(&plugin, &registry).await?;
            let bytes = component.bytes.clone();
            let (validated, reports) = blocking(move || checks::validate(&bytes, &dir, &Limits::default())).await.map_err(refused)?;
            let author = author.unwrap_or_else(|| provider.clone());
            let manifest = open_registry(&registry)?.publish(&component.bytes, &provider, &author, &key, validated).await.map_err(refused)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&manifest).expect("manifest serialises"));
            } else {
                println!("published {} (sha256 {}, {} fixtures passed)", manifest.reference(), manifest.sha256, reports.len());
            }
            Ok(EXIT_OK)
        }
        PluginCommand::List { provider, registry, json } => {
            let listed = open_registry(&registry)?.list(provider.as_deref()).await.map_err(refused)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listed).expect("list serialises"));
            } else {
                for l in &listed {
                    let m = &l.manifest;
                    println!("{:<40} sha256:{}  {}{}", m.reference(), &m.sha256[..16], m.created_at, if l.yanked { "  YANKED" } else { "" });
                }
            }
            Ok(EXIT_OK)
        }
        PluginCommand::Yank { version, key, reason, registry } => {
            let key = read_key(&key)?;
            let (provider, name, version) = exact_version(&version)?;
            open_registry(&registry)?.yank(&provider, &name, &version, &key, &reason).await.map_err(refused)?;
            println!("yanked {provider}/{name}@{version}");
            Ok(EXIT_OK)
        }
    }
}

pub async fn provider(command: ProviderCommand) -> Result<u8, Failure> {
    match command {
        ProviderCommand::Keygen { out } => {
            let key = signing::generate().map_err(|e| Failure::runtime(e.into()))?;
            write_secret(&out, &signing::secret_text(&key)).with_context(|| format!("writing {}", out.display())).map_err(Failure::usage)?;
            eprintln!("secret key written to {} (keep it secret; it signs your plugins)", out.display());
            println!("{}", signing::public_hex(&key.verifying_key()));
            Ok(EXIT_OK)
        }
        ProviderCommand::Register { name, public_key, registry } => {
            let entry = open_registry(&registry)?.register_provider(&name, &public_key).await.map_err(refused)?;
            println!("provider {} registered with key {}", entry.provider, entry.public_key);
            Ok(EXIT_OK)
        }
    }
}

/// `plugin inspect`: what a component is, and what the registry says about it.
async fn inspect(reference: &str, registry: &RegistryArg, json: bool) -> Result<u8, Failure> {
    let (component, plugin) = load(reference, registry).await?;
    let manifest = match component.manifest.clone() {
        Some(m) => Some(m),
        // A local component: published under some name?
        None => open_registry(registry)?.resolve(&Reference::Sha256(plugin.sha256().to_owned()), true).await.ok().map(|(m, _)| m),
    };
    let info = plugin.info();
    let signals = checks::default_signals(&plugin, &Limits::default());
    let world = plugin.exports().iter().find(|e| e.starts_with("dataplace:converter/")).cloned().unwrap_or_default();
    let out = serde_json::json!({
        "plugin": component.label,
        "name": info.name,
        "version": info.version,
        "formats": info.formats,
        "unit": info.unit,
        "config": info.config.iter().map(|(k, d)| serde_json::json!({ "key": k, "description": d })).collect::<Vec<_>>(),
        "world": registry::WORLD,
        "exports": plugin.exports(),
        "imports": plugin.imports(),
        "ungranted_imports": plugin.ungranted_imports(),
        "size": component.bytes.len(),
        "sha256": plugin.sha256(),
        "signals": signals,
        "manifest": manifest,
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
        return Ok(EXIT_OK);
    }
    println!("{} {} ({})", info.name, info.version, component.label);
    println!("  formats   {} (unit: {})", info.formats.join(", "), info.unit);
    println!("  exports   {world}");
    println!("  imports   {}", plugin.imports().join("\n            "));
    if !plugin.ungranted_imports().is_empty() {
        println!("  NOT GRANTED by the sandbox: {}", plugin.ungranted_imports().join(", "));
    }
    println!("  size      {} bytes\n  sha256    {}", component.bytes.len(), plugin.sha256());
    for (k, d) in &info.config {
        println!("  config    {k}: {d}");
    }
    match &signals {
        Some(s) => println!("  signals   {}", s.join("\n            ")),
        None => println!("  signals   (depend on the config)"),
    }
    match &manifest {
        Some(m) => println!("  published {} by {} at {}, signature verified", m.reference(), m.author, m.created_at),
        None => println!("  published no"),
    }
    Ok(EXIT_OK)
}

/// A plugin compiled on a host with production limits, and its bytes. Yanked versions can
/// always be inspected, tested and compared.
async fn load(reference: &str, registry: &RegistryArg) -> Result<(ComponentBytes, Plugin), Failure> {
    let (source, here) = source_of(reference, registry)?;
    let (plugin, component) = load_plugin(&source, &here, &Limits::default().plugin, &Stores::new(), Catalogue::builtin()).await?;
    Ok((component, plugin))
}

async fn bytes_of(reference: &str, registry: &RegistryArg) -> Result<ComponentBytes, Failure> {
    let (source, here) = source_of(reference, registry)?;
    Ok(plugin_bytes(&source, &here, &Stores::new()).await?)
}

fn source_of(reference: &str, registry: &RegistryArg) -> Result<(PluginSource, PathBuf), Failure> {
    let here = std::env::current_dir().unwrap_or_default();
    let source = plugin_source(reference, &here, registry.registry.as_deref(), true).map_err(|e| Failure::usage(e.into()))?;
    Ok((source, here))
}

fn open_registry(registry: &RegistryArg) -> Result<Registry, Failure> {
    let location = registry.registry.clone().unwrap_or_else(registry::default_location);
    let root = Stores::new().resolve(&location, &std::env::current_dir().unwrap_or_default()).map_err(|e| Failure::usage(e.into()))?;
    Ok(Registry::new(root))
}

/// Every input object, read whole, with the config both versions get.
async fn read_inputs(patterns: &[String], config: &[(String, String)]) -> Result<Vec<diff::ShadowInput>, Failure> {
    let stores = Stores::new();
    let found = dataplace::source::expand(patterns, &std::env::current_dir().unwrap_or_default(), &stores).await.map_err(|e| Failure::usage(e.into()))?;
    let mut inputs = Vec::new();
    for input in found {
        let got = input.location.store.get(&input.location.path).await.map_err(|e| Failure::runtime(e.into()))?;
        let bytes = got.bytes().await.map_err(|e| Failure::runtime(e.into()))?;
        inputs.push(diff::ShadowInput { url: input.url().to_owned(), key: input.key().to_owned(), config: config.to_vec(), bytes: bytes.to_vec() });
    }
    Ok(inputs)
}

/// `provider/name@version` (a leading `=` allowed) as its parts.
fn exact_version(s: &str) -> Result<(String, String, String), Failure> {
    let parsed = s.split_once('@').and_then(|(path, v)| path.split_once('/').map(|(p, n)| (p.to_owned(), n.to_owned(), v.trim_start_matches('=').to_owned())));
    parsed.ok_or_else(|| Failure::usage(anyhow!("{s:?}: expected provider/name@version")))
}

fn read_key(path: &Path) -> Result<ed25519_dalek::SigningKey, Failure> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the signing key {}", path.display())).map_err(Failure::usage)?;
    signing::parse_secret(&text).with_context(|| format!("{}", path.display())).map_err(Failure::usage)
}

/// Create `path` readable by its owner only; refuse to overwrite a key.
fn write_secret(path: &PathBuf, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Refusals are the caller's to fix (exit 2); store failures are the environment's (exit 3).
fn refused(e: RegistryError) -> Failure {
    match e {
        RegistryError::Store { .. } => Failure::runtime(e.into()),
        _ => Failure::usage(e.into()),
    }
}

/// Run CPU-bound plugin work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("plugin thread")
}
