// Watches CMAKE_PREFIX_PATH, as opencv's build script does: a derivation
// with other inputs (clippy's, for one) has another value, and that reruns
// it and rebuilds the crate.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CMAKE_PREFIX_PATH");
    let found = std::env::var_os("CMAKE_PREFIX_PATH").is_some();
    println!("cargo:rustc-env=PROBE_SEARCHED={}", if found { "prefix" } else { "default" });
}
