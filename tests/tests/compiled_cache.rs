//! The compiled-code cache: a component is compiled once per (sha256, engine configuration);
//! the second load comes from the cache, a different engine configuration does not use it, and a
//! damaged entry is recompiled rather than trusted.

use dataplace::catalogue::Catalogue;
use dataplace::plugin::{CompiledCache, Host, PluginLimits};
use dataplace_tests::{files, plugin, run_json_env, scratch, workspace};

fn load(cache: &CompiledCache, metered: bool, wasm: &[u8]) -> bool {
    let limits = PluginLimits::default();
    let host = Host::build(&limits, Catalogue::builtin(), metered, Some(cache.clone())).unwrap();
    host.load(wasm, &limits).unwrap().from_cache()
}

#[test]
fn the_second_load_is_a_cache_hit_and_another_engine_configuration_is_not() {
    let dir = scratch("compiled-cache");
    let cache = CompiledCache::new(dir.join("cache"));
    let wasm = std::fs::read(plugin("template")).unwrap();
    assert!(!load(&cache, true, &wasm), "first load compiles");
    assert!(load(&cache, true, &wasm), "second load is a hit");
    assert!(!load(&cache, false, &wasm), "without fuel metering the code differs: compiled anew");
    assert!(load(&cache, false, &wasm));
    let entries = files(&dir.join("cache"), ".cwasm");
    assert_eq!(entries.len(), 2, "one entry per engine configuration: {entries:?}");

    // A damaged entry is not deserialised: it is recompiled and rewritten.
    for entry in &entries {
        let mut bytes = std::fs::read(entry).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(entry, bytes).unwrap();
    }
    assert!(!load(&cache, true, &wasm), "a corrupt entry is a miss");
    assert!(load(&cache, true, &wasm), "and was replaced");
}

#[test]
fn job_reports_say_whether_the_code_came_from_the_cache() {
    let dir = scratch("compiled-cache-cli");
    let env = [("DATAPLACE_CACHE_DIR", dir.join("cache").display().to_string())];
    let input = workspace().join("plugins/template/fixtures/trip.csv").display().to_string();
    let wasm = plugin("template").display().to_string();
    let convert = |out: &str| {
        let out = dir.join(out).display().to_string();
        run_json_env(&["convert", "--plugin", &wasm, "--output", &out, "--config", "vehicle_id=van-7", &input], &env)
    };
    let (code, first) = convert("a");
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["compiled_from_cache"], false);
    let (_, second) = convert("b");
    assert_eq!(second["compiled_from_cache"], true);
    assert_eq!(first["totals"]["fuel"], second["totals"]["fuel"], "cached code meters the same fuel");
}
