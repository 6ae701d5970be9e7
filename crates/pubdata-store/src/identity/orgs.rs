//! The organisation tree: reading it, adding to it, editing it (authority administrators).

use super::rows::{OrgRow, org_columns};
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::identity::{
    Caller, NewOrganisation, OrgKind, Organisation, OrganisationChange, Permission, check_parent,
};
use pubdata_domain::ids::OrgId;
use pubdata_domain::timefmt;
use sqlx::AnyConnection;

/// Every organisation, parents before children, siblings by name. Requires `org.read`:
/// the tree itself is not private to any agency.
pub async fn list(store: &Store, caller: &Caller) -> Result<Vec<Organisation>> {
    caller.principal.require(Permission::OrgRead)?;
    list_all(store).await
}

pub(crate) async fn list_all(store: &Store) -> Result<Vec<Organisation>> {
    let rows: Vec<OrgRow> = sqlx::query_as(concat!("SELECT ", org_columns!(), " FROM organisations ORDER BY name"))
        .fetch_all(store.reader())
        .await?;
    let orgs = rows.into_iter().map(Organisation::try_from).collect::<Result<Vec<_>>>()?;
    Ok(tree_order(orgs))
}

/// Orders organisations depth-first from the root, so a list reads as the tree.
fn tree_order(orgs: Vec<Organisation>) -> Vec<Organisation> {
    fn visit(parent: Option<OrgId>, all: &[Organisation], out: &mut Vec<Organisation>) {
        for o in all.iter().filter(|o| o.parent_id == parent) {
            out.push(o.clone());
            visit(Some(o.id), all, out);
        }
    }
    let mut out = Vec::with_capacity(orgs.len());
    visit(None, &orgs, &mut out);
    // Anything unreachable (should not exist) still shows, at the end.
    for o in &orgs {
        if !out.iter().any(|x| x.id == o.id) {
            out.push(o.clone());
        }
    }
    out
}

/// Depth of each organisation in the tree (root = 0), in the order given.
pub fn depths(orgs: &[Organisation]) -> Vec<usize> {
    orgs.iter()
        .map(|o| {
            let mut depth = 0;
            let mut parent = o.parent_id;
            while let Some(p) = parent {
                depth += 1;
                parent = orgs.iter().find(|x| x.id == p).and_then(|x| x.parent_id);
                if depth > orgs.len() {
                    break;
                }
            }
            depth
        })
        .collect()
}

pub async fn get(store: &Store, caller: &Caller, id: OrgId) -> Result<Organisation> {
    caller.principal.require(Permission::OrgRead)?;
    fetch(&mut *store.reader().acquire().await?, id).await
}

pub(crate) async fn fetch(conn: &mut AnyConnection, id: OrgId) -> Result<Organisation> {
    let row: Option<OrgRow> = sqlx::query_as(concat!("SELECT ", org_columns!(), " FROM organisations WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.ok_or_else(|| Error::not_found("organisation", id))?.try_into()
}

pub(crate) async fn find_by_kind(conn: &mut AnyConnection, kind: OrgKind) -> Result<Option<Organisation>> {
    let row: Option<OrgRow> =
        sqlx::query_as(concat!("SELECT ", org_columns!(), " FROM organisations WHERE kind = $1 ORDER BY id LIMIT 1"))
            .bind(kind.as_str())
            .fetch_optional(conn)
            .await?;
    row.map(Organisation::try_from).transpose()
}

pub(crate) async fn find_by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<Organisation>> {
    let row: Option<OrgRow> = sqlx::query_as(concat!("SELECT ", org_columns!(), " FROM organisations WHERE name = $1"))
        .bind(name)
        .fetch_optional(conn)
        .await?;
    row.map(Organisation::try_from).transpose()
}

/// The ids above `id`, nearest first.
async fn ancestors(conn: &mut AnyConnection, id: OrgId) -> Result<Vec<OrgId>> {
    let mut out = Vec::new();
    let mut current = fetch(conn, id).await?.parent_id;
    while let Some(p) = current {
        if out.contains(&p) {
            break;
        }
        out.push(p);
        current = fetch(conn, p).await?.parent_id;
    }
    Ok(out)
}

/// Adds an organisation to the tree. Requires `org.manage`.
pub async fn create(store: &Store, caller: &Caller, new: NewOrganisation) -> Result<Organisation> {
    caller.principal.require(Permission::OrgManage)?;
    let mut tx = store.begin().await?;
    let org = insert(&mut tx, &new).await?;
    tx.record(caller.actor(), events::org_created(&org));
    tx.commit().await?;
    Ok(org)
}

pub(crate) async fn insert(tx: &mut WriteTx, new: &NewOrganisation) -> Result<Organisation> {
    if let Some(parent_id) = new.parent_id {
        let parent = fetch(tx.conn(), parent_id).await.map_err(|_| {
            pubdata_domain::Error::invalid(
                "parent_id",
                format!("上级组织 {parent_id} 不存在"),
                format!("parent organisation {parent_id} does not exist"),
            )
        })?;
        let above = ancestors(tx.conn(), parent_id).await?;
        check_parent(new.kind, None, &parent, &above)?;
    }
    let now = timefmt::format_instant(timefmt::now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO organisations (parent_id, kind, category, name, name_en, credit_code, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7) RETURNING id",
    )
    .bind(new.parent_id.map(|p| p.0))
    .bind(new.kind.as_str())
    .bind(new.category.map(|c| c.as_str()))
    .bind(&new.name.zh)
    .bind(new.name.en.as_deref())
    .bind(new.credit_code.as_ref().map(|c| c.as_str()))
    .bind(&now)
    .fetch_one(tx.conn())
    .await
    .map_err(duplicate_org)?;
    fetch(tx.conn(), OrgId(id)).await
}

fn duplicate_org(e: sqlx::Error) -> Error {
    let msg = e.to_string();
    if msg.contains("credit_code") {
        Error::on_duplicate(
            "credit_code",
            "该统一社会信用代码已被其他组织使用",
            "another organisation already has this credit code",
        )(e)
    } else if msg.contains("one_authority") || msg.contains("one_public") || msg.contains("organisations.kind") {
        Error::on_duplicate("kind", "此类组织只能有一个", "there can be only one organisation of this kind")(e)
    } else {
        Error::on_duplicate("name", "已有同名组织", "an organisation with this name already exists")(e)
    }
}

/// Edits an organisation. Requires `org.manage`.
pub async fn update(store: &Store, caller: &Caller, id: OrgId, change: OrganisationChange) -> Result<Organisation> {
    caller.principal.require(Permission::OrgManage)?;
    let mut tx = store.begin().await?;
    let before = fetch(tx.conn(), id).await?;
    let after = before.apply(&change)?;
    if after.parent_id != before.parent_id
        && let Some(parent_id) = after.parent_id
    {
        let parent = fetch(tx.conn(), parent_id).await?;
        let above = ancestors(tx.conn(), parent_id).await?;
        check_parent(after.kind, Some(id), &parent, &above)?;
    }
    if after == before {
        return Ok(before);
    }
    sqlx::query(
        "UPDATE organisations SET parent_id = $1, category = $2, name = $3, name_en = $4, credit_code = $5, status = $6, updated_at = $7 \
         WHERE id = $8",
    )
    .bind(after.parent_id.map(|p| p.0))
    .bind(after.category.map(|c| c.as_str()))
    .bind(&after.name)
    .bind(after.name_en.as_deref())
    .bind(after.credit_code.as_deref())
    .bind(after.status.as_str())
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(id.0)
    .execute(tx.conn())
    .await
    .map_err(duplicate_org)?;
    let after = fetch(tx.conn(), id).await?;
    tx.record(caller.actor(), events::org_updated(&before, &after));
    tx.commit().await?;
    Ok(after)
}
