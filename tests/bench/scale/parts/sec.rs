//! sec, part @K@: MACs, hashes, tokens, cookies, archives, graphs.
use hmac::Mac;
use std::io::Write;

/// HMAC-SHA256 of `data` under `key`.
pub fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// BLAKE3 in hex.
pub fn hash(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    sub: String,
    exp: usize,
}

/// A signed token for `sub`.
pub fn token(sub: &str) -> jsonwebtoken::errors::Result<String> {
    let claims = Claims { sub: sub.into(), exp: 4_000_000_000 };
    let key = jsonwebtoken::EncodingKey::from_secret(b"part @K@");
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key)
}

/// The subject of a token made by `token`.
pub fn subject(tok: &str) -> jsonwebtoken::errors::Result<String> {
    let key = jsonwebtoken::DecodingKey::from_secret(b"part @K@");
    let data = jsonwebtoken::decode::<Claims>(tok, &key, &jsonwebtoken::Validation::default())?;
    Ok(data.claims.sub)
}

/// A cookie through a jar.
pub fn cookie_value() -> String {
    let mut jar = cookie::CookieJar::new();
    jar.add(cookie::Cookie::new("s@K@", "v@K@"));
    jar.get("s@K@").map(|c| c.value().to_string()).unwrap_or_default()
}

/// Snappy, raw.
pub fn snappy(data: &[u8]) -> Result<Vec<u8>, snap::Error> {
    snap::raw::Encoder::new().compress_vec(data)
}

/// One file in a zip archive.
pub fn zip_one(data: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("f@K@", zip::write::FileOptions::default())?;
    w.write_all(data)?;
    Ok(w.finish()?.into_inner())
}

/// One file in a tar archive.
pub fn tar_one(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "f@K@", data)?;
    b.into_inner()
}

/// A small cache.
pub fn cache() -> lru::LruCache<u64, String> {
    let mut c = lru::LruCache::new(@K@ + 1);
    c.put(@K@, "part".into());
    c
}

/// The shortest distance from the first to the last of a chain of `n` nodes.
pub fn chain(n: usize) -> Option<u32> {
    let mut g = petgraph::Graph::<(), u32>::new();
    let nodes: Vec<_> = (0..n).map(|_| g.add_node(())).collect();
    for w in nodes.windows(2) {
        g.add_edge(w[0], w[1], @K@ + 1);
    }
    let last = *nodes.last()?;
    petgraph::algo::dijkstra(&g, nodes[0], Some(last), |e| *e.weight()).get(&last).copied()
}

/// n!
pub fn factorial(n: u32) -> num::BigUint {
    (1..=n).fold(num::BigUint::from(1u32), |acc, i| acc * i)
}

/// A one-pixel grey PNG.
pub fn pixel() -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 1, 1);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()?.write_image_data(&[@K@])?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto() {
        assert_eq!(mac(b"k", b"d").len(), 32);
        assert_eq!(hash(b"").len(), 64);
        assert_eq!(subject(&token("me").unwrap()).unwrap(), "me");
        assert_eq!(cookie_value(), "v@K@");
    }

    #[test]
    fn containers() {
        assert!(!snappy(b"abc").unwrap().is_empty());
        assert!(zip_one(b"abc").unwrap().starts_with(b"PK"));
        assert_eq!(tar_one(b"abc").unwrap().len() % 512, 0);
        assert_eq!(cache().len(), 1);
        assert_eq!(chain(3), Some(2 * (@K@ + 1)));
        assert_eq!(factorial(5), num::BigUint::from(120u32));
        assert!(pixel().unwrap().starts_with(b"\x89PNG"));
    }
}
