//! The binary's own surface: help, version and usage errors with their exit codes. (Running
//! jobs is tested end to end in the workspace's `tests/` crate, which needs this binary built.)

use std::process::Command;

fn dataplace(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dataplace")).args(args).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn help_documents_the_exit_codes() {
    let (code, text) = dataplace(&["--help"]);
    assert_eq!(code, 0);
    assert!(text.contains("Exit codes: 0 every input converted; 1 the job ran but some inputs failed"), "{text}");
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let (code, text) = dataplace(&["convert", "--plugin", "p.wasm", "--output", "out", "--config", "novalue", "x.bin"]);
    assert_eq!(code, 2);
    assert!(text.contains("--config novalue: expected KEY=VALUE"), "{text}");
    let (code, text) = dataplace(&["run", "/nonexistent/job.toml"]);
    assert_eq!(code, 2);
    assert!(text.contains("reading /nonexistent/job.toml"), "{text}");
    let (code, text) = dataplace(&["convert", "--plugin", "p.wasm", "--output", "out", "/nonexistent/input.bin"]);
    assert_eq!(code, 2);
    assert!(text.contains("no input objects found"), "{text}");
}
