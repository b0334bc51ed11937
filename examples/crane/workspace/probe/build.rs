// Watches a CMAKE_PREFIX_PATH-like variable, as opencv's build script
// watches CMAKE_PREFIX_PATH: a new value reruns it and rebuilds the crate.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PROBE_PREFIX_PATH");
    let found = std::env::var_os("PROBE_PREFIX_PATH").is_some();
    println!("cargo:rustc-env=PROBE_SEARCHED={}", if found { "prefix" } else { "default" });
}
