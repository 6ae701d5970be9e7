//! Running the real `pubdata` binary in tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_pubdata");

/// A `pubdata` command with a clean environment (no stray PUBDATA_* settings).
pub fn pubdata(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PUBDATA_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut c: Command, stdin: Option<&str>) -> Output {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn pubdata");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// A running `pubdata serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    /// What it printed before it started listening (one-time or demo passwords).
    pub banner: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `pubdata serve --listen 127.0.0.1:0 …` and waits for the line with its URL.
// The child is waited for by `Server::drop` (or killed and left to exit on the panic paths).
#[allow(clippy::zombie_processes)]
pub fn serve(mut c: Command) -> Server {
    c.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn pubdata serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut banner = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap().trim_end_matches('/').to_string();
                    return Server { child, url, banner };
                }
                banner.push(line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("pubdata serve exited early with {status}: {banner:?}");
                }
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    panic!("pubdata serve did not start: {banner:?}");
}
