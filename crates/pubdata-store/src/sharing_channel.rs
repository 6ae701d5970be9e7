//! The sharing channel's reads (Art.15-16): a keyed lookup or a filtered page of a resource's
//! delivered rows, limited to a grant's items and row scope, with L3/L4 values masked as the
//! domain rules say (`pubdata_domain::sharing_channel`).
//!
//! Each call reads in one statement over the rows `Layout::visible` keeps (those of stored
//! batches not replaced since), so a call made while a replacement is being stored sees the old
//! rows or the new ones, never a mix. Every value from the caller is bound as a parameter;
//! only identifiers the platform derived (table name, checked item codes) enter the SQL text.

use crate::aggregation::table::{self, ColumnType, Layout, ROW_ID};
use crate::catalog::index::parse_document;
use crate::db::Store;
use crate::error::Result;
use crate::sql::Sql;
use pubdata_domain::catalog::DataItem;
use pubdata_domain::ids::OrgId;
use pubdata_domain::sharing::GrantState;
use pubdata_domain::sharing_channel::{self as rules, CallRefusal, Filter, GrantTerms, Op, Query};
use serde_json::{Map, Value};
use sqlx::Row;
use std::sync::Arc;

/// The grant a call names, as the channel checks it; `None` if there is no such grant. From the
/// channel's copies when a recent one is there (`channel_cache`).
pub async fn grant(store: &Store, id: i64) -> Result<Option<Arc<GrantTerms>>> {
    let generation = store.generation();
    let shelf = &store.channel_cache().grants;
    if let Some(terms) = shelf.get(&id, generation) {
        return Ok(Some(terms));
    }
    let Some(g) = crate::sharing::grant_for_channel(store, id).await? else { return Ok(None) };
    let terms = Arc::new(GrantTerms {
        id: g.id,
        consumer_org: OrgId(g.consumer_org_id),
        resource_id: g.resource_id,
        state: g.state,
        delivery: g.delivery,
        items: g.items,
        raw_items: g.raw_items,
        row_scope: g.row_scope,
        scenario: g.scenario,
        scenario_category: g.scenario_category,
    });
    shelf.put(id, generation, Arc::clone(&terms));
    Ok(Some(terms))
}

/// What the channel reads of a resource: its published items and its data table.
pub struct DataSource {
    pub(crate) items: Vec<DataItem>,
    pub(crate) layout: Option<Layout>,
}

impl DataSource {
    /// The resource's published items.
    pub fn items(&self) -> &[DataItem] {
        &self.items
    }

    /// The resource's unique key, as item codes (empty: none declared).
    pub fn key(&self) -> Vec<String> {
        self.layout.as_ref().map(|l| l.key.clone()).unwrap_or_default()
    }
}

/// The resource's published items and data table (none before its first delivery). From the
/// channel's copies when a recent one is there (`channel_cache`).
pub async fn source(store: &Store, resource_id: i64) -> Result<Arc<DataSource>> {
    let generation = store.generation();
    let shelf = &store.channel_cache().sources;
    if let Some(source) = shelf.get(&resource_id, generation) {
        return Ok(source);
    }
    let mut conn = store.reader().acquire().await?;
    let doc: Option<(Option<String>,)> = sqlx::query_as("SELECT published FROM catalog_resources WHERE id = $1")
        .bind(resource_id)
        .fetch_optional(&mut *conn)
        .await?;
    let items = match doc {
        Some((Some(doc),)) => parse_document(&doc)?.items,
        _ => Vec::new(),
    };
    let layout = table::layout(&mut conn, resource_id).await?;
    let source = Arc::new(DataSource { items, layout });
    shelf.put(resource_id, generation, Arc::clone(&source));
    Ok(source)
}

/// One delivered row: its id (for paging) and its granted items, masked where the rules say.
pub struct Record {
    pub row_id: i64,
    pub values: Map<String, Value>,
}

/// A page of a filtered query.
pub struct Page {
    pub records: Vec<Record>,
    /// More rows may follow the last one.
    pub more: bool,
}

/// The row whose unique key has `values` (in key order), within the grant's scope.
pub async fn lookup(
    store: &Store,
    grant: &GrantTerms,
    source: &DataSource,
    values: &[String],
) -> Result<std::result::Result<Option<Record>, CallRefusal>> {
    let Some(layout) = &source.layout else { return Ok(Ok(None)) };
    let filters: Vec<Filter> = layout
        .key
        .iter()
        .zip(values)
        .map(|(item, v)| Filter { item: item.clone(), op: Op::Eq, values: vec![v.clone()] })
        .collect();
    let page = read(store, grant, source, layout, &filters, None, 1).await?;
    Ok(page.map(|p| p.records.into_iter().next()))
}

/// A page of the rows matching `query` after row `after`, in row order, within the grant's scope.
pub async fn query(
    store: &Store,
    grant: &GrantTerms,
    source: &DataSource,
    query: &Query,
    after: Option<i64>,
) -> Result<std::result::Result<Page, CallRefusal>> {
    let Some(layout) = &source.layout else { return Ok(Ok(Page { records: Vec::new(), more: false })) };
    read(store, grant, source, layout, &query.filters, after, query.limit).await
}

async fn read(
    store: &Store,
    grant: &GrantTerms,
    source: &DataSource,
    layout: &Layout,
    filters: &[Filter],
    after: Option<i64>,
    limit: i64,
) -> Result<std::result::Result<Page, CallRefusal>> {
    debug_assert_eq!(grant.state, GrantState::Active);
    // The granted items the table holds, in catalog order.
    let items: Vec<&DataItem> = source
        .items
        .iter()
        .filter(|i| grant.items.contains(&i.code) && layout.columns.iter().any(|c| c.code == i.code))
        .collect();
    let mut sql = Sql::new("SELECT t.");
    sql.push_trusted(ROW_ID);
    for item in &items {
        sql.push(", CAST(t.").push_trusted(&table::quote(&item.code)).push(" AS TEXT)");
    }
    sql.push(" FROM ").push_trusted(&layout.quoted()).push(" t WHERE ").push_trusted(&layout.visible("t"));
    // Art.16: the grant's row scope holds for every call.
    let scope = grant.row_scope.filter.as_ref().map(|f| Filter {
        item: f.item.clone(),
        op: Op::Eq,
        values: vec![f.value.clone()],
    });
    for filter in filters.iter().chain(scope.as_ref()) {
        if let Err(refused) = push_filter(&mut sql, layout, filter) {
            return Ok(Err(refused));
        }
    }
    if let Some(after) = after {
        sql.push(" AND t.").push_trusted(ROW_ID).push(" > ").bind(after);
    }
    // The limit is written into the text, not bound: SQLite re-prepares a statement each time a
    // parameter its plan looked at (a bound LIMIT) is bound again, which would double the
    // cost of every call. It is a number the channel computed (at most 1,001).
    sql.push(" ORDER BY t.").push_trusted(ROW_ID).push(" LIMIT ").push_trusted(&(limit + 1).to_string());
    let rows = sql.query().fetch_all(store.reader()).await?;
    let more = rows.len() as i64 > limit;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let row_id: i64 = row.try_get(0)?;
        let mut values = Map::new();
        for (i, item) in items.iter().enumerate() {
            let stored: Option<String> = row.try_get(i + 1)?;
            let column = layout.columns.iter().find(|c| c.code == item.code).map(|c| c.column_type);
            values.insert(item.code.clone(), shown(grant, item, column, stored));
        }
        records.push(Record { row_id, values });
    }
    Ok(Ok(Page { records, more }))
}

/// A stored value as the caller sees it: masked where the rules say, typed otherwise.
pub(crate) fn shown(grant: &GrantTerms, item: &DataItem, column: Option<ColumnType>, stored: Option<String>) -> Value {
    let Some(v) = stored else { return Value::Null };
    if let Some(masked) = rules::deliver_value(grant, item, &v) {
        return Value::String(masked);
    }
    match column {
        Some(ColumnType::Integer) => v.parse::<i64>().map(Value::from).unwrap_or(Value::String(v)),
        Some(ColumnType::Boolean) => Value::Bool(matches!(v.as_str(), "1" | "true" | "t")),
        _ => Value::String(v),
    }
}

pub(crate) fn push_filter(sql: &mut Sql, layout: &Layout, filter: &Filter) -> std::result::Result<(), CallRefusal> {
    let Some(column) = layout.columns.iter().find(|c| c.code == filter.item) else {
        // A granted item with no column yet: no delivered row has a value for it.
        sql.push(" AND 1 = 0");
        return Ok(());
    };
    sql.push(" AND t.").push_trusted(&table::quote(&column.code));
    match filter.op {
        Op::Eq => sql.push(" = "),
        Op::Gte => sql.push(" >= "),
        Op::Lte => sql.push(" <= "),
        Op::In => sql.push(" IN ("),
    };
    for (i, value) in filter.values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        bind_typed(sql, column.column_type, &filter.item, value)?;
    }
    if filter.op == Op::In {
        sql.push(")");
    }
    Ok(())
}

/// Binds `value` as the column's type, so that both backends compare like with like.
fn bind_typed(sql: &mut Sql, column: ColumnType, item: &str, value: &str) -> std::result::Result<(), CallRefusal> {
    let bad = |zh: &str, en: &str| CallRefusal {
        code: "gateway_bad_value",
        status: 400,
        message: pubdata_domain::Text::new(
            format!("数据项「{item}」的值应为{zh}"),
            format!("values of {item:?} must be {en}"),
        ),
    };
    match column {
        ColumnType::Text => {
            sql.bind(value.to_string());
        }
        ColumnType::Integer => {
            sql.bind(value.trim().parse::<i64>().map_err(|_| bad("整数", "whole numbers"))?);
        }
        ColumnType::Boolean => {
            let b = match value.trim() {
                "true" | "1" | "是" => true,
                "false" | "0" | "否" => false,
                _ => return Err(bad("true 或 false", "true or false")),
            };
            sql.bind(b);
        }
    }
    Ok(())
}
