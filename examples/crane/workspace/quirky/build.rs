// Misbehaves like a crate in crane's reports: it watches a file that never
// exists, so cargo reruns it on every build.  What it generates does not
// depend on that file, so only the rebuild changes, never the program.
fn main() {
    println!("cargo:rerun-if-changed=generated/never-there.h");
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/greeting.rs"), "\"built by a quirky build script\"").unwrap();
}
