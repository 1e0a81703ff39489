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

/// Runs `rasd ARGS`, which must fail; returns its standard error.
pub fn rasd_refused(args: &[&str]) -> String {
    let out = rasd().args(args).output().expect("rasd runs");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "rasd {args:?} should have failed:\n{err}"
    );
    err
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

/// A small xorshift generator for the crash trials' random moments (no crate needed).
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    /// A moment within `window`, as a fraction of it: a seed replays the same fractions
    /// even when the window measured again comes out a little different.
    pub fn moment(&mut self, window: std::time::Duration) -> std::time::Duration {
        window.mul_f64(self.below(10_000) as f64 / 10_000.0)
    }
}

/// The crash trials' count (`RASD_CRASH_TRIALS`, 3 unless set) and seed (`RASD_CRASH_SEED`,
/// the clock unless set), printed with `what` so a run can be replayed.
pub fn crash_trials(what: &str) -> (usize, u64) {
    let trials: usize = std::env::var("RASD_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("RASD_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("{what}: {trials} trials, RASD_CRASH_SEED={seed}");
    (trials, seed)
}

/// `rasd status --json`, parsed.
pub fn status_json(cfg: &str, data: &str) -> serde_json::Value {
    let out = rasd_ok(&["--config", cfg, "--data-dir", data, "status", "--json"]);
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// `rasd verify` must succeed (the store and the index hold the same ids, each once) and
/// report `items` items in the store.
pub fn assert_verified(cfg: &str, data: &str, items: u64, context: &str) {
    let out = rasd()
        .args(["--config", cfg, "--data-dir", data, "verify"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success() && text.contains(&format!("store: {items} items")),
        "{context}: rasd verify: {text}{}",
        stderr(&out)
    );
}

/// Why [`http_exchange`] got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    /// No connection, or the request could not be written: the server never had it.
    NotSent,
    /// The request was written and no complete answer came back (the connection was cut).
    Cut,
}

/// One HTTP/1.1 exchange on a new connection (`Connection: close`): the status and body of
/// a complete answer, or why there was none.
pub fn http_exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, String), Unanswered> {
    let mut s = std::net::TcpStream::connect(addr).map_err(|_| Unanswered::NotSent)?;
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .map_err(|_| Unanswered::NotSent)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|_| Unanswered::Cut)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or(Unanswered::Cut)?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(Unanswered::Cut)?;
    // A complete answer: its whole body, by Content-Length.
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(body.len());
    if body.len() < length {
        return Err(Unanswered::Cut);
    }
    Ok((status, body.to_string()))
}

/// A `rasd` process (`rasd serve` in the crash trials) with its log in a file; killed with
/// SIGKILL when dropped, unless stopped before.
pub struct Daemon {
    pub child: std::process::Child,
    pub log: PathBuf,
}

impl Daemon {
    /// Spawns `rasd ARGS` with `env`, its standard error into `log`.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], log: &Path) -> Daemon {
        let child = rasd()
            .args(args)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        Daemon {
            child,
            log: log.to_path_buf(),
        }
    }

    /// Waits (at most 60 s) until `GET /healthz` on `addr` answers 200.
    pub fn wait_healthy(&mut self, addr: SocketAddr) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !http_exchange(addr, "GET", "/healthz", &[], b"").is_ok_and(|(s, _)| s == 200) {
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "rasd exited: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            assert!(
                std::time::Instant::now() < deadline,
                "rasd did not answer within 60 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// SIGKILL, and waits for the process to end.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM; waits for a clean exit (at most 60 s, then SIGKILL and a failed assertion).
    pub fn stop(&mut self) {
        // Only a child still running: the pid of one already reaped may be another
        // process's by now.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "rasd stopped with {status}: {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
                return;
            }
            if std::time::Instant::now() > deadline {
                self.kill();
                panic!("rasd did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// The store of a data folder, opened read-only (beside a running rasd, too).
pub fn store_read_only(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data.join("rasd.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap()
}

/// The store's change number and the ones the story assigner and the alert rules have read
/// (`meta` keys `seq`, `stories_seq`, `alerts_seq`): equal when both followed every change.
pub fn followers(data: &Path) -> (i64, i64, i64) {
    try_followers(data).expect("a store with change numbers")
}

/// [`followers`], or `None` for a folder without a store or whose store has no change
/// numbers yet (a process killed before its first commit).
pub fn try_followers(data: &Path) -> Option<(i64, i64, i64)> {
    if !data.join("rasd.sqlite").exists() {
        return None;
    }
    let db = store_read_only(data);
    let get = |k: &str| -> Option<i64> {
        db.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
            .ok()
    };
    Some((get("seq")?, get("stories_seq")?, get("alerts_seq")?))
}
