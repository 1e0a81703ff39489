//! The SQL engines under the store: SQLite (embedded, the default) or PostgreSQL (a server,
//! for several machines). [`Connection`] runs the store's SQL on either, with the calls the
//! store makes (execute, query a row, prepared statements, transactions) and one value model
//! ([`Value`]: null, integer, real, text, blob; SQLite's own).
//!
//! The store's SQL is written in SQLite's dialect with numbered parameters (`?1`). For
//! PostgreSQL, [`to_pg`] rewrites each statement once (cached with its prepared statement):
//! parameters become `$1`, `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`, the column
//! named `user` is quoted, scalar `min`/`max` of two values become `LEAST`/`GREATEST`, and
//! the marker `/*SKIP_LOCKED*/` becomes `FOR UPDATE SKIP LOCKED` (SQLite reads it as a
//! comment: there, the write lock of `BEGIN IMMEDIATE` already keeps two workers apart),
//! and a comment `/*PG: text*/` becomes `text` (a clause for PostgreSQL only, such as
//! `FOR UPDATE OF l SKIP LOCKED` where a join needs the locked table named).
//! A few statements differ beyond that and say so with [`Connection::dialect`].
//!
//! PostgreSQL's types are strict where SQLite's are not; values are converted at the edge:
//! a parameter is encoded as the type the server expects of it (an integer for a `TEXT`
//! column is sent as its digits), and a column is decoded from whatever type it has
//! (`NUMERIC` from `SUM` included) into a [`Value`].

use std::collections::HashMap;
use std::fmt;

use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// The engine a [`Connection`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded SQLite.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A value as stored: SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (booleans are 0 and 1).
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// A borrowed [`Value`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

impl Value {
    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

/// An error of the engine or of converting a value.
#[derive(Debug)]
pub enum DbError {
    /// SQLite's error.
    Sqlite(rusqlite::Error),
    /// PostgreSQL's error (the statement as sent is in `sql`).
    Postgres {
        /// The server's or the client's error.
        source: postgres::Error,
        /// The statement, as rewritten for PostgreSQL.
        sql: String,
    },
    /// A query that must answer one row answered none.
    NoRows,
    /// The connection to PostgreSQL is gone (its thread ended).
    Gone(String),
    /// A call only SQLite has (a pragma) was made on PostgreSQL.
    Unsupported(&'static str),
    /// A column could not be read as the type asked for.
    Type {
        /// The column's index.
        column: usize,
        /// What the caller asked for.
        wanted: &'static str,
        /// What the column held.
        found: String,
    },
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Sqlite(e) => write!(f, "{e}"),
            DbError::Postgres { source, sql } => {
                // The server's own message (with its detail) says more than the client's.
                match source.as_db_error() {
                    Some(db) => {
                        write!(f, "PostgreSQL: {}", db.message())?;
                        if let Some(d) = db.detail() {
                            write!(f, " ({d})")?;
                        }
                    }
                    None => {
                        write!(f, "PostgreSQL: {source}")?;
                        // The client's error says "error connecting to server"; why is in
                        // its sources.
                        let mut cause = std::error::Error::source(source);
                        while let Some(c) = cause {
                            write!(f, ": {c}")?;
                            cause = c.source();
                        }
                    }
                }
                if !sql.is_empty() {
                    let short: String = sql.chars().take(160).collect();
                    write!(f, " in: {short}")?;
                }
                Ok(())
            }
            DbError::NoRows => write!(f, "the query answered no row"),
            DbError::Gone(why) => write!(f, "the PostgreSQL connection is gone: {why}"),
            DbError::Unsupported(what) => write!(f, "{what} is SQLite's only"),
            DbError::Type {
                column,
                wanted,
                found,
            } => write!(f, "column {column} holds {found}, not {wanted}"),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::Sqlite(e) => Some(e),
            // Its message is already in this one's.
            DbError::Postgres { .. } => None,
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRows,
            e => DbError::Sqlite(e),
        }
    }
}

impl DbError {
    /// SQLite's "database is busy/locked" (another connection holds the write lock).
    pub fn is_busy(&self) -> bool {
        matches!(self, DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
    }
}

/// The engine layer's result.
pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// `Ok(None)` for [`DbError::NoRows`], as rusqlite's `optional()`.
pub trait OptionalExtension<T> {
    /// The row, `None` when there was none, or the error.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A value that can be bound as a parameter.
pub trait ToValue {
    /// The value, borrowed.
    fn to_value(&self) -> ValueRef<'_>;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> ValueRef<'_> {
                ValueRef::Integer(i64::from(*self))
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, i16, u16, u8, i8, bool);

impl ToValue for u64 {
    fn to_value(&self) -> ValueRef<'_> {
        // SQLite refuses a u64 past i64::MAX as well; such values are not stored here.
        ValueRef::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToValue for usize {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}
impl ToValue for f32 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Real(f64::from(*self))
    }
}
impl ToValue for str {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}
impl ToValue for String {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
impl ToValue for Value {
    fn to_value(&self) -> ValueRef<'_> {
        self.as_ref()
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> ValueRef<'_> {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> ValueRef<'_> {
        match self {
            Some(v) => v.to_value(),
            None => ValueRef::Null,
        }
    }
}

/// Parameters of a statement: `params![a, b]`, `[a, b]` (one type), or `[]`-like
/// `params![]`.
pub trait Params {
    /// The values, in order.
    fn values(&self) -> Vec<ValueRef<'_>>;
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for Vec<Value> {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(Value::as_ref).collect()
    }
}

/// Parameters of mixed types, as rusqlite's `params!`.
#[macro_export]
#[doc(hidden)]
macro_rules! __db_params {
    () => {
        &[] as &[&dyn $crate::db::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToValue),+] as &[&dyn $crate::db::ToValue]
    };
}
pub use crate::__db_params as params;

/// A value read from a column.
pub trait FromValue: Sized {
    /// The value, or why it is not one of these.
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self>;
}

fn type_err<T>(column: usize, wanted: &'static str, v: ValueRef<'_>) -> Result<T> {
    Err(DbError::Type {
        column,
        wanted,
        found: match v {
            ValueRef::Null => "NULL".into(),
            ValueRef::Integer(i) => format!("the integer {i}"),
            ValueRef::Real(f) => format!("the real {f}"),
            ValueRef::Text(s) => format!("the text {:?}", s.chars().take(40).collect::<String>()),
            ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
        },
    })
}

impl FromValue for i64 {
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
        match v {
            ValueRef::Integer(i) => Ok(i),
            // PostgreSQL's TEXT `meta.value` holds change numbers as digits.
            ValueRef::Text(s) if s.parse::<i64>().is_ok() => Ok(s.parse().unwrap_or(0)),
            other => type_err(column, "an integer", other),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
                let i = i64::from_value(v, column)?;
                <$t>::try_from(i).or_else(|_| type_err(column, stringify!($t), v))
            }
        }
    )*};
}
int_from_value!(i32, u32, u64, usize, u16, i16, u8);

impl FromValue for bool {
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
        Ok(i64::from_value(v, column)? != 0)
    }
}

impl FromValue for f64 {
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
        match v {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Integer(i) => Ok(i as f64),
            other => type_err(column, "a real", other),
        }
    }
}

impl FromValue for String {
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
        match v {
            ValueRef::Text(s) => Ok(s.to_owned()),
            ValueRef::Integer(i) => Ok(i.to_string()),
            other => type_err(column, "text", other),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            other => type_err(column, "a blob", other),
        }
    }
}

impl FromValue for Value {
    fn from_value(v: ValueRef<'_>, _column: usize) -> Result<Self> {
        Ok(match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: ValueRef<'_>, column: usize) -> Result<Self> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::from_value(v, column).map(Some),
        }
    }
}

/// A column's position, as rusqlite's `RowIndex` (by number only).
pub trait RowIndex {
    /// The 0-based position.
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row of a result.
#[allow(missing_debug_implementations)]
pub struct Row<'a> {
    inner: RowInner<'a>,
}

enum RowInner<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Pg(&'a [Value]),
}

impl Row<'_> {
    /// The column at `idx` as a `T`.
    pub fn get<I: RowIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let i = idx.index();
        match &self.inner {
            RowInner::Sqlite(r) => {
                let v = r.get_ref(i)?;
                let v = match v {
                    rusqlite::types::ValueRef::Null => ValueRef::Null,
                    rusqlite::types::ValueRef::Integer(n) => ValueRef::Integer(n),
                    rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
                    rusqlite::types::ValueRef::Text(t) => match std::str::from_utf8(t) {
                        Ok(s) => ValueRef::Text(s),
                        Err(_) => ValueRef::Blob(t),
                    },
                    rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
                };
                T::from_value(v, i)
            }
            RowInner::Pg(vals) => match vals.get(i) {
                Some(v) => T::from_value(v.as_ref(), i),
                None => Err(DbError::Type {
                    column: i,
                    wanted: "a column",
                    found: format!("a row of {} columns", vals.len()),
                }),
            },
        }
    }
}

struct SqliteParam<'a>(ValueRef<'a>);

impl rusqlite::ToSql for SqliteParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as R};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            ValueRef::Null => R::Null,
            ValueRef::Integer(i) => R::Integer(i),
            ValueRef::Real(f) => R::Real(f),
            ValueRef::Text(s) => R::Text(s.as_bytes()),
            ValueRef::Blob(b) => R::Blob(b),
        }))
    }
}

#[derive(Debug)]
struct PgParam<'a>(ValueRef<'a>);

#[derive(Debug)]
struct PgConvert(String);
impl fmt::Display for PgConvert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for PgConvert {}

type BoxErr = Box<dyn std::error::Error + Sync + Send>;

fn pg_text(s: &str, out: &mut bytes::BytesMut) {
    // PostgreSQL's text cannot hold NUL; SQLite's can. A NUL from a feed becomes U+FFFD.
    if s.contains('\0') {
        out.extend_from_slice(s.replace('\0', "\u{FFFD}").as_bytes());
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

impl ToSql for PgParam<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxErr> {
        use bytes::BufMut;
        let bad = || -> BoxErr {
            Box::new(PgConvert(format!(
                "cannot send {:?} as PostgreSQL type {ty}",
                self.0
            )))
        };
        match self.0 {
            ValueRef::Null => return Ok(IsNull::Yes),
            ValueRef::Integer(i) => match *ty {
                Type::INT8 => out.put_i64(i),
                Type::INT4 => out.put_i32(i32::try_from(i).map_err(|_| bad())?),
                Type::INT2 => out.put_i16(i16::try_from(i).map_err(|_| bad())?),
                Type::FLOAT8 => out.put_f64(i as f64),
                Type::FLOAT4 => out.put_f32(i as f32),
                Type::BOOL => out.put_u8(u8::from(i != 0)),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    out.extend_from_slice(i.to_string().as_bytes())
                }
                _ => return Err(bad()),
            },
            ValueRef::Real(f) => match *ty {
                Type::FLOAT8 => out.put_f64(f),
                Type::FLOAT4 => out.put_f32(f as f32),
                Type::INT8 if f.fract() == 0.0 => out.put_i64(f as i64),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => {
                    out.extend_from_slice(f.to_string().as_bytes())
                }
                _ => return Err(bad()),
            },
            ValueRef::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    pg_text(s, out)
                }
                Type::JSON => pg_text(s, out),
                Type::BYTEA => out.extend_from_slice(s.as_bytes()),
                Type::INT8 => out.put_i64(s.trim().parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            },
            ValueRef::Blob(b) => match *ty {
                Type::BYTEA => out.extend_from_slice(b),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => match std::str::from_utf8(b) {
                    Ok(s) => pg_text(s, out),
                    Err(_) => return Err(bad()),
                },
                _ => return Err(bad()),
            },
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A column as PostgreSQL sent it, decoded into a [`Value`].
struct PgCol(Value);

impl<'a> FromSql<'a> for PgCol {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxErr> {
        let be = |n: usize| -> Result<&[u8], BoxErr> {
            raw.get(..n)
                .ok_or_else(|| Box::new(PgConvert(format!("short {ty} value"))) as BoxErr)
        };
        let v = match *ty {
            Type::INT8 => Value::Integer(i64::from_be_bytes(be(8)?.try_into()?)),
            Type::INT4 => Value::Integer(i64::from(i32::from_be_bytes(be(4)?.try_into()?))),
            Type::INT2 => Value::Integer(i64::from(i16::from_be_bytes(be(2)?.try_into()?))),
            Type::OID => Value::Integer(i64::from(u32::from_be_bytes(be(4)?.try_into()?))),
            Type::FLOAT8 => Value::Real(f64::from_be_bytes(be(8)?.try_into()?)),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_be_bytes(be(4)?.try_into()?))),
            Type::BOOL => Value::Integer(i64::from(be(1)?[0] != 0)),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => Value::Text(String::from_utf8(raw.get(1..).unwrap_or(&[]).to_vec())?),
            Type::NUMERIC => numeric(raw)?,
            _ => Value::Text(String::from_utf8(raw.to_vec())?),
        };
        Ok(PgCol(v))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxErr> {
        Ok(PgCol(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's binary NUMERIC (what `SUM` and `AVG` of integers answer): base-10000 digits
/// with a weight. Whole values that fit are integers, the rest doubles.
fn numeric(raw: &[u8]) -> Result<Value, BoxErr> {
    let word = |i: usize| -> Result<u16, BoxErr> {
        let b = raw
            .get(i * 2..i * 2 + 2)
            .ok_or_else(|| Box::new(PgConvert("short NUMERIC value".into())) as BoxErr)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(1)? as i16);
    let sign = word(2)?;
    let dscale = word(3)?;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut v = 0f64;
    for i in 0..ndigits {
        let d = f64::from(word(4 + i)?);
        v += d * 10000f64.powi(weight - i as i32);
    }
    if sign == 0x4000 {
        v = -v;
    }
    if dscale == 0 && v.abs() < 9.0e15 {
        Ok(Value::Integer(v as i64))
    } else {
        Ok(Value::Real(v))
    }
}

struct PgConn {
    client: postgres::Client,
    statements: HashMap<String, (String, postgres::Statement)>,
    /// Statements whose parameter types the server cannot infer (`?1 IS NULL OR a = ?1`):
    /// prepared per combination of the values' types instead.
    typed: std::collections::HashSet<String>,
    /// Inside `BEGIN` … `COMMIT`/`ROLLBACK`.
    in_tx: bool,
    /// Per typed statement, the type each parameter was declared as when it was not NULL.
    learned: HashMap<String, Vec<Option<Type>>>,
}

/// Whether a parameter is tested for NULL (`$1 IS NULL`): the server cannot infer its type
/// from that alone.
fn null_tested_param(pg: &str) -> bool {
    let b = pg.as_bytes();
    let mut i = 0;
    while let Some(off) = pg[i..].find('$') {
        let mut j = i + off + 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > i + off + 1 && pg[j..].trim_start().to_ascii_uppercase().starts_with("IS ") {
            return true;
        }
        i = j.max(i + off + 1);
    }
    false
}

/// The PostgreSQL type a value is declared as when the server cannot infer one.
fn pg_type_of(v: &ValueRef<'_>) -> Type {
    match v {
        ValueRef::Integer(_) => Type::INT8,
        ValueRef::Real(_) => Type::FLOAT8,
        ValueRef::Blob(_) => Type::BYTEA,
        ValueRef::Null | ValueRef::Text(_) => Type::TEXT,
    }
}

impl PgConn {
    fn statement(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
    ) -> Result<(String, postgres::Statement)> {
        if self.typed.contains(sql) {
            let types: Vec<Type> = params.iter().map(pg_type_of).collect();
            let key = format!("{sql}\0{types:?}");
            if let Some(s) = self.statements.get(&key) {
                return Ok(s.clone());
            }
            let pg = to_pg(sql);
            // A NULL says nothing of its type: try the type this statement's parameter had
            // when it was not NULL, then integer, text and real for every NULL.
            let learned = self.learned.get(sql).cloned().unwrap_or_default();
            let mut tries: Vec<Vec<Type>> = Vec::new();
            for fallback in [Type::INT8, Type::TEXT, Type::FLOAT8] {
                let t: Vec<Type> = params
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        ValueRef::Null => learned
                            .get(i)
                            .cloned()
                            .flatten()
                            .unwrap_or_else(|| fallback.clone()),
                        v => pg_type_of(v),
                    })
                    .collect();
                if !tries.contains(&t) {
                    tries.push(t);
                }
            }
            let mut last = None;
            for t in tries {
                match self.prepare_guarded(&pg, &t) {
                    Ok(stmt) => {
                        let entry = self.learned.entry(sql.to_owned()).or_default();
                        entry.resize(params.len(), None);
                        for (i, v) in params.iter().enumerate() {
                            if !matches!(v, ValueRef::Null) {
                                entry[i] = Some(t[i].clone());
                            }
                        }
                        self.statements.insert(key, (pg.clone(), stmt.clone()));
                        return Ok((pg, stmt));
                    }
                    Err(e) => last = Some(e),
                }
            }
            return Err(DbError::Postgres {
                source: last.expect("at least one try"),
                sql: pg,
            });
        }
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let pg = to_pg(sql);
        if null_tested_param(&pg) {
            self.typed.insert(sql.to_owned());
            return self.statement(sql, params);
        }
        let stmt = match self.prepare_guarded(&pg, &[]) {
            Ok(s) => s,
            Err(e)
                if e.code() == Some(&postgres::error::SqlState::INDETERMINATE_DATATYPE)
                    || e.code() == Some(&postgres::error::SqlState::AMBIGUOUS_PARAMETER) =>
            {
                self.typed.insert(sql.to_owned());
                return self.statement(sql, params);
            }
            Err(source) => {
                return Err(DbError::Postgres {
                    source,
                    sql: pg.clone(),
                });
            }
        };
        self.statements
            .insert(sql.to_owned(), (pg.clone(), stmt.clone()));
        Ok((pg, stmt))
    }

    /// Prepares `pg` (with these parameter types, the rest inferred). A failed prepare
    /// aborts an open transaction; a savepoint keeps it usable.
    fn prepare_guarded(
        &mut self,
        pg: &str,
        types: &[Type],
    ) -> Result<postgres::Statement, postgres::Error> {
        let guard = |c: &mut postgres::Client, sql: &str| c.batch_execute(sql);
        if self.in_tx {
            guard(&mut self.client, "SAVEPOINT rasd_prepare")?;
        }
        let prepared = self.client.prepare_typed(pg, types);
        if self.in_tx {
            match prepared {
                Ok(_) => guard(&mut self.client, "RELEASE SAVEPOINT rasd_prepare")?,
                Err(_) => guard(&mut self.client, "ROLLBACK TO SAVEPOINT rasd_prepare")?,
            }
        }
        prepared
    }

    fn query(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<Vec<Vec<Value>>> {
        let (pg, stmt) = self.statement(sql, params)?;
        let owned: Vec<PgParam<'_>> = params.iter().map(|v| PgParam(*v)).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            owned.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self
            .client
            .query(&stmt, &refs)
            .map_err(|source| DbError::Postgres { source, sql: pg })?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut vals = Vec::with_capacity(row.len());
            for i in 0..row.len() {
                let c: PgCol = row.try_get(i).map_err(|source| DbError::Postgres {
                    source,
                    sql: String::new(),
                })?;
                vals.push(c.0);
            }
            out.push(vals);
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[ValueRef<'_>]) -> Result<usize> {
        let (pg, stmt) = self.statement(sql, params)?;
        let owned: Vec<PgParam<'_>> = params.iter().map(|v| PgParam(*v)).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            owned.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let n = self
            .client
            .execute(&stmt, &refs)
            .map_err(|source| DbError::Postgres { source, sql: pg })?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        match sql {
            "BEGIN" => self.in_tx = true,
            "COMMIT" | "ROLLBACK" => self.in_tx = false,
            _ => {}
        }
        self.client
            .batch_execute(sql)
            .map_err(|source| DbError::Postgres {
                source,
                sql: sql.to_owned(),
            })
    }
}

/// A PostgreSQL connection on a thread of its own. The synchronous client drives its own
/// small async runtime, which cannot run on a thread that already drives one (the web's
/// handlers, `rasd run`'s tasks); on its own thread it can, and every caller just waits for
/// its answer, as it would for SQLite.
struct PgWorker {
    jobs: std::sync::mpsc::Sender<PgJob>,
}

/// A call run on the PostgreSQL connection's thread.
type PgJob = Box<dyn FnOnce(&mut PgConn) + Send>;

impl PgWorker {
    fn start(url: &str) -> Result<PgWorker> {
        let (jobs, queue) = std::sync::mpsc::channel::<PgJob>();
        let (ready_tx, ready) = std::sync::mpsc::sync_channel::<Result<()>>(1);
        let url = url.to_owned();
        std::thread::Builder::new()
            .name("rasd-postgres".into())
            .spawn(move || {
                let client = match postgres::Client::connect(&url, postgres::NoTls) {
                    Ok(c) => c,
                    Err(source) => {
                        let _ = ready_tx.send(Err(DbError::Postgres {
                            source,
                            sql: String::new(),
                        }));
                        return;
                    }
                };
                let mut conn = PgConn {
                    client,
                    statements: HashMap::new(),
                    typed: Default::default(),
                    in_tx: false,
                    learned: HashMap::new(),
                };
                let _ = ready_tx.send(conn.batch("SET client_min_messages = warning"));
                // Until the Connection (the sender) is dropped.
                for job in queue {
                    job(&mut conn);
                }
            })
            .map_err(|e| DbError::Gone(format!("cannot start its thread: {e}")))?;
        ready
            .recv()
            .map_err(|_| DbError::Gone("its thread ended while connecting".into()))??;
        Ok(PgWorker { jobs })
    }

    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |c: &mut PgConn| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| DbError::Gone("its thread has ended".into()))?;
        rx.recv()
            .map_err(|_| DbError::Gone("its thread ended during a call".into()))?
    }

    fn owned(params: &[ValueRef<'_>]) -> Vec<Value> {
        params
            .iter()
            .map(|v| Value::from_value(*v, 0).unwrap_or(Value::Null))
            .collect()
    }

    fn query(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<Vec<Vec<Value>>> {
        let (sql, vals) = (sql.to_owned(), Self::owned(params));
        self.call(move |c| {
            let refs: Vec<ValueRef<'_>> = vals.iter().map(Value::as_ref).collect();
            c.query(&sql, &refs)
        })
    }

    fn execute(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<usize> {
        let (sql, vals) = (sql.to_owned(), Self::owned(params));
        self.call(move |c| {
            let refs: Vec<ValueRef<'_>> = vals.iter().map(Value::as_ref).collect();
            c.execute(&sql, &refs)
        })
    }

    fn batch(&self, sql: &str) -> Result<()> {
        let sql = sql.to_owned();
        self.call(move |c| c.batch(&sql))
    }

    /// `BEGIN` and the store's write lock; rolled back if the lock cannot be taken.
    fn begin_write(&self) -> Result<()> {
        self.call(|c| {
            c.batch("BEGIN")?;
            if let Err(e) = c.batch(&format!("SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")) {
                let _ = c.batch("ROLLBACK");
                return Err(e);
            }
            Ok(())
        })
    }
}

enum Engine {
    Sqlite(rusqlite::Connection),
    Pg(PgWorker),
}

/// One connection to the store's database, SQLite's or PostgreSQL's.
pub struct Connection {
    engine: Engine,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Connection({:?})", self.dialect())
    }
}

/// The lock every PostgreSQL write transaction takes first (`pg_advisory_xact_lock`): one
/// writer at a time, as SQLite's `BEGIN IMMEDIATE`, so change numbers are committed in the
/// order they are taken and a follower never skips one that commits late.
const PG_WRITE_LOCK: i64 = 0x7261_7364; // "rasd"

impl Connection {
    /// Wraps an open SQLite connection.
    pub fn sqlite(conn: rusqlite::Connection) -> Connection {
        Connection {
            engine: Engine::Sqlite(conn),
        }
    }

    /// Connects to the PostgreSQL server at `url` (`postgres://user@host:port/db`), without
    /// TLS (a server beyond loopback is reached through a tunnel or a private network).
    pub fn postgres(url: &str) -> Result<Connection> {
        Ok(Connection {
            engine: Engine::Pg(PgWorker::start(url)?),
        })
    }

    /// A SQLite database in memory.
    pub fn open_in_memory() -> Result<Connection> {
        Ok(Connection::sqlite(rusqlite::Connection::open_in_memory()?))
    }

    /// A SQLite database file (no pragmas set: [`crate::Store::open`] sets them).
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Connection> {
        Ok(Connection::sqlite(rusqlite::Connection::open(path)?))
    }

    fn sqlite_only(&self, what: &'static str) -> Result<&rusqlite::Connection> {
        self.as_sqlite().ok_or(DbError::Unsupported(what))
    }

    /// SQLite's `PRAGMA name = value`.
    pub fn pragma_update<V: rusqlite::ToSql>(
        &self,
        schema: Option<&str>,
        name: &str,
        value: V,
    ) -> Result<()> {
        Ok(self
            .sqlite_only("PRAGMA")?
            .pragma_update(schema, name, value)?)
    }

    /// SQLite's `PRAGMA name`, its first value.
    pub fn pragma_query_value<T: rusqlite::types::FromSql>(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<T> {
        Ok(self
            .sqlite_only("PRAGMA")?
            .pragma_query_value(schema, name, |r| r.get(0))?)
    }

    /// Which engine this is.
    pub fn dialect(&self) -> Dialect {
        match self.engine {
            Engine::Sqlite(_) => Dialect::Sqlite,
            Engine::Pg(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, backup, checkpoints).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.engine {
            Engine::Sqlite(c) => Some(c),
            Engine::Pg(_) => None,
        }
    }

    /// `sqlite` or `postgres` by dialect, for the few statements that differ beyond what
    /// [`to_pg`] rewrites.
    pub fn dialect_sql<'s>(&self, sqlite: &'s str, postgres: &'s str) -> &'s str {
        match self.dialect() {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }

    /// Runs one statement; answers how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let vals = params.values();
        match &self.engine {
            Engine::Sqlite(c) => {
                let ps: Vec<SqliteParam<'_>> = vals.iter().map(|v| SqliteParam(*v)).collect();
                Ok(c.prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(ps.iter()))?)
            }
            Engine::Pg(p) => p.execute(sql, &vals),
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Engine::Pg(p) => p.batch(&to_pg(sql)),
        }
    }

    /// The first row `f` makes of, or [`DbError::NoRows`].
    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// A statement to run (once or many times).
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.engine {
            Engine::Sqlite(c) => Ok(Statement {
                inner: StmtInner::Sqlite(c.prepare_cached(sql)?),
            }),
            Engine::Pg(p) => Ok(Statement {
                inner: StmtInner::Pg {
                    conn: p,
                    sql: sql.to_owned(),
                },
            }),
        }
    }

    /// As [`Connection::prepare_cached`] (statements are cached on both engines).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_cached(sql)
    }

    /// A transaction that writes: SQLite's `BEGIN IMMEDIATE` (waits out another writer up
    /// to the busy timeout), PostgreSQL's `BEGIN` plus the store's write lock.
    pub fn write_transaction(&mut self) -> Result<Transaction<'_>> {
        match &self.engine {
            Engine::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Engine::Pg(p) => p.begin_write()?,
        }
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    /// A transaction without the write lock: reads, and writes that need no change number
    /// (PostgreSQL's row locks keep them apart; SQLite takes its lock at the first write).
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        match &self.engine {
            Engine::Sqlite(c) => c.execute_batch("BEGIN")?,
            Engine::Pg(p) => p.batch("BEGIN")?,
        }
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }
}

/// An open transaction; rolled back when dropped without [`Transaction::commit`].
#[derive(Debug)]
pub struct Transaction<'c> {
    conn: &'c Connection,
    done: bool,
}

impl Transaction<'_> {
    /// Commits.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

/// A prepared statement.
#[allow(missing_debug_implementations)]
pub struct Statement<'c> {
    inner: StmtInner<'c>,
}

enum StmtInner<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    Pg { conn: &'c PgWorker, sql: String },
}

impl Statement<'_> {
    /// Runs it; answers how many rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let vals = params.values();
        match &mut self.inner {
            StmtInner::Sqlite(s) => {
                let ps: Vec<SqliteParam<'_>> = vals.iter().map(|v| SqliteParam(*v)).collect();
                Ok(s.execute(rusqlite::params_from_iter(ps.iter()))?)
            }
            StmtInner::Pg { conn, sql } => conn.execute(sql, &vals),
        }
    }

    /// Every row, each made by `f`.
    pub fn query_map<T, P: Params, F: FnMut(&Row<'_>) -> Result<T>>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let vals = params.values();
        let mut out = Vec::new();
        match &mut self.inner {
            StmtInner::Sqlite(s) => {
                let ps: Vec<SqliteParam<'_>> = vals.iter().map(|v| SqliteParam(*v)).collect();
                let mut rows = s.query(rusqlite::params_from_iter(ps.iter()))?;
                while let Some(r) = rows.next()? {
                    out.push(f(&Row {
                        inner: RowInner::Sqlite(r),
                    }));
                }
            }
            StmtInner::Pg { conn, sql } => {
                let rows = conn.query(sql, &vals)?;
                for r in &rows {
                    out.push(f(&Row {
                        inner: RowInner::Pg(r),
                    }));
                }
            }
        }
        Ok(out.into_iter())
    }

    /// The first row made by `f`, or [`DbError::NoRows`].
    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(
        &mut self,
        params: P,
        f: F,
    ) -> Result<T> {
        let vals = params.values();
        match &mut self.inner {
            StmtInner::Sqlite(s) => {
                let ps: Vec<SqliteParam<'_>> = vals.iter().map(|v| SqliteParam(*v)).collect();
                let mut rows = s.query(rusqlite::params_from_iter(ps.iter()))?;
                match rows.next()? {
                    Some(r) => f(&Row {
                        inner: RowInner::Sqlite(r),
                    }),
                    None => Err(DbError::NoRows),
                }
            }
            StmtInner::Pg { conn, sql } => {
                let rows = conn.query(sql, &vals)?;
                match rows.first() {
                    Some(r) => f(&Row {
                        inner: RowInner::Pg(r),
                    }),
                    None => Err(DbError::NoRows),
                }
            }
        }
    }

    /// Whether it answers at least one row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    }
}

/// For tests and benchmarks: a new, empty schema on the server at `base_url`, and the URL
/// that opens connections on it (`search_path` set through the connection's options).
#[doc(hidden)]
pub fn fresh_schema_url(base_url: &str) -> Result<String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    );
    let conn = Connection::postgres(base_url)?;
    conn.execute_batch(&format!("CREATE SCHEMA {name}"))?;
    let sep = if base_url.contains('?') { '&' } else { '?' };
    Ok(format!("{base_url}{sep}options=-c%20search_path%3D{name}"))
}

/// Opens a clause for PostgreSQL only: `/*PG: FOR UPDATE OF l SKIP LOCKED*/` is that text
/// on PostgreSQL and a comment on SQLite.
pub const PG_ONLY: &str = "/*PG:";

/// Rewrites a statement in the store's SQLite dialect for PostgreSQL (see the module's
/// documentation for what changes).
pub fn to_pg(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut chars = sql.char_indices().peekable();
    let mut bare = 0usize;
    let mut or_ignore = false;
    let bytes = sql.as_bytes();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                // A string literal, copied as is ('' inside is an escaped quote).
                out.push(c);
                for (_, d) in chars.by_ref() {
                    out.push(d);
                    if d == '\'' {
                        break;
                    }
                }
            }
            '/' if sql[i..].starts_with(PG_ONLY) => {
                // `/*PG: text*/`: PostgreSQL's own clause (SQLite reads a comment).
                let inner = i + PG_ONLY.len();
                let Some(len) = sql[inner..].find("*/") else {
                    out.push_str(&sql[i..]);
                    break;
                };
                let end = inner + len + 2;
                out.push_str(sql[inner..inner + len].trim());
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek() {
                    if d.is_ascii_digit() {
                        digits.push(*d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if digits.is_empty() {
                    bare += 1;
                    out.push_str(&format!("${bare}"));
                } else {
                    out.push('$');
                    out.push_str(&digits);
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                let mut end = i + c.len_utf8();
                while let Some((j, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || *d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &sql[start..end];
                let prev_dot = start > 0 && bytes[start - 1] == b'.';
                if word.eq_ignore_ascii_case("user") && !prev_dot {
                    out.push_str("\"user\"");
                } else if word.eq_ignore_ascii_case("or")
                    && out.trim_end().to_ascii_uppercase().ends_with("INSERT")
                {
                    // INSERT OR IGNORE: drop "OR IGNORE", add ON CONFLICT DO NOTHING.
                    let rest = &sql[end..];
                    let trimmed = rest.trim_start();
                    if trimmed.len() >= 6 && trimmed[..6].eq_ignore_ascii_case("ignore") {
                        let skip = rest.len() - trimmed.len() + 6;
                        for _ in 0..sql[end..end + skip].chars().count() {
                            chars.next();
                        }
                        or_ignore = true;
                        // Trailing space after INSERT already there.
                        while out.ends_with(' ') {
                            out.pop();
                        }
                    } else {
                        out.push_str(word);
                    }
                } else if (word.eq_ignore_ascii_case("min") || word.eq_ignore_ascii_case("max"))
                    && scalar_pair(&sql[end..])
                {
                    out.push_str(if word.eq_ignore_ascii_case("min") {
                        "LEAST"
                    } else {
                        "GREATEST"
                    });
                } else if word.eq_ignore_ascii_case("ifnull") {
                    out.push_str("COALESCE");
                } else {
                    out.push_str(word);
                }
            }
            _ => out.push(c),
        }
    }
    let mut out = out
        .replace("/*SKIP_LOCKED*/", "FOR UPDATE SKIP LOCKED")
        // `meta.value` is TEXT on PostgreSQL (it holds numbers and the store id).
        .replace(
            "SET value = value + 1",
            "SET value = (value::bigint + 1)::text",
        )
        .replace(
            "lower(hex(randomblob(16)))",
            "md5(random()::text || clock_timestamp()::text)",
        );
    if or_ignore {
        let trimmed = out.trim_end().trim_end_matches(';').trim_end().to_owned();
        match find_keyword(&trimmed, "RETURNING") {
            Some(at) => {
                out = format!(
                    "{} ON CONFLICT DO NOTHING {}",
                    trimmed[..at].trim_end(),
                    &trimmed[at..]
                )
            }
            None => out = format!("{trimmed} ON CONFLICT DO NOTHING"),
        }
    }
    out
}

fn find_keyword(sql: &str, kw: &str) -> Option<usize> {
    let upper = sql.to_ascii_uppercase();
    upper.rfind(&format!(" {kw} ")).map(|i| i + 1)
}

/// Whether `rest` (after `min`/`max`) is a call with two arguments at its top level.
fn scalar_pair(rest: &str) -> bool {
    let rest = rest.trim_start();
    if !rest.starts_with('(') {
        return false;
    }
    let mut depth = 0i32;
    for c in rest.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            ',' if depth == 1 => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_the_sqlite_dialect_for_postgres() {
        assert_eq!(
            to_pg("SELECT a FROM t WHERE b = ?1 AND c = ?2 AND d = '?3'"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 AND d = '?3'"
        );
        assert_eq!(
            to_pg("INSERT OR IGNORE INTO t (a) VALUES (?1)"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            to_pg("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a"
        );
        assert_eq!(
            to_pg("SELECT u.user, user FROM sessions u WHERE user = ?1"),
            "SELECT u.user, \"user\" FROM sessions u WHERE \"user\" = $1"
        );
        assert_eq!(
            to_pg("SET a = min(a, excluded.a), b = max(b, 2), c = MAX(c), d = max(f(x, y))"),
            "SET a = LEAST(a, excluded.a), b = GREATEST(b, 2), c = MAX(c), d = max(f(x, y))"
        );
        assert_eq!(
            to_pg("SELECT id FROM s LIMIT 3 /*SKIP_LOCKED*/"),
            "SELECT id FROM s LIMIT 3 FOR UPDATE SKIP LOCKED"
        );
        assert_eq!(
            to_pg(
                "SELECT l.a FROM l JOIN s ON s.id = l.a WHERE l.b <= ?1 LIMIT ?2 \
                 /*PG: FOR UPDATE OF l SKIP LOCKED */"
            ),
            "SELECT l.a FROM l JOIN s ON s.id = l.a WHERE l.b <= $1 LIMIT $2 \
             FOR UPDATE OF l SKIP LOCKED"
        );
        // Other comments, and the marker inside a literal, stay as they are.
        assert_eq!(
            to_pg("SELECT 1 /* note */, '/*PG: x*/' /*PG:FOR SHARE*/ /*PG: unclosed"),
            "SELECT 1 /* note */, '/*PG: x*/' FOR SHARE /*PG: unclosed"
        );
        // Arabic text in a literal is left alone.
        assert_eq!(
            to_pg("SELECT 'عمّان؟' , ifnull(x, 0)"),
            "SELECT 'عمّان؟' , COALESCE(x, 0)"
        );
    }

    #[test]
    fn numeric_decodes_whole_and_fractional_values() {
        // 12345678 = 1234 * 10000 + 5678: ndigits 2, weight 1.
        let raw = [0u8, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(12_345_678));
        // -2.5: digits [2, 5000], weight 0, negative, dscale 1.
        let raw = [0u8, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(-2.5));
    }

    #[test]
    fn sqlite_round_trips_values_and_params() {
        let mut c = Connection::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c REAL, d BLOB)")
            .unwrap();
        let tx = c.write_transaction().unwrap();
        tx.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            params![7i64, "إربد", 0.5f64, vec![1u8, 2]],
        )
        .unwrap();
        tx.commit().unwrap();
        let (a, b, c2, d): (i64, String, f64, Vec<u8>) = c
            .query_row("SELECT a, b, c, d FROM t", params![], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((a, b.as_str(), c2, d), (7, "إربد", 0.5, vec![1, 2]));
        let none = c
            .query_row("SELECT a FROM t WHERE a = ?1", [8i64], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
        // A dropped transaction rolls back.
        {
            let tx = c.write_transaction().unwrap();
            tx.execute("DELETE FROM t", params![]).unwrap();
        }
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM t", params![], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
