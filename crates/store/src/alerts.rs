//! Alerts and their outbox (migration 9). The rules are evaluated by `rasd_detect::alerts`
//! inside one [`AlertTx`] per page of changes: the items the rules counted, the alerts
//! opened or grown, the messages queued and the change number reached are committed
//! together, so a crash repeats a page whole or not at all (no alert raised twice, none
//! lost). The sender (`rasd_deliver::outbox`) takes queued messages with
//! [`Store::due_deliveries`] and records each attempt.

use crate::db::{OptionalExtension, Row, Transaction, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{STORY_SELECT, story_record};
use crate::{Result, Store, StoryRecord};

/// What a message says of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemBrief {
    pub id: String,
    pub title: String,
    pub url: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

/// An item counted by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub rule_id: String,
    pub item_id: String,
    pub story: u64,
    /// The governorate it counted in (`per = "place"` rules); empty for story rules.
    pub place: String,
    pub outlet: String,
    pub owner: String,
    pub at: DateTime<Utc>,
}

/// An item a rule counted, where and when (a hit, or an item threaded into an alert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountedItem {
    pub item: String,
    pub outlet: String,
    pub owner: String,
    pub at: DateTime<Utc>,
}

fn counted(r: &Row<'_>) -> crate::db::Result<CountedItem> {
    Ok(CountedItem {
        item: r.get(0)?,
        outlet: r.get(1)?,
        owner: r.get(2)?,
        at: time(r.get(3)?),
    })
}

/// What a rule's hits in one window add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub items: usize,
    /// Distinct stories.
    pub stories: usize,
    pub outlets: usize,
    pub owners: usize,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertRecord {
    pub id: u64,
    pub rule: String,
    /// `story:ID`, or `place:GOVERNORATE:OPENED` for a wave.
    pub key: String,
    pub severity: String,
    pub story: Option<u64>,
    pub place: Option<String>,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub first_item_at: DateTime<Utc>,
    pub last_item_at: DateTime<Utc>,
    pub items: usize,
    pub outlets: usize,
    pub owners: usize,
    /// The id of the earliest item counted.
    pub first_item: String,
    pub topics: Vec<String>,
    pub places: Vec<String>,
    /// `open` or `acknowledged`.
    pub state: String,
    pub acked_at: Option<DateTime<Utc>>,
    pub acked_by: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
}

/// A new alert, as [`AlertTx::open_alert`] stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub rule: String,
    pub key: String,
    pub severity: String,
    pub story: Option<u64>,
    pub place: Option<String>,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub first_item: String,
    pub topics: Vec<String>,
    pub places: Vec<String>,
}

/// One message in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: u64,
    /// The idempotency key: one message per key, ever.
    pub key: String,
    pub alert: Option<u64>,
    /// `alert`, `escalation`, `summary` or `digest`.
    pub kind: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// A mail address or a webhook URL.
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    /// The webhook's JSON body.
    pub payload: Option<String>,
    /// `queued`, `sent`, `dead`, `capped`, `summarized` or `cancelled`.
    pub state: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub next_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Why it waits (quiet hours, the daily cap).
    pub note: Option<String>,
    /// Images the HTML shows inline: a JSON list of `{"cid", "png"}` (base64).
    pub images: Option<String>,
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub key: String,
    pub alert: Option<u64>,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub payload: Option<String>,
    /// `queued` or `capped`.
    pub state: String,
    pub next_at: DateTime<Utc>,
    pub note: Option<String>,
    /// See [`Delivery::images`].
    pub images: Option<String>,
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A stored whole unix second as a time (the epoch for one out of range).
pub(crate) fn time(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(v, 0).unwrap_or_default()
}

fn id_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn count(v: i64) -> usize {
    usize::try_from(v).unwrap_or(0)
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn list_of(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

const ALERT_COLS: &str = "id, rule_id, key, severity, story_id, place, title, opened_at, \
     first_item_at, last_item_at, items, outlets, owners, first_item, topics, places, state, \
     acked_at, acked_by, escalated_at";

fn alert_row(r: &Row<'_>) -> crate::db::Result<AlertRecord> {
    Ok(AlertRecord {
        id: unsigned(r.get(0)?),
        rule: r.get(1)?,
        key: r.get(2)?,
        severity: r.get(3)?,
        story: r.get::<_, Option<i64>>(4)?.map(unsigned),
        place: r.get(5)?,
        title: r.get(6)?,
        opened_at: time(r.get(7)?),
        first_item_at: time(r.get(8)?),
        last_item_at: time(r.get(9)?),
        items: count(r.get(10)?),
        outlets: count(r.get(11)?),
        owners: count(r.get(12)?),
        first_item: r.get(13)?,
        topics: list_of(&r.get::<_, String>(14)?),
        places: list_of(&r.get::<_, String>(15)?),
        state: r.get(16)?,
        acked_at: r.get::<_, Option<i64>>(17)?.map(time),
        acked_by: r.get(18)?,
        escalated_at: r.get::<_, Option<i64>>(19)?.map(time),
    })
}

const DELIVERY_COLS: &str = "id, key, alert_id, kind, channel, recipient, subject, body_text, \
     body_html, payload, state, attempts, created_at, next_at, sent_at, last_error, note, images";

fn delivery_row(r: &Row<'_>) -> crate::db::Result<Delivery> {
    Ok(Delivery {
        id: unsigned(r.get(0)?),
        key: r.get(1)?,
        alert: r.get::<_, Option<i64>>(2)?.map(unsigned),
        kind: r.get(3)?,
        channel: r.get(4)?,
        recipient: r.get(5)?,
        subject: r.get(6)?,
        body_text: r.get(7)?,
        body_html: r.get(8)?,
        payload: r.get(9)?,
        state: r.get(10)?,
        attempts: u32::try_from(r.get::<_, i64>(11)?).unwrap_or(0),
        created_at: time(r.get(12)?),
        next_at: time(r.get(13)?),
        sent_at: r.get::<_, Option<i64>>(14)?.map(time),
        last_error: r.get(15)?,
        note: r.get(16)?,
        images: r.get(17)?,
    })
}

/// The alert tables inside one transaction (see [`Store::alert_tx`]).
#[derive(Debug)]
pub struct AlertTx<'a> {
    tx: Transaction<'a>,
}

impl AlertTx<'_> {
    /// Records that a rule counted an item (again: nothing changes).
    pub fn insert_hit(&self, h: &RuleHit) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO rule_hits (rule_id, item_id, story_id, place, outlet, \
                 owner, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                h.rule_id,
                h.item_id,
                id_of(h.story),
                h.place,
                h.outlet,
                h.owner,
                secs(h.at)
            ])?;
        Ok(())
    }

    /// A rule's hits on one story that arrived in `[from, to]`.
    pub fn story_counts(
        &self,
        rule: &str,
        story: u64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<WindowCounts> {
        self.counts(
            "rule_id = ?1 AND story_id = ?2 AND place = '' AND at >= ?3 AND at <= ?4",
            params![rule, id_of(story), secs(from), secs(to)],
        )
    }

    /// A rule's hits in one governorate that arrived in `[from, to]`.
    pub fn place_counts(
        &self,
        rule: &str,
        place: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<WindowCounts> {
        self.counts(
            "rule_id = ?1 AND place = ?2 AND at >= ?3 AND at <= ?4",
            params![rule, place, secs(from), secs(to)],
        )
    }

    fn counts(&self, filter: &str, p: impl crate::db::Params) -> Result<WindowCounts> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT COUNT(DISTINCT item_id), COUNT(DISTINCT story_id), COUNT(DISTINCT outlet), \
                 COUNT(DISTINCT owner) FROM rule_hits WHERE {filter}"
            ))?
            .query_row(p, |r| {
                Ok(WindowCounts {
                    items: count(r.get(0)?),
                    stories: count(r.get(1)?),
                    outlets: count(r.get(2)?),
                    owners: count(r.get(3)?),
                })
            })?)
    }

    /// A rule's hits (story rules: on `story`; place rules: in `place`) in `[from, to]` as
    /// (item, outlet, owner, at), oldest first.
    pub fn hits(
        &self,
        rule: &str,
        story: Option<u64>,
        place: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CountedItem>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT item_id, outlet, owner, at FROM rule_hits WHERE rule_id = ?1 \
             AND (?2 IS NULL OR story_id = ?2) AND place = ?3 AND at >= ?4 AND at <= ?5 \
             ORDER BY at, item_id",
        )?;
        let rows = stmt
            .query_map(
                params![rule, story.map(id_of), place, secs(from), secs(to)],
                counted,
            )?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The alert a rule opened under `key`.
    pub fn alert_by_key(&self, rule: &str, key: &str) -> Result<Option<AlertRecord>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE rule_id = ?1 AND key = ?2"
            ))?
            .query_row(params![rule, key], alert_row)
            .optional()?)
    }

    /// The latest alert a `per = "place"` rule opened for `place`.
    pub fn latest_place_alert(&self, rule: &str, place: &str) -> Result<Option<AlertRecord>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE rule_id = ?1 AND place = ?2 \
                 AND story_id IS NULL ORDER BY last_item_at DESC, id DESC LIMIT 1"
            ))?
            .query_row(params![rule, place], alert_row)
            .optional()?)
    }

    /// Stores a new alert (no items yet: add them with [`AlertTx::thread`]).
    pub fn open_alert(&self, a: &NewAlert) -> Result<u64> {
        let id: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO alerts (rule_id, key, severity, story_id, place, title, opened_at, \
                 first_item_at, last_item_at, items, outlets, owners, first_item, topics, places, \
                 state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, 0, 0, 0, ?8, ?9, ?10, 'open') \
                 RETURNING id",
            )?
            .query_row(
                params![
                    a.rule,
                    a.key,
                    a.severity,
                    a.story.map(id_of),
                    a.place,
                    a.title,
                    secs(a.opened_at),
                    a.first_item,
                    json_list(&a.topics),
                    json_list(&a.places)
                ],
                |r| r.get(0),
            )?;
        Ok(unsigned(id))
    }

    /// Threads items into an alert and recounts it; returns how many were new to it.
    pub fn thread(
        &self,
        alert: u64,
        items: &[CountedItem],
        topics: &[String],
        places: &[String],
    ) -> Result<usize> {
        let mut added = 0;
        {
            let mut insert = self.tx.prepare_cached(
                "INSERT OR IGNORE INTO alert_items (alert_id, item_id, outlet, owner, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for c in items {
                added +=
                    insert.execute(params![id_of(alert), c.item, c.outlet, c.owner, secs(c.at)])?;
            }
        }
        let id = id_of(alert);
        self.tx
            .prepare_cached(
                "UPDATE alerts SET \
                 items = (SELECT COUNT(*) FROM alert_items WHERE alert_id = ?1), \
                 outlets = (SELECT COUNT(DISTINCT outlet) FROM alert_items WHERE alert_id = ?1), \
                 owners = (SELECT COUNT(DISTINCT owner) FROM alert_items WHERE alert_id = ?1), \
                 first_item_at = COALESCE((SELECT MIN(at) FROM alert_items WHERE alert_id = ?1), first_item_at), \
                 last_item_at = COALESCE((SELECT MAX(at) FROM alert_items WHERE alert_id = ?1), last_item_at), \
                 first_item = COALESCE((SELECT item_id FROM alert_items WHERE alert_id = ?1 \
                   ORDER BY at, item_id LIMIT 1), first_item), \
                 topics = ?2, places = ?3 WHERE id = ?1",
            )?
            .execute(params![id, json_list(topics), json_list(places)])?;
        Ok(added)
    }

    /// A story's stored counts.
    pub fn story(&self, id: u64) -> Result<Option<StoryRecord>> {
        Ok(self
            .tx
            .prepare_cached(&format!("{STORY_SELECT} WHERE id = ?1"))?
            .query_row([id_of(id)], story_record)
            .optional()?)
    }

    /// An item's title, URL, source and time (published, else fetched), for messages.
    pub fn item_brief(&self, id: &str) -> Result<Option<ItemBrief>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT id, title, url, source, COALESCE(published, fetched) FROM items WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(ItemBrief {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    url: r.get(2)?,
                    source: r.get(3)?,
                    at: time(r.get(4)?),
                })
            })
            .optional()?)
    }

    /// An alert by id.
    pub fn alert(&self, id: u64) -> Result<Option<AlertRecord>> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"))?
            .query_row([id_of(id)], alert_row)
            .optional()?)
    }

    /// Queues a message; a key already in the outbox is left as it is. Returns whether it
    /// was new.
    pub fn enqueue(&self, d: &NewDelivery, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (key, alert_id, kind, channel, recipient, subject, \
                 body_text, body_html, payload, state, created_at, next_at, note, images) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                d.key,
                d.alert.map(id_of),
                d.kind,
                d.channel,
                d.recipient,
                d.subject,
                d.body_text,
                d.body_html,
                d.payload,
                d.state,
                secs(now),
                secs(d.next_at),
                d.note,
                d.images
            ])?;
        Ok(n > 0)
    }

    /// Alert and escalation messages for `recipient` created in `[from, to)` that count
    /// toward the daily cap (queued or sent, not held back or cancelled).
    pub fn sent_to(
        &self,
        recipient: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<usize> {
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT COUNT(*) FROM outbox WHERE recipient = ?1 AND kind IN ('alert', 'escalation') \
                 AND state IN ('queued', 'sent', 'dead') AND created_at >= ?2 AND created_at < ?3",
            )?
            .query_row(params![recipient, secs(from), secs(to)], |r| r.get(0))?;
        Ok(count(n))
    }

    /// Messages held back by the daily cap and created before `before`, oldest first.
    pub fn capped_before(&self, before: DateTime<Utc>) -> Result<Vec<Delivery>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {DELIVERY_COLS} FROM outbox WHERE state = 'capped' AND created_at < ?1 \
             ORDER BY recipient, created_at, id"
        ))?;
        let rows = stmt
            .query_map([secs(before)], delivery_row)?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Sets the state of outbox rows.
    pub fn set_delivery_state(&self, ids: &[u64], state: &str) -> Result<()> {
        let mut stmt = self
            .tx
            .prepare_cached("UPDATE outbox SET state = ?2 WHERE id = ?1")?;
        for id in ids {
            stmt.execute(params![id_of(*id), state])?;
        }
        Ok(())
    }

    /// Open alerts not yet escalated, with the time their first message was sent.
    pub fn unacknowledged(&self) -> Result<Vec<(AlertRecord, Option<DateTime<Utc>>)>> {
        let cols: String = ALERT_COLS
            .split(", ")
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {cols}, (SELECT MIN(sent_at) FROM outbox o WHERE o.alert_id = a.id \
             AND o.kind = 'alert' AND o.state = 'sent') FROM alerts a \
             WHERE a.state = 'open' AND a.escalated_at IS NULL"
        ))?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok((alert_row(r)?, r.get::<_, Option<i64>>(20)?.map(time)))
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records that an alert escalated.
    pub fn mark_escalated(&self, id: u64, at: DateTime<Utc>) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE alerts SET escalated_at = ?2 WHERE id = ?1")?
            .execute(params![id_of(id), secs(at)])?;
        Ok(())
    }

    /// Forgets the hits that arrived before `before` (no window reaches them); returns how
    /// many.
    pub fn prune_hits(&self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM rule_hits WHERE at < ?1")?
            .execute([secs(before)])?)
    }

    /// Moves `alerts_seq` (the last change number the rules read).
    pub fn set_alerts_seq(&self, seq: u64) -> Result<()> {
        self.tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'alerts_seq'",
            [id_of(seq)],
        )?;
        Ok(())
    }
}

/// Which alerts [`Store::alerts_list`] returns.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Opened at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only this state (`open`, `acknowledged`).
    pub state: Option<String>,
    pub limit: usize,
}

impl Store {
    /// The last change number the alert rules were evaluated on.
    pub fn alerts_seq(&self) -> Result<u64> {
        self.meta_seq("alerts_seq")
    }

    /// Starts a transaction over the alert tables; nothing is kept unless
    /// [`AlertTx::commit`] is called.
    pub fn alert_tx<T>(&self, f: impl FnOnce(&AlertTx<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = AlertTx {
            tx: conn.write_transaction()?,
        };
        let out = f(&tx)?;
        tx.tx.commit()?;
        Ok(out)
    }

    /// Alerts, newest first.
    pub fn alerts_list(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE opened_at >= ?1 AND (?2 IS NULL OR state = ?2) \
             ORDER BY opened_at DESC, id DESC LIMIT ?3"
        ))?;
        let limit = match filter.limit {
            0 => i64::MAX,
            n => i64::try_from(n).unwrap_or(i64::MAX),
        };
        let rows = stmt
            .query_map(
                params![
                    filter.since.map(secs).unwrap_or(i64::MIN),
                    filter.state,
                    limit
                ],
                alert_row,
            )?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One alert.
    pub fn alert(&self, id: u64) -> Result<Option<AlertRecord>> {
        let conn = self.lock();
        Ok(conn
            .prepare_cached(&format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"))?
            .query_row([id_of(id)], alert_row)
            .optional()?)
    }

    /// The items threaded into an alert as (item, outlet, owner, at), oldest first.
    pub fn alert_items(&self, id: u64) -> Result<Vec<CountedItem>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT item_id, outlet, owner, at FROM alert_items WHERE alert_id = ?1 \
             ORDER BY at, item_id",
        )?;
        let rows = stmt
            .query_map([id_of(id)], counted)?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Acknowledges an open alert and cancels its escalation messages not yet sent. Returns
    /// the alert as it was before (`None`: no such alert).
    pub fn acknowledge_alert(
        &self,
        id: u64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<AlertRecord>> {
        let mut conn = self.lock();
        let tx = crate::store::write_tx(&mut conn)?;
        let before = tx
            .prepare_cached(&format!("SELECT {ALERT_COLS} FROM alerts WHERE id = ?1"))?
            .query_row([id_of(id)], alert_row)
            .optional()?;
        if before.as_ref().is_some_and(|a| a.state == "open") {
            tx.execute(
                "UPDATE alerts SET state = 'acknowledged', acked_at = ?2, acked_by = ?3 WHERE id = ?1",
                params![id_of(id), secs(at), by],
            )?;
            tx.execute(
                "UPDATE outbox SET state = 'cancelled', note = 'acknowledged before it was sent' \
                 WHERE alert_id = ?1 AND kind = 'escalation' AND state IN ('queued', 'capped')",
                [id_of(id)],
            )?;
        }
        tx.commit()?;
        Ok(before)
    }

    /// Outbox messages of these alerts (all of them when `alerts` is empty), oldest first.
    pub fn deliveries(&self, alerts: &[u64]) -> Result<Vec<Delivery>> {
        let conn = self.lock();
        if alerts.is_empty() {
            let mut stmt =
                conn.prepare_cached(&format!("SELECT {DELIVERY_COLS} FROM outbox ORDER BY id"))?;
            return Ok(stmt
                .query_map(params![], delivery_row)?
                .collect::<crate::db::Result<Vec<_>>>()?);
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DELIVERY_COLS} FROM outbox WHERE alert_id = ?1 ORDER BY id"
        ))?;
        let mut out = Vec::new();
        for a in alerts {
            out.extend(
                stmt.query_map([id_of(*a)], delivery_row)?
                    .collect::<crate::db::Result<Vec<_>>>()?,
            );
        }
        Ok(out)
    }

    /// Queued messages whose next attempt is due at `now`, oldest first.
    pub fn due_deliveries(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Delivery>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DELIVERY_COLS} FROM outbox WHERE state = 'queued' AND next_at <= ?1 \
             ORDER BY next_at, id LIMIT ?2"
        ))?;
        Ok(stmt
            .query_map(
                params![secs(now), i64::try_from(limit.max(1)).unwrap_or(i64::MAX)],
                delivery_row,
            )?
            .collect::<crate::db::Result<Vec<_>>>()?)
    }

    /// When the next queued message is due.
    pub fn next_delivery_at(&self) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let at: Option<i64> = conn
            .prepare_cached("SELECT MIN(next_at) FROM outbox WHERE state = 'queued'")?
            .query_row(params![], |r| r.get(0))?;
        Ok(at.map(time))
    }

    /// Records a message handed to its server.
    pub fn delivery_sent(&self, id: u64, at: DateTime<Utc>) -> Result<()> {
        let conn = self.lock();
        conn.prepare_cached(
            "UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1, \
             last_error = NULL WHERE id = ?1",
        )?
        .execute(params![id_of(id), secs(at)])?;
        Ok(())
    }

    /// Records a failed attempt: tried again at `next` (`None`: given up, `dead`).
    pub fn delivery_failed(&self, id: u64, error: &str, next: Option<DateTime<Utc>>) -> Result<()> {
        let conn = self.lock();
        match next {
            Some(next) => conn
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3 \
                     WHERE id = ?1",
                )?
                .execute(params![id_of(id), error, secs(next)])?,
            None => conn
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, state = 'dead' \
                     WHERE id = ?1",
                )?
                .execute(params![id_of(id), error])?,
        };
        Ok(())
    }

    /// Puts dead messages back in the queue (after the cause was fixed); returns how many.
    pub fn retry_dead(&self, now: DateTime<Utc>) -> Result<usize> {
        let conn = self.lock();
        Ok(conn
            .prepare_cached(
                "UPDATE outbox SET state = 'queued', next_at = ?1, created_at = ?1 \
                 WHERE state = 'dead'",
            )?
            .execute([secs(now)])?)
    }
}

/// Distinct stories (and items, outlets, owners) with a key in one window, from
/// [`Store::trend_counts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendCount {
    /// `topic:ID`, `place:GOVERNORATE`, `police:negative` or `stories:all`.
    pub key: String,
    /// 0: the window ending now; k: the same window k days earlier.
    pub window: u32,
    pub stories: usize,
    pub items: usize,
    pub outlets: usize,
    pub owners: usize,
}

impl Store {
    /// Per key and window: the windows are `(now - k days - span, now - k days]` for k = 0
    /// to `days` (span: 3600 for hourly trends, 86400 for daily). Items are counted by
    /// arrival (published, else fetched), and only items given a story count.
    pub fn trend_counts(
        &self,
        now: DateTime<Utc>,
        days: u32,
        span_secs: i64,
    ) -> Result<Vec<TrendCount>> {
        let conn = self.lock();
        let window = "(?1 - s.at) / 86400";
        let filter = "s.at > ?1 - (?2 + 1) * 86400 AND s.at <= ?1 AND (?1 - s.at) % 86400 < ?3";
        let counts = "COUNT(DISTINCT s.story_id), COUNT(DISTINCT s.item_id), \
                      COUNT(DISTINCT s.outlet), COUNT(DISTINCT s.owner)";
        // The governorates of an item's JSON list, one row each.
        let places = conn.dialect_sql(
            "json_each(i.places) j",
            "json_array_elements_text(i.places::json) j(value)",
        );
        let sql = format!(
            "SELECT 'topic:' || t.topic, {window}, {counts} FROM story_items s \
               JOIN item_topics t ON t.item_id = s.item_id WHERE {filter} GROUP BY 1, 2 \
             UNION ALL \
             SELECT 'place:' || j.value, {window}, {counts} FROM story_items s \
               JOIN items i ON i.id = s.item_id, {places} WHERE {filter} GROUP BY 1, 2 \
             UNION ALL \
             SELECT 'police:negative', {window}, {counts} FROM story_items s \
               JOIN items i ON i.id = s.item_id WHERE {filter} AND i.about_police = 1 \
               AND (i.police_stance = 'critical' OR i.sentiment = 'negative') GROUP BY 1, 2 \
             UNION ALL \
             SELECT 'stories:all', {window}, {counts} FROM story_items s WHERE {filter} GROUP BY 1, 2"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![secs(now), i64::from(days), span_secs], |r| {
                Ok(TrendCount {
                    key: r.get(0)?,
                    window: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                    stories: count(r.get(2)?),
                    items: count(r.get(3)?),
                    outlets: count(r.get(4)?),
                    owners: count(r.get(5)?),
                })
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The titles of the items given a story in the same windows as
    /// [`Store::trend_counts`], oldest first.
    pub fn trend_titles(
        &self,
        now: DateTime<Utc>,
        days: u32,
        span_secs: i64,
    ) -> Result<Vec<TrendTitle>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT (?1 - s.at) / 86400, s.story_id, i.id, i.title, s.outlet, s.owner \
             FROM story_items s JOIN items i ON i.id = s.item_id \
             WHERE s.at > ?1 - (?2 + 1) * 86400 AND s.at <= ?1 AND (?1 - s.at) % 86400 < ?3 \
             ORDER BY s.at, s.item_id",
        )?;
        let rows = stmt
            .query_map(params![secs(now), i64::from(days), span_secs], |r| {
                Ok(TrendTitle {
                    window: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    story: unsigned(r.get(1)?),
                    item: r.get(2)?,
                    title: r.get(3)?,
                    outlet: r.get(4)?,
                    owner: r.get(5)?,
                })
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// An item's title in a trend window (see [`Store::trend_titles`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendTitle {
    /// 0: the window ending now; k: k days earlier.
    pub window: u32,
    pub story: u64,
    pub item: String,
    pub title: String,
    pub outlet: String,
    pub owner: String,
}

impl Store {
    /// Items per UTC hour arriving in `[from, to)` (published, else fetched), as (hour start,
    /// count): the digest archive turns them into local days.
    pub fn items_per_hour(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, usize)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT when_ts / 3600, COUNT(*) FROM items WHERE when_ts >= ?1 AND when_ts < ?2 \
             GROUP BY 1 ORDER BY 1",
        )?;
        let rows = stmt
            .query_map(params![secs(from), secs(to)], |r| {
                Ok((time(r.get::<_, i64>(0)? * 3600), count(r.get(1)?)))
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
