//! A WASI command (`wasi:cli/command`), built for `wasm32-wasip2` like a plugin but exporting
//! `wasi:cli/run` instead of the `dataplace:converter` world. The registry tests publish it and
//! expect a refusal.

fn main() {
    println!("I am not a converter");
}
