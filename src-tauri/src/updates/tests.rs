//! The updater against a real HTTP server on 127.0.0.1, with the plugin
//! configured as `tauri.conf.json` ships it (only the public key swapped for
//! a test key) inside a window-less app (`tauri::test`). Signatures are made
//! with the `minisign` crate in the format `tauri signer sign` writes: the
//! version bound into the trusted comment.

use super::checker::manifest_address;
use super::policy::checked_url;
use super::*;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use minisign::KeyPair;
use std::sync::Arc;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};

/// The version `tauri::test::mock_context` gives the app.
const CURRENT: &str = "0.1.0";
const ARTIFACT: &[u8] = b"the new Banter, as an AppImage would carry it";

fn keypair() -> KeyPair {
    KeyPair::generate_unencrypted_keypair().unwrap()
}

fn public_key(keys: &KeyPair) -> String {
    STANDARD.encode(keys.pk.to_box().unwrap().into_string())
}

/// A `.sig` as `tauri signer sign --app-version VERSION` writes it, base64.
fn signature(keys: &KeyPair, data: &[u8], version: &str) -> String {
    let trusted = format!("timestamp:1764374400\tfile:Banter.AppImage\tversion:{version}");
    let signed = minisign::sign(
        Some(&keys.pk),
        &keys.sk,
        std::io::Cursor::new(data),
        Some(&trusted),
        Some("signature from tauri secret key"),
    )
    .unwrap();
    STANDARD.encode(signed.into_string())
}

/// The app with the updater plugin configured from the repository's
/// `tauri.conf.json`, trusting `pubkey`.
fn app(pubkey: &str) -> tauri::App<MockRuntime> {
    let shipped: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json")).unwrap(),
    )
    .unwrap();
    let mut updater = shipped["plugins"]["updater"].clone();
    assert_eq!(updater["requireSignedVersion"], true, "shipped config");
    updater["pubkey"] = pubkey.into();
    let mut context = mock_context(noop_assets());
    context
        .config_mut()
        .plugins
        .0
        .insert("updater".into(), updater);
    mock_builder()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .build(context)
        .unwrap()
}

/// What the test server answers: a manifest (its `url` filled in with the
/// server's own address) and the artifact bytes.
struct Served {
    manifest: String,
    artifact: Vec<u8>,
}

/// Serves `/latest.json` and `/Banter.AppImage` on 127.0.0.1; returns the
/// manifest's address.
async fn serve(version: &str, signature: String, artifact: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let manifest = serde_json::json!({
        "version": version,
        "notes": "Fixes",
        "pub_date": "2026-11-29T00:00:00Z",
        "url": format!("{base}/Banter.AppImage"),
        "signature": signature,
    });
    serve_manifest(listener, manifest.to_string(), artifact);
    format!("{base}/latest.json")
}

fn serve_manifest(listener: tokio::net::TcpListener, manifest: String, artifact: Vec<u8>) {
    let served = Arc::new(Served { manifest, artifact });
    let router = Router::new()
        .route(
            "/latest.json",
            get(|State(s): State<Arc<Served>>| async move { s.manifest.clone() }),
        )
        .route(
            "/Banter.AppImage",
            get(|State(s): State<Arc<Served>>| async move { s.artifact.clone() }),
        )
        .with_state(served);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
}

async fn check(app: &tauri::App<MockRuntime>, manifest: &str) -> Result<CheckOutcome, UpdateError> {
    UpdateChecker::new(app.handle(), manifest)?.check().await
}

async fn offered(
    app: &tauri::App<MockRuntime>,
    manifest: &str,
) -> (UpdateOffer, Box<tauri_plugin_updater::Update>) {
    match check(app, manifest).await.unwrap() {
        CheckOutcome::Offered(offer, update) => (offer, update),
        other => panic!("expected an offer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_correctly_signed_newer_version_is_offered_and_its_artifact_verifies() {
    let keys = keypair();
    let app = app(&public_key(&keys));
    let manifest = serve(
        "0.2.0",
        signature(&keys, ARTIFACT, "0.2.0"),
        ARTIFACT.to_vec(),
    )
    .await;

    let (offer, update) = offered(&app, &manifest).await;
    assert_eq!(offer.version, "0.2.0");
    assert_eq!(offer.current_version, CURRENT);
    assert_eq!(offer.notes.as_deref(), Some("Fixes"));
    assert_eq!(download_verified(&update).await.unwrap(), ARTIFACT);
}

/// An executable as the updater's format check sees one: a full ELF
/// header's worth of bytes starting with the ELF magic.
fn elf(text: &str) -> Vec<u8> {
    let mut bytes = format!("\x7fELF {text}").into_bytes();
    bytes.resize(64, 0);
    bytes
}

/// Every file under `dir` and its bytes, to compare before and after.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correctly_signed_newer_version_replaces_the_app_and_leaves_its_data_alone() {
    use std::os::unix::fs::PermissionsExt;
    // The installed app (an AppImage is replaced in place) and a profile
    // with a real database beside it, as a user's would be.
    let installed_dir = tempfile::tempdir().unwrap();
    let installed = installed_dir.path().join("Banter.AppImage");
    std::fs::write(&installed, elf("Banter 0.1.0")).unwrap();
    std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = tempfile::tempdir().unwrap();
    let options = || banter_core::CoreOptions {
        data_dir: Some(data.path().to_path_buf()),
        clock: None,
        secrets: Some(Arc::new(banter_core::secrets::MemorySecrets::default())),
    };
    let core = banter_core::Core::open(options()).await.unwrap();
    let session = core.chat().create_session(Some("Kept")).await.unwrap();
    let balance = core.balance().await.unwrap();
    core.close().await;
    let before = snapshot(data.path());

    let keys = keypair();
    let app = app(&public_key(&keys));
    let new = elf("Banter 0.2.0");
    let manifest = serve("0.2.0", signature(&keys, &new, "0.2.0"), new.clone()).await;
    let checker = UpdateChecker::new(app.handle(), &manifest)
        .unwrap()
        .replacing(installed.clone());
    let CheckOutcome::Offered(offer, update) = checker.check().await.unwrap() else {
        panic!("a newer version must be offered");
    };
    assert_eq!(offer.version, "0.2.0");
    let bytes = download_verified(&update).await.unwrap();

    // Bytes that are not what was signed are refused at install too, and
    // leave the app as it was.
    let mut tampered = bytes.clone();
    tampered[40] ^= 1;
    let error = install_verified(&update, &tampered).unwrap_err();
    assert_eq!(error.code().as_str(), "update_bad_signature", "{error}");
    assert_eq!(std::fs::read(&installed).unwrap(), elf("Banter 0.1.0"));

    let update = *update;
    tokio::task::spawn_blocking(move || install_verified(&update, &bytes))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        new,
        "the app is replaced"
    );
    let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "still executable: {mode:o}");

    // The data is untouched, and the next start opens it as usual.
    assert_eq!(snapshot(data.path()), before);
    let core = banter_core::Core::open(options()).await.unwrap();
    let kept = core
        .chat()
        .get_session(&banter_core::ids::RecordRef::Id(session.id))
        .await
        .unwrap();
    assert_eq!(kept.title.as_deref(), Some("Kept"));
    assert_eq!(core.balance().await.unwrap(), balance);
    core.close().await;
}

#[tokio::test]
async fn a_tampered_artifact_is_refused() {
    let keys = keypair();
    let app = app(&public_key(&keys));
    let mut tampered = ARTIFACT.to_vec();
    tampered[0] ^= 1;
    let manifest = serve("0.2.0", signature(&keys, ARTIFACT, "0.2.0"), tampered).await;

    let (_, update) = offered(&app, &manifest).await;
    let error = download_verified(&update).await.unwrap_err();
    assert_eq!(error.code().as_str(), "update_bad_signature", "{error}");
    assert!(error.to_string().contains("discarded"), "{error}");
}

#[tokio::test]
async fn an_artifact_signed_with_another_key_is_refused() {
    let (trusted, stranger) = (keypair(), keypair());
    let app = app(&public_key(&trusted));
    let manifest = serve(
        "0.2.0",
        signature(&stranger, ARTIFACT, "0.2.0"),
        ARTIFACT.to_vec(),
    )
    .await;

    let (_, update) = offered(&app, &manifest).await;
    let error = download_verified(&update).await.unwrap_err();
    assert_eq!(error.code().as_str(), "update_bad_signature", "{error}");
}

#[tokio::test]
async fn an_older_version_is_never_offered() {
    let keys = keypair();
    let app = app(&public_key(&keys));
    let manifest = serve(
        "0.0.9",
        signature(&keys, ARTIFACT, "0.0.9"),
        ARTIFACT.to_vec(),
    )
    .await;

    match check(&app, &manifest).await.unwrap() {
        CheckOutcome::NotNewer { offered, current } => {
            assert_eq!((offered.as_str(), current.as_str()), ("0.0.9", CURRENT))
        }
        other => panic!("a downgrade must not be offered: {other:?}"),
    }
}

#[tokio::test]
async fn an_old_signed_artifact_announced_as_a_new_version_is_refused() {
    let keys = keypair();
    let app = app(&public_key(&keys));
    // A genuine old release, its manifest rewritten to claim 0.2.0.
    let manifest = serve(
        "0.2.0",
        signature(&keys, ARTIFACT, "0.0.9"),
        ARTIFACT.to_vec(),
    )
    .await;

    let (_, update) = offered(&app, &manifest).await;
    let error = download_verified(&update).await.unwrap_err();
    assert_eq!(error.code().as_str(), "update_bad_signature", "{error}");
    assert!(error.to_string().contains("0.0.9"), "{error}");
}

#[tokio::test]
async fn a_manifest_over_plain_http_to_another_computer_is_refused_before_any_request() {
    let keys = keypair();
    let app = app(&public_key(&keys));
    // Refused while parsing: no request is made, so no address is contacted.
    for address in [
        "http://192.0.2.7/latest.json",
        "http://localhost/latest.json",
    ] {
        let error = UpdateChecker::new(app.handle(), address).err().unwrap();
        assert_eq!(error.code().as_str(), "update_insecure_url", "{address}");
        assert!(error.to_string().contains("https"), "{error}");
    }
}

#[tokio::test]
async fn an_artifact_over_plain_http_to_another_computer_is_not_offered() {
    let keys = keypair();
    let app = app(&public_key(&keys));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let manifest = serde_json::json!({
        "version": "0.2.0",
        "url": "http://192.0.2.7/Banter.AppImage",
        "signature": signature(&keys, ARTIFACT, "0.2.0"),
    });
    serve_manifest(listener, manifest.to_string(), Vec::new());

    let error = check(&app, &format!("{base}/latest.json"))
        .await
        .unwrap_err();
    assert_eq!(error.code().as_str(), "update_insecure_url", "{error}");
}

#[test]
fn update_addresses_are_https_or_loopback_http() {
    for ok in [
        "https://updates.example.com/banter/latest.json",
        "http://127.0.0.1:8080/latest.json",
        "http://127.5.5.5/latest.json",
        "http://[::1]:9000/latest.json",
    ] {
        assert!(checked_url(ok).is_ok(), "{ok}");
    }
    for (refused, code) in [
        ("http://example.com/latest.json", "update_insecure_url"),
        ("http://10.0.0.1/latest.json", "update_insecure_url"),
        ("http://localhost/latest.json", "update_insecure_url"),
        ("ftp://127.0.0.1/latest.json", "update_bad_url"),
        ("file:///tmp/latest.json", "update_bad_url"),
        ("not a url", "update_bad_url"),
    ] {
        assert_eq!(
            checked_url(refused).unwrap_err().code().as_str(),
            code,
            "{refused}"
        );
    }
}

#[test]
fn the_environment_overrides_the_configured_manifest_address() {
    let shipped = "https://updates.example.com/latest.json";
    let configured = Some(shipped);
    assert_eq!(
        manifest_address(Some("http://127.0.0.1:9/latest.json"), configured).unwrap(),
        "http://127.0.0.1:9/latest.json"
    );
    assert_eq!(manifest_address(Some("  "), configured).unwrap(), shipped);
    assert_eq!(manifest_address(None, configured).unwrap(), shipped);
    assert_eq!(
        manifest_address(None, None).unwrap_err().code().as_str(),
        "update_not_configured"
    );
}
