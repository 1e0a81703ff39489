//! Helpers shared by the end-to-end tests.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's shipped config folder.
pub fn shipped_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// A `rasd` command with logs kept quiet unless the test asks.
pub fn rasd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rasd"));
    c.env("RUST_LOG", "warn");
    c
}

/// Runs `rasd ARGS`, returning the output; panics with both streams when it fails.
pub fn rasd_ok(args: &[&str]) -> Output {
    let out = rasd().args(args).output().expect("rasd runs");
    assert!(
        out.status.success(),
        "rasd {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copies the five files of a config folder into `to`.
pub fn copy_config(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in [
        "rasd.toml",
        "sources.toml",
        "topics.toml",
        "places.toml",
        "alerts.toml",
    ] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

/// A response of [`serve`]: status, content type, body.
pub type Route = (u16, &'static str, Vec<u8>);

/// A loopback HTTP server on a thread, answering each path with its fixed response (404 for
/// others), until the test process ends.
pub fn serve(routes: HashMap<&'static str, Route>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, ctype, body) = routes.get(path.as_str()).cloned().unwrap_or((
                404,
                "text/plain",
                b"not found".to_vec(),
            ));
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    addr
}

/// `rasd --config CFG --data-dir DATA search --json -- QUERY`, parsed.
pub fn search_json(config: &str, data: &str, query: &str) -> serde_json::Value {
    let out = rasd_ok(&[
        "--config",
        config,
        "--data-dir",
        data,
        "search",
        "--json",
        "--",
        query,
    ]);
    serde_json::from_str(&stdout(&out)).expect("search --json prints JSON")
}

/// A data folder in `tmp` with `lines` (the import format) imported through `rasd import
/// items` with the shipped config: the config folder and the data folder, as strings.
pub fn imported(tmp: &Path, lines: &str) -> (String, String) {
    let file = tmp.join("items.jsonl");
    std::fs::write(&file, lines).unwrap();
    let config = shipped_config().to_str().unwrap().to_string();
    let data = tmp.join("data").to_str().unwrap().to_string();
    rasd_ok(&[
        "--config",
        &config,
        "--data-dir",
        &data,
        "import",
        "items",
        file.to_str().unwrap(),
    ]);
    (config, data)
}

/// Adds a web user with `rasd users add NAME --role ROLE`, the password on standard input.
pub fn add_user(cfg: &str, data: &str, name: &str, role: &str, password: &str) {
    use std::io::Write as _;
    let mut add = rasd()
        .args([
            "--config",
            cfg,
            "--data-dir",
            data,
            "users",
            "add",
            name,
            "--role",
            role,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
