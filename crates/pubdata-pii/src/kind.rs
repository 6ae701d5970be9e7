//! Kinds of personal and identifying information, with their proposed classification levels.

use std::fmt;

/// A kind of personal or identifying information that a column can hold.
///
/// The proposed levels follow the four levels of the Zhejiang public data classification guide
/// (L1 public, L2 low sensitivity, L3 medium, L4 high); see the crate documentation for the
/// reasoning behind each mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// 居民身份证号 (GB 11643-1999).
    IdCard,
    /// 手机号.
    Mobile,
    /// 固定电话.
    Landline,
    /// 银行卡号.
    BankCard,
    /// 统一社会信用代码 (GB 32100-2015); identifies organisations, not people.
    CreditCode,
    /// 电子邮箱.
    Email,
    /// 车牌号.
    LicensePlate,
    /// 护照号.
    Passport,
    /// 姓名.
    PersonName,
    /// 地址.
    Address,
    /// 出生日期.
    BirthDate,
}

impl PiiKind {
    /// Every kind, in a fixed order (also the order of [`PiiKind::index`]).
    pub const ALL: [PiiKind; 11] = [
        PiiKind::IdCard,
        PiiKind::Mobile,
        PiiKind::Landline,
        PiiKind::BankCard,
        PiiKind::CreditCode,
        PiiKind::Email,
        PiiKind::LicensePlate,
        PiiKind::Passport,
        PiiKind::PersonName,
        PiiKind::Address,
        PiiKind::BirthDate,
    ];

    /// Position of the kind in [`PiiKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Stable machine name, identical to the serde form (e.g. `"id_card"`).
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::IdCard => "id_card",
            PiiKind::Mobile => "mobile",
            PiiKind::Landline => "landline",
            PiiKind::BankCard => "bank_card",
            PiiKind::CreditCode => "credit_code",
            PiiKind::Email => "email",
            PiiKind::LicensePlate => "license_plate",
            PiiKind::Passport => "passport",
            PiiKind::PersonName => "person_name",
            PiiKind::Address => "address",
            PiiKind::BirthDate => "birth_date",
        }
    }

    /// Parses the machine name produced by [`PiiKind::as_str`].
    pub fn parse(s: &str) -> Option<PiiKind> {
        PiiKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            PiiKind::IdCard => "身份证号",
            PiiKind::Mobile => "手机号",
            PiiKind::Landline => "固定电话",
            PiiKind::BankCard => "银行卡号",
            PiiKind::CreditCode => "统一社会信用代码",
            PiiKind::Email => "电子邮箱",
            PiiKind::LicensePlate => "车牌号",
            PiiKind::Passport => "护照号",
            PiiKind::PersonName => "姓名",
            PiiKind::Address => "地址",
            PiiKind::BirthDate => "出生日期",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            PiiKind::IdCard => "resident identity number",
            PiiKind::Mobile => "mobile number",
            PiiKind::Landline => "landline number",
            PiiKind::BankCard => "bank card number",
            PiiKind::CreditCode => "unified social credit code",
            PiiKind::Email => "e-mail address",
            PiiKind::LicensePlate => "licence plate",
            PiiKind::Passport => "passport number",
            PiiKind::PersonName => "person's name",
            PiiKind::Address => "address",
            PiiKind::BirthDate => "birth date",
        }
    }

    /// Proposed classification level (1..=4) of a data item holding this kind of value on its
    /// own. See the crate documentation for the mapping and its reasons.
    pub fn proposed_level(self) -> u8 {
        match self {
            PiiKind::BankCard => 4,
            PiiKind::IdCard | PiiKind::Passport | PiiKind::Mobile => 3,
            PiiKind::Landline
            | PiiKind::Email
            | PiiKind::LicensePlate
            | PiiKind::PersonName
            | PiiKind::Address
            | PiiKind::BirthDate => 2,
            PiiKind::CreditCode => 1,
        }
    }

    /// Whether the kind is personal information about a natural person (PIPL Art. 4). Unified
    /// social credit codes identify organisations and are published in the enterprise credit
    /// registries, so they are not.
    pub fn is_personal(self) -> bool {
        !matches!(self, PiiKind::CreditCode)
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art_10_kinds_have_labels_levels_and_stable_names() {
        for (i, k) in PiiKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
            assert!((1..=4).contains(&k.proposed_level()));
            assert!(!k.label_zh().is_empty() && !k.label_en().is_empty());
            assert_eq!(PiiKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(PiiKind::BankCard.proposed_level(), 4);
        assert_eq!(PiiKind::IdCard.proposed_level(), 3);
        assert_eq!(PiiKind::CreditCode.proposed_level(), 1);
        assert!(!PiiKind::CreditCode.is_personal());
        assert!(PiiKind::PersonName.is_personal());
    }
}
