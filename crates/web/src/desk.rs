//! The analysts' desk: the submissions inbox (`/submissions`, one submission at
//! `/submissions/{ref}`, its contact behind an audited button), alerts with their evidence
//! and acknowledgement (`/alerts`), and the sources with their health (`/sources`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::html;
use rasd_store::{SUBMISSION_STATES, SubmissionFilter};
use serde::Deserialize;

use crate::account::{Page, html_page};
use crate::auth::Perm;
use crate::ui::{self, UiLang};
use crate::{AppState, Error};

fn internal(e: impl std::fmt::Display) -> Response {
    Error::Internal(e.to_string()).into_response()
}

/// A submission state in the reader's language.
pub fn state_name(l: UiLang, s: &str) -> &'static str {
    match s {
        "new" => l.t("جديد", "new"),
        "reviewed" => l.t("رُوجع", "reviewed"),
        "forwarded" => l.t("أُحيل", "forwarded"),
        "closed" => l.t("مغلق", "closed"),
        _ => "?",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    governorate: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

/// The inbox's choices in the reader's language: categories, governorates, states.
type Choices = Vec<(String, String)>;

fn inbox_choices(config: &rasd_core::Config, l: UiLang) -> (Choices, Choices, Choices) {
    let states = SUBMISSION_STATES
        .iter()
        .map(|s| (s.to_string(), state_name(l, s).to_string()))
        .collect();
    (
        ui::categories(config, l),
        ui::governorates(config, l),
        states,
    )
}

/// The name of `id` in a list of choices (the id itself when it is not there).
fn name_of(list: &[(String, String)], id: &str) -> String {
    list.iter()
        .find(|(k, _)| k == id)
        .map_or_else(|| id.to_string(), |(_, v)| v.clone())
}

fn some(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

const INBOX_PAGE: usize = 50;

/// `GET /submissions`: the inbox, newest first, by state, governorate, category, mine.
pub async fn inbox(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<InboxParams>,
) -> Result<Response, Response> {
    let who = page.require(Perm::Inbox)?.clone();
    let n = q.page.unwrap_or(1).max(1);
    let filter = SubmissionFilter {
        status: some(&q.status),
        governorate: some(&q.governorate),
        category: some(&q.category),
        assignee: q.mine.as_ref().map(|_| who.user.name.clone()),
        limit: INBOX_PAGE,
        offset: (n - 1) * INBOX_PAGE,
    };
    if let Some(s) = &filter.status
        && !SUBMISSION_STATES.contains(&s.as_str())
    {
        return Err(Error::BadRequest(format!(
            "unknown state {s:?}: use {}",
            SUBMISSION_STATES.join(", ")
        ))
        .into_response());
    }
    let store = state.store.clone();
    let f = filter.clone();
    let ((rows, total), counts) = tokio::task::spawn_blocking(move || {
        Ok::<_, rasd_store::Error>((store.submissions(&f)?, store.submission_counts()?))
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let ctx = &page.0;
    let l = ctx.lang;
    let (cats, govs, states) = inbox_choices(&state.config, l);
    let body = html! {
        h1 { (l.t("البلاغات الواردة", "Submissions inbox")) }
        ul.counts {
            @for (s, c) in &counts {
                li { a href=(format!("/submissions?status={s}")) { (state_name(l, s)) } " " span dir="ltr" { (c) } }
            }
        }
        form.q method="get" action="/submissions" {
            div.filters {
                (ui::select("status", l.t("الحالة", "State"), Some(l.t("الكل", "All")), &states, filter.status.as_deref().unwrap_or("")))
                (ui::select("governorate", l.t("المحافظة", "Governorate"), Some(l.t("الكل", "All")), &govs, filter.governorate.as_deref().unwrap_or("")))
                (ui::select("category", l.t("النوع", "Category"), Some(l.t("الكل", "All")), &cats, filter.category.as_deref().unwrap_or("")))
                label { input type="checkbox" name="mine" value="1" checked[q.mine.is_some()]; " " (l.t("المسندة إلي", "Assigned to me")) }
                button type="submit" { (l.t("تصفية", "Filter")) }
            }
        }
        p.meta { (l.t("العدد:", "Found:")) " " span dir="ltr" { (total) } }
        table.list {
            thead { tr { th { (l.t("الرقم", "Reference")) } th { (l.t("الوقت", "Time")) } th { (l.t("النوع", "Category")) } th { (l.t("المحافظة", "Governorate")) } th { (l.t("النص", "Text")) } th { (l.t("الحالة", "State")) } th { (l.t("المسؤول", "Assignee")) } } }
            tbody {
                @for s in &rows {
                    tr {
                        td dir="ltr" { a href=(format!("/submissions/{}", s.reference)) { (s.reference) } }
                        td { (ui::time(s.created, ctx.tz)) }
                        td { (name_of(&cats, &s.category)) }
                        td { (if s.governorate.is_empty() { "—".to_string() } else { name_of(&govs, &s.governorate) }) }
                        td dir="auto" { (ui::outside(&s.text.chars().take(140).collect::<String>())) }
                        td { (state_name(l, &s.status)) @if let Some(m) = &s.merged_into { " → " span dir="ltr" { (m) } } }
                        td { @if let Some(a) = &s.assignee { bdi { (a) } } @else { "—" } }
                    }
                }
            }
        }
        nav.pages {
            @if n > 1 { a href=(format!("/submissions?page={}", n - 1)) { (l.t("السابق", "Previous")) } }
            @if n * INBOX_PAGE < total { a href=(format!("/submissions?page={}", n + 1)) { (l.t("التالي", "Next")) } }
        }
    };
    Ok(html_page(
        StatusCode::OK,
        ui::page(ctx, l.t("البلاغات", "Inbox"), body),
    ))
}

fn valid_reference(r: &str) -> bool {
    r.len() <= 32 && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `GET /submissions/{ref}`: one submission with its tags, actions, and the contact when
/// asked for (`?contact=1`, roles with [`Perm::Contacts`] only, audited).
pub async fn submission(
    State(state): State<AppState>,
    page: Page,
    Path(reference): Path<String>,
    Query(q): Query<ContactParam>,
) -> Result<Response, Response> {
    let who = page.require(Perm::Inbox)?.clone();
    if !valid_reference(&reference) {
        return Err(Error::BadRequest(format!("invalid reference {reference:?}")).into_response());
    }
    let show_contact = q.contact.is_some();
    if show_contact {
        who.require(Perm::Contacts)?;
    }
    let store = state.store.clone();
    let (r, who2) = (reference.clone(), who.clone());
    let found = tokio::task::spawn_blocking(move || -> rasd_store::Result<_> {
        let Some(s) = store.submission(&r)? else {
            return Ok(None);
        };
        let item = store.get_item(&s.item_id)?;
        let contact = if show_contact {
            let c = store.submission_contact(&r)?;
            store.audit(
                &who2.user.name,
                "contact_viewed",
                &r,
                "",
                &who2.addr.text(),
                Utc::now(),
            )?;
            c
        } else {
            None
        };
        let users = store.users()?;
        Ok(Some((s, item, contact, users)))
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let ctx = &page.0;
    let l = ctx.lang;
    let Some((s, item, contact, users)) = found else {
        return Ok(html_page(
            StatusCode::NOT_FOUND,
            ui::error_page(
                ctx,
                l.t("غير موجود", "Not found"),
                l.t(
                    "لا يوجد بلاغ بهذا الرقم.",
                    "There is no submission with this reference.",
                ),
            ),
        ));
    };
    let (cats, govs, states) = inbox_choices(&state.config, l);
    let people: Vec<(String, String)> = users
        .iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.name.clone(), u.name.clone()))
        .collect();
    let body = html! {
        h1 { (l.t("بلاغ", "Submission")) " " span dir="ltr" { (s.reference) } }
        p.meta {
            (ui::time(s.created, ctx.tz)) " · " (name_of(&cats, &s.category))
            " · " (if s.governorate.is_empty() { "—".to_string() } else { name_of(&govs, &s.governorate) })
            " · " (state_name(l, &s.status))
            @if let Some(m) = &s.merged_into { " → " a dir="ltr" href=(format!("/submissions/{m}")) { (m) } }
        }
        blockquote.submission dir="auto" { (ui::outside(&s.text)) }
        @if let Some(item) = &item {
            p { a href=(format!("/item/{}", item.id)) { (l.t("العنصر ووسومه", "The item and its tags")) } }
        }
        h2 { (l.t("التواصل", "Contact")) }
        @if let Some((name, contact)) = &contact {
            dl {
                dt { (l.t("الاسم", "Name")) } dd { bdi { (ui::outside(name)) } }
                dt { (l.t("وسيلة التواصل", "Contact")) } dd dir="ltr" { (ui::outside(contact)) }
            }
            p.meta { (l.t("سُجّل اطلاعك على بيانات التواصل.", "Your view of the contact was recorded.")) }
        } @else if !s.has_contact {
            p { (l.t("لم يترك المرسل وسيلة تواصل.", "The sender left no contact.")) }
        } @else if who.role.can(Perm::Contacts) {
            form.inline.reveal method="get" action=(format!("/submissions/{}", s.reference)) {
                input type="hidden" name="contact" value="1";
                button type="submit" { (l.t("إظهار بيانات التواصل (يُسجَّل)", "Show the contact (recorded)")) }
            }
        } @else {
            p { (l.t("دورك لا يسمح برؤية بيانات التواصل.", "Your role may not see contacts.")) }
        }
        h2 { (l.t("إجراءات", "Actions")) }
        form.stack method="post" action=(format!("/submissions/{}", s.reference)) {
            input type="hidden" name="csrf" value=(who.csrf());
            (ui::select("status", l.t("الحالة", "State"), None, &states, &s.status))
            button type="submit" name="action" value="status" { (l.t("حفظ الحالة", "Save state")) }
            (ui::select("assignee", l.t("إسناد إلى", "Assign to"), Some(l.t("لا أحد", "Nobody")), &people, s.assignee.as_deref().unwrap_or("")))
            button type="submit" name="action" value="assign" { (l.t("إسناد", "Assign")) }
            label for="into" { (l.t("دمج كنسخة مكررة من البلاغ رقم", "Merge as a duplicate of")) }
            input #into type="text" name="into" dir="ltr" placeholder="0000-0000-0000";
            button type="submit" name="action" value="merge" { (l.t("دمج", "Merge")) }
        }
    };
    Ok(html_page(
        StatusCode::OK,
        ui::page(ctx, l.t("بلاغ", "Submission"), body),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactParam {
    #[serde(default)]
    contact: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SubmissionAction {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    into: String,
}

/// `POST /submissions/{ref}`: change the state, assign, or merge as a duplicate (audited).
pub async fn act_on_submission(
    State(state): State<AppState>,
    page: Page,
    Path(reference): Path<String>,
    axum::Form(form): axum::Form<SubmissionAction>,
) -> Result<Response, Response> {
    let who = page.require(Perm::Inbox)?.clone();
    who.check_csrf(&form.csrf)?;
    if !valid_reference(&reference) {
        return Err(Error::BadRequest(format!("invalid reference {reference:?}")).into_response());
    }
    let store = state.store.clone();
    let r = reference.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<(), rasd_store::Error> {
        let now = Utc::now();
        let (what, detail) = match form.action.as_str() {
            "status" => {
                store.set_submission_status(&r, &form.status, now)?;
                ("submission_status", form.status.clone())
            }
            "assign" => {
                let to = Some(form.assignee.trim()).filter(|s| !s.is_empty());
                store.assign_submission(&r, to, now)?;
                ("submission_assigned", to.unwrap_or("").to_string())
            }
            "merge" => {
                store.merge_submission(&r, form.into.trim(), now)?;
                ("submission_merged", form.into.trim().to_string())
            }
            other => {
                return Err(rasd_store::Error::Refused(format!(
                    "unknown action {other:?}: use status, assign or merge"
                )));
            }
        };
        store.audit(&who.user.name, what, &r, &detail, &who.addr.text(), now)
    })
    .await
    .map_err(internal)?;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/submissions/{reference}")).into_response()),
        Err(rasd_store::Error::Refused(m)) => Err(Error::BadRequest(m).into_response()),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AlertParams {
    #[serde(default)]
    state: Option<String>,
}

/// `GET /alerts`: the alerts of the last 30 days, newest first, with their evidence (the
/// counted items and outlets) and acknowledgement and escalation state.
pub async fn alerts_page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<AlertParams>,
) -> Result<Response, Response> {
    let who = page.require(Perm::Alerts)?.clone();
    let filter_state = some(&q.state);
    if let Some(s) = &filter_state
        && !matches!(s.as_str(), "open" | "acknowledged")
    {
        return Err(
            Error::BadRequest(format!("unknown state {s:?}: use open or acknowledged"))
                .into_response(),
        );
    }
    let store = state.store.clone();
    let fs = filter_state.clone();
    let alerts = tokio::task::spawn_blocking(move || -> rasd_store::Result<_> {
        let list = store.alerts_list(&rasd_store::AlertFilter {
            since: Some(Utc::now() - chrono::Duration::days(30)),
            state: fs,
            limit: 200,
        })?;
        let mut out = Vec::new();
        for a in list {
            let items = store.alert_items(a.id)?;
            let mut briefs = Vec::new();
            for c in items.iter().take(5) {
                briefs.push((c.clone(), store.get_item(&c.item)?.map(|i| i.title)));
            }
            out.push((a, items.len(), briefs));
        }
        Ok(out)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let ctx = &page.0;
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("التنبيهات", "Alerts")) }
        nav.tabs {
            a href="/alerts" { (l.t("الكل", "All")) }
            a href="/alerts?state=open" { (l.t("المفتوحة", "Open")) }
            a href="/alerts?state=acknowledged" { (l.t("المؤكَّد استلامها", "Acknowledged")) }
        }
        @if alerts.is_empty() { p { (l.t("لا تنبيهات في آخر 30 يوماً.", "No alerts in the last 30 days.")) } }
        @for (a, counted, briefs) in &alerts {
            section.alert id=(format!("alert-{}", a.id)) {
                h2 dir="auto" { span class=(format!("badge sev-{}", a.severity)) { (a.severity) } " " (ui::outside(&a.title)) }
                p.meta {
                    (l.t("القاعدة", "Rule")) " " code dir="ltr" { (a.rule) } " · "
                    (l.t("فُتح", "opened")) " " (ui::time(a.opened_at, ctx.tz)) " · "
                    span dir="ltr" { (a.items) } " " (l.t("عناصر من", "items from")) " " span dir="ltr" { (a.outlets) } " " (l.t("منافذ", "outlets"))
                }
                p {
                    @if a.state == "open" {
                        strong { (l.t("مفتوح", "Open")) }
                        @if let Some(t) = a.escalated_at { " · " (l.t("صُعِّد", "escalated")) " " (ui::time(t, ctx.tz)) }
                        @if who.role.can(Perm::AckAlerts) {
                            form.inline method="post" action=(format!("/alerts/{}/ack", a.id)) {
                                input type="hidden" name="csrf" value=(who.csrf());
                                button type="submit" { (l.t("تأكيد الاستلام", "Acknowledge")) }
                            }
                        }
                    } @else {
                        (l.t("أُكِّد استلامه", "Acknowledged"))
                        @if let Some(by) = &a.acked_by { " — " bdi { (by) } }
                        @if let Some(t) = a.acked_at { " " (ui::time(t, ctx.tz)) }
                    }
                }
                details {
                    summary { (l.t("الأدلة", "Evidence")) " (" span dir="ltr" { (counted) } ")" }
                    ul {
                        @for (c, brief) in briefs {
                            li {
                                (ui::time(c.at, ctx.tz)) " · " bdi { (ui::outside(&c.outlet)) } " · "
                                a href=(format!("/item/{}", c.item)) dir="auto" {
                                    (brief.as_ref().map_or_else(|| c.item.clone(), |t| ui::outside(t)))
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html_page(
        StatusCode::OK,
        ui::page(ctx, l.t("التنبيهات", "Alerts"), body),
    ))
}

/// `POST /alerts/{id}/ack`: acknowledges an open alert (its pending escalation is
/// cancelled), audited.
pub async fn ack_alert(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<u64>,
    axum::Form(form): axum::Form<crate::account::CsrfForm>,
) -> Result<Response, Response> {
    let who = page.require(Perm::AckAlerts)?.clone();
    who.check_csrf(form.csrf())?;
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || -> rasd_store::Result<bool> {
        let now = Utc::now();
        let before = store.acknowledge_alert(id, &who.user.name, now)?;
        if let Some(a) = &before {
            store.audit(
                &who.user.name,
                "alert_acknowledged",
                &id.to_string(),
                &a.title,
                &who.addr.text(),
                now,
            )?;
        }
        Ok(before.is_some())
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    if !found {
        return Err(Error::BadRequest(format!("there is no alert {id}")).into_response());
    }
    Ok(Redirect::to(&format!("/alerts#alert-{id}")).into_response())
}

/// `GET /sources`: every configured source with its health, flagged ones first.
pub async fn sources_page(State(state): State<AppState>, page: Page) -> Result<Response, Response> {
    page.require(Perm::Sources)?;
    let store = state.store.clone();
    let mut health = tokio::task::spawn_blocking(move || store.source_health())
        .await
        .map_err(internal)?
        .map_err(internal)?;
    health.sort_by(|a, b| b.flagged.cmp(&a.flagged).then(a.source.cmp(&b.source)));
    let ctx = &page.0;
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("المصادر", "Sources")) }
        table.list {
            thead { tr { th { (l.t("المصدر", "Source")) } th { (l.t("النوع", "Kind")) } th { (l.t("آخر نجاح", "Last success")) } th { (l.t("إخفاقات متتالية", "Failures in a row")) } th { (l.t("آخر خطأ", "Last error")) } th { (l.t("الموعد التالي", "Next poll")) } } }
            tbody {
                @for h in &health {
                    tr class=(if h.flagged { "flagged" } else { "" }) {
                        td { bdi { (ui::outside(&h.name)) } br; code dir="ltr" { (h.source) } }
                        td dir="ltr" { (h.kind) }
                        td { @if let Some(t) = h.last_success { (ui::time(t, ctx.tz)) } @else { "—" } }
                        td dir="ltr" { (h.consecutive_failures) @if h.flagged { " ⚠" } }
                        td dir="auto" { (ui::outside(h.last_error.as_deref().unwrap_or("—"))) }
                        td { @if let Some(t) = h.next_due { (ui::time(t, ctx.tz)) } @else { (l.t("الآن", "now")) } }
                    }
                }
            }
        }
    };
    Ok(html_page(
        StatusCode::OK,
        ui::page(ctx, l.t("المصادر", "Sources"), body),
    ))
}

/// The "fix tags" form of the item page (roles with [`Perm::FixTags`]): the topics and
/// governorates as checkboxes, the sentiment, the police flag.
pub fn fix_tags_form(
    ctx: &ui::Ctx,
    who: &crate::auth::Who,
    config: &rasd_core::Config,
    item: &rasd_core::Item,
) -> maud::Markup {
    let l = ctx.lang;
    let saved = ctx.here.ends_with("?fixed=1");
    let sentiment = item
        .tags
        .sentiment
        .as_ref()
        .map_or("", |s| s.label.as_str());
    let sentiments: Vec<(String, String)> = [
        ("positive", l.t("إيجابي", "positive")),
        ("negative", l.t("سلبي", "negative")),
        ("neutral", l.t("محايد", "neutral")),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    html! {
        section.fix {
            h2 { (l.t("تصحيح الوسوم", "Fix tags")) }
            @if saved { (ui::message("notice", l.t("حُفظ التصحيح.", "The fix is saved."))) }
            p.meta { (l.t("يُحفظ التصحيح مثالاً موسوماً للتدريب، ويعاد فهرسة العنصر.", "The fix is kept as a labelled example for training, and the item is indexed again.")) }
            form.stack method="post" action=(format!("/item/{}/tags", item.id)) {
                input type="hidden" name="csrf" value=(who.csrf());
                fieldset {
                    legend { (l.t("المواضيع", "Topics")) }
                    @for (id, name) in ui::categories(config, l).iter().filter(|(id, _)| id != "other") {
                        label.check { input type="checkbox" name="topic" value=(id) checked[item.tags.topics.contains(id)]; " " (name) }
                    }
                }
                fieldset {
                    legend { (l.t("المحافظات", "Governorates")) }
                    @for (id, name) in ui::governorates(config, l) {
                        label.check { input type="checkbox" name="place" value=(id) checked[item.tags.places.contains(&id)]; " " (name) }
                    }
                }
                (ui::select("sentiment", l.t("المشاعر", "Sentiment"), Some(l.t("بلا تقدير", "not scored")), &sentiments, sentiment))
                label.check { input type="checkbox" name="police" value="yes" checked[item.tags.about_police]; " " (l.t("عن الشرطة", "About the police")) }
                button type="submit" { (l.t("حفظ التصحيح", "Save the fix")) }
            }
        }
    }
}

/// `POST /item/{id}/tags`: a person's tags replace the item's (topics, governorates,
/// sentiment, police flag); the before and after are kept as a labelled example
/// ([`rasd_store::Store::record_tag_fix`]), the change is audited, and the index follows
/// the store's change. The form repeats `topic` and `place`, so the body is read by hand.
pub async fn fix_tags(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    body: String,
) -> Result<Response, Response> {
    let who = page.require(Perm::FixTags)?.clone();
    let mut csrf = String::new();
    let (mut topics, mut places) = (Vec::new(), Vec::new());
    let (mut sentiment, mut police) = (String::new(), false);
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = rasd_core::text::url_decode_query(v);
        match k {
            "csrf" => csrf = v,
            "topic" => topics.push(v),
            "place" => places.push(v),
            "sentiment" => sentiment = v,
            "police" => police = v == "yes",
            _ => {}
        }
    }
    who.check_csrf(&csrf)?;
    let known_topics = state.config.topic_ids();
    let known_places = state.config.governorate_ids();
    if let Some(t) = topics.iter().find(|t| !known_topics.contains(t)) {
        return Err(
            Error::BadRequest(format!("unknown topic {t:?}: pick from the form")).into_response(),
        );
    }
    if let Some(p) = places.iter().find(|p| !known_places.contains(p)) {
        return Err(
            Error::BadRequest(format!("unknown governorate {p:?}: pick from the form"))
                .into_response(),
        );
    }
    let label = match sentiment.as_str() {
        "" => None,
        "positive" => Some(rasd_core::Polarity::Positive),
        "negative" => Some(rasd_core::Polarity::Negative),
        "neutral" => Some(rasd_core::Polarity::Neutral),
        other => {
            return Err(Error::BadRequest(format!(
                "unknown sentiment {other:?}: use positive, negative or neutral"
            ))
            .into_response());
        }
    };
    let store = state.store.clone();
    let item_id = id.clone();
    let found = tokio::task::spawn_blocking(move || -> rasd_store::Result<bool> {
        let Some(mut item) = store.get_item(&item_id)? else {
            return Ok(false);
        };
        let before = serde_json::to_string(&item.tags)?;
        topics.sort();
        topics.dedup();
        places.sort();
        places.dedup();
        item.tags.topics = topics;
        item.tags.places = places;
        // A person's label is certain: the score is the label's extreme.
        item.tags.sentiment = label.map(|l| rasd_core::SentimentTag {
            label: l,
            score: match l {
                rasd_core::Polarity::Positive => 1.0,
                rasd_core::Polarity::Negative => -1.0,
                rasd_core::Polarity::Neutral => 0.0,
            },
        });
        item.tags.about_police = police;
        let after = serde_json::to_string(&item.tags)?;
        let now = Utc::now();
        store.upsert_items(std::slice::from_ref(&item))?;
        store.record_tag_fix(&item_id, &who.user.name, &before, &after, now)?;
        store.audit(
            &who.user.name,
            "tags_fixed",
            &item_id,
            &after,
            &who.addr.text(),
            now,
        )?;
        Ok(true)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    if !found {
        return Err((StatusCode::NOT_FOUND, "no item has this id").into_response());
    }
    state.changed.notify_one();
    Ok(Redirect::to(&format!("/item/{id}?fixed=1")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SaveSearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    action: String,
    #[serde(flatten)]
    params: crate::SearchParams,
}

/// `POST /searches`: saves the search in the form (its query and filters) under a name,
/// owned by the reader (`action=save`), or removes a saved search (`action=remove`). A
/// name saved by someone else is theirs: only they or an admin may replace or remove it.
/// Audited.
pub async fn save_search(
    State(state): State<AppState>,
    page: Page,
    axum::Form(form): axum::Form<SaveSearchForm>,
) -> Result<Response, Response> {
    let who = page.require(Perm::Read)?.clone();
    who.check_csrf(&form.csrf)?;
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(
            Error::BadRequest("give the search a name of 1 to 100 characters".into())
                .into_response(),
        );
    }
    // The filters are checked as a search would check them.
    let mut params = form.params.clone();
    params.saved = None;
    params.to_query(&state.config, None)?;
    let filters = params.filters();
    let query = params.q.trim().to_string();
    let store = state.store.clone();
    let (action, n) = (form.action.clone(), name.clone());
    let admin = who.role.can(Perm::Admin);
    let done = tokio::task::spawn_blocking(move || -> rasd_store::Result<Result<(), String>> {
        let now = Utc::now();
        let owner = store.saved_search(&n)?.map(|s| s.owner);
        if let Some(Some(o)) = &owner
            && *o != who.user.name
            && !admin
        {
            return Ok(Err(format!(
                "the saved search {n:?} belongs to {o}: pick another name"
            )));
        }
        match action.as_str() {
            "remove" => {
                if !store.remove_saved_search(&n)? {
                    return Ok(Err(format!("there is no saved search {n:?}")));
                }
                store.audit(
                    &who.user.name,
                    "search_removed",
                    &n,
                    "",
                    &who.addr.text(),
                    now,
                )?;
            }
            _ => {
                store.save_search(&n, &query, &filters, Some(&who.user.name), now)?;
                store.audit(
                    &who.user.name,
                    "search_saved",
                    &n,
                    &query,
                    &who.addr.text(),
                    now,
                )?;
            }
        }
        Ok(Ok(()))
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    match done {
        Ok(()) if form.action == "remove" => Ok(Redirect::to("/search").into_response()),
        Ok(()) => Ok(Redirect::to(&format!(
            "/search?saved={}",
            rasd_core::text::url_encode_query(&name)
        ))
        .into_response()),
        Err(m) => Err(Error::BadRequest(m).into_response()),
    }
}
