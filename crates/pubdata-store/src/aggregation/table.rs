//! Each resource's data table: `rd_<resource id>`, one typed column per data item plus the
//! provenance columns, created on the first delivery and widened when the catalog adds items.

use crate::db::{Backend, WriteTx};
use crate::error::{Error, Result};
use pubdata_domain::catalog::{DataItem, ItemType};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AssertSqlSafe, Executor};

/// The provenance columns every data table starts with.
pub(crate) const ROW_ID: &str = "_pd_row_id";
pub(crate) const BATCH: &str = "_pd_batch";
pub(crate) const SOURCE_ROW: &str = "_pd_source_row";
pub(crate) const RETIRED_BY: &str = "_pd_retired_by";

/// How a data item's values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Text,
    Integer,
    Boolean,
}

impl ColumnType {
    pub(crate) fn of(t: ItemType) -> ColumnType {
        match t {
            ItemType::Integer => ColumnType::Integer,
            ItemType::Boolean => ColumnType::Boolean,
            // Decimals are stored as canonical text (SQLite has no exact decimal type, and both
            // backends must answer alike); dates as ISO text, which sorts as dates do.
            _ => ColumnType::Text,
        }
    }

    fn sql(self, backend: Backend) -> &'static str {
        match (self, backend) {
            (ColumnType::Text, Backend::Sqlite) => "TEXT",
            // Byte order, as SQLite's BINARY: both backends compare and sort alike, and key
            // comparisons are memcmp rather than the locale's collation (several times faster
            // when the key index is built or maintained).
            (ColumnType::Text, Backend::Postgres) => "TEXT COLLATE \"C\"",
            (ColumnType::Integer, Backend::Sqlite) => "INTEGER",
            (ColumnType::Integer, Backend::Postgres) => "BIGINT",
            (ColumnType::Boolean, Backend::Sqlite) => "INTEGER",
            (ColumnType::Boolean, Backend::Postgres) => "BOOLEAN",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub code: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
}

/// A resource's data table as it exists in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub resource_id: i64,
    pub table: String,
    pub columns: Vec<Column>,
    pub key: Vec<String>,
}

impl Layout {
    /// The table's name, quoted. Built from the resource's integer id only.
    pub(crate) fn quoted(&self) -> String {
        format!("\"{}\"", self.table)
    }

    /// The columns of `items`, in catalog order, as quoted SQL identifiers. Item codes are
    /// checked by the catalog (lower-case letters, digits, `_`, starting with a letter).
    pub(crate) fn item_columns(items: &[DataItem]) -> Vec<String> {
        items.iter().map(|i| quote(&i.code)).collect()
    }

    /// The condition that keeps only the rows readers may see: delivered by a stored batch and
    /// not replaced since. `alias` is the table's alias in the query.
    pub(crate) fn visible(&self, alias: &str) -> String {
        format!(
            "{alias}.{RETIRED_BY} IS NULL AND {alias}.{BATCH} IN \
             (SELECT id FROM aggregation_batches WHERE resource_id = {} AND state = 'stored')",
            self.resource_id
        )
    }

    /// The statements that create the table's indexes where missing: the batch index (a
    /// batch's rows in file order: purging, provenance, duplicate rows) and, when the resource
    /// declares one, the unique key's index (not unique: replaced rows keep their key), with
    /// the batch last so that duplicate checks within one batch are answered from the index.
    pub(crate) fn create_indexes(&self) -> Vec<String> {
        let t = &self.table;
        let mut statements =
            vec![format!("CREATE INDEX IF NOT EXISTS \"{t}_batch\" ON \"{t}\" ({BATCH}, {SOURCE_ROW})")];
        if !self.key.is_empty() {
            let cols: Vec<String> = self.key.iter().map(|k| quote(k)).collect();
            statements
                .push(format!("CREATE INDEX IF NOT EXISTS \"{t}_key\" ON \"{t}\" ({}, {BATCH})", cols.join(", ")));
        }
        statements
    }

    /// The statements that drop the indexes. A delivery into an empty table drops them and
    /// builds them once its rows are loaded: sorting once is much cheaper than keeping a
    /// B-tree ordered through millions of inserts in key order that is random.
    pub(crate) fn drop_indexes(&self) -> Vec<String> {
        let t = &self.table;
        vec![format!("DROP INDEX IF EXISTS \"{t}_batch\""), format!("DROP INDEX IF EXISTS \"{t}_key\"")]
    }
}

pub(crate) fn quote(code: &str) -> String {
    format!("\"{}\"", code.replace('"', ""))
}

pub(crate) fn table_name(resource_id: i64) -> String {
    format!("rd_{resource_id}")
}

#[derive(sqlx::FromRow)]
struct LayoutRow {
    table_name: String,
    columns: String,
    key_columns: String,
}

/// The resource's table, if it has one.
pub(crate) async fn layout(conn: &mut AnyConnection, resource_id: i64) -> Result<Option<Layout>> {
    let row: Option<LayoutRow> =
        sqlx::query_as("SELECT table_name, columns, key_columns FROM resource_data_tables WHERE resource_id = $1")
            .bind(resource_id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        let columns: Vec<Column> = serde_json::from_str(&r.columns)
            .map_err(|e| Error::Database(sqlx::Error::Decode(format!("data table layout: {e}").into())))?;
        let key: Vec<String> = serde_json::from_str(&r.key_columns)
            .map_err(|e| Error::Database(sqlx::Error::Decode(format!("data table key: {e}").into())))?;
        Ok(Layout { resource_id, table: r.table_name, columns, key })
    })
    .transpose()
}

/// Creates the resource's table, or adds columns for items the catalog added since. A column
/// whose item changed type keeps its stored type: values are checked against the catalog on
/// delivery and converted when stored. Returns the layout the batch loads into.
pub(crate) async fn ensure(tx: &mut WriteTx, resource_id: i64, items: &[DataItem]) -> Result<Layout> {
    let backend = tx.backend();
    let key: Vec<String> = items.iter().filter(|i| i.unique_key).map(|i| i.code.clone()).collect();
    let now = pubdata_domain::timefmt::format_instant(pubdata_domain::timefmt::now());
    match layout(tx.conn(), resource_id).await? {
        None => {
            let table = table_name(resource_id);
            let columns: Vec<Column> = items
                .iter()
                .map(|i| Column { code: i.code.clone(), column_type: ColumnType::of(i.item_type) })
                .collect();
            let id_column = match backend {
                Backend::Sqlite => "INTEGER PRIMARY KEY",
                Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            };
            let int = ColumnType::Integer.sql(backend);
            let mut ddl = format!(
                "CREATE TABLE \"{table}\" ({ROW_ID} {id_column}, {BATCH} {int} NOT NULL, {SOURCE_ROW} {int} NOT NULL, \
                 {RETIRED_BY} {int}"
            );
            for c in &columns {
                ddl.push_str(&format!(", {} {}", quote(&c.code), c.column_type.sql(backend)));
            }
            ddl.push(')');
            tx.conn().execute(AssertSqlSafe(ddl)).await?;
            let layout = Layout { resource_id, table, columns, key };
            for statement in layout.create_indexes() {
                tx.conn().execute(AssertSqlSafe(statement)).await?;
            }
            sqlx::query(
                "INSERT INTO resource_data_tables (resource_id, table_name, columns, key_columns, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(resource_id)
            .bind(&layout.table)
            .bind(json(&layout.columns)?)
            .bind(json(&layout.key)?)
            .bind(&now)
            .execute(tx.conn())
            .await?;
            Ok(layout)
        }
        Some(mut layout) => {
            let mut changed = false;
            for item in items {
                if !layout.columns.iter().any(|c| c.code == item.code) {
                    let column = Column { code: item.code.clone(), column_type: ColumnType::of(item.item_type) };
                    tx.conn()
                        .execute(AssertSqlSafe(format!(
                            "ALTER TABLE {} ADD COLUMN {} {}",
                            layout.quoted(),
                            quote(&column.code),
                            column.column_type.sql(backend)
                        )))
                        .await?;
                    layout.columns.push(column);
                    changed = true;
                }
            }
            if layout.key != key {
                tx.conn().execute(AssertSqlSafe(format!("DROP INDEX IF EXISTS \"{}_key\"", layout.table))).await?;
                layout.key = key;
                changed = true;
            }
            // A delivery into an empty table builds the indexes after loading (see
            // `Layout::drop_indexes`); one whose process died before that left them missing.
            for statement in layout.create_indexes() {
                tx.conn().execute(AssertSqlSafe(statement)).await?;
            }
            if changed {
                sqlx::query("UPDATE resource_data_tables SET columns = $1, key_columns = $2 WHERE resource_id = $3")
                    .bind(json(&layout.columns)?)
                    .bind(json(&layout.key)?)
                    .bind(resource_id)
                    .execute(tx.conn())
                    .await?;
            }
            Ok(layout)
        }
    }
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Database(sqlx::Error::Encode(e.into())))
}
