//! Reading a column header (Chinese name, English name or pinyin-initial code name) as context.

use crate::PiiKind;

/// What a column's header says about one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderHint {
    /// The header names this kind (身份证号, sfzh, mobile …).
    Supports,
    /// The header says nothing either way (字段3, code, value …).
    Neutral,
    /// The header names a different kind of personal information.
    OtherKind,
    /// The header names something that is not this kind (订单号 for identity numbers,
    /// 企业名称 for person names, 经营范围 for addresses …).
    Contradicts,
}

/// Keyword lists for one kind. `cjk` entries are matched as substrings of the header, `sub`
/// entries as substrings of the header lower-cased with separators removed (`contact_phone` →
/// `contactphone`), and `tok` entries as whole tokens (split at separators and lower→upper case
/// changes: `frXm` → `fr`, `xm`), which is how short pinyin initials such as `xm` are matched
/// without also matching `xmmc` (项目名称).
struct Keywords {
    cjk: &'static [&'static str],
    sub: &'static [&'static str],
    tok: &'static [&'static str],
}

const NONE: Keywords = Keywords { cjk: &[], sub: &[], tok: &[] };

/// Keywords that name the kind outright; they win over any contradicting word.
fn strong(kind: PiiKind) -> Keywords {
    match kind {
        PiiKind::IdCard => Keywords {
            cjk: &["身份证", "公民身份", "身份号", "证件号", "证件编号", "身份证件"],
            sub: &["idcard", "idnumber", "identity", "citizenid", "sfzh", "sfzjh", "zjhm"],
            tok: &["sfz", "zjh", "idno"],
        },
        PiiKind::Mobile => Keywords {
            cjk: &["手机", "移动电话", "联系电话", "联系方式", "电话"],
            sub: &["mobile", "phone", "cellphone"],
            tok: &["tel", "sjh", "sjhm", "lxdh", "cell", "lxfs"],
        },
        PiiKind::Landline => Keywords {
            cjk: &["固定电话", "座机", "办公电话", "联系电话", "电话", "传真"],
            sub: &["landline", "telephone", "phone", "fax"],
            tok: &["tel", "gddh", "lxdh", "bgdh"],
        },
        PiiKind::BankCard => Keywords {
            cjk: &["银行卡", "银行账", "银行帐", "卡号", "账号", "帐号", "账户", "帐户", "开户"],
            sub: &["bankcard", "cardno", "cardnumber", "bankaccount", "account", "acctno", "iban"],
            tok: &["yhk", "yhkh", "yhzh", "acct", "card"],
        },
        PiiKind::CreditCode => Keywords {
            cjk: &["统一社会信用代码", "信用代码", "社会信用", "组织机构代码", "机构代码", "营业执照号", "注册号"],
            sub: &["creditcode", "uscc", "socialcredit", "tyshxydm", "shxydm", "xydm", "uniscid"],
            tok: &[],
        },
        PiiKind::Email => Keywords {
            cjk: &["邮箱", "电子邮件", "电邮", "邮件", "联系方式"],
            sub: &["email", "mail"],
            tok: &["yx", "dzyx"],
        },
        PiiKind::LicensePlate => Keywords {
            cjk: &["车牌", "号牌", "车号", "牌照"],
            sub: &["plate", "chepai", "hphm", "cphm"],
            tok: &["cph"],
        },
        PiiKind::Passport => {
            Keywords {
                cjk: &["护照", "证件号", "证件编号"], sub: &["passport", "hzhm", "zjhm"], tok: &["hzh", "zjh"]
            }
        }
        PiiKind::PersonName => Keywords {
            cjk: &[
                "姓名",
                "名字",
                "法人",
                "法定代表",
                "代表人",
                "负责人",
                "联系人",
                "申请人",
                "经办人",
                "户主",
                "当事人",
                "投资人",
                "股东",
                "经营者",
                "业主",
                "患者",
                "签收人",
                "收件人",
                "发件人",
                "收货人",
                "填报人",
                "审核人",
                "监护人",
                "家长",
                "持卡人",
                "驾驶人",
                "驾驶员",
                "被保险人",
                "受益人",
                "法人代表",
                "员工",
                "职工",
            ],
            sub: &["fullname", "xingming", "person", "legalrep", "representative", "applicant", "contactname"],
            tok: &["xm", "fr", "frdb", "fddbr", "lxr", "fzr", "sqr", "jbr"],
        },
        PiiKind::Address => Keywords {
            cjk: &[
                "地址",
                "住址",
                "住所",
                "居住地",
                "户籍地",
                "所在地",
                "经营场所",
                "注册地",
                "门牌",
                "详细地址",
                "住处",
            ],
            sub: &["address", "addr", "residence", "domicile"],
            tok: &["dz", "zz", "jzd", "zcdz", "txdz", "lxdz", "xxdz"],
        },
        PiiKind::BirthDate => Keywords { cjk: &["出生", "生日"], sub: &["birth", "csrq", "csny"], tok: &["dob"] },
    }
}

/// Keywords that suggest the kind but give way to a contradicting word (`name` in
/// `company_name`, 位置 in 存放位置).
fn weak(kind: PiiKind) -> Keywords {
    match kind {
        PiiKind::PersonName => Keywords { cjk: &["人"], sub: &["name"], tok: &["contact", "owner"] },
        PiiKind::Address => Keywords { cjk: &["地点", "位置"], sub: &["location"], tok: &[] },
        PiiKind::Passport => Keywords { cjk: &["证件"], sub: &[], tok: &[] },
        PiiKind::IdCard => Keywords { cjk: &["证件"], sub: &[], tok: &["id"] },
        _ => NONE,
    }
}

/// Headers of identifier-like columns that are not personal identifiers.
const IDENTIFIER_NEGATIVE: Keywords = Keywords {
    cjk: &[
        "订单", "单号", "流水", "序号", "编号", "批次", "交易", "条码", "票号", "发票", "凭证", "合同", "工单", "快递",
        "运单", "物流", "设备", "商品", "产品", "版本", "金额", "数量", "价格", "库存",
    ],
    sub: &[
        "order",
        "serial",
        "txn",
        "trade",
        "transaction",
        "batch",
        "invoice",
        "barcode",
        "sku",
        "tracking",
        "device",
        "imei",
        "version",
        "amount",
        "price",
        "quantity",
        "uuid",
        "hash",
    ],
    tok: &["seq", "qty", "ddh", "lsh", "bh", "xh"],
};

/// Headers of name-like columns that do not hold people's names.
const NAME_NEGATIVE: Keywords = Keywords {
    cjk: &[
        "名称", "企业", "公司", "单位", "机构", "产品", "商品", "项目", "品名", "品种", "类型", "类别", "地名", "物品",
        "店名", "网点", "部门", "品牌", "范围", "描述", "说明", "备注", "内容", "地区", "省份", "城市", "行业",
    ],
    sub: &[
        "company",
        "corp",
        "enterprise",
        "org",
        "product",
        "goods",
        "item",
        "title",
        "type",
        "category",
        "shop",
        "store",
        "file",
        "host",
        "user",
        "nick",
        "brand",
        "project",
        "dept",
        "department",
        "city",
        "province",
        "district",
        "region",
        "scope",
        "description",
    ],
    tok: &["mc", "qymc", "dwmc", "xmmc", "cpmc", "spmc"],
};

/// Headers of text columns that are not addresses.
const ADDRESS_NEGATIVE: Keywords = Keywords {
    cjk: &["经营范围", "范围", "描述", "说明", "备注", "内容", "简介", "摘要", "意见", "名称", "类型", "原因"],
    sub: &["scope", "desc", "remark", "note", "memo", "content", "summary", "comment", "name", "title", "reason"],
    tok: &["bz", "jyfw", "ms"],
};

fn negative(kind: PiiKind) -> &'static Keywords {
    match kind {
        PiiKind::PersonName => &NAME_NEGATIVE,
        PiiKind::Address => &ADDRESS_NEGATIVE,
        PiiKind::BirthDate => &NONE,
        _ => &IDENTIFIER_NEGATIVE,
    }
}

/// A header prepared for keyword matching.
pub(crate) struct Header {
    lower: String,
    compact: String,
    tokens: Vec<String>,
}

impl Header {
    pub(crate) fn new(header: &str) -> Header {
        let lower = header.trim().to_lowercase();
        let compact = lower.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut tokens = Vec::new();
        let mut cur = String::new();
        let mut prev_lower = false;
        for c in header.chars() {
            if c.is_ascii_alphanumeric() {
                if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
                cur.push(c.to_ascii_lowercase());
            } else {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                prev_lower = false;
            }
        }
        if !cur.is_empty() {
            tokens.push(cur);
        }
        Header { lower, compact, tokens }
    }

    fn matches(&self, kw: &Keywords) -> bool {
        kw.cjk.iter().any(|k| self.lower.contains(k))
            || kw.sub.iter().any(|k| self.compact.contains(k))
            || kw.tok.iter().any(|k| self.tokens.iter().any(|t| t == k))
    }

    /// What the header says about each kind, in the order of [`PiiKind::ALL`].
    pub(crate) fn hints(&self) -> [HeaderHint; PiiKind::ALL.len()] {
        let mut support = [false; PiiKind::ALL.len()];
        let mut out = [HeaderHint::Neutral; PiiKind::ALL.len()];
        for kind in PiiKind::ALL {
            support[kind.index()] = self.matches(&strong(kind));
        }
        // Weak keywords count only when no kind is named outright (`contactPhone` is a phone).
        let any_strong = support.iter().any(|&s| s);
        for kind in PiiKind::ALL {
            let i = kind.index();
            if support[i] {
                continue;
            }
            if self.matches(negative(kind)) {
                out[i] = HeaderHint::Contradicts;
            } else if !any_strong && self.matches(&weak(kind)) {
                support[i] = true;
            }
        }
        let any_support = support.iter().any(|&s| s);
        for kind in PiiKind::ALL {
            let i = kind.index();
            if support[i] {
                out[i] = HeaderHint::Supports;
            } else if out[i] == HeaderHint::Neutral && any_support {
                out[i] = HeaderHint::OtherKind;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(header: &str, kind: PiiKind) -> HeaderHint {
        Header::new(header).hints()[kind.index()]
    }

    #[test]
    fn art_10_headers_in_chinese_english_and_pinyin() {
        use HeaderHint::*;
        assert_eq!(hint("身份证号", PiiKind::IdCard), Supports);
        assert_eq!(hint("SFZH", PiiKind::IdCard), Supports);
        assert_eq!(hint("id_card", PiiKind::IdCard), Supports);
        assert_eq!(hint("订单号", PiiKind::IdCard), Contradicts);
        assert_eq!(hint("order_no", PiiKind::IdCard), Contradicts);
        assert_eq!(hint("编号", PiiKind::BankCard), Contradicts);
        assert_eq!(hint("证件编号", PiiKind::IdCard), Supports);
        assert_eq!(hint("字段3", PiiKind::IdCard), Neutral);
        assert_eq!(hint("code", PiiKind::IdCard), Neutral);
        assert_eq!(hint("法人代表", PiiKind::PersonName), Supports);
        assert_eq!(hint("fr_xm", PiiKind::PersonName), Supports);
        assert_eq!(hint("frXm", PiiKind::PersonName), Supports);
        assert_eq!(hint("xmmc", PiiKind::PersonName), Contradicts);
        assert_eq!(hint("企业名称", PiiKind::PersonName), Contradicts);
        assert_eq!(hint("company_name", PiiKind::PersonName), Contradicts);
        assert_eq!(hint("name", PiiKind::PersonName), Supports);
        assert_eq!(hint("name_zh", PiiKind::PersonName), Supports);
        assert_eq!(hint("注册地址", PiiKind::Address), Supports);
        assert_eq!(hint("注册地址", PiiKind::PersonName), OtherKind);
        assert_eq!(hint("经营范围", PiiKind::Address), Contradicts);
        assert_eq!(hint("contactPhone", PiiKind::Mobile), Supports);
        assert_eq!(hint("contactPhone", PiiKind::PersonName), OtherKind);
        assert_eq!(hint("contact", PiiKind::PersonName), Supports);
        assert_eq!(hint("联系电话", PiiKind::Landline), Supports);
        assert_eq!(hint("出生日期", PiiKind::BirthDate), Supports);
        assert_eq!(hint("注册日期", PiiKind::BirthDate), Neutral);
    }
}
