//! Passwords: the policy a new password must meet, argon2id hashing (RFC 9106), and one-time
//! passwords for first start and administrator resets.

use crate::error::{Error, Result};
use crate::secret::random_bytes;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash as Phc};
use argon2::{Algorithm, Argon2, Params, Version};

/// A password that meets the policy. Never logged, never serialised.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the policy: 10 to 128 characters, at least three of lower case, upper case,
    /// digits and other characters, and not containing the username.
    pub fn parse(field: &str, candidate: &str, username: &str) -> Result<Password> {
        let n = candidate.chars().count();
        if !(10..=128).contains(&n) {
            return Err(Error::invalid(
                field,
                "密码长度应为 10 到 128 个字符",
                "a password must be 10 to 128 characters long",
            ));
        }
        let classes = [
            candidate.chars().any(|c| c.is_lowercase()),
            candidate.chars().any(|c| c.is_uppercase()),
            candidate.chars().any(|c| c.is_ascii_digit()),
            candidate.chars().any(|c| !c.is_alphanumeric()),
        ];
        if classes.iter().filter(|&&b| b).count() < 3 {
            return Err(Error::invalid(
                field,
                "密码应至少包含小写字母、大写字母、数字、其他字符中的三类",
                "a password needs at least three of: lower case, upper case, digits, other characters",
            ));
        }
        if !username.is_empty() && candidate.to_lowercase().contains(&username.to_lowercase()) {
            return Err(Error::invalid(field, "密码不能包含用户名", "a password must not contain the username"));
        }
        Ok(Password(candidate.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hashes with argon2id (19 MiB, 2 passes, 1 lane: the OWASP recommendation).
    pub fn hash(&self) -> PasswordHash {
        let salt = random_bytes(16);
        let hashed = hasher().hash_password_with_salt(self.0.as_bytes(), &salt);
        match hashed {
            Ok(phc) => PasswordHash(phc.to_string()),
            // Only reachable with invalid parameters, which are constants here.
            Err(e) => unreachable!("argon2 parameters are constant and valid: {e}"),
        }
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A stored password hash in PHC string format (`$argon2id$v=19$...`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

impl PasswordHash {
    /// Whether `candidate` matches. A malformed stored hash never matches.
    pub fn verify(&self, candidate: &str) -> bool {
        match Phc::new(&self.0) {
            Ok(parsed) => hasher().verify_password(candidate.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// A hash that matches nothing anyone can type, used to spend the same time on unknown
    /// usernames as on known ones.
    pub fn decoy() -> &'static PasswordHash {
        static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        DECOY.get_or_init(|| Password(crate::secret::random_token("decoy-")).hash())
    }
}

/// A random password for first start and resets: four groups of four characters from an
/// alphabet without look-alikes (0/O, 1/l/I), joined by dashes; it meets the policy.
pub fn generate_one_time_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    loop {
        let bytes = random_bytes(16);
        let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        let candidate = groups.join("-");
        if Password::parse("password", &candidate, "").is_ok()
            && candidate.chars().any(|c| c.is_ascii_digit())
            && candidate.chars().any(|c| c.is_ascii_uppercase())
            && candidate.chars().any(|c| c.is_ascii_lowercase())
        {
            return candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_simple_and_username_passwords() {
        assert!(Password::parse("password", "Short1!", "").is_err());
        assert!(Password::parse("password", "alllowercaseletters", "").is_err());
        assert!(Password::parse("password", "Zhangsan-2026x", "zhangsan").is_err());
        assert!(Password::parse("password", "Correct-Horse-7", "zhangsan").is_ok());
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let p = Password::parse("password", "Correct-Horse-7", "").unwrap();
        let h = p.hash();
        assert!(h.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", h.0);
        assert!(h.verify("Correct-Horse-7"));
        assert!(!h.verify("Correct-Horse-8"));
        assert_ne!(h, p.hash(), "salts differ");
        assert!(!PasswordHash("garbage".into()).verify("x"));
    }

    #[test]
    fn one_time_passwords_meet_the_policy() {
        for _ in 0..20 {
            let p = generate_one_time_password();
            assert_eq!(p.len(), 19);
            assert!(Password::parse("password", &p, "admin").is_ok(), "{p}");
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let p = Password::parse("password", "Correct-Horse-7", "").unwrap();
        assert!(!format!("{p:?}").contains("Horse"));
        assert!(!format!("{:?}", p.hash()).contains("argon2"));
    }
}
