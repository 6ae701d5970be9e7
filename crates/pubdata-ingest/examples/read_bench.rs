//! Measures CSV reading throughput.
//!
//! ```text
//! cargo run --release -p pubdata-ingest --example read_bench            # generate ~200 MB, UTF-8 and GBK
//! cargo run --release -p pubdata-ingest --example read_bench -- --mb 50 # smaller generated files
//! cargo run --release -p pubdata-ingest --example read_bench -- --keep   # keep the generated files
//! cargo run --release -p pubdata-ingest --example read_bench -- FILE    # read a given file (any format)
//! ```
//!
//! Generated files have 10 columns (sequence, ID number, name, gender, phone, address, street, date,
//! amount, remark; some remarks quoted with commas) and are removed afterwards.
//!
//! Two rates are reported: wall clock, end to end (including SHA-256 and SM3 of the file), and the
//! CPU time of the reading thread (tokenising, decoding, SHA-256), which is the one-core cost of
//! reading. SM3 runs on a second thread and is reported separately, since on CPUs without SHA or SM3
//! instructions it is usually the slower of the two.

use std::error::Error;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use pubdata_ingest::{Format, Next, ReadOptions, Row, open};
use sha2::Digest;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "欧阳",
    "诸葛",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "鑫", "浩然", "子涵", "一诺",
];
const STREETS: &[&str] = &[
    "首南街道",
    "钟公庙街道",
    "下应街道",
    "中河街道",
    "福明街道",
    "百丈街道",
    "东胜街道",
    "明楼街道",
    "白鹤街道",
    "东柳街道",
    "东郊街道",
    "潘火街道",
    "姜山镇",
    "五乡镇",
    "云龙镇",
];
const ROADS: &[&str] = &[
    "天童南路",
    "四明中路",
    "鄞州大道",
    "前河南路",
    "宁南北路",
    "钱湖北路",
    "嵩江中路",
    "惠风东路",
    "杭州湾大道",
    "泰康中路",
];
const REMARKS: &[&str] =
    &["", "", "已核实", "低保对象", "\"临时地址，待核实\"", "退役军人", "\"户籍迁入，2023年\"", "残疾人证已办理", "无"];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn generate(dir: &Path, megabytes: u64) -> Result<(PathBuf, PathBuf), Box<dyn Error>> {
    let utf8_path = dir.join("bench-utf8.csv");
    let gbk_path = dir.join("bench-gbk.csv");
    let mut utf8 = BufWriter::with_capacity(1 << 20, std::fs::File::create(&utf8_path)?);
    let mut gbk = BufWriter::with_capacity(1 << 20, std::fs::File::create(&gbk_path)?);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut chunk = String::from("序号,身份证号,姓名,性别,手机号码,住址,所属街道,登记日期,补助金额,备注\n");
    let target = megabytes * 1_000_000;
    let mut written = 0u64;
    let mut seq = 0u64;
    while written < target {
        seq += 1;
        let birth = 19_500_101 + (rng.next() % 50) * 10_000 + (rng.next() % 12) * 100 + rng.next() % 28;
        let street = rng.pick(STREETS);
        let line = format!(
            "{seq},330212{birth}{:04},{}{},{},1{:010},宁波市鄞州区{}{}{}号{}幢{}室,{street},20{:02}-{:02}-{:02},{}.{:02},{}\n",
            rng.next() % 10_000,
            rng.pick(SURNAMES),
            rng.pick(GIVEN),
            if rng.next().is_multiple_of(2) { "男" } else { "女" },
            rng.next() % 10_000_000_000,
            street,
            rng.pick(ROADS),
            rng.next() % 999 + 1,
            rng.next() % 30 + 1,
            rng.next() % 2000 + 101,
            rng.next() % 25,
            rng.next() % 12 + 1,
            rng.next() % 28 + 1,
            rng.next() % 5000,
            rng.next() % 100,
            rng.pick(REMARKS),
        );
        chunk.push_str(&line);
        if chunk.len() >= 1 << 20 {
            written += flush(&mut chunk, &mut utf8, &mut gbk)?;
        }
    }
    written += flush(&mut chunk, &mut utf8, &mut gbk)?;
    utf8.flush()?;
    gbk.flush()?;
    println!("generated {seq} rows, {:.1} MB UTF-8", written as f64 / 1e6);
    Ok((utf8_path, gbk_path))
}

fn flush(chunk: &mut String, utf8: &mut impl Write, gbk: &mut impl Write) -> Result<u64, Box<dyn Error>> {
    utf8.write_all(chunk.as_bytes())?;
    let (bytes, _, _) = encoding_rs::GBK.encode(chunk);
    gbk.write_all(&bytes)?;
    let n = chunk.len() as u64;
    chunk.clear();
    Ok(n)
}

/// CPU seconds (user + system) of the calling thread, from /proc; None elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields after the command name start at "state" (field 3); utime and stime are fields 14 and 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn bench(path: &Path) -> Result<(), Box<dyn Error>> {
    let format = Format::from_file_name(&path.to_string_lossy()).unwrap_or(Format::Csv);
    let size = std::fs::metadata(path)?.len();
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let mut reader = open(std::fs::File::open(path)?, &ReadOptions::new(format))?;
    let encoding = reader.encoding();
    let columns = reader.header().len();
    let mut row = Row::default();
    let (mut rows, mut bad, mut chars) = (0u64, 0u64, 0u64);
    loop {
        match reader.next_row_into(&mut row)? {
            Next::Row => {
                rows += 1;
                chars += row.fields.iter().map(|f| f.len() as u64).sum::<u64>();
            }
            Next::Invalid(_) => bad += 1,
            Next::End => break,
        }
    }
    let cpu_parse = thread_cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
    let digests = reader.finish()?;
    let secs = start.elapsed().as_secs_f64();
    let mb = size as f64 / 1e6;
    println!("{} ({encoding}, {columns} columns)", path.display());
    println!(
        "  {rows} rows, {bad} bad rows, {:.1} MB of field text, sm3 {}",
        chars as f64 / 1e6,
        &digests.sm3_hex[..16]
    );
    println!(
        "  wall clock, end to end with digests: {:.2} s, {:.0} MB/s, {:.0} rows/s",
        secs,
        mb / secs,
        rows as f64 / secs
    );
    if let Some(cpu) = cpu_parse.filter(|c| *c > 0.0) {
        println!(
            "  reading thread CPU (parse, decode, SHA-256): {cpu:.2} s, {:.0} MB/s, {:.0} rows/s",
            mb / cpu,
            rows as f64 / cpu
        );
    }
    Ok(())
}

fn hash_rates() {
    let data = vec![0x5Au8; 64 << 20];
    let start = Instant::now();
    let _ = sha2::Sha256::digest(&data);
    let sha = 64.0 * 1.048_576 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let _ = sm3::Sm3::digest(&data);
    let sm3 = 64.0 * 1.048_576 / start.elapsed().as_secs_f64();
    println!("digest speed on this CPU: SHA-256 {sha:.0} MB/s, SM3 {sm3:.0} MB/s (one core each)");
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    hash_rates();
    if let Some(path) = args.first().filter(|a| !a.starts_with("--")) {
        return bench(Path::new(path));
    }
    let megabytes = match args.iter().position(|a| a == "--mb") {
        Some(i) => args.get(i + 1).ok_or("--mb needs a number")?.parse()?,
        None => 200,
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    let dir = std::env::temp_dir().join(format!("pubdata-ingest-bench-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = generate(&dir, megabytes).and_then(|(utf8, gbk)| {
        bench(&utf8)?;
        bench(&gbk)
    });
    if args.iter().any(|a| a == "--keep") {
        println!("kept {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    result
}
