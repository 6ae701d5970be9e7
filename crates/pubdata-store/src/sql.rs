//! A query builder that numbers parameters `$1, $2, ...`, which both SQLite and PostgreSQL
//! accept (sqlx's own builder emits `?` under the `Any` driver, which PostgreSQL rejects).

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, AssertSqlSafe, Encode, Type};
use std::fmt::Write;

pub(crate) struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
}

impl Sql {
    /// Starts a statement; `init` must be trusted SQL text (no user input).
    pub(crate) fn new(init: &'static str) -> Sql {
        Sql { text: init.to_string(), args: AnyArguments::default(), count: 0 }
    }

    /// Appends trusted SQL text.
    pub(crate) fn push(&mut self, text: &'static str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends SQL text built only from trusted parts: identifiers the platform itself derived
    /// and checked (resource table names, item codes), never user input.
    pub(crate) fn push_trusted(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a parameter placeholder and binds `value` to it.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + 'static,
    {
        self.count += 1;
        let _ = write!(self.text, "${}", self.count);
        // Encoding into the Any buffer fails only for types Any does not support; the bounds
        // above exclude those at compile time.
        let _ = self.args.add(value);
        self
    }

    pub(crate) fn query(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        sqlx::query_with(AssertSqlSafe(self.text), self.args)
    }

    pub(crate) fn query_as<O>(self) -> sqlx::query::QueryAs<'static, Any, O, AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(AssertSqlSafe(self.text), self.args)
    }
}
