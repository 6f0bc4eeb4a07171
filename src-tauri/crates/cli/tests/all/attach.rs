//! `banter-cli chat --attach FILE` (repeatable) as real processes against
//! the mock Azure server: a text file and an image reach the model in one
//! request (the image as an `image_url` part) for one paid action; an image
//! for a deployment not marked vision-capable, a binary file and a missing
//! file are refused with their codes before anything is charged or sent.

use crate::common;

use banter_core::ErrorCode;
use banter_mocks::MockServer;
use common::{cli, run};
use serde_json::Value;
use std::path::Path;

/// The smallest valid PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

async fn credits(dir: &Path, mock: &MockServer) -> Value {
    let mut cmd = cli(dir, mock, "gpt-4o");
    cmd.args(["--json", "credits"]);
    common::json(&run(cmd).await.stdout)["remaining"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_sends_a_file_and_an_image_for_one_paid_action() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let code = files.path().join("lib.rs");
    std::fs::write(&code, "pub fn answer() -> u8 { 42 }\n").unwrap();
    let image = files.path().join("shot.png");
    std::fs::write(&image, PNG).unwrap();
    let mock = common::mock().await;

    let mut cmd = cli(dir.path(), &mock, "gpt-4o");
    cmd.env("BANTER_AZURE_MODEL_FAMILY", "gpt")
        .env("BANTER_AZURE_VISION", "true")
        .args(["--json", "chat", "review this"])
        .arg("--attach")
        .arg(&code)
        .arg("--attach")
        .arg(&image);
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = common::json(&out.stdout);
    assert_eq!(result["creditsUsed"], 3);
    assert_eq!(result["balance"], 97);
    assert!(
        result["reply"]
            .as_str()
            .unwrap()
            .ends_with("[image/png image, 67 bytes]"),
        "{result}"
    );

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let user = requests[0].body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let text = user["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("review this\n\nAttached file `lib.rs`:"),
        "{text}"
    );
    assert!(text.contains("pub fn answer() -> u8 { 42 }"));
    assert_eq!(user["content"][1]["type"], "image_url");
    assert!(user["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,iVBORw0KGgo"));

    // `sessions show --json` carries them with the message.
    let mut cmd = cli(dir.path(), &mock, "gpt-4o");
    cmd.args(["--json", "sessions", "show", "CH-000001"]);
    let shown = common::json(&run(cmd).await.stdout);
    let user = shown["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .unwrap()
        .clone();
    let names: Vec<&str> = user["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lib.rs", "shot.png"], "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attachments_cost_nothing_and_send_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let image = files.path().join("shot.png");
    std::fs::write(&image, PNG).unwrap();
    let binary = files.path().join("tool.txt");
    std::fs::write(&binary, b"\x7fELF\x02\x01\x01\x00\x00").unwrap();
    let mock = common::mock().await;

    let cases = [
        (image.clone(), ErrorCode::ModelCannotSee),
        (binary, ErrorCode::AttachmentNotText),
        (
            files.path().join("missing.md"),
            ErrorCode::AttachmentUnreadable,
        ),
    ];
    for (file, code) in cases {
        // Not marked vision-capable: the default.
        let mut cmd = cli(dir.path(), &mock, "gpt-4o");
        cmd.args(["--json", "chat", "look"])
            .arg("--attach")
            .arg(&file);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(1), "{code:?} is the user's to fix");
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], code.as_str(), "{err}");
    }
    assert_eq!(credits(dir.path(), &mock).await, 100);
    assert!(mock.requests().is_empty(), "the model was never asked");
}
