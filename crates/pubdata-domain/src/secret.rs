//! Random secrets and their digests: session ids, API tokens, one-time passwords.
//!
//! Secrets are shown to their owner once and stored only as SM3 digests (GB/T 32905), so a
//! copy of the database does not let anyone log in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sm3::{Digest, Sm3};

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing is unrecoverable; refusing to continue is the safe answer.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("operating system random source unavailable");
    buf
}

/// A URL-safe random token with `prefix`, carrying 256 bits of entropy.
pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes(32)))
}

/// Hex SM3 digest of a secret, for storage and lookup.
pub fn digest(secret: &str) -> String {
    hex::encode(Sm3::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let a = random_token("pdt_");
        let b = random_token("pdt_");
        assert!(a.starts_with("pdt_") && a.len() == 4 + 43);
        assert_ne!(a, b);
    }

    #[test]
    fn digest_is_sm3() {
        // GB/T 32905-2016 example 1: SM3("abc").
        assert_eq!(digest("abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
