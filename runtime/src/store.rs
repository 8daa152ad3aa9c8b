//! Where inputs and outputs live: a local path or any `object_store` URL (`file://`, `s3://`,
//! `az://`, `gs://`, `memory://`), resolved to a store and a path inside it. Credentials and
//! endpoints come from the environment, as object_store reads them (`AWS_*`, `AZURE_*` …).

use futures::FutureExt;
use futures::future::BoxFuture;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use object_store::registry::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use std::sync::Arc;
use url::Url;

/// Why a location could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{location}: not a path or URL ({reason})")]
    Invalid { location: String, reason: String },
    #[error("{location}: {source}")]
    Store { location: String, source: object_store::Error },
}

/// A store and a path inside it, with the URL they came from.
#[derive(Clone)]
pub struct Location {
    pub store: Arc<dyn ObjectStore>,
    pub path: Path,
    pub url: Url,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl Location {
    /// The location of `child` (a relative key) under this one.
    pub fn join(&self, child: &str) -> Location {
        let path = Path::from_iter(self.path.parts().chain(Path::from(child).parts()));
        let mut url = self.url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/{child}"));
        Location { store: self.store.clone(), path, url }
    }
}

/// Resolves locations, sharing one store per bucket/container/filesystem.
#[derive(Debug, Default)]
pub struct Stores {
    registry: DefaultObjectStoreRegistry,
}

impl Stores {
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolve `location`: a URL with a scheme, or a local path (relative to `base_dir`).
    ///
    /// # Errors
    /// [`StoreError`] for an unsupported scheme or an unusable path.
    pub fn resolve(&self, location: &str, base_dir: &std::path::Path) -> Result<Location, StoreError> {
        let url = to_url(location, base_dir)?;
        let (store, path) = self
            .registry
            .resolve(&url)
            .map_err(|source| StoreError::Store { location: location.to_owned(), source })?;
        Ok(Location { store, path, url })
    }
}

/// A location string as a URL: a scheme of two or more letters makes it a URL (so `C:` style
/// drive letters stay paths); anything else is a local path.
fn to_url(location: &str, base_dir: &std::path::Path) -> Result<Url, StoreError> {
    let invalid = |reason: String| StoreError::Invalid { location: location.to_owned(), reason };
    if let Some((scheme, _)) = location.split_once("://")
        && scheme.len() >= 2
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return Url::parse(location).map_err(|e| invalid(e.to_string()));
    }
    let path = base_dir.join(location);
    let absolute = std::path::absolute(&path).map_err(|e| invalid(e.to_string()))?;
    let mut url = Url::from_file_path(normalize(&absolute)).map_err(|()| invalid("not an absolute path".into()))?;
    if location.ends_with('/') && !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(url)
}

/// Drop `.` and resolve `..` lexically (the path may not exist yet).
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Reads a Parquet object of known size from a store: ranged gets for pages, one get for the
/// footer (the size comes from the listing).
pub struct ParquetReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

impl ParquetReader {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Self {
        Self { store, path, size }
    }
}

impl parquet::arrow::async_reader::AsyncFileReader for ParquetReader {
    fn get_bytes(&mut self, range: std::ops::Range<u64>) -> BoxFuture<'_, parquet::errors::Result<bytes::Bytes>> {
        async move { self.store.get_range(&self.path, range).await.map_err(|e| ParquetError::External(Box::new(e))) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new().with_arrow_reader_options(options).load_and_finish(self, size).await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls_resolve() {
        let base = std::path::Path::new("/work/jobs");
        assert_eq!(to_url("data/a.bin", base).unwrap().as_str(), "file:///work/jobs/data/a.bin");
        assert_eq!(to_url("../out/", base).unwrap().as_str(), "file:///work/out/");
        assert_eq!(to_url("/abs/x", base).unwrap().as_str(), "file:///abs/x");
        assert_eq!(to_url("s3://bucket/key", base).unwrap().as_str(), "s3://bucket/key");
        let stores = Stores::new();
        let loc = stores.resolve("/tmp/out", base).unwrap();
        assert_eq!(loc.path.as_ref(), "tmp/out");
        let child = loc.join("provider=x/date=2024-01-01/f.parquet");
        assert_eq!(child.path.as_ref(), "tmp/out/provider=x/date=2024-01-01/f.parquet");
        assert_eq!(child.url.as_str(), "file:///tmp/out/provider=x/date=2024-01-01/f.parquet");
        assert!(stores.resolve("ftp://x/y", base).is_err());
    }
}
