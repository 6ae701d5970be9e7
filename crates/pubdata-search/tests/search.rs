//! What the catalog's users rely on from search (Art.7) and the overlap check (Art.9).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pubdata_domain::catalog::{
    CodeEntry, DataItem, Delivery, ItemType, Level, OpenAttribute, ProhibitionReason, ResourceDocument, ReviewState,
    ShareAttribute, ShareTerm, StorageFormat, UpdateCycle,
};
use pubdata_search::{
    FacetCount, Filters, IndexChange, IndexedResource, SearchError, SearchIndex, SearchQuery, SearchResults, Visibility,
};
use std::collections::BTreeSet;

const AUTHORITY: i64 = 1;
const MARKET: i64 = 2;
const HR: i64 = 3;
const LAND: i64 = 4;
const POLICE: i64 = 5;
const EDUCATION: i64 = 7;
const HOUSING: i64 = 8;
const ENVIRONMENT: i64 = 9;
const TAX: i64 = 11;
const WATER: i64 = 25;
const ARCHIVES: i64 = 29;

fn org_name(id: i64) -> &'static str {
    match id {
        AUTHORITY => "鄞州区大数据发展管理局",
        MARKET => "鄞州区市场监督管理局",
        HR => "鄞州区人力资源和社会保障局",
        LAND => "宁波市自然资源和规划局鄞州分局",
        POLICE => "宁波市公安局鄞州分局",
        EDUCATION => "鄞州区教育局",
        HOUSING => "鄞州区住房和城乡建设局",
        ENVIRONMENT => "宁波市生态环境局鄞州分局",
        TAX => "国家税务总局宁波市鄞州区税务局",
        WATER => "鄞州区水利局",
        ARCHIVES => "鄞州区档案馆",
        _ => "其他单位",
    }
}

fn item(code: &str, name: &str) -> DataItem {
    DataItem {
        code: code.into(),
        name: name.into(),
        item_type: ItemType::String,
        length: Some(64),
        precision: None,
        scale: None,
        required: false,
        unique_key: false,
        description: String::new(),
        level: Level::L1,
        code_list: vec![],
    }
}

fn typed(code: &str, name: &str, item_type: ItemType) -> DataItem {
    let length = if item_type == ItemType::String { Some(64) } else { None };
    let (precision, scale) = if item_type == ItemType::Decimal { (Some(18), Some(2)) } else { (None, None) };
    DataItem { item_type, length, precision, scale, ..item(code, name) }
}

fn doc(provider: i64, name: &str, business: &str, category: &str, items: Vec<DataItem>) -> ResourceDocument {
    ResourceDocument {
        name: name.into(),
        business_name: business.into(),
        source_system: "业务管理系统".into(),
        description: String::new(),
        provider_org_id: provider,
        category: category.into(),
        level: Level::L1,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Unconditional,
        open: OpenAttribute::Unconditional,
        delivery: vec![Delivery::Api],
        update_cycle: UpdateCycle::Daily,
        share_term: ShareTerm::LongTerm,
        contact_name: "王明".into(),
        contact_phone: "0574-88888888".into(),
        contact_email: String::new(),
        state_secret: false,
        items,
    }
}

fn restricted(mut d: ResourceDocument, level: Level) -> ResourceDocument {
    d.level = level;
    d.share =
        ShareAttribute::Restricted { reason: "涉及个人信息".into(), conditions: "仅用于业务办理".into() };
    d.open = OpenAttribute::Restricted { conditions: "脱敏后开放".into() };
    d
}

fn updated(id: i64) -> String {
    format!("2026-01-{:02}T08:00:00.000000Z", id.clamp(1, 28))
}

fn published(id: i64, d: ResourceDocument) -> IndexedResource {
    assert_eq!(d.problems(), vec![], "{}", d.name);
    IndexedResource {
        resource_id: id,
        compiler_org_id: d.provider_org_id,
        provider_name: org_name(d.provider_org_id).into(),
        published: Some(d),
        working: None,
        updated_at: updated(id),
    }
}

fn draft(id: i64, compiler: i64, state: ReviewState, d: ResourceDocument) -> IndexedResource {
    IndexedResource {
        resource_id: id,
        compiler_org_id: compiler,
        provider_name: org_name(d.provider_org_id).into(),
        published: None,
        working: Some((state, d)),
        updated_at: updated(id),
    }
}

/// A small district catalog with realistic decoys for each query the tests make.
fn catalog() -> Vec<IndexedResource> {
    let credit_code =
        || DataItem { required: true, unique_key: true, ..item("credit_code", "统一社会信用代码") };
    let mut out = vec![
        published(
            1,
            ResourceDocument {
                description: "全区企业设立、变更、注销登记的基本信息".into(),
                source_system: "浙江省市场主体登记管理系统".into(),
                delivery: vec![Delivery::Api, Delivery::Bulk],
                ..doc(
                    MARKET,
                    "企业登记信息",
                    "企业设立登记",
                    "market",
                    vec![
                        credit_code(),
                        item("enterprise_name", "企业名称"),
                        item("legal_representative", "法定代表人"),
                        item("registration_authority", "登记机关"),
                        typed("establish_date", "成立日期", ItemType::Date),
                        typed("registered_capital", "注册资本", ItemType::Decimal),
                    ],
                )
            },
        ),
        published(
            2,
            ResourceDocument {
                description: "个体工商户的设立、变更和注销登记信息".into(),
                delivery: vec![Delivery::Bulk],
                update_cycle: UpdateCycle::Monthly,
                ..restricted(
                    doc(
                        MARKET,
                        "个体工商户登记信息",
                        "个体工商户设立登记",
                        "market",
                        vec![
                            item("registration_no", "个体工商户注册号"),
                            DataItem { level: Level::L2, ..item("operator_name", "经营者姓名") },
                            item("business_premises", "经营场所"),
                            typed("establish_date", "成立日期", ItemType::Date),
                        ],
                    ),
                    Level::L2,
                )
            },
        ),
        published(
            3,
            ResourceDocument {
                description: "按年度评价的企业纳税信用等级结果".into(),
                ..restricted(
                    doc(
                        TAX,
                        "企业纳税信用等级",
                        "纳税信用评价",
                        "credit",
                        vec![
                            item("taxpayer_id", "纳税人识别号"),
                            item("taxpayer_name", "纳税人名称"),
                            DataItem { level: Level::L2, ..item("credit_rating", "纳税信用等级") },
                            item("credit_code", "统一社会信用代码"),
                        ],
                    ),
                    Level::L2,
                )
            },
        ),
        published(
            4,
            ResourceDocument {
                description: "职工和城乡居民社会保险参保及逐月缴费情况".into(),
                source_system: "社会保险信息管理系统".into(),
                ..restricted(
                    doc(
                        HR,
                        "社会保险参保缴费记录",
                        "社会保险费征缴",
                        "social_security",
                        vec![
                            DataItem { level: Level::L3, ..item("id_number", "身份证号码") },
                            DataItem { level: Level::L2, ..item("person_name", "姓名") },
                            DataItem {
                                code_list: vec![
                                    CodeEntry { code: "1".into(), label: "参保缴费".into() },
                                    CodeEntry { code: "2".into(), label: "暂停缴费".into() },
                                ],
                                ..item("insured_status", "参保状态")
                            },
                            DataItem {
                                level: Level::L3, ..typed("contribution_base", "缴费基数", ItemType::Decimal)
                            },
                            item("contribution_period", "费款所属期"),
                        ],
                    ),
                    Level::L3,
                )
            },
        ),
        published(
            5,
            ResourceDocument {
                description: "居民生活用水的水费缴费情况".into(),
                ..doc(
                    WATER,
                    "居民用水缴费记录",
                    "水费收缴",
                    "resources",
                    vec![item("account_no", "用水户号"), typed("paid_amount", "缴费金额", ItemType::Decimal)],
                )
            },
        ),
        published(
            6,
            restricted(
                doc(
                    LAND,
                    "不动产登记簿",
                    "不动产登记",
                    "resources",
                    vec![
                        item("unit_number", "不动产单元号"),
                        DataItem { level: Level::L2, ..item("right_holder", "权利人") },
                        item("location", "坐落"),
                        typed("building_area", "建筑面积", ItemType::Decimal),
                        typed("registration_date", "登记日期", ItemType::Date),
                    ],
                ),
                Level::L2,
            ),
        ),
        published(
            7,
            ResourceDocument {
                category: "finance_tax".into(),
                ..doc(
                    MARKET,
                    "动产抵押登记信息",
                    "动产抵押登记",
                    "market",
                    vec![
                        item("mortgagor", "抵押人"),
                        item("mortgagee", "抵押权人"),
                        item("collateral", "抵押物名称"),
                        typed("secured_amount", "被担保债权数额", ItemType::Decimal),
                    ],
                )
            },
        ),
        published(
            8,
            restricted(
                doc(
                    POLICE,
                    "机动车驾驶证信息",
                    "机动车驾驶证核发",
                    "public_safety",
                    vec![
                        DataItem { level: Level::L3, ..item("license_number", "驾驶证号") },
                        item("permitted_class", "准驾车型"),
                        typed("first_issue_date", "初次领证日期", ItemType::Date),
                        DataItem { level: Level::L2, ..item("person_name", "姓名") },
                    ],
                ),
                Level::L3,
            ),
        ),
        published(
            9,
            ResourceDocument {
                description: "各单位档案管理工作的年度检查情况".into(),
                ..doc(
                    ARCHIVES,
                    "档案管理工作检查记录",
                    "档案管理工作",
                    "government",
                    vec![item("unit_name", "被检查单位"), typed("check_date", "检查日期", ItemType::Date)],
                )
            },
        ),
        published(
            10,
            restricted(
                doc(
                    EDUCATION,
                    "学生学籍信息",
                    "学籍管理",
                    "education",
                    vec![
                        DataItem { level: Level::L2, ..item("student_number", "学籍号") },
                        DataItem { level: Level::L2, ..item("student_name", "学生姓名") },
                        item("school_name", "学校名称"),
                    ],
                ),
                Level::L2,
            ),
        ),
        published(
            11,
            doc(
                LAND,
                "建设工程规划许可证信息",
                "建设工程规划许可证核发",
                "urban",
                vec![
                    item("project_code", "项目代码"),
                    item("project_name", "项目名称"),
                    item("construction_unit", "建设单位"),
                ],
            ),
        ),
        published(
            12,
            doc(
                ENVIRONMENT,
                "排污许可证信息",
                "排污许可证核发",
                "environment",
                vec![
                    item("discharge_permit_no", "排污许可证编号"),
                    item("enterprise_name", "企业名称"),
                    item("pollutant_type", "污染物种类"),
                ],
            ),
        ),
        published(
            13,
            doc(
                HR,
                "高校理工科毕业生引进名单",
                "人才引进",
                "social_security",
                vec![item("graduate_name", "毕业生姓名"), item("major", "所学专业")],
            ),
        ),
        published(
            15,
            restricted(
                doc(
                    POLICE,
                    "道路交通违法处理记录",
                    "交通违法处理",
                    "public_safety",
                    vec![
                        item("plate_number", "号牌号码"),
                        DataItem { level: Level::L3, ..item("license_number", "驾驶证号") },
                        item("violation", "违法行为"),
                    ],
                ),
                Level::L3,
            ),
        ),
    ];
    // 14: published, with a draft revision compiled by the market authority itself.
    let food = doc(
        MARKET,
        "食品经营许可证信息",
        "食品经营许可证核发",
        "market",
        vec![item("permit_no", "许可证编号"), item("operator", "经营者名称"), item("premises", "经营场所")],
    );
    let mut revision = food.clone();
    revision.items.push(item("main_business", "主体业态"));
    let mut r = published(14, food);
    r.working = Some((ReviewState::Draft, revision));
    out.push(r);
    // 16: a draft compiled by the authority for the housing bureau (the provider).
    out.push(draft(
        16,
        AUTHORITY,
        ReviewState::Submitted,
        doc(
            HOUSING,
            "住房租赁企业备案信息",
            "住房租赁企业备案",
            "urban",
            vec![credit_code(), item("enterprise_name", "企业名称")],
        ),
    ));
    // 17: a draft the market authority compiles for itself.
    out.push(draft(
        17,
        MARKET,
        ReviewState::Draft,
        doc(MARKET, "企业登记变更草稿", "企业变更登记", "market", vec![credit_code()]),
    ));
    out
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.apply(catalog().into_iter().map(IndexChange::Upsert).collect(), 1).unwrap();
    index
}

fn query(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), filters: Filters::default(), offset: 0, limit: 50 }
}

fn run(index: &SearchIndex, text: &str, vis: Visibility) -> SearchResults {
    index.search(&query(text), vis).unwrap()
}

fn ids(r: &SearchResults) -> Vec<i64> {
    r.hits.iter().map(|h| h.resource_id).collect()
}

fn id_set(r: &SearchResults) -> BTreeSet<i64> {
    r.hits.iter().map(|h| h.resource_id).collect()
}

const READER: Visibility = Visibility::Org(99);

#[test]
fn art_7_chinese_queries_find_resources_by_segmented_words() {
    let index = index();
    for (q, expected) in [
        ("企业 登记", vec![1]),
        ("企业登记", vec![1]),
        ("社保缴费", vec![4]),
        ("社会保险 缴费", vec![4]),
        ("不动产", vec![6]),
        ("不动产 登记", vec![6]),
        ("动产 抵押", vec![7]),
        ("学籍 信息", vec![10]),
        ("建设工程 规划许可", vec![11]),
        ("排污许可", vec![12]),
        ("理工", vec![13]),
        ("统一社会信用代码", vec![1, 3]),
        ("纳税 信用", vec![3]),
    ] {
        let r = run(&index, q, READER);
        assert_eq!(id_set(&r), expected.iter().copied().collect(), "{q}: {:?}", r.hits);
        assert_eq!(r.total, expected.len(), "{q}");
    }
}

#[test]
fn art_7_decoys_sharing_characters_but_not_words_are_not_found() {
    let index = index();
    // 管理工作 must not yield 理工; 不动产 must not match 动产抵押; 个体工商户 and 纳税信用 are
    // not 企业登记; 水费缴费 is not 社保缴费.
    assert!(!id_set(&run(&index, "理工", READER)).contains(&9));
    assert!(!id_set(&run(&index, "不动产", READER)).contains(&7));
    assert!(!id_set(&run(&index, "动产", READER)).contains(&6));
    let r = run(&index, "企业 登记", READER);
    assert!(!id_set(&r).contains(&2) && !id_set(&r).contains(&3));
    assert!(!id_set(&run(&index, "社保缴费", READER)).contains(&5));
    assert_eq!(run(&index, "出生日期", READER).total, 0);
}

#[test]
fn art_7_names_rank_above_items_and_matched_items_are_named() {
    let index = index();
    let r = run(&index, "驾驶证", READER);
    assert_eq!(ids(&r), vec![8, 15], "{:?}", r.hits);
    assert!(r.hits[0].score > r.hits[1].score);
    assert_eq!(r.hits[1].matched_items, vec!["驾驶证号"]);
    assert_eq!(r.hits[1].provider_name, "宁波市公安局鄞州分局");

    let r = run(&index, "参保状态", READER);
    assert_eq!(ids(&r), vec![4]);
    assert_eq!(r.hits[0].matched_items, vec!["参保状态"]);
    assert_eq!(
        (r.hits[0].level.as_str(), r.hits[0].share.as_str(), r.hits[0].category.as_str()),
        ("L3", "restricted", "social_security")
    );
}

#[test]
fn art_7_an_empty_query_lists_everything_visible_newest_first() {
    let index = index();
    let r = run(&index, "  ", READER);
    let expected: Vec<i64> = vec![15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    assert_eq!(ids(&r), expected);
    assert_eq!(r.total, 15);
    assert!(r.hits.iter().all(|h| h.score == 0.0 && h.state == "published"));

    let page = index.search(&SearchQuery { offset: 3, limit: 4, ..query("") }, READER).unwrap();
    assert_eq!(ids(&page), vec![12, 11, 10, 9]);
    assert_eq!(page.total, 15);
    // Counting only (limit 0) and paging past the end still give the total and facets.
    for (offset, limit) in [(0, 0), (40, 10)] {
        let r = index.search(&SearchQuery { offset, limit, ..query("") }, READER).unwrap();
        assert!(r.hits.is_empty());
        assert_eq!((r.total, r.facets.provider.iter().map(|f| f.count).sum::<usize>()), (15, 15));
    }
}

#[test]
fn art_7_drafts_are_visible_only_to_their_compiler_and_provider_and_the_authority() {
    let index = index();
    // 16: compiled by the authority for the housing bureau; 17: the market authority's own.
    let sees = |vis: Visibility| id_set(&run(&index, "", vis));
    assert!(!sees(READER).contains(&16) && !sees(READER).contains(&17));
    assert!(sees(Visibility::Org(HOUSING)).contains(&16) && !sees(Visibility::Org(HOUSING)).contains(&17));
    assert!(sees(Visibility::Org(AUTHORITY)).contains(&16));
    assert!(sees(Visibility::Org(MARKET)).contains(&17) && !sees(Visibility::Org(MARKET)).contains(&16));
    assert!(sees(Visibility::All).is_superset(&[16, 17].into_iter().collect()));

    let r = run(&index, "住房租赁", Visibility::Org(HOUSING));
    assert_eq!(ids(&r), vec![16]);
    assert_eq!(r.hits[0].state, "submitted");
    assert_eq!(run(&index, "住房租赁", Visibility::Org(TAX)).total, 0);
    assert_eq!(run(&index, "企业 登记", Visibility::All).total, 2);
    assert_eq!(run(&index, "企业 登记", Visibility::Org(TAX)).total, 1);
}

#[test]
fn art_7_a_resource_with_published_and_working_versions_appears_once() {
    let index = index();
    // The market authority sees both versions of 14: one hit, the working copy's state.
    let r = run(&index, "食品经营许可证", Visibility::Org(MARKET));
    assert_eq!(ids(&r), vec![14]);
    assert_eq!(r.hits[0].state, "draft");
    // Any other reader sees the published version.
    let r = run(&index, "食品经营许可证", READER);
    assert_eq!(ids(&r), vec![14]);
    assert_eq!(r.hits[0].state, "published");
    // Only the draft has 主体业态; the published version alone does not match it.
    assert_eq!(ids(&run(&index, "主体业态", Visibility::All)), vec![14]);
    assert_eq!(run(&index, "主体业态", READER).total, 0);
    // Filters apply to the variant matched.
    let published_only = SearchQuery {
        filters: Filters { state: Some("published".into()), ..Filters::default() },
        ..query("食品经营许可证")
    };
    let r = index.search(&published_only, Visibility::All).unwrap();
    assert_eq!((r.total, r.hits[0].state.as_str()), (1, "published"));
    // Everything listed once, and len counts resources.
    let all = run(&index, "", Visibility::All);
    assert_eq!(all.total, 17);
    assert_eq!(index.len(), 17);
}

fn facet(v: &[FacetCount]) -> Vec<(&str, &str, usize)> {
    v.iter().map(|f| (f.value.as_str(), f.label.as_str(), f.count)).collect()
}

#[test]
fn art_7_facets_count_matching_resources_with_filters_applied() {
    let index = index();
    let q = |filters: Filters| SearchQuery { filters, ..query("") };
    let market = Filters { provider_org_id: Some(MARKET), ..Filters::default() };
    let r = index.search(&q(market.clone()), Visibility::All).unwrap();
    // 1, 2, 7, 14 (once, as its draft) and 17.
    assert_eq!(id_set(&r), [1, 2, 7, 14, 17].into_iter().collect());
    assert_eq!(facet(&r.facets.provider), vec![("2", "鄞州区市场监督管理局", 5)]);
    assert_eq!(facet(&r.facets.state), vec![("draft", "草稿", 2), ("published", "已发布", 3)]);
    assert_eq!(facet(&r.facets.share), vec![("unconditional", "无条件共享", 4), ("restricted", "受限共享", 1)]);
    assert_eq!(facet(&r.facets.level), vec![("L1", "L1 不敏感", 4), ("L2", "L2 低敏感", 1)]);
    assert_eq!(facet(&r.facets.category), vec![("market", "市场监管", 4), ("finance_tax", "财税金融", 1)]);
    assert_eq!(facet(&r.facets.delivery), vec![("api", "接口调用", 4), ("bulk", "批量数据", 2)]);
    assert_eq!(facet(&r.facets.update_cycle), vec![("daily", "每日", 4), ("monthly", "每月", 1)]);
    assert_eq!(facet(&r.facets.open), vec![("unconditional", "无条件开放", 4), ("restricted", "受限开放", 1)]);

    // Another filter narrows both the hits and every facet.
    let bulk = Filters { delivery: Some("bulk".into()), ..market };
    let r = index.search(&q(bulk), Visibility::All).unwrap();
    assert_eq!(id_set(&r), [1, 2].into_iter().collect());
    assert_eq!(facet(&r.facets.level), vec![("L1", "L1 不敏感", 1), ("L2", "L2 低敏感", 1)]);
    assert_eq!(facet(&r.facets.delivery), vec![("api", "接口调用", 1), ("bulk", "批量数据", 2)]);

    // A text query's facets cover all its matches, not just the page.
    let r = index.search(&SearchQuery { limit: 1, ..query("登记") }, Visibility::Org(99)).unwrap();
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.total, r.facets.provider.iter().map(|f| f.count).sum::<usize>());
    assert_eq!(r.total, 4, "{:?}", r.facets.provider); // 1, 2, 6, 7
    let level = Filters { level: Some("L2".into()), ..Filters::default() };
    let r = index.search(&SearchQuery { filters: level, ..query("登记") }, READER).unwrap();
    assert_eq!(id_set(&r), [2, 6].into_iter().collect());
    assert_eq!(facet(&r.facets.category), vec![("market", "市场监管", 1), ("resources", "资源能源", 1)]);
}

#[test]
fn removal_and_replacement_change_everything_indexed_for_a_resource() {
    let index = index();
    assert_eq!(ids(&run(&index, "排污许可", READER)), vec![12]);
    index.apply(vec![IndexChange::Remove { resource_id: 12 }], 2).unwrap();
    assert_eq!(run(&index, "排污许可", READER).total, 0);
    assert_eq!(index.len(), 16);
    // Its items no longer count as already provided either.
    let overlaps = index.overlaps(&[item("discharge_permit_no", "排污许可证编号")], HR, 5).unwrap();
    assert!(overlaps.iter().flat_map(|o| &o.matches).all(|m| m.resource_id != 12), "{overlaps:?}");

    // Replacing a resource replaces all its documents (the draft of 14 goes when it is published).
    let mut food = catalog().into_iter().find(|r| r.resource_id == 14).unwrap();
    let (_, revision) = food.working.take().unwrap();
    food.published = Some(revision);
    index.apply(vec![IndexChange::Upsert(food)], 3).unwrap();
    let r = run(&index, "食品经营许可证", Visibility::Org(MARKET));
    assert_eq!((r.total, r.hits[0].state.as_str()), (1, "published"));
    assert_eq!(ids(&run(&index, "主体业态", READER)), vec![14]);
    assert_eq!(index.len(), 16);
    assert_eq!(index.watermark(), 3);
}

#[test]
fn the_watermark_and_contents_survive_reopening_the_on_disk_index() {
    let dir = tempdir("reopen");
    {
        let index = SearchIndex::open(&dir).unwrap();
        assert!(index.was_rebuilt());
        assert_eq!((index.watermark(), index.len()), (0, 0));
        index.apply(catalog().into_iter().map(IndexChange::Upsert).collect(), 41).unwrap();
        index.apply(vec![], 42).unwrap();
        assert_eq!(index.watermark(), 42);
    }
    let index = SearchIndex::open(&dir).unwrap();
    assert!(!index.was_rebuilt());
    assert_eq!((index.watermark(), index.len()), (42, 17));
    assert_eq!(ids(&run(&index, "不动产", READER)), vec![6]);
    drop(index);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_index_of_another_schema_or_a_damaged_one_is_wiped_and_rebuilt() {
    let dir = tempdir("damaged");
    {
        let index = SearchIndex::open(&dir).unwrap();
        index.apply(catalog().into_iter().map(IndexChange::Upsert).collect(), 5).unwrap();
    }
    std::fs::write(dir.join("README.txt"), "not ours").unwrap();
    std::fs::write(dir.join("meta.json"), "{ this is not an index").unwrap();
    let index = SearchIndex::open(&dir).unwrap();
    assert!(index.was_rebuilt());
    assert_eq!((index.watermark(), index.len()), (0, 0));
    index.apply(catalog().into_iter().map(IndexChange::Upsert).collect(), 6).unwrap();
    assert_eq!(ids(&run(&index, "不动产", READER)), vec![6]);
    drop(index);
    // Files that are not the index's are left alone.
    assert_eq!(std::fs::read_to_string(dir.join("README.txt")).unwrap(), "not ours");

    // A damaged segment file is found by its checksum.
    let segment = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "store"))
        .unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&segment, bytes).unwrap();
    let index = SearchIndex::open(&dir).unwrap();
    assert!(index.was_rebuilt());
    assert_eq!(index.len(), 0);
    drop(index);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_writer_on_the_same_directory_is_refused_and_the_index_kept() {
    let dir = tempdir("locked");
    let first = SearchIndex::open(&dir).unwrap();
    first.apply(catalog().into_iter().map(IndexChange::Upsert).collect(), 9).unwrap();
    assert!(matches!(SearchIndex::open(&dir), Err(SearchError::Locked { .. })));
    assert_eq!((first.watermark(), first.len()), (9, 17));
    drop(first);
    assert_eq!(SearchIndex::open(&dir).unwrap().watermark(), 9);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_index_is_shared_across_threads() {
    let index = index();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let index = index.clone();
            std::thread::spawn(move || {
                if i == 0 {
                    index.apply(vec![IndexChange::Remove { resource_id: 5 }], 2).unwrap();
                }
                index.search(&query("不动产"), READER).unwrap().total
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
    assert_eq!(index.watermark(), 2);
}

// ---- Art.9 -----------------------------------------------------------------------------

/// The housing bureau registers a resource on property-service companies.
fn housing_items() -> Vec<DataItem> {
    vec![
        item("credit_code", "统一社会信用代码"),
        item("company_name", "企业名称"),
        typed("establish_date", "成立日期", ItemType::Date),
        item("service_area", "物业服务区域"),
        item("remark", "备注"),
    ]
}

fn overlap_index() -> SearchIndex {
    let index = index();
    let extra = vec![
        // Another agency, shareable, similar but not identical item names.
        published(
            20,
            doc(
                LAND,
                "房地产开发企业资质信息",
                "房地产开发企业资质核定",
                "urban",
                vec![
                    item("uscc", "社会信用代码"),
                    item("developer_name", "开发企业名称"),
                    typed("birth_date", "出生日期", ItemType::Date),
                    item("remark", "备注"),
                ],
            ),
        ),
        // Not shared: must not be offered.
        published(
            21,
            ResourceDocument {
                share: ShareAttribute::NotShared {
                    legal_basis: "《中华人民共和国税收征收管理法》第八条".into()
                },
                open: OpenAttribute::Prohibited { reason: ProhibitionReason::Law },
                ..doc(TAX, "涉税企业名单", "税务稽查", "finance_tax", vec![item("credit_code", "统一社会信用代码")])
            },
        ),
        // The asking agency's own resource: not a repeated collection.
        published(
            22,
            doc(HOUSING, "物业服务企业名录", "物业管理", "urban", vec![item("credit_code", "统一社会信用代码")]),
        ),
    ];
    index.apply(extra.into_iter().map(IndexChange::Upsert).collect(), 2).unwrap();
    index
}

#[test]
fn art_9_overlaps_rank_other_agencies_shareable_items() {
    let index = overlap_index();
    let overlaps = index.overlaps(&housing_items(), HOUSING, 10).unwrap();
    let by_item = |code: &str| overlaps.iter().find(|o| o.item_code == code);

    let credit = by_item("credit_code").unwrap();
    let found: Vec<(i64, &str)> = credit.matches.iter().map(|m| (m.resource_id, m.item_name.as_str())).collect();
    // Same name and code first (1, market; 3, tax, restricted sharing), then the similar name.
    assert_eq!(found[..2], [(1, "统一社会信用代码"), (3, "统一社会信用代码")]);
    assert_eq!(found[2], (20, "社会信用代码"));
    let first = &credit.matches[0];
    assert!(first.same_name && first.same_code && first.same_type && first.shared_words.is_empty(), "{first:?}");
    assert_eq!(credit.matches[0].provider_name, "鄞州区市场监督管理局");
    assert_eq!(credit.matches[0].resource_name, "企业登记信息");
    assert!(credit.matches[0].score > credit.matches[2].score);
    assert_eq!(credit.matches[2].shared_words, vec!["社会", "信用", "代码"], "{:?}", credit.matches[2]);
    // Not shared (21), unpublished (16, 17) and the asking agency's own (22) are never offered.
    assert!(found.iter().all(|(id, _)| ![21, 22, 16, 17].contains(id)), "{found:?}");

    // 企业名称 is offered where it is the same item, and 开发企业名称 as a near match.
    let name: Vec<i64> = by_item("company_name").unwrap().matches.iter().map(|m| m.resource_id).collect();
    assert_eq!(name[..2], [1, 12]);
    assert!(name.contains(&20));

    // 成立日期 matches the same item (1, 2) but not 出生日期 or 登记日期 through 日期 alone.
    let founded = by_item("establish_date").unwrap();
    assert!(founded.matches.iter().all(|m| m.item_name == "成立日期"), "{:?}", founded.matches);
    assert_eq!(founded.matches.len(), 2);
    // Nothing like 物业服务区域 exists, and housekeeping items such as 备注 are not checked.
    assert!(by_item("service_area").is_none() && by_item("remark").is_none());
}

#[test]
fn art_9_overlaps_respect_the_limit_per_item() {
    let index = overlap_index();
    let overlaps = index.overlaps(&housing_items()[..1], HOUSING, 1).unwrap();
    assert_eq!(overlaps.len(), 1);
    assert_eq!(overlaps[0].matches.len(), 1);
    assert_eq!(overlaps[0].matches[0].resource_id, 1);
    // Asked by the market authority, its own resource 1 is left out.
    let overlaps = index.overlaps(&housing_items()[..1], MARKET, 5).unwrap();
    assert_eq!(overlaps[0].matches[0].resource_id, 3);
    assert!(index.overlaps(&housing_items(), HOUSING, 0).unwrap().is_empty());
}

// ---- generator -----------------------------------------------------------------------

#[test]
fn generated_catalogs_index_and_answer_every_benchmark_query() {
    let index = SearchIndex::in_memory().unwrap();
    let catalog = pubdata_search::generate::catalog(2000, 3);
    index.apply(catalog.into_iter().map(IndexChange::Upsert).collect(), 1).unwrap();
    assert_eq!(index.len(), 2000);
    let mut empty = Vec::new();
    for q in pubdata_search::generate::queries() {
        let r = index.search(&SearchQuery { limit: 20, ..query(q) }, Visibility::All).unwrap();
        if r.total == 0 {
            empty.push(q);
        }
        for h in &r.hits {
            assert!(!h.name.is_empty());
        }
    }
    assert!(empty.is_empty(), "queries finding nothing: {empty:?}");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pubdata-search-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
