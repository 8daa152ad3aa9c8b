//! dataplace: the data-conversion engine of a neutral marketplace for automotive after-sales
//! data. Providers' sandboxed WebAssembly converter plugins turn proprietary vehicle-data formats
//! into observations of the common catalogue (COVESA VSS 6.0 ids), which are validated, written
//! as Parquet into object storage and metered deterministically.
//!
//! The data path, one module per stage, wired together in [`job`]:
//! [`source`] → [`plugin`] → [`validate`] → [`sink`] (+ [`quarantine`]) → [`ledger`].

pub mod authoring;
pub mod catalogue;
pub mod config;
pub mod job;
pub mod ledger;
pub mod limits;
pub mod manifest;
pub mod meter;
pub mod plugin;
pub mod progress;
pub mod quarantine;
pub mod registry;
pub mod report;
pub mod schema;
pub mod sink;
pub mod source;
pub mod store;
pub mod validate;
