//! Why a gateway call was refused: each reason has a stable code, an HTTP status and a message
//! in Chinese and English, and is recorded in the audit trail (Art.16, Ch.7).

use crate::text::Text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A signing header is missing: the call is not signed.
    Unsigned,
    UnsupportedSignatureMethod,
    BadNonce,
    /// The timestamp is not a number or lies more than five minutes from the server's clock.
    StaleTimestamp,
    UnknownApp,
    AppDisabled,
    /// The application has an address allow-list and the call came from elsewhere.
    AddressNotAllowed,
    BadSignature,
    /// The nonce was used before by the same application within the window.
    ReplayedNonce,
    BodyTooLarge,
    /// More calls in the last second than the application's rate allows.
    RateLimited,
    /// The application has used its calls for the district day.
    QuotaExceeded,
}

impl Refusal {
    /// The stable error code, also recorded as the audit entry's reason.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Unsigned => "gateway_unsigned",
            Refusal::UnsupportedSignatureMethod => "gateway_unsupported_signature_method",
            Refusal::BadNonce => "gateway_bad_nonce",
            Refusal::StaleTimestamp => "gateway_stale_timestamp",
            Refusal::UnknownApp => "gateway_unknown_app",
            Refusal::AppDisabled => "gateway_app_disabled",
            Refusal::AddressNotAllowed => "gateway_address_not_allowed",
            Refusal::BadSignature => "gateway_bad_signature",
            Refusal::ReplayedNonce => "gateway_replayed_nonce",
            Refusal::BodyTooLarge => "gateway_body_too_large",
            Refusal::RateLimited => "gateway_rate_limited",
            Refusal::QuotaExceeded => "gateway_quota_exceeded",
        }
    }

    /// The HTTP status the web layer answers with.
    pub fn status(self) -> u16 {
        match self {
            Refusal::UnsupportedSignatureMethod | Refusal::BadNonce => 400,
            Refusal::AppDisabled | Refusal::AddressNotAllowed => 403,
            Refusal::BodyTooLarge => 413,
            Refusal::RateLimited | Refusal::QuotaExceeded => 429,
            Refusal::Unsigned
            | Refusal::StaleTimestamp
            | Refusal::UnknownApp
            | Refusal::BadSignature
            | Refusal::ReplayedNonce => 401,
        }
    }

    /// What went wrong and what to do, for the caller's developers.
    pub fn message(self) -> Text {
        let (zh, en) = match self {
            Refusal::Unsigned => (
                "调用未签名：须提供 X-Pubdata-App-Key、X-Pubdata-Timestamp、X-Pubdata-Nonce 与 X-Pubdata-Signature 请求头",
                "the call is not signed: send X-Pubdata-App-Key, X-Pubdata-Timestamp, X-Pubdata-Nonce and X-Pubdata-Signature",
            ),
            Refusal::UnsupportedSignatureMethod => (
                "X-Pubdata-Signature-Method 只能是 HMAC-SHA256 或 HMAC-SM3",
                "X-Pubdata-Signature-Method must be HMAC-SHA256 or HMAC-SM3",
            ),
            Refusal::BadNonce => (
                "X-Pubdata-Nonce 应为 16 到 64 位字母、数字、- 或 _，每次调用不同",
                "X-Pubdata-Nonce must be 16 to 64 letters, digits, - or _, different for every call",
            ),
            Refusal::StaleTimestamp => (
                "X-Pubdata-Timestamp 应为 Unix 秒数，且与服务器时间相差不超过 300 秒：请校准系统时钟",
                "X-Pubdata-Timestamp must be unix seconds within 300 s of the server's clock: check the system clock",
            ),
            Refusal::UnknownApp => ("应用标识（App Key）不存在", "no client application has this app key"),
            Refusal::AppDisabled => (
                "该接入应用已停用，请联系本单位数据专员",
                "this client application is disabled; ask your agency's data officer",
            ),
            Refusal::AddressNotAllowed => (
                "调用来源地址不在该应用的 IP 白名单内",
                "the call's source address is not on the application's IP allow-list",
            ),
            Refusal::BadSignature => (
                "签名不正确：请按规范构造待签字符串并使用有效的应用密钥",
                "bad signature: build the canonical string as documented and sign with a valid secret",
            ),
            Refusal::ReplayedNonce => (
                "该随机数（Nonce）已使用过，疑似重放，调用被拒绝",
                "this nonce was used before: the call looks like a replay and is refused",
            ),
            Refusal::BodyTooLarge => ("请求体超过 256 KiB", "the request body exceeds 256 KiB"),
            Refusal::RateLimited => (
                "调用过于频繁，超过该应用的每秒调用次数：请按 Retry-After 指示的秒数后重试",
                "too many calls: the application's calls per second are exceeded; retry after the seconds Retry-After gives",
            ),
            Refusal::QuotaExceeded => (
                "该应用今日的调用配额已用完：配额于次日零时（北京时间）恢复，如需提高请联系主管部门",
                "the application's daily quota is used up: it starts afresh at midnight (UTC+8); ask the authority to raise it",
            ),
        };
        Text::new(zh.to_string(), en.to_string())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
