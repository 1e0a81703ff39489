//! A real SMTP server for tests: `scripts/smtp-sink.py` (aiosmtpd) on a loopback port,
//! writing what it receives into a folder. Shared by the outbox tests and the end-to-end
//! replay tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The Python that has aiosmtpd, if any. Where `RASD_REQUIRE_SMTP` is set (CI), a missing
/// one fails the test instead of skipping it.
pub fn python_with_aiosmtpd() -> Option<&'static str> {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(py);
        }
    }
    assert!(
        std::env::var_os("RASD_REQUIRE_SMTP").is_none(),
        "python3-aiosmtpd is missing (RASD_REQUIRE_SMTP is set): install it, as .ci/run does"
    );
    eprintln!(
        "SKIPPED: this test needs a real SMTP server and python3-aiosmtpd is not installed \
         (`apt-get install python3-aiosmtpd`; .ci/run installs it)"
    );
    None
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The SMTP server, stopped when dropped.
pub struct Smtp {
    child: Child,
    dir: PathBuf,
}

impl Smtp {
    pub fn start(py: &str, port: u16, dir: &Path, auth: Option<&str>) -> Smtp {
        // The workspace's scripts/ folder, from whichever package's tests include this.
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|d| d.join("scripts/smtp-sink.py"))
            .find(|p| p.exists())
            .expect("scripts/smtp-sink.py in the workspace");
        let mut cmd = Command::new(py);
        cmd.arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(a) = auth {
            cmd.args(["--auth", a]);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        let out = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        Smtp {
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// Every message received: (envelope, raw message), oldest first.
    pub fn received(&self) -> Vec<(serde_json::Value, String)> {
        received(&self.dir)
    }
}

pub fn received(dir: &Path) -> Vec<(serde_json::Value, String)> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let raw = std::fs::read_to_string(dir.join(n)).unwrap();
            let env = std::fs::read_to_string(dir.join(n.replace(".eml", ".json"))).unwrap();
            (serde_json::from_str(&env).unwrap(), raw)
        })
        .collect()
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
