//! The command line, declared with clap derive. Only shapes live here: what
//! each command accepts. Ids stay strings until the command parses them with
//! the core's `RecordRef::parse`, so a bad id gets the core's error code.

use banter_core::chat::MAX_PAGE;
use banter_core::db::paths::DATA_DIR_ENV;
use banter_core::projects::{Priority, TaskStatus};
use banter_core::providers::ReasoningEffort;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Most ledger rows one call returns (the core's own cap).
const MAX_LEDGER_ROWS: i64 = 1000;

/// Banter from a terminal: credits, the ledger, chat sessions, projects and tasks.
#[derive(Debug, Parser)]
#[command(
    name = "banter-cli",
    version,
    after_help = "Exit status: 0 success, 1 something you can fix (bad input, unknown id), \
                  2 anything else (e.g. a corrupt database). With --json, errors are printed \
                  to stderr as one JSON object with a stable `code`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after the command name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding banter.db [default: the OS data directory]
    #[arg(long, global = true, value_name = "DIR", env = DATA_DIR_ENV)]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of text (errors go to stderr as JSON too)
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the local profile and where its data lives
    Profile,
    /// Show the credit balance and the next monthly reset
    Credits,
    /// List credit ledger rows, newest first, or check that they add up
    Ledger(LedgerArgs),
    /// Create, list, show, rename and delete chat sessions
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Create, list and show projects
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Add, list and complete tasks
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// Send a message and stream the reply (model from AZURE_OPENAI_* variables)
    Chat(ChatArgs),
    /// Saved personas (a system prompt and effort) to start chats from, on
    /// this computer
    #[command(subcommand)]
    Personas(PersonasCommand),
    /// The chat models a chat can be answered by (`chat --model NAME`):
    /// this computer's, or the server's when signed in
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Describe a project; the model creates it with its tasks (15 credits)
    Generate(GenerateArgs),
    /// Save a web page's title and main text on a project (5 credits)
    Scrape(ScrapeArgs),
    /// Open a checkout for a pack or Pro and print its payment page
    Buy(BuyArgs),
    /// Handle a banter:// link exactly as the app does
    DeepLink(DeepLinkArgs),
    /// Purchases through Autumn (AUTUMN_SECRET_KEY, AUTUMN_API_URL)
    #[command(subcommand)]
    Billing(BillingCommand),
    /// Sign in to a Banter server (hosted mode), see who is signed in, sign out
    #[command(subcommand)]
    Account(AccountCommand),
    /// Signed in: bring this computer's copy of the account up to date with
    /// the server and say how many changes came in
    Sync,
}

/// Hosted mode. Signed in, `credits`, `ledger`, `sessions`, `projects`,
/// `tasks`, `chat`, `generate`, `scrape`, `buy`, `billing sync` and
/// `deep-link` act on the account through the server; `profile` stays on
/// this computer's profile.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Sign in through the server's identity provider in the browser
    Login {
        /// The Banter server, e.g. https://banter.example.com
        #[arg(long, value_name = "URL")]
        server: String,
        /// Print the sign-in page but do not open a browser
        #[arg(long)]
        no_browser: bool,
    },
    /// Show which server and account this profile is signed in to
    Status,
    /// Import this computer's local-mode conversations and projects into
    /// the account (once; an interrupted import resumes). Local-mode
    /// credits are not transferred, and nothing is charged
    Import {
        /// After a complete import, remove from this computer what the
        /// account confirmed (records changed here since are kept)
        #[arg(long)]
        remove_local: bool,
    },
    /// Sign this device out on the server and remove its tokens here
    Logout {
        /// Only on this computer, when the server cannot be reached: the
        /// server lists the device until another one signs it out
        #[arg(long)]
        here_only: bool,
        /// Keep this computer's copy of the account's history for the next
        /// sign-in of the same account (by default it is removed)
        #[arg(long)]
        keep_copy: bool,
    },
}

#[derive(Debug, Args)]
pub struct BuyArgs {
    /// credits_500, credits_1000, credits_5000 or pro
    pub pack: String,
}

#[derive(Debug, Args)]
pub struct DeepLinkArgs {
    /// The link, e.g. banter://purchase/complete
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum BillingCommand {
    /// Ask Autumn what has been paid and add what is not yet added
    Sync,
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Continue this session (CH-000001 or its number)
    #[arg(long, value_name = "ID", conflicts_with = "new")]
    pub session: Option<String>,
    /// Start a new session (the default without --session)
    #[arg(long)]
    pub new: bool,
    /// Include your recent projects and active tasks
    #[arg(long)]
    pub context: bool,
    /// Same key, same send: a retry never charges twice
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// Send the message as an edited version of this message of yours (its
    /// id, from `sessions show`): the conversation branches there
    #[arg(long, value_name = "MESSAGE_ID", conflicts_with = "new")]
    pub edit: Option<i64>,
    /// This chat's system prompt in place of the app's; the chat keeps it
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["persona", "edit"])]
    pub system: Option<String>,
    /// Take the system prompt (and effort) of a saved persona (see `personas`)
    #[arg(long, value_name = "NAME", conflicts_with = "edit")]
    pub persona: Option<String>,
    /// How hard an o-series model thinks; the chat keeps it
    #[arg(long, value_enum, conflicts_with = "edit")]
    pub effort: Option<Effort>,
    /// Answer with this configured model (see `models list`); the chat
    /// keeps it
    #[arg(long, value_name = "NAME", conflicts_with = "edit")]
    pub model: Option<String>,
    /// Send this file with the message (repeatable): a text or code file,
    /// or a PNG, JPEG, GIF or WebP image for a vision-capable model
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<std::path::PathBuf>,
    /// The message
    pub message: String,
}

/// A reasoning effort (`reasoning_effort` of o-series models).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Effort {
    Low,
    Medium,
    High,
}

impl From<Effort> for ReasoningEffort {
    fn from(effort: Effort) -> Self {
        match effort {
            Effort::Low => Self::Low,
            Effort::Medium => Self::Medium,
            Effort::High => Self::High,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the models, the default marked
    List,
    /// Add a model, or change the one of this name (this computer's)
    Add(ModelArgs),
    /// Make a model the default (new chats, chats naming no model, projects)
    Default { name: String },
    /// Remove a model; its chats are answered by the default from then on
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The name chats remember it by
    pub name: String,
    /// An Azure OpenAI resource, https://NAME.openai.azure.com
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "base_url",
        conflicts_with = "base_url"
    )]
    pub azure_endpoint: Option<String>,
    /// The Azure deployment
    #[arg(long, requires = "azure_endpoint")]
    pub deployment: Option<String>,
    /// The Azure API version (the classic URL form); none uses the v1 form
    #[arg(long, requires = "azure_endpoint")]
    pub api_version: Option<String>,
    /// The deployment runs a GPT model (system role) rather than an
    /// o-series one (developer role, reasoning effort)
    #[arg(long, requires = "azure_endpoint")]
    pub gpt: bool,
    /// An OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The model the OpenAI-compatible server runs
    #[arg(long = "model-id", value_name = "ID", requires = "base_url")]
    pub model_id: Option<String>,
    /// The model answers whole instead of streaming (o1)
    #[arg(long)]
    pub no_stream: bool,
    /// The model can see images
    #[arg(long)]
    pub vision: bool,
    /// Read the endpoint's API key from stdin (one line) into the keyring
    #[arg(long)]
    pub key_stdin: bool,
    /// Make it the default model
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonasCommand {
    /// List the saved personas
    List,
    /// Save a persona (one of the same name is replaced)
    Save {
        /// Its name (ignoring case)
        name: String,
        /// The system prompt a chat started from it gets
        #[arg(long, value_name = "TEXT")]
        prompt: String,
        /// Its reasoning effort [default: the model's own]
        #[arg(long, value_enum)]
        effort: Option<Effort>,
    },
    /// Delete a persona; chats started from it keep their prompt
    Delete { name: String },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Same key, same generation: a retry never charges twice
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// What the project is about (1 to 4,000 characters)
    pub prompt: String,
}

#[derive(Debug, Args)]
pub struct ScrapeArgs {
    /// Add the page to this project (PR-000001 or its number) [default: a new project]
    #[arg(long, value_name = "ID")]
    pub project: Option<String>,
    /// Same key, same scrape: a retry never charges twice
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// The page's http:// or https:// address
    pub url: String,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// How many rows to show
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=MAX_LEDGER_ROWS))]
    pub limit: u32,
    /// Only rows older than this ledger row id (for paging)
    #[arg(long, value_name = "ID", value_parser = clap::value_parser!(i64).range(1..))]
    pub before: Option<i64>,
    /// Check that the rows sum to the balance instead of listing them
    #[arg(long, conflicts_with_all = ["limit", "before"])]
    pub verify: bool,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions, most recently active first
    List {
        /// Sessions per page
        #[arg(long, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)))]
        limit: Option<u32>,
        /// The cursor printed at the end of the previous page
        #[arg(long, value_name = "C")]
        cursor: Option<String>,
    },
    /// Start a session (untitled ones are named by their first message)
    New {
        /// Title [default: none until the first message]
        #[arg(long, value_name = "T")]
        title: Option<String>,
    },
    /// Show a session's conversation (with --json: every message, each
    /// with its parent and whether it is on the active branch)
    Show {
        /// Session id: CH-000001 or its number
        id: String,
    },
    /// Switch the session to the branch through a message (another version
    /// of an edited message or a regenerated reply)
    Branch {
        /// Session id: CH-000001 or its number
        id: String,
        /// A message of the session (its id, from `sessions show`)
        message_id: i64,
    },
    /// Rename a session
    Rename {
        /// Session id: CH-000001 or its number
        id: String,
        /// The new title (1 to 200 characters)
        title: String,
    },
    /// Delete a session and its messages (the ledger keeps what they cost)
    Delete {
        /// Session id: CH-000001 or its number
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List projects, most recently active first
    List {
        /// Include archived projects
        #[arg(long)]
        all: bool,
    },
    /// Create a project
    New {
        /// The project's name (1 to 200 characters)
        name: String,
        /// What the project is about
        #[arg(long, value_name = "D")]
        description: Option<String>,
    },
    /// Show a project and its tasks
    Show {
        /// Project id: PR-000001 or its number
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// Add a task to a project
    Add {
        /// Project id: PR-000001 or its number
        project: String,
        /// What to do (1 to 200 characters)
        title: String,
        /// How urgent it is [default: medium]
        #[arg(long, value_enum)]
        priority: Option<PriorityArg>,
        /// Due date
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        due: Option<NaiveDate>,
        /// Details
        #[arg(long, value_name = "D")]
        description: Option<String>,
    },
    /// List tasks, most urgent first
    List {
        /// Only this project's tasks (PR-000001 or its number)
        #[arg(long, value_name = "ID")]
        project: Option<String>,
        /// Only tasks with this status
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only tasks that are not done
        #[arg(long)]
        open: bool,
    },
    /// Mark a task done
    Done {
        /// Task id: TK-000001 or its number
        id: String,
    },
}

/// Task priority as typed on the command line; mirrors the core's `Priority`,
/// which does not depend on clap.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PriorityArg {
    Low,
    Medium,
    High,
    Urgent,
}

impl From<PriorityArg> for Priority {
    fn from(p: PriorityArg) -> Self {
        match p {
            PriorityArg::Low => Self::Low,
            PriorityArg::Medium => Self::Medium,
            PriorityArg::High => Self::High,
            PriorityArg::Urgent => Self::Urgent,
        }
    }
}

/// Task status as typed on the command line, spelled as in the JSON output.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum StatusArg {
    Todo,
    #[value(alias = "in-progress")]
    InProgress,
    Done,
}

impl From<StatusArg> for TaskStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Todo => Self::Todo,
            StatusArg::InProgress => Self::InProgress,
            StatusArg::Done => Self::Done,
        }
    }
}

/// Parses a calendar date; clap turns the error into a usage error (exit 1).
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|e| format!("expected a date like 2026-12-31 ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2026-12-01"),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("tomorrow").is_err());
    }
}
