//! Hosted sends, figures in docs/benchmarks.md:
//! 1. **Throughput**: two server instances on one Postgres (a throwaway
//!    cluster of Debian's package), `CLIENTS` concurrent clients, each its
//!    own account with the free grant, sending until the server refuses for
//!    credits. Sends per second, and proof of zero overdrafts: every account
//!    ends at the remainder and its ledger verifies. Also the CPU time one
//!    send costs Postgres and this process (both instances, the clients and
//!    the mock), which other load on the machine disturbs less than the
//!    rate does.
//! 2. **Time the server adds before the first token**: one client, sends in
//!    turn; request → first `reply_delta` through the server, against
//!    request → first text chunk from the same mock called directly by a
//!    bare client (the floor), measured alternately in the same run.
//! 3. **Change feed propagation**: a device subscribed to its account's
//!    change stream on one instance, renames through the other one in turn;
//!    request → the `changed` event, and → the pull that returns the change.
//! 4. **A new device's first pull**: an account with
//!    [`FIRST_PULL_MESSAGES`] messages (written with the core's own
//!    statements, no model); the whole feed pulled in pages of 1,000: time
//!    and bytes on the wire.
//!
//! The mock provider answers at once, so what is measured is the server.
//! Run: `cargo bench -p banter-server --bench hosted`.
//!
//! With `BANTER_BENCH_STATEMENTS=1` it runs neither, and lists instead the
//! statements one send runs on Postgres, as the server's log shows them
//! (`log_statement = all` for the bench's database).

use anyhow::{bail, Context as _};
use banter_core::account::ClientCredentials;
use banter_core::clock::{SharedClock, SystemClock};
use banter_core::db::postgres::PgStore;
use banter_core::ledger::Action;
use banter_core::providers::{self, AzureConfig, ModelFamily, ProviderConfig, Secret};
use banter_mocks::azure::{self, MockConfig};
use banter_server::accounts::{self, Identity};
use banter_server::auth::sign_in::SignInProvider;
use banter_server::state::AppState;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{json, Value};
use sqlx::{Connection as _, Executor as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Concurrent clients (one account each) in the throughput run.
const CLIENTS: usize = 32;
/// Postgres connections per instance: the server's default
/// (`BANTER_BENCH_POOL` overrides it).
const POOL: u32 = banter_server::config::DEFAULT_MAX_CONNECTIONS;
/// Sends in turn for the latency run (each side).
const LATENCY_SENDS: usize = 300;
/// Renames in turn for the propagation run.
const PROPAGATION_CHANGES: usize = 300;
/// Messages of the account a new device pulls (in sessions of
/// [`FIRST_PULL_PER_SESSION`]).
const FIRST_PULL_MESSAGES: usize = 10_000;
const FIRST_PULL_PER_SESSION: usize = 100;
const DEPLOYMENT: &str = "o3-mini";
const API_VERSION: &str = "2025-04-01-preview";

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    rt.block_on(async {
        let mock = azure::start(MockConfig {
            slow_ms: 0,
            ..MockConfig::default()
        })
        .await?;
        let database = banter_mocks::postgres::shared()?.fresh_database()?;
        if std::env::var_os("BANTER_BENCH_STATEMENTS").is_some() {
            return statements(&database, &mock.base_url()).await;
        }
        let a = instance(&database, "a", &mock.base_url()).await?;
        let b = instance(&database, "b", &mock.base_url()).await?;
        throughput(&a, &b, 0, "cold").await?;
        throughput(&a, &b, CLIENTS, "warm").await?;
        latency(&a, &mock.base_url()).await?;
        propagation(&a, &b).await?;
        first_pull(&a, &b).await?;
        Ok(())
    })
}

/// A running instance: its URL and state.
struct Instance {
    url: String,
    state: AppState,
}

async fn instance(database: &str, name: &str, mock_url: &str) -> anyhow::Result<Instance> {
    let pool = match std::env::var("BANTER_BENCH_POOL") {
        Ok(n) => n.parse().context("BANTER_BENCH_POOL is a number")?,
        Err(_) => POOL,
    };
    let store = PgStore::connect_lazy(database, pool)?;
    store.migrate().await?;
    let clock: SharedClock = Arc::new(SystemClock);
    // Nobody signs in through a provider here (accounts are made directly).
    let sign_in = SignInProvider::new(
        "http://127.0.0.1:9".into(),
        ClientCredentials {
            client_id: "banter".into(),
            client_secret: None,
        },
    );
    let config = ProviderConfig::Azure(AzureConfig {
        endpoint: mock_url.to_string(),
        deployment: DEPLOYMENT.into(),
        api_version: Some(API_VERSION.into()),
        family: ModelFamily::OSeries,
        streams: true,
        reasoning_effort: None,
        max_completion_tokens: None,
        vision: false,
    });
    let model = providers::build(&config, Some(Secret::new("test-key")))?;
    let state =
        AppState::new(store, clock.clone(), format!("bench-{name}"), sign_in).with_model(model);
    banter_server::instances::beat(state.store.pool(), &state.instance, clock.now()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let serving = state.clone();
    tokio::spawn(async move {
        let _ = banter_server::serve(serving, listener, std::future::pending()).await;
    });
    Ok(Instance { url, state })
}

async fn account(state: &AppState, n: usize) -> anyhow::Result<(String, String)> {
    let identity = Identity {
        issuer: "http://127.0.0.1/bench".into(),
        subject: format!("client-{n}"),
        email: None,
        name: None,
    };
    let signed = accounts::sign_in(state, &identity, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("sign-in: {e:?}"))?;
    Ok((signed.user_id, signed.tokens.access_token))
}

/// How one send ended.
enum Ended {
    Answered,
    NoCredits,
}

/// One send; returns how it ended and the time to its first text.
async fn send(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    content: &str,
) -> anyhow::Result<(Ended, Option<Duration>)> {
    let started = Instant::now();
    let resp = http
        .post(format!("{base}/v1/chat/send"))
        .bearer_auth(token)
        .json(&json!({"content": content}))
        .send()
        .await?;
    if resp.status() == reqwest::StatusCode::PAYMENT_REQUIRED {
        return Ok((Ended::NoCredits, None));
    }
    if !resp.status().is_success() {
        bail!("send refused: {} {}", resp.status(), resp.text().await?);
    }
    let mut events = resp.bytes_stream().eventsource();
    let mut first = None;
    while let Some(event) = events.next().await {
        let event = event?;
        let data: Value = serde_json::from_str(&event.data)?;
        match event.event.as_str() {
            "reply" if data["type"] == "reply_delta" && first.is_none() => {
                first = Some(started.elapsed());
            }
            "outcome" => return Ok((Ended::Answered, first)),
            "error" => bail!("send failed: {data}"),
            _ => {}
        }
    }
    bail!("the stream ended without an outcome")
}

async fn throughput(
    a: &Instance,
    b: &Instance,
    first_account: usize,
    label: &str,
) -> anyhow::Result<()> {
    let cost = Action::ChatMessage.cost();
    let mut clients = Vec::new();
    for n in first_account..first_account + CLIENTS {
        clients.push(account(&a.state, n).await?);
    }
    let start_balance = a.state.ledger.balance(&clients[0].0).await?.remaining;
    let http = reqwest::Client::new();
    let port = banter_mocks::postgres::shared()?.port();
    let cpu_before = Cpu::now(port);
    let started = Instant::now();
    let runs = clients.iter().enumerate().map(|(n, (_, token))| {
        let (http, token) = (http.clone(), token.clone());
        let base = if n % 2 == 0 {
            a.url.clone()
        } else {
            b.url.clone()
        };
        tokio::spawn(async move {
            let mut answered = 0_i64;
            loop {
                match send(&http, &base, &token, "Hello there").await? {
                    (Ended::Answered, _) => answered += 1,
                    (Ended::NoCredits, _) => return anyhow::Ok(answered),
                }
            }
        })
    });
    let mut total = 0;
    for run in futures_util::future::join_all(runs).await {
        total += run??;
    }
    let elapsed = started.elapsed();
    let cpu = Cpu::now(port).since(&cpu_before);
    let mut overdrafts = 0;
    for (user, _) in &clients {
        let balance = a.state.ledger.balance(user).await?;
        if balance.remaining != start_balance % cost {
            overdrafts += 1;
        }
        a.state.ledger.verify(user).await?;
    }
    let expected = CLIENTS as i64 * (start_balance / cost);
    println!(
        "throughput ({label}): {CLIENTS} clients on 2 instances, {total} sends (expected {expected}) in {:.2} s = {:.0} sends/s; accounts not at the remainder: {overdrafts}; every ledger verifies",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let per_send = |ns: u64| ns as f64 / 1e6 / total.max(1) as f64;
    println!(
        "cpu per send: Postgres {:.3} ms, this process {:.3} ms",
        per_send(cpu.postgres),
        per_send(cpu.this_process)
    );
    if total != expected || overdrafts != 0 {
        bail!("the ledger does not add up");
    }
    Ok(())
}

/// Request → first text chunk, calling the mock directly.
async fn direct_first_token(http: &reqwest::Client, mock_url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let resp = http
        .post(format!(
            "{mock_url}/openai/deployments/{DEPLOYMENT}/chat/completions?api-version={API_VERSION}"
        ))
        .header("api-key", "test-key")
        .json(&json!({
            "messages": [{"role": "user", "content": "Hello there"}],
            "stream": true,
        }))
        .send()
        .await?;
    let mut events = resp.bytes_stream().eventsource();
    while let Some(event) = events.next().await {
        let event = event?;
        if event.data == "[DONE]" {
            break;
        }
        let data: Value = serde_json::from_str(&event.data)?;
        if data["choices"][0]["delta"]["content"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
        {
            return Ok(started.elapsed());
        }
    }
    bail!("the mock sent no text")
}

async fn latency(a: &Instance, mock_url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut direct = Vec::new();
    let mut served = Vec::new();
    let mut account_n = 2 * CLIENTS;
    let (mut token, mut left) = (String::new(), 0);
    for _ in 0..LATENCY_SENDS {
        if left == 0 {
            // A fresh account whenever the last one's credits run out.
            token = account(&a.state, account_n).await?.1;
            account_n += 1;
            left = 100 / Action::ChatMessage.cost();
        }
        direct.push(direct_first_token(&http, mock_url).await?);
        match send(&http, &a.url, &token, "Hello there").await? {
            (Ended::Answered, Some(first)) => served.push(first),
            _ => bail!("a latency send was not answered with text"),
        }
        left -= 1;
    }
    let (d50, d99) = percentiles(&mut direct);
    let (s50, s99) = percentiles(&mut served);
    println!(
        "first token, {LATENCY_SENDS} sends each: direct p50 {:.2} ms p99 {:.2} ms; through the server p50 {:.2} ms p99 {:.2} ms; added p50 {:.2} ms p99 {:.2} ms",
        ms(d50),
        ms(d99),
        ms(s50),
        ms(s99),
        ms(s50.saturating_sub(d50)),
        ms(s99.saturating_sub(d99))
    );
    Ok(())
}

/// Renames a session through `a` while a device follows the account's
/// change stream on `b`: how long until the stream says so, and until the
/// device's pull has the change.
async fn propagation(a: &Instance, b: &Instance) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let token = account(&a.state, 4 * CLIENTS).await?.1;
    let session: Value = http
        .post(format!("{}/v1/sessions", a.url))
        .bearer_auth(&token)
        .json(&json!({"title": "followed"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let path = format!("{}/v1/sessions/{}", a.url, session["id"]);
    let stream = http
        .get(format!("{}/v1/changes/stream", b.url))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let mut events = stream.bytes_stream().eventsource();
    // The stream's first event: the account's position now.
    let mut cursor = changed_position(&mut events).await?;
    let (mut woken, mut pulled) = (Vec::new(), Vec::new());
    for n in 0..PROPAGATION_CHANGES {
        let started = Instant::now();
        http.patch(&path)
            .bearer_auth(&token)
            .json(&json!({"title": format!("take {n}")}))
            .send()
            .await?
            .error_for_status()?;
        loop {
            if changed_position(&mut events).await? > cursor {
                break;
            }
        }
        woken.push(started.elapsed());
        let page: Value = http
            .get(format!("{}/v1/changes?after={cursor}", b.url))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if page["changes"][0]["record"]["title"] != json!(format!("take {n}")) {
            bail!("the pull did not return the rename: {page}");
        }
        pulled.push(started.elapsed());
        cursor = page["cursor"].as_i64().context("a cursor")?;
    }
    let (w50, w99) = percentiles(&mut woken);
    let (p50, p99) = percentiles(&mut pulled);
    println!(
        "change feed, {PROPAGATION_CHANGES} renames through one instance, followed on the other: stream woken p50 {:.2} ms p99 {:.2} ms; change pulled p50 {:.2} ms p99 {:.2} ms",
        ms(w50),
        ms(w99),
        ms(p50),
        ms(p99)
    );
    Ok(())
}

/// An account with [`FIRST_PULL_MESSAGES`] messages, pulled whole through
/// `b` by a new device.
async fn first_pull(a: &Instance, b: &Instance) -> anyhow::Result<()> {
    use banter_core::chat::rows::ChatRows;
    use banter_core::chat::{MessageStatus, NewMessage, Role};
    let (user_id, token) = account(&a.state, 4 * CLIENTS + 1).await?;
    let caller = banter_server::auth::Caller {
        user_id: user_id.clone(),
        device_id: "bench".into(),
    };
    let chat = banter_server::routes::sessions::chat_for(&a.state, &caller);
    let text = "A message of ordinary length, about as long as a question to a model usually is.";
    for s in 0..FIRST_PULL_MESSAGES / FIRST_PULL_PER_SESSION {
        let session = chat.create_session(Some(&format!("Session {s}"))).await?;
        let mut tx = a.state.store.pool().begin().await?;
        let mut parent = None;
        for m in 0..FIRST_PULL_PER_SESSION {
            let message = NewMessage {
                session_id: session.id,
                parent_id: parent,
                role: if m.is_multiple_of(2) {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: text,
                status: MessageStatus::Complete,
                credits_used: 0,
                tokens: None,
                spend_id: None,
                at: a.state.clock.now(),
            };
            parent = Some(tx.insert_message(&user_id, message, None).await?.id);
        }
        tx.commit().await?;
    }
    let http = reqwest::Client::new();
    let started = Instant::now();
    let (mut cursor, mut changes, mut pages, mut bytes) = (0_i64, 0_usize, 0, 0_usize);
    loop {
        let body = http
            .get(format!("{}/v1/changes?after={cursor}&limit=1000", b.url))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        bytes += body.len();
        pages += 1;
        let page: Value = serde_json::from_slice(&body)?;
        changes += page["changes"].as_array().map_or(0, Vec::len);
        cursor = page["cursor"].as_i64().context("a cursor")?;
        if page["more"] != json!(true) {
            break;
        }
    }
    let took = started.elapsed();
    let expected = FIRST_PULL_MESSAGES + FIRST_PULL_MESSAGES / FIRST_PULL_PER_SESSION + 1;
    if changes != expected {
        bail!("the first pull had {changes} changes, not {expected}");
    }
    println!(
        "first pull: {changes} changes ({FIRST_PULL_MESSAGES} messages, their sessions, the grant) in {pages} pages of 1,000: {:.0} ms, {:.1} MB of JSON",
        ms(took),
        bytes as f64 / 1e6
    );
    Ok(())
}

/// The position of the next `changed` event of a change stream.
async fn changed_position<S, E>(events: &mut S) -> anyhow::Result<i64>
where
    S: futures_util::Stream<Item = Result<eventsource_stream::Event, E>> + Unpin,
    E: std::error::Error + Send + Sync + 'static,
{
    loop {
        let event = events.next().await.context("the change stream ended")??;
        if event.event == "changed" {
            let data: Value = serde_json::from_str(&event.data)?;
            return data["position"].as_i64().context("a position");
        }
    }
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The statements of one send (a new session, as in the runs), from the
/// Postgres log between two markers. A warm-up send of another account
/// opens the pool's connections first, so what is listed is the steady
/// state; every statement a connection runs is logged (`execute …` for
/// prepared ones, `statement: …` for simple ones such as `BEGIN`).
async fn statements(database: &str, mock_url: &str) -> anyhow::Result<()> {
    const BEGINS: &str = "banter-bench: one send begins";
    const ENDS: &str = "banter-bench: one send ended";
    let mut admin = sqlx::PgConnection::connect(database).await?;
    // Every connection opened from now on logs its statements.
    admin
        .execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET log_statement = ''all''', \
             current_database()); END $$",
        )
        .await?;
    admin.execute("SET log_statement = 'all'").await?;
    let a = instance(database, "a", mock_url).await?;
    let (_, warm) = account(&a.state, 0).await?;
    let (_, token) = account(&a.state, 1).await?;
    let http = reqwest::Client::new();
    send(&http, &a.url, &warm, "Hello there").await?;
    admin.execute(&*format!("SELECT '{BEGINS}'")).await?;
    send(&http, &a.url, &token, "Hello there").await?;
    admin.execute(&*format!("SELECT '{ENDS}'")).await?;
    admin.close().await?;
    let log = std::fs::read_to_string(banter_mocks::postgres::shared()?.log_file())?;
    let listed = statements_between(&log, BEGINS, ENDS);
    for (n, statement) in listed.iter().enumerate() {
        println!("{:>3}. {statement}", n + 1);
    }
    println!("one send: {} statements", listed.len());
    Ok(())
}

/// The statements logged between the markers `begins` and `ends`, each on
/// one line (whitespace folded). A log entry starts with its timestamp;
/// lines after it (a statement's further lines) belong to it.
fn statements_between(log: &str, begins: &str, ends: &str) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    for line in log.lines() {
        let starts_entry = line.len() > 4 && line.as_bytes()[..4].iter().all(u8::is_ascii_digit);
        match entries.last_mut() {
            Some(entry) if !starts_entry => {
                entry.push(' ');
                entry.push_str(line.trim());
            }
            _ => entries.push(line.to_string()),
        }
    }
    let mut inside = false;
    let mut listed = Vec::new();
    for entry in entries {
        if entry.contains(begins) {
            inside = true;
        } else if entry.contains(ends) {
            break;
        } else if inside {
            let statement = entry
                .split_once("LOG:  statement: ")
                .or_else(|| entry.split_once("LOG:  execute "))
                .map(|(_, s)| s.split_whitespace().collect::<Vec<_>>().join(" "));
            listed.extend(statement);
        }
    }
    listed
}

/// CPU time used so far, in nanoseconds (from `/proc/…/schedstat`).
struct Cpu {
    /// The cluster's server: the postmaster listening on the port, and its
    /// children (the backends, the writers).
    postgres: u64,
    /// Every thread of this process.
    this_process: u64,
}

impl Cpu {
    fn now(port: u16) -> Self {
        let this_process = std::fs::read_dir("/proc/self/task")
            .map(|tasks| {
                tasks
                    .flatten()
                    .map(|task| on_cpu(&task.path().join("schedstat")))
                    .sum()
            })
            .unwrap_or(0);
        let processes: Vec<(u32, u32)> = std::fs::read_dir("/proc")
            .map(|all| {
                all.flatten()
                    .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
                    .filter_map(|pid| Some((pid, postgres_parent(pid)?)))
                    .collect()
            })
            .unwrap_or_default();
        let listens_on_port = |pid: u32| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|line| {
                let args: Vec<&[u8]> = line.split(|b| *b == 0).collect();
                args.windows(2)
                    .any(|w| w[0] == b"-p" && w[1] == port.to_string().as_bytes())
            })
        };
        let postmaster = processes
            .iter()
            .map(|(pid, _)| *pid)
            .find(|pid| listens_on_port(*pid));
        let postgres = processes
            .iter()
            .filter(|(pid, parent)| Some(*pid) == postmaster || Some(*parent) == postmaster)
            .map(|(pid, _)| on_cpu(std::path::Path::new(&format!("/proc/{pid}/schedstat"))))
            .sum();
        Self {
            postgres,
            this_process,
        }
    }

    fn since(&self, before: &Self) -> Self {
        Self {
            postgres: self.postgres.saturating_sub(before.postgres),
            this_process: self.this_process.saturating_sub(before.this_process),
        }
    }
}

/// The parent of `pid` when it is a `postgres` process.
fn postgres_parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    if !head.ends_with("(postgres") {
        return None;
    }
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The time a task has run on a CPU (the first field of its `schedstat`).
fn on_cpu(schedstat: &std::path::Path) -> u64 {
    std::fs::read_to_string(schedstat)
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
