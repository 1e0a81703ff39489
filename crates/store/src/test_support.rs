//! What the store's tests open: a SQLite store in memory, or a fresh schema of the test
//! PostgreSQL server ([`crate::testing::pg_url`]), so one test body runs on both engines.

use crate::Store;

/// A SQLite store in memory.
pub(crate) fn test_store_sqlite() -> Option<Store> {
    Some(Store::open_in_memory().unwrap())
}

/// A store on a schema of its own on the test PostgreSQL server; `None` (with a `SKIPPED`
/// line) when there is no server.
pub(crate) fn test_store_pg() -> Option<Store> {
    let url = crate::testing::require_pg("this PostgreSQL store test")?;
    Some(Store::open_url(&crate::db::fresh_schema_url(&url).unwrap()).unwrap())
}

/// Two stores on one SQLite file (two connections, as two processes have).
pub(crate) fn test_pair_sqlite() -> Option<(Store, Store)> {
    let dir = tempfile::tempdir().unwrap();
    let one = Store::open(dir.path()).unwrap();
    let two = Store::open(dir.path()).unwrap();
    // The files stay until the process ends (the stores outlive this function).
    std::mem::forget(dir);
    Some((one, two))
}

/// Two stores on one schema of the test PostgreSQL server; `None` without a server.
pub(crate) fn test_pair_pg() -> Option<(Store, Store)> {
    let url = crate::testing::require_pg("this PostgreSQL store test")?;
    let url = crate::db::fresh_schema_url(&url).unwrap();
    Some((
        Store::open_url(&url).unwrap(),
        Store::open_url(&url).unwrap(),
    ))
}

/// In the SQLite run of a test: nothing.
macro_rules! sqlite_only_run {
    () => {};
}
/// In the PostgreSQL run of a test that is about SQLite's files: ends the test.
macro_rules! sqlite_only_skip {
    () => {
        if $crate::test_support::on_postgres() {
            return;
        }
    };
}

/// True: the run is the PostgreSQL one (a call, so the rest of the test is not unreachable
/// code to the compiler).
pub(crate) fn on_postgres() -> bool {
    true
}
pub(crate) use sqlite_only_run;
pub(crate) use sqlite_only_skip;
