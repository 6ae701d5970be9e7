//! What agencies and portals rely on: the Excel template imports back (Art.7), every problem is
//! named by sheet, row and column, CSV in any of the Chinese encodings reads like UTF-8, exports
//! re-import unchanged, and the DCAT feed lists what it is given.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Data, Reader, Xlsx};
use pubdata_catalog_io::layout::{ITEM_COLUMNS, RESOURCE_COLUMNS, csv_columns};
use pubdata_catalog_io::{
    DcatCatalog, DcatResource, ExportRow, FileProblem, OrgDirectory, ParsedResource, RowProblem, dcat_jsonld,
    error_report_xlsx, export_xlsx, parse_csv, parse_xlsx, template_csv, template_xlsx,
};
use pubdata_domain::catalog::{
    CodeEntry, DataItem, Delivery, ItemType, Level, OpenAttribute, ProhibitionReason, ResourceDocument, ShareAttribute,
    ShareTerm, StorageFormat, UpdateCycle,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use serde_json::Value;
use std::io::{Cursor, Read};

// ---------------------------------------------------------------------------------------------
// Fixtures

fn orgs() -> OrgDirectory {
    OrgDirectory::new(vec![(3, "区市场监管局".into()), (4, "区人力社保局".into()), (5, "区卫生健康局".into())])
}

fn item(code: &str, name: &str, item_type: ItemType, length: Option<u32>, level: Level) -> DataItem {
    DataItem {
        code: code.into(),
        name: name.into(),
        item_type,
        length,
        precision: None,
        scale: None,
        required: false,
        unique_key: false,
        description: String::new(),
        level,
        code_list: vec![],
    }
}

/// Unconditional sharing and opening, two string items.
fn enterprises() -> ResourceDocument {
    ResourceDocument {
        name: "企业登记信息".into(),
        business_name: "企业设立登记".into(),
        source_system: "市场主体登记系统".into(),
        description: "全区企业登记基本信息".into(),
        provider_org_id: 3,
        category: "market".into(),
        level: Level::L1,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Unconditional,
        open: OpenAttribute::Unconditional,
        delivery: vec![Delivery::Api, Delivery::Bulk],
        update_cycle: UpdateCycle::Daily,
        share_term: ShareTerm::LongTerm,
        contact_name: "王明".into(),
        contact_phone: "0574-88888888".into(),
        contact_email: String::new(),
        state_secret: false,
        items: vec![
            DataItem {
                required: true,
                unique_key: true,
                ..item("credit_code", "统一社会信用代码", ItemType::String, Some(18), Level::L1)
            },
            item("enterprise_name", "企业名称", ItemType::String, Some(200), Level::L1),
        ],
    }
}

/// Restricted sharing, prohibited opening, decimals, code lists, a number of months.
fn insured_persons() -> ResourceDocument {
    ResourceDocument {
        name: "社保参保信息".into(),
        business_name: "社会保险参保登记".into(),
        source_system: "社保业务系统".into(),
        description: String::new(),
        provider_org_id: 4,
        category: "social_security".into(),
        level: Level::L3,
        storage_format: StorageFormat::DatabaseTable,
        share: ShareAttribute::Restricted {
            reason: "涉及个人信息".into(),
            conditions: "仅用于社保待遇资格核验".into(),
        },
        open: OpenAttribute::Prohibited { reason: ProhibitionReason::PersonalOrCommercial },
        delivery: vec![Delivery::Api],
        update_cycle: UpdateCycle::Monthly,
        share_term: ShareTerm::Months { months: 12 },
        contact_name: "李华".into(),
        contact_phone: "13800000000".into(),
        contact_email: "lihua@example.cn".into(),
        state_secret: false,
        items: vec![
            DataItem {
                required: true,
                unique_key: true,
                ..item("id_number", "公民身份号码", ItemType::String, Some(18), Level::L3)
            },
            DataItem {
                code_list: vec![
                    CodeEntry { code: "1".into(), label: "男".into() },
                    CodeEntry { code: "2".into(), label: "女".into() },
                ],
                ..item("sex", "性别", ItemType::String, Some(1), Level::L2)
            },
            DataItem {
                precision: Some(12),
                scale: Some(2),
                description: "单位：元".into(),
                ..item("monthly_base", "月缴费基数", ItemType::Decimal, None, Level::L3)
            },
            DataItem {
                description: "2024-03-01".into(),
                ..item("insured_on", "参保日期", ItemType::Date, None, Level::L2)
            },
        ],
    }
}

/// Not shared, with its legal basis; prohibited by law; a file.
fn inspections() -> ResourceDocument {
    ResourceDocument {
        name: "卫生监督检查记录".into(),
        business_name: "卫生监督检查".into(),
        source_system: "卫生监督系统".into(),
        description: "按季度汇总".into(),
        provider_org_id: 5,
        category: "health".into(),
        level: Level::L2,
        storage_format: StorageFormat::Spreadsheet,
        share: ShareAttribute::NotShared { legal_basis: "《某条例》第十条".into() },
        open: OpenAttribute::Prohibited { reason: ProhibitionReason::Law },
        delivery: vec![Delivery::File],
        update_cycle: UpdateCycle::Irregular,
        share_term: ShareTerm::LongTerm,
        contact_name: "赵六".into(),
        contact_phone: "0574-87777777".into(),
        contact_email: "zhao@example.cn".into(),
        state_secret: false,
        items: vec![
            DataItem { required: true, ..item("inspected_at", "检查时间", ItemType::Datetime, None, Level::L1) },
            item("result", "检查结果", ItemType::Text, None, Level::L2),
            item("fine", "罚款金额（元）", ItemType::Integer, None, Level::L2),
        ],
    }
}

type Row = Vec<(&'static str, String)>;

fn row(cells: &[(&'static str, &str)]) -> Row {
    cells.iter().map(|(h, v)| (*h, v.to_string())).collect()
}

/// The rows the template would hold for `enterprises()` (key 1) and `insured_persons()` (key 2),
/// as a user fills them in: labels, codes, numbers typed into numeric cells.
fn filled_rows() -> (Vec<Row>, Vec<Row>) {
    let resources = vec![
        row(&[
            ("序号", "1"),
            ("资源名称", "企业登记信息"),
            ("业务名称", "企业设立登记"),
            ("信息系统名称", "市场主体登记系统"),
            ("资源说明", "全区企业登记基本信息"),
            ("提供单位", "区市场监管局"),
            ("分类", "市场监管"),
            ("分级", "L1"),
            ("存储格式", "数据库表"),
            ("共享属性", "无条件共享"),
            ("开放属性", "无条件开放"),
            ("提供方式", "接口调用、批量数据"),
            ("更新周期", "每日"),
            ("共享期限", "长期"),
            ("联系人", "王明"),
            ("联系电话", "0574-88888888"),
            ("涉及国家秘密", "否"),
        ]),
        row(&[
            ("序号", "2"),
            ("资源名称", "社保参保信息"),
            ("业务名称", "社会保险参保登记"),
            ("信息系统名称", "社保业务系统"),
            ("提供单位", "区人力社保局"),
            ("分类", "social_security"),
            ("分级", "L3"),
            ("存储格式", "数据库表"),
            ("共享属性", "受限共享"),
            ("受限理由", "涉及个人信息"),
            ("共享条件", "仅用于社保待遇资格核验"),
            ("开放属性", "禁止开放"),
            ("禁止开放情形", "涉及个人信息、商业秘密或者保密商务信息"),
            ("提供方式", "接口调用"),
            ("更新周期", "每月"),
            ("共享期限", "12"),
            ("联系人", "李华"),
            ("联系电话", "13800000000"),
            ("电子邮箱", "lihua@example.cn"),
        ]),
    ];
    let items = vec![
        row(&[
            ("资源序号", "1"),
            ("数据项代码", "credit_code"),
            ("中文名称", "统一社会信用代码"),
            ("类型", "字符串"),
            ("长度", "18"),
            ("必填", "是"),
            ("唯一键", "是"),
            ("分级", "L1"),
        ]),
        row(&[
            ("资源序号", "1"),
            ("数据项代码", "enterprise_name"),
            ("中文名称", "企业名称"),
            ("类型", "字符串"),
            ("长度", "200"),
            ("必填", "否"),
            ("分级", "L1"),
        ]),
        row(&[
            ("资源序号", "2"),
            ("数据项代码", "id_number"),
            ("中文名称", "公民身份号码"),
            ("类型", "字符串"),
            ("长度", "18"),
            ("必填", "是"),
            ("唯一键", "是"),
            ("分级", "L3"),
        ]),
        row(&[
            ("资源序号", "2"),
            ("数据项代码", "sex"),
            ("中文名称", "性别"),
            ("类型", "字符串"),
            ("长度", "1"),
            ("分级", "L2"),
            ("代码表", "1=男;2=女"),
        ]),
        row(&[
            ("资源序号", "2"),
            ("数据项代码", "monthly_base"),
            ("中文名称", "月缴费基数"),
            ("类型", "小数"),
            ("精度", "12"),
            ("小数位", "2"),
            ("说明", "单位：元"),
            ("分级", "L3"),
        ]),
        row(&[
            ("资源序号", "2"),
            ("数据项代码", "insured_on"),
            ("中文名称", "参保日期"),
            ("类型", "日期"),
            // Typed as a date: Excel stores a number with a date format.
            ("说明", "DATE:2024-03-01"),
            ("分级", "L2"),
        ]),
    ];
    (resources, items)
}

fn set(rows: &mut [Row], n: usize, header: &'static str, value: &str) {
    let r = &mut rows[n];
    match r.iter_mut().find(|(h, _)| *h == header) {
        Some(cell) => cell.1 = value.to_string(),
        None => r.push((header, value.to_string())),
    }
}

/// Columns whose values a user types as numbers (Excel stores them as numbers).
const NUMERIC: [&str; 7] = ["序号", "资源序号", "长度", "精度", "小数位", "共享期限", "联系电话"];

fn write_rows(ws: &mut Worksheet, headers: &[String], rows: &[Row]) {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (n, row) in rows.iter().enumerate() {
        let r = 2 + n as u32;
        for (header, value) in row {
            let c = headers.iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header}")) as u16;
            if let Some(d) = value.strip_prefix("DATE:") {
                let (y, rest) = d.split_once('-').unwrap();
                let (m, day) = rest.split_once('-').unwrap();
                let dt = ExcelDateTime::from_ymd(y.parse().unwrap(), m.parse().unwrap(), day.parse().unwrap()).unwrap();
                ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
            } else if NUMERIC.contains(header) && value.parse::<f64>().is_ok() {
                ws.write_number(r, c, value.parse::<f64>().unwrap()).unwrap();
            } else {
                ws.write_string(r, c, value).unwrap();
            }
        }
    }
}

/// The headers of the template's sheet, as the template writes them.
fn template_headers(sheet: &str) -> Vec<String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(template_xlsx(&orgs()).unwrap())).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range.rows().next().unwrap().iter().map(|d| d.to_string()).collect()
}

/// A workbook in the template's layout (headers copied from the template itself) holding the
/// given rows; `tweak` may damage it (merge cells, add formulas).
fn workbook(resources: &[Row], items: &[Row], tweak: impl FnOnce(&mut Worksheet, &mut Worksheet)) -> Vec<u8> {
    let mut wb = Workbook::new();
    let mut sheets = Vec::new();
    for (name, rows) in [("资源", resources), ("数据项", items)] {
        let headers = template_headers(name);
        let mut ws = Worksheet::new();
        ws.set_name(name).unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, h).unwrap();
        }
        let english: Vec<&str> = if name == "资源" {
            RESOURCE_COLUMNS.iter().map(|c| c.en).collect()
        } else {
            ITEM_COLUMNS.iter().map(|c| c.en).collect()
        };
        for (c, h) in english.iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        write_rows(&mut ws, &headers, rows);
        sheets.push(ws);
    }
    let mut items_ws = sheets.pop().unwrap();
    let mut res_ws = sheets.pop().unwrap();
    tweak(&mut res_ws, &mut items_ws);
    wb.push_worksheet(res_ws);
    wb.push_worksheet(items_ws);
    wb.save_to_buffer().unwrap()
}

fn documents(parsed: &[ParsedResource]) -> Vec<ResourceDocument> {
    for p in parsed {
        assert!(p.problems.is_empty(), "resource {} has problems: {:#?}", p.key, p.problems);
    }
    parsed.iter().map(|p| p.document.clone().unwrap()).collect()
}

fn all_problems(parsed: &[ParsedResource]) -> Vec<&RowProblem> {
    parsed.iter().flat_map(|p| &p.problems).collect()
}

/// The problem at this place, failing with everything found when there is none.
fn problem_at<'a>(parsed: &'a [ParsedResource], sheet: &str, row: usize, column: &str) -> &'a RowProblem {
    let all = all_problems(parsed);
    all.iter().copied().find(|p| p.sheet == sheet && p.row == row && p.column == column).unwrap_or_else(|| {
        panic!(
            "no problem at {sheet} row {row} column {column}; found:\n{}",
            all.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
        )
    })
}

fn sheet_cells(xlsx: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.to_vec())).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let (r0, c0) = range.start().unwrap();
    let mut out = vec![Vec::new(); r0 as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); c0 as usize];
        cells.extend(row.iter().map(|d| match d {
            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
            d => d.to_string(),
        }));
        out.push(cells);
    }
    out
}

fn zip_entry(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

// ---------------------------------------------------------------------------------------------
// Excel

#[test]
fn art_7_template_round_trips_through_import() {
    let orgs = orgs();
    let template = template_xlsx(&orgs).unwrap();

    // The empty template imports as nothing, without complaint.
    assert_eq!(parse_xlsx(&template, &orgs).unwrap(), vec![]);

    // Its sheets and headers: Chinese on row 1 (matched), English field names on row 2.
    let wb: Xlsx<_> = Xlsx::new(Cursor::new(template.clone())).unwrap();
    assert_eq!(wb.sheet_names(), vec!["资源", "数据项", "填写说明"]);
    let res = sheet_cells(&template, "资源");
    assert_eq!(res[0], RESOURCE_COLUMNS.iter().map(|c| c.zh.to_string()).collect::<Vec<_>>());
    assert_eq!(res[1], RESOURCE_COLUMNS.iter().map(|c| c.en.to_string()).collect::<Vec<_>>());
    let items = sheet_cells(&template, "数据项");
    assert_eq!(items[0], ITEM_COLUMNS.iter().map(|c| c.zh.to_string()).collect::<Vec<_>>());

    // 填写说明 lists every enumerated column's values and the provider agencies.
    let help: Vec<String> = sheet_cells(&template, "填写说明").into_iter().flatten().collect();
    for expected in [
        "区市场监管局",
        "区人力社保局",
        "区卫生健康局",
        "市场监管",
        "L4",
        "数据库表",
        "受限共享",
        "禁止开放",
        "涉及个人信息、商业秘密或者保密商务信息",
        "法律、法规规定不得开放",
        "批量数据",
        "每季度",
        "小数",
        "长期",
    ] {
        assert!(help.iter().any(|c| c == expected), "填写说明 lacks {expected}");
    }
    assert!(help.iter().any(|c| c.contains("第十四条")), "the instructions cite Art.14");

    // Drop-downs point at those lists (the 分类 drop-down at exactly the category labels);
    // free-text columns carry input hints.
    let sheet1 = zip_entry(&template, "xl/worksheets/sheet1.xml");
    assert!(sheet1.contains(r#"<dataValidation type="list""#), "{sheet1}");
    assert!(sheet1.contains(r#"promptTitle="资源名称""#), "{sheet1}");
    let category = sheet1.split("promptTitle=\"分类\"").nth(1).unwrap();
    let range = category.split("<formula1>").nth(1).unwrap().split("</formula1>").next().unwrap();
    let (column, rows) = range.strip_prefix("'填写说明'!$").unwrap().split_once('$').unwrap();
    assert_eq!(column, "B");
    let (first, last) = rows.split_once(":$B$").unwrap();
    let help_rows = sheet_cells(&template, "填写说明");
    let listed: Vec<&str> =
        (first.parse::<usize>().unwrap()..=last.parse().unwrap()).map(|r| help_rows[r - 1][1].as_str()).collect();
    assert_eq!(listed, pubdata_domain::catalog::CATEGORIES.iter().map(|c| c.zh).collect::<Vec<_>>());

    // A workbook filled in with the template's headers imports into the documents meant.
    let (resources, items) = filled_rows();
    let filled = workbook(&resources, &items, |_, _| {});
    let parsed = parse_xlsx(&filled, &orgs).unwrap();
    assert_eq!(parsed.iter().map(|p| (p.key.as_str(), p.sheet_row)).collect::<Vec<_>>(), vec![("1", 3), ("2", 4)]);
    assert_eq!(documents(&parsed), vec![enterprises(), insured_persons()]);
    // What the user typed is kept for reports: 18, not 18.0; the date as typed.
    assert_eq!(parsed[0].raw[1].cells[4], "18");
    assert_eq!(parsed[1].raw[4].cells[9], "2024-03-01");
    assert_eq!(parsed[1].raw[0].cells[20], "13800000000");
}

#[test]
fn art_7_import_names_sheet_row_column_and_reason() {
    let orgs = orgs();
    let (resources, items) = filled_rows();

    // Not an xlsx file at all.
    let p = parse_xlsx(b"name,phone\n", &orgs).unwrap_err();
    assert!(p.message.zh.contains("不是 Excel"), "{p}");

    // A missing sheet.
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("资源").unwrap();
    let p = parse_xlsx(&wb.save_to_buffer().unwrap(), &orgs).unwrap_err();
    assert_eq!(p.sheet.as_deref(), Some("数据项"), "{p}");

    // Wrong headers: a renamed column is named, and what is missing.
    let renamed = {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("资源").unwrap();
        for (c, col) in RESOURCE_COLUMNS.iter().enumerate() {
            ws.write_string(0, c as u16, if col.zh == "资源名称" { "资源名" } else { col.zh }).unwrap();
        }
        wb.add_worksheet().set_name("数据项").unwrap();
        wb.save_to_buffer().unwrap()
    };
    let p = parse_xlsx(&renamed, &orgs).unwrap_err();
    assert_eq!((p.sheet.as_deref(), p.row, p.column.as_deref()), (Some("资源"), Some(1), Some("资源名")), "{p}");
    assert!(p.message.zh.contains("缺少必填列“资源名称”"), "{p}");
    assert!(p.message.en.contains("资源名称"), "{p}");

    // Merged cells in the data area.
    let merged = workbook(&resources, &items, |res, _| {
        res.merge_range(2, 2, 3, 2, "企业设立登记", &Format::new()).unwrap();
    });
    let p = parse_xlsx(&merged, &orgs).unwrap_err();
    assert_eq!((p.sheet.as_deref(), p.row, p.column.as_deref()), (Some("资源"), Some(3), Some("业务名称")), "{p}");
    assert!(p.message.zh.contains("C3:C4") && p.message.zh.contains("合并"), "{p}");

    // A formula where a value is expected.
    let formula = workbook(&resources, &items, |_, items| {
        items.write_formula(3, 4, "=LEN(C4)").unwrap();
    });
    let p = parse_xlsx(&formula, &orgs).unwrap_err();
    assert_eq!((p.sheet.as_deref(), p.row, p.column.as_deref()), (Some("数据项"), Some(4), Some("长度")), "{p}");
    assert!(p.message.zh.contains("公式") && p.message.en.contains("formula"), "{p}");

    // The error report for a file-level problem explains it and shows the file.
    let report = error_report_xlsx(&[], Some(&p), &formula).unwrap();
    let explained: Vec<String> = sheet_cells(&report, "错误报告").into_iter().flatten().collect();
    assert!(explained.iter().any(|c| c.contains("公式")), "{explained:?}");
    assert!(sheet_cells(&report, "数据项")[3].iter().any(|c| c == "enterprise_name"));

    // Row problems, each in its place.
    let (mut resources, mut items) = filled_rows();
    set(&mut resources, 0, "联系人", ""); // row 3: empty required cell
    set(&mut resources, 1, "共享属性", "部分共享"); // row 4: unknown value
    let restricted = {
        let mut r = resources[0].clone();
        set(std::slice::from_mut(&mut r), 0, "序号", "3");
        set(std::slice::from_mut(&mut r), 0, "联系人", "王明");
        set(std::slice::from_mut(&mut r), 0, "共享属性", "受限共享");
        set(std::slice::from_mut(&mut r), 0, "受限理由", "涉及商业信息");
        set(std::slice::from_mut(&mut r), 0, "开放属性", "受限开放");
        set(std::slice::from_mut(&mut r), 0, "开放条件", "脱敏后开放");
        r
    };
    resources.push(restricted.clone()); // row 5: restricted sharing without conditions
    let mut l4 = restricted.clone();
    set(std::slice::from_mut(&mut l4), 0, "序号", "4");
    set(std::slice::from_mut(&mut l4), 0, "共享条件", "仅用于监管");
    set(std::slice::from_mut(&mut l4), 0, "开放属性", "无条件开放");
    set(std::slice::from_mut(&mut l4), 0, "开放条件", "");
    set(std::slice::from_mut(&mut l4), 0, "提供单位", "区不存在局");
    resources.push(l4); // row 6: an L4 item, opened unconditionally; unknown agency
    let mut dup = restricted.clone();
    set(std::slice::from_mut(&mut dup), 0, "序号", "5");
    set(std::slice::from_mut(&mut dup), 0, "共享条件", "仅用于监管");
    resources.push(dup.clone()); // row 7: duplicate item codes
    resources.push(dup); // row 8: duplicate 序号 5
    let item = |key: &str, code: &str, name: &str, level: &str, length: &str| {
        row(&[
            ("资源序号", key),
            ("数据项代码", code),
            ("中文名称", name),
            ("类型", "字符串"),
            ("长度", length),
            ("分级", level),
        ])
    };
    items.push(item("3", "licence_no", "许可证号", "L1", "32")); // row 9
    items.push(item("4", "bank_account", "银行账号", "L4", "32")); // row 10
    items.push(item("5", "licence_no", "许可证号", "L1", "32")); // row 11
    items.push(item("5", "licence_no", "许可证编号", "L1", "十八")); // row 12: duplicate code, not a number
    items.push(item("99", "orphan", "无主数据项", "L1", "8")); // row 13: no such resource
    let mut bad_type = item("3", "photo", "照片", "L1", "");
    set(std::slice::from_mut(&mut bad_type), 0, "类型", "图片");
    items.push(bad_type); // row 14: unknown type
    let parsed = parse_xlsx(&workbook(&resources, &items, |_, _| {}), &orgs).unwrap();

    let p = problem_at(&parsed, "资源", 3, "联系人");
    assert_eq!((p.message.zh.as_ref(), p.message.en.as_ref()), ("必填项为空", "required cell is empty"));
    let p = problem_at(&parsed, "资源", 4, "共享属性");
    assert!(p.message.zh.contains("部分共享") && p.message.zh.contains("无条件共享、受限共享、不共享"), "{p}");
    assert!(p.message.en.contains("受限共享 (restricted)"), "{p}");
    let p = problem_at(&parsed, "资源", 5, "共享条件");
    assert!(p.message.zh.contains("第十四条"), "{p}");
    let p = problem_at(&parsed, "资源", 6, "开放属性");
    assert!(p.message.zh.contains("L4") && p.message.zh.contains("银行账号"), "{p}");
    let p = problem_at(&parsed, "资源", 6, "分级");
    assert!(p.message.zh.contains("银行账号"), "{p}");
    let p = problem_at(&parsed, "资源", 6, "提供单位");
    assert!(p.message.zh.contains("区不存在局") && p.message.zh.contains("区市场监管局"), "{p}");
    let p = problem_at(&parsed, "数据项", 12, "数据项代码");
    assert!(p.message.zh.contains("licence_no") && p.message.zh.contains("重复"), "{p}");
    let p = problem_at(&parsed, "数据项", 12, "长度");
    assert!(p.message.zh.contains("十八"), "{p}");
    let p = problem_at(&parsed, "资源", 7, "序号");
    assert!(p.message.zh.contains("第 7、8 行"), "{p}");
    problem_at(&parsed, "资源", 8, "序号");
    let p = problem_at(&parsed, "数据项", 13, "资源序号");
    assert!(p.message.zh.contains("99"), "{p}");
    let p = problem_at(&parsed, "数据项", 14, "类型");
    assert!(p.message.zh.contains("图片") && p.message.zh.contains("字符串"), "{p}");
    // One reason per cell: no second complaint about the unknown type's length, the empty
    // contact's length, or the unknown share attribute's conditions.
    for (sheet, row, column) in [("数据项", 14, "长度"), ("资源", 4, "受限理由"), ("资源", 4, "开放属性")]
    {
        assert!(
            !all_problems(&parsed).iter().any(|p| p.sheet == sheet && p.row == row && p.column == column),
            "unexpected problem at {sheet} {row} {column}"
        );
    }
    assert_eq!(all_problems(&parsed).iter().filter(|p| p.row == 3 && p.sheet == "资源").count(), 1);
    // Documents only where nothing is wrong.
    for p in &parsed {
        assert_eq!(p.document.is_some(), p.problems.is_empty());
        assert!(p.document.is_none(), "resource {} should have problems", p.key);
    }
    assert_eq!(parsed.last().map(|p| (p.key.as_str(), p.sheet_row)), Some(("99", 0)));

    // The error report: the user's rows, highlighted, with the reasons in a last column, zh
    // then en; corrected or not, it imports again with the same findings.
    let report = error_report_xlsx(&parsed, None, &[]).unwrap();
    let res = sheet_cells(&report, "资源");
    let last = RESOURCE_COLUMNS.len();
    assert_eq!(res[0][last], "错误说明 / Problems");
    let reason = &res[2][last];
    assert!(reason.starts_with("【联系人】必填项为空"), "{reason}");
    assert!(reason.contains("[联系人] required cell is empty"), "{reason}");
    assert_eq!(res[2][1], "企业登记信息");
    let items_sheet = sheet_cells(&report, "数据项");
    assert!(items_sheet[11][ITEM_COLUMNS.len()].contains("十八"));
    let again = parse_xlsx(&report, &orgs).unwrap();
    let places = |parsed: &[ParsedResource]| {
        let mut v: Vec<(String, usize, String)> =
            all_problems(parsed).iter().map(|p| (p.sheet.clone(), p.row, p.column.clone())).collect();
        v.sort();
        v
    };
    assert_eq!(places(&again), places(&parsed));
    let summary: Vec<String> = sheet_cells(&report, "错误汇总").into_iter().flatten().collect();
    assert!(summary.iter().any(|c| c.contains("共 6 个资源：0 个可以导入")), "{summary:?}");
}

#[test]
fn export_reimports_to_the_same_documents() {
    let orgs = orgs();
    let docs = vec![enterprises(), insured_persons(), inspections()];
    let rows: Vec<ExportRow> = docs
        .iter()
        .enumerate()
        .map(|(n, d)| ExportRow { id: 100 + n as i64, state: "已发布".into(), version: 2, document: d.clone() })
        .collect();
    let exported = export_xlsx(&rows, &orgs).unwrap();

    let res = sheet_cells(&exported, "资源");
    let headers = &res[0];
    for extra in ["资源编号", "状态", "版本"] {
        assert!(headers.iter().any(|h| h == extra), "export lacks {extra}");
    }
    let id_col = headers.iter().position(|h| h == "资源编号").unwrap();
    assert_eq!(res[2][id_col], "100");
    assert_eq!(res[3][headers.iter().position(|h| h == "提供单位").unwrap()], "区人力社保局");

    let parsed = parse_xlsx(&exported, &orgs).unwrap();
    assert_eq!(documents(&parsed), docs);
}

// ---------------------------------------------------------------------------------------------
// CSV

/// The flat CSV of `filled_rows()`: one line per item, resource columns repeated.
fn csv_text(extra_name: &str) -> String {
    let (resources, items) = filled_rows();
    let columns = csv_columns();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns.iter().map(|c| c.zh)).unwrap();
    for it in &items {
        let key = &it.iter().find(|(h, _)| *h == "资源序号").unwrap().1;
        let res = resources.iter().find(|r| r.iter().any(|(h, v)| *h == "序号" && v == key)).unwrap();
        let record: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(n, c)| {
                let value = if n < RESOURCE_COLUMNS.len() {
                    res.iter().find(|(h, _)| *h == c.zh).map(|(_, v)| v.clone())
                } else {
                    let header = match c.zh {
                        "数据项名称" => "中文名称",
                        "数据项说明" => "说明",
                        "数据项分级" => "分级",
                        h => h,
                    };
                    it.iter().find(|(h, _)| *h == header).map(|(_, v)| v.trim_start_matches("DATE:").to_string())
                };
                let value = value.unwrap_or_default();
                if c.zh == "联系人" && value == "王明" { format!("{value}{extra_name}") } else { value }
            })
            .collect();
        w.write_record(&record).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn gbk_and_gb18030_csv_import_like_utf8() {
    let orgs = orgs();
    let text = csv_text("");
    let expected = vec![enterprises(), insured_persons()];
    let utf8 = parse_csv(text.as_bytes(), None, &orgs).unwrap();
    assert_eq!(documents(&utf8), expected);
    assert_eq!(utf8.iter().map(|p| p.sheet_row).collect::<Vec<_>>(), vec![2, 4]);

    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(text.as_bytes());
    assert_eq!(documents(&parse_csv(&with_bom, None, &orgs).unwrap()), expected);

    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "the GBK bytes are not UTF-8");
    assert_eq!(documents(&parse_csv(&gbk, None, &orgs).unwrap()), expected, "GBK detected");
    assert_eq!(documents(&parse_csv(&gbk, Some("gbk"), &orgs).unwrap()), expected, "GBK named");

    // GB18030 reaches characters GBK lacks (䶮, CJK extension A, four bytes).
    let rare = csv_text("䶮");
    let (gb18030, _, unmappable) = encoding_rs::GB18030.encode(&rare);
    assert!(!unmappable);
    let mut expected_rare = expected.clone();
    expected_rare[0].contact_name = "王明䶮".into();
    assert_eq!(documents(&parse_csv(&gb18030, None, &orgs).unwrap()), expected_rare, "GB18030 detected");
    assert_eq!(documents(&parse_csv(&gb18030, Some("GB18030"), &orgs).unwrap()), expected_rare, "GB18030 named");

    // The template is the header line, with a BOM, and imports as nothing.
    assert_eq!(parse_csv(&template_csv(), None, &orgs).unwrap(), vec![]);
}

#[test]
fn csv_lines_of_one_resource_must_agree() {
    let orgs = orgs();
    let text = csv_text("");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 3 is the second item of resource 1: give it another update cycle.
    lines[2] = lines[2].replacen("每日", "每周", 1);
    let parsed = parse_csv(lines.join("\n").as_bytes(), None, &orgs).unwrap();
    let p = problem_at(&parsed, "CSV", 3, "更新周期");
    assert!(p.message.zh.contains("第 2 行") && p.message.zh.contains("每周"), "{p}");
    assert!(parsed[0].document.is_none());
    assert!(parsed[1].document.is_some());

    // Item problems name the CSV's own headers.
    let broken = text.replacen(",credit_code,统一社会信用代码,字符串,18,", ",credit_code,统一社会信用代码,字符串,,", 1);
    let parsed = parse_csv(broken.as_bytes(), None, &orgs).unwrap();
    let p = problem_at(&parsed, "CSV", 2, "长度");
    assert!(p.message.zh.contains("长度"), "{p}");

    let report = error_report_xlsx(&parsed, None, broken.as_bytes()).unwrap();
    let sheet = sheet_cells(&report, "CSV");
    assert!(sheet[1][csv_columns().len()].contains("【长度】"), "{:?}", sheet[1]);
}

fn line_problem(result: Result<Vec<ParsedResource>, FileProblem>) -> FileProblem {
    match result {
        Ok(parsed) => panic!("expected a file problem, got {parsed:#?}"),
        Err(p) => p,
    }
}

#[test]
fn a_truncated_or_undecodable_csv_names_the_line() {
    let orgs = orgs();
    let text = csv_text("");
    let lines = text.lines().count();
    assert_eq!(lines, 7);

    // Cut off in the middle of a character (UTF-8) on the last line.
    let cut = text.rfind("参保日期").unwrap() + 4;
    let p = line_problem(parse_csv(&text.as_bytes()[..cut], None, &orgs));
    assert_eq!(p.row, Some(7), "{p}");
    assert!(p.message.zh.contains("截断"), "{p}");

    // Cut off in the middle of a line.
    let cut = text.find("insured_on").unwrap();
    let p = line_problem(parse_csv(&text.as_bytes()[..cut], None, &orgs));
    assert_eq!(p.row, Some(7), "{p}");
    assert!(p.message.zh.contains("截断") && p.message.en.contains("truncated"), "{p}");

    // Cut off inside a quoted field.
    let quoted = format!("{}\"仅用于\n核验", text);
    let p = line_problem(parse_csv(quoted.as_bytes(), None, &orgs));
    assert_eq!(p.row, Some(8), "{p}");

    // A byte that is not UTF-8 in line 3.
    let mut bad = text.as_bytes().to_vec();
    let third = text.match_indices('\n').nth(1).unwrap().0 + 5;
    bad.insert(third, 0xFF);
    let p = line_problem(parse_csv(&bad, None, &orgs));
    assert_eq!(p.row, Some(3), "{p}");
    assert!(p.message.zh.contains("UTF-8"), "{p}");
    let p = line_problem(parse_csv(&bad, Some("utf-8"), &orgs));
    assert_eq!(p.row, Some(3), "{p}");

    // Bytes that are not GBK in line 4 of a GBK file.
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let mut gbk = gbk.into_owned();
    let fourth = gbk.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(2).unwrap().0 + 3;
    gbk.insert(fourth, 0xFF);
    let p = line_problem(parse_csv(&gbk, Some("gbk"), &orgs));
    assert_eq!(p.row, Some(4), "{p}");
    let p = line_problem(parse_csv(&gbk, None, &orgs));
    assert_eq!(p.row, Some(4), "{p}");

    // The report for it shows the file with that line marked.
    let report = error_report_xlsx(&[], Some(&p), &gbk).unwrap();
    let explained: Vec<String> = sheet_cells(&report, "错误报告").into_iter().flatten().collect();
    assert!(explained.iter().any(|c| c == "4"), "{explained:?}");
}

// ---------------------------------------------------------------------------------------------
// DCAT

fn walk<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
    match v {
        Value::Object(m) => {
            out.push(m);
            m.values().for_each(|v| walk(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
        _ => {}
    }
}

#[test]
fn dcat_feed_lists_published_resources() {
    let catalog = DcatCatalog {
        title: "鄞州区公共数据资源目录".into(),
        description: "区公共数据平台登记并发布的数据资源".into(),
        publisher: "鄞州区大数据发展管理局".into(),
        homepage: "https://data.example.gov.cn/".into(),
        issued: "2026-01-01".into(),
        modified: "2026-11-27T08:00:00.000000Z".into(),
    };
    let names = ["区市场监管局", "区人力社保局", "区卫生健康局"];
    let resources: Vec<DcatResource> = [enterprises(), insured_persons(), inspections()]
        .into_iter()
        .enumerate()
        .map(|(n, document)| DcatResource {
            id: 100 + n as i64,
            uri: format!("https://data.example.gov.cn/catalog/{}", 100 + n),
            version: 1 + n as i64,
            issued: "2026-02-01T00:00:00.000000Z".into(),
            modified: "2026-03-01".into(),
            provider_name: names[n].into(),
            document,
        })
        .collect();
    let doc = dcat_jsonld(&catalog, &resources);
    // It is JSON that survives a round trip.
    let text = serde_json::to_string_pretty(&doc).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), doc);

    let context = doc["@context"].as_object().unwrap();
    for prefix in ["dcat", "dct", "foaf", "vcard", "adms"] {
        assert!(context[prefix].as_str().unwrap().starts_with("http"), "{prefix}");
    }
    assert_eq!(doc["@type"], "dcat:Catalog");
    assert_eq!(doc["dct:title"]["@language"], "zh");
    assert_eq!(doc["dct:title"]["@value"], "鄞州区公共数据资源目录");
    assert_eq!(doc["foaf:homepage"]["@id"], "https://data.example.gov.cn/");
    assert_eq!(doc["dct:issued"]["@type"], "xsd:date");
    assert_eq!(doc["dct:modified"]["@type"], "xsd:dateTime");
    assert_eq!(doc["dct:publisher"]["foaf:name"]["@value"], "鄞州区大数据发展管理局");

    let datasets = doc["dcat:dataset"].as_array().unwrap();
    assert_eq!(datasets.len(), 3);
    let eu = "http://publications.europa.eu/resource/authority/";
    let expected =
        [("DAILY", "PUBLIC", 2, "100"), ("MONTHLY", "NON_PUBLIC", 1, "101"), ("IRREG", "NON_PUBLIC", 1, "102")];
    for (n, (ds, (freq, access, distributions, id))) in datasets.iter().zip(expected).enumerate() {
        let d = &resources[n].document;
        assert_eq!(ds["@type"], "dcat:Dataset");
        assert_eq!(ds["@id"], resources[n].uri.as_str());
        assert_eq!(ds["dct:identifier"], id);
        assert_eq!(ds["dct:title"], serde_json::json!({"@value": d.name, "@language": "zh"}));
        assert_eq!(ds["dct:publisher"]["foaf:name"]["@value"], names[n]);
        assert_eq!(ds["dct:accrualPeriodicity"]["@id"], format!("{eu}frequency/{freq}"));
        assert_eq!(ds["dct:accessRights"]["@id"], format!("{eu}access-right/{access}"));
        assert_eq!(ds["dcat:distribution"].as_array().unwrap().len(), distributions);
        assert_eq!(ds["adms:version"], (n + 1).to_string());
        assert_eq!(ds["dct:issued"]["@type"], "xsd:dateTime");
        assert_eq!(ds["dct:modified"]["@type"], "xsd:date");
        assert_eq!(ds["dcat:contactPoint"]["vcard:fn"], d.contact_name.as_str());
        assert!(ds["dcat:contactPoint"]["vcard:hasTelephone"]["@id"].as_str().unwrap().starts_with("tel:"));
        let keywords: Vec<&str> =
            ds["dcat:keyword"].as_array().unwrap().iter().map(|k| k["@value"].as_str().unwrap()).collect();
        assert!(keywords.contains(&d.business_name.as_str()));
        assert!(d.items.iter().all(|i| keywords.contains(&i.name.as_str())));
        let columns = ds["dct:conformsTo"]["csvw:tableSchema"]["csvw:column"].as_array().unwrap();
        assert_eq!(
            columns.iter().map(|c| c["csvw:name"].as_str().unwrap()).collect::<Vec<_>>(),
            d.items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>()
        );
    }
    assert_eq!(datasets[0]["dcat:theme"]["skos:notation"], "market");
    assert_eq!(datasets[0]["dcat:theme"]["skos:prefLabel"][0]["@value"], "市场监管");
    assert_eq!(datasets[1]["dct:conformsTo"]["csvw:tableSchema"]["csvw:primaryKey"], serde_json::json!(["id_number"]));

    // Every literal with a value is language-tagged or typed.
    let mut nodes = Vec::new();
    walk(&doc, &mut nodes);
    for node in nodes.iter().filter(|m| m.contains_key("@value")) {
        assert!(node.contains_key("@language") || node.contains_key("@type"), "untagged literal {node:?}");
        if let Some(lang) = node.get("@language") {
            assert!(lang == "zh" || lang == "en", "{node:?}");
        }
    }
    // An empty catalog is still a catalog.
    assert_eq!(dcat_jsonld(&catalog, &[])["dcat:dataset"], serde_json::json!([]));
}
