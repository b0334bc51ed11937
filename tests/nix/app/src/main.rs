//! Prints one line per dependency, so the output shows the build is right.
use std::io::{Read, Write};

/// Compresses and decompresses `text` with bzip2 and with zlib (flate2).
pub fn round_trip(text: &str) -> (String, String) {
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(text.as_bytes()).unwrap();
    let mut back = String::new();
    bzip2::read::BzDecoder::new(&bz.finish().unwrap()[..]).read_to_string(&mut back).unwrap();
    let mut gz = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(text.as_bytes()).unwrap();
    let mut back2 = String::new();
    flate2::read::ZlibDecoder::new(&gz.finish().unwrap()[..]).read_to_string(&mut back2).unwrap();
    (back, back2)
}

fn main() {
    let (bz, gz) = round_trip("cowlink");
    println!("bzip2: {bz}");
    println!("zlib: {gz}");
    let re = regex::Regex::new(r"^(\w+)-(\d+)$").unwrap();
    println!("regex: {}", &re.captures("crane-385").unwrap()[2]);
    println!("serde_json: {}", serde_json::json!({ "store": "read-only" }));
    #[cfg(feature = "stale")]
    println!("never-fresh: {}", never_fresh::GREETING);
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        assert_eq!(super::round_trip("x"), ("x".to_string(), "x".to_string()));
    }
}
