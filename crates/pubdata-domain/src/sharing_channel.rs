//! The sharing channel's data calls (Art.15-16): what a call may ask through a grant, how the
//! values it gets back are masked, how its query is paged, and what its audit record keeps.
//!
//! A call names its grant; [`check_grant`] refuses it unless the grant is the calling agency's,
//! active, for this resource and for API delivery, and unless every item it asks for is granted
//! (Art.16: shared data serves the approved scenario and nothing more). Filters are parsed into
//! [`Filter`]s over granted items only, bounded in number and size ([`parse_query`]); values are
//! never part of SQL text. Items at level L3/L4 are masked ([`deliver_value`]) unless the grant
//! approved their raw values. Paging tokens carry the last row id and are bound by an HMAC to
//! the grant and the filters ([`PagingKey`]): a token altered or moved to another query is
//! refused. Audit records keep parameter names and operators in clear, values as SM3 digests
//! ([`hashed_value`]).

use crate::aggregation::{IdentifierKind, mask};
use crate::catalog::{DataItem, Delivery, Level};
use crate::client_app::SharingKey;
use crate::ids::OrgId;
use crate::sharing::{GrantState, RowScope};
use crate::text::Text;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac, SimpleHmac};
use sha2::Sha256;
use sm3::{Digest as _, Sm3};

/// The longest filter or key value, in characters.
pub const MAX_VALUE_CHARS: usize = crate::sharing::MAX_FILTER_VALUE;
/// The most filters one query may carry.
pub const MAX_FILTERS: usize = 10;
/// The most values one in-list may carry.
pub const MAX_IN_LIST: usize = 100;
/// The most rows one page may hold, and the page size when the call names none.
pub const MAX_LIMIT: i64 = 1000;
pub const DEFAULT_LIMIT: i64 = 100;

/// Why a data call was refused: a stable code (also the audit record's reason), an HTTP status
/// and a message in Chinese and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRefusal {
    pub code: &'static str,
    pub status: u16,
    pub message: Text,
}

pub(crate) fn refusal(code: &'static str, status: u16, zh: impl Into<String>, en: impl Into<String>) -> CallRefusal {
    CallRefusal { code, status, message: Text::new(zh.into(), en.into()) }
}

impl CallRefusal {
    pub fn grant_missing() -> CallRefusal {
        refusal(
            "gateway_grant_missing",
            400,
            "调用须通过参数 grant 或请求头 X-Pubdata-Grant 指明所用的授权编号（两者都给时须一致）",
            "name the grant the call uses, in the grant parameter or the X-Pubdata-Grant header (the same, if both)",
        )
    }

    /// Unknown ids and other agencies' grants get the same answer: a grant's existence is not
    /// disclosed to agencies it does not belong to.
    pub fn grant_not_yours() -> CallRefusal {
        refusal(
            "gateway_grant_not_yours",
            403,
            "该授权不存在或不属于本应用所属单位",
            "this grant does not exist or does not belong to the calling application's agency",
        )
    }

    pub fn not_found() -> CallRefusal {
        refusal("gateway_record_not_found", 404, "没有与该键值对应的记录", "no record has this key")
    }
}

/// A grant as the channel checks it.
#[derive(Clone, Debug)]
pub struct GrantTerms {
    pub id: i64,
    pub consumer_org: OrgId,
    pub resource_id: i64,
    /// The effective state (expiry applied).
    pub state: GrantState,
    pub delivery: Delivery,
    pub items: Vec<String>,
    pub raw_items: Vec<String>,
    pub row_scope: RowScope,
    pub scenario: String,
    /// The scenario's category, as its code (e.g. `social_assistance`).
    pub scenario_category: String,
}

/// Whether `caller_org` may read `resource_id` through `grant` now (Art.15-16).
pub fn check_grant(grant: &GrantTerms, caller_org: OrgId, resource_id: i64) -> Result<(), CallRefusal> {
    check_holder(grant, caller_org, resource_id)?;
    if grant.delivery != Delivery::Api {
        return Err(refusal(
            "gateway_grant_not_api",
            403,
            "该授权的提供方式不是接口调用",
            "the grant's delivery is not API calls",
        ));
    }
    Ok(())
}

/// The parameter in which a call may state the scenario it serves: the grant's scenario as
/// written on it, or its category's code. The signature covers it like any parameter.
pub const SCENARIO_PARAM: &str = "scenario";

/// Art.16: shared data serves the scenario it was granted for. A call that states its scenario
/// (in its parameters, [`SCENARIO_PARAM`]) must state its grant's; a call that states none is
/// taken to serve the grant's.
pub fn check_scenario(grant: &GrantTerms, params: &[(String, String)]) -> Result<(), CallRefusal> {
    let stated = params.iter().find(|(n, _)| n == SCENARIO_PARAM).map(|(_, v)| v.trim());
    match stated.filter(|d| !d.is_empty()) {
        Some(d) if d != grant.scenario.trim() && d != grant.scenario_category => Err(refusal(
            "gateway_wrong_scenario",
            403,
            format!("调用所述的应用场景与授权不符：该授权仅用于「{}」", grant.scenario),
            format!("the scenario the call states is not its grant's: the grant serves {:?} only", grant.scenario),
        )),
        _ => Ok(()),
    }
}

/// Whether `grant` is `caller_org`'s, active now and for `resource_id`, whatever its delivery.
pub fn check_holder(grant: &GrantTerms, caller_org: OrgId, resource_id: i64) -> Result<(), CallRefusal> {
    if grant.consumer_org != caller_org {
        return Err(CallRefusal::grant_not_yours());
    }
    let (code, zh, en) = match grant.state {
        GrantState::Active => ("", "", ""),
        GrantState::Suspended => ("gateway_grant_suspended", "该授权已暂停", "the grant is suspended"),
        GrantState::Revoked => ("gateway_grant_revoked", "该授权已撤销", "the grant is revoked"),
        GrantState::Expired => ("gateway_grant_expired", "该授权已到期", "the grant has expired"),
    };
    if !code.is_empty() {
        return Err(refusal(code, 403, format!("{zh}，不能调用数据"), format!("{en}: no data can be called")));
    }
    if grant.resource_id != resource_id {
        return Err(refusal(
            "gateway_grant_other_resource",
            403,
            format!("授权 {} 针对的是资源 {}，不是资源 {resource_id}", grant.id, grant.resource_id),
            format!("grant {} is for resource {}, not resource {resource_id}", grant.id, grant.resource_id),
        ));
    }
    Ok(())
}

/// Refuses `item` unless the grant covers it.
pub fn check_item(grant: &GrantTerms, item: &str) -> Result<(), CallRefusal> {
    if grant.items.iter().any(|i| i == item) {
        return Ok(());
    }
    let shown: String = item.chars().take(64).collect();
    Err(refusal(
        "gateway_item_not_granted",
        403,
        format!("数据项「{shown}」不在授权范围内（Art.16：只能使用授权的数据项）"),
        format!("the item {shown:?} is not in the grant (Art.16: only granted items may be used)"),
    ))
}

/// How a value of one kind is masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskKind {
    /// 身份证号: the first 6 (region) and the last 4 characters stay.
    IdCard,
    /// 手机号码: the first 3 and the last 4 digits stay.
    Mobile,
    /// 统一社会信用代码: the first 8 (registering body, type and region) stay.
    CreditCode,
    /// 姓名: the surname (the first character) stays.
    PersonName,
    /// Anything else: the first and the last character stay.
    Other,
}

impl MaskKind {
    /// The kind of an item's values, judged by its name and code.
    pub fn of(item: &DataItem) -> MaskKind {
        match IdentifierKind::of(item) {
            Some(IdentifierKind::IdCard) => MaskKind::IdCard,
            Some(IdentifierKind::Mobile) => MaskKind::Mobile,
            Some(IdentifierKind::CreditCode) => MaskKind::CreditCode,
            None if item.name.contains("姓名") || ["xm", "person_name", "full_name"].contains(&item.code.as_str()) => {
                MaskKind::PersonName
            }
            None => MaskKind::Other,
        }
    }

    /// `value` masked by this kind's rule. Every rule hides at least one character.
    pub fn apply(self, value: &str) -> String {
        let chars: Vec<char> = value.chars().collect();
        match self {
            MaskKind::IdCard => mask(Some(IdentifierKind::IdCard), value),
            MaskKind::Mobile => mask(Some(IdentifierKind::Mobile), value),
            MaskKind::CreditCode if chars.len() > 8 => keep(&chars, 8, 0),
            MaskKind::PersonName if chars.len() > 1 => keep(&chars, 1, 0),
            MaskKind::PersonName | MaskKind::CreditCode => "*".repeat(chars.len().max(1)),
            MaskKind::Other => mask(None, value),
        }
    }
}

fn keep(chars: &[char], head: usize, tail: usize) -> String {
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Whether the channel masks `item`'s values for `grant`: items at L3/L4, unless the grant
/// approved their raw values.
pub fn masks(grant: &GrantTerms, item: &DataItem) -> bool {
    matches!(item.level, Level::L3 | Level::L4) && !grant.raw_items.contains(&item.code)
}

/// A stored value as the call receives it.
pub fn deliver_value(grant: &GrantTerms, item: &DataItem, value: &str) -> Option<String> {
    masks(grant, item).then(|| MaskKind::of(item).apply(value))
}

/// A value as the audit record keeps it: its SM3 digest, never the value (Art.16, Art.27).
pub fn hashed_value(value: &str) -> String {
    format!("sm3:{}", hex::encode(Sm3::digest(value.as_bytes())))
}

/// A comparison a filtered query makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gte,
    Lte,
    In,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Gte => "gte",
            Op::Lte => "lte",
            Op::In => "in",
        }
    }
}

/// One condition of a filtered query, on a granted item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub item: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A filtered query as parsed from the call's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub filters: Vec<Filter>,
    pub limit: i64,
    /// The paging token, as sent.
    pub after: Option<String>,
}

impl Query {
    /// The filters in a canonical form, which paging tokens are bound to.
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> =
            self.filters.iter().map(|f| format!("{}.{}={}", f.item, f.op.as_str(), f.values.join("\u{1f}"))).collect();
        parts.sort();
        parts.join("\u{1e}")
    }
}

fn bad_parameter(name: &str, zh: &str, en: &str) -> CallRefusal {
    let shown: String = name.chars().take(64).collect();
    refusal(
        "gateway_bad_parameter",
        400,
        format!("参数「{shown}」无效：{zh}"),
        format!("the parameter {shown:?} is invalid: {en}"),
    )
}

fn check_value(name: &str, value: &str) -> Result<(), CallRefusal> {
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(refusal(
            "gateway_value_too_long",
            400,
            format!("参数「{}」的值超过 {MAX_VALUE_CHARS} 个字符", name.chars().take(64).collect::<String>()),
            format!(
                "the value of {:?} is longer than {MAX_VALUE_CHARS} characters",
                name.chars().take(64).collect::<String>()
            ),
        ));
    }
    Ok(())
}

/// The query a call's parameters ask for (`grant` is taken out before): `item=v`,
/// `item.gte=v`, `item.lte=v`, `item.in=a,b`, `limit=n`, `after=<token>`. Only granted items
/// may be filtered on, and items the grant masks only by equality or in-list: a range over
/// them would let a caller narrow down the raw values the masking hides. `items` are the
/// resource's items.
pub fn parse_query(grant: &GrantTerms, items: &[DataItem], params: &[(String, String)]) -> Result<Query, CallRefusal> {
    let mut query = Query { filters: Vec::new(), limit: DEFAULT_LIMIT, after: None };
    for (name, value) in params {
        match name.as_str() {
            "grant" | SCENARIO_PARAM => {}
            "limit" => {
                query.limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    refusal(
                        "gateway_bad_limit",
                        400,
                        format!("limit 应为 1 到 {MAX_LIMIT} 之间的整数"),
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?
            }
            "after" => query.after = Some(value.clone()),
            _ => query.filters.push(parse_filter(grant, items, name, value)?),
        }
    }
    if query.filters.len() > MAX_FILTERS {
        return Err(refusal(
            "gateway_too_many_filters",
            400,
            format!("一次查询最多 {MAX_FILTERS} 个过滤条件"),
            format!("a query takes at most {MAX_FILTERS} filters"),
        ));
    }
    Ok(query)
}

fn parse_filter(grant: &GrantTerms, items: &[DataItem], name: &str, value: &str) -> Result<Filter, CallRefusal> {
    let (item, op) = match name.rsplit_once('.') {
        None => (name, Op::Eq),
        Some((item, "gte")) => (item, Op::Gte),
        Some((item, "lte")) => (item, Op::Lte),
        Some((item, "in")) => (item, Op::In),
        Some(_) => {
            return Err(bad_parameter(name, "运算只能是 =、.gte、.lte 或 .in", "operators are =, .gte, .lte and .in"));
        }
    };
    check_item(grant, item)?;
    let masked = items.iter().any(|i| i.code == item && masks(grant, i));
    if masked && matches!(op, Op::Gte | Op::Lte) {
        return Err(refusal(
            "gateway_range_on_masked_item",
            403,
            format!("数据项「{item}」按授权脱敏返回，只能按等值或 in 列表查询，不能按范围查询"),
            format!("{item:?} is masked under this grant: filter it by equality or in-list, not by range"),
        ));
    }
    let values: Vec<String> =
        if op == Op::In { value.split(',').map(str::to_string).collect() } else { vec![value.to_string()] };
    if values.len() > MAX_IN_LIST {
        return Err(refusal(
            "gateway_in_list_too_long",
            400,
            format!("in 列表最多 {MAX_IN_LIST} 个值"),
            format!("an in-list takes at most {MAX_IN_LIST} values"),
        ));
    }
    for v in &values {
        check_value(name, v)?;
    }
    Ok(Filter { item: item.to_string(), op, values })
}

/// The key that signs paging tokens, derived from the sharing key so that every instance
/// sharing the key accepts the others' tokens.
pub struct PagingKey([u8; 32]);

type HmacSha256 = SimpleHmac<Sha256>;

impl PagingKey {
    pub fn derive(key: &SharingKey) -> PagingKey {
        PagingKey(digest(key.to_hex().as_bytes(), b"pubdata/sharing-channel/paging-token/v1"))
    }

    fn mac(&self, grant: i64, query: &Query, row_id: i64) -> [u8; 32] {
        let message = format!("{grant}\u{1d}{}\u{1d}{row_id}", query.canonical());
        digest(&self.0, message.as_bytes())
    }

    /// The token for the page after `row_id`: opaque to callers (the row id and its MAC, in
    /// URL-safe base64).
    pub fn token(&self, grant: i64, query: &Query, row_id: i64) -> String {
        let mut bytes = row_id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(grant, query, row_id));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The row id a token carries, if it was issued for this grant and these filters.
    pub fn open(&self, grant: i64, query: &Query, token: &str) -> Result<i64, CallRefusal> {
        let refused = || {
            refusal(
                "gateway_bad_paging_token",
                400,
                "翻页标记无效：请使用上一页返回的 next 原样调用，且过滤条件不变",
                "the paging token is invalid: send the previous page's next unchanged, with the same filters",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| refused())?;
        if bytes.len() != 40 {
            return Err(refused());
        }
        let (row, mac) = bytes.split_at(8);
        let row_id = i64::from_be_bytes(<[u8; 8]>::try_from(row).map_err(|_| refused())?);
        let mut check = <HmacSha256 as KeyInit>::new_from_slice(&self.0).map_err(|_| refused())?;
        check.update(format!("{grant}\u{1d}{}\u{1d}{row_id}", query.canonical()).as_bytes());
        // Constant-time comparison.
        check.verify_slice(mac).map_err(|_| refused())?;
        Ok(row_id)
    }
}

fn digest(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(key) {
        mac.update(message);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The values a keyed lookup's path segment names, one per key item: the segment itself for a
/// single key, comma-separated values in key order for a composite key.
pub fn key_values(key: &[String], segment: &str) -> Result<Vec<String>, CallRefusal> {
    if key.is_empty() {
        return Err(refusal(
            "gateway_no_unique_key",
            409,
            "该资源未声明唯一键，不能按键查询；请使用过滤查询",
            "the resource declares no unique key, so it cannot be looked up by key; use a filtered query",
        ));
    }
    let values: Vec<String> =
        if key.len() == 1 { vec![segment.to_string()] } else { segment.split(',').map(str::to_string).collect() };
    if values.len() != key.len() {
        return Err(bad_parameter(
            "key",
            &format!("复合键应按 {} 的顺序以逗号分隔", key.join(",")),
            &format!("a composite key is comma-separated values of {} in that order", key.join(",")),
        ));
    }
    for v in &values {
        check_value("key", v)?;
    }
    Ok(values)
}

/// Refuses listing through a grant scoped to keyed lookups (Art.16).
pub fn check_listing(grant: &GrantTerms) -> Result<(), CallRefusal> {
    if grant.row_scope.keyed_only {
        return Err(refusal(
            "gateway_listing_not_granted",
            403,
            "该授权仅允许按键查询，不允许列表查询",
            "the grant allows keyed lookups only, not listing",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::resource::tests::item;

    fn items() -> Vec<DataItem> {
        vec![
            item("id_number", "身份证号", Level::L4),
            item("name", "姓名", Level::L3),
            item("mobile", "手机号码", Level::L3),
        ]
    }

    fn grant() -> GrantTerms {
        GrantTerms {
            id: 7,
            consumer_org: OrgId(3),
            resource_id: 11,
            state: GrantState::Active,
            delivery: Delivery::Api,
            items: vec!["id_number".into(), "name".into(), "mobile".into()],
            raw_items: vec!["mobile".into()],
            row_scope: RowScope::default(),
            scenario: "核查".into(),
            scenario_category: "social_assistance".into(),
        }
    }

    #[test]
    fn art_16_a_call_stating_another_scenario_is_refused() {
        let g = grant();
        let stating =
            |s: &str| vec![("grant".to_string(), "7".to_string()), (SCENARIO_PARAM.to_string(), s.to_string())];
        assert_eq!(check_scenario(&g, &[("grant".to_string(), "7".to_string())]), Ok(()));
        for stated in ["", "核查", " 核查 ", "social_assistance"] {
            assert_eq!(check_scenario(&g, &stating(stated)), Ok(()), "{stated:?}");
        }
        for stated in ["招商引资", "tax_collection", "核查2"] {
            assert_eq!(check_scenario(&g, &stating(stated)).unwrap_err().code, "gateway_wrong_scenario", "{stated}");
        }
        let q = parse_query(&g, &items(), &[("scenario".to_string(), "核查".to_string())]).unwrap();
        assert!(q.filters.is_empty(), "the stated scenario is no filter");
    }

    #[test]
    fn l3_and_l4_items_are_masked_by_kind_unless_raw_was_approved() {
        let g = grant();
        let id = item("id_number", "身份证号", Level::L4);
        assert_eq!(deliver_value(&g, &id, "33020319800101123X").as_deref(), Some("330203********123X"));
        assert_eq!(deliver_value(&g, &item("name", "姓名", Level::L3), "欧阳修").as_deref(), Some("欧**"));
        assert_eq!(deliver_value(&g, &item("mobile", "手机号码", Level::L3), "13800001111"), None, "raw approved");
        assert_eq!(MaskKind::Mobile.apply("13800001111"), "138****1111");
        assert_eq!(MaskKind::CreditCode.apply("91330212000000001X"), "91330212**********");
        assert_eq!(deliver_value(&g, &item("district", "所属区县", Level::L2), "鄞州区"), None);
    }

    #[test]
    fn paging_tokens_refuse_tampering_and_other_queries() {
        let key = PagingKey::derive(&SharingKey::generate());
        let q = parse_query(&grant(), &items(), &[("name".into(), "张三".into())]).unwrap();
        let token = key.token(7, &q, 42);
        assert_eq!(key.open(7, &q, &token), Ok(42));
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[7] = 43;
        assert!(key.open(7, &q, &URL_SAFE_NO_PAD.encode(&bytes)).is_err(), "another row id");
        assert!(key.open(7, &q, "42").is_err());
        assert!(key.open(8, &q, &token).is_err());
        let other = parse_query(&grant(), &items(), &[("name".into(), "李四".into())]).unwrap();
        assert!(key.open(7, &other, &token).is_err());
    }

    #[test]
    fn queries_are_bounded_and_limited_to_granted_items() {
        let g = grant();
        let p = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
        assert_eq!(parse_query(&g, &items(), &p("district", "x")).unwrap_err().code, "gateway_item_not_granted");
        assert_eq!(parse_query(&g, &items(), &p("name.like", "x")).unwrap_err().code, "gateway_bad_parameter");
        assert_eq!(parse_query(&g, &items(), &p("name", &"x".repeat(201))).unwrap_err().code, "gateway_value_too_long");
        assert_eq!(
            parse_query(&g, &items(), &p("name.in", &vec!["a"; 101].join(","))).unwrap_err().code,
            "gateway_in_list_too_long"
        );
        assert_eq!(parse_query(&g, &items(), &p("limit", "1001")).unwrap_err().code, "gateway_bad_limit");
        let range = parse_query(&g, &items(), &p("id_number.gte", "330")).unwrap_err();
        assert_eq!((range.code, range.status), ("gateway_range_on_masked_item", 403));
        assert!(parse_query(&g, &items(), &p("mobile.lte", "139")).is_ok(), "raw values approved: ranges too");
        assert!(parse_query(&g, &items(), &p("id_number.in", "1,2")).is_ok());
        let many: Vec<(String, String)> = (0..11).map(|i| ("name".to_string(), i.to_string())).collect();
        assert_eq!(parse_query(&g, &items(), &many).unwrap_err().code, "gateway_too_many_filters");
    }

    #[test]
    fn a_grant_is_checked_for_agency_state_resource_and_delivery() {
        let g = grant();
        assert!(check_grant(&g, OrgId(3), 11).is_ok());
        assert_eq!(check_grant(&g, OrgId(4), 11).unwrap_err().code, "gateway_grant_not_yours");
        assert_eq!(check_grant(&g, OrgId(3), 12).unwrap_err().code, "gateway_grant_other_resource");
        let suspended = GrantTerms { state: GrantState::Suspended, ..grant() };
        assert_eq!(check_grant(&suspended, OrgId(3), 11).unwrap_err().code, "gateway_grant_suspended");
        let bulk = GrantTerms { delivery: Delivery::Bulk, ..grant() };
        assert_eq!(check_grant(&bulk, OrgId(3), 11).unwrap_err().code, "gateway_grant_not_api");
    }
}
