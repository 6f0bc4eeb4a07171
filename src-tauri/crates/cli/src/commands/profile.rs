//! `profile`: who this install is and where its data lives.

use crate::error::CliError;
use crate::output::{fields, when, Output};
use banter_core::users::Profile;
use banter_core::Core;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileView<'a> {
    #[serde(flatten)]
    profile: &'a Profile,
    data_dir: &'a Path,
    db_path: &'a Path,
}

pub async fn run(core: &Core, out: &mut Output) -> Result<(), CliError> {
    let db_path = core.db_path();
    let view = ProfileView {
        profile: core.profile(),
        data_dir: db_path.parent().unwrap_or(db_path),
        db_path,
    };
    out.emit(&view, |w| {
        let p = view.profile;
        fields(
            w,
            &[
                ("name", p.display_name.clone()),
                (
                    "email",
                    p.email.clone().unwrap_or_else(|| "(none)".to_string()),
                ),
                ("id", p.id.clone()),
                ("created", format!("{} UTC", when(p.created_at))),
                ("data dir", view.data_dir.display().to_string()),
                ("database", view.db_path.display().to_string()),
            ],
        )
    })
}
