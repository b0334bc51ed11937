// Prints the zlib version libz-sys linked: built right, it runs.
fn main() {
    let v = unsafe { std::ffi::CStr::from_ptr(libz_sys::zlibVersion()) };
    println!("zlib {}", v.to_str().unwrap());
}
