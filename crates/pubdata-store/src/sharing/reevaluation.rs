//! Art.14: the periodic re-evaluation of published resources' share attributes.
//!
//! `share_review_schedules` holds, per published resource, the date its review interval runs
//! from and whether it is under revision; publication (in the catalog's own transaction) starts
//! a new interval, a `kept` review starts one from its day, a `to_revise` review marks the
//! resource under revision. The next review date (the interval from the configured
//! [`SharingSettings`]) and where a review stands are computed when read, so a changed interval
//! applies to every resource at once. Recorded reviews stay in `share_reviews` with the share
//! attribute as it stood.

use super::SharingSettings;
use crate::catalog::index::parse_document;
use crate::db::{Store, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::catalog::ShareAttribute;
use pubdata_domain::identity::{Caller, Permission, Scope};
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing::reevaluation::{
    self, ReviewOutcome, ShareReviewInput, ShareReviewList, ShareReviewStatus,
};
use pubdata_domain::{sharing, timefmt};
use serde::Serialize;
use sqlx::AnyConnection;
use time::Date;

/// One recorded review of a share attribute.
#[derive(Clone, Debug, Serialize)]
pub struct ShareReviewRecord {
    pub id: i64,
    pub resource_id: i64,
    pub resource_version: i64,
    pub outcome: ReviewOutcome,
    pub comment: String,
    /// The share attribute as it stood when reviewed.
    pub share_attribute: ShareAttribute,
    pub reviewed_by: String,
    pub reviewer_org_id: Option<i64>,
    pub reviewed_at: String,
    /// The next review date that followed (for a revision: the one still standing).
    pub next_review_on: String,
}

/// A published resource's share-attribute review schedule, as the lists and its page show it.
#[derive(Clone, Debug, Serialize)]
pub struct ShareReviewView {
    pub resource_id: i64,
    pub resource_name: String,
    pub provider_org_id: i64,
    pub resource_version: i64,
    /// The share attribute as published now.
    pub share_attribute: ShareAttribute,
    /// The date the current interval runs from: the latest publication or `kept` review.
    pub review_from: String,
    pub next_review_on: String,
    pub status: ShareReviewStatus,
    pub last_review: Option<ShareReviewRecord>,
    /// Whether the caller may record a review now.
    pub can_record: bool,
}

fn stored(what: &str, value: &str) -> Error {
    Error::Database(sqlx::Error::Decode(format!("stored share review {what} {value:?} is not valid").into()))
}

fn today() -> Date {
    timefmt::district_date(timefmt::now())
}

/// Starts a new review interval for resource `id`, published today: called inside
/// publication's transaction, whose audit entry records the publication.
pub(crate) async fn schedule_on_publication(tx: &mut WriteTx, id: i64) -> Result<()> {
    schedule_from(tx, id, timefmt::district_date(timefmt::now())).await
}

/// Starts resource `id`'s review interval on `from` (publication, or a restored archive's latest
/// version), clearing a revision.
pub(crate) async fn schedule_from(tx: &mut WriteTx, id: i64, from: Date) -> Result<()> {
    let now = timefmt::now();
    sqlx::query(
        "INSERT INTO share_review_schedules (resource_id, review_from, under_revision, updated_at) \
         VALUES ($1, $2, 0, $3) ON CONFLICT (resource_id) DO UPDATE SET review_from = excluded.review_from, \
         under_revision = 0, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(timefmt::format_date(from))
    .bind(timefmt::format_instant(now))
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    resource_id: i64,
    resource_version: i64,
    outcome: String,
    comment: String,
    share_attribute: String,
    reviewed_by: String,
    reviewer_org_id: Option<i64>,
    reviewed_at: String,
    next_review_on: String,
}

impl ReviewRow {
    fn record(self) -> Result<ShareReviewRecord> {
        Ok(ShareReviewRecord {
            outcome: ReviewOutcome::parse(&self.outcome).ok_or_else(|| stored("outcome", &self.outcome))?,
            share_attribute: serde_json::from_str(&self.share_attribute)
                .map_err(|_| stored("share attribute", &self.share_attribute))?,
            id: self.id,
            resource_id: self.resource_id,
            resource_version: self.resource_version,
            comment: self.comment,
            reviewed_by: self.reviewed_by,
            reviewer_org_id: self.reviewer_org_id,
            reviewed_at: self.reviewed_at,
            next_review_on: self.next_review_on,
        })
    }
}

macro_rules! review_select {
    () => {
        "SELECT id, resource_id, resource_version, outcome, comment, share_attribute, reviewed_by, reviewer_org_id, \
         reviewed_at, next_review_on FROM share_reviews "
    };
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    resource_id: i64,
    resource_name: String,
    provider_org_id: i64,
    resource_version: i64,
    published: Option<String>,
    review_from: String,
    under_revision: i64,
}

macro_rules! schedule_select {
    () => {
        "SELECT s.resource_id, c.name AS resource_name, c.provider_org_id, c.current_version AS resource_version, \
         c.published, s.review_from, s.under_revision \
         FROM share_review_schedules s JOIN catalog_resources c ON c.id = s.resource_id "
    };
}

impl ScheduleRow {
    fn review_from(&self) -> Result<Date> {
        Ok(timefmt::parse_date("review_from", &self.review_from)?)
    }

    fn next_review_on(&self, settings: &SharingSettings) -> Result<Date> {
        Ok(reevaluation::next_review_on(self.review_from()?, settings.share_review_months))
    }

    fn share_attribute(&self) -> Result<ShareAttribute> {
        let published =
            self.published.as_deref().ok_or_else(|| Error::not_found("published resource", self.resource_id))?;
        Ok(parse_document(published)?.share)
    }

    fn view(
        self,
        caller: &Caller,
        settings: &SharingSettings,
        today: Date,
        last_review: Option<ShareReviewRecord>,
    ) -> Result<ShareReviewView> {
        let next = self.next_review_on(settings)?;
        let under_revision = self.under_revision != 0;
        let provider = OrgId(self.provider_org_id);
        Ok(ShareReviewView {
            share_attribute: self.share_attribute()?,
            next_review_on: timefmt::format_date(next),
            status: ShareReviewStatus::on(next, under_revision, today),
            can_record: reevaluation::may_record(&caller.principal, provider, under_revision).is_ok(),
            last_review,
            resource_id: self.resource_id,
            resource_name: self.resource_name,
            provider_org_id: self.provider_org_id,
            resource_version: self.resource_version,
            review_from: self.review_from,
        })
    }
}

async fn fetch_schedule(conn: &mut AnyConnection, id: i64, lock: bool) -> Result<Option<ScheduleRow>> {
    let sql = if lock {
        concat!(schedule_select!(), "WHERE s.resource_id = $1 FOR UPDATE OF s")
    } else {
        concat!(schedule_select!(), "WHERE s.resource_id = $1")
    };
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(conn).await?)
}

async fn last_review(conn: &mut AnyConnection, id: i64) -> Result<Option<ShareReviewRecord>> {
    let row: Option<ReviewRow> =
        sqlx::query_as(concat!(review_select!(), "WHERE resource_id = $1 ORDER BY id DESC LIMIT 1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(ReviewRow::record).transpose()
}

/// The share-attribute reviews of one list, most urgent first: the providing agency's own
/// resources, every agency's for the roles that see all (the authority, supervisors).
pub async fn list(
    store: &Store,
    settings: &SharingSettings,
    caller: &Caller,
    which: ShareReviewList,
) -> Result<Vec<ShareReviewView>> {
    sharing::require_read(&caller.principal)?;
    let mut q = crate::sql::Sql::new(schedule_select!());
    match (caller.principal.scope(), caller.principal.org_id) {
        (Scope::All, _) => {}
        (_, Some(org)) => {
            q.push("WHERE c.provider_org_id = ").bind(org.0);
        }
        (_, None) => return Ok(Vec::new()),
    }
    let rows: Vec<ScheduleRow> = q.query_as().fetch_all(store.reader()).await?;
    let mut conn = store.reader().acquire().await?;
    let today = today();
    let mut out = Vec::new();
    for row in rows {
        let next = row.next_review_on(settings)?;
        if !which.shows(ShareReviewStatus::on(next, row.under_revision != 0, today)) {
            continue;
        }
        let last = last_review(&mut conn, row.resource_id).await?;
        out.push(row.view(caller, settings, today, last)?);
    }
    out.sort_by(|a, b| (&a.next_review_on, a.resource_id).cmp(&(&b.next_review_on, b.resource_id)));
    Ok(out)
}

/// A published resource's review schedule (`catalog.read`: shown beside its share attribute
/// wherever the resource itself may be seen); `None` for a resource never published.
pub async fn schedule_of(
    store: &Store,
    settings: &SharingSettings,
    caller: &Caller,
    resource_id: i64,
) -> Result<Option<ShareReviewView>> {
    caller.principal.require(Permission::CatalogRead)?;
    let mut conn = store.reader().acquire().await?;
    let Some(row) = fetch_schedule(&mut conn, resource_id, false).await? else { return Ok(None) };
    let last = last_review(&mut conn, resource_id).await?;
    row.view(caller, settings, today(), last).map(Some)
}

/// A resource's recorded reviews, newest first, for those who see its reviews.
pub async fn history(store: &Store, caller: &Caller, resource_id: i64) -> Result<Vec<ShareReviewRecord>> {
    sharing::require_read(&caller.principal)?;
    let mut conn = store.reader().acquire().await?;
    let row = fetch_schedule(&mut conn, resource_id, false).await?;
    if !row.is_some_and(|r| reevaluation::visible_to(&caller.principal, OrgId(r.provider_org_id))) {
        return Err(Error::not_found("share review", resource_id));
    }
    let rows: Vec<ReviewRow> = sqlx::query_as(concat!(review_select!(), "WHERE resource_id = $1 ORDER BY id DESC"))
        .bind(resource_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(ReviewRow::record).collect()
}

/// The providing agency records its review of a published resource's share attribute (Art.14):
/// `kept` starts the next interval today; `to_revise` (with its comment) keeps the resource
/// under revision until it is published again.
pub async fn record(
    store: &Store,
    settings: &SharingSettings,
    caller: &Caller,
    resource_id: i64,
    input: ShareReviewInput,
) -> Result<ShareReviewRecord> {
    caller.principal.require(Permission::CatalogCompile)?;
    let input = input.normalized();
    let today = today();
    let mut tx = store.begin().await?;
    let lock = tx.backend() == crate::Backend::Postgres;
    let row = fetch_schedule(tx.conn(), resource_id, lock).await?;
    let Some(row) = row.filter(|r| reevaluation::visible_to(&caller.principal, OrgId(r.provider_org_id))) else {
        return Err(Error::not_found("published resource", resource_id));
    };
    reevaluation::may_record(&caller.principal, OrgId(row.provider_org_id), row.under_revision != 0)?;
    input.check()?;
    let share = row.share_attribute()?;
    let (from, under_revision) = reevaluation::after_review(input.outcome, today, row.review_from()?);
    let next = timefmt::format_date(reevaluation::next_review_on(from, settings.share_review_months));
    let now = timefmt::format_instant(timefmt::now());
    let share_json = serde_json::to_string(&share).map_err(|e| Error::Database(sqlx::Error::Encode(Box::new(e))))?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO share_reviews (resource_id, resource_version, outcome, comment, share_attribute, reviewed_by, \
         reviewer_org_id, reviewed_at, next_review_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(resource_id)
    .bind(row.resource_version)
    .bind(input.outcome.as_str())
    .bind(&input.comment)
    .bind(share_json)
    .bind(&caller.principal.display_name)
    .bind(caller.principal.org_id.map(|o| o.0))
    .bind(&now)
    .bind(&next)
    .fetch_one(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE share_review_schedules SET review_from = $1, under_revision = $2, updated_at = $3 WHERE resource_id = $4",
    )
    .bind(timefmt::format_date(from))
    .bind(i64::from(under_revision))
    .bind(&now)
    .bind(resource_id)
    .execute(tx.conn())
    .await?;
    tx.record(
        caller.actor(),
        events::share_attribute_reviewed(resource_id, id, input.outcome.as_str(), &input.comment, share.code(), &next),
    );
    tx.commit().await?;
    let row: Option<ReviewRow> =
        sqlx::query_as(concat!(review_select!(), "WHERE id = $1")).bind(id).fetch_optional(store.reader()).await?;
    row.ok_or_else(|| Error::not_found("share review", id))?.record()
}
