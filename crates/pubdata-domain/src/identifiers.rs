//! Identifiers defined by national standards, as types whose constructors check them.

use crate::error::{Error, Result};
use serde::Serialize;

/// 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character alphabet, the last a
/// check character over the first 17.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

impl CreditCode {
    /// Checks the code with the GB 32100 validator of `pubdata-pii` (lower case is taken as upper).
    pub fn parse(field: &str, s: &str) -> Result<CreditCode> {
        let s = s.trim().to_ascii_uppercase();
        match pubdata_pii::validate::credit_code(&s) {
            Ok(()) => Ok(CreditCode(s)),
            Err(pubdata_pii::validate::CreditCodeError::CheckCharacter { expected }) => Err(Error::invalid(
                field,
                format!("统一社会信用代码校验位错误，应为 {expected}"),
                format!("the check character of the unified social credit code is wrong, expected {expected}"),
            )),
            Err(_) => Err(Error::invalid(
                field,
                "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）",
                "a unified social credit code has 18 digits or capital letters (no I, O, Z, S, V)",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_codes_and_names_the_expected_check_character() {
        // A published code (国家市场监督管理总局's example in GB 32100 explanations).
        assert!(CreditCode::parse("code", "91350100M000100Y43").is_ok());
        assert!(CreditCode::parse("code", "91350100m000100y43").is_ok());
        let err = CreditCode::parse("code", "91350100M000100Y44").unwrap_err();
        assert!(format!("{err}").contains("expected 3"), "{err}");
    }

    #[test]
    fn refuses_wrong_length_and_letters_outside_the_alphabet() {
        assert!(CreditCode::parse("code", "9135010").is_err());
        assert!(CreditCode::parse("code", "91350100I000100Y43").is_err());
    }
}
