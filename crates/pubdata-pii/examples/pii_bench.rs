//! Throughput of `ColumnDetector::observe` and the evaluation table.
//!
//! ```text
//! cargo run --release -p pubdata-pii --example pii_bench [-- testdata/zj-enterprise-2002.csv]
//! ```
//!
//! Throughput is the total bytes of the observed values divided by the elapsed time, on one
//! thread, each column scanned by its own detector and finished at the end.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use pubdata_pii::ColumnDetector;
use pubdata_pii::evaluation::{evaluate, is_text_header, labeled_columns, parse_csv, throughput_corpus};

/// Scans the columns `rounds` times and returns (bytes, seconds).
fn measure(columns: &[(String, Vec<String>)], rounds: usize) -> (usize, f64) {
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        for (header, values) in columns {
            let mut d = ColumnDetector::new(header);
            for v in values {
                d.observe(v);
                bytes += v.len();
            }
            black_box(d.finish());
        }
    }
    (bytes, start.elapsed().as_secs_f64())
}

fn report(label: &str, columns: &[(String, Vec<String>)], rounds: usize) {
    // One warm-up pass.
    measure(columns, 1);
    let (bytes, secs) = measure(columns, rounds);
    let values: usize = columns.iter().map(|(_, v)| v.len()).sum::<usize>() * rounds;
    println!(
        "{label:<34} {:>8.1} MB  {:>7.3} s  {:>7.1} MB/s  {:>6.1} M values/s",
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs,
        values as f64 / 1e6 / secs
    );
}

fn main() {
    let path = std::env::args().nth(1);
    let real = path.as_ref().map(|p| match std::fs::read_to_string(p) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {p}: {e}");
            std::process::exit(2);
        }
    });

    let corpus = throughput_corpus(2002, 64 << 20);
    let text: Vec<(String, Vec<String>)> = corpus.iter().filter(|(h, _)| is_text_header(h)).cloned().collect();
    let ids: Vec<(String, Vec<String>)> = corpus.iter().filter(|(h, _)| !is_text_header(h)).cloned().collect();
    println!("observe() throughput, one thread:");
    report("generated text columns", &text, 3);
    report("generated identifier columns", &ids, 3);
    report("generated, all columns", &corpus, 3);
    if let Some(text) = &real {
        let rows = parse_csv(text);
        if let Some((header, body)) = rows.split_first() {
            let cols: Vec<(String, Vec<String>)> = header
                .iter()
                .enumerate()
                .map(|(i, h)| (h.clone(), body.iter().map(|r| r.get(i).cloned().unwrap_or_default()).collect()))
                .collect();
            report("zj-enterprise-2002.csv, all columns", &cols, 50);
        }
    }

    let columns = labeled_columns(real.as_deref(), 10);
    println!("\nevaluation ({} labelled columns, seed 10):", columns.len());
    print!("{}", evaluate(&columns));

    // The generated part differs with the seed; sum the counts over many seeds and list the
    // columns that were ever wrong.
    let seeds = 1..=100u64;
    let (mut tp, mut fp, mut fn_, mut cols) = (0, 0, 0, 0);
    let mut wrong: BTreeMap<String, usize> = BTreeMap::new();
    for seed in seeds.clone() {
        let e = evaluate(&labeled_columns(None, seed));
        cols += e.columns;
        for s in &e.per_kind {
            tp += s.tp;
            fp += s.fp;
            fn_ += s.fn_;
        }
        for m in &e.mistakes {
            let key = format!(
                "{} ({}): expected {}, detected {}",
                m.header,
                m.origin,
                m.expected.map_or("none", |k| k.as_str()),
                m.detected.map_or("none", |k| k.as_str())
            );
            *wrong.entry(key).or_default() += 1;
        }
    }
    println!(
        "\ngenerated columns over seeds {}..={}: {cols} columns, tp {tp}, fp {fp}, fn {fn_}, precision {:.4}, recall {:.4}",
        seeds.start(),
        seeds.end(),
        tp as f64 / (tp + fp).max(1) as f64,
        tp as f64 / (tp + fn_).max(1) as f64
    );
    for (k, n) in wrong {
        println!("  wrong in {n} seed(s): {k}");
    }
}
