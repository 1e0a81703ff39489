//! Alert rules evaluated as items arrive ([`AlertEngine`]).
//!
//! The engine follows the store's change sequence behind the story assigner (`alerts_seq`
//! never passes `stories_seq`, so every item it reads has its story). For each page of
//! changes, in one store transaction:
//!
//! 1. every rule tests every item: one of its `topics` (or none named), one of its
//!    governorates (or none named), its `query` (run on the search index, restricted to
//!    the page's ids), a breaking story when `breaking = true`, and an arrival within the
//!    rule's `window` of the clock (an archive loaded today raises nothing). A match is a
//!    *hit*, kept in the store;
//! 2. `per = "story"` rules: a story's hits in the window, counted in items and distinct
//!    owners, open one alert per story per rule once they reach `min_items` and
//!    `min_outlets`; later hits of that story thread into it, never raising a second;
//! 3. `per = "place"` rules: a governorate's hits count in distinct stories (separate
//!    incidents, not copies of one report) and owners; one alert per governorate per window,
//!    later hits within the window thread into it;
//! 4. an opened alert queues one message per recipient and channel in the outbox, with an
//!    idempotency key (`alert:ID:CHANNEL:RECIPIENT`). Inside quiet hours a message other than
//!    `critical` waits for their end; past the daily cap of a recipient it is held back and
//!    listed in a summary after the local day ends ([`AlertEngine::housekeeping`]).
//!
//! [`AlertEngine::housekeeping`] also escalates: an alert sent but not acknowledged within
//! `escalate_after` is sent to `escalate_to`, once.
//!
//! Every time comes from the caller's clock, so a replay with a simulated clock behaves as
//! the day did.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use rasd_core::text::{escape_html, neutralize_bidi};
use rasd_core::{AlertChannel, AlertPer, AlertRule, Config, Item, QuietHours, Severity};
use rasd_search::SearchIndex;
use rasd_store::{
    AlertRecord, AlertTx, CountedItem, ItemBrief, NewAlert, NewDelivery, RuleHit, Store,
    StoryMember,
};
use serde::Serialize;

use crate::Result;

/// Changes read from the store at a time.
const PAGE: usize = 1000;

/// The trending keys computed at a clock time.
type TrendingAt = (DateTime<Utc>, HashSet<String>);

/// How long the trending keys computed for `trending = true` rules are reused.
const TRENDS_FRESH: Duration = Duration::minutes(5);

/// What one [`AlertEngine::catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AlertRun {
    /// Items read.
    pub items: usize,
    /// Items a rule counted.
    pub hits: usize,
    /// Alerts opened.
    pub opened: usize,
    /// Items threaded into alerts opened before.
    pub threaded: usize,
    /// Messages queued.
    pub queued: usize,
}

/// Topic and governorate names for messages.
#[derive(Debug, Clone, Default)]
struct Names {
    topics: HashMap<String, (String, String)>,
    places: HashMap<String, (String, String)>,
}

impl Names {
    fn topic(&self, id: &str) -> String {
        match self.topics.get(id) {
            Some((ar, en)) => format!("{ar} ({en})"),
            None => id.to_string(),
        }
    }
    fn place(&self, id: &str) -> String {
        match self.places.get(id) {
            Some((ar, en)) => format!("{ar} ({en})"),
            None => id.to_string(),
        }
    }
}

/// The alert rules of `alerts.toml` with the `[alerts]` and `[mail]` settings they need.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    /// The rules (`alerts`), `[alerts]`, `[mail]` and the rest of the config.
    config: Config,
    /// The trending keys at a clock time, reused for [`TRENDS_FRESH`].
    trending: std::sync::Arc<std::sync::Mutex<Option<TrendingAt>>>,
    /// `[settings] timezone`, parsed once.
    tz: Tz,
    names: Names,
}

/// The Arabic and English names of a severity.
fn severity_names(s: &str) -> &'static str {
    match Severity::parse(s) {
        Some(Severity::Critical) => "حرج critical",
        Some(Severity::High) => "مرتفع high",
        Some(Severity::Low) => "منخفض low",
        None => "?",
    }
}

impl AlertEngine {
    /// The engine for `config`'s rules.
    pub fn new(config: &Config) -> AlertEngine {
        let names = Names {
            topics: config
                .topics
                .iter()
                .map(|t| (t.id.clone(), (t.name_ar.clone(), t.name_en.clone())))
                .collect(),
            places: config
                .places
                .iter()
                .map(|p| (p.id.clone(), (p.name_ar.clone(), p.name_en.clone())))
                .collect(),
        };
        AlertEngine {
            config: config.clone(),
            trending: Default::default(),
            tz: config.settings.tz(),
            names,
        }
    }

    /// Whether there is any rule to evaluate.
    pub fn has_rules(&self) -> bool {
        !self.config.alerts.is_empty()
    }

    /// Evaluates the rules on every change the story assigner has given a story and the
    /// rules have not yet read, with `now` as the clock.
    pub fn catch_up(
        &self,
        store: &Store,
        index: &SearchIndex,
        now: DateTime<Utc>,
    ) -> Result<AlertRun> {
        let mut run = AlertRun::default();
        loop {
            let seq = store.alerts_seq()?;
            let upto = store.stories_seq()?;
            if seq >= upto {
                break;
            }
            let changes = store.changes_between(seq, upto, PAGE)?;
            let Some(last) = changes.last else { break };
            if self.config.alerts.is_empty() {
                store.alert_tx(|tx| tx.set_alerts_seq(last))?;
                continue;
            }
            let ids: Vec<&str> = changes.items.iter().map(|i| i.id.as_str()).collect();
            let members = store.story_members_of(&ids)?;
            let owned: Vec<String> = ids.iter().map(|s| (*s).to_string()).collect();
            let mut by_query: Matches<'_> = HashMap::new();
            for rule in &self.config.alerts {
                let q = rule.query.trim();
                if !q.is_empty() && !by_query.contains_key(&(Matcher::Query, q)) {
                    let found = index.matching_ids(q, &owned).map_err(search_error)?;
                    by_query.insert((Matcher::Query, q), found);
                }
                let name = rule.saved_search.trim();
                if !name.is_empty() && !by_query.contains_key(&(Matcher::Saved, name)) {
                    let found = saved_matches(store, index, name, &owned)?;
                    by_query.insert((Matcher::Saved, name), found);
                }
            }
            let trending = self.trending_keys(store, now)?;
            let page = store.alert_tx(|tx| {
                let r = self.evaluate(tx, &changes.items, &members, &by_query, &trending, now)?;
                tx.set_alerts_seq(last)?;
                Ok(r)
            })?;
            run.items += changes.items.len();
            run.hits += page.hits;
            run.opened += page.opened;
            run.threaded += page.threaded;
            run.queued += page.queued;
        }
        Ok(run)
    }

    /// The keys trending at `now` (`topic:ID`, `place:ID`…), when a rule asks for them.
    fn trending_keys(&self, store: &Store, now: DateTime<Utc>) -> Result<HashSet<String>> {
        if !self.config.alerts.iter().any(|r| r.trending) {
            return Ok(HashSet::new());
        }
        let mut cache = self.trending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, keys)) = cache.as_ref()
            && *at <= now
            && now - *at < TRENDS_FRESH
        {
            return Ok(keys.clone());
        }
        let keys: HashSet<String> = crate::trends::trends_at(store, &self.config, now)?
            .into_iter()
            .map(|f| f.key)
            .collect();
        *cache = Some((now, keys.clone()));
        Ok(keys)
    }

    /// Whether one of the item's topics or governorates (among the rule's, when it names
    /// some) is trending.
    fn is_trending(rule: &AlertRule, item: &Item, trending: &HashSet<String>) -> bool {
        let topic = item
            .tags
            .topics
            .iter()
            .filter(|t| rule.topics.is_empty() || rule.topics.contains(t))
            .any(|t| trending.contains(&format!("topic:{t}")));
        let place = item
            .tags
            .places
            .iter()
            .filter(|p| rule.places.is_empty() || rule.places.contains(p))
            .any(|p| trending.contains(&format!("place:{p}")));
        topic || place
    }

    fn matches(&self, rule: &AlertRule, item: &Item, by_query: &Matches<'_>) -> bool {
        (rule.topics.is_empty() || rule.topics.iter().any(|t| item.tags.topics.contains(t)))
            && (rule.places.is_empty() || rule.places.iter().any(|p| item.tags.places.contains(p)))
            && [
                (Matcher::Query, rule.query.trim()),
                (Matcher::Saved, rule.saved_search.trim()),
            ]
            .iter()
            .filter(|(_, key)| !key.is_empty())
            .all(|key| by_query.get(key).is_some_and(|set| set.contains(&item.id)))
    }

    fn evaluate(
        &self,
        tx: &AlertTx<'_>,
        items: &[Item],
        members: &HashMap<String, StoryMember>,
        by_query: &Matches<'_>,
        trending: &HashSet<String>,
        now: DateTime<Utc>,
    ) -> rasd_store::Result<AlertRun> {
        let mut run = AlertRun::default();
        // (rule index, story) and (rule index, governorate) touched by this page.
        let mut stories: BTreeMap<(usize, u64), Vec<&Item>> = BTreeMap::new();
        let mut places: BTreeMap<(usize, String), Vec<&Item>> = BTreeMap::new();
        let mut breaking: HashMap<u64, bool> = HashMap::new();
        for item in items {
            let Some(m) = members.get(&item.id) else {
                continue;
            };
            for (ri, rule) in self.config.alerts.iter().enumerate() {
                let window = window_of(rule);
                if m.at < now - window
                    || !self.matches(rule, item, by_query)
                    || (rule.trending && !Self::is_trending(rule, item, trending))
                {
                    continue;
                }
                // A story rule asks for breaking when it opens (the items before the story
                // broke count too); a place rule counts breaking stories only.
                if rule.breaking && rule.per == AlertPer::Place {
                    let is = match breaking.get(&m.story) {
                        Some(b) => *b,
                        None => {
                            let b = tx.story(m.story)?.is_some_and(|s| s.breaking_at.is_some());
                            breaking.insert(m.story, b);
                            b
                        }
                    };
                    if !is {
                        continue;
                    }
                }
                run.hits += 1;
                match rule.per {
                    AlertPer::Story => {
                        tx.insert_hit(&hit(rule, item, m, ""))?;
                        stories.entry((ri, m.story)).or_default().push(item);
                    }
                    AlertPer::Place => {
                        for gov in &item.tags.places {
                            if !rule.places.is_empty() && !rule.places.contains(gov) {
                                continue;
                            }
                            tx.insert_hit(&hit(rule, item, m, gov))?;
                            places.entry((ri, gov.clone())).or_default().push(item);
                        }
                    }
                }
            }
        }
        for ((ri, story), page_items) in stories {
            let rule = &self.config.alerts[ri];
            let from = now - window_of(rule);
            let key = format!("story:{story}");
            let alert = tx.alert_by_key(&rule.id, &key)?;
            let counts = tx.story_counts(&rule.id, story, from, far_future())?;
            let open_now = alert.is_none()
                && counts.items >= rule.min_items as usize
                && counts.owners >= rule.min_outlets as usize
                && (!rule.breaking || tx.story(story)?.is_some_and(|s| s.breaking_at.is_some()));
            if alert.is_none() && !open_now {
                continue;
            }
            let (id, fresh) = match alert {
                Some(a) => (a.id, false),
                None => {
                    let title = tx
                        .story(story)?
                        .map(|s| s.title)
                        .unwrap_or_else(|| page_items[0].title.clone());
                    let id = tx.open_alert(&NewAlert {
                        rule: rule.id.clone(),
                        key,
                        severity: rule.severity.as_str().to_string(),
                        story: Some(story),
                        place: None,
                        title,
                        opened_at: now,
                        first_item: page_items[0].id.clone(),
                        topics: Vec::new(),
                        places: Vec::new(),
                    })?;
                    (id, true)
                }
            };
            // A new alert takes every hit in the window; an open one the page's.
            let hits = if fresh {
                tx.hits(&rule.id, Some(story), "", from, far_future())?
            } else {
                let mine: HashSet<&str> = page_items.iter().map(|i| i.id.as_str()).collect();
                tx.hits(
                    &rule.id,
                    Some(story),
                    "",
                    DateTime::<Utc>::MIN_UTC,
                    far_future(),
                )?
                .into_iter()
                .filter(|h| mine.contains(h.item.as_str()))
                .collect()
            };
            let added = self.thread(tx, id, &hits, &page_items)?;
            if fresh {
                run.opened += 1;
                run.queued += self.queue_alert(tx, rule, id, now)?;
            } else {
                run.threaded += added;
            }
        }
        for ((ri, gov), page_items) in places {
            let rule = &self.config.alerts[ri];
            let window = window_of(rule);
            let from = now - window;
            let open = tx
                .latest_place_alert(&rule.id, &gov)?
                .filter(|a| a.last_item_at >= from);
            match open {
                Some(a) => {
                    let mine: HashSet<&str> = page_items.iter().map(|i| i.id.as_str()).collect();
                    let hits: Vec<_> = tx
                        .hits(&rule.id, None, &gov, from, far_future())?
                        .into_iter()
                        .filter(|h| mine.contains(h.item.as_str()))
                        .collect();
                    run.threaded += self.thread(tx, a.id, &hits, &page_items)?;
                }
                None => {
                    let counts = tx.place_counts(&rule.id, &gov, from, far_future())?;
                    if counts.stories < rule.min_items as usize
                        || counts.owners < rule.min_outlets as usize
                    {
                        continue;
                    }
                    let hits = tx.hits(&rule.id, None, &gov, from, far_future())?;
                    let id = tx.open_alert(&NewAlert {
                        rule: rule.id.clone(),
                        key: format!("place:{gov}:{}", now.timestamp()),
                        severity: rule.severity.as_str().to_string(),
                        story: None,
                        place: Some(gov.clone()),
                        title: self.wave_title(&gov),
                        opened_at: now,
                        first_item: hits
                            .first()
                            .map(|h| h.item.clone())
                            .unwrap_or_else(|| page_items[0].id.clone()),
                        topics: Vec::new(),
                        places: vec![gov.clone()],
                    })?;
                    self.thread(tx, id, &hits, &page_items)?;
                    run.opened += 1;
                    run.queued += self.queue_alert(tx, rule, id, now)?;
                }
            }
        }
        Ok(run)
    }

    /// A wave's title: "موجة في الزرقاء / Wave in Zarqa".
    fn wave_title(&self, gov: &str) -> String {
        match self.names.places.get(gov) {
            Some((ar, en)) => format!("موجة في {ar} / Wave in {en}"),
            None => format!("موجة في {gov} / Wave in {gov}"),
        }
    }

    /// Threads hits into an alert, with the topics and governorates of the items.
    fn thread(
        &self,
        tx: &AlertTx<'_>,
        id: u64,
        hits: &[CountedItem],
        page_items: &[&Item],
    ) -> rasd_store::Result<usize> {
        let before = tx.alert(id)?;
        let mut topics: BTreeSet<String> = before
            .as_ref()
            .map(|a| a.topics.iter().cloned().collect())
            .unwrap_or_default();
        let mut places: BTreeSet<String> = before
            .as_ref()
            .map(|a| a.places.iter().cloned().collect())
            .unwrap_or_default();
        for i in page_items {
            topics.extend(i.tags.topics.iter().cloned());
            places.extend(i.tags.places.iter().cloned());
        }
        let topics: Vec<String> = topics.into_iter().collect();
        let places: Vec<String> = places.into_iter().collect();
        tx.thread(id, hits, &topics, &places)
    }

    /// Who a rule's e-mail goes to.
    fn recipients<'a>(&'a self, rule: &'a AlertRule) -> &'a [String] {
        if rule.recipients.is_empty() {
            &self.config.settings.alerts.recipients
        } else {
            &rule.recipients
        }
    }

    /// Queues an opened alert's messages; returns how many.
    fn queue_alert(
        &self,
        tx: &AlertTx<'_>,
        rule: &AlertRule,
        id: u64,
        now: DateTime<Utc>,
    ) -> rasd_store::Result<usize> {
        let Some(alert) = tx.alert(id)? else {
            return Ok(0);
        };
        let first = tx.item_brief(&alert.first_item)?;
        let msg = self.message(&alert, rule, first.as_ref(), None);
        let mut queued = 0;
        for channel in &rule.channels {
            let targets: Vec<String> = match channel {
                AlertChannel::Email if self.config.settings.mail.enabled => {
                    self.recipients(rule).to_vec()
                }
                AlertChannel::Email => Vec::new(),
                AlertChannel::Webhook => rule.webhook_url.iter().cloned().collect(),
            };
            for to in targets {
                queued += usize::from(self.queue(tx, &msg, "alert", *channel, &to, &alert, now)?);
            }
        }
        Ok(queued)
    }

    /// Queues one message, applying quiet hours and the daily cap.
    #[allow(clippy::too_many_arguments)]
    fn queue(
        &self,
        tx: &AlertTx<'_>,
        msg: &Message,
        kind: &str,
        channel: AlertChannel,
        to: &str,
        alert: &AlertRecord,
        now: DateTime<Utc>,
    ) -> rasd_store::Result<bool> {
        let critical = alert.severity == Severity::Critical.as_str();
        let (mut state, mut next_at, mut note) = ("queued", now, None);
        if !critical {
            let (start, end) = self.local_day(now);
            if tx.sent_to(to, start, end)? >= self.config.settings.alerts.daily_cap as usize {
                state = "capped";
                note = Some(format!(
                    "held back by the daily cap of {} (listed in the summary after the day ends)",
                    self.config.settings.alerts.daily_cap
                ));
            } else if let Some(q) = self.config.settings.alerts.quiet_hours
                && let Some(end) = quiet_end(q, self.tz, now)
            {
                next_at = end;
                note = Some(format!("quiet hours {q}: sent at their end"));
            }
        }
        let key = format!("{kind}:{}:{}:{to}", alert.id, channel.as_str());
        tx.enqueue(
            &NewDelivery {
                payload: Some(msg.json(kind, &key)),
                key,
                alert: Some(alert.id),
                kind: kind.to_string(),
                channel: channel.as_str().to_string(),
                recipient: to.to_string(),
                subject: msg.subject.clone(),
                body_text: msg.text.clone(),
                body_html: Some(msg.html.clone()),
                state: state.to_string(),
                next_at,
                note,
                images: None,
            },
            now,
        )
    }

    /// The local day around `now` as UTC instants `[start, end)`.
    fn local_day(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let day = now.with_timezone(&self.tz).date_naive();
        (self.day_start(day), self.day_start(day + Duration::days(1)))
    }

    fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        rasd_core::day_start(day, self.tz)
    }

    /// Escalates alerts nobody acknowledged in time and queues the summaries of what the
    /// daily cap held back on days that have ended. Returns how many messages it queued.
    pub fn housekeeping(&self, store: &Store, now: DateTime<Utc>) -> Result<usize> {
        let queued = store.alert_tx(|tx| {
            let mut queued = 0;
            for (alert, sent) in tx.unacknowledged()? {
                let Some(rule) = self.config.alerts.iter().find(|r| r.id == alert.rule) else {
                    continue;
                };
                let to = if rule.escalate_to.is_empty() {
                    &self.config.settings.alerts.escalate_to
                } else {
                    &rule.escalate_to
                };
                let after = rule.escalate_after.unwrap_or(self.config.settings.alerts.escalate_after);
                let after = Duration::from_std(after.as_duration()).unwrap_or(Duration::MAX);
                let Some(sent) = sent else { continue };
                if to.is_empty() || sent + after > now {
                    continue;
                }
                let first = tx.item_brief(&alert.first_item)?;
                let msg = self.message(&alert, rule, first.as_ref(), Some(after));
                if self.config.settings.mail.enabled {
                    for r in to {
                        queued += usize::from(self.queue(
                            tx,
                            &msg,
                            "escalation",
                            AlertChannel::Email,
                            r,
                            &alert,
                            now,
                        )?);
                    }
                }
                tx.mark_escalated(alert.id, now)?;
            }
            // Windows are at most 30 days long.
            tx.prune_hits(now - Duration::days(31))?;
            let (today, _) = self.local_day(now);
            let held = tx.capped_before(today)?;
            let mut groups: BTreeMap<(String, String, NaiveDate), Vec<_>> = BTreeMap::new();
            for d in held {
                let day = d.created_at.with_timezone(&self.tz).date_naive();
                groups
                    .entry((d.channel.clone(), d.recipient.clone(), day))
                    .or_default()
                    .push(d);
            }
            for ((channel, to, day), rows) in groups {
                let subject = format!(
                    "[رصد Rasd] ما حُجب يوم {day} بسبب الحد اليومي — {} alerts held back on {day}",
                    rows.len()
                );
                let mut text = format!(
                    "تجاوزت التنبيهات الحد اليومي ({cap}) فحُجب ما يلي:\nThe daily cap of {cap} alerts was reached on {day}; these were held back:\n\n",
                    cap = self.config.settings.alerts.daily_cap
                );
                for r in &rows {
                    text.push_str(&format!("- {}\n", r.subject));
                }
                // There is no alerts page yet (issue 14): the command lists them.
                text.push_str("\nrasd alerts --state open\n");
                let html = format!(
                    "<div dir=\"rtl\" lang=\"ar\"><pre>{}</pre></div>",
                    escape(&text)
                );
                let key = format!("summary:{channel}:{to}:{day}");
                let payload = serde_json::json!({
                    "delivery": key,
                    "kind": "summary",
                    "day": day.to_string(),
                    "held_back": rows.iter().map(|r| &r.subject).collect::<Vec<_>>(),
                    "text": text,
                })
                .to_string();
                tx.enqueue(
                    &NewDelivery {
                        key,
                        alert: None,
                        kind: "summary".into(),
                        channel,
                        recipient: to,
                        subject,
                        body_text: text,
                        body_html: Some(html),
                        payload: Some(payload),
                        state: "queued".into(),
                        next_at: now,
                        note: None,
                        images: None,
                    },
                    now,
                )?;
                queued += 1;
                tx.set_delivery_state(&rows.iter().map(|r| r.id).collect::<Vec<_>>(), "summarized")?;
            }
            Ok(queued)
        })?;
        Ok(queued)
    }

    /// An alert's message: subject, text, HTML and webhook JSON.
    fn message(
        &self,
        a: &AlertRecord,
        rule: &AlertRule,
        first: Option<&ItemBrief>,
        escalated_after: Option<Duration>,
    ) -> Message {
        let local = |t: DateTime<Utc>| {
            t.with_timezone(&self.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        let link = format!(
            "{}/item/{}",
            self.config.settings.server.base_url(),
            a.first_item
        );
        let escalation = escalated_after.map(|d| {
            let mins = d.num_minutes();
            format!(
                "لم يؤكد أحد استلام هذا التنبيه خلال {mins} دقيقة. Nobody acknowledged this alert within {mins} minutes."
            )
        });
        let subject = format!(
            "[رصد Rasd · {}]{} {} — {}",
            severity_names(&a.severity),
            if escalation.is_some() {
                " تصعيد escalation:"
            } else {
                ""
            },
            rule.name,
            one_line(&a.title, 120)
        );
        let topics = a
            .topics
            .iter()
            .map(|t| self.names.topic(t))
            .collect::<Vec<_>>()
            .join("، ");
        let places = a
            .places
            .iter()
            .map(|p| self.names.place(p))
            .collect::<Vec<_>>()
            .join("، ");
        let mut lines: Vec<(String, String)> = vec![
            (
                "القاعدة / Rule".into(),
                format!("{} ({})", rule.name, rule.id),
            ),
            (
                "الخطورة / Severity".into(),
                severity_names(&a.severity).into(),
            ),
            (
                match a.story {
                    Some(_) => "القصة / Story".into(),
                    None => "الموجة / Wave".into(),
                },
                a.title.clone(),
            ),
            (
                "المواد / Items".into(),
                format!(
                    "{} مادة من {} منفذ لـ {} مالك — {} items, {} outlets, {} owners",
                    a.items, a.outlets, a.owners, a.items, a.outlets, a.owners
                ),
            ),
        ];
        if !places.is_empty() {
            lines.push(("المحافظات / Governorates".into(), places));
        }
        if !topics.is_empty() {
            lines.push(("المواضيع / Topics".into(), topics));
        }
        lines.push((
            "أول مادة / First item".into(),
            match first {
                Some(f) => format!("{} — {} ({})", f.title, f.source, local(f.at)),
                None => a.first_item.clone(),
            },
        ));
        lines.push((
            "الفترة / Span".into(),
            format!("{} → {}", local(a.first_item_at), local(a.last_item_at)),
        ));
        lines.push(("الرابط / Link".into(), link.clone()));
        if let Some(url) = first.map(|f| f.url.as_str()).filter(|u| !u.is_empty()) {
            lines.push(("المصدر / Source".into(), url.to_string()));
        }
        lines.push((
            "التأكيد / Acknowledge".into(),
            format!("rasd alerts ack {} --by NAME", a.id),
        ));
        let mut text = String::new();
        if let Some(e) = &escalation {
            text.push_str(e);
            text.push_str("\n\n");
        }
        for (k, v) in &lines {
            text.push_str(&format!("{k}: {v}\n"));
        }
        let mut html =
            String::from("<div dir=\"rtl\" lang=\"ar\" style=\"font-family:sans-serif\">");
        if let Some(e) = &escalation {
            html.push_str(&format!("<p><strong>{}</strong></p>", escape(e)));
        }
        html.push_str("<table>");
        for (k, v) in &lines {
            let v = if v.starts_with("http://") || v.starts_with("https://") {
                format!("<a href=\"{0}\">{0}</a>", escape(v))
            } else {
                escape(v)
            };
            html.push_str(&format!(
                "<tr><th align=\"right\">{}</th><td>{v}</td></tr>",
                escape(k)
            ));
        }
        html.push_str("</table></div>");
        Message {
            subject,
            text,
            html,
            alert: a.clone(),
            rule_name: rule.name.clone(),
            link,
            first: first.cloned(),
        }
    }
}

/// An alert rendered for sending.
#[derive(Debug, Clone)]
struct Message {
    subject: String,
    text: String,
    html: String,
    alert: AlertRecord,
    rule_name: String,
    link: String,
    first: Option<ItemBrief>,
}

impl Message {
    fn json(&self, kind: &str, key: &str) -> String {
        serde_json::json!({
            "delivery": key,
            "kind": kind,
            "alert": self.alert,
            "rule_name": self.rule_name,
            "link": self.link,
            "first_item": self.first,
            "subject": self.subject,
            "text": self.text,
        })
        .to_string()
    }
}

fn hit(rule: &AlertRule, item: &Item, m: &StoryMember, place: &str) -> RuleHit {
    RuleHit {
        rule_id: rule.id.clone(),
        item_id: item.id.clone(),
        story: m.story,
        place: place.to_string(),
        outlet: m.outlet.clone(),
        owner: m.owner.clone(),
        at: m.at,
    }
}

/// What narrows a rule beside its topics and places: its query text, or its saved search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Matcher {
    Query,
    Saved,
}

/// The ids of a page's items that each rule's query or saved search matches, by matcher and
/// text (a query and a saved search may be written alike).
type Matches<'a> = HashMap<(Matcher, &'a str), HashSet<String>>;

/// Which of `ids` match the saved search `name` (its query and filters). A saved search
/// that is gone, or whose filters no longer read, matches nothing, with a warning: the rule
/// stays quiet rather than alerting on everything.
fn saved_matches(
    store: &Store,
    index: &SearchIndex,
    name: &str,
    ids: &[String],
) -> Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let Some(saved) = store.saved_search(name)? else {
        tracing::warn!(
            saved_search = name,
            "An alert rule names a saved search that does not exist; it matches nothing (rasd searches list shows them)."
        );
        return Ok(HashSet::new());
    };
    let mut q = rasd_search::SearchQuery {
        text: saved.query,
        ids: ids.to_vec(),
        ..rasd_search::SearchQuery::default()
    };
    if let Err(e) =
        rasd_search::apply_filters(&mut q, &saved.filters, rasd_search::KnownIds::default())
    {
        tracing::warn!(saved_search = name, error = %e, "A saved search an alert rule names cannot be read; it matches nothing.");
        return Ok(HashSet::new());
    }
    index.matching(&q).map_err(search_error)
}

fn window_of(rule: &AlertRule) -> Duration {
    Duration::from_std(rule.window.as_duration()).unwrap_or(Duration::hours(1))
}

fn far_future() -> DateTime<Utc> {
    DateTime::<Utc>::MAX_UTC
}

/// When the quiet hours around `now` end (`None`: `now` is not inside them).
pub fn quiet_end(q: QuietHours, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz);
    if !q.contains(local.time()) {
        return None;
    }
    let mut day = local.date_naive();
    if local.time() >= q.end {
        day += Duration::days(1);
    }
    let end = day.and_time(q.end);
    Some(
        tz.from_local_datetime(&end)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| now + Duration::hours(1)),
    )
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Text for HTML, with bidi controls neutralised (titles come from feeds).
fn escape(s: &str) -> String {
    escape_html(&neutralize_bidi(s))
}

fn search_error(e: rasd_search::Error) -> crate::Error {
    crate::Error::Search(e.to_string())
}
