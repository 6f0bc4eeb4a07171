//! AI project generation end to end over real HTTP: the mock Azure server
//! answers with a project plan (valid, not JSON, schema-breaking, cut off
//! at the length limit, or invalid once and valid on the repair request).
//! A valid plan creates exactly its project and tasks and costs 15; any
//! failure refunds and creates nothing; the ledger adds up after each.

use banter_core::jobs::JobStatus;
use banter_core::ledger::{Action, EntryKind};
use banter_core::projects::{GenerateRequest, GeneratedProject, Priority};
use banter_core::ErrorCode;
use banter_core::{Core, Error};
use banter_mocks::project::valid_plan;
use banter_mocks::{MockConfig, MockServer};
use banter_tests::{count_rows, ledger_rows, rows_of_kind, use_mock_model, verify, Env};
use serde_json::Value;

struct Gen {
    _env: Env,
    core: Core,
    mock: MockServer,
}

async fn generator(deployment: &str) -> Gen {
    let env = Env::new("2026-11-25T09:00:00Z");
    let core = env.open().await;
    let mock = banter_mocks::start(MockConfig::default())
        .await
        .expect("start mock");
    use_mock_model(&core, &mock.base_url(), deployment);
    Gen {
        _env: env,
        core,
        mock,
    }
}

impl Gen {
    async fn generate(&self, prompt: &str) -> Result<GeneratedProject, Error> {
        self.core
            .generator()
            .generate(GenerateRequest {
                prompt: prompt.into(),
                idempotency_key: None,
            })
            .await
    }

    async fn balance(&self) -> i64 {
        self.core.balance().await.expect("balance").remaining
    }

    /// Nothing but the signup grant, one spend and its refund; no project,
    /// task or leftover running job.
    async fn assert_refunded_and_empty(&self) {
        assert_eq!(self.balance().await, 100);
        assert_eq!(count_rows(&self.core, "projects").await, 0);
        assert_eq!(count_rows(&self.core, "tasks").await, 0);
        let spends = rows_of_kind(&self.core, EntryKind::Spend).await;
        let refunds = rows_of_kind(&self.core, EntryKind::Refund).await;
        assert_eq!(spends.len(), 1);
        assert_eq!(spends[0].action, Some(Action::ProjectGeneration));
        assert_eq!(spends[0].amount, -15);
        assert_eq!(refunds.len(), 1);
        assert_eq!(refunds[0].refund_of, Some(spends[0].id));
        assert_eq!(refunds[0].amount, 15);
        let report = verify(&self.core).await;
        assert_eq!((report.entries, report.balance), (3, 100));
        let (status, kind): (String, String) =
            sqlx::query_as("SELECT status, kind FROM project_jobs")
                .fetch_one(self.core.db().pool())
                .await
                .expect("the job row");
        assert_eq!((status.as_str(), kind.as_str()), ("failed", "generation"));
    }
}

/// The project and tasks in the database equal the plan the mock sent.
fn assert_matches_plan(got: &GeneratedProject, plan: &Value) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    assert_eq!(Some(got.project.name.clone()), text(&plan["name"]));
    assert_eq!(
        Some(got.project.description.clone()),
        text(&plan["description"])
    );
    let tasks = plan["tasks"].as_array().expect("the plan's tasks");
    assert_eq!(got.tasks.len(), tasks.len());
    assert_eq!(got.project.total_tasks, tasks.len() as i64);
    for (task, want) in got.tasks.iter().zip(tasks) {
        assert_eq!(Some(task.title.clone()), text(&want["title"]));
        assert_eq!(
            task.description,
            text(&want["description"]).unwrap_or_default()
        );
        let priority = serde_json::to_value(task.priority).expect("a priority as JSON");
        assert_eq!(priority, want["priority"]);
        let due = task.due_date.map(|d| d.format("%Y-%m-%d").to_string());
        assert_eq!(due, text(&want["due_date"]));
        assert_eq!(task.project_id, got.project.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_plan_creates_exactly_its_project_and_tasks_for_15_credits() {
    let g = generator("o3-mini").await;
    let prompt = "Plan a community garden [[project:tasks:5]]";
    let got = g.generate(prompt).await.expect("generate");

    let plan = valid_plan(prompt, 5);
    assert_matches_plan(&got, &plan);
    assert_eq!(got.tasks[0].priority, Priority::High);
    assert_eq!(got.tasks[3].priority, Priority::Urgent);
    assert!(!got.repaired && !got.replayed);
    assert_eq!(got.spend.amount, -15);
    assert_eq!(got.spend.action, Some(Action::ProjectGeneration));
    assert_eq!(g.balance().await, 85);
    assert_eq!(count_rows(&g.core, "projects").await, 1);
    assert_eq!(count_rows(&g.core, "tasks").await, 5);
    let report = verify(&g.core).await;
    assert_eq!((report.entries, report.balance), (2, 85));

    // Asked once, with a strict JSON schema.
    let requests = g.mock.requests();
    assert_eq!(requests.len(), 1);
    let format = &requests[0].body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(
        format["json_schema"]["schema"]["properties"]["tasks"]["items"]["properties"]["priority"]
            ["enum"],
        serde_json::json!(["low", "medium", "high", "urgent"])
    );
    assert_eq!(requests[0].body["messages"][0]["role"], "developer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_streaming_deployment_delivers_the_plan_as_one_chunk() {
    let g = generator("o1-nostream").await;
    let got = g.generate("Write a cookbook").await.expect("generate");
    assert_matches_plan(&got, &valid_plan("Write a cookbook", 3));
    assert_eq!(g.mock.requests()[0].body["stream"], false);
    assert_eq!(g.balance().await, 85);
    verify(&g.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_that_is_not_json_is_repaired_once_then_refunded() {
    let g = generator("o3-mini").await;
    let err = g
        .generate("A birthday party [[project:invalid]]")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidModelOutput, "{err}");
    g.assert_refunded_and_empty().await;

    // Exactly one repair: the first answer and the error went back.
    let requests = g.mock.requests();
    assert_eq!(requests.len(), 2);
    let repair = requests[1].body["messages"].as_array().unwrap();
    assert_eq!(repair.len(), 4);
    assert_eq!(repair[2]["role"], "assistant");
    assert!(repair[3]["content"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_that_breaks_the_schema_is_refunded() {
    let g = generator("o3-mini").await;
    let err = g
        .generate("A move [[project:wrong-schema]]")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidModelOutput, "{err}");
    assert!(err.to_string().contains("schema"), "{err}");
    g.assert_refunded_and_empty().await;
    assert_eq!(g.mock.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_tasks_are_refused_and_refunded() {
    let g = generator("o3-mini").await;
    let err = g.generate("Huge [[project:tasks:31]]").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidModelOutput, "{err}");
    g.assert_refunded_and_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_output_is_refunded_and_creates_nothing() {
    let g = generator("o3-mini").await;
    let err = g
        .generate("A novel [[project:truncated]]")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ModelOutputTruncated, "{err}");
    g.assert_refunded_and_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_once_succeeds_after_one_repair_and_costs_15_once() {
    let g = generator("o3-mini").await;
    let prompt = "Renovate the kitchen [[project:invalid-once]]";
    let got = g.generate(prompt).await.expect("generate after repair");
    assert!(got.repaired);
    assert_matches_plan(&got, &valid_plan(prompt, 3));
    assert_eq!(g.mock.requests().len(), 2);
    assert_eq!(g.balance().await, 85);
    assert_eq!(rows_of_kind(&g.core, EntryKind::Spend).await.len(), 1);
    assert!(rows_of_kind(&g.core, EntryKind::Refund).await.is_empty());
    assert_eq!(count_rows(&g.core, "projects").await, 1);
    assert_eq!(count_rows(&g.core, "tasks").await, 3);
    let report = verify(&g.core).await;
    assert_eq!((report.entries, report.balance), (2, 85));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_without_json_schema_gets_instructions_instead() {
    let g = generator("o3-mini-no-schema").await;
    let got = g.generate("Learn Rust").await.expect("generate");
    assert_matches_plan(&got, &valid_plan("Learn Rust", 3));
    let requests = g.mock.requests();
    // Refused with a schema, answered without one: the schema is in the
    // instructions, and the charge is still one.
    assert_eq!(requests.len(), 2);
    assert!(requests[1].body.get("response_format").is_none());
    let instructions = requests[1].body["messages"][0]["content"].as_str().unwrap();
    assert!(instructions.contains("\"due_date\""), "{instructions}");
    assert_eq!(g.balance().await, 85);
    verify(&g.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_never_charges_or_creates_twice() {
    let g = generator("o3-mini").await;
    let request = GenerateRequest {
        prompt: "Plan a trip".into(),
        idempotency_key: Some("gen-1".into()),
    };
    let first = g.core.generator().generate(request.clone()).await.unwrap();
    let again = g.core.generator().generate(request).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.project, first.project);
    assert_eq!(again.tasks, first.tasks);
    assert_eq!(again.spend, first.spend);
    assert_eq!(g.mock.requests().len(), 1);
    assert_eq!(g.balance().await, 85);
    assert_eq!(count_rows(&g.core, "projects").await, 1);

    // A failed generation's key reports the failure, and charges nothing.
    let failing = GenerateRequest {
        prompt: "x [[project:invalid]]".into(),
        idempotency_key: Some("gen-2".into()),
    };
    g.core
        .generator()
        .generate(failing.clone())
        .await
        .unwrap_err();
    let replay = g.core.generator().generate(failing).await.unwrap_err();
    assert_eq!(replay.code(), ErrorCode::JobFailed);
    assert_eq!(g.balance().await, 85);
    verify(&g.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_charged_without_a_model_or_a_prompt_or_enough_credits() {
    let g = generator("o3-mini").await;
    g.core.chat_engine().set_provider(None);
    let err = g.generate("Plan a trip").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProviderNotConfigured);
    use_mock_model(&g.core, &g.mock.base_url(), "o3-mini");
    let err = g.generate("   ").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    banter_tests::spend_down_to(&g.core, 14).await;
    let before = ledger_rows(&g.core).await.len();
    let err = g.generate("Plan a trip").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Ledger(banter_core::ledger::LedgerError::InsufficientCredits {
                needed: 15,
                available: 14
            })
        ),
        "{err:?}"
    );
    assert_eq!(ledger_rows(&g.core).await.len(), before);
    assert!(g.mock.requests().is_empty());
    assert_eq!(count_rows(&g.core, "project_jobs").await, 0);
    verify(&g.core).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_left_running_by_a_dead_process_is_refunded_at_start_up() {
    let env = Env::new("2026-11-25T09:00:00Z");
    let core = env.open().await;
    let spend = banter_tests::spend(&core, Action::ProjectGeneration, "crashed")
        .await
        .unwrap()
        .entry;
    // A job as a process that died mid-generation leaves it.
    sqlx::query(
        "INSERT INTO project_jobs (user_id, kind, spend_id, input, owner, created_at, updated_at)
         VALUES (?, 'generation', ?, 'x', '00000000-0000-4000-8000-000000000000', ?, ?)",
    )
    .bind(core.user_id())
    .bind(spend.id)
    .bind(spend.created_at)
    .bind(spend.created_at)
    .execute(core.db().pool())
    .await
    .unwrap();
    core.close().await;
    drop(core);

    let core = env.open().await;
    assert_eq!(core.balance().await.unwrap().remaining, 100);
    let refunds = rows_of_kind(&core, EntryKind::Refund).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].refund_of, Some(spend.id));
    let (status, code): (JobStatus, Option<String>) =
        sqlx::query_as("SELECT status, error_code FROM project_jobs")
            .fetch_one(core.db().pool())
            .await
            .unwrap();
    assert_eq!(status, JobStatus::Failed);
    assert_eq!(code.as_deref(), Some("interrupted"));
    verify(&core).await;
}
