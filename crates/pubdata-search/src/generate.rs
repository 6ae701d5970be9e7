//! A deterministic generator of realistic district catalogs, for benchmarks and tests.
//!
//! Agencies of a district (鄞州区市场监督管理局, 宁波市公安局鄞州分局, the towns and streets ...)
//! each register resources on their own subjects (企业登记, 社会保险参保缴费, 不动产登记,
//! 机动车驾驶证 ...), named as catalogs name them (`[scope]subject[suffix]`: 首南街道企业登记
//! 变更信息, 2024年度排污许可证照信息), with data items drawn from realistic pools (统一社会信用代码,
//! 身份证号码, 参保状态 with its code list ...) at levels that follow the domain's rules, so that
//! every generated document passes `ResourceDocument::problems()`. Resource `i` depends only on
//! `seed` and `i`: `catalog(10, s)` is the start of `catalog(1000, s)`.

use crate::IndexedResource;
use pubdata_domain::catalog::{
    CodeEntry, DataItem, Delivery, ItemType, Level, OpenAttribute, ProhibitionReason, ResourceDocument, ReviewState,
    ShareAttribute, ShareTerm, StorageFormat, UpdateCycle,
};

/// The organisation id of the district authority (which sometimes compiles for an agency).
pub const AUTHORITY_ORG_ID: i64 = 1;

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---- vocabulary --------------------------------------------------------------------------
//
// An item is `code|name|type|level|code list|description`: type `s<len>` (string), `t` (long
// text), `i` (integer), `d<precision>.<scale>` (decimal), `b`, `date`, `dt`, `bin`; level 1-4;
// code list `1=男;2=女`. The first item of a subject's first pool is its unique key.

const ENTERPRISE: &[&str] = &[
    "credit_code|统一社会信用代码|s18|1||18位统一社会信用代码（GB 32100）",
    "enterprise_name|企业名称|s200|1",
    "legal_representative|法定代表人|s50|2",
    "registered_address|注册地址|s200|1",
    "establish_date|成立日期|date|1",
    "registered_capital|注册资本|d18.4|1||单位：万元",
    "business_scope|经营范围|t|1",
    "enterprise_type|企业类型|s4|1|1100=有限责任公司;1200=股份有限公司;4100=个人独资企业;4200=合伙企业",
    "registration_status|登记状态|s2|1|1=存续;2=在业;3=吊销;4=注销;5=迁出",
    "registration_authority|登记机关|s100|1",
    "legal_rep_id_number|法定代表人身份证号码|s18|3",
    "enterprise_phone|企业联系电话|s20|2",
    "industry_code|国民经济行业代码|s5|1||GB/T 4754-2017",
    "approval_date|核准日期|date|1",
];

const INDIVIDUAL_BUSINESS: &[&str] = &[
    "registration_no|个体工商户注册号|s18|1",
    "trade_name|字号名称|s100|1",
    "operator_name|经营者姓名|s50|2",
    "operator_id_number|经营者身份证号码|s18|3",
    "business_premises|经营场所|s200|1",
    "composition|组成形式|s1|1|1=个人经营;2=家庭经营",
    "business_scope|经营范围|t|1",
    "establish_date|成立日期|date|1",
];

const PERSON: &[&str] = &[
    "id_number|身份证号码|s18|3||公民身份号码（GB 11643）",
    "person_name|姓名|s50|2",
    "gender|性别|s1|2|1=男;2=女;9=未说明的性别",
    "birth_date|出生日期|date|2",
    "ethnicity|民族|s2|2",
    "phone|联系电话|s20|3",
    "household_address|户籍地址|s200|3",
    "residential_address|现居住地址|s200|3",
    "education_level|文化程度|s2|2|10=研究生;20=大学本科;30=大学专科;40=高中;50=初中;60=小学",
    "marital_status|婚姻状况|s2|3|10=未婚;20=已婚;30=丧偶;40=离婚",
];

const PROPERTY: &[&str] = &[
    "unit_number|不动产单元号|s28|1",
    "certificate_number|不动产权证书号|s50|2",
    "location|坐落|s200|2",
    "building_area|建筑面积|d12.2|2||单位：平方米",
    "land_use|土地用途|s50|1",
    "right_holder|权利人|s100|2",
    "right_type|权利类型|s2|1|1=国有建设用地使用权;2=房屋所有权;3=宅基地使用权;4=土地承包经营权",
    "right_nature|权利性质|s20|1",
    "registration_date|登记日期|date|1",
    "house_structure|房屋结构|s20|1",
];

const MORTGAGE: &[&str] = &[
    "mortgage_amount|抵押金额|d18.2|3||单位：万元",
    "mortgagee|抵押权人|s100|2",
    "mortgagor|抵押人|s100|2",
    "mortgage_start|债务履行起始日期|date|2",
    "mortgage_end|债务履行截止日期|date|2",
    "mortgage_certificate|不动产登记证明号|s50|2",
    "collateral|抵押物名称|s200|1",
];

const VEHICLE: &[&str] = &[
    "plate_number|号牌号码|s10|2",
    "plate_type|号牌种类|s2|1|01=大型汽车;02=小型汽车;51=大型新能源汽车;52=小型新能源汽车",
    "vin|车辆识别代号|s17|2",
    "vehicle_owner|机动车所有人|s100|2",
    "vehicle_brand|车辆品牌|s50|1",
    "vehicle_type|车辆类型|s3|1",
    "vehicle_status|机动车状态|s1|1|A=正常;B=转出;D=停驶;E=注销;G=违法未处理",
    "inspection_valid_until|检验有效期止|date|1",
];

const DRIVER: &[&str] = &[
    "license_number|驾驶证号|s18|3",
    "permitted_class|准驾车型|s4|1|A1=大型客车;A2=牵引车;B1=中型客车;B2=大型货车;C1=小型汽车;C2=小型自动挡汽车",
    "first_issue_date|初次领证日期|date|2",
    "license_status|驾驶证状态|s1|2|A=正常;B=超分;E=转出;G=停止使用",
    "license_valid_until|有效期至|date|1",
    "accumulated_points|累积记分|i|2",
];

const STUDENT: &[&str] = &[
    "student_number|学籍号|s20|2",
    "student_name|学生姓名|s50|2",
    "school_name|学校名称|s100|1",
    "grade|年级|s20|1",
    "class_name|班级|s20|1",
    "enrollment_date|入学日期|date|2",
    "student_status|学籍状态|s2|2|01=在读;02=休学;03=转出;04=毕业",
    "guardian_name|监护人姓名|s50|3",
    "guardian_phone|监护人联系电话|s20|3",
    "id_number|身份证号码|s18|3",
];

const MEDICAL_ORG: &[&str] = &[
    "license_registration_no|执业许可证登记号|s30|1",
    "org_name|机构名称|s200|1",
    "org_category|机构类别|s4|1|A100=综合医院;B100=社区卫生服务中心;C100=诊所;D200=门诊部",
    "medical_subjects|诊疗科目|t|1",
    "hospital_grade|医院等级|s2|1|31=三级甲等;21=二级甲等;11=一级甲等;99=未定级",
    "approved_beds|核定床位数|i|1",
    "principal|主要负责人|s50|1",
    "org_address|机构地址|s200|1",
    "license_valid_until|许可证有效期至|date|1",
];

const DOCTOR: &[&str] = &[
    "practice_certificate_no|医师执业证书编码|s30|2",
    "practice_category|执业类别|s2|1|1=临床;2=中医;3=口腔;4=公共卫生",
    "practice_scope|执业范围|s100|1",
    "practice_org|执业机构|s200|1",
    "registration_date|注册日期|date|1",
];

const BIRTH: &[&str] = &[
    "birth_certificate_no|出生医学证明编号|s20|3",
    "newborn_name|新生儿姓名|s50|3",
    "gender|性别|s1|2|1=男;2=女",
    "birth_time|出生时间|dt|3",
    "birth_weight|出生体重|i|3||单位：克",
    "mother_name|母亲姓名|s50|3",
    "mother_id_number|母亲身份证号码|s18|3",
    "father_name|父亲姓名|s50|3",
    "birth_place|出生地点|s200|3",
    "delivery_org|接生机构名称|s200|1",
];

const VACCINATION: &[&str] = &[
    "vaccine_name|疫苗名称|s100|2",
    "vaccination_date|接种日期|date|3",
    "dose_number|接种剂次|i|3",
    "vaccine_batch|疫苗批号|s50|1",
    "vaccination_site|接种单位|s200|1",
    "manufacturer|生产企业|s200|1",
];

const PROJECT: &[&str] = &[
    "project_code|项目代码|s24|1||投资项目统一代码",
    "project_name|项目名称|s200|1",
    "construction_unit|建设单位|s200|1",
    "construction_site|建设地址|s200|1",
    "permit_number|许可证编号|s50|1",
    "total_floor_area|总建筑面积|d14.2|1||单位：平方米",
    "land_area|用地面积|d14.2|1||单位：平方米",
    "permit_date|发证日期|date|1",
    "total_investment|总投资|d18.2|2||单位：万元",
    "construction_content|建设规模及内容|t|1",
    "design_unit|设计单位|s200|1",
    "construction_company|施工单位|s200|1",
];

const POLLUTION: &[&str] = &[
    "discharge_permit_no|排污许可证编号|s50|1",
    "pollutant_type|污染物种类|s100|1",
    "permitted_emission|许可排放量|d14.4|1||单位：吨/年",
    "outlet_count|排放口数量|i|1",
    "emission_standard|执行排放标准|s200|1",
    "industry_category|行业类别|s50|1",
    "management_level|管理类别|s1|1|1=重点管理;2=简化管理;3=登记管理",
    "permit_valid_until|有效期至|date|1",
];

const MONITORING: &[&str] = &[
    "station_code|监测点位编码|s20|1",
    "station_name|监测点位名称|s100|1",
    "monitor_time|监测时间|dt|1",
    "pm25|细颗粒物浓度|d8.1|1||单位：微克/立方米",
    "pm10|可吸入颗粒物浓度|d8.1|1",
    "aqi|空气质量指数|i|1",
    "longitude|经度|d10.6|2",
    "latitude|纬度|d10.6|2",
    "water_level|水位|d8.2|1||单位：米",
    "rainfall|降雨量|d8.1|1||单位：毫米",
];

const SOCIAL_INSURANCE: &[&str] = &[
    "insured_status|参保状态|s1|2|1=参保缴费;2=暂停缴费;3=终止参保",
    "insurance_type|险种类型|s3|1|110=企业职工基本养老保险;210=失业保险;310=职工基本医疗保险;410=工伤保险;510=生育保险",
    "contribution_base|缴费基数|d12.2|3||单位：元",
    "contribution_period|费款所属期|s6|2||YYYYMM",
    "personal_contribution|个人缴费金额|d12.2|3",
    "unit_contribution|单位缴费金额|d12.2|3",
    "insured_unit|参保单位名称|s200|1",
    "insured_unit_no|参保单位编号|s20|1",
    "first_insured_date|首次参保日期|date|2",
    "social_security_card|社会保障卡号|s20|3",
    "contribution_months|累计缴费月数|i|2",
];

const PENSION: &[&str] = &[
    "benefit_type|待遇类型|s2|2|11=基本养老金;12=丧葬补助金;13=抚恤金",
    "monthly_amount|月发放金额|d12.2|3||单位：元",
    "payment_month|发放年月|s6|2",
    "bank_account|银行账号|s30|4",
    "bank_name|开户银行|s100|2",
    "retirement_date|退休日期|date|2",
];

const EMPLOYMENT: &[&str] = &[
    "employment_status|就业状态|s1|2|1=就业;2=失业;3=灵活就业",
    "employer_name|就业单位名称|s200|1",
    "unemployment_reg_date|失业登记日期|date|2",
    "employment_reg_date|就业登记日期|date|2",
    "unemployment_cert_no|就业创业证编号|s20|2",
    "occupation|职业|s50|1",
];

const CERTIFICATE: &[&str] = &[
    "certificate_no|证书编号|s50|1",
    "certificate_name|证书名称|s100|1",
    "issuing_authority|发证机关|s100|1",
    "issue_date|发证日期|date|1",
    "valid_from|有效期起始日期|date|1",
    "valid_to|有效期截止日期|date|1",
    "certificate_status|证照状态|s1|1|1=有效;2=注销;3=吊销;4=过期",
];

const PENALTY: &[&str] = &[
    "decision_no|行政处罚决定书文号|s50|1",
    "party_name|当事人名称|s200|1",
    "party_credit_code|当事人统一社会信用代码|s18|1",
    "violation_type|违法行为类型|s200|1",
    "violation_facts|主要违法事实|t|1",
    "penalty_basis|处罚依据|t|1",
    "penalty_type|处罚类别|s2|1|01=警告;02=罚款;03=没收违法所得;04=责令停产停业;05=暂扣或者吊销许可证",
    "fine_amount|罚款金额|d14.2|1||单位：万元",
    "decision_date|处罚决定日期|date|1",
    "enforcement_agency|处罚机关|s100|1",
];

const TAX: &[&str] = &[
    "taxpayer_id|纳税人识别号|s20|1",
    "taxpayer_name|纳税人名称|s200|1",
    "credit_rating|纳税信用等级|s1|2|A=A级;B=B级;M=M级;C=C级;D=D级",
    "rating_year|评价年度|s4|1",
    "tax_type|税种|s5|2|10101=增值税;10104=企业所得税;10106=个人所得税;10110=房产税",
    "tax_amount|税款金额|d18.2|3||单位：元",
    "tax_period|税款所属期|s7|2",
    "tax_authority|主管税务机关|s100|1",
    "arrears_amount|欠税余额|d18.2|2",
];

const ASSISTANCE: &[&str] = &[
    "assistance_type|救助类型|s2|3|01=最低生活保障;02=特困人员供养;03=临时救助;04=低保边缘",
    "household_size|家庭人口数|i|3",
    "monthly_benefit|月保障金额|d10.2|3||单位：元",
    "approval_date|审批日期|date|2",
    "household_head|户主姓名|s50|3",
    "community|所属社区|s100|1",
    "family_income|家庭月人均收入|d10.2|3",
    "bank_account|银行账号|s30|4",
];

const MARRIAGE: &[&str] = &[
    "marriage_cert_no|结婚证字号|s30|3",
    "registration_type|登记类型|s1|3|1=结婚登记;2=离婚登记;3=补领证件",
    "marriage_reg_date|登记日期|date|3",
    "spouse_name|配偶姓名|s50|3",
    "spouse_id_number|配偶身份证号码|s18|3",
    "registry_office|登记机关|s100|1",
];

const ORGANISATION: &[&str] = &[
    "org_credit_code|统一社会信用代码|s18|1",
    "org_name|组织名称|s200|1",
    "org_type|组织类型|s1|1|1=社会团体;2=民办非企业单位;3=基金会",
    "business_supervisor|业务主管单位|s100|1",
    "legal_person|法定代表人|s50|2",
    "activity_area|活动地域|s100|1",
    "registered_funds|注册资金|d14.2|1||单位：万元",
    "org_address|住所|s200|1",
];

const DISABILITY: &[&str] = &[
    "disability_cert_no|残疾人证号|s20|3",
    "disability_category|残疾类别|s1|4|1=视力残疾;2=听力残疾;3=言语残疾;4=肢体残疾;5=智力残疾;6=精神残疾",
    "disability_grade|残疾等级|s1|4|1=一级;2=二级;3=三级;4=四级",
    "cert_issue_date|发证日期|date|2",
    "guardian_name|监护人姓名|s50|3",
];

const FUND: &[&str] = &[
    "fund_account|个人公积金账号|s20|3",
    "deposit_base|缴存基数|d12.2|3",
    "deposit_ratio|缴存比例|d5.2|2",
    "monthly_deposit|月缴存额|d12.2|3",
    "account_balance|账户余额|d14.2|3",
    "deposit_unit|缴存单位名称|s200|1",
    "account_status|账户状态|s1|2|1=正常;2=封存;3=销户",
];

const TRANSPORT: &[&str] = &[
    "transport_license_no|道路运输经营许可证号|s30|1",
    "operator_name|经营业户名称|s200|1",
    "business_type|经营范围|s200|1",
    "vehicle_count|车辆数|i|1",
    "qualification_cert_no|从业资格证号|s20|2",
    "qualification_type|从业资格类别|s2|1|01=道路旅客运输驾驶员;02=道路货物运输驾驶员;03=巡游出租汽车驾驶员",
    "route_name|线路名称|s100|1",
    "route_length|线路长度|d8.2|1||单位：公里",
    "stop_count|站点数|i|1",
];

const LAND: &[&str] = &[
    "parcel_no|宗地编号|s30|1",
    "parcel_location|宗地坐落|s200|1",
    "transfer_area|出让面积|d14.2|1||单位：平方米",
    "land_use|土地用途|s50|1",
    "transaction_price|成交价款|d18.2|1||单位：万元",
    "transferee|受让人|s200|1",
    "plot_ratio|容积率|d5.2|1",
    "contract_no|出让合同编号|s50|1",
    "contract_date|合同签订日期|date|1",
];

const HAZARD: &[&str] = &[
    "hazard_point_no|隐患点编号|s20|1",
    "hazard_type|灾害类型|s2|1|01=滑坡;02=崩塌;03=泥石流;04=地面塌陷",
    "location|位置|s200|2",
    "longitude|经度|d10.6|2",
    "latitude|纬度|d10.6|2",
    "threatened_people|威胁人数|i|2",
    "risk_level|险情等级|s1|2|1=特大型;2=大型;3=中型;4=小型",
    "monitor_person|监测责任人|s50|2",
];

const CASE: &[&str] = &[
    "case_no|案件编号|s30|2",
    "case_type|案件类型|s50|2",
    "applicant_name|申请人姓名|s50|3",
    "respondent_name|被申请人名称|s200|2",
    "case_summary|案情摘要|t|3",
    "accept_date|受理日期|date|2",
    "close_date|结案日期|date|2",
    "handling_result|处理结果|s2|2|01=调解成功;02=调解不成功;03=终止",
    "crime_name|罪名|s100|4",
    "correction_period|矫正期限|s20|4",
];

const GRID: &[&str] = &[
    "event_no|事件编号|s30|1",
    "event_type|事件类型|s50|1",
    "event_location|事发地址|s200|2",
    "report_time|上报时间|dt|1",
    "grid_name|所属网格|s100|1",
    "grid_member|网格员姓名|s50|2",
    "handling_status|办理状态|s1|1|1=待处理;2=处理中;3=已办结",
    "longitude|经度|d10.6|2",
    "latitude|纬度|d10.6|2",
];

const STATISTICS: &[&str] = &[
    "stat_period|统计期别|s7|1",
    "indicator_name|指标名称|s100|1",
    "indicator_value|指标值|d18.4|1",
    "indicator_unit|计量单位|s20|1",
    "yoy_growth|同比增长|d8.2|1||单位：%",
    "region_code|行政区划代码|s12|1",
    "output_value|工业总产值|d18.2|2||单位：万元",
    "employees|从业人员数|i|2",
];

const RECORD: &[&str] = &[
    "serial_number|业务流水号|s32|1",
    "handle_date|办理日期|date|1",
    "handling_org|办理机构|s100|1",
    "approval_result|审批结果|s1|1|1=准予许可;2=不予许可",
    "applicant|申请人|s200|1",
    "town|所属镇街|s50|1",
    "data_update_time|数据更新时间|dt|1",
    "remark|备注|t|1",
];

struct Subject {
    base: &'static str,
    business: &'static str,
    system: &'static str,
    category: &'static str,
    pools: &'static [&'static [&'static str]],
    suffixes: &'static [&'static str],
}

const fn s(
    base: &'static str,
    business: &'static str,
    system: &'static str,
    category: &'static str,
    pools: &'static [&'static [&'static str]],
    suffixes: &'static [&'static str],
) -> Subject {
    Subject { base, business, system, category, pools, suffixes }
}

const SUFFIXES: &[&str] =
    &["信息", "信息", "记录", "明细", "台账", "数据", "变更信息", "注销信息", "办件信息", "档案", "统计", "名录"];
const LICENSE_SUFFIXES: &[&str] = &["信息", "证照信息", "办件信息", "变更信息", "注销信息", "审批信息", "台账"];
const PERSON_SUFFIXES: &[&str] = &["信息", "记录", "明细", "台账", "档案", "变更信息", "名册"];

struct Agency {
    id: i64,
    name: &'static str,
    subjects: &'static [Subject],
}

const AGENCIES: &[Agency] = &[
    Agency {
        id: 2,
        name: "鄞州区市场监督管理局",
        subjects: &[
            s("企业登记", "企业设立登记", "浙江省市场主体登记管理系统", "market", &[ENTERPRISE, RECORD], SUFFIXES),
            s(
                "个体工商户登记",
                "个体工商户设立登记",
                "市场主体登记管理系统",
                "market",
                &[INDIVIDUAL_BUSINESS, RECORD],
                SUFFIXES,
            ),
            s(
                "食品经营许可",
                "食品经营许可证核发",
                "食品安全监管信息系统",
                "market",
                &[ENTERPRISE, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "企业年度报告",
                "企业年报公示",
                "国家企业信用信息公示系统",
                "credit",
                &[ENTERPRISE, STATISTICS],
                SUFFIXES,
            ),
            s(
                "市场监管行政处罚",
                "市场监管行政处罚",
                "市场监管执法办案系统",
                "market",
                &[PENALTY, ENTERPRISE],
                SUFFIXES,
            ),
            s(
                "经营异常名录",
                "经营异常名录管理",
                "国家企业信用信息公示系统",
                "credit",
                &[ENTERPRISE, RECORD],
                &["信息", "", "列入信息", "移出信息"],
            ),
            s("动产抵押登记", "动产抵押登记", "动产抵押登记系统", "finance_tax", &[ENTERPRISE, MORTGAGE], SUFFIXES),
            s(
                "特种设备使用登记",
                "特种设备使用登记",
                "特种设备安全监管系统",
                "market",
                &[ENTERPRISE, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 3,
        name: "鄞州区人力资源和社会保障局",
        subjects: &[
            s(
                "社会保险参保缴费",
                "社会保险费征缴",
                "社会保险信息管理系统",
                "social_security",
                &[PERSON, SOCIAL_INSURANCE],
                &["记录", "信息", "明细", "台账"],
            ),
            s(
                "社会保险参保登记",
                "社会保险参保登记",
                "社会保险信息管理系统",
                "social_security",
                &[PERSON, SOCIAL_INSURANCE],
                PERSON_SUFFIXES,
            ),
            s(
                "就业失业登记",
                "就业失业登记",
                "公共就业服务管理系统",
                "social_security",
                &[PERSON, EMPLOYMENT],
                PERSON_SUFFIXES,
            ),
            s(
                "职业技能等级证书",
                "职业技能等级认定",
                "职业技能鉴定管理系统",
                "social_security",
                &[PERSON, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "养老保险待遇发放",
                "养老保险待遇核定",
                "社会保险信息管理系统",
                "social_security",
                &[PERSON, PENSION],
                PERSON_SUFFIXES,
            ),
            s("劳动保障监察案件", "劳动保障监察", "劳动保障监察管理系统", "law", &[CASE, ENTERPRISE], SUFFIXES),
        ],
    },
    Agency {
        id: 4,
        name: "宁波市自然资源和规划局鄞州分局",
        subjects: &[
            s(
                "不动产登记",
                "不动产登记",
                "不动产登记信息管理平台",
                "resources",
                &[PROPERTY, PERSON, RECORD],
                &["簿", "簿信息", "信息", "办件信息", "变更信息"],
            ),
            s(
                "不动产抵押登记",
                "不动产抵押权登记",
                "不动产登记信息管理平台",
                "resources",
                &[PROPERTY, MORTGAGE],
                SUFFIXES,
            ),
            s(
                "建设用地规划许可",
                "建设用地规划许可证核发",
                "规划审批管理系统",
                "urban",
                &[PROJECT, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "建设工程规划许可",
                "建设工程规划许可证核发",
                "规划审批管理系统",
                "urban",
                &[PROJECT, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s("国有建设用地使用权出让", "土地出让", "土地市场动态监测监管系统", "resources", &[LAND, RECORD], SUFFIXES),
            s(
                "地质灾害隐患点",
                "地质灾害防治",
                "地质灾害监测预警系统",
                "geospatial",
                &[HAZARD],
                &["信息", "台账", "监测数据", "名录"],
            ),
        ],
    },
    Agency {
        id: 5,
        name: "宁波市公安局鄞州分局",
        subjects: &[
            s(
                "机动车驾驶证",
                "机动车驾驶证核发",
                "公安交通管理综合应用平台",
                "public_safety",
                &[DRIVER, PERSON],
                &["信息", "", "核发信息", "状态信息"],
            ),
            s("机动车登记", "机动车注册登记", "公安交通管理综合应用平台", "transport", &[VEHICLE, RECORD], SUFFIXES),
            s(
                "道路交通违法处理",
                "交通违法处理",
                "公安交通管理综合应用平台",
                "public_safety",
                &[VEHICLE, PENALTY],
                SUFFIXES,
            ),
            s(
                "户籍人口",
                "户籍管理",
                "人口信息管理系统",
                "public_safety",
                &[PERSON],
                &["信息", "基本信息", "变动信息", "统计"],
            ),
            s(
                "流动人口居住登记",
                "居住登记",
                "流动人口管理信息系统",
                "public_safety",
                &[PERSON, RECORD],
                PERSON_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 6,
        name: "鄞州区卫生健康局",
        subjects: &[
            s(
                "医疗机构执业许可",
                "医疗机构执业登记",
                "卫生健康监督管理系统",
                "health",
                &[MEDICAL_ORG, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s("医师执业注册", "医师执业注册", "医师电子化注册管理系统", "health", &[PERSON, DOCTOR], PERSON_SUFFIXES),
            s(
                "出生医学证明",
                "出生医学证明签发",
                "妇幼保健信息系统",
                "health",
                &[BIRTH],
                &["信息", "签发信息", "", "台账"],
            ),
            s(
                "预防接种",
                "预防接种服务",
                "免疫规划信息管理系统",
                "health",
                &[PERSON, VACCINATION],
                &["记录", "信息", "统计"],
            ),
        ],
    },
    Agency {
        id: 7,
        name: "鄞州区教育局",
        subjects: &[
            s(
                "学生学籍",
                "学籍管理",
                "中小学生学籍信息管理系统",
                "education",
                &[STUDENT],
                &["信息", "档案", "变动信息", "统计"],
            ),
            s(
                "义务教育入学报名",
                "义务教育招生入学",
                "招生入学服务平台",
                "education",
                &[STUDENT, PERSON],
                &["信息", "记录", "审核信息"],
            ),
            s(
                "教师资格认定",
                "教师资格认定",
                "教师资格管理信息系统",
                "education",
                &[PERSON, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "民办学校办学许可",
                "民办学校办学许可",
                "教育事业统计系统",
                "education",
                &[ORGANISATION, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 8,
        name: "鄞州区住房和城乡建设局",
        subjects: &[
            s(
                "建筑工程施工许可",
                "建筑工程施工许可证核发",
                "工程建设项目审批管理系统",
                "urban",
                &[PROJECT, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "商品房预售许可",
                "商品房预售许可",
                "房地产市场监管系统",
                "urban",
                &[PROJECT, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s("商品房网签备案", "商品房买卖合同网签备案", "房屋交易管理系统", "urban", &[PROPERTY, PERSON], SUFFIXES),
            s(
                "物业服务企业",
                "物业管理",
                "物业管理服务平台",
                "urban",
                &[ENTERPRISE, RECORD],
                &["信息", "名录", "信用信息"],
            ),
            s("城镇危旧房排查", "危旧房治理", "房屋安全管理系统", "urban", &[PROPERTY, GRID], SUFFIXES),
        ],
    },
    Agency {
        id: 9,
        name: "宁波市生态环境局鄞州分局",
        subjects: &[
            s(
                "排污许可",
                "排污许可证核发",
                "全国排污许可证管理信息平台",
                "environment",
                &[POLLUTION, ENTERPRISE],
                LICENSE_SUFFIXES,
            ),
            s(
                "建设项目环境影响评价审批",
                "环评审批",
                "环境影响评价审批系统",
                "environment",
                &[PROJECT, RECORD],
                SUFFIXES,
            ),
            s(
                "环境空气质量监测",
                "环境空气质量监测",
                "生态环境监测监控系统",
                "environment",
                &[MONITORING],
                &["数据", "小时数据", "日均值", "信息"],
            ),
            s(
                "生态环境行政处罚",
                "生态环境行政处罚",
                "生态环境执法系统",
                "environment",
                &[PENALTY, ENTERPRISE],
                SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 10,
        name: "鄞州区民政局",
        subjects: &[
            s(
                "最低生活保障",
                "最低生活保障审批",
                "社会救助信息管理系统",
                "civil_affairs",
                &[PERSON, ASSISTANCE],
                &["对象信息", "金发放信息", "审批信息", "名册"],
            ),
            s(
                "婚姻登记",
                "婚姻登记",
                "全国婚姻登记信息系统",
                "civil_affairs",
                &[PERSON, MARRIAGE],
                &["信息", "记录", "档案"],
            ),
            s(
                "社会组织登记",
                "社会组织登记",
                "社会组织管理信息系统",
                "organisations",
                &[ORGANISATION, RECORD],
                SUFFIXES,
            ),
            s(
                "特困人员救助供养",
                "特困人员认定",
                "社会救助信息管理系统",
                "civil_affairs",
                &[PERSON, ASSISTANCE],
                PERSON_SUFFIXES,
            ),
            s(
                "养老机构备案",
                "养老机构备案",
                "养老服务管理系统",
                "civil_affairs",
                &[ORGANISATION, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 11,
        name: "国家税务总局宁波市鄞州区税务局",
        subjects: &[
            s(
                "纳税信用等级评价",
                "纳税信用评价",
                "金税三期税收管理系统",
                "credit",
                &[TAX, ENTERPRISE],
                &["结果", "信息", "名单"],
            ),
            s("税务登记", "税务登记", "金税三期税收管理系统", "finance_tax", &[TAX, ENTERPRISE], SUFFIXES),
            s("欠税公告", "欠税公告", "金税三期税收管理系统", "finance_tax", &[TAX, ENTERPRISE], &["信息", "", "名单"]),
            s(
                "社会保险费征收",
                "社会保险费征收",
                "社会保险费征收系统",
                "social_security",
                &[ENTERPRISE, SOCIAL_INSURANCE],
                &["信息", "明细", "记录"],
            ),
        ],
    },
    Agency {
        id: 12,
        name: "鄞州区医疗保障局",
        subjects: &[
            s(
                "基本医疗保险参保",
                "基本医疗保险参保登记",
                "医疗保障信息平台",
                "health",
                &[PERSON, SOCIAL_INSURANCE],
                PERSON_SUFFIXES,
            ),
            s(
                "医疗费用结算",
                "医疗费用结算",
                "医疗保障信息平台",
                "health",
                &[PERSON, VACCINATION],
                &["明细", "记录", "信息"],
            ),
            s(
                "定点医药机构",
                "定点医药机构协议管理",
                "医疗保障信息平台",
                "health",
                &[MEDICAL_ORG],
                &["信息", "名录", "协议信息"],
            ),
        ],
    },
    Agency {
        id: 13,
        name: "鄞州区交通运输局",
        subjects: &[
            s(
                "道路运输经营许可",
                "道路运输经营许可",
                "道路运政管理信息系统",
                "transport",
                &[TRANSPORT, ENTERPRISE],
                LICENSE_SUFFIXES,
            ),
            s(
                "出租汽车驾驶员从业资格",
                "从业资格证核发",
                "道路运政管理信息系统",
                "transport",
                &[PERSON, TRANSPORT],
                PERSON_SUFFIXES,
            ),
            s(
                "公交线路",
                "公交线路管理",
                "城市公共交通管理系统",
                "transport",
                &[TRANSPORT],
                &["信息", "站点信息", "运营数据"],
            ),
        ],
    },
    Agency {
        id: 14,
        name: "鄞州区农业农村局",
        subjects: &[
            s(
                "农村土地承包经营权",
                "农村土地承包经营权确权登记",
                "农村土地承包信息管理系统",
                "industry",
                &[PROPERTY, PERSON],
                &["登记信息", "信息", "台账"],
            ),
            s(
                "农药经营许可",
                "农药经营许可",
                "农药管理信息平台",
                "industry",
                &[ENTERPRISE, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "家庭农场",
                "家庭农场认定",
                "新型农业经营主体信息系统",
                "industry",
                &[INDIVIDUAL_BUSINESS, STATISTICS],
                &["名录", "信息", "认定信息"],
            ),
        ],
    },
    Agency {
        id: 15,
        name: "鄞州区应急管理局",
        subjects: &[
            s(
                "危险化学品经营许可",
                "危险化学品经营许可",
                "危险化学品安全监管系统",
                "public_safety",
                &[ENTERPRISE, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
            s(
                "安全生产行政处罚",
                "安全生产执法",
                "安全生产执法信息系统",
                "public_safety",
                &[PENALTY, ENTERPRISE],
                SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 16,
        name: "鄞州区司法局",
        subjects: &[
            s("人民调解案件", "人民调解", "人民调解信息管理系统", "law", &[CASE], SUFFIXES),
            s("法律援助案件", "法律援助", "法律援助管理系统", "law", &[CASE, PERSON], SUFFIXES),
            s("社区矫正对象", "社区矫正", "社区矫正管理系统", "law", &[PERSON, CASE], &["信息", "档案", "台账"]),
        ],
    },
    Agency {
        id: 17,
        name: "鄞州区财政局",
        subjects: &[
            s(
                "政府采购合同",
                "政府采购",
                "政府采购云平台",
                "finance_tax",
                &[PROJECT, RECORD],
                &["信息", "公告信息", "备案信息"],
            ),
            s(
                "财政专项资金拨付",
                "专项资金管理",
                "预算管理一体化系统",
                "finance_tax",
                &[PROJECT, STATISTICS],
                SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 18,
        name: "鄞州区商务局",
        subjects: &[
            s(
                "对外贸易经营者备案",
                "对外贸易经营者备案登记",
                "商务业务系统统一平台",
                "commerce",
                &[ENTERPRISE, RECORD],
                SUFFIXES,
            ),
            s(
                "单用途商业预付卡备案",
                "预付卡备案",
                "单用途预付卡管理系统",
                "commerce",
                &[ENTERPRISE, RECORD],
                SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 19,
        name: "鄞州区经济和信息化局",
        subjects: &[
            s(
                "规模以上工业企业",
                "工业经济运行监测",
                "工业经济运行监测系统",
                "industry",
                &[ENTERPRISE, STATISTICS],
                &["名录", "运行数据", "信息"],
            ),
            s(
                "专精特新中小企业",
                "专精特新企业认定",
                "企业服务综合平台",
                "industry",
                &[ENTERPRISE, CERTIFICATE],
                &["名单", "认定信息", "信息"],
            ),
        ],
    },
    Agency {
        id: 20,
        name: "鄞州区科学技术局",
        subjects: &[
            s(
                "高新技术企业认定",
                "高新技术企业认定",
                "科技项目管理系统",
                "science",
                &[ENTERPRISE, CERTIFICATE],
                &["信息", "名单", "结果"],
            ),
            s("科技计划项目", "科技计划项目管理", "科技项目管理系统", "science", &[PROJECT, RECORD], SUFFIXES),
        ],
    },
    Agency {
        id: 21,
        name: "鄞州区文化和广电旅游体育局",
        subjects: &[
            s("文物保护单位", "文物保护", "文物资源管理系统", "education", &[HAZARD, RECORD], &["名录", "信息"]),
            s(
                "娱乐场所经营许可",
                "娱乐场所经营许可",
                "文化市场综合管理系统",
                "commerce",
                &[ENTERPRISE, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 22,
        name: "鄞州区综合行政执法局",
        subjects: &[
            s("城市管理行政处罚", "城市管理执法", "综合行政执法办案系统", "urban", &[PENALTY], SUFFIXES),
            s(
                "户外广告设置许可",
                "户外广告设置审批",
                "综合行政执法办案系统",
                "urban",
                &[ENTERPRISE, CERTIFICATE],
                LICENSE_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 23,
        name: "鄞州区退役军人事务局",
        subjects: &[
            s(
                "退役军人信息采集",
                "退役军人信息采集",
                "退役军人事务管理系统",
                "civil_affairs",
                &[PERSON, EMPLOYMENT],
                &["信息", "台账"],
            ),
            s(
                "优抚对象抚恤补助",
                "优抚对象抚恤补助发放",
                "退役军人事务管理系统",
                "civil_affairs",
                &[PERSON, PENSION],
                PERSON_SUFFIXES,
            ),
        ],
    },
    Agency {
        id: 24,
        name: "鄞州区残疾人联合会",
        subjects: &[s(
            "残疾人证",
            "残疾人证核发",
            "全国残疾人人口基础数据库",
            "civil_affairs",
            &[DISABILITY, PERSON],
            &["信息", "核发信息", "", "台账"],
        )],
    },
    Agency {
        id: 25,
        name: "鄞州区水利局",
        subjects: &[
            s("取水许可", "取水许可审批", "水资源管理系统", "resources", &[ENTERPRISE, CERTIFICATE], LICENSE_SUFFIXES),
            s("河道水位监测", "水文监测", "水雨情监测系统", "resources", &[MONITORING], &["数据", "实时数据", "信息"]),
        ],
    },
    Agency {
        id: 26,
        name: "鄞州区统计局",
        subjects: &[
            s(
                "地区生产总值",
                "国民经济核算",
                "统计联网直报平台",
                "economy",
                &[STATISTICS],
                &["数据", "季度数据", "统计"],
            ),
            s(
                "规模以上工业统计",
                "工业统计调查",
                "统计联网直报平台",
                "economy",
                &[STATISTICS, ENTERPRISE],
                &["数据", "月度数据"],
            ),
        ],
    },
    Agency {
        id: 27,
        name: "鄞州区发展和改革局",
        subjects: &[
            s(
                "企业投资项目备案",
                "企业投资项目备案",
                "投资项目在线审批监管平台",
                "economy",
                &[PROJECT, ENTERPRISE],
                SUFFIXES,
            ),
            s("公共信用评价", "公共信用评价", "公共信用信息平台", "credit", &[ENTERPRISE, TAX], &["结果", "信息"]),
        ],
    },
    Agency {
        id: 28,
        name: "宁波市住房公积金管理中心鄞州分中心",
        subjects: &[s(
            "住房公积金缴存",
            "住房公积金缴存",
            "住房公积金管理信息系统",
            "urban",
            &[PERSON, FUND],
            &["信息", "明细", "记录"],
        )],
    },
    Agency {
        id: 29,
        name: "鄞州区档案馆",
        subjects: &[s(
            "档案管理工作",
            "档案管理工作",
            "数字档案馆管理系统",
            "government",
            &[RECORD, CERTIFICATE],
            &["台账", "统计", "检查记录"],
        )],
    },
];

const TOWNS: &[&str] = &[
    "首南街道",
    "中河街道",
    "钟公庙街道",
    "下应街道",
    "潘火街道",
    "百丈街道",
    "东胜街道",
    "明楼街道",
    "白鹤街道",
    "东柳街道",
    "东郊街道",
    "福明街道",
    "新明街道",
    "邱隘镇",
    "五乡镇",
    "东吴镇",
    "咸祥镇",
    "瞻岐镇",
    "塘溪镇",
    "云龙镇",
    "横溪镇",
    "姜山镇",
];

/// What a town or street office registers.
const TOWN_SUBJECTS: &[Subject] = &[
    s("网格化管理事件", "基层治理网格管理", "基层治理综合信息平台", "government", &[GRID], &["信息", "台账", "统计"]),
    s("高龄津贴发放", "高龄津贴发放", "社会救助信息管理系统", "civil_affairs", &[PERSON, ASSISTANCE], PERSON_SUFFIXES),
    s("居民户籍人口", "户籍人口统计", "基层治理综合信息平台", "civil_affairs", &[PERSON], &["信息", "统计"]),
    s("出租房屋登记", "出租房屋管理", "流动人口管理信息系统", "public_safety", &[PROPERTY, PERSON], SUFFIXES),
    s("村级工程项目", "村级工程项目管理", "农村集体三资管理平台", "industry", &[PROJECT], SUFFIXES),
];

const TOWN_ID_BASE: i64 = 100;

const SURNAMES: &[&str] =
    &["王", "李", "张", "陈", "刘", "杨", "黄", "吴", "周", "徐", "孙", "胡", "朱", "林", "何", "郑"];
const GIVEN: &[&str] =
    &["伟", "芳", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"];

// ---- generation ------------------------------------------------------------------------

/// Every providing organisation: id and name (departments first, then towns and streets).
pub fn agencies() -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = AGENCIES.iter().map(|a| (a.id, a.name.to_string())).collect();
    for (i, town) in TOWNS.iter().enumerate() {
        out.push((TOWN_ID_BASE + i as i64, town_office(town)));
    }
    out
}

fn town_office(town: &str) -> String {
    if town.ends_with('镇') { format!("鄞州区{town}人民政府") } else { format!("鄞州区{town}办事处") }
}

/// `n` resources (ids 1..=n) of a realistic district catalog, the same for the same seed.
pub fn catalog(n: usize, seed: u64) -> Vec<IndexedResource> {
    catalog_iter(n, seed).collect()
}

/// The same resources as [`catalog`], one at a time (a large catalog need not be held in memory:
/// 100,000 resources take about 460 MiB).
pub fn catalog_iter(n: usize, seed: u64) -> impl Iterator<Item = IndexedResource> {
    (0..n).map(move |i| resource(seed, i))
}

fn parse_level(s: &str) -> Level {
    match s {
        "2" => Level::L2,
        "3" => Level::L3,
        "4" => Level::L4,
        _ => Level::L1,
    }
}

/// One item of the vocabulary (`code|name|type|level|code list|description`).
fn item(spec: &str) -> DataItem {
    let mut p = spec.split('|');
    let code = p.next().unwrap_or("item").to_string();
    let name = p.next().unwrap_or("数据项").to_string();
    let ty = p.next().unwrap_or("s50");
    let level = parse_level(p.next().unwrap_or("1"));
    let code_list: Vec<CodeEntry> = p
        .next()
        .unwrap_or("")
        .split(';')
        .filter_map(|e| e.split_once('='))
        .map(|(c, l)| CodeEntry { code: c.to_string(), label: l.to_string() })
        .collect();
    let description = p.next().unwrap_or("").to_string();
    let (item_type, length, precision, scale) = match ty {
        "t" => (ItemType::Text, None, None, None),
        "i" => (ItemType::Integer, None, None, None),
        "b" => (ItemType::Boolean, None, None, None),
        "date" => (ItemType::Date, None, None, None),
        "dt" => (ItemType::Datetime, None, None, None),
        "bin" => (ItemType::Binary, None, None, None),
        d if d.starts_with('d') => {
            let (p, s) = d[1..].split_once('.').unwrap_or(("18", "2"));
            (ItemType::Decimal, None, Some(p.parse().unwrap_or(18)), Some(s.parse().unwrap_or(2)))
        }
        s => (ItemType::String, Some(s.trim_start_matches('s').parse().unwrap_or(50)), None, None),
    };
    DataItem {
        code,
        name,
        item_type,
        length,
        precision,
        scale,
        required: false,
        unique_key: false,
        description,
        level,
        code_list,
    }
}

fn items(rng: &mut Rng, subject: &Subject) -> Vec<DataItem> {
    let pools = subject.pools;
    let mut out = Vec::new();
    let push = |out: &mut Vec<DataItem>, it: DataItem| {
        if !out.iter().any(|o: &DataItem| o.code == it.code || o.name == it.name) {
            out.push(it);
        }
    };
    if let Some(first) = pools.first().and_then(|p| p.first()) {
        push(&mut out, DataItem { required: true, unique_key: true, ..item(first) });
    }
    let candidates: Vec<&str> = pools.iter().flat_map(|p| p.iter().copied()).skip(1).collect();
    let want = 5 + rng.below(10);
    let mut tries = 0;
    while out.len() < want && tries < 60 && !candidates.is_empty() {
        tries += 1;
        let mut it = item(candidates[rng.below(candidates.len())]);
        it.required = rng.chance(0.4);
        push(&mut out, it);
    }
    if rng.chance(0.3) {
        push(&mut out, item(RECORD[6]));
    }
    out
}

fn contact(rng: &mut Rng) -> String {
    format!("{}{}{}", rng.pick(SURNAMES), rng.pick(GIVEN), if rng.chance(0.5) { *rng.pick(GIVEN) } else { "" })
}

fn resource(seed: u64, i: usize) -> IndexedResource {
    let mut rng = Rng::new(seed, i as u64);
    let (provider_org_id, provider_name, subject) = if rng.chance(0.78) {
        let a = rng.pick(AGENCIES);
        (a.id, a.name.to_string(), rng.pick(a.subjects))
    } else {
        let t = rng.below(TOWNS.len());
        (TOWN_ID_BASE + t as i64, town_office(TOWNS[t]), rng.pick(TOWN_SUBJECTS))
    };

    let scope = match rng.below(20) {
        0..=11 => String::new(),
        12..=16 => rng.pick(TOWNS).to_string(),
        _ => format!("{}年度", 2019 + rng.below(7)),
    };
    let suffix = *rng.pick(subject.suffixes);
    let name = format!("{scope}{}{suffix}", subject.base);
    let source_system =
        if rng.chance(0.3) { format!("鄞州区{}", subject.system) } else { subject.system.to_string() };
    let items = items(&mut rng, subject);

    let highest = items.iter().map(|i| i.level).max().unwrap_or(Level::L1);
    let level = if highest < Level::L4 && rng.chance(0.1) { Level::ALL[highest as usize + 1] } else { highest };
    // Percent unconditional / restricted (the rest: not shared), by level.
    let (unconditional, restricted) = match level {
        Level::L1 => (60, 92),
        Level::L2 => (40, 90),
        Level::L3 => (20, 85),
        Level::L4 => (0, 70),
    };
    let roll = rng.below(100);
    let share = if roll < unconditional {
        ShareAttribute::Unconditional
    } else if roll < restricted {
        ShareAttribute::Restricted {
            reason: if level >= Level::L3 { "涉及个人信息".into() } else { "涉及商业秘密".into() },
            conditions: format!("仅限用于{}相关业务办理，不得向第三方提供", subject.business),
        }
    } else {
        ShareAttribute::NotShared {
            legal_basis: "《中华人民共和国个人信息保护法》第十三条、第三十四条".into()
        }
    };
    let open = if matches!(share, ShareAttribute::NotShared { .. }) || level == Level::L4 {
        OpenAttribute::Prohibited {
            reason: if level >= Level::L3 { ProhibitionReason::PersonalOrCommercial } else { ProhibitionReason::Law },
        }
    } else {
        match (level, rng.below(10)) {
            (Level::L1, 0..=4) => OpenAttribute::Unconditional,
            (_, 0..=5) => {
                OpenAttribute::Restricted { conditions: "经脱敏处理并签订数据开放利用协议".into() }
            }
            _ => OpenAttribute::Prohibited { reason: ProhibitionReason::PersonalOrCommercial },
        }
    };
    let mut delivery: Vec<Delivery> = Delivery::ALL.iter().copied().filter(|_| rng.chance(0.45)).collect();
    if delivery.is_empty() {
        delivery.push(*rng.pick(Delivery::ALL));
    }
    let update_cycle = *rng.pick(&[
        UpdateCycle::Realtime,
        UpdateCycle::Daily,
        UpdateCycle::Daily,
        UpdateCycle::Weekly,
        UpdateCycle::Monthly,
        UpdateCycle::Monthly,
        UpdateCycle::Quarterly,
        UpdateCycle::Yearly,
        UpdateCycle::Irregular,
    ]);
    let shown: Vec<&str> = items.iter().take(3).map(|i| i.name.as_str()).collect();
    let description = format!(
        "{provider_name}在{}过程中形成的{name}，包括{}等{}个数据项，{}更新。",
        subject.business,
        shown.join("、"),
        items.len(),
        update_cycle.label_zh()
    );
    let doc = ResourceDocument {
        name,
        business_name: subject.business.to_string(),
        source_system,
        description,
        provider_org_id,
        category: subject.category.to_string(),
        level,
        storage_format: *rng.pick(&[
            StorageFormat::DatabaseTable,
            StorageFormat::DatabaseTable,
            StorageFormat::DatabaseTable,
            StorageFormat::Spreadsheet,
            StorageFormat::File,
        ]),
        share,
        open,
        delivery,
        update_cycle,
        share_term: if rng.chance(0.7) {
            ShareTerm::LongTerm
        } else {
            ShareTerm::Months { months: *rng.pick(&[12, 24, 36]) }
        },
        contact_name: contact(&mut rng),
        contact_phone: format!("0574-8{:07}", rng.below(10_000_000)),
        contact_email: if rng.chance(0.5) { format!("data{provider_org_id}@yinzhou.gov.cn") } else { String::new() },
        state_secret: false,
        items,
    };

    let compiler_org_id = if rng.chance(0.85) { provider_org_id } else { AUTHORITY_ORG_ID };
    let working_state = *rng.pick(&[
        ReviewState::Draft,
        ReviewState::Draft,
        ReviewState::Submitted,
        ReviewState::ProviderConfirmed,
        ReviewState::Approved,
    ]);
    let (published, working) = match rng.below(100) {
        0..=79 => (Some(doc), None),
        80..=87 => {
            let mut revised = doc.clone();
            revised.description.push_str("（修订中：补充数据项说明）");
            revised.update_cycle = UpdateCycle::Daily;
            (Some(doc), Some((working_state, revised)))
        }
        _ => (None, Some((working_state, doc))),
    };
    // Between 2023-01-01 and mid-2026.
    let at = 1_672_531_200 + rng.below(110_000_000) as i64;
    let updated_at = time::OffsetDateTime::from_unix_timestamp(at)
        .map(pubdata_domain::timefmt::format_instant)
        .unwrap_or_else(|_| "2024-01-01T00:00:00.000000Z".to_string());
    IndexedResource { resource_id: i as i64 + 1, compiler_org_id, provider_name, published, working, updated_at }
}

/// Realistic queries of one to three words, as catalog users type them.
pub fn queries() -> Vec<&'static str> {
    vec![
        "企业 登记",
        "企业登记信息",
        "社保",
        "社保缴费",
        "社会保险 参保",
        "参保状态",
        "不动产",
        "不动产 抵押",
        "不动产登记簿",
        "驾驶证",
        "机动车 登记",
        "交通违法",
        "学籍 信息",
        "学生学籍",
        "入学 报名",
        "医疗机构 执业许可",
        "医师",
        "出生医学证明",
        "预防接种",
        "建设工程 规划许可",
        "施工许可",
        "商品房 预售",
        "排污许可",
        "环境 监测",
        "空气质量",
        "行政处罚",
        "处罚 决定书",
        "最低生活保障",
        "低保",
        "婚姻登记",
        "社会组织",
        "纳税信用",
        "欠税",
        "医保 结算",
        "公积金",
        "道路运输 许可",
        "公交线路",
        "土地承包",
        "危险化学品",
        "法律援助",
        "政府采购",
        "高新技术企业",
        "残疾人证",
        "取水许可",
        "统一社会信用代码",
        "身份证号码",
        "法定代表人",
        "网格 事件",
        "首南街道 企业",
        "食品经营许可证",
        "经营异常名录",
        "养老保险 待遇",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_catalogs_are_deterministic_prefixes() {
        let a = catalog(50, 7);
        assert_eq!(a, catalog(50, 7));
        assert_eq!(a[..10], catalog(10, 7)[..]);
        assert_ne!(a, catalog(50, 8));
    }

    #[test]
    fn art_7_generated_documents_pass_the_domain_rules() {
        let resources = catalog(3000, 1);
        let mut published = 0;
        let mut both = 0;
        for r in &resources {
            for doc in r.published.iter().chain(r.working.iter().map(|(_, d)| d)) {
                let problems = doc.problems();
                assert!(problems.is_empty(), "{}: {problems:?}", doc.name);
                assert!((5..=16).contains(&doc.items.len()), "{}", doc.items.len());
            }
            published += usize::from(r.published.is_some());
            both += usize::from(r.published.is_some() && r.working.is_some());
            assert_eq!(r.updated_at.len(), "2026-11-27T08:00:00.000000Z".len());
        }
        assert!(published > 2400 && published < 2800, "{published}");
        assert!(both > 150, "{both}");
        let names: std::collections::HashSet<&str> =
            resources.iter().filter_map(|r| r.published.as_ref()).map(|d| d.name.as_str()).collect();
        assert!(names.len() > 1000, "names repeat too much: {}", names.len());
    }

    #[test]
    fn every_vocabulary_item_is_valid() {
        let pools = AGENCIES
            .iter()
            .flat_map(|a| a.subjects.iter())
            .chain(TOWN_SUBJECTS.iter())
            .flat_map(|s| s.pools.iter())
            .flat_map(|p| p.iter());
        for spec in pools {
            assert_eq!(spec.split('|').count().clamp(4, 6), spec.split('|').count(), "{spec}");
            let it = item(spec);
            let doc = ResourceDocument {
                level: Level::L4,
                open: OpenAttribute::Prohibited { reason: ProhibitionReason::Law },
                items: vec![it],
                ..catalog(1, 1)[0].published.clone().or_else(|| catalog(1, 1)[0].working.clone().map(|w| w.1)).unwrap()
            };
            assert_eq!(doc.problems(), vec![], "{spec}");
        }
        assert!(queries().len() >= 50);
    }
}
