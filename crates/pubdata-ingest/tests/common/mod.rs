//! Code shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use pubdata_ingest::{Digests, EncodingSource, Format, Next, ReadError, ReadOptions, Row, RowError, open};

/// Everything a read produced.
#[derive(Debug)]
pub struct Outcome {
    pub header: Vec<String>,
    pub encoding: &'static str,
    pub source: EncodingSource,
    pub detected: Option<&'static str>,
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
    pub fatal: Option<ReadError>,
    pub digests: Digests,
}

impl Outcome {
    pub fn values(&self) -> Vec<Vec<&str>> {
        self.rows.iter().map(|r| r.fields.iter().map(String::as_str).collect()).collect()
    }

    pub fn numbers(&self) -> Vec<u64> {
        self.rows.iter().map(|r| r.number).collect()
    }
}

/// Opens `bytes` and reads to the end (or to a fatal error), then finishes.
pub fn read(bytes: impl Into<Vec<u8>>, options: &ReadOptions) -> Result<Outcome, ReadError> {
    let mut reader = open(Cursor::new(bytes.into()), options)?;
    let header = reader.header().to_vec();
    let (encoding, source, detected) = (reader.encoding(), reader.encoding_source(), reader.detected_encoding());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut fatal = None;
    let mut row = Row::default();
    loop {
        match reader.next_row_into(&mut row) {
            Ok(Next::Row) => rows.push(row.clone()),
            Ok(Next::Invalid(e)) => errors.push(e),
            Ok(Next::End) => break,
            Err(e) => {
                fatal = Some(e);
                break;
            }
        }
    }
    let digests = reader.finish().expect("finish");
    Ok(Outcome { header, encoding, source, detected, rows, errors, fatal, digests })
}

pub fn read_csv(bytes: impl Into<Vec<u8>>) -> Outcome {
    read(bytes, &ReadOptions::new(Format::Csv)).expect("open")
}

pub fn open_err(bytes: impl Into<Vec<u8>>, options: &ReadOptions) -> ReadError {
    read(bytes, options).expect_err("open should fail")
}

/// Encodes text with an encoding_rs encoder (no unmappable characters expected).
pub fn encode(text: &str, encoding: &'static encoding_rs::Encoding) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "test text must be representable");
    bytes.into_owned()
}

/// A unique path under the system temp directory.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("pubdata-ingest-{}-{nanos}-{name}", std::process::id()))
}
