//! Projects, tasks and saved pages on banter-server: the core's
//! `ProjectStore` on Postgres. Records made through one instance are read
//! and changed through the other; every account numbers its own `PR-` and
//! `TK-` ids; one account can never read, change, archive, delete or list
//! the tasks or pages of another's project, by row id or display id, and is
//! told `not_found` (a record's existence is not revealed).

use banter_tests::hosted::Hosted;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|v| v[field].as_str().expect("a text field").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projects_and_tasks_round_trip_across_instances() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let a = Some(alice.tokens.access_token.as_str());

    let (status, garden) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects",
            a,
            Some(json!({"name": "Garden", "description": "Raised beds"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{garden}");
    assert_eq!(garden["displayId"], "PR-000001");
    assert_eq!(garden["status"], "active");
    assert_eq!(garden["totalTasks"], 0);

    // Read and change it through the other instance.
    let (status, got) = h
        .call(Method::GET, &h.b.url, "/v1/projects/PR-000001", a, None)
        .await;
    assert_eq!((status, &got["id"]), (StatusCode::OK, &garden["id"]));
    let (status, renamed) = h
        .call(
            Method::PATCH,
            &h.b.url,
            "/v1/projects/pr-000001",
            a,
            Some(json!({"name": "Vegetable garden"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Vegetable garden");
    assert_eq!(renamed["description"], "Raised beds", "untouched");

    // Tasks, numbered per account, listed by priority, filtered.
    let path = "/v1/projects/PR-000001/tasks";
    let (status, soil) = h
        .call(
            Method::POST,
            &h.a.url,
            path,
            a,
            Some(json!({"title": "Buy soil", "priority": "low"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{soil}");
    assert_eq!(soil["displayId"], "TK-000001");
    assert_eq!(soil["projectDisplayId"], "PR-000001");
    let (_, beds) = h
        .call(
            Method::POST,
            &h.b.url,
            path,
            a,
            Some(json!({"title": "Build beds", "priority": "urgent", "dueDate": "2026-04-01"})),
        )
        .await;
    assert_eq!(beds["displayId"], "TK-000002");
    assert_eq!(beds["dueDate"], "2026-04-01");
    let (_, tasks) = h
        .call(
            Method::GET,
            &h.a.url,
            "/v1/tasks?project=PR-000001",
            a,
            None,
        )
        .await;
    assert_eq!(ids(&tasks, "displayId"), ["TK-000002", "TK-000001"]);
    let (status, done) = h
        .call(
            Method::PATCH,
            &h.b.url,
            "/v1/tasks/TK-000002",
            a,
            Some(json!({"status": "done", "dueDate": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["status"].as_str(), &done["dueDate"]),
        (Some("done"), &Value::Null)
    );
    let (_, open) = h
        .call(Method::GET, &h.a.url, "/v1/tasks?openOnly=true", a, None)
        .await;
    assert_eq!(ids(&open, "displayId"), ["TK-000001"]);
    let (_, finished) = h
        .call(Method::GET, &h.a.url, "/v1/tasks?status=done", a, None)
        .await;
    assert_eq!(ids(&finished, "displayId"), ["TK-000002"]);
    let (_, project) = h
        .call(Method::GET, &h.b.url, "/v1/projects/PR-000001", a, None)
        .await;
    assert_eq!(
        (
            project["openTasks"].as_i64(),
            project["totalTasks"].as_i64()
        ),
        (Some(1), Some(2))
    );

    // Archived: out of the default list and of the open tasks.
    let (status, archived) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects/PR-000001/archive",
            a,
            None,
        )
        .await;
    assert_eq!(
        (status, archived["status"].as_str()),
        (StatusCode::OK, Some("archived"))
    );
    let (_, active) = h.call(Method::GET, &h.b.url, "/v1/projects", a, None).await;
    assert_eq!(active, json!([]));
    let (_, all) = h
        .call(
            Method::GET,
            &h.b.url,
            "/v1/projects?includeArchived=true",
            a,
            None,
        )
        .await;
    assert_eq!(ids(&all, "displayId"), ["PR-000001"]);
    let (_, open) = h
        .call(Method::GET, &h.a.url, "/v1/tasks?openOnly=true", a, None)
        .await;
    assert_eq!(open, json!([]));
    let (_, restored) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects/PR-000001/archive",
            a,
            Some(json!({"archived": false})),
        )
        .await;
    assert_eq!(restored["status"], "active");

    // Bad input is refused with a typed error and changes nothing.
    let (status, err) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects",
            a,
            Some(json!({"name": "   "})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"))
    );
    let (status, err) = h
        .call(Method::GET, &h.a.url, "/v1/projects/TK-000001", a, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

    // Deleting a task, then the project with the rest.
    let (status, _) = h
        .call(Method::DELETE, &h.b.url, "/v1/tasks/TK-000001", a, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h
        .call(Method::GET, &h.a.url, "/v1/tasks/TK-000001", a, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .call(Method::DELETE, &h.a.url, "/v1/projects/PR-000001", a, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for path in ["/v1/projects/PR-000001", "/v1/tasks/TK-000002"] {
        let (status, err) = h.call(Method::GET, &h.b.url, path, a, None).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    // Ids are never handed out twice.
    let (_, next) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects",
            a,
            Some(json!({"name": "Next"})),
        )
        .await;
    assert_eq!(next["displayId"], "PR-000002");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_account_never_reaches_another_accounts_projects_or_tasks() {
    let h = Hosted::start("2026-03-10T12:00:00Z").await;
    let alice = h.sign_in("alice", "laptop").await;
    let bob = h.sign_in("bob", "desktop").await;
    let (a, b) = (
        Some(alice.tokens.access_token.as_str()),
        Some(bob.tokens.access_token.as_str()),
    );
    for name in ["First", "Second"] {
        h.call(
            Method::POST,
            &h.a.url,
            "/v1/projects",
            a,
            Some(json!({"name": name})),
        )
        .await;
    }
    let (_, task) = h
        .call(
            Method::POST,
            &h.a.url,
            "/v1/projects/PR-000002/tasks",
            a,
            Some(json!({"title": "Alice's task"})),
        )
        .await;
    let (_, bobs) = h
        .call(
            Method::POST,
            &h.b.url,
            "/v1/projects",
            b,
            Some(json!({"name": "Bob's"})),
        )
        .await;
    assert_eq!(
        bobs["displayId"], "PR-000001",
        "each account numbers its own"
    );
    let (_, alices) = h
        .call(Method::GET, &h.a.url, "/v1/projects/PR-000002", a, None)
        .await;
    let project_row = alices["id"].as_i64().unwrap();
    let task_row = task["id"].as_i64().unwrap();

    for project in [project_row.to_string(), "PR-000002".to_string()] {
        let base = format!("/v1/projects/{project}");
        for (method, path, body) in [
            (Method::GET, base.clone(), None),
            (
                Method::PATCH,
                base.clone(),
                Some(json!({"name": "mine now"})),
            ),
            (Method::POST, format!("{base}/archive"), None),
            (
                Method::POST,
                format!("{base}/tasks"),
                Some(json!({"title": "sneaky"})),
            ),
            (Method::GET, format!("{base}/pages"), None),
            (Method::GET, format!("/v1/tasks?project={project}"), None),
            (Method::DELETE, base.clone(), None),
        ] {
            for url in [&h.a.url, &h.b.url] {
                let (status, err) = h.call(method.clone(), url, &path, b, body.clone()).await;
                assert_eq!(
                    (status, err["code"].as_str()),
                    (StatusCode::NOT_FOUND, Some("not_found")),
                    "{method} {path}: {err}"
                );
            }
        }
    }
    for task in [task_row.to_string(), "TK-000001".to_string()] {
        let path = format!("/v1/tasks/{task}");
        for (method, body) in [
            (Method::GET, None),
            (Method::PATCH, Some(json!({"status": "done"}))),
            (Method::DELETE, None),
        ] {
            let (status, err) = h.call(method.clone(), &h.b.url, &path, b, body).await;
            assert_eq!(
                (status, err["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{method} {path}: {err}"
            );
        }
    }
    // Bob sees only his own; Alice's records are untouched.
    let (_, list) = h.call(Method::GET, &h.a.url, "/v1/projects", b, None).await;
    assert_eq!(ids(&list, "displayId"), ["PR-000001"]);
    let (_, tasks) = h.call(Method::GET, &h.a.url, "/v1/tasks", b, None).await;
    assert_eq!(tasks, json!([]));
    let (_, list) = h.call(Method::GET, &h.b.url, "/v1/projects", a, None).await;
    assert_eq!(ids(&list, "name"), ["Second", "First"]);
    let (_, still) = h
        .call(Method::GET, &h.b.url, "/v1/tasks/TK-000001", a, None)
        .await;
    assert_eq!(
        (still["title"].as_str(), still["status"].as_str()),
        (Some("Alice's task"), Some("todo"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_two_instances_lose_nothing() {
    let h = Arc::new(Hosted::start("2026-03-10T12:00:00Z").await);
    let alice = h.sign_in("alice", "laptop").await;
    let token = alice.tokens.access_token.clone();
    let a = Some(token.as_str());

    // Twenty creates at once, half through each instance: twenty ids.
    let mut creates = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (h, token) = (h.clone(), token.clone());
        creates.spawn(async move {
            let url = if n % 2 == 0 { &h.a.url } else { &h.b.url };
            let body = json!({"name": format!("P{n}")});
            h.call(Method::POST, url, "/v1/projects", Some(&token), Some(body))
                .await
        });
    }
    let mut made = Vec::new();
    while let Some(done) = creates.join_next().await {
        let (status, p) = done.expect("a create");
        assert_eq!(status, StatusCode::OK, "{p}");
        made.push(p["displayId"].as_str().expect("an id").to_string());
    }
    made.sort();
    let want: Vec<String> = (1..=20).map(|n| format!("PR-{n:06}")).collect();
    assert_eq!(made, want);

    // A rename and a new description of one project at once, through
    // different instances: both land.
    for id in &want {
        let path = format!("/v1/projects/{id}");
        let (rename, describe) = tokio::join!(
            h.call(
                Method::PATCH,
                &h.a.url,
                &path,
                a,
                Some(json!({"name": "renamed"}))
            ),
            h.call(
                Method::PATCH,
                &h.b.url,
                &path,
                a,
                Some(json!({"description": "described"}))
            ),
        );
        assert_eq!((rename.0, describe.0), (StatusCode::OK, StatusCode::OK));
        let (_, now) = h.call(Method::GET, &h.a.url, &path, a, None).await;
        assert_eq!(
            (now["name"].as_str(), now["description"].as_str()),
            (Some("renamed"), Some("described")),
            "{id}"
        );
    }
}
