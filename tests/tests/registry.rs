//! The plugin registry through the real binary: providers register keys, publish signed plugins
//! that pass their fixtures, jobs run them by version requirement or hash, and everything that
//! is not exactly what its provider signed is refused with a clear error.

use dataplace_tests::{data_files, metadata, plugin, run, run_json, scratch, workspace};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// A registry with two registered providers, `acme` and `rival`, and their key files.
struct Setup {
    dir: PathBuf,
    registry: String,
    acme_key: String,
    rival_key: String,
}

impl Setup {
    fn new(name: &str) -> Self {
        let dir = scratch(name);
        let registry = dir.join("registry").display().to_string();
        let key = |who: &str| {
            let file = dir.join(format!("{who}.key"));
            let (code, public, err) = run(&["provider", "keygen", "--out", &file.display().to_string()]);
            assert_eq!(code, 0, "{err}");
            let (code, out, err) = run(&["provider", "register", who, "--public-key", public.trim(), "--registry", &registry]);
            assert_eq!(code, 0, "{err}");
            assert!(out.contains(&format!("provider {who} registered")), "{out}");
            file.display().to_string()
        };
        let (acme_key, rival_key) = (key("acme"), key("rival"));
        Self { dir, registry, acme_key, rival_key }
    }

    /// `dataplace <args> --registry <registry>`.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = args.to_vec();
        all.extend(["--registry", &self.registry]);
        run(&all)
    }

    fn run_json(&self, args: &[&str]) -> (i32, Json) {
        let mut all = args.to_vec();
        all.extend(["--registry", &self.registry]);
        run_json(&all)
    }

    /// Publish the template plugin (fleet-csv 0.1.0) as `provider` with `key`.
    fn publish_template(&self, provider: &str, key: &str) -> (i32, String, String) {
        let wasm = plugin("template").display().to_string();
        self.run(&["plugin", "publish", &wasm, "--provider", provider, "--key", key, "--fixtures", &template_fixtures()])
    }

    /// Convert the template's fixture input with `plugin_ref`; returns (exit code, stderr, output root).
    fn convert(&self, plugin_ref: &str, name: &str, extra: &[&str]) -> (i32, String, PathBuf) {
        let out = self.dir.join(name);
        let input = workspace().join("plugins/template/fixtures/trip.csv").display().to_string();
        let mut args = vec!["convert", "--plugin", plugin_ref, "--provider", "acme", "--output"];
        let out_arg = out.display().to_string();
        args.push(&out_arg);
        args.extend(extra);
        args.push(&input);
        let (code, _, err) = self.run(&args);
        (code, err, out)
    }

    fn object(&self, key: &str) -> PathBuf {
        Path::new(&self.registry).join(key)
    }
}

fn template_fixtures() -> String {
    workspace().join("plugins/template/fixtures").display().to_string()
}

fn sha256_of(file: &Path) -> String {
    let (code, out, err) = run(&["plugin", "inspect", &file.display().to_string(), "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Json>(&out).unwrap()["sha256"].as_str().unwrap().to_owned()
}

#[test]
fn publish_list_inspect_run_and_yank() {
    let s = Setup::new("registry-lifecycle");
    let (code, manifest) = {
        let wasm = plugin("template").display().to_string();
        s.run_json(&["plugin", "publish", &wasm, "--provider", "acme", "--key", &s.acme_key, "--fixtures", &template_fixtures()])
    };
    assert_eq!(code, 0, "{manifest}");
    let sha = sha256_of(&plugin("template"));
    assert_eq!(manifest["sha256"], sha.as_str());
    assert_eq!(manifest["size"].as_u64().unwrap(), std::fs::metadata(plugin("template")).unwrap().len());
    assert_eq!((manifest["provider"].as_str(), manifest["name"].as_str(), manifest["version"].as_str()), (Some("acme"), Some("fleet-csv"), Some("0.1.0")));
    assert_eq!(manifest["world"], "dataplace:converter/plugin@0.1.0");
    assert_eq!(manifest["signals"], serde_json::json!(["Vehicle.Speed", "Vehicle.TraveledDistance"]));
    assert_eq!(manifest["formats"], serde_json::json!(["fleet-csv-v1"]));
    assert_eq!(manifest["fixtures_passed"], 1);
    assert_eq!(manifest["signature"].as_str().unwrap().len(), 128, "an ed25519 signature in hex");
    assert!(s.object(&format!("plugins/sha256/{sha}.wasm")).is_file(), "content-addressed component");

    let (code, _, err) = s.publish_template("acme", &s.acme_key);
    assert_eq!(code, 2);
    assert!(err.contains("acme/fleet-csv@0.1.0 is already published; versions are immutable"), "{err}");

    let (code, listed) = s.run_json(&["plugin", "list"]);
    assert_eq!(code, 0);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["yanked"], false);

    let (code, inspected) = s.run_json(&["plugin", "inspect", "acme/fleet-csv@^0.1"]);
    assert_eq!(code, 0, "{inspected}");
    assert_eq!(inspected["sha256"], sha.as_str());
    assert_eq!(inspected["manifest"]["signature"], manifest["signature"]);
    assert!(inspected["exports"].as_array().unwrap().iter().any(|e| e == "dataplace:converter/converter@0.1.0"), "{inspected}");
    assert_eq!(inspected["ungranted_imports"], serde_json::json!([]));
    // A local component that is published is recognised by its hash.
    let (_, local) = s.run_json(&["plugin", "inspect", &plugin("template").display().to_string()]);
    assert_eq!(local["manifest"]["version"], "0.1.0");

    // A job names the plugin by version requirement; its files say exactly what ran.
    let (code, err, out) = s.convert("acme/fleet-csv@^0.1", "by-requirement", &[]);
    assert_eq!(code, 0, "{err}");
    let meta = metadata(&data_files(&out)[0]);
    assert_eq!(meta["dataplace.plugin.published"], "acme/fleet-csv@0.1.0");
    assert_eq!(meta["dataplace.plugin.sha256"], sha);

    // Only its provider can yank it.
    let (code, _, err) = s.run(&["plugin", "yank", "acme/fleet-csv@0.1.0", "--key", &s.rival_key]);
    assert_eq!(code, 2);
    assert!(err.contains("not the key registered for provider acme"), "{err}");
    let (code, _, err) = s.run(&["plugin", "yank", "acme/fleet-csv@0.1.0", "--key", &s.acme_key, "--reason", "odometer rounding"]);
    assert_eq!(code, 0, "{err}");
    let (_, listed) = s.run_json(&["plugin", "list", "--provider", "acme"]);
    assert_eq!(listed[0]["yanked"], true);

    // New jobs refuse a yanked version; pinned ones, hashes and forced runs still run.
    let (code, err, _) = s.convert("acme/fleet-csv@^0.1", "yanked-requirement", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no published version of acme/fleet-csv@^0.1 matches (yanked versions skipped"), "{err}");
    for (name, reference, extra) in [
        ("pinned", "acme/fleet-csv@=0.1.0", &[][..]),
        ("by-hash", &format!("sha256:{sha}")[..], &[][..]),
        ("forced", "acme/fleet-csv@^0.1", &["--allow-yanked"][..]),
    ] {
        let (code, err, _) = s.convert(reference, name, extra);
        assert_eq!(code, 0, "{name}: {err}");
    }
}

#[test]
fn only_the_registered_key_publishes_under_a_provider_name() {
    let s = Setup::new("registry-keys");
    let (code, _, err) = s.publish_template("acme", &s.rival_key);
    assert_eq!(code, 2);
    assert!(err.contains("the signing key is not the key registered for provider acme"), "{err}");
    let (code, _, err) = s.publish_template("nobody", &s.acme_key);
    assert_eq!(code, 2);
    assert!(err.contains("provider nobody is not registered"), "{err}");
    // Nor can anyone take over a registered name with another key.
    let rival_public = {
        let (_, out, _) = run(&["provider", "keygen", "--out", &s.dir.join("third.key").display().to_string()]);
        out.trim().to_owned()
    };
    let (code, _, err) = s.run(&["provider", "register", "acme", "--public-key", &rival_public]);
    assert_eq!(code, 2);
    assert!(err.contains("provider acme is already registered with another key"), "{err}");
    let (_, listed) = s.run_json(&["plugin", "list"]);
    assert_eq!(listed, serde_json::json!([]), "nothing was published");
}

#[test]
fn tampered_bytes_and_manifests_are_refused_at_load() {
    let s = Setup::new("registry-tamper");
    let (code, _, err) = s.publish_template("acme", &s.acme_key);
    assert_eq!(code, 0, "{err}");
    let sha = sha256_of(&plugin("template"));
    let component = s.object(&format!("plugins/sha256/{sha}.wasm"));
    let manifest_file = s.object("manifests/acme/fleet-csv/0.1.0.json");
    let (original_bytes, original_manifest) = (std::fs::read(&component).unwrap(), std::fs::read_to_string(&manifest_file).unwrap());

    // Other bytes under the published hash (here: another valid plugin).
    std::fs::copy(plugin("evil"), &component).unwrap();
    let (code, err, _) = s.convert("acme/fleet-csv@^0.1", "swapped-bytes", &[]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("the signed manifest says {sha}")), "{err}");
    std::fs::write(&component, &original_bytes).unwrap();

    // A manifest edited after signing (it now declares another signal).
    std::fs::write(&manifest_file, original_manifest.replace("Vehicle.Speed", "Vehicle.IsMoving")).unwrap();
    let (code, err, _) = s.convert("acme/fleet-csv@^0.1", "edited-manifest", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("signature check failed for acme/fleet-csv@0.1.0"), "{err}");

    // An unsigned manifest, and one signed by the other provider's key.
    let mut m: Json = serde_json::from_str(&original_manifest).unwrap();
    m["signature"] = "".into();
    std::fs::write(&manifest_file, m.to_string()).unwrap();
    let (code, err, _) = s.convert("acme/fleet-csv@^0.1", "unsigned", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("signature check failed"), "{err}");
    std::fs::write(&manifest_file, &original_manifest).unwrap();
    let (code, err, _) = s.convert("acme/fleet-csv@^0.1", "restored", &[]);
    assert_eq!(code, 0, "the untouched registry works again: {err}");
}

#[test]
fn a_manifest_signed_with_another_key_is_refused() {
    let s = Setup::new("registry-wrong-signer");
    // rival publishes the same plugin under its own name; its manifest is then filed under acme.
    let (code, _, err) = s.publish_template("rival", &s.rival_key);
    assert_eq!(code, 0, "{err}");
    let rival = std::fs::read_to_string(s.object("manifests/rival/fleet-csv/0.1.0.json")).unwrap();
    let forged = s.object("manifests/acme/fleet-csv/0.1.0.json");
    std::fs::create_dir_all(forged.parent().unwrap()).unwrap();
    std::fs::write(&forged, rival.replace("\"provider\": \"rival\"", "\"provider\": \"acme\"")).unwrap();
    let (code, err, _) = s.convert("acme/fleet-csv@=0.1.0", "forged", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("signature check failed for acme/fleet-csv@0.1.0"), "{err}");
}

#[test]
fn components_that_break_the_contract_are_not_published() {
    let s = Setup::new("registry-validation");
    let publish = |wasm: &str, fixtures: &str| s.run(&["plugin", "publish", wasm, "--provider", "acme", "--key", &s.acme_key, "--fixtures", fixtures]);

    // A WASI command component: a component, but not of our world.
    let command = dataplace::plugin::crate_build::build(&workspace().join("tests/wrong-world"), None).unwrap();
    let (code, _, err) = publish(&command.display().to_string(), &template_fixtures());
    assert_eq!(code, 2);
    assert!(err.contains("does not export dataplace:converter/converter@0.1"), "{err}");

    // Not a component at all.
    let junk = s.dir.join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0").unwrap();
    let (code, _, err) = publish(&junk.display().to_string(), &template_fixtures());
    assert_eq!(code, 2);
    assert!(err.contains("not a usable dataplace:converter@0.1.0 component"), "{err}");

    // The hostile plugin resolves host names through std: it imports wasi:sockets.
    let (code, _, err) = publish(&plugin("evil").display().to_string(), &template_fixtures());
    assert_eq!(code, 2);
    assert!(err.contains("imports wasi:sockets/"), "{err}");
    assert!(err.contains("which the sandbox does not grant"), "{err}");

    // A fixture that does not hold.
    let fixtures = s.dir.join("fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::copy(workspace().join("plugins/template/fixtures/trip.csv"), fixtures.join("trip.csv")).unwrap();
    let expected = std::fs::read_to_string(workspace().join("plugins/template/fixtures/trip.expected.json")).unwrap();
    std::fs::write(fixtures.join("trip.expected.json"), expected.replace("\"value\": 42.5", "\"value\": 42.0")).unwrap();
    let (code, _, err) = publish(&plugin("template").display().to_string(), &fixtures.display().to_string());
    assert_eq!(code, 2);
    assert!(err.contains("1 of 1 fixtures fail under production limits"), "{err}");
    assert!(err.contains("~ value      van-7 Vehicle.Speed @1714557601000000 expected 42.0, got 42.5"), "{err}");

    let (_, listed) = s.run_json(&["plugin", "list"]);
    assert_eq!(listed, serde_json::json!([]), "nothing was published");
}
