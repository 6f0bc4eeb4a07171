//! Streaming benchmarks, figures in docs/benchmarks.md:
//! 1. per-chunk overhead from the socket to the core's event at 200 chunks/s
//!    (p50/p99), for the provider's parsed event and the engine's batched
//!    `reply_delta` (measured from the chunk that completed the batch);
//! 2. time to the last token through the whole engine (saving included) vs
//!    a bare reqwest SSE read of the same mock stream, as a ratio;
//! 3. bytes written to the database per byte of reply, for a reply of more
//!    than 20,000 tokens (`/proc/self/io`, with the mock in a child process
//!    so its socket writes are not counted).
//!
//! Run: `cargo bench -p banter-core --bench streaming`.

use anyhow::Context as _;
use banter_core::chat::SendRequest;
use banter_core::clock::SystemClock;
use banter_core::events::DomainEvent;
use banter_core::ids::RecordRef;
use banter_core::providers::{
    self, AzureConfig, ChatRequest, ModelFamily, OpenAiCompatConfig, PromptMessage, PromptRole,
    ProviderConfig, ProviderEvent, Secret,
};
use banter_core::Core;
use futures_util::StreamExt;
use sqlx::ConnectOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHUNKS: usize = 400;
const PACE: Duration = Duration::from_millis(5); // 200 chunks/s

fn main() -> anyhow::Result<()> {
    if std::env::var_os("BANTER_BENCH_MOCK").is_some() {
        return serve_mock();
    }
    // `cargo bench` passes `--bench`; nothing else to parse.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    // BANTER_BENCH_ONLY=bytes runs just the bytes-written measure.
    let only_bytes = std::env::var("BANTER_BENCH_ONLY").is_ok_and(|v| v == "bytes");
    rt.block_on(async {
        if !only_bytes {
            chunk_overhead().await;
        }
        let mock = MockProcess::start()?;
        if !only_bytes {
            time_to_last_token(&mock.url).await;
        }
        bytes_per_reply_byte(&mock.url).await;
        Ok(())
    })
}

/// Child-process mode: run the mock and print its URL.
fn serve_mock() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the mock child's tokio runtime")?;
    rt.block_on(async {
        let config = banter_mocks::MockConfig {
            slow_ms: PACE.as_millis() as u64,
            ..Default::default()
        };
        let server = banter_mocks::start(config)
            .await
            .context("starting the mock model on 127.0.0.1")?;
        println!("listening on {}", server.base_url());
        let _ = std::io::stdout().flush();
        // Serve until the parent closes our stdin.
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
        Ok(())
    })
}

struct MockProcess {
    child: std::process::Child,
    url: String,
}

impl MockProcess {
    /// Runs this bench binary again in mock mode and reads the URL it prints.
    fn start() -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding this bench's own path")?;
        let mut child = Command::new(&exe)
            .env("BANTER_BENCH_MOCK", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("spawning {} as the mock", exe.display()))?;
        let stdout = child
            .stdout
            .take()
            .context("the mock child has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the mock child's `listening on` line")?;
        let url = line.trim().trim_start_matches("listening on ").to_string();
        Ok(Self { child, url })
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A one-connection-at-a-time SSE server that paces `CHUNKS` text chunks
/// (`w0 `, `w1 `, …) and records when each was written.
fn paced_server(written: Arc<Mutex<Vec<Instant>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
            );
            written.lock().expect("lock").clear();
            for i in 0..CHUNKS {
                std::thread::sleep(PACE);
                let chunk =
                    format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"w{i} \"}}}}]}}\n\n");
                written.lock().expect("lock").push(Instant::now());
                if stream.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
            }
            let _ = stream.write_all(b"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        }
    });
    url
}

fn index_of(text: &str) -> Option<usize> {
    text.split_whitespace()
        .last()?
        .strip_prefix('w')?
        .parse()
        .ok()
}

async fn chunk_overhead() {
    let written = Arc::new(Mutex::new(Vec::new()));
    let url = paced_server(written.clone());
    let config = ProviderConfig::OpenAiCompatible(OpenAiCompatConfig {
        base_url: url,
        model: "bench".into(),
        streams: true,
        vision: false,
    });
    let provider = providers::build(&config, None).expect("provider");

    // Provider level: every parsed text event.
    let request = ChatRequest {
        messages: vec![PromptMessage {
            role: PromptRole::User,
            content: "go".into(),
            images: Vec::new(),
        }],
        max_completion_tokens: None,
        response_format: None,
        reasoning_effort: None,
    };
    let mut stream = provider.stream_chat(request).await.expect("stream");
    let mut parsed = Vec::new();
    while let Some(Ok(event)) = stream.next().await {
        if let ProviderEvent::Delta(text) = event {
            let at = Instant::now();
            if let Some(i) = index_of(&text) {
                parsed.push(at - written.lock().expect("lock")[i]);
            }
        }
    }
    parsed.sort();

    // Engine level: each batched reply_delta, from the chunk that closed it.
    let dir = tempfile::tempdir().expect("dir");
    let core = Core::open_file(&dir.path().join("bench.db"), Arc::new(SystemClock))
        .await
        .expect("core");
    core.chat_engine().set_provider(Some(provider));
    let session = core.chat().create_session(None).await.expect("session");
    let mut events = core.events().subscribe();
    let send = core.chat_engine().send(SendRequest {
        session: Some(RecordRef::Id(session.id)),
        content: "go".into(),
        include_context: false,
        idempotency_key: None,
        edit_of: None,
        attachments: Vec::new(),
    });
    tokio::pin!(send);
    let mut batched = Vec::new();
    loop {
        tokio::select! {
            done = &mut send => { done.expect("send"); break; }
            event = events.recv() => if let Ok(DomainEvent::ReplyDelta { delta, .. }) = event {
                let at = Instant::now();
                if let Some(i) = index_of(&delta) {
                    batched.push(at - written.lock().expect("lock")[i]);
                }
            }
        }
    }
    batched.sort();
    println!("chunk overhead at 200 chunks/s ({} chunks):", parsed.len());
    println!(
        "  socket → provider event: p50 {:?}  p99 {:?}",
        percentile(&parsed, 0.5),
        percentile(&parsed, 0.99)
    );
    println!(
        "  socket → reply_delta (batch saved + announced, {} batches): p50 {:?}  p99 {:?}",
        batched.len(),
        percentile(&batched, 0.5),
        percentile(&batched, 0.99)
    );
}

fn azure(url: &str, deployment: &str) -> ProviderConfig {
    ProviderConfig::Azure(AzureConfig {
        endpoint: url.to_string(),
        deployment: deployment.into(),
        api_version: Some("2025-04-01-preview".into()),
        family: ModelFamily::OSeries,
        streams: true,
        reasoning_effort: None,
        max_completion_tokens: None,
        vision: false,
    })
}

async fn bare_read(url: &str, content: &str) -> Duration {
    let client = reqwest::Client::new();
    let start = Instant::now();
    let body = serde_json::json!({
        "messages": [{"role": "user", "content": content}],
        "stream": true, "stream_options": {"include_usage": true}
    });
    let response = client
        .post(format!(
            "{url}/openai/deployments/o3-mini-slow/chat/completions?api-version=2025-04-01-preview"
        ))
        .header("api-key", "test-key")
        .json(&body)
        .send()
        .await
        .expect("send");
    let mut bytes = response.bytes_stream();
    let mut tail = Vec::new();
    while let Some(Ok(piece)) = bytes.next().await {
        tail.extend_from_slice(&piece);
        if tail.windows(12).any(|w| w == b"data: [DONE]") {
            break;
        }
        let keep = tail.len().saturating_sub(16);
        tail.drain(..keep);
    }
    start.elapsed()
}

async fn time_to_last_token(url: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let core = Core::open_file(&dir.path().join("bench.db"), Arc::new(SystemClock))
        .await
        .expect("core");
    core.ledger()
        .credit_purchase(core.user_id(), 1_000_000, "bench", None)
        .await
        .expect("fund");
    let provider = providers::build(&azure(url, "o3-mini-slow"), Some(Secret::new("test-key")))
        .expect("provider");
    core.chat_engine().set_provider(Some(provider));
    let content = format!("[[words:{CHUNKS}]]");
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let bare = bare_read(url, &content).await;
        let session = core.chat().create_session(None).await.expect("session");
        let start = Instant::now();
        core.chat_engine()
            .send(SendRequest {
                session: Some(RecordRef::Id(session.id)),
                content: content.clone(),
                include_context: false,
                idempotency_key: None,
                edit_of: None,
                attachments: Vec::new(),
            })
            .await
            .expect("send");
        let through = start.elapsed();
        println!("  bare reqwest {bare:?}  through the core {through:?}");
        ratios.push(through.as_secs_f64() / bare.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "time to last token, core / bare (median of 3, {CHUNKS} chunks at 200/s): {:.3}",
        ratios[1]
    );
}

fn bytes_written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("wchar:").and_then(|v| v.trim().parse().ok()))
        })
        .unwrap_or(0)
}

/// What one send wrote, in bytes.
struct SendWrites {
    /// The reply's journal: every batch appended once (the reply's bytes).
    journal: u64,
    /// WAL frames committed by the send (spend, user message, reply row,
    /// finish), from the WAL's growth after a truncating checkpoint.
    wal: u64,
    /// What the checkpoint at close copied into `bench.db`: at most the WAL.
    checkpoint: u64,
    /// All `write` syscalls of this process (`/proc/self/io` wchar), which
    /// also counts the async runtime's 8-byte eventfd wake-ups.
    wchar: u64,
    reply_bytes: u64,
    reply_tokens: i64,
}

impl SendWrites {
    fn per_byte(&self, bytes: u64) -> f64 {
        bytes as f64 / self.reply_bytes as f64
    }
}

/// One send of `words` words on a fresh profile, with everything before it
/// (migrations, profile) checkpointed away so only the send is counted.
async fn bytes_for_send(url: &str, words: u32) -> SendWrites {
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("bench.db");
    let wal_path = dir.path().join("bench.db-wal");
    let core = Core::open_file(&db_path, Arc::new(SystemClock))
        .await
        .expect("core");
    let provider =
        providers::build(&azure(url, "o3-mini"), Some(Secret::new("test-key"))).expect("provider");
    core.chat_engine().set_provider(Some(provider));
    let session = core.chat().create_session(None).await.expect("session");
    let mut raw = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db_path)
        .connect()
        .await
        .expect("a second connection");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut raw)
        .await
        .expect("checkpoint");
    drop(raw);
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    assert_eq!(size(&wal_path), 0, "the WAL starts empty");
    let db_before = size(&db_path);
    let before = bytes_written();
    let outcome = core
        .chat_engine()
        .send(SendRequest {
            session: Some(RecordRef::Id(session.id)),
            content: format!("[[words:{words}]]"),
            include_context: false,
            idempotency_key: None,
            edit_of: None,
            attachments: Vec::new(),
        })
        .await
        .expect("send");
    let wal = size(&wal_path);
    core.close().await;
    let wchar = bytes_written() - before;
    let reply = &outcome.reply.content;
    // The checkpoint writes each page in the WAL once; pages past the old
    // end of the file are the file's growth, the rest overwrite in place.
    let frames = wal.saturating_sub(32) / (4096 + 24);
    let checkpoint = (frames * 4096).max(size(&db_path) - db_before);
    SendWrites {
        journal: reply.len() as u64,
        wal,
        checkpoint,
        wchar,
        reply_bytes: reply.len() as u64,
        reply_tokens: banter_core::tokens::count(reply),
    }
}

async fn bytes_per_reply_byte(url: &str) {
    for words in [1, 8000] {
        let w = bytes_for_send(url, words).await;
        println!(
            "reply of {} bytes / {} tokens: journal {} ({:.2}/byte) + WAL {} ({:.2}/byte) = {:.2} per reply byte; \
             with the checkpoint copy {} ({:.2}/byte): {:.2}; wchar {} ({:.2}/byte)",
            w.reply_bytes,
            w.reply_tokens,
            w.journal,
            w.per_byte(w.journal),
            w.wal,
            w.per_byte(w.wal),
            w.per_byte(w.journal + w.wal),
            w.checkpoint,
            w.per_byte(w.checkpoint),
            w.per_byte(w.journal + w.wal + w.checkpoint),
            w.wchar,
            w.per_byte(w.wchar),
        );
    }
}
