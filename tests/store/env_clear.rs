// A Rust build script's way to start a program with an environment of its
// own: Command::env_clear().  The child appends a line to the file named;
// prints its exit code.
use std::process::{Command, Stdio};

fn main() {
    let path = std::env::args().nth(1).expect("usage: env_clear FILE");
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("echo x >>'{}'", path))
        .env_clear()
        .stderr(Stdio::null())
        .status()
        .expect("cannot start /bin/sh");
    println!("{}", status.code().unwrap_or(-1));
}
