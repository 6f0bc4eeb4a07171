//! A throwaway Postgres cluster for tests and `make demo-hosted`: Debian's
//! own server binaries, a data directory under `target/pg/`, listening only
//! on 127.0.0.1, run as an unprivileged user.
//!
//! Postgres refuses to run as root, so when the tests run as root (as they
//! do on the CI machine) the cluster runs as Debian's `postgres` system user
//! (created by the `postgresql` package). The server is started with
//! `setpriv --pdeathsig`, so it shuts down (immediately, `SIGQUIT`) when the
//! process that started it ends, even when that process is killed; a data
//! directory whose owner process is gone is removed by the next start.
//!
//! Each test takes a fresh database of its own ([`Cluster::fresh_database`]);
//! one cluster per test process ([`shared`]) keeps start-up to once.

use anyhow::{bail, Context};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The role the cluster is created with (trust authentication: the cluster
/// listens on loopback only and lives for one test run).
pub const SUPERUSER: &str = "banter";
/// The system user the server runs as when the caller is root.
const RUN_AS: &str = "postgres";
/// How long a start may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Free-port picks that may collide with another process before giving up.
const PORT_ATTEMPTS: u32 = 5;
/// Tests open many pools at once; the default (100) is too few for the
/// concurrency tests.
const MAX_CONNECTIONS: u32 = 400;

/// A running cluster. Dropping it stops the server and removes its files.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    server: Mutex<Option<Child>>,
}

impl Cluster {
    /// Creates and starts a cluster in a new directory under `root`.
    pub fn start(root: &Path) -> anyhow::Result<Self> {
        let bin = bin_dir()?;
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        remove_orphans(root);
        let dir = root.join(format!("cluster-{}-{}", std::process::id(), next_serial()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let data = dir.join("data");
        std::fs::create_dir_all(&data)?;
        if running_as_root() {
            give_to_run_as(&data)?;
        }
        let initdb = as_cluster_user(&bin.join("initdb"))
            .args([
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ])
            .arg(format!("--username={SUPERUSER}"))
            .arg("-D")
            .arg(&data)
            .stdout(Stdio::null())
            .output()
            .context("running initdb (is Debian's `postgresql` package installed?)")?;
        if !initdb.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&initdb.stderr));
        }
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let cluster = Self {
                dir: dir.clone(),
                port,
                bin: bin.clone(),
                server: Mutex::new(None),
            };
            match cluster.launch(&data) {
                Ok(()) => return Ok(cluster),
                Err(e) => {
                    cluster.stop();
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("postgres did not start")))
    }

    fn launch(&self, data: &Path) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.dir.join("server.log"))?;
        let child = as_cluster_user(&self.bin.join("postgres"))
            .arg("-D")
            .arg(data)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", &format!("max_connections={MAX_CONNECTIONS}")])
            // Throwaway data: durability costs time and buys nothing here.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting postgres")?;
        *self.lock_server() = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.lock_server().as_mut().and_then(|c| c.try_wait().ok()?) {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                bail!("postgres exited at start ({status}): {log}");
            }
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .context("running pg_isready")?;
            if ready.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("postgres did not accept connections within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log (what `log_statement` writes to, for instance).
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The URL of database `name` as the superuser.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database with a name no other test uses; returns its URL.
    pub fn fresh_database(&self) -> anyhow::Result<String> {
        let name = format!("t{}_{}", std::process::id(), next_serial());
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
            ])
            .arg(&name)
            .output()
            .context("running createdb")?;
        if !out.status.success() {
            bail!(
                "createdb {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(self.url(&name))
    }

    /// Stops the server at once (in-flight transactions are lost, as in a crash).
    pub fn stop(&self) {
        if let Some(mut child) = self.lock_server().take() {
            let _ = Command::new("kill")
                .args(["-QUIT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    fn lock_server(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.server
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One cluster for the whole test process, started on first use under
/// `target/pg/`. It is never dropped (statics are not); `--pdeathsig` stops
/// the server when the process ends, and the next start removes its files.
pub fn shared() -> anyhow::Result<&'static Cluster> {
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            // The parent-death signal fires when the *thread* that started the
            // server ends, so start it from a thread that lives until exit.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("postgres-keeper".into())
                .spawn(move || {
                    let _ = tx.send(Cluster::start(&default_root()).map_err(|e| format!("{e:#}")));
                    loop {
                        std::thread::park();
                    }
                })
                .map_err(|e| e.to_string())?;
            rx.recv().map_err(|e| e.to_string())?
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("the test Postgres cluster: {e}"))
}

/// `$CARGO_TARGET_DIR/pg`, else the workspace's `target/pg`.
pub fn default_root() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../target"));
    target.join("pg")
}

/// Debian installs the server under `/usr/lib/postgresql/<major>/bin`, off
/// PATH; `BANTER_PG_BINDIR` overrides. The newest installed major wins.
fn bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("BANTER_PG_BINDIR") {
        return Ok(PathBuf::from(dir));
    }
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no /usr/lib/postgresql: install Debian's `postgresql` package (make test does)")?
        .filter_map(|e| {
            let e = e.ok()?;
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((major, bin))
        })
        .collect();
    majors.sort();
    majors
        .pop()
        .map(|(_, bin)| bin)
        .context("no Postgres server binaries under /usr/lib/postgresql/*/bin")
}

/// A command run as [`RUN_AS`] when we are root, and stopped with `SIGQUIT`
/// when the thread that started it ends.
fn as_cluster_user(program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    if running_as_root() {
        cmd.args([
            &format!("--reuid={RUN_AS}"),
            &format!("--regid={RUN_AS}"),
            "--clear-groups",
        ]);
    }
    cmd.args(["--pdeathsig", "QUIT", "--"]).arg(program);
    cmd
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn give_to_run_as(dir: &Path) -> anyhow::Result<()> {
    let status = Command::new("chown")
        .arg(format!("{RUN_AS}:{RUN_AS}"))
        .arg(dir)
        .status()
        .context("running chown")?;
    if !status.success() {
        bail!("cannot give {} to the `{RUN_AS}` user", dir.display());
    }
    Ok(())
}

/// Removes clusters whose owning process has ended (their server got the
/// parent-death signal and is gone or going).
fn remove_orphans(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("cluster-"))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn next_serial() -> u32 {
    static SERIAL: AtomicU32 = AtomicU32::new(0);
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_database_answers_queries_over_loopback() {
        let cluster = shared().unwrap();
        let url = cluster.fresh_database().unwrap();
        let out = Command::new(bin_dir().unwrap().join("psql"))
            .args([url.as_str(), "-XAtc", "SELECT current_user, 6 * 7"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{SUPERUSER}|42")
        );
        assert_ne!(url, cluster.fresh_database().unwrap());
    }
}
