//! A plugin's configuration: the provider's key/value strings, checked against the keys the
//! plugin declares, with typed access and errors that name the key.

use crate::Error;
use std::str::FromStr;

/// The config key every plugin accepts: the vehicle identity for inputs that carry none.
pub const VEHICLE_ID: &str = "vehicle_id";

/// Validated plugin configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    entries: Vec<(String, String)>,
}

impl Config {
    /// Check `entries` against the plugin's declared keys (plus [`VEHICLE_ID`]).
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown or repeated key, listing the accepted keys.
    pub fn new(entries: Vec<(String, String)>, accepted: &[(&str, &str)]) -> Result<Self, Error> {
        let known = |k: &str| k == VEHICLE_ID || accepted.iter().any(|(a, _)| *a == k);
        for (i, (key, _)) in entries.iter().enumerate() {
            if !known(key) {
                let mut keys: Vec<&str> = accepted.iter().map(|(k, _)| *k).collect();
                keys.insert(0, VEHICLE_ID);
                return Err(Error::Config(format!(
                    "unknown key `{key}`; this plugin accepts: {}",
                    keys.join(", ")
                )));
            }
            if entries[..i].iter().any(|(k, _)| k == key) {
                return Err(Error::Config(format!("key `{key}` given more than once")));
            }
        }
        Ok(Self { entries })
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of `key`, which must be set and non-empty.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing key.
    pub fn require(&self, key: &str) -> Result<&str, Error> {
        match self.get(key) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            Some(_) => Err(Error::Config(format!("key `{key}` is empty"))),
            None => Err(Error::Config(format!("key `{key}` is required"))),
        }
    }

    /// The value of `key` parsed as `T`, or `None` when unset.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key, the value and the parse error.
    pub fn parse<T: FromStr>(&self, key: &str) -> Result<Option<T>, Error>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.trim().parse().map_err(|e| Error::Config(format!("key `{key}` = {v:?}: {e}")))
            })
            .transpose()
    }

    /// The configured [`VEHICLE_ID`], if set and non-empty.
    pub fn vehicle_id(&self) -> Option<&str> {
        self.get(VEHICLE_ID).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The configured [`VEHICLE_ID`], else the object's name without directories and without its
    /// last extension (`fleet/2024/WBA123.bin` → `WBA123`), else the whole name.
    pub fn vehicle_id_or_stem(&self, object_name: &str) -> String {
        if let Some(v) = self.vehicle_id() {
            return v.to_owned();
        }
        let file = object_name.rsplit('/').next().unwrap_or(object_name);
        let stem = match file.rfind('.') {
            Some(dot) if dot > 0 => &file[..dot],
            _ => file,
        };
        if stem.is_empty() { object_name.to_owned() } else { stem.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        let entries = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::new(entries, &[("dbc", "the DBC file"), ("limit", "a number")])
    }

    #[test]
    fn unknown_and_repeated_keys_are_refused() {
        let e = cfg(&[("vehicle-id", "x")]).unwrap_err();
        assert_eq!(e, Error::Config("unknown key `vehicle-id`; this plugin accepts: vehicle_id, dbc, limit".into()));
        assert!(matches!(cfg(&[("dbc", "a"), ("dbc", "b")]), Err(Error::Config(m)) if m.contains("more than once")));
    }

    #[test]
    fn typed_access_names_the_key() {
        let c = cfg(&[("limit", "12x"), ("dbc", " ")]).unwrap();
        assert!(matches!(c.parse::<u32>("limit"), Err(Error::Config(m)) if m.starts_with("key `limit` = \"12x\"")));
        assert_eq!(c.require("dbc"), Err(Error::Config("key `dbc` is empty".into())));
        assert_eq!(c.require("vehicle_id"), Err(Error::Config("key `vehicle_id` is required".into())));
        assert_eq!(c.parse::<u32>("vehicle_id"), Ok(None));
    }

    #[test]
    fn vehicle_id_falls_back_to_the_object_stem() {
        let none = cfg(&[]).unwrap();
        assert_eq!(none.vehicle_id_or_stem("fleet/2024/WBA123.bin"), "WBA123");
        assert_eq!(none.vehicle_id_or_stem("a/b.tar.gz"), "b.tar");
        assert_eq!(none.vehicle_id_or_stem(".hidden"), ".hidden");
        let set = cfg(&[("vehicle_id", " VIN1 ")]).unwrap();
        assert_eq!(set.vehicle_id_or_stem("x.bin"), "VIN1");
    }
}
