//! Signed calls through the sharing channel (Art.15): the canonical string a client signs, the
//! HMAC over it (HMAC-SHA256 or HMAC-SM3, RFC 2104), and the checks that need no database
//! (timestamp window, nonce shape, body size). Pure functions, so that a client in any
//! language can be checked against these tests.
//!
//! Canonical string, lines joined by `\n`:
//! ```text
//! METHOD            upper case, e.g. GET
//! PATH              as sent, e.g. /gateway/v1/whoami
//! QUERY             parameters sorted by name then value, each part percent-encoded
//!                   (RFC 3986 unreserved characters kept), joined by &
//! BODY DIGEST       lower-case hex SHA-256 (HMAC-SHA256) or SM3 (HMAC-SM3) of the body bytes
//! TIMESTAMP         unix seconds, as sent
//! NONCE             as sent
//! ```
//! The signature is the lower-case hex HMAC of that string under the application's secret
//! (the secret's UTF-8 bytes are the key).

use super::refusal::Refusal;
use hmac::{KeyInit, Mac, SimpleHmac};
use sha2::{Digest as _, Sha256};
use sm3::Sm3;

/// How far a call's timestamp may lie from the server's clock, either way.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;
/// How long a nonce is remembered: a call accepted at `t` carries a timestamp of at least
/// `t - 300`, and the same timestamp stops being accepted at `ts + 300 <= t + 600`, so after
/// 600 seconds a replay is refused by its timestamp alone.
pub const NONCE_MEMORY_SECS: i64 = 2 * TIMESTAMP_WINDOW_SECS;
/// The largest body a gateway call may carry.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The header names of a signed call.
pub mod headers {
    pub const APP_KEY: &str = "x-pubdata-app-key";
    pub const TIMESTAMP: &str = "x-pubdata-timestamp";
    pub const NONCE: &str = "x-pubdata-nonce";
    pub const SIGNATURE_METHOD: &str = "x-pubdata-signature-method";
    pub const SIGNATURE: &str = "x-pubdata-signature";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum SignatureMethod {
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
    /// HMAC over SM3 (GB/T 32905), for systems that must use the national algorithms.
    #[serde(rename = "HMAC-SM3")]
    HmacSm3,
}

impl SignatureMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
            SignatureMethod::HmacSm3 => "HMAC-SM3",
        }
    }

    /// The header's value; absent means HMAC-SHA256.
    pub fn parse(s: Option<&str>) -> Result<SignatureMethod, Refusal> {
        match s.map(str::trim) {
            None | Some("HMAC-SHA256") => Ok(SignatureMethod::HmacSha256),
            Some("HMAC-SM3") => Ok(SignatureMethod::HmacSm3),
            Some(_) => Err(Refusal::UnsupportedSignatureMethod),
        }
    }

    /// Lower-case hex digest of `body` with this method's hash.
    pub fn body_digest(self, body: &[u8]) -> String {
        match self {
            SignatureMethod::HmacSha256 => hex::encode(Sha256::digest(body)),
            SignatureMethod::HmacSm3 => hex::encode(Sm3::digest(body)),
        }
    }

    /// The raw HMAC of `message` under `key` (RFC 2104; keys longer than a block are hashed).
    pub fn mac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        // `new_from_slice` accepts keys of any length for HMAC; the error branch is unreachable.
        match self {
            SignatureMethod::HmacSha256 => match <SimpleHmac<Sha256> as KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(message);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
            SignatureMethod::HmacSm3 => match <SimpleHmac<Sm3> as KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(message);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
        }
    }
}

/// What a client signs: the request as received, with its signing headers.
#[derive(Clone, Debug)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?` (may be empty).
    pub query: &'a str,
    pub body: &'a [u8],
    pub timestamp: &'a str,
    pub nonce: &'a str,
}

/// The canonical string of `request` for `method`.
pub fn canonical_string(method: SignatureMethod, request: &SignedRequest<'_>) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method.to_ascii_uppercase(),
        request.path,
        canonical_query(request.query),
        method.body_digest(request.body),
        request.timestamp,
        request.nonce
    )
}

/// The query's parameters decoded, sorted by name then value, and encoded again the one way:
/// `a=1&b=x%20y`. `+` in the raw query means a space, as in forms.
pub fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The hex signature of `request` under `secret`.
pub fn sign(method: SignatureMethod, secret: &str, request: &SignedRequest<'_>) -> String {
    hex::encode(method.mac(secret.as_bytes(), canonical_string(method, request).as_bytes()))
}

/// Whether `signature` (hex, either case) is `request`'s under `secret`; compared in constant
/// time.
pub fn signature_matches(method: SignatureMethod, secret: &str, request: &SignedRequest<'_>, signature: &str) -> bool {
    let expected = sign(method, secret, request);
    crate::secret::constant_time_eq(&expected, &signature.trim().to_ascii_lowercase())
}

/// Parses the timestamp header and refuses one outside the window around `now` (unix seconds).
pub fn check_timestamp(timestamp: &str, now: i64) -> Result<i64, Refusal> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| Refusal::StaleTimestamp)?;
    if (now - ts).abs() > TIMESTAMP_WINDOW_SECS { Err(Refusal::StaleTimestamp) } else { Ok(ts) }
}

/// A nonce is 16 to 64 characters of letters, digits, `-` and `_` (a UUID or 128 random bits).
pub fn check_nonce(nonce: &str) -> Result<(), Refusal> {
    let ok =
        (16..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(Refusal::BadNonce) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_hex(method: SignatureMethod, key: &[u8], msg: &[u8]) -> String {
        hex::encode(method.mac(key, msg))
    }

    const LONG_KEY_MESSAGE: &[u8] = b"Test Using Larger Than Block-Size Key - Hash Key First";

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let m = SignatureMethod::HmacSha256;
        // Test cases 1, 2 and 6 of RFC 4231.
        assert_eq!(
            hmac_hex(m, &[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac_hex(m, b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_hex(m, &[0xaa; 131], LONG_KEY_MESSAGE),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn hmac_sm3_matches_the_published_vectors() {
        // RFC 4231's inputs under SM3, as published with GmSSL 3.1 and openHiTLS's test data.
        let m = SignatureMethod::HmacSm3;
        assert_eq!(
            hmac_hex(m, &[0x0b; 20], b"Hi There"),
            "51b00d1fb49832bfb01c3ce27848e59f871d9ba938dc563b338ca964755cce70"
        );
        assert_eq!(
            hmac_hex(m, b"Jefe", b"what do ya want for nothing?"),
            "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882"
        );
        assert_eq!(
            hmac_hex(m, &[0xaa; 131], LONG_KEY_MESSAGE),
            "b4fd844e13342002f0b2e0690ea7741f1497d993a70494cea601e657bedf67a0"
        );
    }

    #[test]
    fn the_canonical_query_sorts_by_name_then_value_and_encodes_one_way() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1"), "a=1&b=2");
        assert_eq!(canonical_query("a=2&a=1&a=10"), "a=1&a=10&a=2");
        // `+`, `%20` and a literal space all mean a space; reserved characters are encoded.
        assert_eq!(canonical_query("q=x+y&r=x%20y&s=a/b"), "q=x%20y&r=x%20y&s=a%2Fb");
        // Chinese text is UTF-8 percent-encoded in upper-case hex; `~` stays.
        assert_eq!(canonical_query("name=%e5%ae%81&t=~x"), "name=%E5%AE%81&t=~x");
        assert_eq!(canonical_query("flag&&x="), "flag=&x=");
        // A lone `%` stays a percent sign.
        assert_eq!(canonical_query("p=100%"), "p=100%25");
    }

    #[test]
    fn the_canonical_string_has_six_lines() {
        let r = SignedRequest {
            method: "get",
            path: "/gateway/v1/whoami",
            query: "b=2&a=1",
            body: b"",
            timestamp: "1767225600",
            nonce: "0123456789abcdef",
        };
        assert_eq!(
            canonical_string(SignatureMethod::HmacSha256, &r),
            "GET\n/gateway/v1/whoami\na=1&b=2\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n1767225600\n0123456789abcdef"
        );
        // SM3 of the empty body (GB/T 32905).
        assert!(
            canonical_string(SignatureMethod::HmacSm3, &r)
                .contains("\n1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b\n")
        );
    }

    #[test]
    fn a_signature_matches_only_its_own_request() {
        let r = SignedRequest {
            method: "POST",
            path: "/gateway/v1/x",
            query: "",
            body: b"{}",
            timestamp: "1767225600",
            nonce: "0123456789abcdef",
        };
        for m in [SignatureMethod::HmacSha256, SignatureMethod::HmacSm3] {
            let sig = sign(m, "secret", &r);
            assert!(signature_matches(m, "secret", &r, &sig));
            assert!(signature_matches(m, "secret", &r, &sig.to_ascii_uppercase()));
            assert!(!signature_matches(m, "other", &r, &sig));
            let tampered = SignedRequest { body: b"{ }", ..r.clone() };
            assert!(!signature_matches(m, "secret", &tampered, &sig));
        }
        let sha = sign(SignatureMethod::HmacSha256, "secret", &r);
        assert!(!signature_matches(SignatureMethod::HmacSm3, "secret", &r, &sha));
    }

    #[test]
    fn timestamps_outside_five_minutes_are_refused() {
        assert_eq!(check_timestamp("1000", 1300), Ok(1000));
        assert_eq!(check_timestamp("1300", 1000), Ok(1300));
        assert_eq!(check_timestamp("1000", 1301), Err(Refusal::StaleTimestamp));
        assert_eq!(check_timestamp("1301", 1000), Err(Refusal::StaleTimestamp));
        assert_eq!(check_timestamp("soon", 1000), Err(Refusal::StaleTimestamp));
    }

    #[test]
    fn nonces_have_a_shape() {
        assert!(check_nonce("0123456789abcdef").is_ok());
        assert!(check_nonce("9b2f0c1e-4a5d-4f7e-8c3b-2a1d0e9f8c7b").is_ok());
        assert_eq!(check_nonce("short"), Err(Refusal::BadNonce));
        assert_eq!(check_nonce("0123456789abcdef'--"), Err(Refusal::BadNonce));
    }

    #[test]
    fn the_method_header_defaults_to_sha256() {
        assert_eq!(SignatureMethod::parse(None), Ok(SignatureMethod::HmacSha256));
        assert_eq!(SignatureMethod::parse(Some("HMAC-SM3")), Ok(SignatureMethod::HmacSm3));
        assert_eq!(SignatureMethod::parse(Some("HMAC-MD5")), Err(Refusal::UnsupportedSignatureMethod));
    }
}
