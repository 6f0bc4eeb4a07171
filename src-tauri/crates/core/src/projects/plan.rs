//! The project plan a model is asked for: its JSON schema, the
//! instructions, and strict parsing of what comes back. Nothing here trusts
//! the model: every field is checked before a row is written.

use super::{NewTask, Priority};
use crate::providers::ResponseFormat;
use crate::validate::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use chrono::NaiveDate;
use serde_json::{json, Map, Value};

/// The schema's name, as sent in `response_format` and the instructions.
pub const SCHEMA_NAME: &str = "project_plan";

/// A generated project has at least one task and at most this many.
pub const MAX_GENERATED_TASKS: usize = 30;

/// A validated plan, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPlan {
    pub name: String,
    pub description: String,
    pub tasks: Vec<NewTask>,
}

/// Why a reply is not a usable plan; the text is sent back to the model in
/// the repair request, so it names the field and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The model hit its length limit mid-answer.
    Truncated,
    /// The content filter ended the answer.
    Filtered,
    NotJson(String),
    Schema(String),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated => f.write_str("the answer was cut off at the length limit"),
            Self::Filtered => f.write_str("the answer was stopped by the content filter"),
            Self::NotJson(e) => write!(f, "the answer is not valid JSON: {e}"),
            Self::Schema(e) => write!(f, "the JSON does not match the schema: {e}"),
        }
    }
}

/// The JSON schema of a plan in the strict structured-outputs dialect:
/// every property required, optional ones nullable, no extra properties.
/// Limits the dialect cannot express (1–30 tasks, date format) are checked
/// by [`parse`].
pub fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "description", "tasks"],
        "properties": {
            "name": {"type": "string", "description": "A short project name (at most 200 characters)"},
            "description": {"type": "string", "description": "What the project is for, in one or two sentences"},
            "tasks": {
                "type": "array",
                "description": "1 to 30 concrete tasks, in a sensible order",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["title", "description", "priority", "due_date"],
                    "properties": {
                        "title": {"type": "string", "description": "What to do (at most 200 characters)"},
                        "description": {"type": ["string", "null"]},
                        "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"]},
                        "due_date": {"type": ["string", "null"], "description": "YYYY-MM-DD, or null"}
                    }
                }
            }
        }
    })
}

/// The `response_format` for deployments that take one.
pub fn response_format() -> ResponseFormat {
    ResponseFormat::JsonSchema {
        name: SCHEMA_NAME.into(),
        strict: true,
        schema: schema(),
    }
}

/// The developer instructions. Without a schema-enforcing deployment the
/// schema is spelled out in them instead.
pub fn instructions(today: NaiveDate, schema_enforced: bool) -> String {
    let mut text = format!(
        "You plan projects. From the user's description, produce a project: a short name, \
         a one- or two-sentence description, and between 1 and {MAX_GENERATED_TASKS} concrete \
         tasks. Each task has a title, an optional description, a priority (low, medium, high \
         or urgent) and an optional due date (YYYY-MM-DD). Today is {today}. \
         Answer with the JSON object only."
    );
    if !schema_enforced {
        text.push_str(&format!(
            " No prose, no code fences. Use exactly this JSON schema, named \
             {SCHEMA_NAME} (null where a value is not known):\n"
        ));
        text.push_str(&schema().to_string());
    }
    text
}

/// The follow-up that asks the model to fix its answer, once.
pub fn repair_request(error: &PlanError) -> String {
    format!(
        "That answer cannot be used: {error}. Reply again with only the corrected JSON object \
         (at most {MAX_GENERATED_TASKS} tasks, keep descriptions short)."
    )
}

/// Checks a finished reply and turns it into a plan.
pub fn parse(
    text: &str,
    finish: Option<&crate::providers::FinishReason>,
) -> Result<ProjectPlan, PlanError> {
    use crate::providers::FinishReason;
    match finish {
        Some(FinishReason::Length) => return Err(PlanError::Truncated),
        Some(FinishReason::ContentFilter) => return Err(PlanError::Filtered),
        _ => {}
    }
    let value: Value =
        serde_json::from_str(strip_fences(text)).map_err(|e| PlanError::NotJson(e.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| schema_error("the answer must be a JSON object"))?;
    let name = text_field(object, "name", true, MAX_TITLE_CHARS)?.unwrap_or_default();
    let description =
        text_field(object, "description", false, MAX_DESCRIPTION_CHARS)?.unwrap_or_default();
    let tasks = object
        .get("tasks")
        .and_then(Value::as_array)
        .ok_or_else(|| schema_error("tasks must be an array"))?;
    if tasks.is_empty() || tasks.len() > MAX_GENERATED_TASKS {
        return Err(schema_error(&format!(
            "tasks must hold 1 to {MAX_GENERATED_TASKS} items, not {}",
            tasks.len()
        )));
    }
    let tasks = tasks
        .iter()
        .enumerate()
        .map(|(i, task)| parse_task(i, task))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProjectPlan {
        name,
        description,
        tasks,
    })
}

fn parse_task(index: usize, task: &Value) -> Result<NewTask, PlanError> {
    let at = |what: &str| format!("tasks[{index}].{what}");
    let object = task
        .as_object()
        .ok_or_else(|| schema_error(&format!("tasks[{index}] must be an object")))?;
    let title = text_field(object, "title", true, MAX_TITLE_CHARS)
        .map_err(|e| prefix(e, &format!("tasks[{index}]")))?
        .unwrap_or_default();
    let description = text_field(object, "description", false, MAX_DESCRIPTION_CHARS)
        .map_err(|e| prefix(e, &format!("tasks[{index}]")))?;
    let priority = match object.get("priority") {
        Some(Value::String(p)) => match p.trim().to_ascii_lowercase().as_str() {
            "low" => Priority::Low,
            "medium" => Priority::Medium,
            "high" => Priority::High,
            "urgent" => Priority::Urgent,
            _ => {
                return Err(schema_error(&format!(
                    "{} is {p:?}; use low, medium, high or urgent",
                    at("priority")
                )))
            }
        },
        _ => return Err(schema_error(&format!("{} is missing", at("priority")))),
    };
    let due_date = match object.get("due_date") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) if d.trim().is_empty() => None,
        Some(Value::String(d)) => Some(parse_date(d.trim()).ok_or_else(|| {
            schema_error(&format!(
                "{} is {d:?}; use YYYY-MM-DD or null",
                at("due_date")
            ))
        })?),
        Some(_) => {
            return Err(schema_error(&format!(
                "{} must be a string or null",
                at("due_date")
            )))
        }
    };
    Ok(NewTask {
        title,
        description: description.filter(|d| !d.is_empty()),
        priority: Some(priority),
        due_date,
    })
}

/// A calendar date written exactly as `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A string field: required ones must hold text; at most `max` characters.
fn text_field(
    object: &Map<String, Value>,
    field: &str,
    required: bool,
    max: usize,
) -> Result<Option<String>, PlanError> {
    match object.get(field) {
        Some(Value::String(s)) => {
            let s = s.trim();
            if required && s.is_empty() {
                return Err(schema_error(&format!("{field} must not be empty")));
            }
            let n = s.chars().count();
            if n > max {
                return Err(schema_error(&format!(
                    "{field} has {n} characters; at most {max}"
                )));
            }
            Ok(Some(s.to_string()))
        }
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(schema_error(&format!("{field} is missing"))),
        Some(_) => Err(schema_error(&format!("{field} must be a string"))),
    }
}

fn schema_error(text: &str) -> PlanError {
    PlanError::Schema(text.to_string())
}

fn prefix(error: PlanError, path: &str) -> PlanError {
    match error {
        PlanError::Schema(e) => PlanError::Schema(format!("{path}.{e}")),
        other => other,
    }
}

/// Models without enforced JSON sometimes wrap it in a Markdown code fence.
fn strip_fences(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::FinishReason;

    const GOOD: &str = r#"{"name":"Garden","description":"Grow things","tasks":[
        {"title":"Dig","description":null,"priority":"high","due_date":"2026-12-01"},
        {"title":"Plant","description":"Seeds","priority":"low","due_date":null}]}"#;

    #[test]
    fn a_good_plan_parses() {
        let plan = parse(GOOD, Some(&FinishReason::Stop)).unwrap();
        assert_eq!(plan.name, "Garden");
        assert_eq!(plan.tasks.len(), 2);
        assert_eq!(plan.tasks[0].priority, Some(Priority::High));
        assert_eq!(plan.tasks[0].due_date, NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(plan.tasks[1].description.as_deref(), Some("Seeds"));
        let fenced = format!("```json\n{GOOD}\n```");
        assert_eq!(parse(&fenced, None).unwrap(), plan);
    }

    #[test]
    fn bad_plans_say_what_is_wrong() {
        let err = |text: &str| parse(text, None).unwrap_err().to_string();
        assert!(err("Sure! {").contains("not valid JSON"));
        assert!(err(r#"{"name":"x","description":"","tasks":[]}"#).contains("1 to 30"));
        assert!(err(&GOOD.replace("\"high\"", "\"critical\"")).contains("tasks[0].priority"));
        assert!(err(&GOOD.replace("2026-12-01", "12/01/2026")).contains("tasks[0].due_date"));
        assert!(err(&GOOD.replace("\"Garden\"", "\"  \"")).contains("name must not be empty"));
        assert!(err(&GOOD.replace("\"Dig\"", "null")).contains("tasks[0].title is missing"));
        assert_eq!(
            parse(GOOD, Some(&FinishReason::Length)),
            Err(PlanError::Truncated)
        );
    }

    #[test]
    fn too_many_tasks_are_refused() {
        let task = r#"{"title":"t","description":null,"priority":"low","due_date":null}"#;
        let tasks = vec![task; 31].join(",");
        let text = format!(r#"{{"name":"n","description":"d","tasks":[{tasks}]}}"#);
        assert!(parse(&text, None)
            .unwrap_err()
            .to_string()
            .contains("not 31"));
    }

    #[test]
    fn the_schema_is_strict() {
        let s = schema();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(
            s["properties"]["tasks"]["items"]["additionalProperties"],
            false
        );
        assert_eq!(
            s["properties"]["tasks"]["items"]["required"],
            json!(["title", "description", "priority", "due_date"])
        );
    }
}
