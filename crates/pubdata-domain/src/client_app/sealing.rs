//! The platform key that seals client applications' secrets at rest with SM4-GCM (GB/T 32907
//! in Galois/counter mode). Signature checks need the secret itself, so it cannot be stored as
//! a digest; it is stored encrypted under a key that lives outside the database
//! (configuration or a key file), so that a copy of the database alone reveals no secret.
//!
//! Each sealed value binds its context (the application's key and the secret's number) as
//! associated data: a sealed secret copied onto another row does not open.

use crate::error::{Error, Result};
use aes_gcm::AesGcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use sm4::Sm4;
use sm4::cipher::consts::U12;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// The prefix of a sealed value, naming the scheme so that it can change later.
const SCHEME: &str = "sm4gcm1:";
const NONCE_BYTES: usize = 12;

/// An SM4 key (128 bits). Its `Debug` form hides it; it is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SharingKey([u8; 16]);

impl std::fmt::Debug for SharingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharingKey(***)")
    }
}

impl SharingKey {
    /// A key from its 32 hexadecimal characters (`PUBDATA_SHARING_KEY`, the key file).
    pub fn from_hex(s: &str) -> Result<SharingKey> {
        let bytes = hex::decode(s.trim()).ok().filter(|b| b.len() == 16);
        match bytes.and_then(|b| <[u8; 16]>::try_from(b).ok()) {
            Some(k) => Ok(SharingKey(k)),
            None => Err(Error::invalid(
                "sharing_key",
                "共享通道密钥应为 32 位十六进制字符（128 位 SM4 密钥）",
                "the sharing key must be 32 hexadecimal characters (a 128-bit SM4 key)",
            )),
        }
    }

    /// A new random key.
    pub fn generate() -> SharingKey {
        let mut k = [0u8; 16];
        k.copy_from_slice(&crate::secret::random_bytes(16));
        SharingKey(k)
    }

    /// The key's hexadecimal form, for writing the key file once.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> Sm4Gcm {
        Sm4Gcm::new(&self.0.into())
    }

    /// Encrypts `plaintext` bound to `context`: `sm4gcm1:` + hex(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        nonce.copy_from_slice(&crate::secret::random_bytes(NONCE_BYTES));
        let payload = Payload { msg: plaintext, aad: context.as_bytes() };
        // Encryption fails only for inputs beyond GCM's limits (64 GiB); secrets are tiny.
        let sealed = self.cipher().encrypt(&nonce.into(), payload).unwrap_or_default();
        format!("{SCHEME}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// Decrypts a value sealed under this key with the same `context`; `None` if the key or
    /// the context differ or the value was altered.
    pub fn open(&self, sealed: &str, context: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed.strip_prefix(SCHEME)?).ok()?;
        if bytes.len() < NONCE_BYTES + 16 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        self.cipher().decrypt(&nonce.into(), Payload { msg: ciphertext, aad: context.as_bytes() }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let key = SharingKey::generate();
        let sealed = key.seal(b"pds_secret", "app:1");
        assert!(sealed.starts_with("sm4gcm1:"));
        assert!(!sealed.contains(&hex::encode(b"pds_secret")));
        assert_eq!(key.open(&sealed, "app:1").as_deref(), Some(&b"pds_secret"[..]));
        assert_eq!(key.open(&sealed, "app:2"), None, "context is bound");
        assert_eq!(SharingKey::generate().open(&sealed, "app:1"), None, "another key");
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(key.open(&String::from_utf8(altered).unwrap_or_default(), "app:1"), None);
        assert_ne!(key.seal(b"pds_secret", "app:1"), sealed, "a fresh nonce every time");
    }

    #[test]
    fn sm4_gcm_is_sm4_in_galois_counter_mode() {
        // RFC 8998 appendix A.1 (SM4-GCM): key, IV, associated data, plaintext -> ciphertext ‖ tag.
        let key = SharingKey::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let iv: [u8; 12] = hex::decode("00001234567800000000ABCD").unwrap().try_into().unwrap();
        let aad = hex::decode("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2").unwrap();
        let pt = hex::decode(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        let out = key.cipher().encrypt(&iv.into(), Payload { msg: &pt, aad: &aad }).unwrap();
        assert_eq!(
            hex::encode_upper(out),
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC"
        );
    }

    #[test]
    fn keys_are_32_hex_characters_and_never_printed() {
        assert!(SharingKey::from_hex("00112233445566778899aabbccddeeff").is_ok());
        assert!(SharingKey::from_hex("0011").is_err());
        assert!(SharingKey::from_hex("zz112233445566778899aabbccddeeff").is_err());
        let k = SharingKey::from_hex("00112233445566778899aabbccddeeff").unwrap();
        assert_eq!(format!("{k:?}"), "SharingKey(***)");
        assert_eq!(k.to_hex(), "00112233445566778899aabbccddeeff");
    }
}
