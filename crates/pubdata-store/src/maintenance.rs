//! Operator tasks at the command line: online backup of an SQLite database.

use crate::db::{Backend, Store};
use crate::error::{Error, Result};
use pubdata_domain::audit::events;
use pubdata_domain::identity::Caller;
use std::path::Path;

/// Writes a consistent copy of the SQLite database to `target` while the platform keeps
/// running (`VACUUM INTO`), after recording the backup in the audit trail (it is an access to
/// all data). PostgreSQL is backed up with its own tools (`pg_dump`).
pub async fn backup_sqlite(store: &Store, caller: &Caller, target: &Path) -> Result<()> {
    if store.backend() != Backend::Sqlite {
        return Err(pubdata_domain::Error::invalid(
            "database",
            "PostgreSQL 请使用 pg_dump 备份",
            "back up PostgreSQL with pg_dump",
        )
        .into());
    }
    if target.exists() {
        return Err(pubdata_domain::Error::invalid(
            "output",
            format!("{} 已存在，不会覆盖", target.display()),
            format!("{} exists; it will not be overwritten", target.display()),
        )
        .into());
    }
    let file = target.to_string_lossy().to_string();
    store.audit().record(caller.actor(), events::backup_made(&file)).await?;
    sqlx::query("VACUUM INTO $1").bind(file).execute(store.reader()).await.map_err(Error::Database)?;
    Ok(())
}
