//! The core's hosted client (`banter_core::hosted`) in process: profiles
//! signed in to two server instances through `mock-oidc` and the loopback
//! listener (tokens in each profile's key store, memory here), then the
//! typed calls the CLI does not reach — devices, signing the others out,
//! export, open checkouts, the desktop's projects, tasks and saved pages,
//! generation and saving a page — and a copied refresh token coming back.

use super::scraping::{TestPolicy, TestResolver, PUBLIC_IP};
use banter_core::chat::ExportFormat;
use banter_core::hosted::HostedError;
use banter_core::ids::RecordRef;
use banter_core::ledger::{Action, EntryKind};
use banter_core::projects::{
    NewTask, Priority, ProjectStatus, ProjectUpdate, TaskFilter, TaskStatus, TaskUpdate,
};
use banter_core::providers::{self, Secret};
use banter_core::scrape::Network;
use banter_core::secrets::{SecretName, SecretStore};
use banter_core::{Core, ErrorCode};
use banter_mocks::site::{self, SiteConfig};
use banter_tests::hosted::{oidc_signing_in_alice, sign_in_core, sign_in_core_as, Hosted, Parts};
use banter_tests::{mock_azure_config, Env};
use chrono::NaiveDate;
use std::sync::Arc;

fn token_slot(core: &Core, server: &str) -> SecretName {
    SecretName::HostedTokens {
        origin: server.to_string(),
        profile: core.user_id().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_export_checkouts_and_signing_the_others_out() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    let (laptop, desktop) = (
        Env::new("2026-03-10T12:00:00Z"),
        Env::new("2026-03-10T12:00:00Z"),
    );
    let (laptop_core, desktop_core) = (laptop.open().await, desktop.open().await);
    let first = sign_in_core(&laptop_core, &h.a.url).await;
    let second = sign_in_core(&desktop_core, &h.b.url).await;

    // One account, two devices.
    let me = first.account().await.unwrap();
    assert_eq!(second.account().await.unwrap().user_id, me.user_id);
    let devices = first.devices().await.unwrap();
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(devices.iter().any(|d| d.id == me.device_id));

    // Sessions made through one instance export through the other.
    let made = first.create_session(Some("Travel plans")).await.unwrap();
    let id = RecordRef::Display(made.display_id.clone());
    let markdown = second.export(&id, ExportFormat::Markdown).await.unwrap();
    assert!(
        markdown.file_name.ends_with(".md"),
        "{}",
        markdown.file_name
    );
    assert!(
        markdown.content.contains("Travel plans"),
        "{}",
        markdown.content
    );
    let json = second.export(&id, ExportFormat::Json).await.unwrap();
    assert!(
        json.content.contains("banter-session/2"),
        "{}",
        json.content
    );

    // A server refusal keeps its code (purchases are off on these instances).
    let refused = first.pending_checkouts().await.unwrap_err();
    assert_eq!(
        refused.code(),
        ErrorCode::BillingNotConfigured,
        "{refused:?}"
    );

    // Signing the others out: the desktop is told and forgets its sign-in.
    assert_eq!(first.sign_out_others().await.unwrap(), 1);
    match second.balance().await {
        Err(HostedError::SignedOut { code, .. }) => assert_eq!(code, ErrorCode::DeviceRevoked),
        other => panic!("{other:?}"),
    }
    assert!(desktop_core.hosted().account().await.unwrap().is_none());
    let slot = token_slot(&desktop_core, &h.b.url);
    assert!(desktop.secrets.get(slot).unwrap().is_none());
    assert_eq!(first.balance().await.unwrap().remaining, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_copied_refresh_token_coming_back_signs_the_device_out() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    let client = sign_in_core(&core, &h.a.url).await;
    let slot = token_slot(&core, &h.a.url);
    let copied: Secret = env.secrets.get(slot.clone()).unwrap().expect("tokens");

    // The access token expires; the client refreshes (the copy's refresh
    // token is now used).
    h.clock
        .advance(banter_server::auth::devices::ACCESS_TOKEN_TTL + chrono::Duration::seconds(1));
    assert_eq!(client.balance().await.unwrap().remaining, 100);
    assert_ne!(
        env.secrets.get(slot.clone()).unwrap().unwrap().expose(),
        copied.expose()
    );

    // Someone holding the copy refreshes with it (another process, which
    // reads the tokens from the keyring): the device is signed out.
    env.secrets.set(slot.clone(), &copied).unwrap();
    let elsewhere = env.open().await;
    let thief = elsewhere
        .hosted()
        .current()
        .await
        .unwrap()
        .expect("signed in");
    match thief.balance().await {
        Err(HostedError::SignedOut { code, .. }) => {
            assert_eq!(code, ErrorCode::RefreshTokenReused)
        }
        other => panic!("{other:?}"),
    }
    assert!(env.secrets.get(slot).unwrap().is_none());
    assert!(core.hosted().account().await.unwrap().is_none());
    // The rightful client's tokens died with the device.
    let gone = client.balance().await.unwrap_err();
    assert!(
        matches!(
            gone.code(),
            ErrorCode::DeviceRevoked | ErrorCode::NotSignedIn
        ),
        "{gone:?}"
    );
}

/// `error` is the server's `code` refusal with HTTP `status`, passed on
/// whole to the UI.
fn assert_refused(error: HostedError, status: u16, code: ErrorCode) {
    match &error {
        HostedError::Server { status: got, .. } => assert_eq!(*got, status, "{error:?}"),
        other => panic!("not a refusal of the server: {other:?}"),
    }
    assert_eq!(error.code(), code, "{error:?}");
    assert_eq!(error.to_api().code, code);
}

fn titles(tasks: &[banter_core::projects::Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projects_tasks_and_pages_are_the_accounts_own_on_the_server() {
    let oidc = oidc_signing_in_alice().await;
    let h = Hosted::signing_in_through(&oidc).await;
    let (alice_env, bob_env) = (
        Env::new("2026-03-10T12:00:00Z"),
        Env::new("2026-03-10T12:00:00Z"),
    );
    let (alice_core, bob_core) = (alice_env.open().await, bob_env.open().await);
    // A project of this computer's own (local mode) is not the account's.
    alice_core
        .projects()
        .create_project("Local only", "")
        .await
        .unwrap();
    let alice = sign_in_core(&alice_core, &h.a.url).await;
    let bob = sign_in_core_as(&bob_core, &h.b.url, Some("user-bob")).await;
    assert_ne!(
        alice.account().await.unwrap().user_id,
        bob.account().await.unwrap().user_id
    );
    assert!(alice.projects(true, None).await.unwrap().is_empty());

    // Created through one instance, read by row id and by PR- id.
    let garden = alice.create_project("Garden", "Raised beds").await.unwrap();
    assert_eq!(garden.display_id, "PR-000001");
    assert_eq!(garden.status, ProjectStatus::Active);
    let by_id = RecordRef::Id(garden.id);
    assert_eq!(alice.project(&by_id).await.unwrap(), garden);
    let by_display = RecordRef::Display("PR-000001".into());
    assert_eq!(alice.project(&by_display).await.unwrap().id, garden.id);
    let renamed = alice
        .update_project(
            &by_id,
            &ProjectUpdate {
                name: Some("Vegetable garden".into()),
                ..ProjectUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("Vegetable garden", "Raised beds")
    );

    // Tasks: by priority, filtered, changed field by field.
    let soil = alice
        .add_task(
            &by_id,
            &NewTask {
                title: "Buy soil".into(),
                priority: Some(Priority::Low),
                ..NewTask::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (soil.display_id.as_str(), soil.project_display_id.as_str()),
        ("TK-000001", "PR-000001")
    );
    let due = NaiveDate::from_ymd_opt(2026, 4, 1);
    let beds = alice
        .add_task(
            &by_display,
            &NewTask {
                title: "Build beds".into(),
                priority: Some(Priority::Urgent),
                due_date: due,
                ..NewTask::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(beds.due_date, due);
    let of_garden = TaskFilter {
        project: Some(by_id.clone()),
        ..TaskFilter::default()
    };
    let listed = alice.tasks(&of_garden).await.unwrap();
    assert_eq!(titles(&listed), ["Build beds", "Buy soil"]);
    let done = alice
        .update_task(
            &RecordRef::Id(soil.id),
            &TaskUpdate {
                status: Some(TaskStatus::Done),
                ..TaskUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    let open = TaskFilter {
        open_only: true,
        ..TaskFilter::default()
    };
    assert_eq!(titles(&alice.tasks(&open).await.unwrap()), ["Build beds"]);
    let done_only = TaskFilter {
        status: Some(TaskStatus::Done),
        ..of_garden.clone()
    };
    assert_eq!(
        titles(&alice.tasks(&done_only).await.unwrap()),
        ["Buy soil"]
    );
    let counted = alice.project(&by_id).await.unwrap();
    assert_eq!((counted.open_tasks, counted.total_tasks), (1, 2));
    // A title change keeps the due date; `Some(None)` clears it.
    let retitled = alice
        .update_task(
            &RecordRef::Id(beds.id),
            &TaskUpdate {
                title: Some("Build two beds".into()),
                ..TaskUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (retitled.title.as_str(), retitled.due_date),
        ("Build two beds", due)
    );
    let cleared = alice
        .update_task(
            &RecordRef::Display("TK-000002".into()),
            &TaskUpdate {
                due_date: Some(None),
                ..TaskUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.due_date, None);
    alice.delete_task(&RecordRef::Id(soil.id)).await.unwrap();
    assert_refused(
        alice.task(&RecordRef::Id(soil.id)).await.unwrap_err(),
        404,
        ErrorCode::NotFound,
    );
    assert_eq!(
        titles(&alice.tasks(&of_garden).await.unwrap()),
        ["Build two beds"]
    );
    assert!(alice.pages(&by_id).await.unwrap().is_empty());

    // Archived: out of the default list, back when restored.
    let archived = alice.set_project_archived(&by_id, true).await.unwrap();
    assert_eq!(archived.status, ProjectStatus::Archived);
    assert!(alice.projects(false, None).await.unwrap().is_empty());
    assert_eq!(alice.projects(true, None).await.unwrap().len(), 1);
    let restored = alice.set_project_archived(&by_id, false).await.unwrap();
    assert_eq!(restored.status, ProjectStatus::Active);
    let listed: Vec<_> = alice
        .projects(false, None)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        listed,
        ["Vegetable garden"],
        "the local project is not the account's"
    );

    // Bob cannot see, change or list anything of Alice's, by row id or
    // PR-/TK- id: `not_found`, as for a record that does not exist.
    assert!(bob.projects(true, None).await.unwrap().is_empty());
    for project in [&by_id, &by_display] {
        assert_refused(
            bob.project(project).await.unwrap_err(),
            404,
            ErrorCode::NotFound,
        );
        let rename = ProjectUpdate {
            name: Some("Mine now".into()),
            ..ProjectUpdate::default()
        };
        let refused = bob.update_project(project, &rename).await.unwrap_err();
        assert_refused(refused, 404, ErrorCode::NotFound);
        let refused = bob.set_project_archived(project, true).await.unwrap_err();
        assert_refused(refused, 404, ErrorCode::NotFound);
        let task = NewTask {
            title: "Sneak in".into(),
            ..NewTask::default()
        };
        assert_refused(
            bob.add_task(project, &task).await.unwrap_err(),
            404,
            ErrorCode::NotFound,
        );
        let theirs = TaskFilter {
            project: Some(project.clone()),
            ..TaskFilter::default()
        };
        assert_refused(
            bob.tasks(&theirs).await.unwrap_err(),
            404,
            ErrorCode::NotFound,
        );
        assert_refused(
            bob.pages(project).await.unwrap_err(),
            404,
            ErrorCode::NotFound,
        );
        assert_refused(
            bob.delete_project(project).await.unwrap_err(),
            404,
            ErrorCode::NotFound,
        );
    }
    let alices_task = RecordRef::Id(beds.id);
    assert_refused(
        bob.task(&alices_task).await.unwrap_err(),
        404,
        ErrorCode::NotFound,
    );
    let done = TaskUpdate {
        status: Some(TaskStatus::Done),
        ..TaskUpdate::default()
    };
    let refused = bob.update_task(&alices_task, &done).await.unwrap_err();
    assert_refused(refused, 404, ErrorCode::NotFound);
    assert_refused(
        bob.delete_task(&alices_task).await.unwrap_err(),
        404,
        ErrorCode::NotFound,
    );
    assert!(bob.tasks(&TaskFilter::default()).await.unwrap().is_empty());
    // Bob's own first project is his PR-000001; Alice's is untouched.
    let bobs = bob.create_project("Bob's shed", "").await.unwrap();
    assert_eq!(bobs.display_id, "PR-000001");
    let still = alice.project(&by_id).await.unwrap();
    assert_eq!(
        (still.name.as_str(), still.status, still.total_tasks),
        ("Vegetable garden", ProjectStatus::Active, 1)
    );
    assert_eq!(alice.projects(true, None).await.unwrap().len(), 1);

    // Bad input and a missing project are the server's typed refusals.
    let empty = alice.create_project("   ", "").await.unwrap_err();
    assert_refused(empty.clone(), 422, ErrorCode::InvalidInput);
    assert_eq!(empty.to_api().field.as_deref(), Some("name"));
    let missing = RecordRef::Id(bobs.id + 1000);
    assert_refused(
        alice.project(&missing).await.unwrap_err(),
        404,
        ErrorCode::NotFound,
    );

    // Deleting takes the tasks with it.
    alice.delete_project(&by_id).await.unwrap();
    assert_refused(
        alice.project(&by_id).await.unwrap_err(),
        404,
        ErrorCode::NotFound,
    );
    assert_refused(
        alice.task(&alices_task).await.unwrap_err(),
        404,
        ErrorCode::NotFound,
    );
    assert!(alice.projects(true, None).await.unwrap().is_empty());
    // This computer's own project was never touched.
    let local = alice_core
        .projects()
        .list_projects(true, None)
        .await
        .unwrap();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].name, "Local only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generation_and_saving_a_page_through_the_client_are_paid_by_the_account() {
    let oidc = oidc_signing_in_alice().await;
    let azure = banter_mocks::start(banter_mocks::MockConfig::default())
        .await
        .expect("mock Azure");
    let model = providers::build(
        &mock_azure_config(&azure.base_url(), "o3-mini", true),
        Some(Secret::new("test-key")),
    )
    .expect("the mock model");
    let parts = Parts {
        model: Some(model),
        scrape_network: Some(Network::new(
            TestResolver::new(usize::MAX),
            Arc::new(TestPolicy),
        )),
        ..Parts::default()
    };
    let h = Hosted::signing_in_through_with(&oidc, parts).await;
    let public_site = site::start_site_on(PUBLIC_IP.into(), SiteConfig::default())
        .await
        .expect("the public site");
    let env = Env::new("2026-03-10T12:00:00Z");
    let core = env.open().await;
    let client = sign_in_core(&core, &h.a.url).await;
    let (generation, scrape) = (Action::ProjectGeneration.cost(), Action::UrlScrape.cost());

    // The server's model plans it; the account pays once per key.
    let prompt = "Plan a bake sale [[project:tasks:4]]";
    let made = client.generate(prompt, Some("gen-1")).await.unwrap();
    assert_eq!(made.project.display_id, "PR-000001");
    assert_eq!(made.tasks.len(), 4);
    assert!(!made.replayed);
    assert_eq!(
        (made.spend.kind, made.spend.amount, made.spend.balance_after),
        (EntryKind::Spend, -generation, 100 - generation)
    );
    let again = client.generate(prompt, Some("gen-1")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.project.id, again.spend.id),
        (made.project.id, made.spend.id)
    );
    assert_eq!(client.balance().await.unwrap().remaining, 100 - generation);
    let planned = TaskFilter {
        project: Some(RecordRef::Id(made.project.id)),
        ..TaskFilter::default()
    };
    assert_eq!(client.tasks(&planned).await.unwrap().len(), 4);

    // A public page saved on that project, read back from its pages.
    let article = format!("http://public.test:{}/article", public_site.port());
    let project = RecordRef::Display(made.project.display_id.clone());
    let saved = client
        .scrape(&article, Some(&project), Some("page-1"))
        .await
        .unwrap();
    assert_eq!(saved.source.title, site::ARTICLE_TITLE);
    assert_eq!(
        (saved.project.id, saved.created_project),
        (made.project.id, false)
    );
    assert_eq!(saved.spend.balance_after, 100 - generation - scrape);
    let pages = client.pages(&project).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(
        (pages[0].id, pages[0].source_url.as_str()),
        (saved.source.id, article.as_str())
    );

    // Loopback is refused by the server's address policy before any charge.
    let refused = client
        .scrape("http://127.0.0.1:9/article", None, None)
        .await
        .unwrap_err();
    assert_refused(refused, 400, ErrorCode::PrivateAddress);
    // A project that is not the account's: nothing fetched, nothing paid.
    let missing = RecordRef::Id(made.project.id + 1000);
    let refused = client
        .scrape(&article, Some(&missing), None)
        .await
        .unwrap_err();
    assert_refused(refused, 404, ErrorCode::NotFound);
    assert_eq!(
        client.balance().await.unwrap().remaining,
        100 - generation - scrape
    );
    let rows = client.ledger_rows(None, 100).await.unwrap();
    let count = |kind| rows.iter().filter(|r| r.kind == kind).count();
    assert_eq!((count(EntryKind::Spend), count(EntryKind::Refund)), (2, 0));
    let report = client.verify_ledger().await.unwrap();
    assert_eq!(report.balance, 100 - generation - scrape);
}
