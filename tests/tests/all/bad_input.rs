//! Bad input is refused with a typed error that names the problem, and never
//! costs credits: unknown ids (numeric and display) are `not_found` naming the
//! id; malformed ids, empty/blank/over-long titles and empty/over-long
//! messages are `invalid_input` naming the field.

use banter_core::ids::{IdKind, RecordRef};
use banter_core::projects::{NewTask, ProjectUpdate, TaskFilter, TaskUpdate};
use banter_core::validate::ValidationError;
use banter_core::ErrorCode;
use banter_core::{Core, Error};
use banter_tests::{assert_ledger, Env};

fn assert_not_found(err: Error, kind: &str, id: &str) {
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.is_user_error());
    let message = err.to_string();
    match err {
        Error::NotFound { kind: k, id: i } => {
            assert_eq!((k, i.as_str()), (kind, id));
            assert_eq!(message, format!("{kind} not found: {id}"));
        }
        other => panic!("expected not_found {kind} {id}, got {other:?}"),
    }
}

fn assert_invalid(err: Error, expected: ValidationError) {
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let api = err.to_api();
    assert_eq!(api.field.as_deref(), Some(expected.field()));
    match err {
        Error::Invalid(v) => assert_eq!(v, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

async fn open() -> (Env, Core) {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    (env, core)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_sessions_are_not_found_by_either_id() {
    let (_env, core) = open().await;
    let chat = core.chat();
    let by_number = RecordRef::Id(424_242);
    let by_display = RecordRef::Display("CH-999999".into());
    for r in [&by_number, &by_display] {
        let shown = r.to_string();
        assert_not_found(
            chat.get_session(r).await.unwrap_err(),
            "chat session",
            &shown,
        );
        assert_not_found(
            chat.rename_session(r, "New name").await.unwrap_err(),
            "chat session",
            &shown,
        );
        assert_not_found(
            chat.delete_session(r).await.unwrap_err(),
            "chat session",
            &shown,
        );
        assert_not_found(
            chat.list_messages(r, None, None).await.unwrap_err(),
            "chat session",
            &shown,
        );
        assert_not_found(
            chat.record_user_message(r, "hello", &format!("k-{shown}"))
                .await
                .unwrap_err(),
            "chat session",
            &shown,
        );
    }
    assert_eq!(
        RecordRef::parse(IdKind::ChatSession, " ch-999999 ").unwrap(),
        by_display,
        "display ids are trimmed and upper-cased"
    );
    // Nothing was charged for messages to sessions that do not exist.
    assert_ledger(&core, 1, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_projects_and_tasks_are_not_found() {
    let (_env, core) = open().await;
    let projects = core.projects();
    let pr = RecordRef::Display("PR-000077".into());
    let pr_num = RecordRef::Id(77);
    assert_not_found(
        projects.get_project(&pr).await.unwrap_err(),
        "project",
        "PR-000077",
    );
    assert_not_found(
        projects.get_project(&pr_num).await.unwrap_err(),
        "project",
        "77",
    );
    assert_not_found(
        projects
            .update_project(&pr, ProjectUpdate::default())
            .await
            .unwrap_err(),
        "project",
        "PR-000077",
    );
    assert_not_found(
        projects.delete_project(&pr).await.unwrap_err(),
        "project",
        "PR-000077",
    );
    assert_not_found(
        projects
            .add_task(
                &pr,
                NewTask {
                    title: "orphan".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
        "project",
        "PR-000077",
    );
    let filter = TaskFilter {
        project: Some(pr.clone()),
        ..Default::default()
    };
    assert_not_found(
        projects.list_tasks(&filter).await.unwrap_err(),
        "project",
        "PR-000077",
    );

    let tk = RecordRef::Display("TK-000005".into());
    assert_not_found(
        projects.get_task(&tk).await.unwrap_err(),
        "task",
        "TK-000005",
    );
    assert_not_found(
        projects.get_task(&RecordRef::Id(5)).await.unwrap_err(),
        "task",
        "5",
    );
    assert_not_found(
        projects
            .update_task(&tk, TaskUpdate::default())
            .await
            .unwrap_err(),
        "task",
        "TK-000005",
    );
    assert_not_found(
        projects.delete_task(&tk).await.unwrap_err(),
        "task",
        "TK-000005",
    );
}

#[test]
fn malformed_ids_are_validation_errors() {
    for (kind, input) in [
        (IdKind::ChatSession, "nonsense"),
        (IdKind::ChatSession, ""),
        (IdKind::ChatSession, "0"),
        (IdKind::ChatSession, "-4"),
        (IdKind::ChatSession, "PR-000001"),
        (IdKind::ChatSession, "CH-00001"),
        (IdKind::Project, "CH-000001"),
        (IdKind::Task, "TK-12345a"),
    ] {
        let err = RecordRef::parse(kind, input).unwrap_err();
        assert!(
            matches!(err, ValidationError::Invalid { field: "id", .. }),
            "{input:?}: {err:?}"
        );
        assert_eq!(Error::from(err).code(), ErrorCode::InvalidInput);
    }
    assert_eq!(
        RecordRef::parse(IdKind::ChatSession, "42").unwrap(),
        RecordRef::Id(42)
    );
    assert_eq!(
        RecordRef::parse(IdKind::Task, "tk-000003").unwrap(),
        RecordRef::Display("TK-000003".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn empty_blank_and_over_long_titles_are_refused() {
    let (_env, core) = open().await;
    let chat = core.chat();
    let long = "x".repeat(201);
    let empty = ValidationError::Empty { field: "title" };
    let too_long = ValidationError::TooLong {
        field: "title",
        max: 200,
        actual: 201,
    };

    assert_invalid(
        chat.create_session(Some("")).await.unwrap_err(),
        empty.clone(),
    );
    assert_invalid(
        chat.create_session(Some(" \t\n ")).await.unwrap_err(),
        empty.clone(),
    );
    assert_invalid(
        chat.create_session(Some(&long)).await.unwrap_err(),
        too_long.clone(),
    );
    // Surrounding whitespace does not count; 200 characters (not bytes) fit.
    let fits = format!("  {}  ", "é".repeat(200));
    let session = chat.create_session(Some(&fits)).await.unwrap();
    assert_eq!(session.title, Some("é".repeat(200)));
    assert_eq!(
        session.display_id, "CH-000001",
        "refused creates used no id"
    );

    let r = RecordRef::Id(session.id);
    assert_invalid(
        chat.rename_session(&r, "").await.unwrap_err(),
        empty.clone(),
    );
    assert_invalid(
        chat.rename_session(&r, "   ").await.unwrap_err(),
        empty.clone(),
    );
    assert_invalid(
        chat.rename_session(&r, &long).await.unwrap_err(),
        too_long.clone(),
    );
    assert_eq!(
        chat.get_session(&r).await.unwrap().title,
        Some("é".repeat(200)),
        "a refused rename changes nothing"
    );

    let projects = core.projects();
    assert_invalid(
        projects.create_project(" ", "").await.unwrap_err(),
        ValidationError::Empty { field: "name" },
    );
    assert_invalid(
        projects.create_project(&long, "").await.unwrap_err(),
        ValidationError::TooLong {
            field: "name",
            max: 200,
            actual: 201,
        },
    );
    let project = projects.create_project("Real", "").await.unwrap();
    assert_eq!(project.display_id, "PR-000001");
    let pr = RecordRef::Id(project.id);
    assert_invalid(
        projects
            .add_task(
                &pr,
                NewTask {
                    title: "  ".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
        empty.clone(),
    );
    assert_invalid(
        projects
            .add_task(
                &pr,
                NewTask {
                    title: long.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
        too_long.clone(),
    );
    let task = projects
        .add_task(
            &pr,
            NewTask {
                title: "ok".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(task.display_id, "TK-000001", "refused tasks used no id");
    assert_invalid(
        projects
            .update_task(
                &RecordRef::Id(task.id),
                TaskUpdate {
                    title: Some(String::new()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
        empty,
    );
    assert_eq!(projects.get_project(&pr).await.unwrap().total_tasks, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn empty_and_over_long_messages_are_refused_without_charging() {
    let (_env, core) = open().await;
    let chat = core.chat();
    let session = chat.create_session(None).await.unwrap();
    let r = RecordRef::Display(session.display_id.clone());

    let cases = [
        (String::new(), ValidationError::Empty { field: "message" }),
        (
            " \n\t ".to_string(),
            ValidationError::Empty { field: "message" },
        ),
        (
            "a".repeat(32_001),
            ValidationError::TooLong {
                field: "message",
                max: 32_000,
                actual: 32_001,
            },
        ),
        (
            "ж".repeat(32_001),
            ValidationError::TooLong {
                field: "message",
                max: 32_000,
                actual: 32_001,
            },
        ),
    ];
    for (i, (content, expected)) in cases.into_iter().enumerate() {
        let err = chat
            .record_user_message(&r, &content, &format!("bad-{i}"))
            .await
            .unwrap_err();
        assert_invalid(err, expected);
    }
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    assert_ledger(&core, 1, 100).await;
    let unchanged = chat.get_session(&r).await.unwrap();
    assert_eq!((unchanged.message_count, unchanged.title), (0, None));

    // The longest allowed message (32,000 characters after trimming) is paid once.
    let longest = format!("  {}  ", "ж".repeat(32_000));
    let (message, _) = chat
        .record_user_message(&r, &longest, "longest")
        .await
        .unwrap();
    assert_eq!(message.content.chars().count(), 32_000);
    assert_ledger(&core, 2, 97).await;

    // A refused key can be used later for a valid message: nothing was stored.
    chat.record_user_message(&r, "now valid", "bad-0")
        .await
        .unwrap();
    assert_ledger(&core, 3, 94).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bad_page_cursor_is_a_validation_error() {
    let (_env, core) = open().await;
    for cursor in ["", "garbage", "2026-03-10T09:00:00Z|x", "notatime|5"] {
        let err = core
            .chat()
            .list_sessions(Some(cursor), Some(3))
            .await
            .unwrap_err();
        assert_invalid(
            err,
            ValidationError::Invalid {
                field: "cursor",
                reason: "not a cursor from a previous page".into(),
            },
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn purchases_of_zero_or_fewer_credits_are_refused() {
    let (_env, core) = open().await;
    let user = core.user_id().to_string();
    for (credits, key) in [(0, "zero"), (-5, "negative")] {
        let err = core
            .ledger()
            .credit_purchase(&user, credits, key, None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidAmount);
        assert!(err.is_user_error());
    }
    assert_ledger(&core, 1, 100).await;
}
