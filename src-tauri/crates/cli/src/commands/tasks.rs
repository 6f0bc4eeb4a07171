//! `tasks`: add, list and complete the tasks of projects — this profile's,
//! or (signed in) the account's on the server ([`Store`]).

use super::project_store::Store;
use crate::args::TasksCommand;
use crate::error::CliError;
use crate::output::{date, label, table, Output};
use crate::terminal::cell;
use banter_core::hosted::HostedProjects;
use banter_core::ids::{IdKind, RecordRef};
use banter_core::projects::{NewTask, Task, TaskFilter, TaskStatus};
use banter_core::Core;

pub const HEADERS_WITHOUT_PROJECT: &[&str] = &["ID", "STATUS", "PRIORITY", "DUE", "TITLE"];
const HEADERS: &[&str] = &["ID", "PROJECT", "STATUS", "PRIORITY", "DUE", "TITLE"];

pub async fn run(
    core: &Core,
    hosted: Option<HostedProjects>,
    cmd: TasksCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    let store = Store::new(core, hosted.as_ref());
    match cmd {
        TasksCommand::Add {
            project,
            title,
            priority,
            due,
            description,
        } => {
            let project = store.project(&store.id(IdKind::Project, &project)?).await?;
            let new = NewTask {
                title,
                description,
                priority: priority.map(Into::into),
                due_date: due,
            };
            let t = store.add_task(&RecordRef::Id(project.id), new).await?;
            out.emit(&t, |w| {
                writeln!(
                    w,
                    "added {} to {}: {} ({}, due {})",
                    t.display_id,
                    project.display_id,
                    cell(&t.title),
                    label(&t.priority),
                    date(t.due_date)
                )
            })
        }
        TasksCommand::List {
            project,
            status,
            open,
        } => {
            let project = project.map(|p| store.id(IdKind::Project, &p)).transpose()?;
            let filter = TaskFilter {
                project,
                status: status.map(Into::into),
                open_only: open,
            };
            let tasks = store.tasks(&filter).await?;
            out.emit(&tasks, |w| {
                if tasks.is_empty() {
                    return writeln!(w, "no tasks match");
                }
                let rows: Vec<Vec<String>> = tasks.iter().map(|t| row(t, true)).collect();
                table(w, HEADERS, &rows)
            })
        }
        TasksCommand::Done { id } => {
            let t = store
                .set_task_status(&store.id(IdKind::Task, &id)?, TaskStatus::Done)
                .await?;
            out.emit(&t, |w| {
                writeln!(w, "done {} {}", t.display_id, cell(&t.title))
            })
        }
    }
}

/// One table row; with `with_project`, a PROJECT column after the id.
pub fn row(t: &Task, with_project: bool) -> Vec<String> {
    let mut row = vec![t.display_id.clone()];
    if with_project {
        row.push(t.project_display_id.clone());
    }
    row.extend([
        label(&t.status),
        label(&t.priority),
        date(t.due_date),
        cell(&t.title),
    ]);
    row
}
