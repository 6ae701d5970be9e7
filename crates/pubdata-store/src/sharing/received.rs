//! Art.7: data an agency receives through a grant is not its own resource. A resource registered
//! by (or for) an agency that holds an active grant whose items it substantially repeats
//! ([`pubdata_domain::sharing::received_match`]) is flagged with the grant, and cannot be
//! published until the authority confirms it is the agency's own data.

use crate::catalog::index::parse_document;
use crate::catalog::resources;
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::catalog::ResourceDocument;
use pubdata_domain::identity::{Caller, Permission};
use pubdata_domain::sharing;
use pubdata_domain::timefmt;
use serde::Serialize;
use sqlx::AnyConnection;

/// A resource's Art.7 flag.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReceivedFlag {
    pub resource_id: i64,
    /// The grant through which the agency receives the matching data.
    pub grant_id: i64,
    /// JSON array of the new resource's item names that matched.
    pub matched_items: String,
    pub flagged_at: String,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
    pub confirmation_comment: Option<String>,
}

/// Flags resource `id` (just inserted from `doc`, compiled by `compiler`) when its provider or
/// compiler holds an active grant whose items the new resource substantially repeats. Records
/// the flag's audit entry in the same transaction.
pub(crate) async fn flag_if_received(
    tx: &mut WriteTx,
    caller: &Caller,
    id: i64,
    doc: &ResourceDocument,
    compiler: i64,
) -> Result<()> {
    let today = timefmt::format_date(timefmt::district_date(timefmt::now()));
    // Suspended grants count: the agency still holds data received through them.
    let grants: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT g.id, g.items, c.published FROM share_grants g JOIN catalog_resources c ON c.id = g.resource_id \
         WHERE g.consumer_org_id IN ($1, $2) AND g.state IN ('active', 'suspended') AND g.end_date >= $3 ORDER BY g.id",
    )
    .bind(doc.provider_org_id)
    .bind(compiler)
    .bind(today)
    .fetch_all(tx.conn())
    .await?;
    for (grant_id, items, published) in grants {
        let Some(published) = published else { continue };
        let granted_codes: Vec<String> = serde_json::from_str(&items).unwrap_or_default();
        let source = parse_document(&published)?;
        let granted: Vec<_> = source.items.into_iter().filter(|i| granted_codes.contains(&i.code)).collect();
        if let Some(matched) = sharing::received_match(&doc.items, &granted) {
            let names =
                serde_json::to_string(&matched).map_err(|e| Error::Database(sqlx::Error::Encode(Box::new(e))))?;
            sqlx::query(
                "INSERT INTO received_data_flags (resource_id, grant_id, matched_items, flagged_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(grant_id)
            .bind(names)
            .bind(timefmt::format_instant(timefmt::now()))
            .execute(tx.conn())
            .await?;
            tx.record(caller.actor(), events::resource_flagged_as_received(id, grant_id, &matched));
            return Ok(());
        }
    }
    Ok(())
}

async fn fetch(conn: &mut AnyConnection, resource_id: i64) -> Result<Option<ReceivedFlag>> {
    Ok(sqlx::query_as(
        "SELECT resource_id, grant_id, matched_items, flagged_at, confirmed_by, confirmed_at, confirmation_comment \
         FROM received_data_flags WHERE resource_id = $1",
    )
    .bind(resource_id)
    .fetch_optional(conn)
    .await?)
}

/// Refuses to publish a flagged resource the authority has not confirmed (Art.7).
pub(crate) async fn check_publishable(conn: &mut AnyConnection, resource_id: i64) -> Result<()> {
    match fetch(conn, resource_id).await? {
        Some(flag) if flag.confirmed_at.is_none() => Err(pubdata_domain::Error::conflict(
            format!(
                "该资源的数据项与本单位通过共享授权（授权 {}）获取的数据基本相同，经主管部门确认为本单位数据后方可发布（第七条）",
                flag.grant_id
            ),
            format!(
                "this resource repeats data the agency receives through grant {}; it can be published once the authority confirms it is the agency's own (Art.7)",
                flag.grant_id
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// A resource's Art.7 flag, if it has one (`catalog.read`). The flag belongs to the resource's
/// working copy and names the grant through which its agency receives the data, so it is shown
/// to those who see the working copy: the compiling and providing agencies, and the roles that
/// see all organisations. To anyone else a draft is not found, as in the catalog, and so is the
/// flag of a published resource.
pub async fn received_flag(store: &Store, caller: &Caller, resource_id: i64) -> Result<Option<ReceivedFlag>> {
    caller.principal.require(Permission::CatalogRead)?;
    let mut conn = store.reader().acquire().await?;
    let resource = resources::fetch(&mut conn, resource_id).await?;
    if !resource.sees_working(&caller.principal) {
        return Err(if resource.current_version > 0 {
            Error::not_found("received-data flag", resource_id)
        } else {
            Error::not_found("resource", resource_id)
        });
    }
    fetch(&mut conn, resource_id).await
}

/// The authority confirms that a flagged resource is the agency's own data (`sharing.arbitrate`,
/// Art.7), with a comment saying why; the resource can then be published.
pub async fn confirm_received(store: &Store, caller: &Caller, resource_id: i64, comment: &str) -> Result<ReceivedFlag> {
    caller.principal.require(Permission::SharingArbitrate)?;
    let comment = comment.trim();
    pubdata_domain::error::check_length("comment", comment, 2, 1000)?;
    let mut tx = store.begin().await?;
    let flag =
        fetch(tx.conn(), resource_id).await?.ok_or_else(|| Error::not_found("received-data flag", resource_id))?;
    if flag.confirmed_at.is_some() {
        return Err(pubdata_domain::Error::conflict("该资源已确认", "the resource has already been confirmed").into());
    }
    sqlx::query(
        "UPDATE received_data_flags SET confirmed_by = $1, confirmed_at = $2, confirmation_comment = $3 WHERE resource_id = $4",
    )
    .bind(&caller.principal.display_name)
    .bind(timefmt::format_instant(timefmt::now()))
    .bind(comment)
    .bind(resource_id)
    .execute(tx.conn())
    .await?;
    tx.record(caller.actor(), events::received_flag_confirmed(resource_id, flag.grant_id, comment));
    tx.commit().await?;
    fetch(&mut *store.reader().acquire().await?, resource_id)
        .await?
        .ok_or_else(|| Error::not_found("received-data flag", resource_id))
}

/// A flag as the authority's list shows it: the flagged resource, and the grant whose data it
/// repeats (which agency's resource, which items, for what).
#[derive(Clone, Debug, Serialize)]
pub struct ReceivedFlagView {
    pub resource_id: i64,
    pub resource_name: String,
    pub provider_org_id: i64,
    pub resource_state: String,
    /// The new resource's item names that matched granted items.
    pub matched_items: Vec<String>,
    pub flagged_at: String,
    pub grant_id: i64,
    pub grant_provider_org_id: i64,
    pub grant_resource_id: i64,
    pub grant_resource_name: String,
    /// The item codes the grant holds.
    pub granted_items: Vec<String>,
    pub grant_scenario: String,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
    pub confirmation_comment: Option<String>,
    /// Whether the caller may confirm it now (the authority, while unconfirmed).
    pub can_confirm: bool,
}

#[derive(sqlx::FromRow)]
struct FlagListRow {
    resource_id: i64,
    resource_name: String,
    provider_org_id: i64,
    resource_state: String,
    matched_items: String,
    flagged_at: String,
    grant_id: i64,
    grant_provider_org_id: i64,
    grant_resource_id: i64,
    grant_resource_name: String,
    granted_items: String,
    grant_scenario: String,
    confirmed_by: Option<String>,
    confirmed_at: Option<String>,
    confirmation_comment: Option<String>,
}

fn names(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(|_| {
        Error::Database(sqlx::Error::Decode(format!("stored received-data item list {s:?} is not valid").into()))
    })
}

/// The Art.7 flags, unconfirmed first and then newest first (`pending_only`: only those awaiting
/// the authority): every one for the roles that see all organisations, an agency's own
/// resources' flags for the agency.
pub async fn list_received(store: &Store, caller: &Caller, pending_only: bool) -> Result<Vec<ReceivedFlagView>> {
    sharing::require_read(&caller.principal)?;
    let mut q = crate::sql::Sql::new(
        "SELECT f.resource_id, c.name AS resource_name, c.provider_org_id, c.state AS resource_state, f.matched_items, \
         f.flagged_at, f.grant_id, g.provider_org_id AS grant_provider_org_id, g.resource_id AS grant_resource_id, \
         s.name AS grant_resource_name, g.items AS granted_items, g.scenario AS grant_scenario, f.confirmed_by, \
         f.confirmed_at, f.confirmation_comment FROM received_data_flags f \
         JOIN catalog_resources c ON c.id = f.resource_id JOIN share_grants g ON g.id = f.grant_id \
         JOIN catalog_resources s ON s.id = g.resource_id WHERE 1 = 1",
    );
    match (caller.principal.scope(), caller.principal.org_id) {
        (pubdata_domain::identity::Scope::All, _) => {}
        (_, Some(org)) => {
            q.push(" AND (c.provider_org_id = ").bind(org.0).push(" OR c.compiler_org_id = ").bind(org.0).push(")");
        }
        (_, None) => return Ok(Vec::new()),
    }
    if pending_only {
        q.push(" AND f.confirmed_at IS NULL");
    }
    q.push(" ORDER BY CASE WHEN f.confirmed_at IS NULL THEN 0 ELSE 1 END, f.flagged_at DESC, f.resource_id DESC");
    let rows: Vec<FlagListRow> = q.query_as().fetch_all(store.reader()).await?;
    let may_confirm = caller.principal.has(Permission::SharingArbitrate);
    rows.into_iter()
        .map(|r| {
            Ok(ReceivedFlagView {
                matched_items: names(&r.matched_items)?,
                granted_items: names(&r.granted_items)?,
                can_confirm: may_confirm && r.confirmed_at.is_none(),
                resource_id: r.resource_id,
                resource_name: r.resource_name,
                provider_org_id: r.provider_org_id,
                resource_state: r.resource_state,
                flagged_at: r.flagged_at,
                grant_id: r.grant_id,
                grant_provider_org_id: r.grant_provider_org_id,
                grant_resource_id: r.grant_resource_id,
                grant_resource_name: r.grant_resource_name,
                grant_scenario: r.grant_scenario,
                confirmed_by: r.confirmed_by,
                confirmed_at: r.confirmed_at,
                confirmation_comment: r.confirmation_comment,
            })
        })
        .collect()
}
