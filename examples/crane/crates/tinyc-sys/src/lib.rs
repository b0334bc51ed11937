//! Bindings to the bundled C.
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

extern "C" {
    fn tinyc_add(a: c_int, b: c_int) -> c_int;
    fn tinyc_mul(a: c_int, b: c_int) -> c_int;
    fn tinyc_name() -> *const c_char;
}

pub fn add(a: i32, b: i32) -> i32 {
    unsafe { tinyc_add(a, b) }
}

pub fn mul(a: i32, b: i32) -> i32 {
    unsafe { tinyc_mul(a, b) }
}

pub fn name() -> String {
    unsafe { CStr::from_ptr(tinyc_name()) }.to_string_lossy().into_owned()
}
