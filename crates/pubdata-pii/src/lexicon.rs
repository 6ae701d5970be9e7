//! Word lists used by the column detector: Chinese surnames, organisation and product endings,
//! address markers and header keywords.

/// Single-character Chinese surnames: the ~300 most frequent nationally (Ministry of Public
/// Security household-registration statistics) plus surnames that are common in Zhejiang
/// (应 楼 邬 竺 忻 茅 裘 屠 厉 斯 诸 翁 缪 濮 泮 …). Sorted by code point for binary search.
const SURNAMES: [char; 337] = [
    '丁', '万', '丘', '丛', '严', '丰', '乐', '乔', '于', '井', '仇', '付', '仝', '仲', '任', '伍', '伏', '何', '佘',
    '余', '佟', '佴', '侯', '俞', '俸', '倪', '傅', '党', '全', '兰', '关', '冀', '冉', '农', '冯', '冷', '凌', '刁',
    '刘', '劳', '包', '华', '卓', '单', '卜', '卞', '占', '卢', '危', '厉', '原', '史', '叶', '司', '向', '吕', '吴',
    '周', '和', '唐', '商', '喻', '夏', '姚', '姜', '姬', '娄', '孔', '孙', '孟', '季', '宁', '安', '宋', '宗', '宣',
    '宫', '容', '宿', '寇', '封', '尉', '尚', '尤', '尹', '屈', '屠', '岑', '岳', '崔', '左', '巩', '巫', '巴', '帅',
    '席', '常', '平', '庄', '应', '庞', '康', '廉', '廖', '张', '强', '彭', '徐', '忻', '惠', '戎', '成', '戚', '戴',
    '房', '扈', '揭', '敖', '文', '斯', '方', '於', '施', '时', '明', '易', '晁', '晋', '晏', '景', '曲', '曹', '曾',
    '朱', '权', '李', '杜', '杨', '林', '柏', '查', '柯', '柳', '柴', '栗', '栾', '桂', '桑', '梁', '梅', '楼', '樊',
    '檀', '欧', '武', '段', '殷', '毕', '毛', '江', '池', '汤', '汪', '沈', '沙', '泮', '洪', '涂', '温', '游', '湛',
    '滑', '滕', '潘', '濮', '焦', '熊', '燕', '牛', '牟', '王', '甄', '甘', '田', '申', '白', '盛', '眭', '瞿', '石',
    '祁', '祝', '禹', '秋', '秦', '程', '穆', '窦', '章', '童', '竺', '符', '简', '管', '米', '粟', '糜', '綦', '纪',
    '缪', '罗', '羊', '翁', '翟', '耿', '聂', '肖', '胡', '胥', '臧', '舒', '艾', '芦', '芮', '花', '苏', '苑', '苗',
    '范', '茅', '荀', '荆', '荣', '莫', '葛', '董', '蒋', '蒙', '蒲', '蓝', '蓬', '蔚', '蔡', '薄', '薛', '虞', '袁',
    '裘', '裴', '褚', '覃', '解', '訾', '詹', '计', '许', '诸', '谈', '谌', '谢', '谭', '谷', '贝', '贲', '费', '贺',
    '贾', '赖', '赵', '路', '车', '辛', '辜', '边', '过', '连', '逯', '邓', '邝', '邢', '那', '邬', '邰', '邱', '邴',
    '邵', '邸', '邹', '郁', '郑', '郗', '郜', '郝', '郦', '郭', '鄢', '金', '钟', '钭', '钮', '钱', '闫', '闵', '闻',
    '阎', '阮', '阳', '陆', '陈', '陶', '隋', '雍', '雒', '雷', '霍', '靳', '鞠', '韦', '韩', '韶', '项', '顾', '颜',
    '饶', '马', '骆', '高', '魏', '鲁', '鲍', '麦', '麻', '黄', '黎', '齐', '龙', '龚',
];

/// Two-character (compound) surnames.
pub(crate) const COMPOUND_SURNAMES: [&str; 30] = [
    "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "夏侯", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "令狐",
    "澹台", "端木", "南宫", "西门", "独孤", "呼延", "闻人", "轩辕", "钟离", "百里", "万俟", "申屠", "太史", "赫连",
    "第五", "公冶",
];

pub(crate) fn is_surname(c: char) -> bool {
    SURNAMES.binary_search(&c).is_ok()
}

/// Endings of organisation names (enterprises, branches, shops, public bodies). A value ending in
/// one of these is neither a person's name nor an address.
pub(crate) const ORG_SUFFIXES: [&str; 52] = [
    "公司",
    "集团",
    "厂",
    "店",
    "部",
    "社",
    "中心",
    "行",
    "馆",
    "所",
    "站",
    "场",
    "院",
    "局",
    "处",
    "商会",
    "校",
    "厅",
    "亭",
    "点",
    "队",
    "坊",
    "铺",
    "吧",
    "合伙",
    "工作室",
    "幼儿园",
    "超市",
    "银行",
    "酒家",
    "酒楼",
    "宾馆",
    "饭店",
    "餐厅",
    "委员会",
    "协会",
    "工会",
    "学校",
    "医院",
    "诊所",
    "药房",
    "联社",
    "个体工商户",
    "企业",
    "事务所",
    "商城",
    "农庄",
    "实业",
    "科技",
    "工作站",
    "办公室",
    "车间",
];

/// Endings that look like organisation suffixes but end addresses (市场, 广场, 停车场 …).
pub(crate) const ADDRESS_ENDINGS_NOT_ORG: [&str; 4] = ["市场", "广场", "商场", "停车场"];

/// Values that stand for "no value" in delivered data. Matched ASCII-case-insensitively.
pub(crate) const EMPTY_MARKERS: [&str; 17] =
    ["-", "--", "---", "—", "——", "/", "\\", "无", "暂无", "空", "不详", "n/a", "na", "#n/a", "null", "none", "nil"];

/// Characters that end product, organisation, place and generic nouns and hardly ever end a given
/// name. A 2-4 character value ending in one of these is not taken as a person's name.
pub(crate) fn is_non_name_last(c: char) -> bool {
    matches!(
        c,
        '司' | '厂'
            | '店'
            | '部'
            | '社'
            | '局'
            | '院'
            | '所'
            | '站'
            | '场'
            | '处'
            | '馆'
            | '校'
            | '厅'
            | '亭'
            | '队'
            | '行'
            | '业'
            | '品'
            | '类'
            | '菜'
            | '瓜'
            | '米'
            | '面'
            | '油'
            | '酒'
            | '机'
            | '器'
            | '车'
            | '表'
            | '费'
            | '款'
            | '税'
            | '省'
            | '市'
            | '区'
            | '县'
            | '镇'
            | '乡'
            | '村'
            | '州'
            | '路'
            | '街'
            | '巷'
            | '号'
            | '楼'
            | '证'
            | '书'
            | '单'
            | '卡'
            | '码'
            | '料'
            | '材'
            | '具'
            | '剂'
            | '药'
            | '粉'
            | '布'
            | '纸'
            | '板'
            | '管'
            | '线'
            | '网'
            | '库'
            | '仓'
            | '色'
            | '额'
            | '级'
            | '族'
            | '式'
            | '型'
            | '期'
            | '度'
            | '率'
            | '量'
            | '数'
            | '段'
            | '制'
            | '性'
            | '物'
            | '货'
            | '件'
            | '包'
            | '箱'
            | '袋'
            | '盒'
            | '瓶'
            | '罐'
            | '鞋'
            | '帽'
            | '衣'
            | '裤'
            | '袜'
            | '灯'
            | '锅'
            | '碗'
            | '杯'
            | '壶'
            | '刀'
            | '笔'
            | '糖'
            | '肉'
            | '鱼'
            | '虾'
            | '蛋'
            | '奶'
            | '汁'
            | '饼'
            | '糕'
            | '粮'
            | '豆'
            | '薯'
            | '葱'
            | '蒜'
            | '椒'
            | '菇'
            | '笋'
            | '枣'
            | '梨'
            | '茶'
            | '柜'
            | '床'
            | '桌'
            | '椅'
            | '盘'
            | '屏'
            | '厢'
            | '套'
            | '组'
            | '项'
            | '份'
            | '次'
            | '斤'
            | '吨'
    )
}

/// Role of a character in an address.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrClass {
    /// Administrative division: 省 市 区 县 镇 乡 村 旗 盟 州.
    Admin,
    /// Street: 路 街 巷 弄 道.
    Street,
    /// Building or house: 号 室 幢 栋 楼 层 座 苑 组 厦.
    Building,
    /// Enumeration or sentence punctuation (、；。：！？ and their ASCII forms), which addresses
    /// practically never contain and business scopes and descriptions nearly always do.
    TextPunct,
    Other,
}

pub(crate) fn addr_class(c: char) -> AddrClass {
    match c {
        '省' | '市' | '区' | '县' | '镇' | '乡' | '村' | '旗' | '盟' | '州' => AddrClass::Admin,
        '路' | '街' | '巷' | '弄' | '道' => AddrClass::Street,
        '号' | '室' | '幢' | '栋' | '楼' | '层' | '座' | '苑' | '组' | '厦' => AddrClass::Building,
        '、' | '；' | '。' | '：' | '！' | '？' | ';' | '，' | '!' | '?' => AddrClass::TextPunct,
        _ => AddrClass::Other,
    }
}

/// CJK unified ideographs (basic block, extension A and the supplementary-plane extensions).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{2EBEF}' | '\u{30000}'..='\u{3134F}' | '〇')
}
