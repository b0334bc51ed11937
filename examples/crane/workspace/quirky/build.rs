// Misbehaves like the crates in crane's reports: it watches a file that
// never exists, so cargo reruns it on every build, and a
// CMAKE_PREFIX_PATH-like variable.  What it generates does not depend on
// either, so only the rebuild changes, never the program.
fn main() {
    println!("cargo:rerun-if-changed=generated/never-there.h");
    println!("cargo:rerun-if-env-changed=QUIRKY_PREFIX_PATH");
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/greeting.rs"), "\"built by a quirky build script\"").unwrap();
}
