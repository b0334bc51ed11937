/// What the build script generated.
pub fn generated() -> &'static str {
    include!(concat!(env!("OUT_DIR"), "/generated.rs"))
}
