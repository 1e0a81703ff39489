//! Log-in, log-out, the language switch, the reader's own API keys (`/account`), and for
//! admins the users (`/users`) and the audit log (`/audit`).

use axum::Extension;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{
    self, ADDR_MAX_FAILURES, ClientAddr, FORM_COOKIE, LOCKOUT_WINDOW_MINUTES, Perm, Refusal, Role,
    SESSION_COOKIE, USER_MAX_FAILURES, Via, Who,
};
use crate::ui::{self, Ctx, LANG_COOKIE, UiLang};
use crate::{AppState, Error};

/// The page context as an extractor: the reader's language (cookie), who they are (from
/// the log-in middleware), where they are.
#[derive(Debug, Clone)]
pub struct Page(pub Ctx);

impl FromRequestParts<AppState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Page(Ctx {
            lang: UiLang::parse(auth::cookie(&parts.headers, LANG_COOKIE)),
            who: parts.extensions.get::<Who>().cloned(),
            here: parts
                .uri
                .path_and_query()
                .map_or("/".into(), |p| p.as_str().to_string()),
            tz: state.config.settings.tz(),
        }))
    }
}

impl Page {
    /// The caller, refusing when there is none (the middleware always adds one on pages
    /// that need a log-in).
    pub fn who(&self) -> Result<&Who, Refusal> {
        self.0.who.as_ref().ok_or(Refusal::NoLogin {
            api: false,
            next: self.0.here.clone(),
        })
    }

    /// The caller, if their role may do `perm` (403 otherwise).
    pub fn require(&self, perm: Perm) -> Result<&Who, Refusal> {
        let who = self.who()?;
        who.require(perm)?;
        Ok(who)
    }
}

/// A page response with its status.
pub fn html_page(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// Adds a `Set-Cookie` ([`auth::set_cookie`]) to a response.
pub fn add_cookie(
    r: &mut Response,
    server: &rasd_core::ServerSettings,
    name: &str,
    value: &str,
    max_age: i64,
) {
    let c = auth::set_cookie(server, name, value, max_age);
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&c).expect("a cookie is visible ASCII"),
    );
}

/// Where `next` may send the reader after log-in: a path on this server only.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/search".into(),
    }
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    #[serde(default)]
    next: Option<String>,
}

fn login_form(ctx: &Ctx, token: &str, next: &str, name: &str, problem: Option<&str>) -> Markup {
    let l = ctx.lang;
    ui::page(
        ctx,
        l.t("الدخول", "Log in"),
        html! {
            section.narrow {
                h1 { (l.t("الدخول إلى رصد", "Log in to Rasd")) }
                @if let Some(p) = problem { (ui::message("error", p)) }
                form.stack method="post" action="/login" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    label for="username" { (l.t("اسم المستخدم", "User name")) }
                    input #username type="text" name="username" value=(name) required autocomplete="username" dir="auto";
                    label for="password" { (l.t("كلمة المرور", "Password")) }
                    input #password type="password" name="password" required autocomplete="current-password";
                    button type="submit" { (l.t("دخول", "Log in")) }
                }
            }
        },
    )
}

/// The form token ([`auth::form_token`]) and the cookie that carries it (one hour).
fn form_token(state: &AppState, headers: &HeaderMap) -> (String, HeaderValue) {
    let token = auth::form_token(headers);
    let cookie = auth::set_cookie(&state.config.settings.server, FORM_COOKIE, &token, 3600);
    (
        token,
        HeaderValue::from_str(&cookie).expect("a cookie is visible ASCII"),
    )
}

/// `GET /login`.
pub async fn login_page(
    State(state): State<AppState>,
    Page(ctx): Page,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    let (token, cookie) = form_token(&state, &headers);
    let next = safe_next(q.next.as_deref());
    let mut r = html_page(StatusCode::OK, login_form(&ctx, &token, &next, "", None));
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`: checks the form token, the lock-outs and the password; on success a new
/// session (a fresh cookie, the old session ended: no fixation) and 303 to `next`.
pub async fn login(
    State(state): State<AppState>,
    Page(ctx): Page,
    Extension(addr): Extension<ClientAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, Error> {
    let l = ctx.lang;
    let next = safe_next(form.next.as_deref());
    let name = form.username.trim().to_string();
    let retry = |status: StatusCode, problem: &str| {
        let (token, cookie) = form_token(&state, &headers);
        let mut r = html_page(
            status,
            login_form(&ctx, &token, &next, &name, Some(problem)),
        );
        r.headers_mut().append(header::SET_COOKIE, cookie);
        r
    };
    let sent = auth::cookie(&headers, FORM_COOKIE).unwrap_or("");
    if sent.is_empty() || !auth::constant_time_eq(sent, &form.csrf) {
        return Ok(retry(
            StatusCode::FORBIDDEN,
            l.t(
                "انتهت صلاحية النموذج. أعد المحاولة من هذه الصفحة.",
                "The form expired or did not come from this page. Try again here.",
            ),
        ));
    }
    let store = state.store.clone();
    let now = Utc::now();
    let since = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let (user_key, addr_key) = (format!("user:{name}"), format!("addr:{}", addr.text()));
    let password = form.password.clone();
    let (checked_name, addr_text) = (name.clone(), addr.text());
    enum Outcome {
        AddrLocked,
        UserLocked(i64),
        Failed,
        Ok,
    }
    let outcome = tokio::task::spawn_blocking(move || -> rasd_store::Result<Outcome> {
        if store.login_failures(&addr_key, since)?.0 >= ADDR_MAX_FAILURES {
            return Ok(Outcome::AddrLocked);
        }
        let (n, last) = store.login_failures(&user_key, since)?;
        if n >= USER_MAX_FAILURES {
            store.audit(
                &checked_name,
                "login_refused_locked",
                &checked_name,
                "",
                &addr_text,
                now,
            )?;
            let until = last.unwrap_or(now) + Duration::minutes(LOCKOUT_WINDOW_MINUTES);
            return Ok(Outcome::UserLocked((until - now).num_minutes().max(1)));
        }
        let user = store.user(&checked_name)?;
        let hash = store.password_hash(&checked_name)?;
        let matches = auth::verify_password(
            &password,
            hash.as_deref().unwrap_or(auth::DUMMY_HASH.as_str()),
        );
        if matches && hash.is_some() && user.as_ref().is_some_and(|u| !u.disabled) {
            store.clear_login_failures(&user_key)?;
            return Ok(Outcome::Ok);
        }
        store.record_login_failure(&[user_key, addr_key], now)?;
        store.audit(
            &checked_name,
            "login_failed",
            &checked_name,
            "",
            &addr_text,
            now,
        )?;
        Ok(Outcome::Failed)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| Error::Internal(e.to_string()))?;
    match outcome {
        Outcome::AddrLocked => Ok(retry(
            StatusCode::TOO_MANY_REQUESTS,
            l.t(
                "محاولات دخول فاشلة كثيرة من هذا العنوان. انتظر ربع ساعة ثم أعد المحاولة.",
                "Too many failed log-ins from this address. Wait a quarter of an hour and try again.",
            ),
        )),
        Outcome::UserLocked(minutes) => Ok(retry(
            StatusCode::LOCKED,
            &match l {
                UiLang::Ar => format!(
                    "هذا الحساب مقفل بعد محاولات فاشلة متكررة. أعد المحاولة بعد {minutes} دقيقة، أو اطلب من المدير إعادة تعيين كلمة المرور."
                ),
                UiLang::En => format!(
                    "This account is locked after repeated failed log-ins. Try again in {minutes} minutes, or ask an administrator to reset the password."
                ),
            },
        )),
        Outcome::Failed => Ok(retry(
            StatusCode::UNAUTHORIZED,
            l.t(
                "اسم المستخدم أو كلمة المرور غير صحيحين.",
                "The user name or the password is wrong.",
            ),
        )),
        Outcome::Ok => {
            let token = auth::new_secret();
            let csrf = auth::new_secret();
            let server = &state.config.settings.server;
            let hours = i64::from(server.session_hours.max(1));
            let store = state.store.clone();
            let old = auth::cookie(&headers, SESSION_COOKIE).map(auth::secret_hash);
            let (token_hash, user, addr_text) = (auth::secret_hash(&token), name.clone(), addr.text());
            tokio::task::spawn_blocking(move || -> rasd_store::Result<()> {
                if let Some(old) = old {
                    store.delete_session(&old)?;
                }
                store.create_session(&token_hash, &user, &csrf, now, now + Duration::hours(hours), &addr_text)?;
                store.audit(&user, "login", &user, "", &addr_text, now)
            })
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| Error::Internal(e.to_string()))?;
            let mut r = Redirect::to(&next).into_response();
            add_cookie(&mut r, server, SESSION_COOKIE, &token, hours * 3600);
            add_cookie(&mut r, server, FORM_COOKIE, "", 0);
            Ok(r)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm {
    /// The token the form sent.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    page: Page,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, Response> {
    let who = page.who()?;
    who.check_csrf(&form.csrf)?;
    if let Via::Session { token_hash, .. } = &who.via {
        let (store, hash, user, addr) = (
            state.store.clone(),
            token_hash.clone(),
            who.user.name.clone(),
            who.addr.text(),
        );
        let _ = tokio::task::spawn_blocking(move || {
            store.delete_session(&hash)?;
            store.audit(&user, "logout", &user, "", &addr, Utc::now())
        })
        .await;
    }
    let mut r = Redirect::to("/login").into_response();
    add_cookie(&mut r, &state.config.settings.server, SESSION_COOKIE, "", 0);
    Ok(r)
}

#[derive(Debug, Deserialize)]
pub struct LangParams {
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

/// `GET /lang?to=en|ar&next=…`: keeps the reader's language in a cookie, back to `next`.
pub async fn switch_lang(State(state): State<AppState>, Query(q): Query<LangParams>) -> Response {
    let lang = UiLang::parse(q.to.as_deref());
    let mut r = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let server = &state.config.settings.server;
    add_cookie(&mut r, server, LANG_COOKIE, lang.code(), 365 * 86_400);
    r
}

fn blocking_err(e: impl std::fmt::Display) -> Response {
    Error::Internal(e.to_string()).into_response()
}

/// `GET /account`: the reader's API keys, and a form to make one.
pub async fn account_page(State(state): State<AppState>, page: Page) -> Result<Response, Response> {
    let who = page.who()?.clone();
    let store = state.store.clone();
    let name = who.user.name.clone();
    let keys = tokio::task::spawn_blocking(move || store.api_keys(Some(&name)))
        .await
        .map_err(blocking_err)?
        .map_err(blocking_err)?;
    Ok(html_page(
        StatusCode::OK,
        account_markup(&page.0, &who, &keys, None),
    ))
}

fn account_markup(
    ctx: &Ctx,
    who: &Who,
    keys: &[rasd_store::ApiKeyRecord],
    new_key: Option<&str>,
) -> Markup {
    let l = ctx.lang;
    ui::page(
        ctx,
        l.t("حسابي", "My account"),
        html! {
            h1 { (l.t("حسابي", "My account")) " — " bdi { (who.user.name) } }
            @if let Some(key) = new_key {
                (ui::message("notice", l.t("هذا مفتاحك الجديد. انسخه الآن: لن يظهر مرة أخرى.", "Your new key. Copy it now: it is not shown again.")))
                p { code.key dir="ltr" { (key) } }
            }
            h2 { (l.t("مفاتيح الواجهة البرمجية", "API keys")) }
            p.meta { (l.t("يرسل البرنامج المفتاح في الترويسة Authorization: Bearer، وله صلاحيات دورك.", "A program sends the key as Authorization: Bearer; it has your role's rights.")) }
            table.list {
                thead { tr { th { (l.t("المعرف", "Id")) } th { (l.t("الوصف", "Label")) } th { (l.t("أنشئ", "Made")) } th { (l.t("آخر استخدام", "Last used")) } th {} } }
                tbody {
                    @for k in keys {
                        tr {
                            td dir="ltr" { code { (k.id) } }
                            td dir="auto" { (ui::outside(&k.label)) }
                            td { (ui::time(k.created, ctx.tz)) }
                            td { @if let Some(t) = k.last_used { (ui::time(t, ctx.tz)) } @else { "—" } }
                            td {
                                @if k.revoked.is_some() { (l.t("ملغى", "revoked")) } @else {
                                    form.inline method="post" action="/account/keys/revoke" {
                                        input type="hidden" name="csrf" value=(who.csrf());
                                        input type="hidden" name="id" value=(k.id);
                                        button type="submit" { (l.t("إلغاء", "Revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.stack method="post" action="/account/keys" {
                input type="hidden" name="csrf" value=(who.csrf());
                label for="label" { (l.t("وصف المفتاح الجديد", "Label of the new key")) }
                input #label type="text" name="label" maxlength="100" required dir="auto";
                button type="submit" { (l.t("إنشاء مفتاح", "Make a key")) }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    id: String,
}

/// `POST /account/keys`: a new key for the reader, shown once.
pub async fn make_key(
    State(state): State<AppState>,
    page: Page,
    axum::Form(form): axum::Form<KeyForm>,
) -> Result<Response, Response> {
    let who = page.who()?.clone();
    who.check_csrf(&form.csrf)?;
    let label = form.label.trim().chars().take(100).collect::<String>();
    let (id, key) = auth::new_api_key();
    let store = state.store.clone();
    let (name, addr, key_hash, kid) = (
        who.user.name.clone(),
        who.addr.text(),
        auth::secret_hash(&key),
        id.clone(),
    );
    let keys = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        store.add_api_key(&kid, &key_hash, &name, &label, now)?;
        store.audit(&name, "api_key_created", &kid, &label, &addr, now)?;
        store.api_keys(Some(&name))
    })
    .await
    .map_err(blocking_err)?
    .map_err(blocking_err)?;
    Ok(html_page(
        StatusCode::CREATED,
        account_markup(&page.0, &who, &keys, Some(&key)),
    ))
}

/// `POST /account/keys/revoke`: revokes one of the reader's keys (an admin: anyone's).
pub async fn revoke_key(
    State(state): State<AppState>,
    page: Page,
    axum::Form(form): axum::Form<KeyForm>,
) -> Result<Response, Response> {
    let who = page.who()?.clone();
    who.check_csrf(&form.csrf)?;
    let store = state.store.clone();
    let (name, addr, id, admin) = (
        who.user.name.clone(),
        who.addr.text(),
        form.id.clone(),
        who.role == Role::Admin,
    );
    let done = tokio::task::spawn_blocking(move || -> rasd_store::Result<bool> {
        let owner = store
            .api_keys(None)?
            .into_iter()
            .find(|k| k.id == id)
            .map(|k| k.user);
        if owner.as_deref() != Some(name.as_str()) && !admin {
            return Ok(false);
        }
        let now = Utc::now();
        let revoked = store.revoke_api_key(&id, now)?;
        if revoked {
            store.audit(&name, "api_key_revoked", &id, "", &addr, now)?;
        }
        Ok(revoked)
    })
    .await
    .map_err(blocking_err)?
    .map_err(blocking_err)?;
    if !done {
        return Err(
            Error::BadRequest(format!("there is no live key {:?} of yours", form.id))
                .into_response(),
        );
    }
    Ok(Redirect::to("/account").into_response())
}

/// `GET /users` (admins): every user with forms to add one, change a role, disable,
/// enable and set a password.
pub async fn users_page(State(state): State<AppState>, page: Page) -> Result<Response, Response> {
    let who = page.require(Perm::Admin)?.clone();
    users_response(&state, &page.0, &who, StatusCode::OK, None).await
}

async fn users_response(
    state: &AppState,
    ctx: &Ctx,
    who: &Who,
    status: StatusCode,
    note: Option<(&str, String)>,
) -> Result<Response, Response> {
    let store = state.store.clone();
    let (users, keys) = tokio::task::spawn_blocking(move || {
        Ok::<_, rasd_store::Error>((store.users()?, store.api_keys(None)?))
    })
    .await
    .map_err(blocking_err)?
    .map_err(blocking_err)?;
    let l = ctx.lang;
    let roles: Vec<(String, String)> = auth::ROLE_NAMES
        .iter()
        .map(|r| (r.to_string(), ui::role_name(l, r).to_string()))
        .collect();
    let body = html! {
        h1 { (l.t("المستخدمون", "Users")) }
        @if let Some((class, text)) = &note { (ui::message(class, text)) }
        table.list {
            thead { tr { th { (l.t("الاسم", "Name")) } th { (l.t("الدور", "Role")) } th { (l.t("الحالة", "State")) } th { (l.t("آخر دخول", "Last log-in")) } th { (l.t("مفاتيح", "Keys")) } th { (l.t("إجراءات", "Actions")) } } }
            tbody {
                @for u in &users {
                    tr {
                        td { bdi { (u.name) } }
                        td { (ui::role_name(l, &u.role)) }
                        td { @if u.disabled { (l.t("معطل", "disabled")) } @else { (l.t("فعال", "active")) } }
                        td { @if let Some(t) = u.last_login { (ui::time(t, ctx.tz)) } @else { "—" } }
                        td { (keys.iter().filter(|k| k.user == u.name && k.revoked.is_none()).count()) }
                        td {
                            form.inline method="post" action="/users/update" {
                                input type="hidden" name="csrf" value=(who.csrf());
                                input type="hidden" name="name" value=(u.name);
                                (ui::select("role", l.t("الدور", "Role"), None, &roles, &u.role))
                                button type="submit" name="action" value="role" { (l.t("تغيير الدور", "Change role")) }
                                @if u.disabled {
                                    button type="submit" name="action" value="enable" { (l.t("تفعيل", "Enable")) }
                                } @else {
                                    button type="submit" name="action" value="disable" { (l.t("تعطيل", "Disable")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (l.t("إضافة مستخدم أو تعيين كلمة مرور", "Add a user or set a password")) }
        form.stack method="post" action="/users/update" {
            input type="hidden" name="csrf" value=(who.csrf());
            label for="name" { (l.t("الاسم", "Name")) }
            input #name type="text" name="name" required dir="auto" autocomplete="off";
            (ui::select("role", l.t("الدور", "Role"), None, &roles, "analyst"))
            label for="password" { (l.t("كلمة المرور (12 حرفاً على الأقل)", "Password (at least 12 characters)")) }
            input #password type="password" name="password" required autocomplete="new-password";
            button type="submit" name="action" value="add" { (l.t("إضافة", "Add")) }
            button type="submit" name="action" value="password" { (l.t("تعيين كلمة المرور", "Set password")) }
        }
    };
    Ok(html_page(
        status,
        ui::page(ctx, l.t("المستخدمون", "Users"), body),
    ))
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /users/update` (admins): add, role, disable, enable, password — each audited.
pub async fn update_user(
    State(state): State<AppState>,
    page: Page,
    axum::Form(form): axum::Form<UserForm>,
) -> Result<Response, Response> {
    let who = page.require(Perm::Admin)?.clone();
    who.check_csrf(&form.csrf)?;
    let l = page.0.lang;
    let name = form.name.trim().to_string();
    let result = user_change(
        &state,
        &who,
        &form.action,
        &name,
        &form.role,
        &form.password,
    )
    .await;
    match result {
        Ok(done) => {
            users_response(
                &state,
                &page.0,
                &who,
                StatusCode::OK,
                Some(("notice", done)),
            )
            .await
        }
        Err(problem) => {
            users_response(
                &state,
                &page.0,
                &who,
                StatusCode::BAD_REQUEST,
                Some(("error", format!("{}: {problem}", l.t("لم يتم", "Not done")))),
            )
            .await
        }
    }
}

/// Checks a user name: 1–64 characters, letters, digits, `.`, `_`, `-`, no spaces.
pub fn check_user_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid user name {name:?}: use 1 to 64 letters, digits, '.', '_' or '-' (no spaces)"
        ))
    }
}

async fn user_change(
    state: &AppState,
    who: &Who,
    action: &str,
    name: &str,
    role: &str,
    password: &str,
) -> Result<String, String> {
    check_user_name(name)?;
    let needs_role = matches!(action, "add" | "role");
    if needs_role && Role::parse(role).is_none() {
        return Err(format!(
            "unknown role {role:?}: use {}",
            auth::ROLE_NAMES.join(", ")
        ));
    }
    if matches!(action, "add" | "password") {
        auth::check_password(password)?;
    }
    if name == who.user.name && matches!(action, "disable" | "role") {
        return Err(
            "you cannot disable yourself or change your own role; ask another admin".into(),
        );
    }
    let (store, actor, addr) = (state.store.clone(), who.user.name.clone(), who.addr.text());
    let (action, name, role, password) = (
        action.to_string(),
        name.to_string(),
        role.to_string(),
        password.to_string(),
    );
    tokio::task::spawn_blocking(move || -> Result<String, String> {
        let now = Utc::now();
        let e = |e: rasd_store::Error| e.to_string();
        let (what, detail) = match action.as_str() {
            "add" => {
                let hash = auth::hash_password(&password).map_err(|e| e.to_string())?;
                store.add_user(&name, &role, &hash, now).map_err(e)?;
                ("user_added", format!("role {role}"))
            }
            "password" => {
                let hash = auth::hash_password(&password).map_err(|e| e.to_string())?;
                store.set_password(&name, &hash, now).map_err(e)?;
                ("password_set", String::new())
            }
            "role" => {
                store.set_role(&name, &role).map_err(e)?;
                ("role_changed", format!("role {role}"))
            }
            "disable" => {
                store.set_user_disabled(&name, true).map_err(e)?;
                ("user_disabled", String::new())
            }
            "enable" => {
                store.set_user_disabled(&name, false).map_err(e)?;
                ("user_enabled", String::new())
            }
            other => return Err(format!("unknown action {other:?}")),
        };
        store
            .audit(&actor, what, &name, &detail, &addr, now)
            .map_err(e)?;
        Ok(format!("{what}: {name}"))
    })
    .await
    .map_err(|e| e.to_string())?
}

#[derive(Debug, Deserialize)]
pub struct AuditParams {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /audit` (admins): the audit log, newest first, 100 a page, by action.
pub async fn audit_page(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<AuditParams>,
) -> Result<Response, Response> {
    page.require(Perm::Admin)?;
    let n = q.page.unwrap_or(1).max(1);
    let action = q.action.clone().filter(|a| !a.trim().is_empty());
    let store = state.store.clone();
    let act = action.clone();
    let lines =
        tokio::task::spawn_blocking(move || store.audit_log(act.as_deref(), 100, (n - 1) * 100))
            .await
            .map_err(blocking_err)?
            .map_err(blocking_err)?;
    let ctx = &page.0;
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("سجل التدقيق", "Audit log")) }
        form.q method="get" action="/audit" {
            label for="action" { (l.t("الإجراء", "Action")) }
            input #action type="text" name="action" value=(action.clone().unwrap_or_default()) dir="ltr";
            button type="submit" { (l.t("تصفية", "Filter")) }
        }
        table.list {
            thead { tr { th { (l.t("الوقت", "Time")) } th { (l.t("من", "Who")) } th { (l.t("الإجراء", "Action")) } th { (l.t("على", "On")) } th { (l.t("تفاصيل", "Detail")) } th { (l.t("العنوان", "Address")) } } }
            tbody {
                @for a in &lines {
                    tr {
                        td { (ui::time(a.at, ctx.tz)) }
                        td { bdi { (ui::outside(&a.actor)) } }
                        td dir="ltr" { code { (a.action) } }
                        td { bdi { (ui::outside(&a.target)) } }
                        td dir="auto" { (ui::outside(&a.detail)) }
                        td dir="ltr" { (a.address) }
                    }
                }
            }
        }
        nav.pages {
            @if n > 1 { a href=(format!("/audit?page={}", n - 1)) { (l.t("الأحدث", "Newer")) } }
            @if lines.len() == 100 { a href=(format!("/audit?page={}", n + 1)) { (l.t("الأقدم", "Older")) } }
        }
    };
    Ok(html_page(
        StatusCode::OK,
        ui::page(ctx, l.t("سجل التدقيق", "Audit log"), body),
    ))
}
