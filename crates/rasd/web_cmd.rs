//! The web beside the pipeline: both faces started for `rasd run`, `rasd demo` and
//! `rasd serve` (the web without fetching), and `rasd users` (accounts and API keys from the
//! command line).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use rasd_core::Config;
use rasd_store::Store;
use rasd_web::auth;

use crate::daemon::{Shutdown, shutdown_signal};
use crate::pipeline::{Pipeline, nudge};

/// The servers started by [`start`].
#[derive(Debug)]
pub struct Web {
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Web {
    /// Waits for the servers to finish (after shutdown).
    pub async fn finish(self) -> anyhow::Result<()> {
        for s in self.servers {
            s.await
                .context("web server task failed")?
                .context("web server failed")?;
        }
        Ok(())
    }
}

async fn bind(addr: &str, what: &str, key: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for {what}: change {key} in rasd.toml (or the command's address option)"))
}

/// Binds and serves the analysts' face (`addr`, else `[server] listen`) and the public
/// form (`public`, else `[server] public_listen`, when set) until `shutdown`.
pub async fn start(
    p: &Pipeline,
    addr: Option<&str>,
    public: Option<&str>,
    shutdown: &Shutdown,
) -> anyhow::Result<Web> {
    let listener = match addr {
        Some(a) => bind(a, "the web UI", "--addr").await?,
        None => {
            bind(
                &p.config.settings.server.listen,
                "the web UI",
                "[server] listen",
            )
            .await?
        }
    };
    start_on(p, listener, public, shutdown).await
}

/// [`start`] on a listener already bound.
pub async fn start_on(
    p: &Pipeline,
    listener: tokio::net::TcpListener,
    public: Option<&str>,
    shutdown: &Shutdown,
) -> anyhow::Result<Web> {
    let mut state = rasd_web::AppState::new(
        p.store.clone(),
        p.index.clone(),
        p.config.clone(),
        p.enricher.clone(),
    );
    state.changed = p.stored_elsewhere.clone();
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "Web UI listening (log-in required).");
    rasd_web::warn_if_exposed(local);
    let mut servers = vec![tokio::spawn(rasd_web::serve(
        listener,
        state.clone(),
        shutdown.clone().wait(),
    ))];
    let public = public
        .map(str::to_string)
        .or_else(|| p.config.settings.server.public_listen.clone());
    if let Some(public) = public {
        let listener = bind(&public, "the public form", "[server] public_listen").await?;
        let local = listener.local_addr()?;
        tracing::info!(address = %local, "Public form listening (/report and POST /api/v1/submissions only).");
        servers.push(tokio::spawn(rasd_web::serve_public(
            listener,
            state.clone(),
            shutdown.clone().wait(),
        )));
    }
    match p.store.users() {
        Ok(users) if users.iter().all(|u| u.disabled) => tracing::warn!(
            "No one can log in to the web UI yet: add an administrator with `rasd users add NAME --role admin`."
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "Cannot read the users."),
    }
    Ok(Web { servers })
}

/// `rasd serve`: the web (both faces) over the data folder, without fetching; what the
/// form stores is tagged, indexed and read by the alert rules, and the outbox sends.
pub async fn serve(
    config: Arc<Config>,
    dir: &Path,
    addr: Option<&str>,
    public: Option<&str>,
) -> anyhow::Result<()> {
    let mut pipeline = Pipeline::open(config, dir)?;
    // On a shared (PostgreSQL) store this machine is a web node: its index follows the
    // store; stories, alert rules and the outbox are one process worker's (docs/scaling.md).
    pipeline.index_only = pipeline.store.url().is_some();
    if pipeline.index_only {
        tracing::info!(
            "Shared store: this web node keeps its own index; stories, alert rules and mail \
             are left to the process worker (rasd run --role process, or one rasd run)."
        );
    }
    let (stop_tx, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("Shutdown requested.");
        let _ = stop_tx.send(true);
    });
    let web = start(&pipeline, addr, public, &shutdown).await?;
    let (tx, stages) = pipeline.start_stages()?;
    let outbox = (!pipeline.index_only).then(|| {
        tokio::spawn(crate::alerts_cmd::outbox_loop(
            pipeline.clone(),
            shutdown.clone(),
        ))
    });
    follow_web(&pipeline, tx, shutdown.clone()).await;
    let _ = stages.await;
    if let Some(Err(e)) = match outbox {
        Some(o) => Some(o.await),
        None => None,
    } {
        tracing::error!(error = %e, "Outbox task failed.");
    }
    web.finish().await?;
    tracing::info!("Stopped.");
    Ok(())
}

/// How often, at most, the stages bring the index, stories and alert rules up to what the
/// web stored: submissions arriving together are indexed together, and a steady stream of
/// them costs one index commit per pause, not one each.
pub const FOLLOW_PAUSE: Duration = Duration::from_millis(250);

/// How often a machine on a shared PostgreSQL store brings its own search index (its
/// replica), stories and rules up to the store's change sequence: a search on any machine
/// sees what any machine stored within about this, plus the time the follow takes.
pub const REPLICA_EVERY: Duration = Duration::from_secs(1);

/// Until `shutdown`: each time the web stores something, sends the stages a [`nudge`]
/// through `tx`, then pauses [`FOLLOW_PAUSE`] (what is stored meanwhile waits for the next
/// nudge). Returns when shutdown is asked or the stages are gone, dropping `tx`.
pub async fn follow_web(
    p: &Pipeline,
    tx: tokio::sync::mpsc::Sender<rasd_sources::SourceOutcome>,
    shutdown: Shutdown,
) {
    let stop = shutdown.wait();
    tokio::pin!(stop);
    // On a shared (PostgreSQL) store, other machines write too: this machine's index,
    // stories and rules follow it every REPLICA_EVERY even when nothing is stored here.
    let shared = p.store.url().is_some();
    let mut tick = tokio::time::interval(REPLICA_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick(), if shared => {
                if tx.send(nudge()).await.is_err() {
                    return;
                }
            }
            () = p.stored_elsewhere.notified() => {
                if tx.send(nudge()).await.is_err() {
                    tracing::error!("The pipeline's stages stopped; what the web stores is indexed at the next start.");
                    return;
                }
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(FOLLOW_PAUSE) => {}
        }
    }
}

/// Reads a password from standard input: without echo on a terminal (asked twice), else
/// the first line.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    let ask = |p: &str| -> anyhow::Result<String> {
        eprint!("{p}");
        std::io::stderr().flush()?;
        let fd = std::io::stdin();
        let before = rustix::termios::tcgetattr(&fd).ok();
        if let Some(t) = &before {
            let mut quiet = t.clone();
            quiet.local_modes -= rustix::termios::LocalModes::ECHO;
            let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &quiet);
        }
        let mut line = String::new();
        let read = fd.lock().read_line(&mut line);
        if let Some(t) = &before {
            let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, t);
        }
        eprintln!();
        read.context("cannot read the password")?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    };
    let first = ask(prompt)?;
    let again = ask("Again: ")?;
    if first != again {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// What `rasd users` does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum UsersAction {
    /// Add a user; the password is read from standard input (asked twice, hidden, on a
    /// terminal).
    Add {
        /// The log-in name (letters, digits, '.', '_' or '-').
        name: String,
        /// admin, analyst, media or leadership.
        #[arg(long)]
        role: String,
    },
    /// List the users with their role, state, last log-in and live keys.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they cannot log in, and their sessions and keys stop working.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
    /// Set a new password (read from standard input); ends the user's sessions and clears
    /// a lock-out.
    Reset { name: String },
    /// Change a user's role.
    Role { name: String, role: String },
    /// Make an API key for a user; it is printed once.
    Key {
        name: String,
        /// What the key is for.
        #[arg(long, default_value = "command line")]
        label: String,
    },
    /// Revoke an API key by its id (as `rasd users list --json` shows).
    RevokeKey { id: String },
}

fn check_role(role: &str) -> anyhow::Result<()> {
    if auth::Role::parse(role).is_none() {
        anyhow::bail!("unknown role {role:?}: use {}", auth::ROLE_NAMES.join(", "));
    }
    Ok(())
}

/// Runs `rasd users …` on the store in `dir`; every change is in the audit log (actor
/// `cli`).
pub fn users(dir: &Path, action: &UsersAction) -> anyhow::Result<()> {
    let store = crate::open_store(dir)
        .with_context(|| format!("cannot open the store in {}", dir.display()))?;
    let now = Utc::now();
    let audit = |what: &str, target: &str, detail: &str| {
        store
            .audit("cli", what, target, detail, "", now)
            .context("cannot write the audit log")
    };
    match action {
        UsersAction::Add { name, role } => {
            rasd_web::account::check_user_name(name).map_err(anyhow::Error::msg)?;
            check_role(role)?;
            let password = read_password("Password: ")?;
            auth::check_password(&password).map_err(anyhow::Error::msg)?;
            store.add_user(name, role, &auth::hash_password(&password)?, now)?;
            audit("user_added", name, &format!("role {role}"))?;
            println!("added {name} ({role})");
        }
        UsersAction::List { json } => {
            let users = store.users()?;
            let keys = store.api_keys(None)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "users": users, "keys": keys })
                    )?
                );
            } else if users.is_empty() {
                println!("no users yet: add one with `rasd users add NAME --role admin`");
            } else {
                for u in &users {
                    let live = keys
                        .iter()
                        .filter(|k| k.user == u.name && k.revoked.is_none())
                        .count();
                    println!(
                        "{}\t{}\t{}\tlast log-in {}\t{} keys",
                        u.name,
                        u.role,
                        if u.disabled { "disabled" } else { "active" },
                        u.last_login.map_or("never".into(), |t| t.to_rfc3339()),
                        live
                    );
                }
            }
        }
        UsersAction::Disable { name } => {
            store.set_user_disabled(name, true)?;
            audit("user_disabled", name, "")?;
            println!("disabled {name}");
        }
        UsersAction::Enable { name } => {
            store.set_user_disabled(name, false)?;
            audit("user_enabled", name, "")?;
            println!("enabled {name}");
        }
        UsersAction::Reset { name } => {
            if store.user(name)?.is_none() {
                anyhow::bail!("there is no user named {name:?}; `rasd users list` shows them");
            }
            let password = read_password("New password: ")?;
            auth::check_password(&password).map_err(anyhow::Error::msg)?;
            store.set_password(name, &auth::hash_password(&password)?, now)?;
            audit("password_set", name, "")?;
            println!("new password set for {name}; their sessions ended");
        }
        UsersAction::Role { name, role } => {
            check_role(role)?;
            store.set_role(name, role)?;
            audit("role_changed", name, &format!("role {role}"))?;
            println!("{name} is now {role}");
        }
        UsersAction::Key { name, label } => {
            let (id, key) = auth::new_api_key();
            store.add_api_key(&id, &auth::secret_hash(&key), name, label, now)?;
            audit("api_key_created", &id, label)?;
            eprintln!("API key {id} for {name} (shown once; send it as Authorization: Bearer …):");
            println!("{key}");
        }
        UsersAction::RevokeKey { id } => {
            if !store.revoke_api_key(id, now)? {
                anyhow::bail!("there is no live key {id:?}; `rasd users list --json` lists them");
            }
            audit("api_key_revoked", id, "")?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

/// The demo's administrator: `demo` with a new random password each run (printed by the
/// demo), created when missing.
pub fn demo_user(store: &Store) -> anyhow::Result<(String, String)> {
    let password = auth::new_secret().chars().take(16).collect::<String>();
    let hash = auth::hash_password(&password)?;
    let now = Utc::now();
    if store.user("demo")?.is_some() {
        store.set_password("demo", &hash, now)?;
        store.set_user_disabled("demo", false)?;
    } else {
        store.add_user("demo", "admin", &hash, now)?;
    }
    Ok(("demo".into(), password))
}
