//! Projects and tasks: display ids (PR-/TK-), task listing filters and order,
//! open/total task counts following status changes, archiving hiding a
//! project from the default list, and deletes cascading to tasks.

use banter_core::ids::RecordRef;
use banter_core::projects::{
    NewTask, Priority, ProjectStatus, ProjectUpdate, TaskFilter, TaskStatus, TaskUpdate,
};
use banter_core::ErrorCode;
use banter_tests::{count_where, raw_conn, Env};
use chrono::{Duration, NaiveDate};

fn task(title: &str, priority: Option<Priority>, due: Option<&str>) -> NewTask {
    NewTask {
        title: title.into(),
        description: None,
        priority,
        due_date: due.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a YYYY-MM-DD date")),
    }
}

fn titles(tasks: &[banter_core::projects::Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projects_and_tasks_round_trip_with_filters_and_counts() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let store = core.projects();

    let alpha = store
        .create_project("  Alpha  ", "first one")
        .await
        .unwrap();
    assert_eq!(alpha.display_id, "PR-000001");
    assert_eq!(
        (alpha.name.as_str(), alpha.description.as_str()),
        ("Alpha", "first one")
    );
    assert_eq!(alpha.status, ProjectStatus::Active);
    assert_eq!((alpha.open_tasks, alpha.total_tasks), (0, 0));
    env.clock.advance(Duration::minutes(1));
    let beta = store.create_project("Beta", "").await.unwrap();
    assert_eq!(beta.display_id, "PR-000002");
    let a = RecordRef::Display("PR-000001".into());
    let b = RecordRef::Id(beta.id);

    let t1 = store
        .add_task(&a, task("write docs", None, None))
        .await
        .unwrap();
    assert_eq!(t1.display_id, "TK-000001");
    assert_eq!(t1.project_display_id, "PR-000001");
    assert_eq!(
        (t1.status, t1.priority),
        (TaskStatus::Todo, Priority::Medium)
    );
    let t2 = store
        .add_task(
            &a,
            task("fix bug", Some(Priority::Urgent), Some("2026-03-20")),
        )
        .await
        .unwrap();
    let t3 = store
        .add_task(&b, task("beta task", Some(Priority::Low), None))
        .await
        .unwrap();
    let t4 = store
        .add_task(&a, task("ship", Some(Priority::High), Some("2026-03-15")))
        .await
        .unwrap();
    let t5 = store
        .add_task(&a, task("plan", Some(Priority::High), Some("2026-03-12")))
        .await
        .unwrap();
    assert_eq!(
        [&t2, &t3, &t4, &t5].map(|t| t.display_id.as_str()),
        ["TK-000002", "TK-000003", "TK-000004", "TK-000005"]
    );

    // By project, most urgent first, then earliest due date.
    let of_a = store
        .list_tasks(&TaskFilter {
            project: Some(a.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(titles(&of_a), ["fix bug", "plan", "ship", "write docs"]);
    let all = store.list_tasks(&TaskFilter::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4].title, "beta task");

    // Done tasks leave the open counts and the open-only list.
    let done = store
        .set_task_status(&RecordRef::Display("TK-000005".into()), TaskStatus::Done)
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    store
        .set_task_status(&RecordRef::Id(t1.id), TaskStatus::InProgress)
        .await
        .unwrap();
    let alpha_now = store.get_project(&a).await.unwrap();
    assert_eq!((alpha_now.open_tasks, alpha_now.total_tasks), (3, 4));
    let open = store
        .list_tasks(&TaskFilter {
            open_only: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        titles(&open),
        ["fix bug", "ship", "write docs", "beta task"]
    );
    // Archiving Beta takes its task out of the active tasks across projects,
    // but not out of Beta's own list.
    store.set_archived(&b, true).await.unwrap();
    let open = store
        .list_tasks(&TaskFilter {
            open_only: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(titles(&open), ["fix bug", "ship", "write docs"]);
    let in_beta = store
        .list_tasks(&TaskFilter {
            project: Some(b.clone()),
            open_only: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(titles(&in_beta), ["beta task"]);
    store.set_archived(&b, false).await.unwrap();
    let in_progress = store
        .list_tasks(&TaskFilter {
            status: Some(TaskStatus::InProgress),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(titles(&in_progress), ["write docs"]);
    let done_in_a = store
        .list_tasks(&TaskFilter {
            project: Some(a.clone()),
            status: Some(TaskStatus::Done),
            open_only: false,
        })
        .await
        .unwrap();
    assert_eq!(titles(&done_in_a), ["plan"]);

    // A partial update changes only what it names; clearing the due date works.
    env.clock.advance(Duration::minutes(1));
    let updated = store
        .update_task(
            &RecordRef::Id(t4.id),
            TaskUpdate {
                title: Some("ship it".into()),
                due_date: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.title, "ship it");
    assert_eq!(updated.due_date, None);
    assert_eq!(updated.priority, Priority::High);
    assert_eq!(updated.status, TaskStatus::Todo);

    // Activity on a task moves its project to the top of the list.
    let listed = store.list_projects(false, None).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|p| p.display_id.as_str())
            .collect::<Vec<_>>(),
        ["PR-000001", "PR-000002"]
    );
    let beta_now = store.get_project(&b).await.unwrap();
    assert_eq!((beta_now.open_tasks, beta_now.total_tasks), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn archiving_hides_a_project_and_deleting_cascades_to_its_tasks() {
    let env = Env::new("2026-03-10T09:00:00Z");
    let core = env.open().await;
    let store = core.projects();
    let keep = store.create_project("Keep", "").await.unwrap();
    let old = store.create_project("Old", "").await.unwrap();
    let old_ref = RecordRef::Id(old.id);
    for i in 0..3 {
        store
            .add_task(&old_ref, task(&format!("old {i}"), None, None))
            .await
            .unwrap();
    }
    store
        .add_task(&RecordRef::Id(keep.id), task("keep 0", None, None))
        .await
        .unwrap();

    let archived = store.set_archived(&old_ref, true).await.unwrap();
    assert_eq!(archived.status, ProjectStatus::Archived);
    let default_list = store.list_projects(false, None).await.unwrap();
    assert_eq!(
        default_list.iter().map(|p| p.id).collect::<Vec<_>>(),
        [keep.id]
    );
    let with_archived = store.list_projects(true, None).await.unwrap();
    assert_eq!(with_archived.len(), 2);
    // Unarchiving through a general update brings it back.
    store
        .update_project(
            &old_ref,
            ProjectUpdate {
                status: Some(ProjectStatus::Active),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.list_projects(false, None).await.unwrap().len(), 2);

    store
        .delete_project(&RecordRef::Display(old.display_id.clone()))
        .await
        .unwrap();
    let mut conn = raw_conn(&env.db_path()).await;
    let sql = "SELECT COUNT(*) FROM tasks WHERE project_id = ?";
    assert_eq!(count_where(&mut conn, sql, old.id).await, 0);
    assert_eq!(count_where(&mut conn, sql, keep.id).await, 1);
    let err = store
        .get_task(&RecordRef::Display("TK-000001".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(
        store
            .list_tasks(&TaskFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );

    // Deleting a task directly; ids are never reused.
    store
        .delete_task(&RecordRef::Display("TK-000004".into()))
        .await
        .unwrap();
    let next = store
        .add_task(&RecordRef::Id(keep.id), task("new", None, None))
        .await
        .unwrap();
    assert_eq!(next.display_id, "TK-000005");
    let next_project = store.create_project("Third", "").await.unwrap();
    assert_eq!(next_project.display_id, "PR-000003");
}
