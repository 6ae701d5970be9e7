//! Administration pages: the organisation tree and user accounts.

use super::{FlashQuery, PageCtx, done, error_page, render, render_status};
use crate::AppState;
use crate::api::orgs::{org_change, parse_category, parse_kind};
use crate::auth::{Page, perm};
use crate::error::ApiError;
use crate::extract::CsrfForm;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pubdata_domain::identity::{
    AgencyCategory, NewOrganisation, OrgKind, OrgName, Organisation, Permission, Role, User,
};
use pubdata_domain::ids::{OrgId, UserId};
use pubdata_store::identity::{NewUserInput, UserChange, orgs, users};
use serde::Deserialize;

/// An organisation as the tree table shows it.
pub struct OrgRow {
    pub org: Organisation,
    pub depth: usize,
    pub indent: String,
    pub kind: &'static str,
    pub category: &'static str,
}

fn org_rows(lang: Lang, all: &[Organisation]) -> Vec<OrgRow> {
    orgs::depths(all)
        .into_iter()
        .zip(all)
        .map(|(depth, o)| OrgRow {
            org: o.clone(),
            depth,
            indent: "\u{3000}".repeat(depth),
            kind: lang.pick(o.kind.label_zh(), o.kind.label_en()),
            category: o.category.map_or("", |c| lang.pick(c.label_zh(), c.label_en())),
        })
        .collect()
}

fn kinds(lang: Lang) -> Vec<(&'static str, &'static str)> {
    [OrgKind::Agency, OrgKind::TownStreet, OrgKind::ServiceUnit]
        .iter()
        .map(|k| (k.as_str(), lang.pick(k.label_zh(), k.label_en())))
        .collect()
}

fn categories(lang: Lang) -> Vec<(&'static str, &'static str)> {
    AgencyCategory::ALL.iter().map(|c| (c.as_str(), lang.pick(c.label_zh(), c.label_en()))).collect()
}

#[derive(Deserialize, Default)]
pub struct OrgForm {
    parent_id: String,
    kind: String,
    category: String,
    name: String,
    name_en: String,
    credit_code: String,
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    ctx: PageCtx,
    rows: Vec<OrgRow>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    form: OrgForm,
}

async fn orgs_page(
    state: &AppState,
    page: &Page<impl Sized>,
    ctx: PageCtx,
    form: OrgForm,
    status: StatusCode,
) -> Response {
    let lang = page.lang;
    let all = match orgs::list(&state.store, &page.caller).await {
        Ok(all) => all,
        Err(e) => return error_page(lang, e.into()),
    };
    let page = OrgsPage {
        ctx,
        rows: org_rows(lang, &all),
        can_manage: page.caller.principal.has(Permission::OrgManage),
        kinds: kinds(lang),
        categories: categories(lang),
        form,
    };
    render_status(status, &page)
}

pub async fn orgs(
    State(state): State<AppState>,
    page: Page<perm::OrgRead>,
    uri: Uri,
    Query(q): Query<FlashQuery>,
) -> Response {
    let ctx = PageCtx::new(&page, "orgs.title", &uri, q.flash.as_deref()).crumb("orgs.title", "/admin/organisations");
    orgs_page(&state, &page, ctx, OrgForm::default(), StatusCode::OK).await
}

fn opt(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

pub async fn create_org(
    State(state): State<AppState>,
    page: Page<perm::OrgManage>,
    uri: Uri,
    form: CsrfForm<OrgForm>,
) -> Response {
    let f = form.value;
    let result = async {
        let parent = f
            .parent_id
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("parent_id", "请选择上级组织", "choose a parent"))?;
        let new = NewOrganisation::new(
            Some(OrgId(parent)),
            parse_kind(&f.kind)?,
            parse_category(opt(&f.category))?,
            OrgName::parse(&f.name, opt(&f.name_en))?,
            opt(&f.credit_code),
        )?;
        Ok::<_, ApiError>(orgs::create(&state.store, &page.caller, new).await?)
    }
    .await;
    match result {
        Ok(org) => done(&format!("/admin/organisations/{}", org.id), "orgs.created"),
        Err(e) => {
            let ctx =
                PageCtx::new(&page, "orgs.title", &uri, None).crumb("orgs.title", "/admin/organisations").error(&e);
            orgs_page(&state, &page, ctx, f, e.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    ctx: PageCtx,
    org: Organisation,
    kind: &'static str,
    parent_name: String,
    can_manage: bool,
    parents: Vec<OrgRow>,
    categories: Vec<(&'static str, &'static str)>,
    users: Option<Vec<UserRow>>,
    form: OrgForm,
}

async fn org_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    error: Option<(ApiError, OrgForm)>,
) -> Response {
    let lang = page.lang;
    let caller = &page.caller;
    let org = match orgs::get(&state.store, caller, OrgId(id)).await {
        Ok(o) => o,
        Err(e) => return error_page(lang, e.into()),
    };
    let all = orgs::list(&state.store, caller).await.unwrap_or_default();
    let parent_name = org
        .parent_id
        .and_then(|p| all.iter().find(|o| o.id == p))
        .map(|o| o.display_name(lang.is_en()).to_string())
        .unwrap_or_default();
    let users = if caller.principal.has(Permission::UserRead) && caller.principal.sees_org(org.id) {
        users::list(&state.store, caller, Some(org.id)).await.ok().map(|u| user_rows(lang, &u, &all))
    } else {
        None
    };
    let parents = org_rows(lang, &all)
        .into_iter()
        .filter(|r| r.org.id != org.id && matches!(r.org.kind, OrgKind::Authority | OrgKind::Agency))
        .collect();
    let title = org.display_name(lang.is_en()).to_string();
    let mut ctx = PageCtx::new(page, "orgs.edit", uri, flash)
        .crumb("orgs.title", "/admin/organisations")
        .crumb_text(&title, &format!("/admin/organisations/{id}"));
    ctx.title = title;
    let (status, form) = match error {
        Some((e, form)) => {
            ctx = ctx.error(&e);
            (e.status, form)
        }
        None => (
            StatusCode::OK,
            OrgForm {
                parent_id: org.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                kind: org.kind.as_str().into(),
                category: org.category.map(|c| c.as_str().to_string()).unwrap_or_default(),
                name: org.name.clone(),
                name_en: org.name_en.clone().unwrap_or_default(),
                credit_code: org.credit_code.clone().unwrap_or_default(),
                status: org.status.as_str().into(),
            },
        ),
    };
    let view = OrgPage {
        kind: lang.pick(org.kind.label_zh(), org.kind.label_en()),
        ctx,
        parent_name,
        can_manage: caller.principal.has(Permission::OrgManage),
        parents,
        categories: categories(lang),
        users,
        form,
        org,
    };
    render_status(status, &view)
}

pub async fn org(
    State(state): State<AppState>,
    page: Page<perm::OrgRead>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    org_page(&state, &page, &uri, id, q.flash.as_deref(), None).await
}

pub async fn update_org(
    State(state): State<AppState>,
    page: Page<perm::OrgManage>,
    uri: Uri,
    Path(id): Path<i64>,
    form: CsrfForm<OrgForm>,
) -> Response {
    let f = form.value;
    let result = async {
        let parent = opt(&f.parent_id)
            .map(|p| p.parse::<i64>())
            .transpose()
            .map_err(|_| ApiError::invalid("parent_id", "上级组织无效", "invalid parent"))?;
        let change =
            org_change(parent, opt(&f.category), Some(&f.name), opt(&f.name_en), Some(&f.credit_code), opt(&f.status))?;
        Ok::<_, ApiError>(orgs::update(&state.store, &page.caller, OrgId(id), change).await?)
    }
    .await;
    match result {
        Ok(_) => done(&format!("/admin/organisations/{id}"), "orgs.saved"),
        Err(e) => org_page(&state, &page, &uri, id, None, Some((e, f))).await,
    }
}

/// A user as the tables show them.
pub struct UserRow {
    pub user: User,
    pub role: &'static str,
    pub org: String,
}

fn user_rows(lang: Lang, list: &[User], all_orgs: &[Organisation]) -> Vec<UserRow> {
    list.iter()
        .map(|u| UserRow {
            user: u.clone(),
            role: lang.pick(u.role.label_zh(), u.role.label_en()),
            org: all_orgs
                .iter()
                .find(|o| o.id == u.org_id)
                .map(|o| o.display_name(lang.is_en()).to_string())
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    ctx: PageCtx,
    rows: Vec<UserRow>,
    orgs: Vec<OrgRow>,
    org_filter: Option<i64>,
    can_create: bool,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    org_id: Option<String>,
    flash: Option<String>,
}

pub async fn users(
    State(state): State<AppState>,
    page: Page<perm::UserRead>,
    uri: Uri,
    Query(q): Query<UsersQuery>,
) -> Response {
    let lang = page.lang;
    let org_filter = q.org_id.as_deref().and_then(|o| o.parse::<i64>().ok());
    let list = match users::list(&state.store, &page.caller, org_filter.map(OrgId)).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, e.into()),
    };
    let all = orgs::list(&state.store, &page.caller).await.unwrap_or_default();
    let visible: Vec<Organisation> = all.iter().filter(|o| page.caller.principal.sees_org(o.id)).cloned().collect();
    let ctx = PageCtx::new(&page, "users.title", &uri, q.flash.as_deref()).crumb("users.title", "/admin/users");
    let p = &page.caller.principal;
    render(&UsersPage {
        rows: user_rows(lang, &list, &all),
        orgs: org_rows(lang, &visible),
        org_filter,
        can_create: p.has(Permission::UserManage) || p.has(Permission::UserManageAgency),
        ctx,
    })
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    display_name: String,
    org_id: String,
    role: String,
    #[serde(default)]
    status: String,
    email: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserFormPage {
    ctx: PageCtx,
    /// `None` when creating.
    user: Option<User>,
    orgs: Vec<OrgRow>,
    roles: Vec<(&'static str, &'static str)>,
    form: UserForm,
    can_manage: bool,
    is_self: bool,
    /// Shown once after creation or a reset.
    one_time_password: Option<String>,
    one_time_heading: &'static str,
}

fn assignable(
    page: &Page<impl Sized>,
    lang: Lang,
    all: &[Organisation],
) -> (Vec<OrgRow>, Vec<(&'static str, &'static str)>) {
    let p = &page.caller.principal;
    let orgs: Vec<Organisation> = if p.has(Permission::UserManage) {
        all.to_vec()
    } else {
        all.iter().filter(|o| Some(o.id) == p.org_id).cloned().collect()
    };
    let roles = Role::ALL
        .iter()
        .filter(|r| p.has(Permission::UserManage) || matches!(r, Role::AgencyAdmin | Role::AgencyDataOfficer))
        .map(|r| (r.as_str(), lang.pick(r.label_zh(), r.label_en())))
        .collect();
    (org_rows(lang, &orgs), roles)
}

pub async fn new_user(State(state): State<AppState>, page: Page<perm::UserAdmin>, uri: Uri) -> Response {
    let lang = page.lang;
    let all = orgs::list(&state.store, &page.caller).await.unwrap_or_default();
    let (orgs, roles) = assignable(&page, lang, &all);
    let form = UserForm {
        org_id: page.caller.principal.org_id.map(|o| o.to_string()).unwrap_or_default(),
        ..UserForm::default()
    };
    let ctx = PageCtx::new(&page, "users.new", &uri, None)
        .crumb("users.title", "/admin/users")
        .crumb("users.new", "/admin/users/new");
    render(&UserFormPage {
        ctx,
        user: None,
        orgs,
        roles,
        form,
        can_manage: true,
        is_self: false,
        one_time_password: None,
        one_time_heading: "",
    })
}

pub async fn create_user(
    State(state): State<AppState>,
    page: Page<perm::UserAdmin>,
    uri: Uri,
    form: CsrfForm<UserForm>,
) -> Response {
    let lang = page.lang;
    let f = form.value;
    let org_id = f.org_id.trim().parse::<i64>().unwrap_or(0);
    let input = NewUserInput {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        org_id,
        role: f.role.clone(),
        password: None,
        email: Some(f.email.clone()),
        phone: Some(f.phone.clone()),
    };
    let all = orgs::list(&state.store, &page.caller).await.unwrap_or_default();
    let (orgs, roles) = assignable(&page, lang, &all);
    match users::create(&state.store, &page.caller, input).await {
        Ok((user, one_time)) => {
            let ctx = PageCtx::new(&page, "users.edit", &uri, None)
                .crumb("users.title", "/admin/users")
                .crumb_text(&user.username, &format!("/admin/users/{}", user.id));
            let form = form_of(&user);
            let view = UserFormPage {
                ctx,
                user: Some(user),
                orgs,
                roles,
                form,
                can_manage: true,
                is_self: false,
                one_time_password: one_time,
                one_time_heading: lang.t("users.created"),
            };
            render_status(StatusCode::CREATED, &view)
        }
        Err(e) => {
            let e = ApiError::from(e);
            let ctx = PageCtx::new(&page, "users.new", &uri, None)
                .crumb("users.title", "/admin/users")
                .crumb("users.new", "/admin/users/new")
                .error(&e);
            render_status(
                e.status,
                &UserFormPage {
                    ctx,
                    user: None,
                    orgs,
                    roles,
                    form: f,
                    can_manage: true,
                    is_self: false,
                    one_time_password: None,
                    one_time_heading: "",
                },
            )
        }
    }
}

fn form_of(u: &User) -> UserForm {
    UserForm {
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        org_id: u.org_id.to_string(),
        role: u.role.as_str().into(),
        status: u.status.as_str().into(),
        email: u.email.clone().unwrap_or_default(),
        phone: u.phone.clone().unwrap_or_default(),
    }
}

async fn user_page(
    state: &AppState,
    page: &Page<impl Sized>,
    uri: &Uri,
    id: i64,
    flash: Option<&str>,
    outcome: Result<Option<String>, (ApiError, UserForm)>,
) -> Response {
    let lang = page.lang;
    let user = match users::get(&state.store, &page.caller, UserId(id)).await {
        Ok(u) => u,
        Err(e) => return error_page(lang, e.into()),
    };
    let all = orgs::list(&state.store, &page.caller).await.unwrap_or_default();
    let (orgs, roles) = assignable(page, lang, &all);
    let p = &page.caller.principal;
    let can_manage = p.has(Permission::UserManage) || (p.has(Permission::UserManageAgency) && p.sees_org(user.org_id));
    let mut ctx = PageCtx::new(page, "users.edit", uri, flash)
        .crumb("users.title", "/admin/users")
        .crumb_text(&user.username, &format!("/admin/users/{id}"));
    let (status, form, one_time_password) = match outcome {
        Ok(otp) => (StatusCode::OK, form_of(&user), otp),
        Err((e, form)) => {
            ctx = ctx.error(&e);
            (e.status, form, None)
        }
    };
    let is_self = p.user_id == Some(user.id);
    let view = UserFormPage {
        ctx,
        user: Some(user),
        orgs,
        roles,
        form,
        can_manage,
        is_self,
        one_time_password,
        one_time_heading: lang.t("users.reset_done"),
    };
    render_status(status, &view)
}

pub async fn user(
    State(state): State<AppState>,
    page: Page<perm::Authenticated>,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    user_page(&state, &page, &uri, id, q.flash.as_deref(), Ok(None)).await
}

pub async fn update_user(
    State(state): State<AppState>,
    page: Page<perm::UserAdmin>,
    uri: Uri,
    Path(id): Path<i64>,
    form: CsrfForm<UserForm>,
) -> Response {
    let f = form.value;
    let change = UserChange {
        display_name: Some(f.display_name.clone()),
        org_id: f.org_id.trim().parse::<i64>().ok(),
        role: opt(&f.role).map(str::to_string),
        status: opt(&f.status).map(str::to_string),
        email: Some(f.email.clone()),
        phone: Some(f.phone.clone()),
    };
    match users::update(&state.store, &page.caller, UserId(id), change).await {
        Ok(_) => done(&format!("/admin/users/{id}"), "users.saved"),
        Err(e) => user_page(&state, &page, &uri, id, None, Err((e.into(), f))).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn reset_password(
    State(state): State<AppState>,
    page: Page<perm::UserAdmin>,
    uri: Uri,
    Path(id): Path<i64>,
    _form: CsrfForm<Empty>,
) -> Response {
    match users::reset_password(&state.store, &page.caller, UserId(id)).await {
        Ok(otp) => user_page(&state, &page, &uri, id, None, Ok(Some(otp))).await,
        Err(e) => error_page(page.lang, e.into()),
    }
}
