//! The plugin registry, in any object store the runtime supports (a local directory by default):
//! content-addressed components, one signed, immutable manifest per provider/name/version, and
//! the providers' public keys.
//!
//! ```text
//! keys/<provider>.json                           the provider's registered ed25519 public key
//! plugins/sha256/<hash>.wasm                     component bytes, by content
//! manifests/<provider>/<name>/<version>.json     signed manifest (never rewritten)
//! yanked/<provider>/<name>/<version>.json        a yank (signed by the provider)
//! ```
//!
//! Every load resolves a reference to a manifest, checks the provider's signature over it with
//! the registered key, fetches the component by its sha256 and checks the bytes hash to it. A
//! yanked version still runs for jobs pinned to it (`=1.2.3` or `sha256:…`); a version
//! requirement skips it unless forced.

pub mod checks;
pub mod signing;

use crate::store::Location;
use ed25519_dalek::SigningKey;
use futures::StreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The world version every published component must target.
pub const WORLD: &str = "dataplace:converter/plugin@0.1.0";

/// Largest component the registry accepts.
pub const MAX_COMPONENT_BYTES: u64 = 32 << 20;

/// The registry used when none is named: `$DATAPLACE_REGISTRY`, else
/// `$XDG_DATA_HOME/dataplace/registry`, else `$HOME/.local/share/dataplace/registry`, else
/// `registry` in the working directory.
pub fn default_location() -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    env("DATAPLACE_REGISTRY")
        .or_else(|| env("XDG_DATA_HOME").map(|d| format!("{d}/dataplace/registry")))
        .or_else(|| env("HOME").map(|d| format!("{d}/.local/share/dataplace/registry")))
        .unwrap_or_else(|| "registry".to_owned())
}

/// Why a registry operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registry {location}: {reason}")]
    Store { location: String, reason: String },
    #[error("provider {0} is not registered (dataplace provider register)")]
    UnknownProvider(String),
    #[error("provider {provider} is already registered with another key")]
    ProviderTaken { provider: String },
    #[error("the signing key is not the key registered for provider {provider}: only {provider} can publish or yank under its name")]
    WrongKey { provider: String },
    #[error("{0} is already published; versions are immutable (publish a new version)")]
    VersionExists(String),
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid { what: &'static str, value: String, reason: String },
    #[error("no published version of {reference} matches{}", if *.yanked_skipped { " (yanked versions skipped; use an exact version or force)" } else { "" })]
    NotFound { reference: String, yanked_skipped: bool },
    #[error("signature check failed for {0}: the manifest was not signed by its provider's registered key")]
    BadSignature(String),
    #[error("component of {reference}: {reason}")]
    Tampered { reference: String, reason: String },
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Fixtures(#[from] crate::authoring::fixtures::FixtureError),
    #[error(transparent)]
    Key(#[from] signing::KeyError),
}

/// A provider's registered key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderKey {
    pub provider: String,
    pub public_key: String,
    pub registered_at: String,
}

/// What is published for one version of a plugin. Signed by the provider (all fields but the
/// signature, as canonical JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginManifest {
    pub provider: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    /// The WIT world the component targets.
    pub world: String,
    /// The catalogue signals it declares (with an empty config); `None` when they depend on the
    /// config (a generic converter).
    pub signals: Option<Vec<String>>,
    /// Input formats it reads (from its `describe`).
    pub formats: Vec<String>,
    /// The input unit (packet, line, frame …).
    pub unit: String,
    pub author: String,
    pub created_at: String,
    /// Fixtures that passed at publish.
    pub fixtures_passed: u64,
    pub signature: String,
}

impl PluginManifest {
    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature = String::new();
        [b"dataplace-plugin-manifest-v1\n".as_slice(), &serde_json::to_vec(&unsigned).expect("manifests serialise")].concat()
    }

    /// `provider/name@version`.
    pub fn reference(&self) -> String {
        format!("{}/{}@{}", self.provider, self.name, self.version)
    }
}

/// A reference to a published plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `provider/name@<semver requirement>`; `exact` for `=x.y.z`.
    Version { provider: String, name: String, req: VersionReq, exact: bool },
    /// `sha256:<hex>`.
    Sha256(String),
}

impl Reference {
    /// Parse `provider/name@req` or `sha256:<hex>`; `None` when `s` is not a registry reference
    /// (a path or URL).
    pub fn parse(s: &str) -> Option<Result<Reference, RegistryError>> {
        if let Some(hash) = s.strip_prefix("sha256:") {
            let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
            return Some(if ok {
                Ok(Reference::Sha256(hash.to_ascii_lowercase()))
            } else {
                Err(RegistryError::Invalid { what: "reference", value: s.into(), reason: "sha256: needs 64 hex digits".into() })
            });
        }
        let (path, req) = s.split_once('@')?;
        let (provider, name) = path.split_once('/')?;
        if s.contains("://") || !valid_name(provider) || !valid_name(name) {
            return None;
        }
        Some(
            VersionReq::parse(req)
                .map(|r| Reference::Version { provider: provider.into(), name: name.into(), exact: req.trim_start().starts_with('='), req: r })
                .map_err(|e| RegistryError::Invalid { what: "version requirement", value: req.into(), reason: e.to_string() }),
        )
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Version { provider, name, req, .. } => write!(f, "{provider}/{name}@{req}"),
            Reference::Sha256(h) => write!(f, "sha256:{h}"),
        }
    }
}

/// Provider and plugin names: lower-case letters, digits and `-`, 1 to 64.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') && !s.starts_with('-')
}

/// A published version as `list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub manifest: PluginManifest,
    pub yanked: bool,
}

/// What a publish needs to know about the component, from validating it
/// ([`checks::validate`]).
#[derive(Debug, Clone)]
pub struct Validated {
    /// Name and version, from the plugin's own `describe`.
    pub name: String,
    pub version: String,
    pub signals: Option<Vec<String>>,
    pub formats: Vec<String>,
    pub unit: String,
    pub fixtures_passed: u64,
}

/// A registry rooted at a location.
pub struct Registry {
    root: Location,
}

impl Registry {
    pub fn new(root: Location) -> Self {
        Self { root }
    }

    fn at(&self, key: &str) -> Location {
        self.root.join(key)
    }

    /// Register a provider's public key (once; registering the same key again is a no-op).
    ///
    /// # Errors
    /// [`RegistryError::ProviderTaken`] for a provider registered with another key.
    pub async fn register_provider(&self, provider: &str, public_key: &str) -> Result<ProviderKey, RegistryError> {
        if !valid_name(provider) {
            return Err(RegistryError::Invalid { what: "provider name", value: provider.into(), reason: "use lower-case letters, digits and -".into() });
        }
        let key = signing::parse_public(public_key)?;
        let entry = ProviderKey { provider: provider.into(), public_key: signing::public_hex(&key), registered_at: chrono::Utc::now().to_rfc3339() };
        if let Some(existing) = self.provider_key(provider).await? {
            return if existing.public_key == entry.public_key { Ok(existing) } else { Err(RegistryError::ProviderTaken { provider: provider.into() }) };
        }
        if !put_once(&self.at(&format!("keys/{provider}.json")), serde_json::to_vec_pretty(&entry).expect("serialises")).await? {
            return Err(RegistryError::ProviderTaken { provider: provider.into() });
        }
        Ok(entry)
    }

    async fn provider_key(&self, provider: &str) -> Result<Option<ProviderKey>, RegistryError> {
        get_json(&self.at(&format!("keys/{provider}.json"))).await
    }

    async fn verifying_key(&self, provider: &str) -> Result<ed25519_dalek::VerifyingKey, RegistryError> {
        let key = self.provider_key(provider).await?.ok_or_else(|| RegistryError::UnknownProvider(provider.into()))?;
        Ok(signing::parse_public(&key.public_key)?)
    }

    /// Publish a validated component under `provider`, named and versioned as it describes
    /// itself: store it by content, sign and store its manifest.
    ///
    /// # Errors
    /// An unregistered provider, a key that is not the provider's, an invalid name or version,
    /// a version already published, a component over the size limit, store failures.
    pub async fn publish(&self, component: &[u8], provider: &str, author: &str, key: &SigningKey, validated: Validated) -> Result<PluginManifest, RegistryError> {
        let (name, version) = (validated.name.as_str(), validated.version.as_str());
        if !valid_name(name) {
            return Err(RegistryError::Invalid { what: "plugin name", value: name.into(), reason: "use lower-case letters, digits and -".into() });
        }
        let version = Version::parse(version).map_err(|e| RegistryError::Invalid { what: "version", value: version.into(), reason: e.to_string() })?;
        if component.len() as u64 > MAX_COMPONENT_BYTES {
            return Err(RegistryError::Invalid { what: "component", value: format!("{} bytes", component.len()), reason: format!("larger than {MAX_COMPONENT_BYTES} bytes") });
        }
        if self.verifying_key(provider).await? != key.verifying_key() {
            return Err(RegistryError::WrongKey { provider: provider.into() });
        }
        let sha256 = hex::encode(Sha256::digest(component));
        let mut manifest = PluginManifest {
            provider: provider.into(),
            name: name.into(),
            version: version.to_string(),
            sha256: sha256.clone(),
            size: component.len() as u64,
            world: WORLD.into(),
            signals: validated.signals,
            formats: validated.formats,
            unit: validated.unit,
            author: author.into(),
            created_at: chrono::Utc::now().to_rfc3339(),
            fixtures_passed: validated.fixtures_passed,
            signature: String::new(),
        };
        manifest.signature = signing::sign(key, &manifest.signed_bytes());
        let manifest_at = self.at(&format!("manifests/{provider}/{name}/{version}.json"));
        if get_json::<PluginManifest>(&manifest_at).await?.is_some() {
            return Err(RegistryError::VersionExists(manifest.reference()));
        }
        put_once(&self.at(&format!("plugins/sha256/{sha256}.wasm")), component.to_vec()).await?;
        if !put_once(&manifest_at, serde_json::to_vec_pretty(&manifest).expect("serialises")).await? {
            return Err(RegistryError::VersionExists(manifest.reference()));
        }
        Ok(manifest)
    }

    /// Every published version (of one provider, or all), with its yank status.
    ///
    /// # Errors
    /// Store failures or unreadable manifests.
    pub async fn list(&self, provider: Option<&str>) -> Result<Vec<Listed>, RegistryError> {
        let dir = self.at(&match provider {
            Some(p) => format!("manifests/{p}"),
            None => "manifests".to_owned(),
        });
        let mut listed = Vec::new();
        for key in keys(&dir).await? {
            let location = Location { store: dir.store.clone(), path: key, url: dir.url.clone() };
            if let Some(manifest) = get_json::<PluginManifest>(&location).await? {
                let yanked = self.is_yanked(&manifest).await?;
                listed.push(Listed { manifest, yanked });
            }
        }
        listed.sort_by(|a, b| {
            let v = |m: &PluginManifest| Version::parse(&m.version).ok();
            (&a.manifest.provider, &a.manifest.name, v(&a.manifest)).cmp(&(&b.manifest.provider, &b.manifest.name, v(&b.manifest)))
        });
        Ok(listed)
    }

    async fn is_yanked(&self, m: &PluginManifest) -> Result<bool, RegistryError> {
        Ok(get_json::<serde_json::Value>(&self.at(&format!("yanked/{}/{}/{}.json", m.provider, m.name, m.version))).await?.is_some())
    }

    /// Yank a version: it stays, signed and runnable for jobs pinned to it, but version
    /// requirements no longer pick it. Only its provider can yank it.
    ///
    /// # Errors
    /// An unknown version, a key that is not the provider's, store failures.
    pub async fn yank(&self, provider: &str, name: &str, version: &str, key: &SigningKey, reason: &str) -> Result<(), RegistryError> {
        let manifest_at = self.at(&format!("manifests/{provider}/{name}/{version}.json"));
        get_json::<PluginManifest>(&manifest_at).await?.ok_or_else(|| RegistryError::NotFound { reference: format!("{provider}/{name}@={version}"), yanked_skipped: false })?;
        if self.verifying_key(provider).await? != key.verifying_key() {
            return Err(RegistryError::WrongKey { provider: provider.into() });
        }
        let statement = format!("dataplace-yank-v1\n{provider}\n{name}\n{version}\n{reason}\n");
        let body = serde_json::json!({ "reason": reason, "yanked_at": chrono::Utc::now().to_rfc3339(), "signature": signing::sign(key, statement.as_bytes()) });
        put_once(&self.at(&format!("yanked/{provider}/{name}/{version}.json")), serde_json::to_vec_pretty(&body).expect("serialises")).await?;
        Ok(())
    }

    /// Resolve a reference to a verified manifest and the component bytes.
    ///
    /// # Errors
    /// Nothing matching, a yanked version not pinned, a bad signature, bytes that do not hash to
    /// the manifest, store failures.
    pub async fn resolve(&self, reference: &Reference, force_yanked: bool) -> Result<(PluginManifest, Vec<u8>), RegistryError> {
        let candidates: Vec<Listed> = match reference {
            Reference::Version { provider, name, .. } => {
                self.list(Some(provider)).await?.into_iter().filter(|l| &l.manifest.name == name).collect()
            }
            Reference::Sha256(h) => self.list(None).await?.into_iter().filter(|l| &l.manifest.sha256 == h).collect(),
        };
        let (pinned, matching): (bool, Vec<Listed>) = match reference {
            Reference::Version { req, exact, .. } => {
                (*exact, candidates.into_iter().filter(|l| Version::parse(&l.manifest.version).is_ok_and(|v| req.matches(&v))).collect())
            }
            Reference::Sha256(_) => (true, candidates),
        };
        let usable: Vec<&Listed> = matching.iter().filter(|l| !l.yanked || pinned || force_yanked).collect();
        let chosen = usable.last().ok_or_else(|| RegistryError::NotFound { reference: reference.to_string(), yanked_skipped: !matching.is_empty() })?;
        if chosen.yanked {
            tracing::warn!(plugin = %chosen.manifest.reference(), "running a yanked version (pinned or forced)");
        }
        let manifest = chosen.manifest.clone();
        let key = self.verifying_key(&manifest.provider).await?;
        if !signing::verify(&key, &manifest.signed_bytes(), &manifest.signature) {
            return Err(RegistryError::BadSignature(manifest.reference()));
        }
        let bytes = get_bytes(&self.at(&format!("plugins/sha256/{}.wasm", manifest.sha256))).await?.ok_or_else(|| RegistryError::Tampered {
            reference: manifest.reference(),
            reason: "the component bytes are missing".into(),
        })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != manifest.sha256 || bytes.len() as u64 != manifest.size {
            return Err(RegistryError::Tampered { reference: manifest.reference(), reason: format!("bytes hash to {actual}, the signed manifest says {}", manifest.sha256) });
        }
        Ok((manifest, bytes))
    }
}

async fn keys(dir: &Location) -> Result<Vec<object_store::path::Path>, RegistryError> {
    let mut listing = dir.store.list(Some(&dir.path));
    let mut out = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|e| RegistryError::Store { location: dir.url.to_string(), reason: e.to_string() })?;
        if meta.location.as_ref().ends_with(".json") {
            out.push(meta.location);
        }
    }
    Ok(out)
}

async fn get_bytes(location: &Location) -> Result<Option<Vec<u8>>, RegistryError> {
    let err = |e: object_store::Error| RegistryError::Store { location: location.url.to_string(), reason: e.to_string() };
    match location.store.get(&location.path).await {
        Ok(got) => Ok(Some(got.bytes().await.map_err(err)?.to_vec())),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(err(e)),
    }
}

async fn get_json<T: for<'de> Deserialize<'de>>(location: &Location) -> Result<Option<T>, RegistryError> {
    match get_bytes(location).await? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RegistryError::Store { location: location.url.to_string(), reason: format!("not valid JSON: {e}") }),
        None => Ok(None),
    }
}

/// Create an object unless it exists; returns false if it existed.
async fn put_once(location: &Location, bytes: Vec<u8>) -> Result<bool, RegistryError> {
    let err = |e: object_store::Error| RegistryError::Store { location: location.url.to_string(), reason: e.to_string() };
    let create = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
    match location.store.put_opts(&location.path, PutPayload::from(bytes.clone()), create).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
        Err(object_store::Error::NotImplemented { .. }) => {
            if location.store.head(&location.path).await.is_ok() {
                return Ok(false);
            }
            location.store.put(&location.path, PutPayload::from(bytes)).await.map(|_| true).map_err(err)
        }
        Err(e) => Err(err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = Reference::parse("acme/teltonika@^1.2").unwrap().unwrap();
        assert!(matches!(r, Reference::Version { ref provider, exact: false, .. } if provider == "acme"));
        assert!(matches!(Reference::parse("acme/teltonika@=1.2.3").unwrap().unwrap(), Reference::Version { exact: true, .. }));
        assert!(matches!(Reference::parse(&format!("sha256:{}", "a".repeat(64))).unwrap().unwrap(), Reference::Sha256(_)));
        assert!(Reference::parse("sha256:abc").unwrap().is_err());
        assert!(Reference::parse("acme/teltonika@not-a-version").unwrap().is_err());
        assert!(Reference::parse("plugins/teltonika").is_none(), "a path");
        assert!(Reference::parse("s3://bucket/p@1.wasm").is_none(), "a URL");
        assert!(Reference::parse("../target/x.wasm").is_none());
    }
}
