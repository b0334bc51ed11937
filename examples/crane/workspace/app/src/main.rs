//! A small "service" that touches each of its big dependencies once and
//! prints one deterministic line per dependency: if any of them was built
//! wrong, the output changes.

use std::io::{Read, Write};

use clap::Parser;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Digest;

#[derive(Parser)]
#[command(about = "cowlink's crane example")]
struct Args {
    /// Text every codec round-trips.
    #[arg(long, env = "APP_TEXT", default_value = "copy on write, not before")]
    text: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Config {
    name: String,
    workers: u32,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn codecs(text: &[u8]) -> anyhow::Result<()> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(text)?;
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz.finish()?[..]).read_to_end(&mut back)?;
    println!("zlib (libz-sys): round trip {}", back == text);

    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(text)?;
    let mut back = Vec::new();
    bzip2::read::BzDecoder::new(&bz.finish()?[..]).read_to_end(&mut back)?;
    println!("bzip2 (bzip2-sys): round trip {}", back == text);

    let packed = zstd::encode_all(text, 19)?;
    println!("zstd (zstd-sys): round trip {}", zstd::decode_all(&packed[..])? == text);
    Ok(())
}

fn data(text: &str) -> anyhow::Result<()> {
    let db = rusqlite::Connection::open_in_memory()?;
    db.execute_batch("create table w(word text); ")?;
    for word in text.split_whitespace() {
        db.execute("insert into w values (?1)", [word])?;
    }
    let longest: String =
        db.query_row("select word from w order by length(word) desc, word limit 1", [], |r| r.get(0))?;
    println!("sqlite (libsqlite3-sys): longest word {longest}");

    let digest = openssl::sha::sha256(text.as_bytes());
    let ours = sha2::Sha256::digest(text.as_bytes());
    println!("openssl (openssl-sys): sha256 {} agrees with sha2 {}", &hex(&digest)[..16], digest[..] == ours[..]);

    let cfg: Config = toml::from_str("name = \"svc\"\nworkers = 4\n")?;
    let json = serde_json::to_string(&cfg)?;
    println!("serde: {json} {}", serde_json::from_str::<Config>(&json)? == cfg);

    let re = regex::Regex::new(r"\b(\w)\w*\b")?;
    let initials: String = re.captures_iter(text).map(|c| c[1].to_string()).collect();
    println!("regex: initials {initials}");
    Ok(())
}

fn misc(text: &str) -> anyhow::Result<()> {
    let sum: u64 = (1..=1000u64).into_par_iter().map(|n| n * n).sum();
    println!("rayon: sum of squares {sum}");
    let day = chrono::NaiveDate::from_ymd_opt(2023, 9, 17).unwrap();
    println!("chrono: {}", day.format("%A %d %B %Y"));
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, text.as_bytes());
    println!("uuid: {id}");
    let url = url::Url::parse("https://example.org/a/b?c=d")?;
    println!("url: host {} base64 {}", url.host_str().unwrap_or(""), base64::encode(url.path()));
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    println!("rand: {}", (0..4).map(|_| rng.gen_range(0..10).to_string()).collect::<String>());
    let files = walkdir::WalkDir::new(env!("CARGO_MANIFEST_DIR")).into_iter().count();
    println!("walkdir: sees its sources {}", files > 1);
    println!("tinyc (tinyc-sys, compiled C): {} {} {}", tinyc_sys::name(), tinyc_sys::add(2, 3), tinyc_sys::mul(4, 5));
    #[cfg(feature = "extra")]
    println!("unicode-segmentation (extra): {} words", unicode_segmentation::UnicodeSegmentation::unicode_words(text).count());
    println!("probe: searched some paths {}", !probe::searched().is_empty());
    Ok(())
}

async fn served() -> anyhow::Result<String> {
    use hyper::service::{make_service_fn, service_fn};
    let make = make_service_fn(|_| async {
        Ok::<_, std::convert::Infallible>(service_fn(|_req| async {
            Ok::<_, std::convert::Infallible>(hyper::Response::new(hyper::Body::from("pong")))
        }))
    });
    let server = hyper::Server::bind(&([127, 0, 0, 1], 0).into()).serve(make);
    let uri: hyper::Uri = format!("http://{}/ping", server.local_addr()).parse()?;
    tokio::spawn(server);
    let res = hyper::Client::new().get(uri).await?;
    let body = hyper::body::to_bytes(res.into_body()).await?;
    Ok(String::from_utf8(body.to_vec())?)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    tracing::info!("starting");
    let args = Args::parse();
    codecs(args.text.as_bytes())?;
    data(&args.text)?;
    misc(&args.text)?;
    let rt = tokio::runtime::Runtime::new()?;
    println!("tokio+hyper: {}", rt.block_on(served())?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn codecs_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "y").unwrap();
        super::codecs(b"abc").unwrap();
    }
}
