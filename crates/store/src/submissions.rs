//! Submissions of the public comment form (migration 12). The text is an item of kind
//! `comment` (source `form`), stored, indexed and tagged like any other; the submission row
//! keeps what the inbox needs (reference, category, governorate, status, assignee); the
//! submitter's name and contact sit in their own table, read only through
//! [`Store::submission_contact`].

use crate::db::{OptionalExtension, Row, params};
use chrono::{DateTime, Utc};
use rasd_core::Item;
use serde::Serialize;

use crate::{Error, Result, Store};

/// The states of a submission in the inbox, in their usual order.
pub const SUBMISSION_STATES: &[&str] = &["new", "reviewed", "forwarded", "closed"];

/// A submission to store.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    /// Its reference, shown to the submitter.
    pub reference: String,
    /// The text as an item (kind comment), tagged.
    pub item: Item,
    /// The category the submitter chose (a topic id or `other`).
    pub category: String,
    /// The governorate the submitter chose (an id, or empty).
    pub governorate: String,
    /// The language the form was shown in (`ar` or `en`).
    pub lang: String,
    /// `form`, `api` or `import`.
    pub via: String,
    /// The submitter's name (may be empty).
    pub name: String,
    /// The submitter's contact (may be empty).
    pub contact: String,
    pub created: DateTime<Utc>,
}

/// A submission as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmissionRecord {
    pub reference: String,
    pub item_id: String,
    pub category: String,
    pub governorate: String,
    pub lang: String,
    pub via: String,
    /// One of [`SUBMISSION_STATES`].
    pub status: String,
    pub assignee: Option<String>,
    /// The submission this one was merged into, as a duplicate.
    pub merged_into: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// The text, from its item.
    pub text: String,
    /// Whether a name or contact was left (the values are read apart, and audited).
    pub has_contact: bool,
}

/// A person's fix of an item's tags: a labelled example for training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagFix {
    pub item_id: String,
    pub user: String,
    pub at: DateTime<Utc>,
    /// The tags before, as JSON.
    pub before: String,
    /// The tags after, as JSON.
    pub after: String,
}

/// Which submissions to list.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub status: Option<String>,
    pub governorate: Option<String>,
    pub category: Option<String>,
    pub assignee: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

use crate::alerts::time as ts;

const SELECT: &str = "SELECT s.reference, s.item_id, s.category, s.governorate, s.lang, s.via,
    s.status, s.assignee, s.merged_into, s.created_at, s.updated_at, i.body,
    EXISTS (SELECT 1 FROM submission_contacts c WHERE c.reference = s.reference
            AND (c.name <> '' OR c.contact <> ''))
    FROM submissions s LEFT JOIN items i ON i.id = s.item_id";

fn record(r: &Row<'_>) -> crate::db::Result<SubmissionRecord> {
    Ok(SubmissionRecord {
        reference: r.get(0)?,
        item_id: r.get(1)?,
        category: r.get(2)?,
        governorate: r.get(3)?,
        lang: r.get(4)?,
        via: r.get(5)?,
        status: r.get(6)?,
        assignee: r.get(7)?,
        merged_into: r.get(8)?,
        created: ts(r.get(9)?),
        updated: ts(r.get(10)?),
        text: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        has_contact: r.get(12)?,
    })
}

impl Store {
    /// Stores a submission, its item and its contact in one transaction: when this returns
    /// `Ok`, the submission is on disk (WAL, `synchronous = NORMAL`: it survives a crash of
    /// Rasd; a power cut can lose the last moments). A reference already used is refused
    /// with [`Error::Refused`] and nothing is written. Returns the item's change number.
    pub fn add_submission(&self, s: &NewSubmission) -> Result<()> {
        self.add_submissions(std::slice::from_ref(s)).map(|_| ())
    }

    /// [`Store::add_submission`] for several, in one transaction (all or none). Returns how
    /// many were stored.
    pub fn add_submissions(&self, batch: &[NewSubmission]) -> Result<usize> {
        let mut conn = self.lock();
        let tx = crate::store::write_tx(&mut conn)?;
        for s in batch {
            let taken = tx
                .query_row(
                    "SELECT 1 FROM submissions WHERE reference = ?1",
                    [&s.reference],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if taken {
                return Err(Error::Refused(format!(
                    "the reference {} is already used",
                    s.reference
                )));
            }
        }
        let items: Vec<Item> = batch.iter().map(|s| s.item.clone()).collect();
        crate::store::upsert_in(&tx, &items)?;
        for s in batch {
            tx.execute(
                "INSERT INTO submissions (reference, item_id, category, governorate, lang, via,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    s.reference,
                    s.item.id,
                    s.category,
                    s.governorate,
                    s.lang,
                    s.via,
                    s.created.timestamp()
                ],
            )?;
            tx.execute(
                "INSERT INTO submission_contacts (reference, name, contact) VALUES (?1, ?2, ?3)",
                params![s.reference, s.name, s.contact],
            )?;
        }
        tx.commit()?;
        Ok(batch.len())
    }

    /// Submissions matching `filter`, newest first, and how many match in all.
    pub fn submissions(&self, f: &SubmissionFilter) -> Result<(Vec<SubmissionRecord>, usize)> {
        let conn = self.lock();
        let cond = "WHERE (?1 IS NULL OR s.status = ?1) AND (?2 IS NULL OR s.governorate = ?2)
                    AND (?3 IS NULL OR s.category = ?3) AND (?4 IS NULL OR s.assignee = ?4)";
        let args = params![f.status, f.governorate, f.category, f.assignee];
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM submissions s {cond}"),
            args,
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(&format!(
            "{SELECT} {cond} ORDER BY s.created_at DESC, s.reference LIMIT ?5 OFFSET ?6"
        ))?;
        let rows = stmt.query_map(
            params![
                f.status,
                f.governorate,
                f.category,
                f.assignee,
                f.limit.max(1) as i64,
                f.offset as i64
            ],
            record,
        )?;
        Ok((rows.collect::<crate::db::Result<_>>()?, total as usize))
    }

    /// Submissions by state (every state of [`SUBMISSION_STATES`] listed, zeros included).
    pub fn submission_counts(&self) -> Result<Vec<(String, usize)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT status, count(*) FROM submissions GROUP BY status")?;
        let found: std::collections::HashMap<String, i64> = stmt
            .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<crate::db::Result<_>>()?;
        Ok(SUBMISSION_STATES
            .iter()
            .map(|s| (s.to_string(), found.get(*s).copied().unwrap_or(0) as usize))
            .collect())
    }

    /// One submission.
    pub fn submission(&self, reference: &str) -> Result<Option<SubmissionRecord>> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                &format!("{SELECT} WHERE s.reference = ?1"),
                [reference],
                record,
            )
            .optional()?)
    }

    /// The submission of an item, if the item came from the form.
    pub fn submission_of_item(&self, item_id: &str) -> Result<Option<SubmissionRecord>> {
        let conn = self.lock();
        Ok(conn
            .query_row(&format!("{SELECT} WHERE s.item_id = ?1"), [item_id], record)
            .optional()?)
    }

    /// The name and contact a submitter left. Callers record who read them (the audit log).
    pub fn submission_contact(&self, reference: &str) -> Result<Option<(String, String)>> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                "SELECT name, contact FROM submission_contacts WHERE reference = ?1",
                [reference],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn update_submission(
        &self,
        reference: &str,
        sql: &str,
        value: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.lock();
        let n = conn.execute(sql, params![reference, value, now.timestamp()])?;
        if n == 0 {
            return Err(Error::Refused(format!(
                "there is no submission {reference:?}; the inbox lists them"
            )));
        }
        Ok(())
    }

    /// Moves a submission to another state of [`SUBMISSION_STATES`].
    pub fn set_submission_status(
        &self,
        reference: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if !SUBMISSION_STATES.contains(&status) {
            return Err(Error::Refused(format!(
                "unknown state {status:?}: use {}",
                SUBMISSION_STATES.join(", ")
            )));
        }
        self.update_submission(
            reference,
            "UPDATE submissions SET status = ?2, updated_at = ?3 WHERE reference = ?1",
            Some(status),
            now,
        )
    }

    /// Gives a submission to a user (`None`: to nobody).
    pub fn assign_submission(
        &self,
        reference: &str,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if let Some(user) = user
            && self.user(user)?.is_none()
        {
            return Err(Error::Refused(format!(
                "there is no user named {user:?} to assign it to"
            )));
        }
        self.update_submission(
            reference,
            "UPDATE submissions SET assignee = ?2, updated_at = ?3 WHERE reference = ?1",
            user,
            now,
        )
    }

    /// Marks `reference` a duplicate of `into` (and closes it); `into` must exist and not
    /// itself be merged away.
    pub fn merge_submission(&self, reference: &str, into: &str, now: DateTime<Utc>) -> Result<()> {
        if reference == into {
            return Err(Error::Refused(
                "a submission cannot be merged into itself".into(),
            ));
        }
        match self.submission(into)? {
            None => {
                return Err(Error::Refused(format!(
                    "there is no submission {into:?} to merge into"
                )));
            }
            Some(target) if target.merged_into.is_some() => {
                return Err(Error::Refused(format!(
                    "{into} was itself merged into {}: merge into that one",
                    target.merged_into.unwrap_or_default()
                )));
            }
            Some(_) => {}
        }
        self.update_submission(
            reference,
            "UPDATE submissions SET merged_into = ?2, status = 'closed', updated_at = ?3
             WHERE reference = ?1",
            Some(into),
            now,
        )
    }

    /// Records a fix of an item's tags by a person (the tags before and after, as JSON):
    /// a labelled example for training.
    pub fn record_tag_fix(
        &self,
        item_id: &str,
        user: &str,
        before: &str,
        after: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO tag_fixes (item_id, at, user, before, after) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![item_id, now.timestamp(), user, before, after],
        )?;
        Ok(())
    }

    /// The tag fixes, oldest first.
    pub fn tag_fixes(&self) -> Result<Vec<TagFix>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare("SELECT item_id, user, at, before, after FROM tag_fixes ORDER BY id")?;
        let rows = stmt.query_map(params![], |r| {
            Ok(TagFix {
                item_id: r.get(0)?,
                user: r.get(1)?,
                at: ts(r.get(2)?),
                before: r.get(3)?,
                after: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<crate::db::Result<_>>()?)
    }
}

/// These tests, run on both engines (see the store's tests).
#[cfg(test)]
macro_rules! submissions_tests {
    () => {
        use super::*;
        use rasd_core::ItemKind;

        fn at(s: i64) -> DateTime<Utc> {
            DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
        }

        fn submission(reference: &str, text: &str, contact: &str) -> NewSubmission {
            let mut item = Item::new("form", &format!("rasd-form:{reference}"), "", text, at(0));
            item.kind = ItemKind::Comment;
            NewSubmission {
                reference: reference.into(),
                item,
                category: "theft".into(),
                governorate: "zarqa".into(),
                lang: "ar".into(),
                via: "form".into(),
                name: String::new(),
                contact: contact.into(),
                created: at(0),
            }
        }

        #[test]
        fn a_submission_is_an_item_and_its_contact_is_apart() {
            let store = test_store!();
            let seq = store.head_seq().unwrap();
            let s = submission(
                "1111-2222-3333",
                "سرقت سيارتي من أمام البيت في الزرقاء",
                "0790000000",
            );
            store.add_submission(&s).unwrap();
            assert!(
                store.head_seq().unwrap() > seq,
                "the item is a store change"
            );
            let item = store.get_item(&s.item.id).unwrap().unwrap();
            assert_eq!(item.kind, ItemKind::Comment);
            assert_eq!(item.source, "form");
            let got = store.submission("1111-2222-3333").unwrap().unwrap();
            assert_eq!(got.status, "new");
            assert!(got.has_contact);
            assert!(got.text.contains("الزرقاء"));
            assert!(!serde_json::to_string(&got).unwrap().contains("0790000000"));
            assert_eq!(
                store.submission_contact("1111-2222-3333").unwrap(),
                Some((String::new(), "0790000000".into()))
            );
            // A reference is never used twice, and a refused batch writes nothing.
            let again = submission("1111-2222-3333", "نص آخر", "");
            assert!(matches!(
                store.add_submission(&again),
                Err(Error::Refused(_))
            ));
            assert_eq!(
                store
                    .submissions(&SubmissionFilter {
                        limit: 10,
                        ..Default::default()
                    })
                    .unwrap()
                    .1,
                1
            );
        }

        #[test]
        fn the_inbox_filters_moves_assigns_and_merges() {
            let store = test_store!();
            store.add_user("rana", "analyst", "h", at(0)).unwrap();
            store
                .add_submission(&submission("1", "أول بلاغ عن سرقة", ""))
                .unwrap();
            let mut second = submission("2", "بلاغ ثان عن سرقة", "");
            second.governorate = "amman".into();
            store.add_submission(&second).unwrap();
            let by = |g: &str| {
                store
                    .submissions(&SubmissionFilter {
                        governorate: Some(g.into()),
                        limit: 10,
                        ..Default::default()
                    })
                    .unwrap()
                    .1
            };
            assert_eq!((by("zarqa"), by("amman"), by("irbid")), (1, 1, 0));
            store.set_submission_status("1", "reviewed", at(5)).unwrap();
            assert!(store.set_submission_status("1", "lost", at(5)).is_err());
            assert!(store.set_submission_status("9", "closed", at(5)).is_err());
            store.assign_submission("1", Some("rana"), at(6)).unwrap();
            assert!(store.assign_submission("1", Some("nobody"), at(6)).is_err());
            store.merge_submission("2", "1", at(7)).unwrap();
            assert!(
                store.merge_submission("1", "2", at(8)).is_err(),
                "2 was merged away"
            );
            assert!(store.merge_submission("1", "1", at(8)).is_err());
            let two = store.submission("2").unwrap().unwrap();
            assert_eq!(
                (two.status.as_str(), two.merged_into.as_deref()),
                ("closed", Some("1"))
            );
            let counts = store.submission_counts().unwrap();
            assert_eq!(counts[1], ("reviewed".to_string(), 1));
            assert_eq!(counts[3], ("closed".to_string(), 1));
            assert_eq!(counts[0], ("new".to_string(), 0));
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::test_support::test_store_sqlite as open_test;
    submissions_tests!();
}

#[cfg(test)]
mod tests_pg {
    use crate::test_support::test_store_pg as open_test;
    submissions_tests!();
}
