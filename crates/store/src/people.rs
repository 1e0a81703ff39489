//! The web's people (migration 12): users and their roles, log-in sessions, failed log-ins
//! (for lock-out), API keys and the audit log. Secrets are never stored: passwords as the
//! argon2id PHC string the web crate computes, session cookies and API keys as the hex
//! SHA-256 of their value.

use crate::db::{OptionalExtension, Row, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Error, Result, Store};

/// A user as stored (the password hash aside: see [`Store::password_hash`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    /// The log-in name (unique).
    pub name: String,
    /// `admin`, `analyst`, `media` or `leadership` (checked by the web crate).
    pub role: String,
    /// A disabled user cannot log in, and their sessions and keys stop working.
    pub disabled: bool,
    pub created: DateTime<Utc>,
    /// When the password was last set.
    pub password_set: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

/// A live session with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The user it belongs to.
    pub user: UserRecord,
    /// The CSRF token every form of this session must send back.
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// An API key as listed (never its value, which is shown once when made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    /// Its public id (the first characters of the key, to tell keys apart).
    pub id: String,
    pub user: String,
    /// What it is for, as its maker wrote.
    pub label: String,
    pub created: DateTime<Utc>,
    /// Its last use, to within [`LAST_USED_STEP`] seconds.
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
}

/// An API key's use is recorded again only this many seconds after the recorded one.
pub const LAST_USED_STEP: i64 = 60;

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who did it (a user name, or `cli` for the command line, `public` for the form).
    pub actor: String,
    /// What, such as `login`, `login_failed`, `contact_viewed`, `tags_fixed`, `user_added`.
    pub action: String,
    /// On what (a user name, an item id, a submission reference…).
    pub target: String,
    /// More, in words.
    pub detail: String,
    /// The client address, when the action came over the web.
    pub address: String,
}

use crate::alerts::time as ts;

fn opt_ts(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(ts)
}

const USER_COLUMNS: &str = "name, role, disabled, created_at, password_at, last_login";

fn user_row(r: &Row<'_>, at: usize) -> crate::db::Result<UserRecord> {
    Ok(UserRecord {
        name: r.get(at)?,
        role: r.get(at + 1)?,
        disabled: r.get::<_, i64>(at + 2)? != 0,
        created: ts(r.get(at + 3)?),
        password_set: ts(r.get(at + 4)?),
        last_login: opt_ts(r.get(at + 5)?),
    })
}

impl Store {
    /// Adds a user; refused when the name is taken.
    pub fn add_user(&self, name: &str, role: &str, hash: &str, now: DateTime<Utc>) -> Result<()> {
        let conn = self.lock();
        let added = conn.execute(
            "INSERT INTO users (name, role, password, created_at, password_at)
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (name) DO NOTHING",
            params![name, role, hash, now.timestamp()],
        )?;
        if added == 0 {
            return Err(Error::Refused(format!(
                "there is already a user named {name:?}: pick another name, or use `rasd users reset {name}`"
            )));
        }
        Ok(())
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
        let rows = stmt.query_map(params![], |r| user_row(r, 0))?;
        Ok(rows.collect::<crate::db::Result<_>>()?)
    }

    /// The user of this name.
    pub fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
                [name],
                |r| user_row(r, 0),
            )
            .optional()?)
    }

    /// The stored password hash of a user (for checking a log-in).
    pub fn password_hash(&self, name: &str) -> Result<Option<String>> {
        let conn = self.lock();
        Ok(conn
            .query_row("SELECT password FROM users WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn require_user(conn: &crate::db::Connection, name: &str) -> Result<()> {
        let known = conn
            .query_row("SELECT 1 FROM users WHERE name = ?1", [name], |_| Ok(()))
            .optional()?
            .is_some();
        if known {
            Ok(())
        } else {
            Err(Error::Refused(format!(
                "there is no user named {name:?}; `rasd users list` shows them"
            )))
        }
    }

    /// Disables or enables a user. Disabling ends their sessions.
    pub fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let mut conn = self.lock();
        let tx = crate::store::write_tx(&mut conn)?;
        Self::require_user(&tx, name)?;
        tx.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, i64::from(disabled)],
        )?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets a user's password hash, ends their sessions and clears their failed log-ins.
    pub fn set_password(&self, name: &str, hash: &str, now: DateTime<Utc>) -> Result<()> {
        let mut conn = self.lock();
        let tx = crate::store::write_tx(&mut conn)?;
        Self::require_user(&tx, name)?;
        tx.execute(
            "UPDATE users SET password = ?2, password_at = ?3 WHERE name = ?1",
            params![name, hash, now.timestamp()],
        )?;
        tx.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
        tx.execute(
            "DELETE FROM login_failures WHERE key = ?1",
            [format!("user:{name}")],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Changes a user's role.
    pub fn set_role(&self, name: &str, role: &str) -> Result<()> {
        let conn = self.lock();
        Self::require_user(&conn, name)?;
        conn.execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role],
        )?;
        Ok(())
    }

    /// Starts a session for `user` (by the hash of its cookie), and records the log-in.
    pub fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        address: &str,
    ) -> Result<()> {
        let mut conn = self.lock();
        let tx = crate::store::write_tx(&mut conn)?;
        // Expired sessions go when new ones come.
        tx.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1",
            [now.timestamp()],
        )?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user, csrf, created_at, expires_at, address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                token_hash,
                user,
                csrf,
                now.timestamp(),
                expires.timestamp(),
                address
            ],
        )?;
        tx.execute(
            "UPDATE users SET last_login = ?2 WHERE name = ?1",
            params![user, now.timestamp()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The live session with this cookie hash: unexpired, its user enabled.
    pub fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                "SELECT s.csrf, s.created_at, s.expires_at,
                        u.name, u.role, u.disabled, u.created_at, u.password_at, u.last_login
                 FROM sessions s JOIN users u ON u.name = s.user
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
                params![token_hash, now.timestamp()],
                |r| {
                    Ok(SessionRecord {
                        csrf: r.get(0)?,
                        created: ts(r.get(1)?),
                        expires: ts(r.get(2)?),
                        user: user_row(r, 3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Ends a session.
    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        let conn = self.lock();
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Records a failed log-in under each key (such as `user:NAME` and `addr:IP`).
    pub fn record_login_failure(&self, keys: &[String], now: DateTime<Utc>) -> Result<()> {
        let mut conn = self.lock();
        let tx = crate::store::write_tx(&mut conn)?;
        // Failures older than a day no longer count for anything.
        tx.execute(
            "DELETE FROM login_failures WHERE at < ?1",
            [now.timestamp() - 86_400],
        )?;
        for key in keys {
            tx.execute(
                "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
                params![key, now.timestamp()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Failed log-ins under `key` since `since`, and the latest one's time.
    pub fn login_failures(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> Result<(usize, Option<DateTime<Utc>>)> {
        let conn = self.lock();
        let (n, last): (i64, Option<i64>) = conn.query_row(
            "SELECT count(*), max(at) FROM login_failures WHERE key = ?1 AND at >= ?2",
            params![key, since.timestamp()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n as usize, opt_ts(last)))
    }

    /// Forgets the failed log-ins under `key` (after a successful log-in).
    pub fn clear_login_failures(&self, key: &str) -> Result<()> {
        let conn = self.lock();
        conn.execute("DELETE FROM login_failures WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Stores a new API key of `user` by its hash.
    pub fn add_api_key(
        &self,
        id: &str,
        key_hash: &str,
        user: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.lock();
        Self::require_user(&conn, user)?;
        conn.execute(
            "INSERT INTO api_keys (id, key_hash, user, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, key_hash, user, label, now.timestamp()],
        )?;
        Ok(())
    }

    /// The user of a live API key (not revoked, its user enabled), marking the key used. The
    /// use is written at most once every [`LAST_USED_STEP`] seconds per key: a client that
    /// searches many times a second reads the store without writing to it each time.
    pub fn api_key_user(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<UserRecord>> {
        let conn = self.lock();
        let sql = format!(
            "SELECT k.id, k.last_used, {} FROM api_keys k JOIN users u ON u.name = k.user
             WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND u.disabled = 0",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let found = conn
            .prepare_cached(&sql)?
            .query_row([key_hash], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    user_row(r, 2)?,
                ))
            })
            .optional()?;
        let Some((id, last_used, user)) = found else {
            return Ok(None);
        };
        if last_used.is_none_or(|t| now.timestamp() - t >= LAST_USED_STEP) {
            conn.prepare_cached("UPDATE api_keys SET last_used = ?2 WHERE id = ?1")?
                .execute(params![id, now.timestamp()])?;
        }
        Ok(Some(user))
    }

    /// The API keys of `user` (every user's with `None`), newest first.
    pub fn api_keys(&self, user: Option<&str>) -> Result<Vec<ApiKeyRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, user, label, created_at, last_used, revoked_at FROM api_keys
             WHERE ?1 IS NULL OR user = ?1 ORDER BY created_at DESC, id",
        )?;
        let rows = stmt.query_map([user], |r| {
            Ok(ApiKeyRecord {
                id: r.get(0)?,
                user: r.get(1)?,
                label: r.get(2)?,
                created: ts(r.get(3)?),
                last_used: opt_ts(r.get(4)?),
                revoked: opt_ts(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<crate::db::Result<_>>()?)
    }

    /// Revokes an API key by its id; false when there is no live key of that id.
    pub fn revoke_api_key(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let conn = self.lock();
        Ok(conn.execute(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now.timestamp()],
        )? > 0)
    }

    /// Appends a line to the audit log.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, target, detail, address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now.timestamp(), actor, action, target, detail, address],
        )?;
        Ok(())
    }

    /// The audit log, newest first: `limit` lines after skipping `offset`, only `action`
    /// when given.
    pub fn audit_log(
        &self,
        action: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<AuditEntry>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, target, detail, address FROM audit_log
             WHERE ?1 IS NULL OR action = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(params![action, limit as i64, offset as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: ts(r.get(1)?),
                actor: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                detail: r.get(5)?,
                address: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<crate::db::Result<_>>()?)
    }
}

/// These tests, run on both engines (see the store's tests).
#[cfg(test)]
macro_rules! people_tests {
    () => {
        use super::*;

        fn at(s: i64) -> DateTime<Utc> {
            DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
        }

        #[test]
        fn users_sessions_and_keys_follow_the_user() {
            let store = test_store!();
            store
                .add_user("سلمى", "analyst", "$argon2id$x", at(0))
                .unwrap();
            assert!(matches!(
                store.add_user("سلمى", "admin", "$argon2id$y", at(1)),
                Err(Error::Refused(_))
            ));
            store
                .create_session("h1", "سلمى", "c1", at(2), at(100), "127.0.0.1")
                .unwrap();
            let s = store.session("h1", at(3)).unwrap().unwrap();
            assert_eq!((s.user.name.as_str(), s.csrf.as_str()), ("سلمى", "c1"));
            assert_eq!(s.user.last_login, Some(at(2)));
            // Expired.
            assert!(store.session("h1", at(100)).unwrap().is_none());
            store
                .add_api_key("k1", "kh1", "سلمى", "scraper", at(4))
                .unwrap();
            assert!(store.api_key_user("kh1", at(5)).unwrap().is_some());
            // Disabling ends sessions and stops keys.
            store
                .create_session("h2", "سلمى", "c2", at(6), at(100), "127.0.0.1")
                .unwrap();
            store.set_user_disabled("سلمى", true).unwrap();
            assert!(store.session("h2", at(7)).unwrap().is_none());
            assert!(store.api_key_user("kh1", at(7)).unwrap().is_none());
            store.set_user_disabled("سلمى", false).unwrap();
            assert!(store.session("h2", at(7)).unwrap().is_none());
            assert!(store.api_key_user("kh1", at(8)).unwrap().is_some());
            // The use at 5 s is the one recorded: the next is written a minute later.
            assert_eq!(
                store.api_keys(Some("سلمى")).unwrap()[0].last_used,
                Some(at(5))
            );
            assert!(store.api_key_user("kh1", at(64)).unwrap().is_some());
            assert_eq!(
                store.api_keys(Some("سلمى")).unwrap()[0].last_used,
                Some(at(5))
            );
            assert!(store.api_key_user("kh1", at(65)).unwrap().is_some());
            assert_eq!(
                store.api_keys(Some("سلمى")).unwrap()[0].last_used,
                Some(at(65))
            );
            assert!(store.revoke_api_key("k1", at(66)).unwrap());
            assert!(!store.revoke_api_key("k1", at(66)).unwrap());
            assert!(store.api_key_user("kh1", at(67)).unwrap().is_none());
            assert!(matches!(
                store.set_user_disabled("nobody", true),
                Err(Error::Refused(_))
            ));
        }

        #[test]
        fn a_new_password_ends_sessions_and_clears_failures() {
            let store = test_store!();
            store.add_user("omar", "admin", "old", at(0)).unwrap();
            store
                .create_session("h", "omar", "c", at(1), at(1000), "::1")
                .unwrap();
            store
                .record_login_failure(&["user:omar".into(), "addr:::1".into()], at(2))
                .unwrap();
            store
                .record_login_failure(&["user:omar".into()], at(3))
                .unwrap();
            assert_eq!(
                store.login_failures("user:omar", at(0)).unwrap(),
                (2, Some(at(3)))
            );
            assert_eq!(store.login_failures("user:omar", at(3)).unwrap().0, 1);
            store.set_password("omar", "new", at(4)).unwrap();
            assert_eq!(store.password_hash("omar").unwrap().as_deref(), Some("new"));
            assert!(store.session("h", at(5)).unwrap().is_none());
            assert_eq!(store.login_failures("user:omar", at(0)).unwrap().0, 0);
            assert_eq!(store.login_failures("addr:::1", at(0)).unwrap().0, 1);
        }

        #[test]
        fn the_audit_log_reads_newest_first_and_by_action() {
            let store = test_store!();
            store
                .audit("cli", "user_added", "omar", "role admin", "", at(0))
                .unwrap();
            store
                .audit(
                    "omar",
                    "contact_viewed",
                    "1234-5678-9012",
                    "",
                    "127.0.0.1",
                    at(1),
                )
                .unwrap();
            let all = store.audit_log(None, 10, 0).unwrap();
            assert_eq!(all.len(), 2);
            assert_eq!(all[0].action, "contact_viewed");
            let views = store.audit_log(Some("contact_viewed"), 10, 0).unwrap();
            assert_eq!(views.len(), 1);
            assert_eq!(views[0].target, "1234-5678-9012");
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::test_support::test_store_sqlite as open_test;
    people_tests!();
}

#[cfg(test)]
mod tests_pg {
    use crate::test_support::test_store_pg as open_test;
    people_tests!();
}
