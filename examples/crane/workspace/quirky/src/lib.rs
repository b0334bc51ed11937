/// What the build script generated.
pub fn greeting() -> &'static str {
    include!(concat!(env!("OUT_DIR"), "/greeting.rs"))
}
