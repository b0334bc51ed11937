//! What never-fresh's build script generated.
pub const GREETING: &str = include!(concat!(env!("OUT_DIR"), "/greeting.rs"));
