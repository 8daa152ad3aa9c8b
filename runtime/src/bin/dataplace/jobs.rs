//! `dataplace job …`: committed files, garbage collection, commits of sharded jobs.

use crate::args::JobCommand;
use crate::{EXIT_INPUTS_FAILED, EXIT_OK, Failure};
use dataplace::manifest::{self, ManifestError, Manifests};
use dataplace::store::{Location, Stores};

pub async fn run(command: JobCommand) -> Result<u8, Failure> {
    let resolve = |root: &str| -> Result<Location, Failure> {
        Stores::new().resolve(root, &std::env::current_dir().unwrap_or_default()).map_err(|e| Failure::usage(e.into()))
    };
    match command {
        JobCommand::Files { root, job, quarantine, json, sql } => {
            let manifests = manifest::job_manifests(&resolve(&root)?, job.as_deref()).await.map_err(|e| Failure::runtime(e.into()))?;
            let files: Vec<_> = manifests.iter().flat_map(|m| m.files.iter()).filter(|f| quarantine || f.kind == "data").collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&files).expect("files serialise"));
            } else if sql {
                let list: Vec<String> = files.iter().map(|f| format!("'{}'", local_path(&f.url).replace('\'', "''"))).collect();
                println!("CREATE OR REPLACE VIEW observations AS SELECT * FROM read_parquet([{}], hive_partitioning = true);", list.join(", "));
            } else {
                files.iter().for_each(|f| println!("{}", f.url));
            }
            Ok(EXIT_OK)
        }
        JobCommand::Gc { root, job, dry_run } => {
            let removed = manifest::gc(&resolve(&root)?, job.as_deref(), &|_| true, dry_run).await.map_err(|e| Failure::runtime(e.into()))?;
            for url in &removed {
                println!("{}{url}", if dry_run { "would remove " } else { "removed " });
            }
            eprintln!("{} file(s) {}", removed.len(), if dry_run { "to remove" } else { "removed" });
            Ok(EXIT_OK)
        }
        JobCommand::Commit { root, job, json } => match Manifests::new(&resolve(&root)?, &job).commit_job().await {
            Ok(m) => {
                if json {
                    println!("{}", serde_json::to_string_pretty(&m.report).expect("report serialises"));
                } else {
                    print!("{}", dataplace::report::human(&m.report));
                }
                Ok(if m.report.all_ok() { EXIT_OK } else { EXIT_INPUTS_FAILED })
            }
            Err(e @ ManifestError::Incomplete { .. }) => {
                eprintln!("error: {e}");
                Ok(EXIT_INPUTS_FAILED)
            }
            Err(e) => Err(Failure::runtime(e.into())),
        },
    }
}

/// A `file://` URL as the local path DuckDB reads; other URLs as they are.
fn local_path(url: &str) -> String {
    url::Url::parse(url).ok().filter(|u| u.scheme() == "file").and_then(|u| u.to_file_path().ok()).map_or_else(|| url.to_owned(), |p| p.display().to_string())
}
