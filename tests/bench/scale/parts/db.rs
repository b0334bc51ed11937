//! db, part @K@: rows in SQLite, archives in four codecs, a Postgres config.
use std::io::Write;

/// Stores rows in an in-memory SQLite table and reads them back in order.
pub fn store(rows: &[(i64, String)]) -> rusqlite::Result<Vec<(i64, String)>> {
    let conn = rusqlite::Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE t@K@ (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")?;
    for (id, name) in rows {
        conn.execute("INSERT INTO t@K@ VALUES (?1, ?2)", rusqlite::params![id, name])?;
    }
    let mut stmt = conn.prepare("SELECT id, name FROM t@K@ ORDER BY id")?;
    let read = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect();
    read
}

/// The same bytes with zstd, gzip, bzip2 and xz.
pub fn compress(data: &[u8]) -> std::io::Result<[Vec<u8>; 4]> {
    let z = zstd::encode_all(data, 3)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data)?;
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(data)?;
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(data)?;
    Ok([z, gz.finish()?, bz.finish()?, xz.finish()?])
}

/// zstd back again.
pub fn expand(data: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::decode_all(data)
}

/// Where part @K@'s Postgres database is.
pub fn pg_config(host: &str) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config.host(host).dbname("db@K@").user("part@K@");
    config
}

/// The branch a git repository is on.
pub fn branch(path: &std::path::Path) -> Result<Option<String>, git2::Error> {
    let repo = git2::Repository::open(path)?;
    let head = repo.head()?;
    Ok(head.shorthand().map(String::from))
}

/// zlib's version, from the C library.
pub fn zlib_version() -> String {
    unsafe { std::ffi::CStr::from_ptr(libz_sys::zlibVersion()) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_sorted() {
        let rows = store(&[(2, "b".into()), (1, "a".into())]).unwrap();
        assert_eq!(rows, vec![(1, "a".into()), (2, "b".into())]);
    }

    #[test]
    fn codecs_round_trip() {
        let data = b"part @K@ part @K@ part @K@".repeat(@K@ + 1);
        let [z, gz, bz, xz] = compress(&data).unwrap();
        assert_eq!(expand(&z).unwrap(), data);
        assert!(!gz.is_empty() && !bz.is_empty() && !xz.is_empty());
        assert!(!zlib_version().is_empty());
        assert!(branch(std::path::Path::new("/nonexistent")).is_err());
        let _ = pg_config("localhost");
    }
}
