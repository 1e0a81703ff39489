//! The pages' frame, written with maud like every page of this crate (every value is
//! escaped; the crate uses no `PreEscaped`): the head and the one header and navigation of
//! every page ([`document`], [`page`]), the reader's language (Arabic right to left by
//! default, English left to right), times in Amman time with the zone marked.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use rasd_core::Config;
use rasd_core::text::neutralize_bidi;

use crate::auth::{Perm, Who};

/// The language of the page's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UiLang {
    /// Arabic, right to left (the default).
    #[default]
    Ar,
    /// English, left to right.
    En,
}

impl UiLang {
    /// `en` is English; anything else Arabic.
    pub fn parse(s: Option<&str>) -> UiLang {
        match s.map(str::trim) {
            Some("en") => UiLang::En,
            _ => UiLang::Ar,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            UiLang::Ar => "ar",
            UiLang::En => "en",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            UiLang::Ar => "rtl",
            UiLang::En => "ltr",
        }
    }

    /// The other language (for the switch).
    pub fn other(self) -> UiLang {
        match self {
            UiLang::Ar => UiLang::En,
            UiLang::En => UiLang::Ar,
        }
    }

    /// The Arabic or the English text.
    pub fn t<'a>(self, ar: &'a str, en: &'a str) -> &'a str {
        match self {
            UiLang::Ar => ar,
            UiLang::En => en,
        }
    }
}

/// The cookie that keeps the analysts' language.
pub const LANG_COOKIE: &str = "rasd_lang";

/// What every page of the analysts' face knows: the reader's language and who they are.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: UiLang,
    pub who: Option<Who>,
    /// The path and query of this page (for the language switch and log-in's `next`).
    pub here: String,
    pub tz: chrono_tz::Tz,
}

/// Text from outside (feeds, forms) made safe to show: bidi controls removed (maud escapes
/// the markup).
pub fn outside(s: &str) -> String {
    neutralize_bidi(s).into_owned()
}

/// A time in the configured zone (Amman), with the zone's abbreviation, left to right.
pub fn time(t: DateTime<Utc>, tz: chrono_tz::Tz) -> Markup {
    let local = t.with_timezone(&tz);
    html! { time datetime=(t.to_rfc3339()) dir="ltr" { (local.format("%Y-%m-%d %H:%M %Z")) } }
}

/// The header and navigation of every page (spliced into the digest's too).
pub fn header(ctx: &Ctx) -> Markup {
    let l = ctx.lang;
    let can = |p: Perm| ctx.who.as_ref().is_some_and(|w| w.role.can(p));
    // The public form switches by its address (the public face has no `/lang`).
    let switch = if ctx.here.starts_with("/report") {
        format!("/report?lang={}", l.other().code())
    } else {
        format!(
            "/lang?to={}&next={}",
            l.other().code(),
            rasd_core::text::url_encode_query(&ctx.here)
        )
    };
    html! {
        header {
            nav.top aria-label=(l.t("التنقل", "Navigation")) {
                strong { "رصد · Rasd" }
                @if ctx.who.is_some() {
                    a href="/search" { (l.t("بحث", "Search")) }
                    a href="/digest" { (l.t("الملخص اليومي", "Digest")) }
                    a href="/digests" { (l.t("الأرشيف", "Archive")) }
                    @if can(Perm::Alerts) { a href="/alerts" { (l.t("التنبيهات", "Alerts")) } }
                    @if can(Perm::Inbox) { a href="/submissions" { (l.t("البلاغات", "Inbox")) } }
                    @if can(Perm::Sources) { a href="/sources" { (l.t("المصادر", "Sources")) } }
                    @if can(Perm::Admin) {
                        a href="/users" { (l.t("المستخدمون", "Users")) }
                        a href="/audit" { (l.t("السجل", "Audit log")) }
                    }
                }
                a href=(switch) lang=(l.other().code()) { (l.t("English", "العربية")) }
                @if let Some(who) = &ctx.who {
                    span.user { bdi { (who.user.name) } " (" (role_name(l, who.role.as_str())) ")" }
                    form.inline method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(who.csrf());
                        button type="submit" { (l.t("خروج", "Log out")) }
                    }
                }
            }
        }
    }
}

/// A role's name in the reader's language.
pub fn role_name(l: UiLang, role: &str) -> &'static str {
    match role {
        "admin" => l.t("مدير", "admin"),
        "analyst" => l.t("محلل", "analyst"),
        "media" => l.t("إعلام", "media"),
        "leadership" => l.t("قيادة", "leadership"),
        _ => "?",
    }
}

/// A whole page: the head, the header and `body` in `<main class="page">`.
pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    document(ctx, title, html! { main.page { (body) } })
}

/// A whole page whose `<main>` the caller writes (the search page's two columns, the item
/// page): the head in the reader's language and direction, then the one header.
pub fn document(ctx: &Ctx, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) dir=(ctx.lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · رصد" }
                link rel="stylesheet" href="/static/rasd.css";
            }
            body {
                (header(ctx))
                (main)
            }
        }
    }
}

/// A message box: an error (`error`) or a notice (`notice`).
pub fn message(class: &str, text: &str) -> Markup {
    html! { p class=(class) role=(if class == "error" { "alert" } else { "status" }) dir="auto" { (text) } }
}

/// The topics in plain words (the reader's language) plus "other", for the form's category.
pub fn categories(config: &Config, l: UiLang) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = config
        .topics
        .iter()
        .map(|t| {
            (
                t.id.clone(),
                match l {
                    UiLang::Ar => t.name_ar.clone(),
                    UiLang::En => t.name_en.clone(),
                },
            )
        })
        .collect();
    v.push(("other".into(), l.t("غير ذلك", "Other").into()));
    v
}

/// The governorates in the reader's language.
pub fn governorates(config: &Config, l: UiLang) -> Vec<(String, String)> {
    config
        .places
        .iter()
        .filter(|p| p.id == p.governorate)
        .map(|p| {
            (
                p.id.clone(),
                match l {
                    UiLang::Ar => p.name_ar.clone(),
                    UiLang::En => p.name_en.clone(),
                },
            )
        })
        .collect()
}

/// A `<select>` with its label; `chosen` selected.
pub fn select(
    name: &str,
    label: &str,
    empty: Option<&str>,
    options: &[(String, String)],
    chosen: &str,
) -> Markup {
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) {
            @if let Some(empty) = empty { option value="" { (empty) } }
            @for (value, text) in options {
                option value=(value) selected[value == chosen] { (text) }
            }
        }
    }
}

/// The error page of the analysts' face (403, 404, 400…).
pub fn error_page(ctx: &Ctx, title: &str, text: &str) -> Markup {
    page(
        ctx,
        title,
        html! { h1 { (title) } (message("error", text)) },
    )
}
