//! The UI's words in Simplified Chinese (the default) and English. One table, so that a key
//! cannot exist in one language and not the other; a test checks every key the templates use.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" | "zh-Hans" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn is_en(self) -> bool {
        self == Lang::En
    }

    /// Picks the text in this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }

    pub fn t(self, key: &str) -> &'static str {
        match TABLE.get(key) {
            Some((zh, en)) => self.pick(zh, en),
            None => {
                tracing::warn!(key, "missing UI text");
                "??"
            }
        }
    }
}

static TABLE: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| TEXTS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());

/// (key, 中文, English)
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "公共数据平台", "Public Data Platform"),
    (
        "app.tagline",
        "鄞州区公共数据管理办法 · 编目、归集、共享、开放、治理、安全、监督",
        "Yinzhou Public Data Management Measures: catalogue, aggregate, share, open, govern, secure, supervise",
    ),
    ("nav.home", "首页", "Home"),
    ("nav.orgs", "组织机构", "Organisations"),
    ("nav.users", "用户", "Users"),
    ("nav.audit", "安全审计", "Audit trail"),
    ("nav.calendar", "工作日历", "Working days"),
    ("nav.tokens", "API 令牌", "API tokens"),
    ("nav.password", "修改密码", "Change password"),
    ("nav.logout", "退出", "Log out"),
    ("nav.login", "登录", "Log in"),
    ("nav.register", "注册", "Register"),
    ("nav.switch_lang", "English", "中文"),
    ("common.save", "保存", "Save"),
    ("common.create", "新建", "Create"),
    ("common.edit", "编辑", "Edit"),
    ("common.cancel", "取消", "Cancel"),
    ("common.search", "查询", "Search"),
    ("common.actions", "操作", "Actions"),
    ("common.status", "状态", "Status"),
    ("common.name", "名称", "Name"),
    ("common.name_en", "英文名称", "English name"),
    ("common.none", "无", "None"),
    ("common.yes", "是", "Yes"),
    ("common.no", "否", "No"),
    ("common.active", "在用", "Active"),
    ("common.inactive", "停用", "Inactive"),
    ("common.disabled", "已停用", "Disabled"),
    ("common.created_at", "创建时间", "Created"),
    ("common.next_page", "下一页", "Next page"),
    ("common.back", "返回", "Back"),
    ("common.optional", "（选填）", "(optional)"),
    ("common.error_title", "出错了", "Something went wrong"),
    ("common.not_found", "页面不存在", "Page not found"),
    ("common.forbidden", "无权访问", "Access denied"),
    ("common.missing_permission", "缺少权限", "Missing permission"),
    ("login.title", "登录", "Log in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("login.failed", "用户名或密码错误。", "Wrong username or password."),
    ("login.throttled", "失败次数过多，请稍后再试。", "Too many failed attempts; try again later."),
    ("login.no_account", "社会公众可注册账号使用开放数据。", "Members of the public can register to use open data."),
    ("logout.done", "您已安全退出。", "You have logged out."),
    ("register.title", "社会公众注册", "Public registration"),
    ("register.display_name", "姓名或称呼", "Name"),
    ("register.email", "电子邮箱", "E-mail"),
    ("register.phone", "手机号码", "Mobile phone"),
    ("register.submit", "注册", "Register"),
    ("register.done", "注册成功，请登录。", "Registered; please log in."),
    ("register.closed", "本平台暂不开放注册。", "Registration is closed on this platform."),
    ("password.title", "修改密码", "Change password"),
    ("password.current", "当前密码", "Current password"),
    ("password.new", "新密码", "New password"),
    ("password.repeat", "再次输入新密码", "Repeat new password"),
    ("password.mismatch", "两次输入的新密码不一致", "The new passwords differ"),
    (
        "password.policy",
        "至少 10 个字符，包含小写字母、大写字母、数字、其他字符中的三类，且不含用户名。",
        "At least 10 characters with three of: lower case, upper case, digits, other characters; not containing the username.",
    ),
    (
        "password.must_change",
        "您的密码为系统生成的一次性密码，请先修改密码。",
        "Your password was generated for one-time use; please change it first.",
    ),
    ("password.changed", "密码已修改。", "Your password has been changed."),
    ("home.title", "工作台", "Dashboard"),
    ("home.welcome", "您好", "Hello"),
    ("home.your_role", "您的角色", "Your role"),
    ("home.your_org", "所属单位", "Organisation"),
    ("home.permissions", "您拥有的权限", "Your permissions"),
    ("home.platform", "平台概况", "Platform"),
    ("home.org_count", "组织机构数", "Organisations"),
    ("home.user_count", "用户数", "Users"),
    ("home.audit_head", "审计记录条数", "Audit entries"),
    ("home.agency_users", "本单位用户", "Users of your agency"),
    ("home.recent_activity", "本单位最近操作", "Recent activity in your agency"),
    ("home.recent_denials", "最近的拒绝与登录失败", "Recent refusals and failed logins"),
    (
        "home.calendar_warning",
        "以下年份的法定节假日安排尚未录入，期限计算仅按周末扣除：",
        "The official holiday arrangement of these years has not been entered; deadlines there skip weekends only:",
    ),
    ("home.calendar_ok", "工作日历已录入至", "Working-day calendar entered up to"),
    (
        "role.authority_admin",
        "负责平台运行：管理组织机构与用户，审批全区目录，监督检查。",
        "Runs the platform: organisations and users, approves the district catalog, inspects.",
    ),
    (
        "role.authority_staff",
        "审核目录、协调数据需求、监测数据质量。",
        "Reviews catalogs, coordinates data demands, monitors quality.",
    ),
    ("role.agency_admin", "管理本单位的用户账号。", "Manages your agency's user accounts."),
    (
        "role.agency_data_officer",
        "编制本单位目录、归集数据、答复共享申请、申请其他单位数据。",
        "Compiles your agency's catalog, delivers its data, answers share requests, requests others' data.",
    ),
    (
        "role.accountable_head",
        "对本单位数据安全负总责（第二十六条），接收本单位安全告警。",
        "Answers for your agency's data security (Art.26) and receives its alerts.",
    ),
    (
        "role.supervisor",
        "只读监督：分类分级、审计记录、告警与事件。",
        "Read-only oversight: classification, audit trail, alerts and incidents.",
    ),
    (
        "role.service_unit",
        "执行数据清洗、比对、校核等技术任务，无审批权限。",
        "Runs cleansing, cross-check and verification jobs; no approval powers.",
    ),
    (
        "role.public_user",
        "浏览、下载开放数据，申请受限开放数据，反馈问题。",
        "Browses and downloads open data, applies for restricted open data, reports problems.",
    ),
    ("orgs.title", "组织机构", "Organisations"),
    ("orgs.kind", "类型", "Kind"),
    ("orgs.category", "机构类别", "Category"),
    ("orgs.parent", "上级组织", "Parent"),
    ("orgs.credit_code", "统一社会信用代码", "Unified social credit code"),
    ("orgs.new", "新增组织", "Add an organisation"),
    ("orgs.edit", "编辑组织", "Edit organisation"),
    ("orgs.created", "组织已创建。", "Organisation created."),
    ("orgs.saved", "组织已保存。", "Organisation saved."),
    ("orgs.users", "用户", "Users"),
    ("users.title", "用户管理", "Users"),
    ("users.username", "用户名", "Username"),
    ("users.display_name", "姓名", "Name"),
    ("users.org", "所属单位", "Organisation"),
    ("users.role", "角色", "Role"),
    ("users.last_login", "最近登录", "Last login"),
    ("users.new", "新增用户", "Add a user"),
    ("users.edit", "编辑用户", "Edit user"),
    ("users.email", "电子邮箱", "E-mail"),
    ("users.phone", "电话", "Phone"),
    (
        "users.created",
        "用户已创建。请将下列一次性密码告知本人，首次登录须修改：",
        "User created. Give this one-time password to its owner; it must be changed at first login:",
    ),
    ("users.saved", "用户已保存。", "User saved."),
    ("users.reset", "重置密码", "Reset password"),
    (
        "users.reset_done",
        "密码已重置。新的一次性密码（仅显示一次）：",
        "Password reset. The new one-time password (shown once):",
    ),
    ("users.all_orgs", "全部单位", "All organisations"),
    ("users.demo", "演示账号", "Demo account"),
    ("tokens.title", "API 令牌", "API tokens"),
    (
        "tokens.intro",
        "程序调用 API 时使用令牌（Authorization: Bearer …）。令牌只在创建时显示一次，平台仅保存其摘要。",
        "Programs call the API with a token (Authorization: Bearer …). A token is shown once, when created; the platform keeps only its digest.",
    ),
    ("tokens.name", "用途", "Purpose"),
    ("tokens.scope", "权限范围", "Scope"),
    ("tokens.expires", "有效期（天）", "Lifetime (days)"),
    ("tokens.expires_at", "到期时间", "Expires"),
    ("tokens.last_used", "最近使用", "Last used"),
    ("tokens.prefix", "前缀", "Prefix"),
    ("tokens.new", "创建令牌", "Create a token"),
    (
        "tokens.created",
        "令牌已创建。请立即复制保存，离开本页后将无法再次查看：",
        "Token created. Copy it now; it cannot be shown again:",
    ),
    ("tokens.revoke", "吊销", "Revoke"),
    ("tokens.revoked", "已吊销", "Revoked"),
    ("tokens.expired", "已过期", "Expired"),
    ("tokens.revoked_done", "令牌已吊销。", "Token revoked."),
    ("tokens.all_scope", "不选则包含您的全部权限", "Leave all unticked for all your permissions"),
    ("audit.title", "安全审计", "Audit trail"),
    (
        "audit.intro",
        "每项操作和数据访问都记录在以 SM3 哈希链接的审计链中（第二十七条），记录只增不改。",
        "Every action and data access is recorded in an SM3 hash chain (Art.27); entries are never changed.",
    ),
    ("audit.seq", "序号", "No."),
    ("audit.time", "时间", "Time"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.action", "操作", "Action"),
    ("audit.object", "对象", "Object"),
    ("audit.outcome", "结果", "Outcome"),
    ("audit.source", "来源", "Source"),
    ("audit.summary", "摘要", "Summary"),
    ("audit.since", "起始日期", "From"),
    ("audit.until", "截止日期", "Until"),
    ("audit.verify", "校验审计链", "Verify the chain"),
    ("audit.verify_ok", "审计链完整", "The audit chain is intact"),
    ("audit.verify_broken", "审计链被破坏", "The audit chain is broken"),
    ("audit.entries", "条记录", "entries"),
    ("audit.head_hash", "链头哈希（请留存以备核对）", "Head hash (keep it to compare later)"),
    ("audit.export", "导出 JSON Lines", "Export JSON Lines"),
    ("calendar.title", "工作日历", "Working-day calendar"),
    (
        "calendar.intro",
        "平台的所有期限均按工作日计算：周一至周五为工作日，法定节假日除外，调休上班日计入。",
        "Every deadline counts working days: Monday to Friday, except public holidays, plus make-up working days.",
    ),
    ("calendar.year", "年份", "Year"),
    ("calendar.entered", "已录入国务院办公厅节假日安排", "The State Council's holiday arrangement is entered"),
    (
        "calendar.not_entered",
        "尚未录入该年度节假日安排：期限计算仅扣除周末。",
        "This year's holiday arrangement is not entered: deadlines skip weekends only.",
    ),
    ("calendar.working_days", "全年工作日", "Working days in the year"),
    ("calendar.date", "日期", "Date"),
    ("calendar.kind", "类型", "Kind"),
    ("calendar.holiday", "放假", "Holiday"),
    ("calendar.workday", "调休上班", "Make-up working day"),
    ("calendar.day_name", "名称", "Name"),
    ("calendar.weekday", "星期", "Weekday"),
    ("calendar.set_day", "设置日期", "Set a date"),
    ("calendar.remove", "删除", "Remove"),
    ("calendar.mark_year", "标记本年度安排已录入", "Mark this year's arrangement as entered"),
    ("calendar.source", "依据（通知文号）", "Source (notice)"),
    ("calendar.saved", "工作日历已更新。", "Calendar updated."),
    ("calendar.deadline", "期限计算", "Deadline calculator"),
    ("calendar.from", "起算日", "Start date"),
    ("calendar.days", "工作日数", "Working days"),
    ("calendar.result", "期限届满日", "Deadline"),
    ("flash.saved", "已保存。", "Saved."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        assert_eq!(TABLE.len(), TEXTS.len(), "a key appears twice in TEXTS");
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(TABLE.contains_key(key), "{}: missing UI text {key:?}", path.display());
                checked += 1;
            }
        }
        assert!(checked > 50, "templates use the table ({checked} keys)");
    }
}
