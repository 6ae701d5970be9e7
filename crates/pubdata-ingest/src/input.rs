//! The raw input: a reader whose every byte is counted and hashed (SHA-256 and SM3) as it is read.
//!
//! SHA-256 runs on the reading thread (it uses the CPU's SHA extensions where present and costs little).
//! SM3 has no hardware support and runs at roughly the speed of parsing itself, so it runs on a worker
//! thread fed through a bounded channel of recycled chunks; memory stays bounded (a few chunks) and
//! reading and hashing overlap on two cores. If the worker cannot be started, SM3 runs inline.

use std::io::{ErrorKind, Read};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sm3::Sm3;

use crate::error::ReadError;

/// Bytes handed to the SM3 worker at a time.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight to the SM3 worker.
const IN_FLIGHT: usize = 4;

/// Size and digests of the complete raw input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Digests {
    /// Number of bytes in the input.
    pub bytes: u64,
    /// SHA-256 of the input, lower-case hex.
    pub sha256_hex: String,
    /// SM3 (GB/T 32905-2016) of the input, lower-case hex.
    pub sm3_hex: String,
}

type Sm3Out = [u8; 32];

struct Sm3Worker {
    tx: SyncSender<Vec<u8>>,
    recycled: Receiver<Vec<u8>>,
    handle: JoinHandle<Sm3Out>,
}

enum Sm3State {
    Worker(Sm3Worker),
    Inline(Box<Sm3>),
    /// The worker stopped unexpectedly; the digest is lost.
    Failed,
}

struct Hasher {
    sha: Sha256,
    bytes: u64,
    pending: Vec<u8>,
    sm3: Sm3State,
}

impl Hasher {
    fn new() -> Self {
        let (tx, rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back_tx, back_rx) = sync_channel::<Vec<u8>>(IN_FLIGHT + 2);
        let spawned = std::thread::Builder::new().name("pubdata-ingest-sm3".into()).spawn(move || {
            let mut sm3 = Sm3::new();
            for chunk in rx {
                sm3.update(&chunk);
                // The reading side may be gone or have enough spare buffers; either way dropping is fine.
                let _ = back_tx.try_send(chunk);
            }
            let out: Sm3Out = sm3.finalize().into();
            out
        });
        let sm3 = match spawned {
            Ok(handle) => Sm3State::Worker(Sm3Worker { tx, recycled: back_rx, handle }),
            Err(_) => Sm3State::Inline(Box::new(Sm3::new())),
        };
        Self { sha: Sha256::new(), bytes: 0, pending: Vec::new(), sm3 }
    }

    fn update(&mut self, data: &[u8]) {
        self.sha.update(data);
        self.bytes += data.len() as u64;
        match &mut self.sm3 {
            Sm3State::Inline(sm3) => sm3.update(data),
            Sm3State::Failed => {}
            Sm3State::Worker(_) => {
                if self.pending.capacity() == 0 {
                    self.pending.reserve(CHUNK + data.len());
                }
                self.pending.extend_from_slice(data);
                if self.pending.len() >= CHUNK {
                    self.send_pending();
                }
            }
        }
    }

    fn send_pending(&mut self) {
        let Sm3State::Worker(worker) = &self.sm3 else { return };
        let mut next = match worker.recycled.try_recv() {
            Ok(buf) => buf,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(CHUNK * 2),
        };
        next.clear();
        let full = std::mem::replace(&mut self.pending, next);
        if worker.tx.send(full).is_err() {
            self.sm3 = Sm3State::Failed;
        }
    }

    fn finish(mut self) -> Result<Digests, ReadError> {
        if !self.pending.is_empty() {
            self.send_pending();
        }
        let sm3: Sm3Out = match self.sm3 {
            Sm3State::Inline(sm3) => sm3.finalize().into(),
            Sm3State::Worker(worker) => {
                drop(worker.tx);
                worker
                    .handle
                    .join()
                    .map_err(|_| ReadError::internal("SM3 计算线程异常退出", "the SM3 worker stopped"))?
            }
            Sm3State::Failed => return Err(ReadError::internal("SM3 计算线程异常退出", "the SM3 worker stopped")),
        };
        let sha: [u8; 32] = self.sha.finalize().into();
        Ok(Digests { bytes: self.bytes, sha256_hex: hex::encode(sha), sm3_hex: hex::encode(sm3) })
    }
}

/// The raw input with its running digests.
pub(crate) struct Input {
    src: Box<dyn Read + Send>,
    hasher: Hasher,
    eof: bool,
}

impl Input {
    pub(crate) fn new(src: Box<dyn Read + Send>) -> Self {
        Self { src, hasher: Hasher::new(), eof: false }
    }

    /// Bytes read from the underlying reader so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.hasher.bytes
    }

    /// Reads once into `buf` (retrying on interruption); 0 means end of input.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        if self.eof || buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.src.read(buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.hasher.update(&buf[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadError::io(&e)),
            }
        }
    }

    /// Reads until `buf` is full or the input ends; returns the number of bytes read.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> Result<usize, ReadError> {
        let mut n = 0;
        while n < buf.len() {
            let got = self.read(&mut buf[n..])?;
            if got == 0 {
                break;
            }
            n += got;
        }
        Ok(n)
    }

    /// Reads the whole remaining input into a vector, failing with `too_large` past `limit` bytes.
    pub(crate) fn read_all(&mut self, limit: u64, too_large: impl Fn() -> ReadError) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = self.read(&mut chunk)?;
            if n == 0 {
                return Ok(out);
            }
            if (out.len() + n) as u64 > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads and hashes whatever is left, then returns the digests of the whole input.
    pub(crate) fn finish(mut self) -> Result<Digests, ReadError> {
        let mut scratch = vec![0u8; 64 * 1024];
        while self.read(&mut scratch)? > 0 {}
        self.hasher.finish()
    }
}
