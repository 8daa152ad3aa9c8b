//! The source stage: expands a job's input patterns (objects, prefixes, globs) into a sorted list
//! of input objects, and streams each object in chunks of bounded size, so no object is ever
//! held whole in memory.

use crate::store::{Location, StoreError, Stores};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use globset::{GlobBuilder, GlobMatcher};
use object_store::{GetResultPayload, ObjectStoreExt};
use std::io::Read;
use tokio::sync::mpsc;

/// Why inputs could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{pattern}: invalid glob: {reason}")]
    Glob { pattern: String, reason: String },
    #[error("{pattern}: no input objects found")]
    NothingFound { pattern: String },
    #[error("reading {object}: {reason}")]
    Read { object: String, reason: String },
}

/// One input object.
#[derive(Debug, Clone)]
pub struct Input {
    pub location: Location,
    /// Size in bytes, as listed.
    pub size: u64,
}

impl Input {
    /// The object's URL: its identity in reports, lineage and output names.
    pub fn url(&self) -> &str {
        self.location.url.as_str()
    }

    /// The object's key in its store: what the plugin is told as its name.
    pub fn key(&self) -> &str {
        self.location.path.as_ref()
    }

    /// A stable short id of the object (16 hex digits of the SHA-256 of its URL): names its
    /// output files and manifest, and places it in a shard.
    pub fn id(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(self.url())[..8])
    }
}

/// Expand `patterns` (paths or URLs, relative paths against `base_dir`) into input objects,
/// sorted by URL, without duplicates. A pattern is a single object, a prefix (directory), or a
/// glob (`*`, `?`, `[…]`, `{a,b}`, `**` across directories). Names starting with `.` are skipped
/// in listings.
///
/// # Errors
/// [`SourceError`] when a pattern is invalid or matches nothing.
pub async fn expand(patterns: &[String], base_dir: &std::path::Path, stores: &Stores) -> Result<Vec<Input>, SourceError> {
    let mut inputs = Vec::new();
    for pattern in patterns {
        let found = match pattern.find(['*', '?', '[', '{']) {
            Some(first_glob) => {
                let split = pattern[..first_glob].rfind('/').map_or(0, |i| i + 1);
                let (prefix, glob) = pattern.split_at(split);
                let matcher = GlobBuilder::new(glob)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| SourceError::Glob { pattern: pattern.clone(), reason: e.to_string() })?
                    .compile_matcher();
                let prefix = if prefix.is_empty() { "./" } else { prefix };
                list(&stores.resolve(prefix, base_dir)?, Some(&matcher)).await?
            }
            None => {
                let location = stores.resolve(pattern, base_dir)?;
                match location.store.head(&location.path).await {
                    Ok(meta) => vec![Input { size: meta.size, location }],
                    Err(_) => list(&location, None).await?,
                }
            }
        };
        if found.is_empty() {
            return Err(SourceError::NothingFound { pattern: pattern.clone() });
        }
        inputs.extend(found);
    }
    inputs.sort_by(|a, b| a.url().cmp(b.url()));
    inputs.dedup_by(|a, b| a.url() == b.url());
    Ok(inputs)
}

/// Objects under `prefix` (recursively) whose key relative to it matches `glob`.
async fn list(prefix: &Location, glob: Option<&GlobMatcher>) -> Result<Vec<Input>, SourceError> {
    let mut listing = prefix.store.list(Some(&prefix.path));
    let mut found = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(|source| StoreError::Store { location: prefix.url.to_string(), source })?;
        let Some(relative) = meta.location.prefix_match(&prefix.path) else { continue };
        let relative: Vec<String> = relative.map(|p| p.as_ref().to_owned()).collect();
        let relative = relative.join("/");
        let hidden = meta.location.filename().is_some_and(|f| f.starts_with('.'));
        if hidden || glob.is_some_and(|g| !g.is_match(&relative)) {
            continue;
        }
        found.push(Input { location: prefix.join(&relative), size: meta.size });
    }
    Ok(found)
}

/// Stream `input` into `chunks` in pieces of `chunk_bytes` (the last may be shorter). Reading
/// stops early, without error, when the receiver is gone. Returns the bytes read.
///
/// # Errors
/// [`SourceError::Read`] on a store or I/O error.
pub async fn read(input: &Input, chunk_bytes: usize, chunks: mpsc::Sender<Bytes>) -> Result<u64, SourceError> {
    let err = |reason: String| SourceError::Read { object: input.url().to_owned(), reason };
    let got = input.location.store.get(&input.location.path).await.map_err(|e| err(e.to_string()))?;
    match got.payload {
        GetResultPayload::File(file, _) => {
            tokio::task::spawn_blocking(move || read_file(file, chunk_bytes, chunks))
                .await
                .map_err(|e| err(e.to_string()))?
                .map_err(|e| err(e.to_string()))
        }
        GetResultPayload::Stream(mut stream) => {
            let mut total = 0u64;
            let mut buf = BytesMut::with_capacity(chunk_bytes);
            while let Some(piece) = stream.next().await {
                let mut piece = piece.map_err(|e| err(e.to_string()))?;
                total += piece.len() as u64;
                while !piece.is_empty() {
                    let take = (chunk_bytes - buf.len()).min(piece.len());
                    buf.extend_from_slice(&piece.split_to(take));
                    if buf.len() == chunk_bytes && chunks.send(buf.split().freeze()).await.is_err() {
                        return Ok(total);
                    }
                }
            }
            if !buf.is_empty() {
                let _ = chunks.send(buf.freeze()).await;
            }
            Ok(total)
        }
    }
}

/// Read a local file in whole chunks on a blocking thread.
fn read_file(mut file: std::fs::File, chunk_bytes: usize, chunks: mpsc::Sender<Bytes>) -> std::io::Result<u64> {
    let mut total = 0u64;
    loop {
        let mut buf = vec![0u8; chunk_bytes];
        let mut filled = 0;
        while filled < chunk_bytes {
            match file.read(&mut buf[filled..])? {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            return Ok(total);
        }
        buf.truncate(filled);
        total += filled as u64;
        if chunks.blocking_send(Bytes::from(buf)).is_err() || filled < chunk_bytes {
            return Ok(total);
        }
    }
}
