//! Text output is inert: a model reply (and stored titles and names) full of
//! terminal escapes — OSC 0 (window title), OSC 52 (clipboard), CSI 2J
//! (clear screen), BEL and the C1 CSI — reaches stdout with every control
//! shown as a visible `\x1b`-style escape, from `chat` (streamed in pieces
//! cut inside the sequences) and from `sessions show`/`list` and
//! `projects list`. `--json` keeps the exact text, escaped by JSON.

use crate::common;

use banter_mocks::reply::HOSTILE_REPLY;
use common::{json, mock, ok, run_cli};

/// The bytes a terminal would act on: ESC, BEL and the C1 CSI (U+009B is
/// `C2 9B` in UTF-8, so the byte 0x9B appears either way). The test text
/// holds no character whose UTF-8 contains these bytes legitimately.
const RAW_CONTROL_BYTES: [u8; 3] = [0x1b, 0x07, 0x9b];

/// `HOSTILE_REPLY` as the text output shows it.
const SHOWN_REPLY: &str = "Title: \\x1b]0;pwned title\\x07 clipboard: \\x1b]52;c;ZWNobyBwd25lZA==\\x07 clear: \\x1b[2J bell: \\x07 c1: \\x9b31m red. Kept: 🎉 日本語 שלום.";

/// A user message that tries the same through the session title.
const HOSTILE_MESSAGE: &str = "hi \u{1b}]0;title\u{7}\u{1b}[2J there";

#[track_caller]
fn assert_inert(stdout: &[u8]) {
    let text = String::from_utf8_lossy(stdout);
    for byte in RAW_CONTROL_BYTES {
        assert!(
            !stdout.contains(&byte),
            "raw 0x{byte:02x} in the output: {text:?}"
        );
    }
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "a control character in the output: {text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_and_sessions_show_print_a_hostile_reply_inert() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock().await;
    let d = dir.path();

    let chat = run_cli(d, &mock, "o3-mini-hostile", &["chat", HOSTILE_MESSAGE]).await;
    let stdout = ok(&chat);
    assert_inert(stdout);
    assert_eq!(String::from_utf8_lossy(stdout), format!("{SHOWN_REPLY}\n"));
    // The reply really was hostile on the wire, in pieces cut mid-sequence.
    assert!(HOSTILE_REPLY.contains("\u{1b}]52;c;"));
    assert_inert(&chat.stderr);

    let show = run_cli(d, &mock, "o3-mini", &["sessions", "show", "CH-000001"]).await;
    let stdout = ok(&show);
    assert_inert(stdout);
    let shown = String::from_utf8_lossy(stdout);
    assert!(shown.contains(&format!("  {SHOWN_REPLY}\n")), "{shown}");
    assert!(
        shown.contains("hi \\x1b]0;title\\x07\\x1b[2J there"),
        "{shown}"
    );

    let list = run_cli(d, &mock, "o3-mini", &["sessions", "list"]).await;
    assert_inert(ok(&list));
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("\\x1b]0;title\\x07"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_keeps_the_exact_text() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock().await;
    let d = dir.path();

    let chat = run_cli(
        d,
        &mock,
        "o3-mini-hostile",
        &["--json", "chat", HOSTILE_MESSAGE],
    )
    .await;
    let stdout = ok(&chat);
    // JSON escapes the controls, so even the raw bytes are inert…
    assert!(
        !stdout.contains(&0x1b) && !stdout.contains(&0x07),
        "{stdout:?}"
    );
    assert!(String::from_utf8_lossy(stdout).contains("\\u001b]52;c;"));
    // …and decoding gives back exactly what the model sent.
    assert_eq!(json(stdout)["reply"], HOSTILE_REPLY);

    let show = run_cli(d, &mock, "o3-mini", &["--json", "sessions", "show", "1"]).await;
    let view = json(ok(&show));
    assert_eq!(view["session"]["title"], HOSTILE_MESSAGE);
    assert_eq!(view["messages"][0]["content"], HOSTILE_MESSAGE);
    assert_eq!(view["messages"][1]["content"], HOSTILE_REPLY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_names_are_listed_inert() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock().await;
    let d = dir.path();
    let name = "Evil \u{1b}]52;c;aGk=\u{7} \u{9b}2J \u{202e}txt.exe";
    ok(&run_cli(d, &mock, "o3-mini", &["projects", "new", name]).await);
    ok(&run_cli(d, &mock, "o3-mini", &["tasks", "add", "PR-000001", name]).await);

    for args in [
        &["projects", "list"][..],
        &["projects", "show", "PR-000001"],
        &["tasks", "list"],
    ] {
        let out = run_cli(d, &mock, "o3-mini", args).await;
        let stdout = ok(&out);
        assert_inert(stdout);
        let text = String::from_utf8_lossy(stdout);
        assert!(
            text.contains("Evil \\x1b]52;c;aGk=\\x07 \\x9b2J \\u{202e}txt.exe"),
            "{args:?}: {text}"
        );
    }
}
