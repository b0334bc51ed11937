//! client, part @K@: requests to a service, signed with a digest.
use std::time::Duration;

/// The URL of item `id` of part @K@.
pub fn endpoint(base: &str, id: u64) -> Result<url::Url, url::ParseError> {
    url::Url::parse(base)?.join(&format!("items/@K@/{id}"))
}

/// SHA-256 in hex, with ring.
pub fn digest_hex(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

/// SHA-256 with OpenSSL, for the same bytes.
pub fn openssl_digest(data: &[u8]) -> Vec<u8> {
    openssl::sha::sha256(data).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An async client with rustls (not built in the tests: with no system
/// roots, as in Nix's sandbox, the builder fails).
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(@K@ + 1))
        .use_rustls_tls()
        .build()
}

/// A blocking client with the platform's TLS.
pub fn blocking_client() -> reqwest::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(1)).build()
}

/// Fetches an item as JSON.
pub async fn fetch(
    client: &reqwest::Client,
    base: &str,
    id: u64,
) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
    let url = endpoint(base, id)?;
    let resp = client.get(url).header("x-digest", digest_hex(&id.to_le_bytes())).send().await?;
    Ok(resp.error_for_status()?.json().await?)
}

/// A curl handle set up for the same endpoint.
pub fn curl_handle(base: &str, id: u64) -> Result<curl::easy::Easy, Box<dyn std::error::Error>> {
    let mut easy = curl::easy::Easy::new();
    easy.url(endpoint(base, id)?.as_str())?;
    easy.timeout(Duration::from_secs(1))?;
    Ok(easy)
}

/// An empty rustls root store with its size.
pub fn roots() -> usize {
    rustls::RootCertStore::empty().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_agree() {
        assert_eq!(digest_hex(b"abc"), hex(&openssl_digest(b"abc")));
    }

    #[test]
    fn endpoint_joins() {
        assert_eq!(endpoint("http://h/", 3).unwrap().path(), "/items/@K@/3");
        assert!(curl_handle("http://h/", 1).is_ok());
        assert_eq!(roots(), 0);
    }
}
