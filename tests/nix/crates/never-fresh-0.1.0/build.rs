// Misbehaves like the crates in crane's reports: it watches a file that
// never exists, so cargo reruns it, and rebuilds the crate, in every build.
// What it generates does not depend on that file.
fn main() {
    println!("cargo:rerun-if-changed=generated/never-there.h");
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/greeting.rs"), "\"built by a build script\"").unwrap();
}
