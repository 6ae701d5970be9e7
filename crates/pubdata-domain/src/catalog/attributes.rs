//! The attributes Art.7 requires of every resource, as types that carry their own rules.

use serde::{Deserialize, Serialize};

/// Classification level (Zhejiang DB33/T 2351-2021): L1 not sensitive … L4 sensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    L1,
    L2,
    L3,
    L4,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::L1, Level::L2, Level::L3, Level::L4];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::L1 => "L1",
            Level::L2 => "L2",
            Level::L3 => "L3",
            Level::L4 => "L4",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::L1 => "L1 不敏感",
            Level::L2 => "L2 低敏感",
            Level::L3 => "L3 较敏感",
            Level::L4 => "L4 敏感",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Level::L1 => "L1 not sensitive",
            Level::L2 => "L2 low sensitivity",
            Level::L3 => "L3 sensitive",
            Level::L4 => "L4 highly sensitive",
        }
    }
}

/// 共享属性 (Art.14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShareAttribute {
    /// 无条件共享
    Unconditional,
    /// 受限共享: the reason it is restricted and the conditions a consumer must meet.
    Restricted { reason: String, conditions: String },
    /// 不共享: the law, regulation, rule or national provision that forbids sharing.
    NotShared { legal_basis: String },
}

impl ShareAttribute {
    pub fn code(&self) -> &'static str {
        match self {
            ShareAttribute::Unconditional => "unconditional",
            ShareAttribute::Restricted { .. } => "restricted",
            ShareAttribute::NotShared { .. } => "not_shared",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            ShareAttribute::Unconditional => "无条件共享",
            ShareAttribute::Restricted { .. } => "受限共享",
            ShareAttribute::NotShared { .. } => "不共享",
        }
    }

    pub fn label_en(&self) -> &'static str {
        match self {
            ShareAttribute::Unconditional => "Shared unconditionally",
            ShareAttribute::Restricted { .. } => "Shared with restrictions",
            ShareAttribute::NotShared { .. } => "Not shared",
        }
    }

    /// Whether other agencies can obtain it through the sharing channel at all.
    pub fn is_shareable(&self) -> bool {
        !matches!(self, ShareAttribute::NotShared { .. })
    }
}

/// Art.18's five reasons for which public data must not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProhibitionReason {
    /// （一）开放后危及或者可能危及国家安全
    NationalSecurity,
    /// （二）开放后可能损害公共利益
    PublicInterest,
    /// （三）涉及个人信息、商业秘密或者保密商务信息
    PersonalOrCommercial,
    /// （四）数据获取协议约定不得开放
    Agreement,
    /// （五）法律、法规规定不得开放
    Law,
}

impl ProhibitionReason {
    pub const ALL: [ProhibitionReason; 5] = [
        ProhibitionReason::NationalSecurity,
        ProhibitionReason::PublicInterest,
        ProhibitionReason::PersonalOrCommercial,
        ProhibitionReason::Agreement,
        ProhibitionReason::Law,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProhibitionReason::NationalSecurity => "national_security",
            ProhibitionReason::PublicInterest => "public_interest",
            ProhibitionReason::PersonalOrCommercial => "personal_or_commercial",
            ProhibitionReason::Agreement => "agreement",
            ProhibitionReason::Law => "law",
        }
    }

    pub fn parse(s: &str) -> Option<ProhibitionReason> {
        ProhibitionReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ProhibitionReason::NationalSecurity => "开放后危及或者可能危及国家安全",
            ProhibitionReason::PublicInterest => "开放后可能损害公共利益",
            ProhibitionReason::PersonalOrCommercial => "涉及个人信息、商业秘密或者保密商务信息",
            ProhibitionReason::Agreement => "数据获取协议约定不得开放",
            ProhibitionReason::Law => "法律、法规规定不得开放",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ProhibitionReason::NationalSecurity => "opening endangers or may endanger national security",
            ProhibitionReason::PublicInterest => "opening may harm the public interest",
            ProhibitionReason::PersonalOrCommercial => {
                "involves personal information, trade secrets or confidential business information"
            }
            ProhibitionReason::Agreement => "the agreement under which the data was obtained forbids opening",
            ProhibitionReason::Law => "laws or regulations forbid opening",
        }
    }
}

/// 开放属性 (Art.17-18).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpenAttribute {
    /// 无条件开放
    Unconditional,
    /// 受限开放: the conditions a public user must meet.
    Restricted { conditions: String },
    /// 禁止开放, for one of Art.18's reasons.
    Prohibited { reason: ProhibitionReason },
}

impl OpenAttribute {
    pub fn code(&self) -> &'static str {
        match self {
            OpenAttribute::Unconditional => "unconditional",
            OpenAttribute::Restricted { .. } => "restricted",
            OpenAttribute::Prohibited { .. } => "prohibited",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            OpenAttribute::Unconditional => "无条件开放",
            OpenAttribute::Restricted { .. } => "受限开放",
            OpenAttribute::Prohibited { .. } => "禁止开放",
        }
    }

    pub fn label_en(&self) -> &'static str {
        match self {
            OpenAttribute::Unconditional => "Open unconditionally",
            OpenAttribute::Restricted { .. } => "Open with restrictions",
            OpenAttribute::Prohibited { .. } => "Not to be opened",
        }
    }
}

/// An enum of stable codes with Chinese and English labels (`as_str`, `parse` by code or
/// Chinese label, `label_zh`, `label_en`, `ALL`).
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal, $en:literal;)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s || v.label_zh() == s)
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)* }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)* }
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// 提供方式
    Delivery {
        Api => "api", "接口调用", "API";
        Bulk => "bulk", "批量数据", "Bulk data";
        File => "file", "文件", "File";
    }
}

code_enum! {
    /// 更新周期
    UpdateCycle {
        Realtime => "realtime", "实时", "Real-time";
        Daily => "daily", "每日", "Daily";
        Weekly => "weekly", "每周", "Weekly";
        Monthly => "monthly", "每月", "Monthly";
        Quarterly => "quarterly", "每季度", "Quarterly";
        HalfYearly => "half_yearly", "每半年", "Half-yearly";
        Yearly => "yearly", "每年", "Yearly";
        Irregular => "irregular", "不定期", "Irregular";
    }
}

code_enum! {
    /// 存储格式
    StorageFormat {
        DatabaseTable => "database_table", "数据库表", "Database table";
        Spreadsheet => "spreadsheet", "电子表格", "Spreadsheet";
        File => "file", "文件", "File";
        Image => "image", "图像", "Image";
        AudioVideo => "audio_video", "音视频", "Audio / video";
        Other => "other", "其他", "Other";
    }
}

/// 共享期限: how long a grant of this resource may last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShareTerm {
    /// 长期
    LongTerm,
    /// A number of months, 1 to 120.
    Months { months: u32 },
}

impl ShareTerm {
    pub fn label_zh(&self) -> String {
        match self {
            ShareTerm::LongTerm => "长期".into(),
            ShareTerm::Months { months } => format!("{months} 个月"),
        }
    }

    pub fn label_en(&self) -> String {
        match self {
            ShareTerm::LongTerm => "long-term".into(),
            ShareTerm::Months { months } => format!("{months} months"),
        }
    }

    /// Parses `long_term`, `长期`, or a number of months (`12`, `12个月`).
    pub fn parse(s: &str) -> Option<ShareTerm> {
        let s = s.trim();
        if s == "long_term" || s == "长期" {
            return Some(ShareTerm::LongTerm);
        }
        let digits = s.trim_end_matches("个月").trim_end_matches("months").trim();
        digits.parse::<u32>().ok().filter(|m| (1..=120).contains(m)).map(|months| ShareTerm::Months { months })
    }

    pub fn code(&self) -> String {
        match self {
            ShareTerm::LongTerm => "long_term".into(),
            ShareTerm::Months { months } => months.to_string(),
        }
    }
}

/// A subject category of the district catalog (the "field" dimension of the Zhejiang guide,
/// as the provincial open-data portal groups resources).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Category {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

pub const CATEGORIES: &[Category] = &[
    Category { code: "economy", zh: "经济建设", en: "Economy" },
    Category { code: "credit", zh: "信用服务", en: "Credit" },
    Category { code: "finance_tax", zh: "财税金融", en: "Finance and tax" },
    Category { code: "market", zh: "市场监管", en: "Market regulation" },
    Category { code: "commerce", zh: "商贸流通", en: "Commerce" },
    Category { code: "industry", zh: "工业农业", en: "Industry and agriculture" },
    Category { code: "transport", zh: "交通运输", en: "Transport" },
    Category { code: "urban", zh: "城建住房", en: "Urban construction and housing" },
    Category { code: "resources", zh: "资源能源", en: "Resources and energy" },
    Category { code: "environment", zh: "生态环境", en: "Environment" },
    Category { code: "education", zh: "教育文化", en: "Education and culture" },
    Category { code: "science", zh: "科技创新", en: "Science and technology" },
    Category { code: "health", zh: "卫生健康", en: "Health" },
    Category { code: "social_security", zh: "社会保障", en: "Social security and employment" },
    Category { code: "civil_affairs", zh: "民生服务", en: "Civil affairs and services" },
    Category { code: "public_safety", zh: "公共安全", en: "Public safety" },
    Category { code: "law", zh: "法律服务", en: "Legal services" },
    Category { code: "organisations", zh: "机构团体", en: "Organisations" },
    Category { code: "geospatial", zh: "地理空间", en: "Geospatial" },
    Category { code: "government", zh: "综合政务", en: "General government affairs" },
];

impl Category {
    pub fn find(code: &str) -> Option<&'static Category> {
        let code = code.trim();
        CATEGORIES.iter().find(|c| c.code == code || c.zh == code)
    }
}
