//! cli, part @K@: arguments, names and stamps.
use clap::Parser;
use std::path::Path;

/// The arguments of part @K@.
#[derive(Debug, Parser)]
pub struct Args {
    /// How verbose.
    #[arg(long, default_value_t = @K@)]
    pub level: u32,
    /// A name, or the environment's.
    #[arg(long, env = "CLI_PART_@K@_NAME")]
    pub name: Option<String>,
}

/// Why a name is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("bad name {0:?}")]
    BadName(String),
}

/// Accepts lowercase names with an optional number.
pub fn check(name: &str) -> Result<String, Error> {
    let re = regex::Regex::new(r"^[a-z]+[0-9]*$").expect("valid pattern");
    if re.is_match(name) {
        log::debug!("part @K@ accepts {name}");
        Ok(name.to_uppercase())
    } else {
        Err(Error::BadName(name.into()))
    }
}

/// A unique stamp: the date and a random id.
pub fn stamp() -> String {
    let n: u32 = rand::random();
    format!("{}-{}-{n}", chrono::Utc::now().format("%Y%m%d"), uuid::Uuid::new_v4())
}

/// How many files lie below `dir`.
pub fn files(dir: &Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for entry in walkdir::WalkDir::new(dir) {
        if entry?.file_type().is_file() {
            n += 1;
        }
    }
    Ok(n)
}

/// Parses the arguments from a list.
pub fn parse(args: &[&str]) -> Result<Args, clap::Error> {
    Args::try_parse_from(std::iter::once("part@K@").chain(args.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(check("abc@K@").unwrap(), "ABC@K@");
        assert!(check("A b").is_err());
        assert!(stamp().len() > 36);
    }

    #[test]
    fn counts_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        assert_eq!(files(dir.path()).unwrap(), 1);
        assert_eq!(parse(&["--level", "3"]).unwrap().level, 3);
    }
}
