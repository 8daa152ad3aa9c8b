//! `dataplace catalogue …`: list, show, export and coverage, printed for people or as JSON.

use crate::args::{CatalogueCommand, ExportFormat};
use crate::{EXIT_OK, Failure, config_pairs};
use anyhow::{Context, anyhow};
use dataplace::catalogue::{Catalogue, Coverage, Entry, export};
use std::io::Write;

pub async fn run(command: CatalogueCommand) -> Result<u8, Failure> {
    let c = Catalogue::builtin();
    match command {
        CatalogueCommand::List { search, branch, core, json } => {
            let entries = c.search(search.as_deref(), branch.as_deref(), core);
            if json {
                println!("{}", export::json(&entries, &c.version()));
            } else {
                for e in &entries {
                    println!("{:<4} {:<10} {:<9} {}", if e.core { "core" } else { "" }, e.datatype.as_str(), e.unit.as_deref().unwrap_or("-"), e.id);
                }
                eprintln!("{} of {} entries (catalogue {})", entries.len(), c.entries().len(), c.version());
            }
        }
        CatalogueCommand::Show { id, json } => {
            let e = c.get(&id).ok_or_else(|| Failure::usage(anyhow!("{id} is not in the catalogue (try `dataplace catalogue list --search …`)")))?;
            if json {
                println!("{}", serde_json::to_string_pretty(e).expect("entry serialises"));
            } else {
                print!("{}", show(e));
            }
        }
        CatalogueCommand::Export { format, output } => {
            let entries: Vec<&Entry> = c.entries().iter().collect();
            let bytes = match format {
                ExportFormat::Json => export::json(&entries, &c.version()).into_bytes(),
                ExportFormat::Csv => export::csv(&entries, &c.version()).into_bytes(),
                ExportFormat::Parquet => parquet(&entries, &c.version()).map_err(Failure::runtime)?,
            };
            match output {
                Some(path) => std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display())).map_err(Failure::runtime)?,
                None if matches!(format, ExportFormat::Parquet) => return Err(Failure::usage(anyhow!("--format parquet needs --output FILE"))),
                None => match std::io::stdout().write_all(&bytes) {
                    // A closed pipe (`| head`) is the reader's choice, not an error.
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(Failure::runtime(e.into())),
                    _ => {}
                },
            }
        }
        CatalogueCommand::Coverage { root, plugin, config, json } => {
            let here = std::env::current_dir().unwrap_or_default();
            let coverage = match (root, plugin) {
                (_, Some(plugin)) => {
                    let source = dataplace::config::plugin_source(&plugin, &here, None, false).map_err(|e| Failure::usage(e.into()))?;
                    let (label, signals) = dataplace::job::declared_signals(&source, &config_pairs(&config)?, &here).await?;
                    Coverage::declared(c, &label, &signals)
                }
                (Some(root), None) => {
                    let location = dataplace::store::Stores::new().resolve(&root, &here).map_err(|e| Failure::usage(e.into()))?;
                    Coverage::of_root(c, &location).await.map_err(|e| Failure::runtime(e.into()))?
                }
                (None, None) => unreachable!("clap requires a root or --plugin"),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&coverage).expect("coverage serialises"));
            } else {
                print!("{}", coverage.human());
            }
        }
    }
    Ok(EXIT_OK)
}

fn show(e: &Entry) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let mut s = format!(
        "{}\n  kind        {}\n  datatype    {}\n  unit        {}\n  range       {} .. {}\n",
        e.id,
        e.kind.as_str(),
        e.datatype.as_str(),
        opt(e.unit.clone()),
        opt(e.min.map(|v| v.to_string())),
        opt(e.max.map(|v| v.to_string()))
    );
    if !e.allowed.is_empty() {
        s += &format!("  allowed     {}\n", e.allowed.join(", "));
    }
    s += &format!("  core        {}\n  personal    {}\n  source      {}\n", e.core, e.personal, e.source);
    if let Some(w) = &e.widened {
        s += &format!("  widened     {w}\n");
    }
    if let Some(d) = &e.deprecated {
        s += &format!("  deprecated  {d}\n");
    }
    s + &format!("  {}\n", e.description)
}

fn parquet(entries: &[&Entry], version: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), export::schema(), None)?;
    w.write(&export::record_batch(entries, version))?;
    Ok(w.into_inner()?)
}
