//! media, part @K@: images, digests in parallel, tallies.
use itertools::Itertools;
use once_cell::sync::Lazy;
use parking_lot::Mutex;
use rayon::prelude::*;
use sha2::Digest;

/// What the pipeline multiplies by.
pub const STEP: u64 = @K@ + 1;

static SEEN: Lazy<Mutex<Vec<u64>>> = Lazy::new(|| Mutex::new(Vec::new()));

/// A gradient image, halved.
pub fn thumbnail(w: u32, h: u32) -> image::RgbImage {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, @K@]));
    image::imageops::resize(&img, w / 2 + 1, h / 2 + 1, image::imageops::FilterType::Triangle)
}

/// The image as PNG.
pub fn png_bytes(img: &image::RgbImage) -> image::ImageResult<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageOutputFormat::Png)?;
    Ok(out.into_inner())
}

/// SHA-256 of each chunk, in base64, computed in parallel.
pub fn digests(chunks: &[Vec<u8>]) -> Vec<String> {
    chunks.par_iter().map(|c| base64::encode(sha2::Sha256::digest(c))).collect()
}

/// How often each word occurs, most frequent first.
pub fn tally(words: &[&str]) -> indexmap::IndexMap<String, usize> {
    let counts = dashmap::DashMap::new();
    words.par_iter().for_each(|w| *counts.entry(w.to_string()).or_insert(0) += 1);
    counts
        .into_iter()
        .sorted_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)))
        .collect()
}

/// Sends numbers through a channel and sums them.
pub fn pipeline(n: u64) -> u64 {
    let (tx, rx) = crossbeam::channel::unbounded();
    crossbeam::scope(|s| {
        s.spawn(|_| (0..n).for_each(|i| tx.send(i * STEP).unwrap()));
    })
    .unwrap();
    drop(tx);
    let sum = rx.iter().sum();
    SEEN.lock().push(sum);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_encodes() {
        let img = thumbnail(16, 8);
        assert_eq!(img.dimensions(), (9, 5));
        assert!(png_bytes(&img).unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn counts() {
        assert_eq!(digests(&[b"a".to_vec()]).len(), 1);
        assert_eq!(tally(&["b", "a", "b"]).into_iter().next().unwrap(), ("b".to_string(), 2));
        assert_eq!(pipeline(3), 3 * STEP);
    }
}
