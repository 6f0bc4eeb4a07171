//! `projects`: the user's projects (the chat can take them as context) —
//! this profile's, or (signed in) the account's on the server ([`Store`]).

use super::project_store::Store;
use super::tasks;
use crate::args::ProjectsCommand;
use crate::error::CliError;
use crate::output::{fields, label, table, when, Output};
use crate::terminal::cell;
use banter_core::hosted::HostedProjects;
use banter_core::ids::IdKind;
use banter_core::projects::{Project, Task, TaskFilter};
use banter_core::Core;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct ProjectView {
    project: Project,
    tasks: Vec<Task>,
}

pub async fn run(
    core: &Core,
    hosted: Option<HostedProjects>,
    cmd: ProjectsCommand,
    out: &mut Output,
) -> Result<(), CliError> {
    let store = Store::new(core, hosted.as_ref());
    match cmd {
        ProjectsCommand::List { all } => {
            let projects = store.list(all).await?;
            out.emit(&projects, |w| {
                if projects.is_empty() {
                    return writeln!(w, "no projects yet: banter-cli projects new NAME");
                }
                let rows: Vec<Vec<String>> = projects
                    .iter()
                    .map(|p| {
                        vec![
                            p.display_id.clone(),
                            label(&p.status),
                            format!("{}/{}", p.open_tasks, p.total_tasks),
                            when(p.updated_at),
                            cell(&p.name),
                        ]
                    })
                    .collect();
                table(
                    w,
                    &["ID", "STATUS", "OPEN/ALL", "UPDATED (UTC)", "NAME"],
                    &rows,
                )
            })
        }
        ProjectsCommand::New { name, description } => {
            let p = store
                .create(&name, description.as_deref().unwrap_or(""))
                .await?;
            out.emit(&p, |w| {
                writeln!(w, "created {} {}", p.display_id, cell(&p.name))
            })
        }
        ProjectsCommand::Show { id } => {
            let id = store.id(IdKind::Project, &id)?;
            let project = store.project(&id).await?;
            let filter = TaskFilter {
                project: Some(id),
                ..Default::default()
            };
            let tasks = store.tasks(&filter).await?;
            let view = ProjectView { project, tasks };
            out.emit(&view, |w| show(w, &view))
        }
    }
}

fn show(w: &mut dyn Write, view: &ProjectView) -> io::Result<()> {
    let p = &view.project;
    let mut pairs = vec![
        ("project", format!("{} {}", p.display_id, cell(&p.name))),
        ("status", label(&p.status)),
        (
            "tasks",
            format!("{} open of {}", p.open_tasks, p.total_tasks),
        ),
        ("created", format!("{} UTC", when(p.created_at))),
        ("updated", format!("{} UTC", when(p.updated_at))),
    ];
    if !p.description.is_empty() {
        pairs.push(("description", cell(&p.description)));
    }
    fields(w, &pairs)?;
    if view.tasks.is_empty() {
        return writeln!(
            w,
            "\nno tasks yet: banter-cli tasks add {} TITLE",
            p.display_id
        );
    }
    writeln!(w)?;
    let rows: Vec<Vec<String>> = view.tasks.iter().map(|t| tasks::row(t, false)).collect();
    table(w, tasks::HEADERS_WITHOUT_PROJECT, &rows)
}
