//! The public form's bodies must never panic, whatever the bytes: a `POST /report` body
//! (urlencoded, through axum's `Form` extractor into the form's fields) and a
//! `POST /api/v1/submissions` body (through axum's `Json` extractor), each then validated
//! against the shipped config/ as the handlers do.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use rasd_core::Config;
use rasd_web::report::{FormFields, SubmissionInput, validate};

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")).unwrap()
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static R: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    R.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

fn request(path: &str, content_type: &str, data: &[u8]) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(data.to_vec()))
        .unwrap()
}

fuzz_target!(|data: &[u8]| {
    let config = config();
    runtime().block_on(async {
        let form = request("/report", "application/x-www-form-urlencoded", data);
        if let Ok(axum::Form(fields)) = axum::Form::<FormFields>::from_request(form, &()).await {
            let _ = validate(config, &fields.input);
        }
        let json = request("/api/v1/submissions", "application/json", data);
        if let Ok(axum::Json(input)) = axum::Json::<SubmissionInput>::from_request(json, &()).await
        {
            let _ = validate(config, &input);
        }
    });
});
