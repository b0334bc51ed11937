/// Where the build script looked for its (imaginary) C library.
pub fn searched() -> &'static str {
    env!("PROBE_SEARCHED")
}
