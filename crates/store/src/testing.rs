//! A throwaway PostgreSQL server for tests, started once per test process on a loopback
//! port and shared by every test of that process ([`pg_url`], [`require_pg`]).
//!
//! - `RASD_TEST_PG_URL`, when set, is used as is and nothing is started.
//! - Otherwise `initdb` and `postgres` are looked for on `PATH`, then in
//!   `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql`, highest version first).
//!   When they are missing the test is skipped with a `SKIPPED:` line, unless
//!   `RASD_REQUIRE_PG` is set (CI), which fails it instead.
//! - The cluster lives in a fresh folder under the temporary folder: `initdb` with the
//!   superuser `rasd` and trust authentication, then `postgres` listening on 127.0.0.1 only
//!   (its socket in that folder too), with durability off since the data is thrown away.
//!   As root, both run as the `postgres` system user through `runuser`.
//! - The server cannot outlive the test process although statics are never dropped: it is
//!   started by a small `sh` wrapper whose standard input is a pipe this process holds.
//!   When the pipe closes (the process ended, however it ended) the wrapper stops the
//!   server (fast shutdown) and removes the folder. The wrapper has its own process group,
//!   so a Ctrl-C at the terminal ends the tests, not the server under their feet.
//!
//! `scripts/pg-test-server.sh` starts the same kind of server by hand, for
//! `RASD_TEST_PG_URL` or benchmarks.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A server URL to use instead of starting one.
pub const URL_ENV: &str = "RASD_TEST_PG_URL";
/// When set, a missing PostgreSQL fails the tests instead of skipping them.
pub const REQUIRE_ENV: &str = "RASD_REQUIRE_PG";

/// How long the server has to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at a free port (another process may take the one chosen before the server).
const PORT_ATTEMPTS: usize = 3;

/// The URL of the PostgreSQL server for this test process, started on first use:
/// `postgres://rasd@127.0.0.1:PORT/postgres` (superuser `rasd`, trust authentication, the
/// default database), or `RASD_TEST_PG_URL` as is. `None` when PostgreSQL is not installed
/// (after printing a `SKIPPED:` line); panics instead when `RASD_REQUIRE_PG` is set, and
/// when a server was found but did not start (with the end of its log).
pub fn pg_url() -> Option<String> {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    match SHARED.get_or_init(Shared::init) {
        Shared::External(url) => Some(url.clone()),
        Shared::Started(server) => Some(server.url.clone()),
        Shared::Missing => {
            assert!(
                std::env::var_os(REQUIRE_ENV).is_none(),
                "PostgreSQL is missing (RASD_REQUIRE_PG is set): install Debian's postgresql, \
                 as .ci/run does"
            );
            eprintln!(
                "SKIPPED: this test needs PostgreSQL and initdb/postgres were not found \
                 (`apt-get install postgresql`; .ci/run installs it)"
            );
            None
        }
        Shared::Failed(why) => panic!("{why}"),
    }
}

/// [`pg_url`], naming the test in the `SKIPPED:` line when there is no PostgreSQL:
/// `let Some(url) = require_pg("store_roundtrip") else { return };`.
pub fn require_pg(test: &str) -> Option<String> {
    let url = pg_url();
    if url.is_none() {
        eprintln!(
            "SKIPPED: {test} needs PostgreSQL (`apt-get install postgresql`; .ci/run installs it)"
        );
    }
    url
}

/// What the first call of [`pg_url`] found, for every later call.
enum Shared {
    External(String),
    Started(Server),
    Missing,
    Failed(String),
}

impl Shared {
    fn init() -> Shared {
        if let Ok(url) = std::env::var(URL_ENV)
            && !url.is_empty()
        {
            return Shared::External(url);
        }
        let Some(bin) = find_bin_dir() else {
            return Shared::Missing;
        };
        match Server::start(&bin) {
            Ok(server) => Shared::Started(server),
            Err(why) => Shared::Failed(why),
        }
    }
}

/// A running server. Never dropped (it lives in a static): `stdin`, the wrapper's pipe,
/// closes when the process ends, and the wrapper then stops the server.
struct Server {
    url: String,
    _wrapper: Child,
    _stdin: ChildStdin,
}

/// The wrapper: runs the server (the arguments after the folder) in the background, waits
/// for its standard input to close, then stops the server (SIGINT: fast shutdown; SIGKILL
/// after 30 s) and removes the folder. The postmaster's pid is read from `postmaster.pid`
/// since, as root, the background job is `runuser`, not the server.
const WRAPPER: &str = r#"
dir=$1; shift
"$@" </dev/null >>"$dir/server.log" 2>&1 &
job=$!
read -r _ || :
n=0
while kill -0 "$job" 2>/dev/null; do
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
  if [ "$n" -lt 300 ]; then
    [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
  else
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    kill -KILL "$job" 2>/dev/null
  fi
  n=$((n + 1))
  sleep 0.1
done
wait "$job" 2>/dev/null
rm -rf "$dir"
"#;

impl Server {
    fn start(bin: &Path) -> Result<Server, String> {
        let as_postgres = is_root();
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let dir = fresh_dir()?;
            let data = dir.join("data");
            let prepared = if as_postgres {
                run(Command::new("chown").args(["-R", "postgres:"]).arg(&dir))
            } else {
                Ok(())
            }
            .and_then(|()| initdb(bin, &data, &dir, as_postgres));
            if let Err(e) = prepared {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
            let port = free_port()?;
            let mut cmd = Command::new("sh");
            cmd.args(["-c", WRAPPER, "rasd-pg-wrapper"]).arg(&dir);
            if as_postgres {
                cmd.args(["runuser", "-u", "postgres", "--"]);
            }
            cmd.arg(bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string()])
                .args(["-c", "listen_addresses=127.0.0.1", "-k"])
                .arg(&dir)
                .args([
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ])
                .current_dir(&dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            #[cfg(unix)]
            {
                use std::os::unix::process::CommandExt as _;
                cmd.process_group(0);
            }
            let mut wrapper = cmd
                .spawn()
                .map_err(|e| format!("PostgreSQL for tests: cannot run sh: {e}"))?;
            let stdin = wrapper.stdin.take().expect("piped stdin");
            let server = Server {
                url: format!("postgres://rasd@127.0.0.1:{port}/postgres"),
                _wrapper: wrapper,
                _stdin: stdin,
            };
            match wait_ready(bin, port, &dir) {
                Ok(()) => return Ok(server),
                Err(log) => {
                    // Dropping `server` closes the pipe: the wrapper stops what started and
                    // removes the folder.
                    drop(server);
                    let taken = log.contains("could not bind") || log.contains("in use");
                    last = format!(
                        "PostgreSQL for tests did not accept connections on 127.0.0.1:{port} \
                         within {}s; the end of its log:\n{log}",
                        READY_TIMEOUT.as_secs()
                    );
                    if !taken {
                        break;
                    }
                }
            }
        }
        Err(last)
    }
}

/// Waits until the server answers on `port`: a TCP connection, then `pg_isready` where it
/// is installed. On failure (time out, or the server gave up), the end of its log.
fn wait_ready(bin: &Path, port: u16, dir: &Path) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let isready = bin.join("pg_isready");
    let deadline = Instant::now() + READY_TIMEOUT;
    let log = dir.join("server.log");
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
            if !isready.exists() {
                return Ok(());
            }
            let ok = Command::new(&isready)
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string(), "-t", "2"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return Ok(());
            }
        }
        let text = read_log_tail(&log);
        // A postmaster that gave up (port taken, bad setting) writes FATAL and exits; the
        // FATAL of a connection tried too early is no such thing.
        let gave_up = text
            .lines()
            .any(|l| l.contains("FATAL") && !l.contains("starting up"));
        if gave_up || Instant::now() > deadline {
            return Err(text);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last 40 lines of the server's log (empty when there is none yet).
fn read_log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// `initdb` of a fresh cluster in `data`: superuser `rasd`, trust authentication, UTF-8,
/// locale C.UTF-8 (or no locale where C.UTF-8 is not available).
fn initdb(bin: &Path, data: &Path, dir: &Path, as_postgres: bool) -> Result<(), String> {
    let mut failures = Vec::new();
    for locale in ["--locale=C.UTF-8", "--no-locale"] {
        let mut cmd = user_command(bin.join("initdb"), as_postgres);
        cmd.arg("-D")
            .arg(data)
            .args(["-U", "rasd", "--auth=trust", "-E", "UTF8", locale])
            .current_dir(dir);
        match output(&mut cmd) {
            Ok(()) => return Ok(()),
            Err(e) => failures.push(e),
        }
        // A failed initdb removes the folder it created; make sure of it before the retry.
        let _ = std::fs::remove_dir_all(data);
    }
    let hint = if as_postgres {
        format!(
            " (as root it runs as the postgres user, who must be able to reach {})",
            dir.display()
        )
    } else {
        String::new()
    };
    Err(format!(
        "PostgreSQL for tests: initdb failed{hint}:\n{}",
        failures.join("\n")
    ))
}

/// A command for `program`, run as the `postgres` system user when `as_postgres`.
fn user_command(program: PathBuf, as_postgres: bool) -> Command {
    if as_postgres {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// Runs `cmd`; its output in the error when it fails.
fn output(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    output(cmd).map_err(|e| format!("PostgreSQL for tests: {e}"))
}

/// Whether this process runs as root (`id -u`), where initdb and postgres refuse to run.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A new, empty folder under the temporary folder.
fn fresh_dir() -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for n in 0..100u32 {
        let dir = base.join(format!("rasd-pg-{}-{nanos}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("PostgreSQL for tests: {}: {e}", dir.display())),
        }
    }
    Err(format!(
        "PostgreSQL for tests: no fresh folder in {}",
        base.display()
    ))
}

/// A free loopback port (bound, then released for the server to take).
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("PostgreSQL for tests: no free loopback port: {e}"))
}

/// The folder holding `initdb` and `postgres`: the first on `PATH` that has both, else the
/// highest version under `/usr/lib/postgresql`. Where those on `PATH` are links into the
/// installation's own folder, that folder (it also has `pg_isready` and `psql`).
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|d| has_both(d)));
    if let Some(d) = on_path {
        let real = std::fs::canonicalize(d.join("postgres"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|r| has_both(r));
        return Some(real.unwrap_or(d));
    }
    debian_bin_dirs().into_iter().find(|d| has_both(d))
}

/// `/usr/lib/postgresql/<version>/bin`, highest version first.
fn debian_bin_dirs() -> Vec<PathBuf> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let key: Option<Vec<u32>> = name.split('.').map(|p| p.parse().ok()).collect();
            Some((key?, e.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, d)| d).collect()
}

/// A PostgreSQL client program (`psql`, `pg_isready`): next to the server's, on `PATH`, or
/// in Debian's folders.
pub fn pg_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = find_bin_dir().into_iter().collect();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.extend(debian_bin_dirs());
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_server_accepts_connections_and_queries() {
        let Some(url) = require_pg("the_test_server_accepts_connections_and_queries") else {
            return;
        };
        // The same server for every call in this process.
        assert_eq!(pg_url().as_deref(), Some(url.as_str()));
        let host_port = url
            .strip_prefix("postgres://")
            .and_then(|r| r.split_once('@'))
            .and_then(|(_, r)| r.split_once('/'))
            .map(|(hp, _)| hp.to_string())
            .unwrap_or_else(|| panic!("unexpected URL {url}"));
        TcpStream::connect(&host_port).unwrap();

        let Some(psql) = pg_program("psql") else {
            eprintln!("psql is not installed: the query part of this test is skipped");
            return;
        };
        let out = Command::new(psql)
            .arg(&url)
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg("SELECT 1, 'رصد الأخبار', current_setting('server_encoding')")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "1|رصد الأخبار|UTF8"
        );
    }
}
