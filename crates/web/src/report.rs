//! The public comment form (`/report`, Arabic first, `?lang=en` for English; no
//! JavaScript) and its JSON twin `POST /api/v1/submissions`. Both validate the same way
//! ([`validate`]), with messages in the reader's language; both count against a
//! per-address rate limit (`[server] form_per_minute`, 429 past it) and a body cap
//! ([`MAX_BODY`], 413 past it). A submission is committed to the store (its text as an item
//! of kind `comment` from source `form`, tagged by the enricher, its contact apart) before
//! the reference is shown; the index and the alert rules pick the item up from the store's
//! change sequence.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use rasd_core::{Item, ItemKind};
use rasd_store::NewSubmission;
use serde::{Deserialize, Serialize};

use crate::auth::{self, ClientAddr, FORM_COOKIE};
use crate::ui::{self, Ctx, UiLang};
use crate::{AppState, Error};

/// Largest request body the form and the API take (bytes); more is refused with 413.
pub const MAX_BODY: usize = 32 * 1024;
/// Most characters of the text.
pub const MAX_TEXT: usize = 5000;
/// Fewest characters of the text (after trimming).
pub const MIN_TEXT: usize = 10;

/// The source id of every form submission's item.
pub const FORM_SOURCE: &str = "form";

/// What the form and the API take.
#[derive(Debug, Default, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[cfg_attr(test, derive(PartialEq))]
pub struct SubmissionInput {
    /// A topic id of `topics.toml`, or `other`.
    #[serde(default)]
    #[schema(required = true)]
    pub category: String,
    /// A governorate id of `places.toml`, or empty when not known.
    #[serde(default)]
    pub governorate: String,
    /// What happened, in the submitter's words.
    #[serde(default)]
    #[schema(required = true, min_length = 10, max_length = 5000)]
    pub text: String,
    /// The submitter's name (optional).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name: String,
    /// A telephone number (7 to 15 digits) or an e-mail address (optional).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub contact: String,
    /// `ar` (default) or `en`: the language of the messages.
    #[serde(default)]
    pub lang: Option<String>,
}

/// The form's fields beyond [`SubmissionInput`]: the honeypot and the token.
#[derive(Debug, Default, Deserialize)]
pub struct FormFields {
    #[serde(flatten)]
    pub input: SubmissionInput,
    /// Hidden from people; a bot that fills every field fills it.
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub csrf: String,
}

/// A validation problem: the field and the message in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The field: `category`, `governorate`, `text`, `name` or `contact`.
    pub field: &'static str,
    /// What to fix, in the submission's language.
    pub message: String,
}

/// The contact with Arabic-Indic digits made ASCII and spaces, dashes and brackets
/// removed from a telephone number; `None` when it is neither a telephone number (7 to 15
/// digits, a leading `+` allowed) nor an e-mail address.
pub fn normalize_contact(contact: &str) -> Option<String> {
    let c = contact.trim();
    if c.is_empty() {
        return Some(String::new());
    }
    if c.contains('@') {
        let (user, domain) = c.split_once('@')?;
        let ok = !user.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !c.chars().any(|ch| ch.is_whitespace() || ch.is_control())
            && c.matches('@').count() == 1;
        return ok.then(|| c.to_string());
    }
    let mut out = String::new();
    for (i, ch) in c.chars().enumerate() {
        match rasd_core::text::ascii_digit(ch).or(ch.is_ascii_digit().then_some(ch)) {
            Some(d) => out.push(d),
            None if ch == '+' && i == 0 => out.push('+'),
            None if matches!(ch, ' ' | '-' | '(' | ')' | '.' | '\u{a0}') => {}
            None => return None,
        }
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits).then_some(out)
}

/// Checks a submission against the config's categories and governorates; returns the
/// cleaned input (trimmed, contact normalized) or every problem found.
pub fn validate(
    config: &rasd_core::Config,
    input: &SubmissionInput,
) -> Result<SubmissionInput, Vec<Problem>> {
    let l = UiLang::parse(input.lang.as_deref());
    let mut problems = Vec::new();
    let category = input.category.trim();
    if category.is_empty() {
        problems.push(Problem {
            field: "category",
            message: l
                .t("اختر نوع البلاغ.", "Choose what the report is about.")
                .into(),
        });
    } else if category != "other" && config.topic(category).is_none() {
        problems.push(Problem {
            field: "category",
            message: l
                .t(
                    "نوع البلاغ غير معروف؛ اختر من القائمة.",
                    "Unknown category: choose one from the list.",
                )
                .into(),
        });
    }
    let governorate = input.governorate.trim();
    if !governorate.is_empty() && !config.governorate_ids().iter().any(|g| g == governorate) {
        problems.push(Problem {
            field: "governorate",
            message: l
                .t(
                    "المحافظة غير معروفة؛ اختر من القائمة.",
                    "Unknown governorate: choose one from the list.",
                )
                .into(),
        });
    }
    let text = input.text.trim();
    let n = text.chars().count();
    if n < MIN_TEXT {
        problems.push(Problem {
            field: "text",
            message: match l {
                UiLang::Ar => format!("اكتب ما حدث في {MIN_TEXT} أحرف على الأقل."),
                UiLang::En => format!("Write what happened in at least {MIN_TEXT} characters."),
            },
        });
    } else if n > MAX_TEXT {
        problems.push(Problem {
            field: "text",
            message: match l {
                UiLang::Ar => format!("النص طويل ({n} حرفاً)؛ الحد {MAX_TEXT}."),
                UiLang::En => format!("The text is too long ({n} characters); at most {MAX_TEXT}."),
            },
        });
    }
    let name = input.name.trim();
    if name.chars().count() > 100 {
        problems.push(Problem {
            field: "name",
            message: l
                .t(
                    "الاسم طويل؛ الحد 100 حرف.",
                    "The name is too long; at most 100 characters.",
                )
                .into(),
        });
    }
    let contact = match normalize_contact(&input.contact) {
        Some(c) if c.chars().count() <= 200 => c,
        _ => {
            problems.push(Problem {
                field: "contact",
                message: l
                    .t(
                        "وسيلة التواصل ليست رقم هاتف ولا بريداً إلكترونياً صحيحاً.",
                        "The contact is neither a telephone number nor an e-mail address.",
                    )
                    .into(),
            });
            String::new()
        }
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || name.chars().any(char::is_control)
    {
        problems.push(Problem {
            field: "text",
            message: l
                .t(
                    "النص يحوي رموز تحكم غير مقبولة.",
                    "The text holds control characters.",
                )
                .into(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(SubmissionInput {
        category: category.into(),
        governorate: governorate.into(),
        text: text.into(),
        name: name.into(),
        contact,
        lang: Some(l.code().into()),
    })
}

/// A new reference: twelve random digits in groups of four (no sequence to guess).
pub fn new_reference() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the system's random generator works");
    let n = u64::from_le_bytes(bytes) % 1_000_000_000_000;
    let s = format!("{n:012}");
    format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

/// The submission a validated input becomes: its text an item of kind comment from
/// [`FORM_SOURCE`] at `rasd-form:REFERENCE` (titled with the text's first 80 characters),
/// tagged by `enricher`, the chosen governorate added to its places, filed at `created`
/// (`fetched`: when Rasd took it). The form, the API and `rasd import forms` all build
/// theirs here, so a submission reads the same whichever way it came in.
pub fn new_submission(
    enricher: &rasd_enrich::Enricher,
    input: &SubmissionInput,
    reference: &str,
    via: &str,
    created: DateTime<Utc>,
    fetched: DateTime<Utc>,
) -> NewSubmission {
    let title: String = input.text.chars().take(80).collect();
    let mut item = Item::new(
        FORM_SOURCE,
        &format!("rasd-form:{reference}"),
        &title,
        &input.text,
        fetched,
    );
    item.kind = ItemKind::Comment;
    item.published = Some(created);
    // The name stays with the contact, apart from the text: never the item's author.
    item.author = None;
    let mut item = enricher.apply(item, None);
    if !input.governorate.is_empty() && !item.tags.places.contains(&input.governorate) {
        item.tags.places.push(input.governorate.clone());
        item.tags.places.sort();
    }
    NewSubmission {
        reference: reference.to_string(),
        item,
        category: input.category.clone(),
        governorate: input.governorate.clone(),
        lang: input.lang.clone().unwrap_or_else(|| "ar".into()),
        via: via.to_string(),
        name: input.name.clone(),
        contact: input.contact.clone(),
        created,
    }
}

/// Tags the submission and commits it (retrying once on the rare reference collision);
/// returns its reference.
pub async fn commit(state: &AppState, input: SubmissionInput, via: &str) -> Result<String, Error> {
    let (store, enricher) = (state.store.clone(), state.enricher.clone());
    let via = via.to_string();
    let reference = tokio::task::spawn_blocking(move || -> Result<String, Error> {
        let now = Utc::now();
        for _ in 0..3 {
            let reference = new_reference();
            let s = new_submission(&enricher, &input, &reference, &via, now, now);
            match store.add_submission(&s) {
                Ok(()) => return Ok(reference),
                Err(rasd_store::Error::Refused(_)) => continue,
                Err(e) => return Err(Error::Internal(e.to_string())),
            }
        }
        Err(Error::Internal(
            "no free reference after three tries".into(),
        ))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    state.changed.notify_one();
    Ok(reference)
}

#[derive(Debug, Deserialize)]
pub struct LangParam {
    #[serde(default)]
    lang: Option<String>,
}

fn form_page(
    state: &AppState,
    l: UiLang,
    token: &str,
    input: &SubmissionInput,
    problems: &[Problem],
) -> Markup {
    let config = &state.config;
    let ctx = Ctx {
        lang: l,
        who: None,
        here: format!("/report?lang={}", l.code()),
        tz: config.settings.tz(),
    };
    let problem = |field: &str| {
        problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let field_error = |field: &str| {
        html! { @if let Some(m) = problem(field) { span.field-error id=(format!("{field}-error")) { (m) } } }
    };
    let body = html! {
        section.narrow {
            h1 { (l.t("أبلغ الشرطة برأيك أو بما رأيت", "Tell the police what you saw or think")) }
            p { (l.t("لا تستخدم هذا النموذج في حالات الطوارئ: اتصل بالرقم 911.", "Do not use this form in an emergency: call 911.")) }
            @if !problems.is_empty() {
                (ui::message("error", l.t("راجع الحقول المعلّمة أدناه.", "Check the fields marked below.")))
            }
            form.stack method="post" action="/report" novalidate {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="lang" value=(l.code());
                (ui::select("category", l.t("نوع البلاغ", "What is it about"), Some(l.t("— اختر —", "— choose —")), &ui::categories(config, l), &input.category))
                (field_error("category"))
                (ui::select("governorate", l.t("المحافظة", "Governorate"), Some(l.t("غير محددة", "Not stated")), &ui::governorates(config, l), &input.governorate))
                (field_error("governorate"))
                label for="text" { (l.t("ماذا حدث؟", "What happened?")) }
                textarea #text name="text" rows="7" maxlength=(MAX_TEXT) required dir="auto" { (input.text) }
                (field_error("text"))
                label for="name" { (l.t("الاسم (اختياري)", "Name (optional)")) }
                input #name type="text" name="name" value=(input.name) maxlength="100" dir="auto" autocomplete="name";
                (field_error("name"))
                label for="contact" { (l.t("هاتف أو بريد للتواصل (اختياري)", "Telephone or e-mail to reach you (optional)")) }
                input #contact type="text" name="contact" value=(input.contact) maxlength="200" dir="ltr" autocomplete="tel";
                (field_error("contact"))
                p.meta { (l.t("لا يرى الاسم ووسيلة التواصل إلا موظفون مخولون، ويسجَّل كل اطلاع عليهما.", "Only authorised staff see your name and contact, and every view is recorded.")) }
                div.hp aria-hidden="true" {
                    label for="website" { (l.t("اترك هذا الحقل فارغاً", "Leave this field empty")) }
                    input #website type="text" name="website" tabindex="-1" autocomplete="off";
                }
                button type="submit" { (l.t("إرسال", "Send")) }
            }
        }
    };
    ui::page(&ctx, l.t("بلاغ للشرطة", "Report to the police"), body)
}

fn with_form_cookie(state: &AppState, mut r: Response, token: &str) -> Response {
    let server = &state.config.settings.server;
    crate::account::add_cookie(&mut r, server, FORM_COOKIE, token, 6 * 3600);
    r
}

/// `GET /report`.
pub async fn report_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangParam>,
) -> Response {
    let l = UiLang::parse(q.lang.as_deref());
    let token = auth::form_token(&headers);
    let page = form_page(&state, l, &token, &SubmissionInput::default(), &[]);
    with_form_cookie(
        &state,
        crate::account::html_page(StatusCode::OK, page),
        &token,
    )
}

fn rate_limited(state: &AppState, addr: ClientAddr) -> Option<u64> {
    state
        .limits
        .form
        .check(addr, state.config.settings.server.form_per_minute)
        .err()
}

/// `POST /report`: validates, commits, shows the reference (200), or the form again with
/// what to fix (400); 429 past the rate limit, 403 without the form's token.
pub async fn submit_form(
    State(state): State<AppState>,
    Extension(addr): Extension<ClientAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<FormFields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = match form {
        Ok(axum::Form(form)) => form,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The report is too long: at most {MAX_TEXT} characters. / البلاغ طويل جداً: الحد {MAX_TEXT} حرف.\n"
                ),
            )
                .into_response();
        }
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "The form could not be read: send it from the page at /report. / تعذرت قراءة النموذج: أرسله من الصفحة /report.\n",
            )
                .into_response();
        }
    };
    let l = UiLang::parse(form.input.lang.as_deref());
    let ctx = Ctx {
        lang: l,
        who: None,
        here: "/report".into(),
        tz: state.config.settings.tz(),
    };
    if let Some(wait) = rate_limited(&state, addr) {
        tracing::warn!(address = %addr.text(), "Public form rate limit reached.");
        let mut r = crate::account::html_page(
            StatusCode::TOO_MANY_REQUESTS,
            ui::error_page(
                &ctx,
                l.t("طلبات كثيرة", "Too many reports"),
                l.t(
                    "وصلنا عدد كبير من البلاغات من عنوانك. انتظر دقيقة ثم أعد الإرسال.",
                    "We received many reports from your address. Wait a minute and send again.",
                ),
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return r;
    }
    let sent = auth::cookie(&headers, FORM_COOKIE).unwrap_or("");
    if sent.is_empty() || !auth::constant_time_eq(sent, &form.csrf) {
        let token = auth::form_token(&headers);
        let mut page = form_page(&state, l, &token, &form.input, &[]);
        page = html! {
            (ui::message("error", l.t("انتهت صلاحية النموذج؛ أرسله مرة أخرى.", "The form expired; send it again.")))
            (page)
        };
        return with_form_cookie(
            &state,
            crate::account::html_page(StatusCode::FORBIDDEN, page),
            &token,
        );
    }
    if !form.website.is_empty() {
        // A bot: thanked, nothing stored, no reference.
        tracing::info!(address = %addr.text(), "Public form honeypot filled; nothing stored.");
        return crate::account::html_page(
            StatusCode::OK,
            ui::page(
                &ctx,
                l.t("شكراً", "Thank you"),
                html! { h1 { (l.t("شكراً لك", "Thank you")) } },
            ),
        );
    }
    let input = match validate(&state.config, &form.input) {
        Ok(input) => input,
        Err(problems) => {
            let token = form.csrf.clone();
            return crate::account::html_page(
                StatusCode::BAD_REQUEST,
                form_page(&state, l, &token, &form.input, &problems),
            );
        }
    };
    match commit(&state, input, "form").await {
        Ok(reference) => crate::account::html_page(
            StatusCode::OK,
            ui::page(
                &ctx,
                l.t("وصل بلاغك", "Report received"),
                html! {
                    section.narrow {
                        h1 { (l.t("وصل بلاغك، شكراً لك", "Your report was received. Thank you.")) }
                        p { (l.t("رقم البلاغ:", "Reference:")) " " strong.reference dir="ltr" { (reference) } }
                        p { (l.t("احتفظ بهذا الرقم إن أردت المتابعة.", "Keep this number if you want to follow it up.")) }
                        p { a href=(format!("/report?lang={}", l.code())) { (l.t("بلاغ آخر", "Another report")) } }
                    }
                },
            ),
        ),
        Err(e) => e.into_response(),
    }
}

/// The answer of `POST /api/v1/submissions`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Accepted {
    /// The reference to give the submitter.
    pub reference: String,
}

/// `POST /api/v1/submissions` (JSON): 201 with the reference; 400 with every problem; 429
/// past the rate limit; 413 past the body cap; 415 without a JSON body.
#[utoipa::path(
    post,
    path = "/api/v1/submissions",
    tag = "submissions",
    request_body = SubmissionInput,
    responses(
        (status = 201, description = "Stored; the reference to give the submitter", body = Accepted),
        (status = 400, description = "The body is not JSON, or the submission has problems \
            (`problems` lists each field's)", body = crate::openapi::Rejected),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 415, response = crate::openapi::UnsupportedMediaType),
        (status = 422, response = crate::openapi::Unprocessable),
        (status = 429, response = crate::openapi::TooManyRequests),
        (status = 500, response = crate::openapi::Internal),
    )
)]
pub async fn submit_api(
    State(state): State<AppState>,
    Extension(addr): Extension<ClientAddr>,
    body: Result<axum::Json<SubmissionInput>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(wait) = rate_limited(&state, addr) {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({
                "error": format!("too many submissions from this address: wait {wait} s and send again")
            })),
        )
            .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return r;
    }
    let input = match body {
        Ok(axum::Json(input)) => input,
        Err(rejection) => {
            return (
                rejection.status(),
                axum::Json(serde_json::json!({
                    "error": format!("the body is not a submission: {} (send JSON with category, governorate, text, and optionally name, contact, lang)", rejection.body_text())
                })),
            )
                .into_response();
        }
    };
    let input = match validate(&state.config, &input) {
        Ok(input) => input,
        Err(problems) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({ "error": "the submission has problems", "problems": problems })),
            )
                .into_response();
        }
    };
    match commit(&state, input, "api").await {
        Ok(reference) => (StatusCode::CREATED, axum::Json(Accepted { reference })).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_telephones_or_addresses() {
        assert_eq!(normalize_contact("٠٧٩ ١٢٣ ٤٥٦٧").unwrap(), "0791234567");
        assert_eq!(
            normalize_contact("+962-79-1234567").unwrap(),
            "+962791234567"
        );
        assert_eq!(normalize_contact("  ").unwrap(), "");
        assert_eq!(normalize_contact("a@b.jo").unwrap(), "a@b.jo");
        assert!(normalize_contact("12345").is_none());
        assert!(normalize_contact("a@b").is_none());
        assert!(normalize_contact("<script>").is_none());
        assert!(normalize_contact("07912345ab").is_none());
    }

    #[test]
    fn references_are_twelve_digits() {
        let r = new_reference();
        assert_eq!(r.len(), 14);
        assert!(r.chars().all(|c| c.is_ascii_digit() || c == '-'));
        assert_ne!(new_reference(), new_reference());
    }
}
