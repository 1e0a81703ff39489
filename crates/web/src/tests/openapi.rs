//! The OpenAPI document at `/api/v1/openapi.json`: what it declares, that its paths are the
//! router's routes, and that real answers have the shapes it gives (a small JSON Schema
//! check here; `scripts/api-check.sh` runs schemathesis against a live server).

use serde_json::Value;

use super::*;

/// The machine API's routes the document must give, and no others.
const DOCUMENTED: &[(&str, &str)] = &[
    ("get", "/api/v1/search"),
    ("get", "/api/v1/items/{id}"),
    ("get", "/api/v1/alerts"),
    ("post", "/api/v1/submissions"),
    ("get", "/api/status"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
];

/// Those answered without a log-in.
const PUBLIC: &[&str] = &["/api/v1/submissions", "/healthz", "/api/v1/openapi.json"];

/// The document as the analysts' face serves it to a caller without a log-in.
async fn document(state: AppState) -> Value {
    let (status, headers, body) = send_anon(
        app(state),
        Request::get("/api/v1/openapi.json").header("host", "localhost"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    json(&body)
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_both_ways_to_log_in() {
    let doc = document(state()).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].as_str().unwrap().contains("Rasd"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes[crate::openapi::BEARER]["type"], "http");
    assert_eq!(schemes[crate::openapi::BEARER]["scheme"], "bearer");
    assert_eq!(schemes[crate::openapi::SESSION]["type"], "apiKey");
    assert_eq!(schemes[crate::openapi::SESSION]["in"], "cookie");
    assert_eq!(
        schemes[crate::openapi::SESSION]["name"],
        auth::SESSION_COOKIE
    );

    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            found.push((method.clone(), path.clone()));
            let security = &op["security"];
            if PUBLIC.contains(&path.as_str()) {
                assert!(
                    security.is_null(),
                    "{method} {path} needs no log-in: {security}"
                );
            } else {
                let names: Vec<&str> = security
                    .as_array()
                    .unwrap_or_else(|| panic!("{method} {path} has no security"))
                    .iter()
                    .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
                    .collect();
                assert_eq!(
                    names,
                    [crate::openapi::BEARER, crate::openapi::SESSION],
                    "{method} {path}"
                );
                assert!(
                    op["responses"]["401"].is_object(),
                    "{method} {path} documents no 401"
                );
            }
            for status in op["responses"].as_object().unwrap().keys() {
                assert!(status.parse::<u16>().is_ok(), "{method} {path}: {status}");
            }
        }
    }
    let mut expected: Vec<(String, String)> = DOCUMENTED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn every_path_of_the_document_is_a_route() {
    let state = state();
    let doc = document(state.clone()).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // A made-up id: the route answers (a JSON 404 from the handler), the fallback does not.
        let uri = path.replace("{id}", "0123456789abcdef0123456789abcdef");
        for method in item.as_object().unwrap().keys() {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("host", "localhost")
                .header("content-type", "application/json");
            let (status, headers, body) = send(app(state.clone()), request).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            assert!(
                !body.starts_with("Not found: Rasd has no page"),
                "{method} {uri} is not a route: {status} {body}"
            );
            let documented = &doc["paths"][path][method]["responses"][status.as_str()];
            assert!(
                documented.is_object(),
                "{method} {uri} answered {status}, which the document does not give"
            );
            if status == StatusCode::NOT_FOUND {
                assert_eq!(
                    headers["content-type"], "application/json",
                    "{method} {uri}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_document_is_served_on_the_analysts_face_only() {
    let state = state();
    let allowed = AllowedHosts::new(
        &state.config.settings.server,
        SocketAddr::from(([127, 0, 0, 1], 8081)),
    );
    let (status, _, _) = send_anon(
        public_router(state, allowed),
        Request::get("/api/v1/openapi.json").header("host", "localhost"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The limits the document states are the code's.
#[tokio::test]
async fn the_documented_limits_and_ids_are_the_codes() {
    let doc = document(state()).await;
    let search = &doc["paths"]["/api/v1/search"]["get"]["parameters"];
    let param = |name: &str| {
        search
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))["schema"]
            .clone()
    };
    assert_eq!(param("size")["maximum"], MAX_PAGE_SIZE);
    assert_eq!(param("limit")["maximum"], MAX_PAGE_SIZE);
    assert_eq!(param("max")["maximum"], rasd_search::MAX_EXPORT);
    let input = &doc["components"]["schemas"]["SubmissionInput"]["properties"];
    assert_eq!(input["text"]["minLength"], report::MIN_TEXT);
    assert_eq!(input["text"]["maxLength"], report::MAX_TEXT);
    // The categories and governorates are the config's.
    assert_eq!(
        input["category"]["enum"],
        serde_json::json!(["other", "theft"])
    );
    assert_eq!(
        input["governorate"]["enum"],
        serde_json::json!(["", "zarqa", "amman"])
    );
    let unhealthy = doc["paths"]["/healthz"]["get"]["responses"]["503"]["description"]
        .as_str()
        .unwrap();
    assert!(unhealthy.contains(&HEALTHY_LAG.to_string()), "{unhealthy}");
}

/// The schema of the answer `method path` gives with `status` and `content_type`, with
/// references to components followed.
fn response_schema<'a>(
    doc: &'a Value,
    method: &str,
    path: &str,
    status: StatusCode,
    content_type: &str,
) -> &'a Value {
    let mut response = &doc["paths"][path][method]["responses"][status.as_str()];
    if let Some(r) = response["$ref"].as_str() {
        response = resolve(doc, r);
    }
    let media = content_type.split(';').next().unwrap().trim();
    let schema = &response["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path}: no schema for {status} {media}"
    );
    schema
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix('#').expect("a local reference");
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} is not in the document"))
}

/// The ways `value` breaks `schema`, in the part of JSON Schema this document uses for
/// answers: `$ref`, `type` (one or several), `enum`, `minimum`, `properties`, `required`,
/// `additionalProperties`, `items`, `allOf` and `oneOf` (not `pattern` or lengths).
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = schema["$ref"].as_str() {
        out.extend(violations(doc, resolve(doc, r), value, at));
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            out.extend(violations(doc, s, value, at));
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let matching = one
            .iter()
            .filter(|s| violations(doc, s, value, at).is_empty())
            .count();
        if matching != 1 {
            out.push(format!("{at}: {matching} of oneOf match {value}"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !fits {
            out.push(format!("{at}: {value} is not {types:?}"));
            return out;
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {values:?}"));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        out.push(format!("{at}: {n} < {min}"));
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                out.push(format!("{at}: {name} is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, v) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(s) => out.extend(violations(doc, s, v, &format!("{at}.{name}"))),
                None => {
                    if let Some(extra) = schema.get("additionalProperties")
                        && extra.is_object()
                    {
                        out.extend(violations(doc, extra, v, &format!("{at}.{name}")));
                    }
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            out.extend(violations(doc, items, v, &format!("{at}[{i}]")));
        }
    }
    out
}

/// Sends `request` (as the logged-in administrator unless `anon`) and checks the answer
/// against the document; returns the status and the body.
async fn conforms(
    doc: &Value,
    state: &AppState,
    (method, path): (&str, &str),
    request: axum::http::request::Builder,
    body: &str,
    anon: bool,
) -> (StatusCode, Value) {
    let request = request.header("host", "localhost");
    let request = if anon {
        request
    } else {
        request.header("cookie", format!("{}={TEST_TOKEN}", auth::SESSION_COOKIE))
    };
    let resp = app(state.clone())
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let schema = response_schema(doc, method, path, status, &content_type);
    let value = json(&text);
    let wrong = violations(doc, schema, &value, "$");
    assert!(
        wrong.is_empty(),
        "{method} {path} answered {status} {text}\nwhich breaks the document: {wrong:#?}"
    );
    (status, value)
}

#[tokio::test]
async fn the_apis_answers_have_the_documented_shapes() {
    let state = state();
    let doc = document(state.clone()).await;
    let search = ("get", "/api/v1/search");
    let (status, found) = conforms(
        &doc,
        &state,
        search,
        Request::get("/api/v1/search?q=%D8%B3%D8%B1%D9%82%D8%A9"),
        "",
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = found["hits"][0]["id"].as_str().unwrap().to_string();
    let bad = Request::get("/api/v1/search?sort=sideways");
    assert_eq!(
        conforms(&doc, &state, search, bad, "", false).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, _) = conforms(
        &doc,
        &state,
        search,
        Request::get("/api/v1/search"),
        "",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let item = ("get", "/api/v1/items/{id}");
    let (status, answer) = conforms(
        &doc,
        &state,
        item,
        Request::get(format!("/api/v1/items/{id}")),
        "",
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["item"]["id"], id.as_str());
    for (uri, expected) in [
        ("/api/v1/items/0123abcd", StatusCode::NOT_FOUND),
        ("/api/v1/items/not-hex!", StatusCode::BAD_REQUEST),
    ] {
        let got = conforms(&doc, &state, item, Request::get(uri), "", false).await;
        assert_eq!(got.0, expected, "{uri}");
    }

    let alerts = ("get", "/api/v1/alerts");
    let got = conforms(
        &doc,
        &state,
        alerts,
        Request::get("/api/v1/alerts"),
        "",
        false,
    )
    .await;
    assert_eq!(got.0, StatusCode::OK);
    let status = ("get", "/api/status");
    let got = conforms(&doc, &state, status, Request::get("/api/status"), "", false).await;
    assert_eq!(got.0, StatusCode::OK);
    let health = ("get", "/healthz");
    let got = conforms(&doc, &state, health, Request::get("/healthz"), "", true).await;
    assert_eq!(got.0, StatusCode::OK);
}

/// schemathesis found that a body that is not JSON gets a 400 without `problems`, which the
/// document had required.
#[tokio::test]
async fn a_submission_that_is_not_json_gets_the_documented_400() {
    let state = state_with("[server]\nform_per_minute = 100\n", "", Vec::new());
    let doc = document(state.clone()).await;
    let submissions = ("post", "/api/v1/submissions");
    let post = || Request::post("/api/v1/submissions").header("content-type", "application/json");
    let (status, answer) = conforms(&doc, &state, submissions, post(), "\0", true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.get("problems").is_none(), "{answer}");
    let (status, answer) = conforms(
        &doc,
        &state,
        submissions,
        post(),
        r#"{"category": "", "text": ""}"#,
        true,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["problems"][0]["field"], "category");
    let got = conforms(&doc, &state, submissions, post(), r#"{"text": 5}"#, true).await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY);
    let plain = Request::post("/api/v1/submissions").header("content-type", "text/plain");
    let got = conforms(&doc, &state, submissions, plain, "{}", true).await;
    assert_eq!(got.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let text = "سُرقت سيارتي من أمام المنزل في الزرقاء الليلة الماضية";
    let body = serde_json::json!({ "category": "theft", "governorate": "zarqa", "text": text });
    let (status, answer) =
        conforms(&doc, &state, submissions, post(), &body.to_string(), true).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(answer["reference"].is_string());
}

#[tokio::test]
async fn the_rate_limit_and_the_body_cap_answer_as_documented() {
    let state = state();
    let doc = document(state.clone()).await;
    let submissions = ("post", "/api/v1/submissions");
    let post = || Request::post("/api/v1/submissions").header("content-type", "application/json");
    let big = format!(r#"{{"text": "{}"}}"#, "x".repeat(report::MAX_BODY));
    let (status, _) = conforms(&doc, &state, submissions, post(), &big, true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let limit = state.config.settings.server.form_per_minute;
    for _ in 1..limit {
        conforms(&doc, &state, submissions, post(), "{}", true).await;
    }
    let (status, _) = conforms(&doc, &state, submissions, post(), "{}", true).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
