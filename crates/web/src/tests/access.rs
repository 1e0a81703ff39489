//! Log-in, roles, CSRF, lock-out, the public form and the API keys, through the router
//! (`oneshot`), every way to be refused included.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;

use super::*;

/// A form body, URL-encoded.
fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", rasd_core::text::url_encode_query(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request from this client address (as the connection's peer).
fn from(addr: &str, request: axum::http::request::Builder) -> axum::http::request::Builder {
    let peer: SocketAddr = format!("{addr}:40000").parse().unwrap();
    request
        .extension(ConnectInfo(peer))
        .header("host", "localhost")
}

async fn call(
    app: &Router,
    request: axum::http::request::Builder,
    body: impl Into<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app
        .clone()
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The value a `Set-Cookie` header gives `name`, and the whole header.
fn set_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v[name.len() + 1..].split(';').next().unwrap().to_string();
            (value, v.to_string())
        })
}

/// The hidden `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("the page has a csrf field")
        + 19;
    page[at..].split('"').next().unwrap().to_string()
}

/// A user with a real password hash, and a session of theirs with this token.
fn user_with_session(state: &AppState, name: &str, role: &str, token: &str) {
    let now = Utc::now();
    state
        .store
        .add_user(
            name,
            role,
            &auth::hash_password("a long enough password").unwrap(),
            now,
        )
        .unwrap();
    state
        .store
        .create_session(
            &auth::secret_hash(token),
            name,
            &format!("csrf-of-{name}"),
            now,
            now + chrono::Duration::hours(1),
            "127.0.0.1",
        )
        .unwrap();
}

fn with_cookie(request: axum::http::request::Builder, token: &str) -> axum::http::request::Builder {
    request.header("cookie", format!("{}={token}", auth::SESSION_COOKIE))
}

#[tokio::test]
async fn without_a_log_in_pages_go_to_the_log_in_and_the_api_answers_401() {
    let app = app(state());
    for path in [
        "/",
        "/search?q=x",
        "/item/abc",
        "/submissions",
        "/users",
        "/alerts",
        "/digest",
    ] {
        let (status, headers, _) =
            call(&app, from("127.0.0.1", Request::get(path)), Body::empty()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        let to = headers["location"].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{path}: {to}");
    }
    for path in [
        "/api/v1/search?q=x",
        "/api/v1/items/abc",
        "/api/v1/alerts",
        "/metrics",
    ] {
        let (status, headers, body) =
            call(&app, from("127.0.0.1", Request::get(path)), Body::empty()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert!(headers.contains_key("www-authenticate"), "{path}");
    }
    for path in ["/login", "/healthz", "/report", "/static/rasd.css"] {
        let (status, _, _) = call(&app, from("127.0.0.1", Request::get(path)), Body::empty()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // A made-up session is no session.
    let (status, _, _) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get("/search")), "forged"),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// Logs in through the form; returns the status, the headers and the body of the answer.
async fn log_in(
    app: &Router,
    addr: &str,
    name: &str,
    password: &str,
    old_session: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (_, headers, page) = call(
        app,
        from(addr, Request::get("/login?next=/alerts")),
        Body::empty(),
    )
    .await;
    let (token, _) =
        set_cookie(&headers, auth::FORM_COOKIE).expect("the log-in page sets its token");
    assert_eq!(csrf_of(&page), token);
    let mut cookies = format!("{}={token}", auth::FORM_COOKIE);
    if let Some(old) = old_session {
        cookies.push_str(&format!("; {}={old}", auth::SESSION_COOKIE));
    }
    call(
        app,
        from(addr, Request::post("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookies),
        form(&[
            ("username", name),
            ("password", password),
            ("csrf", &token),
            ("next", "/alerts"),
        ]),
    )
    .await
}

#[tokio::test]
async fn logging_in_gives_a_new_strict_cookie_and_logging_out_ends_it() {
    let state = state();
    let app = app(state.clone());
    state
        .store
        .add_user(
            "سلمى",
            "analyst",
            &auth::hash_password("كلمة مرور طويلة جدا").unwrap(),
            Utc::now(),
        )
        .unwrap();
    // A session id an attacker planted before the log-in is not the one given after it.
    let (status, headers, body) = log_in(
        &app,
        "127.0.0.1",
        "سلمى",
        "كلمة مرور طويلة جدا",
        Some("planted"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers["location"], "/alerts");
    let (token, cookie) = set_cookie(&headers, auth::SESSION_COOKIE).unwrap();
    assert_ne!(token, "planted");
    assert!(token.len() >= 40);
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let (status, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get("/search")), &token),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<bdi>سلمى</bdi>"),
        "the header names the user"
    );
    let log = state.store.audit_log(Some("login"), 10, 0).unwrap();
    assert_eq!(log[0].actor, "سلمى");
    // Log-out needs the session's CSRF token.
    let csrf = csrf_of(&page);
    let (status, _, _) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::post("/logout")), &token)
            .header("content-type", "application/x-www-form-urlencoded"),
        form(&[("csrf", "wrong")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::post("/logout")), &token)
            .header("content-type", "application/x-www-form-urlencoded"),
        form(&[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&headers, auth::SESSION_COOKIE)
            .unwrap()
            .1
            .contains("Max-Age=0")
    );
    let (status, _, _) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get("/search")), &token),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session is over");
}

#[tokio::test]
async fn a_log_in_without_its_form_token_is_refused() {
    let state = state();
    let app = app(state.clone());
    state
        .store
        .add_user(
            "omar",
            "admin",
            &auth::hash_password("a long enough password").unwrap(),
            Utc::now(),
        )
        .unwrap();
    let (status, headers, _) = call(
        &app,
        from("127.0.0.1", Request::post("/login"))
            .header("content-type", "application/x-www-form-urlencoded"),
        form(&[
            ("username", "omar"),
            ("password", "a long enough password"),
            ("csrf", "x"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&headers, auth::SESSION_COOKIE).is_none());
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_the_address() {
    let state = state();
    let app = app(state.clone());
    for name in ["omar", "rana"] {
        state
            .store
            .add_user(
                name,
                "analyst",
                &auth::hash_password("a long enough password").unwrap(),
                Utc::now(),
            )
            .unwrap();
    }
    for _ in 0..auth::USER_MAX_FAILURES {
        let (status, _, body) = log_in(&app, "10.0.0.1", "omar", "wrong guess", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            body.contains("غير صحيحين"),
            "the message is in Arabic by default"
        );
    }
    // The right password no longer opens the account, from any address.
    let (status, headers, body) =
        log_in(&app, "10.0.0.9", "omar", "a long enough password", None).await;
    assert_eq!(status, StatusCode::LOCKED, "{body}");
    assert!(set_cookie(&headers, auth::SESSION_COOKIE).is_none());
    assert!(
        !state
            .store
            .audit_log(Some("login_refused_locked"), 10, 0)
            .unwrap()
            .is_empty()
    );
    // Another user is not locked.
    let (status, _, _) = log_in(&app, "10.0.0.9", "rana", "a long enough password", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // An address that tried many names is locked out, even for a right password.
    for i in 0..auth::ADDR_MAX_FAILURES {
        log_in(&app, "10.0.0.2", &format!("guess{i}"), "wrong", None).await;
    }
    let (status, _, _) = log_in(&app, "10.0.0.2", "rana", "a long enough password", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A new password from an administrator lifts the user's lock.
    state
        .store
        .set_password(
            "omar",
            &auth::hash_password("another long password").unwrap(),
            Utc::now(),
        )
        .unwrap();
    let (status, _, _) = log_in(&app, "10.0.0.9", "omar", "another long password", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do() {
    let state = state();
    let app = app(state.clone());
    for (name, role) in [("m", "media"), ("l", "leadership"), ("a", "analyst")] {
        user_with_session(&state, name, role, &format!("token-{name}"));
    }
    let cases = [
        ("m", "/users", StatusCode::FORBIDDEN),
        ("m", "/audit", StatusCode::FORBIDDEN),
        ("m", "/submissions", StatusCode::FORBIDDEN),
        ("m", "/metrics", StatusCode::FORBIDDEN),
        ("m", "/search", StatusCode::OK),
        ("m", "/alerts", StatusCode::OK),
        ("l", "/submissions", StatusCode::FORBIDDEN),
        ("l", "/sources", StatusCode::FORBIDDEN),
        ("l", "/alerts", StatusCode::OK),
        ("l", "/digest", StatusCode::OK),
        ("a", "/users", StatusCode::FORBIDDEN),
        ("a", "/submissions", StatusCode::OK),
        ("a", "/sources", StatusCode::OK),
        ("a", "/account", StatusCode::OK),
    ];
    for (who, path, expected) in cases {
        let (status, _, body) = call(
            &app,
            with_cookie(
                from("127.0.0.1", Request::get(path)),
                &format!("token-{who}"),
            ),
            Body::empty(),
        )
        .await;
        assert_eq!(status, expected, "{who} {path}: {body}");
    }
    // The navigation shows each role only what it may open.
    let (_, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get("/alerts")), "token-l"),
        Body::empty(),
    )
    .await;
    assert!(!page.contains("href=\"/submissions\"") && !page.contains("href=\"/users\""));
    let (_, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get("/alerts")), TEST_TOKEN),
        Body::empty(),
    )
    .await;
    assert!(page.contains("href=\"/users\"") && page.contains("href=\"/audit\""));
}

/// Submits the public form from `addr` and returns the answer.
async fn submit(
    app: &Router,
    addr: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (_, headers, page) = call(app, from(addr, Request::get("/report")), Body::empty()).await;
    let (token, _) = set_cookie(&headers, auth::FORM_COOKIE).unwrap();
    assert_eq!(csrf_of(&page), token);
    let mut all = fields.to_vec();
    all.push(("csrf", &token));
    call(
        app,
        from(addr, Request::post("/report"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("{}={token}", auth::FORM_COOKIE)),
        form(&all),
    )
    .await
}

fn reference_of(page: &str) -> String {
    let at = page
        .find("class=\"reference\"")
        .expect("the page shows a reference");
    page[at..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_public_form_stores_a_submission_before_it_shows_the_reference() {
    let state = state();
    let app = app(state.clone());
    let (status, _, page) = call(
        &app,
        from("127.0.0.1", Request::get("/report")),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "Arabic first"
    );
    assert!(
        page.contains("السرقة") && page.contains("الزرقاء"),
        "the topics and governorates in words"
    );
    assert!(!page.contains("<script"), "no JavaScript");
    let text = "سرقة دراجتي النارية من أمام المنزل في الرصيفة مساء أمس";
    let (status, _, page) = submit(
        &app,
        "127.0.0.1",
        &[
            ("category", "theft"),
            ("governorate", "zarqa"),
            ("text", text),
            ("name", "أبو أحمد"),
            ("contact", "٠٧٩ ١٢٣ ٤٥٦٧"),
            ("lang", "ar"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let reference = reference_of(&page);
    let stored = state
        .store
        .submission(&reference)
        .unwrap()
        .expect("stored before shown");
    assert_eq!(
        (
            stored.category.as_str(),
            stored.governorate.as_str(),
            stored.status.as_str()
        ),
        ("theft", "zarqa", "new")
    );
    let item = state.store.get_item(&stored.item_id).unwrap().unwrap();
    assert_eq!(
        (item.kind, item.source.as_str()),
        (rasd_core::ItemKind::Comment, "form")
    );
    assert_eq!(item.body, text);
    assert!(
        item.tags.topics.contains(&"theft".to_string()),
        "tagged: {:?}",
        item.tags
    );
    assert!(item.tags.places.contains(&"zarqa".to_string()));
    assert!(
        !item.body.contains("0791234567") && item.author.is_none(),
        "the contact is apart"
    );
    assert_eq!(
        state.store.submission_contact(&reference).unwrap(),
        Some(("أبو أحمد".into(), "0791234567".into()))
    );
    // Whoever holds the index writer is told.
    tokio::time::timeout(std::time::Duration::from_secs(1), state.changed.notified())
        .await
        .expect("the index's follower is woken");
}

#[tokio::test]
async fn the_form_says_what_to_fix_in_the_readers_language_and_keeps_what_was_typed() {
    let state = state();
    let app = app(state.clone());
    let (status, _, page) = submit(
        &app,
        "127.0.0.1",
        &[
            ("category", ""),
            ("text", "قصير"),
            ("contact", "abc"),
            ("lang", "ar"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("اختر نوع البلاغ") && page.contains("10 أحرف على الأقل"),
        "{page}"
    );
    assert!(page.contains(">قصير</textarea>"), "the text is kept");
    let (status, _, page) = submit(
        &app,
        "127.0.0.1",
        &[
            ("category", "arson"),
            ("governorate", "atlantis"),
            ("text", "short"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"));
    for m in [
        "Unknown category",
        "Unknown governorate",
        "at least 10 characters",
    ] {
        assert!(page.contains(m), "{m}: {page}");
    }
    assert_eq!(state.store.submissions(&Default::default()).unwrap().1, 0);
}

#[tokio::test]
async fn a_bot_filling_the_honeypot_is_thanked_and_nothing_is_stored() {
    let state = state();
    let app = app(state.clone());
    let (status, _, page) = submit(
        &app,
        "127.0.0.1",
        &[
            ("category", "theft"),
            ("text", "إعلان عن منتجات رخيصة جدا"),
            ("website", "http://spam.example"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("class=\"reference\""));
    assert_eq!(state.store.submissions(&Default::default()).unwrap().1, 0);
}

#[tokio::test]
async fn a_form_without_its_token_is_refused_and_shown_again() {
    let state = state();
    let app = app(state.clone());
    let (status, _, page) = call(
        &app,
        from("127.0.0.1", Request::post("/report"))
            .header("content-type", "application/x-www-form-urlencoded"),
        form(&[
            ("category", "theft"),
            ("text", "نص بلاغ كامل بما يكفي"),
            ("csrf", "guessed"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("نص بلاغ كامل بما يكفي"),
        "what was typed is kept"
    );
    assert_eq!(state.store.submissions(&Default::default()).unwrap().1, 0);
}

fn json_submission(text: &str) -> String {
    serde_json::json!({ "category": "theft", "governorate": "amman", "text": text, "contact": "a@b.jo" }).to_string()
}

#[tokio::test]
async fn the_rate_limit_answers_429_to_a_flooding_address_while_others_pass() {
    let state = state_with(
        "[server]\nform_per_minute = 3\nclient_ip_header = \"X-Forwarded-For\"\ntrusted_proxies = [\"127.0.0.1\"]\n",
        "",
        Vec::new(),
    );
    let app = app(state.clone());
    let post = |forwarded: &'static str, peer: &'static str| {
        from(peer, Request::post("/api/v1/submissions"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded)
    };
    for i in 0..3 {
        let (status, _, body) = call(
            &app,
            post("198.51.100.7", "127.0.0.1"),
            json_submission(&format!("بلاغ رقم {i} من العنوان نفسه")),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, headers, body) = call(
        &app,
        post("198.51.100.7", "127.0.0.1"),
        json_submission("بلاغ رابع من العنوان نفسه"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key("retry-after"));
    // Another client behind the same proxy still gets through.
    let (status, _, body) = call(
        &app,
        post("198.51.100.8", "127.0.0.1"),
        json_submission("بلاغ من عنوان آخر تماما"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The header is believed only from the trusted proxy: a client cannot pick its address.
    for i in 0..3 {
        let (status, _, _) = call(
            &app,
            post("203.0.113.1", "192.0.2.50"),
            json_submission(&format!("محاولة تغيير العنوان {i}")),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _, _) = call(
        &app,
        post("203.0.113.99", "192.0.2.50"),
        json_submission("محاولة تغيير العنوان مرة أخرى"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Every accepted submission is in the store.
    assert_eq!(state.store.submissions(&Default::default()).unwrap().1, 7);
}

#[tokio::test]
async fn the_submissions_api_answers_201_400_413_and_415() {
    let state = state();
    let app = app(state.clone());
    let post = || {
        from("127.0.0.1", Request::post("/api/v1/submissions"))
            .header("content-type", "application/json")
    };
    let (status, _, body) = call(
        &app,
        post(),
        json_submission("انقطاع الإنارة في الشارع يسهل السرقات"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reference = json(&body)["reference"].as_str().unwrap().to_string();
    assert!(state.store.submission(&reference).unwrap().is_some());
    let (status, _, body) = call(&app, post(), r#"{"category":"x","text":"hi","lang":"en"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v = json(&body);
    let fields: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["category", "text"]);
    let (status, _, _) = call(&app, post(), "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = call(
        &app,
        from("127.0.0.1", Request::post("/api/v1/submissions"))
            .header("content-type", "text/plain"),
        json_submission("نص عادي بما يكفي للقبول"),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json_submission(&"ا".repeat(report::MAX_BODY));
    let (status, _, body) = call(&app, post(), huge.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (status, _, _) = call(
        &app,
        from("127.0.0.1", Request::post("/report"))
            .header("content-type", "application/x-www-form-urlencoded"),
        form(&[("text", &"ا".repeat(report::MAX_BODY))]),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(state.store.submissions(&Default::default()).unwrap().1, 1);
}

#[tokio::test]
async fn the_inbox_shows_contacts_only_to_allowed_roles_and_audits_each_view() {
    let state = state();
    let app = app(state.clone());
    user_with_session(&state, "a", "analyst", "token-a");
    user_with_session(&state, "l", "leadership", "token-l");
    let (_, _, body) = call(
        &app,
        from("127.0.0.1", Request::post("/api/v1/submissions"))
            .header("content-type", "application/json"),
        json_submission("<script>alert(1)</script><img src=x onerror=alert(2)> سرقة في عمان"),
    )
    .await;
    let reference = json(&body)["reference"].as_str().unwrap().to_string();
    let (status, _, page) = call(
        &app,
        with_cookie(
            from("127.0.0.1", Request::get("/submissions?governorate=amman")),
            "token-a",
        ),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&reference), "{page}");
    assert!(
        !page.contains("<script>alert") && !page.contains("<img src=x"),
        "markup from the public stays text"
    );
    assert!(page.contains("&lt;script&gt;"));
    let path = format!("/submissions/{reference}");
    let (_, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get(&path)), "token-a"),
        Body::empty(),
    )
    .await;
    assert!(!page.contains("a@b.jo"), "hidden until asked for");
    let (status, _, page) = call(
        &app,
        with_cookie(
            from("127.0.0.1", Request::get(format!("{path}?contact=1"))),
            "token-a",
        ),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("a@b.jo"));
    let views = state
        .store
        .audit_log(Some("contact_viewed"), 10, 0)
        .unwrap();
    assert_eq!(
        (
            views.len(),
            views[0].actor.as_str(),
            views[0].target.as_str()
        ),
        (1, "a", reference.as_str())
    );
    let (status, _, _) = call(
        &app,
        with_cookie(
            from("127.0.0.1", Request::get(format!("{path}?contact=1"))),
            "token-l",
        ),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Moving it through the inbox needs the session's token and a page of this server.
    let forward = [
        ("action", "status"),
        ("status", "forwarded"),
        ("csrf", "csrf-of-a"),
    ];
    type Pairs<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Pairs, Pairs, StatusCode, &str); 6] = [
        (&forward[..2], &[], StatusCode::FORBIDDEN, "no CSRF token"),
        (
            &forward,
            &[("origin", "https://evil.example")],
            StatusCode::FORBIDDEN,
            "another site",
        ),
        (
            &forward,
            &[("sec-fetch-site", "cross-site")],
            StatusCode::FORBIDDEN,
            "a cross-site fetch",
        ),
        (
            &forward,
            &[("sec-fetch-site", "same-site")],
            StatusCode::FORBIDDEN,
            "another port of the same host",
        ),
        (
            &forward,
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
            StatusCode::SEE_OTHER,
            "this page",
        ),
        (
            &[
                ("action", "assign"),
                ("assignee", "a"),
                ("csrf", "csrf-of-a"),
            ],
            &[],
            StatusCode::SEE_OTHER,
            "assign",
        ),
    ];
    for (fields, headers, expected, why) in cases {
        let mut request = with_cookie(from("127.0.0.1", Request::post(&path)), "token-a")
            .header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        assert_eq!(call(&app, request, form(fields)).await.0, expected, "{why}");
    }
    let s = state.store.submission(&reference).unwrap().unwrap();
    assert_eq!(
        (s.status.as_str(), s.assignee.as_deref()),
        ("forwarded", Some("a"))
    );
    assert_eq!(
        state
            .store
            .audit_log(Some("submission_status"), 10, 0)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn api_keys_carry_their_users_role_and_stop_when_revoked() {
    let state = state();
    let app = app(state.clone());
    user_with_session(&state, "m", "media", "token-m");
    let (id, key) = auth::new_api_key();
    state
        .store
        .add_api_key(
            &id,
            &auth::secret_hash(&key),
            "m",
            "feed reader",
            Utc::now(),
        )
        .unwrap();
    let bearer = |path: &str| {
        from("127.0.0.1", Request::get(path)).header("authorization", format!("Bearer {key}"))
    };
    let (status, _, body) = call(
        &app,
        bearer(&format!("/api/v1/search?q={}", enc("سرقة"))),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["total"], 1);
    let (status, _, _) = call(&app, bearer("/api/v1/alerts"), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    // The media role may not work the inbox, with a key or without.
    let (status, _, _) = call(&app, bearer("/submissions"), Body::empty()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(&app, bearer("/metrics"), Body::empty()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    state.store.revoke_api_key(&id, Utc::now()).unwrap();
    let (status, _, _) = call(&app, bearer("/api/v1/search?q=x"), Body::empty()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(
        &app,
        from("127.0.0.1", Request::get("/api/v1/search?q=x"))
            .header("authorization", "Bearer rasd_made_up"),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_item_api_gives_the_item_and_a_404_says_so() {
    let state = state();
    let app = app(state.clone());
    let id = state.store.item_ids().unwrap()[0].clone();
    let (status, _, body) = call(
        &app,
        with_cookie(
            from("127.0.0.1", Request::get(format!("/api/v1/items/{id}"))),
            TEST_TOKEN,
        ),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["item"]["id"], id.as_str());
    let (status, _, _) = call(
        &app,
        with_cookie(
            from("127.0.0.1", Request::get("/api/v1/items/ffff")),
            TEST_TOKEN,
        ),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(
        &app,
        with_cookie(
            from("127.0.0.1", Request::get("/api/v1/items/..%2Fetc")),
            TEST_TOKEN,
        ),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_public_face_serves_the_form_and_nothing_else() {
    let state = state();
    let public = public_router(
        state.clone(),
        AllowedHosts::new(
            &state.config.settings.server,
            "127.0.0.1:8081".parse().unwrap(),
        ),
    );
    for (path, expected) in [
        ("/report", StatusCode::OK),
        ("/report?lang=en", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/search", StatusCode::NOT_FOUND),
        ("/login", StatusCode::NOT_FOUND),
        ("/submissions", StatusCode::NOT_FOUND),
        ("/api/v1/search", StatusCode::NOT_FOUND),
    ] {
        let (status, headers, _) = call(
            &public,
            from("127.0.0.1", Request::get(path)),
            Body::empty(),
        )
        .await;
        assert_eq!(status, expected, "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
    let (status, _, _) = call(
        &public,
        from("127.0.0.1", Request::post("/api/v1/submissions"))
            .header("content-type", "application/json"),
        json_submission("بلاغ عبر الواجهة العامة فقط"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn admins_add_users_and_every_change_is_audited() {
    let state = state();
    let app = app(state.clone());
    let post = |fields: &[(&str, &str)]| {
        let mut all = fields.to_vec();
        all.push(("csrf", TEST_CSRF));
        (
            with_cookie(
                from("127.0.0.1", Request::post("/users/update")),
                TEST_TOKEN,
            )
            .header("content-type", "application/x-www-form-urlencoded"),
            form(&all),
        )
    };
    let (r, b) = post(&[
        ("action", "add"),
        ("name", "نور"),
        ("role", "media"),
        ("password", "short"),
    ]);
    let (status, _, page) = call(&app, r, b).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("at least 12"), "{page}");
    let (r, b) = post(&[
        ("action", "add"),
        ("name", "نور"),
        ("role", "media"),
        ("password", "a long enough password"),
    ]);
    assert_eq!(call(&app, r, b).await.0, StatusCode::OK);
    let (r, b) = post(&[("action", "role"), ("name", "نور"), ("role", "analyst")]);
    assert_eq!(call(&app, r, b).await.0, StatusCode::OK);
    let (r, b) = post(&[("action", "disable"), ("name", "tester")]);
    assert_eq!(
        call(&app, r, b).await.0,
        StatusCode::BAD_REQUEST,
        "not yourself"
    );
    let (r, b) = post(&[("action", "disable"), ("name", "نور")]);
    assert_eq!(call(&app, r, b).await.0, StatusCode::OK);
    let u = state.store.user("نور").unwrap().unwrap();
    assert_eq!((u.role.as_str(), u.disabled), ("analyst", true));
    let actions: Vec<String> = state
        .store
        .audit_log(None, 10, 0)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["user_disabled", "role_changed", "user_added"]);
    let (status, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get("/audit")), TEST_TOKEN),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("user_added") && page.contains("<bdi>نور</bdi>"));
}

#[tokio::test]
async fn fixing_tags_keeps_a_labelled_example_and_changes_the_item() {
    let state = state();
    let app = app(state.clone());
    user_with_session(&state, "m", "media", "token-m");
    let id = state
        .store
        .item_ids()
        .unwrap()
        .into_iter()
        .find(|id| {
            state
                .store
                .get_item(id)
                .unwrap()
                .unwrap()
                .title
                .contains("الخضار")
        })
        .unwrap();
    let path = format!("/item/{id}");
    let (_, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get(&path)), TEST_TOKEN),
        Body::empty(),
    )
    .await;
    assert!(
        page.contains(&format!("action=\"/item/{id}/tags\"")),
        "the form is on the page"
    );
    let (_, _, page) = call(
        &app,
        with_cookie(from("127.0.0.1", Request::get(&path)), "token-m"),
        Body::empty(),
    )
    .await;
    assert!(!page.contains("/tags\""), "not for the media role");
    let post = |token: &str, body: &str| {
        (
            with_cookie(
                from("127.0.0.1", Request::post(format!("{path}/tags"))),
                token,
            )
            .header("content-type", "application/x-www-form-urlencoded"),
            body.to_string(),
        )
    };
    let good = format!(
        "csrf={TEST_CSRF}&topic=theft&place=amman&place=zarqa&sentiment=negative&police=yes"
    );
    let (r, b) = post("token-m", &good.replace(TEST_CSRF, "csrf-of-m"));
    assert_eq!(call(&app, r, b).await.0, StatusCode::FORBIDDEN);
    let (r, b) = post(TEST_TOKEN, "csrf=nope&topic=theft");
    assert_eq!(call(&app, r, b).await.0, StatusCode::FORBIDDEN);
    let (r, b) = post(TEST_TOKEN, &format!("csrf={TEST_CSRF}&topic=%3Cscript%3E"));
    assert_eq!(call(&app, r, b).await.0, StatusCode::BAD_REQUEST);
    let seq = state.store.head_seq().unwrap();
    let (r, b) = post(TEST_TOKEN, &good);
    let (status, headers, body) = call(&app, r, b).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers["location"], format!("{path}?fixed=1").as_str());
    let item = state.store.get_item(&id).unwrap().unwrap();
    assert_eq!(item.tags.topics, ["theft"]);
    assert_eq!(item.tags.places, ["amman", "zarqa"]);
    assert!(item.tags.about_police);
    assert_eq!(item.tags.sentiment.unwrap().label, Polarity::Negative);
    assert!(
        state.store.head_seq().unwrap() > seq,
        "a store change for the index to follow"
    );
    let fixes = state.store.tag_fixes().unwrap();
    assert_eq!((fixes.len(), fixes[0].user.as_str()), (1, "tester"));
    assert!(fixes[0].after.contains("theft") && !fixes[0].before.contains("theft"));
    assert_eq!(
        state
            .store
            .audit_log(Some("tags_fixed"), 5, 0)
            .unwrap()
            .len(),
        1
    );
}

/// A page fetched beside the log-in form (the favicon, a second tab) must not make the
/// form's token stale: the browser's token is kept.
#[tokio::test]
async fn the_form_token_is_kept_across_pages_and_the_favicon_is_no_log_in() {
    let app = app(state());
    let (status, _, _) = call(
        &app,
        from("127.0.0.1", Request::get("/favicon.ico")),
        Body::empty(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no redirect to a new log-in form"
    );
    let (_, headers, _) = call(
        &app,
        from("127.0.0.1", Request::get("/login")),
        Body::empty(),
    )
    .await;
    let (token, _) = set_cookie(&headers, auth::FORM_COOKIE).unwrap();
    let cookie = format!("{}={token}", auth::FORM_COOKIE);
    for path in ["/login", "/report"] {
        let (_, headers, page) = call(
            &app,
            from("127.0.0.1", Request::get(path)).header("cookie", &cookie),
            Body::empty(),
        )
        .await;
        assert_eq!(
            set_cookie(&headers, auth::FORM_COOKIE).unwrap().0,
            token,
            "{path}"
        );
        assert_eq!(csrf_of(&page), token, "{path}");
    }
    // A malformed cookie is replaced.
    let (_, headers, _) = call(
        &app,
        from("127.0.0.1", Request::get("/login")).header("cookie", "rasd_form=\"><script>"),
        Body::empty(),
    )
    .await;
    assert_ne!(
        set_cookie(&headers, auth::FORM_COOKIE).unwrap().0,
        "\"><script>"
    );
}

#[tokio::test]
async fn a_saved_search_belongs_to_whoever_saved_it() {
    let state = state();
    let app = app(state.clone());
    user_with_session(&state, "a", "analyst", "token-a");
    let save = |token: &str, csrf: &str, fields: &[(&str, &str)]| {
        let mut all = fields.to_vec();
        all.push(("csrf", csrf));
        (
            with_cookie(from("127.0.0.1", Request::post("/searches")), token)
                .header("content-type", "application/x-www-form-urlencoded"),
            form(&all),
        )
    };
    let (r, b) = save(
        TEST_TOKEN,
        TEST_CSRF,
        &[("name", "سرقات عمان"), ("q", "سرقة"), ("place", "amman")],
    );
    let (status, headers, body) = call(&app, r, b).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/search?saved=")
    );
    let saved = state.store.saved_search("سرقات عمان").unwrap().unwrap();
    assert_eq!(
        (saved.query.as_str(), saved.owner.as_deref()),
        ("سرقة", Some("tester"))
    );
    assert_eq!(saved.filters["place"], ["amman"]);
    // Someone else's name is theirs.
    let (r, b) = save(
        "token-a",
        "csrf-of-a",
        &[("name", "سرقات عمان"), ("q", "حريق")],
    );
    assert_eq!(call(&app, r, b).await.0, StatusCode::BAD_REQUEST);
    let (r, b) = save(
        "token-a",
        "csrf-of-a",
        &[("name", "سرقات عمان"), ("action", "remove")],
    );
    assert_eq!(call(&app, r, b).await.0, StatusCode::BAD_REQUEST);
    let (r, b) = save("token-a", "wrong", &[("name", "x"), ("q", "حريق")]);
    assert_eq!(call(&app, r, b).await.0, StatusCode::FORBIDDEN);
    let (r, b) = save("token-a", "csrf-of-a", &[("name", "x"), ("lang", "fr")]);
    assert_eq!(
        call(&app, r, b).await.0,
        StatusCode::BAD_REQUEST,
        "a bad filter is refused"
    );
    assert_eq!(
        state
            .store
            .saved_search("سرقات عمان")
            .unwrap()
            .unwrap()
            .query,
        "سرقة"
    );
    let (r, b) = save(
        TEST_TOKEN,
        TEST_CSRF,
        &[("name", "سرقات عمان"), ("action", "remove")],
    );
    assert_eq!(call(&app, r, b).await.0, StatusCode::SEE_OTHER);
    assert!(state.store.saved_search("سرقات عمان").unwrap().is_none());
    assert_eq!(
        state
            .store
            .audit_log(Some("search_saved"), 5, 0)
            .unwrap()
            .len(),
        1
    );
}

/// A feed that gives an item a `javascript:` address, and markup in its title and text,
/// gets no link and no element out of them on any page.
#[tokio::test]
async fn javascript_links_and_markup_from_a_feed_stay_inert() {
    let mut item = Item::new(
        "s1",
        "javascript:alert(document.cookie)",
        "حريق <img src=x onerror=alert(1)> في المخيم",
        "نص <a href=\"javascript:alert(2)\">اضغط</a> و<svg onload=alert(3)>",
        Utc::now(),
    );
    item.tags.lang = Lang::Ar;
    let id = item.id.clone();
    let state = state_with("", "", vec![item]);
    let app = app(state.clone());
    for path in [format!("/item/{id}"), format!("/search?q={}", enc("حريق"))] {
        let (status, _, page) = call(
            &app,
            with_cookie(from("127.0.0.1", Request::get(&path)), TEST_TOKEN),
            Body::empty(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains("حريق"), "{path}: the item is shown");
        // As text they may show (escaped); as markup, never.
        for hostile in ["href=\"javascript", "<img", "<svg", "<a href=\"javascript"] {
            assert!(!page.contains(hostile), "{path}: {hostile} in {page}");
        }
        assert!(
            page.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{path}"
        );
    }
}
