//! proto, part @K@: one record in protobuf, bincode, RON, YAML, TOML and CSV.
use serde::{Deserialize, Serialize};

/// The protobuf message of part @K@.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Record {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(double, repeated, tag = "3")]
    pub scores: Vec<f64>,
}

/// The same data for serde's formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub id: u64,
    pub name: String,
    pub score: f64,
}

/// A table of rows (TOML wants a table at the top).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub rows: Vec<Row>,
}

/// Protobuf bytes of a record.
pub fn to_proto(r: &Record) -> Vec<u8> {
    prost::Message::encode_to_vec(r)
}

/// A record from protobuf bytes.
pub fn from_proto(b: &[u8]) -> Result<Record, prost::DecodeError> {
    prost::Message::decode(b)
}

/// The table in five text and binary formats.
pub fn encode_all(t: &Table) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let mut csv_out = csv::Writer::from_writer(Vec::new());
    for row in &t.rows {
        csv_out.serialize(row)?;
    }
    Ok(vec![
        bincode::serialize(t)?,
        ron::to_string(t)?.into_bytes(),
        serde_yaml::to_string(t)?.into_bytes(),
        toml::to_string(t)?.into_bytes(),
        csv_out.into_inner()?,
    ])
}

/// The table back from YAML.
pub fn from_yaml(s: &str) -> Result<Table, serde_yaml::Error> {
    serde_yaml::from_str(s)
}

/// Parses `name=number`.
pub fn parse_pair(input: &str) -> nom::IResult<&str, (&str, u64)> {
    nom::sequence::separated_pair(
        nom::character::complete::alpha1,
        nom::bytes::complete::tag("="),
        nom::character::complete::u64,
    )(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_round_trips() {
        let r = Record { id: @K@, name: "r".into(), scores: vec![1.5, 2.5] };
        assert_eq!(from_proto(&to_proto(&r)).unwrap(), r);
    }

    #[test]
    fn formats_agree() {
        let t = Table { rows: vec![Row { id: @K@, name: "x".into(), score: 0.5 }] };
        let all = encode_all(&t).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(from_yaml(std::str::from_utf8(&all[2]).unwrap()).unwrap(), t);
        assert_eq!(parse_pair("abc=@K@").unwrap(), ("", ("abc", @K@)));
    }
}
