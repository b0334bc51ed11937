// The dummy source crane's buildDepsOnly compiles in place of every target,
// for Debian's rustc 1.63: crane HEAD's own uses attribute syntax
// (`unsafe(...)`) that rustc before 1.82 cannot parse.
#![allow(dead_code)]
pub fn main() {}
