//! A throwaway Secret Service (the freedesktop.org keyring API the `keyring`
//! crate speaks on Linux) for tests that need tokens to outlive one process,
//! such as the CLI signed in across invocations: a private D-Bus session bus
//! (`dbus-daemon`, see [`BUS_CONFIG`]) with `gnome-keyring-daemon` on it, its keyring
//! files in a temporary directory, unlocked with a throwaway password.
//!
//! Hand [`SecretService::address`] to child processes as
//! `DBUS_SESSION_BUS_ADDRESS`; nothing of the real user's keyring is used.
//! Both daemons are started with `setpriv --pdeathsig`, so they stop when
//! the thread that started them ends ([`shared`] starts them from a thread
//! that lives until the process exits).

use anyhow::{bail, Context};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the keyring may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The bus's configuration: a session bus on a socket in the test's
/// directory, open to its user, and with no service directories — the
/// system's would start a second, locked gnome-keyring on the first call
/// to `org.freedesktop.secrets` that comes before ours owns the name.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=SOCKET</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;
/// The name of a service's directory under the temporary directory, before
/// `<pid>-<serial>`.
const DIR_PREFIX: &str = "banter-secret-service-";
/// The keyring's password (it guards nothing but test tokens).
const PASSWORD: &str = "banter-test-keyring";

/// A running bus and keyring. Dropping it stops both and removes the files.
#[derive(Debug)]
pub struct SecretService {
    dir: PathBuf,
    address: String,
    bus: Child,
    keyring: Child,
}

impl SecretService {
    /// Starts a bus and an unlocked keyring on it.
    pub fn start() -> anyhow::Result<Self> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        remove_orphans();
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let config = dir.join("bus.conf");
        let socket = dir.join("bus");
        std::fs::write(
            &config,
            BUS_CONFIG.replace("SOCKET", &socket.to_string_lossy()),
        )?;
        let mut bus = Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--"])
            .arg("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--print-address=1", "--nofork", "--nopidfile"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting dbus-daemon (is Debian's `dbus` package installed?)")?;
        let mut address = String::new();
        let stdout = bus.stdout.take().context("dbus-daemon's stdout")?;
        BufReader::new(stdout)
            .read_line(&mut address)
            .context("reading the bus address")?;
        let address = address.trim().to_string();
        if address.is_empty() {
            let _ = bus.kill();
            bail!("dbus-daemon printed no address");
        }
        let home = dir.join("keyring");
        let started = start_keyring(&home, &address)
            .and_then(|keyring| wait_until_ready(&address, &home, keyring));
        match started {
            Ok(keyring) => Ok(Self {
                dir,
                address,
                bus,
                keyring,
            }),
            Err(e) => {
                let _ = bus.kill();
                let _ = bus.wait();
                Err(e)
            }
        }
    }

    /// The bus address to pass as `DBUS_SESSION_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The secret of the item with these attributes (`secret-tool lookup`),
    /// `None` when there is none: how a test looks into the keyring.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> anyhow::Result<Option<String>> {
        let mut cmd = Command::new("secret-tool");
        cmd.arg("lookup");
        for (name, value) in attributes {
            cmd.args([name, value]);
        }
        let out = cmd
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
            .output()
            .context("running secret-tool (is `libsecret-tools` installed?)")?;
        if !out.status.success() || out.stdout.is_empty() {
            return Ok(None);
        }
        Ok(Some(String::from_utf8(out.stdout)?))
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts gnome-keyring on the bus at `address`, its files under `home`,
/// unlocking (creating) its login keyring with [`PASSWORD`].
fn start_keyring(home: &Path, address: &str) -> anyhow::Result<Child> {
    for sub in ["home", "data", "run"] {
        std::fs::create_dir_all(home.join(sub))
            .with_context(|| format!("creating {}", home.display()))?;
    }
    set_private(&home.join("run"))?;
    let log = std::fs::File::create(home.join("keyring.log"))?;
    let mut keyring = Command::new("setpriv")
        .args(["--pdeathsig", "KILL", "--"])
        .args([
            "gnome-keyring-daemon",
            "--unlock",
            "--components=secrets",
            "--foreground",
        ])
        .env("HOME", home.join("home"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdin(Stdio::piped())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting gnome-keyring-daemon (is `gnome-keyring` installed?)")?;
    if let Some(mut stdin) = keyring.stdin.take() {
        // Written and closed: the daemon reads the password to its end.
        stdin.write_all(PASSWORD.as_bytes())?;
    }
    Ok(keyring)
}

/// Waits until the keyring answers on the bus with a default collection;
/// a keyring that does not is stopped.
fn wait_until_ready(address: &str, home: &Path, mut keyring: Child) -> anyhow::Result<Child> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let reply = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                "string:default",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .stderr(Stdio::null())
            .output()
            .context("running dbus-send")?;
        if reply.status.success() && String::from_utf8_lossy(&reply.stdout).contains("/collection/")
        {
            return Ok(keyring);
        }
        if Instant::now() >= deadline {
            let _ = keyring.kill();
            let _ = keyring.wait();
            let log = std::fs::read_to_string(home.join("keyring.log")).unwrap_or_default();
            bail!(
                "the keyring did not come up on the test bus within {START_TIMEOUT:?} ({}): {log}",
                String::from_utf8_lossy(&reply.stdout).trim()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One Secret Service for the whole test process, started on first use.
pub fn shared() -> anyhow::Result<&'static SecretService> {
    static SHARED: OnceLock<Result<SecretService, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            // The parent-death signal fires when the *thread* that started
            // the daemons ends, so start them from one that lives until exit.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("secret-service-keeper".into())
                .spawn(move || {
                    let _ = tx.send(SecretService::start().map_err(|e| format!("{e:#}")));
                    loop {
                        std::thread::park();
                    }
                })
                .map_err(|e| e.to_string())?;
            rx.recv().map_err(|e| e.to_string())?
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("the test Secret Service: {e}"))
}

/// Removes the directories of services whose test process is gone (the
/// shared one is never dropped; its daemons die with the process).
fn remove_orphans() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn set_private(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

#[cfg(not(unix))]
fn set_private(_: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}
