//! Answers to AI project-generation requests.
//!
//! A request is a generation request when it carries a `response_format`,
//! when its instructions (the first message) name the `project_plan`
//! schema (Banter's fallback for deployments without JSON schemas), or when
//! its first user message holds a `[[project…]]` directive. The answer is a project
//! plan as JSON, derived from the first user message (the description), and
//! the directive there picks a variant:
//!
//! - none, or `[[project:tasks:N]]` — a valid plan (3 tasks by default, N if
//!   given; N > 30 makes a plan the app must refuse);
//! - `[[project:invalid]]` — text that is not JSON, on every request;
//! - `[[project:wrong-schema]]` — JSON that breaks the schema (empty name,
//!   unknown priority), on every request;
//! - `[[project:truncated]]` — the plan cut mid-JSON with
//!   `finish_reason: "length"`, on every request;
//! - `[[project:invalid-once]]` — not JSON first; a valid plan when the
//!   request is a repair (it holds an earlier `assistant` answer).
//!
//! The rest of the prompt (directives removed) names the project, so tests
//! can compute the expected plan with [`valid_plan`].

use serde_json::{json, Value};

/// What a generation request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Valid { tasks: usize },
    Invalid,
    WrongSchema,
    Truncated,
    InvalidOnce,
}

/// The answer's text and why it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    pub finish_reason: &'static str,
}

/// Tasks in a valid plan without `[[project:tasks:N]]`.
pub const DEFAULT_TASKS: usize = 3;

/// True when `body` asks for a project plan.
pub fn is_generation(body: &Value) -> bool {
    let instructions = body["messages"][0]["content"].as_str().unwrap_or("");
    body.get("response_format").is_some_and(|f| !f.is_null())
        || (body["messages"][0]["role"] != "user" && instructions.contains("project_plan"))
        || first_user_message(body).contains("[[project")
}

/// The description: the first user message (later ones are repair requests).
pub fn first_user_message(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

/// True when the request repeats an earlier answer (a repair request).
pub fn is_repair(body: &Value) -> bool {
    body["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["role"] == "assistant"))
}

/// The variant the description's directive picks.
pub fn variant(description: &str) -> Variant {
    let Some(start) = description.find("[[project:") else {
        return Variant::Valid {
            tasks: DEFAULT_TASKS,
        };
    };
    let rest = &description[start + "[[project:".len()..];
    let directive = rest.split("]]").next().unwrap_or("").trim();
    match directive {
        "invalid" => Variant::Invalid,
        "wrong-schema" => Variant::WrongSchema,
        "truncated" => Variant::Truncated,
        "invalid-once" => Variant::InvalidOnce,
        other => Variant::Valid {
            tasks: other
                .strip_prefix("tasks:")
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(DEFAULT_TASKS),
        },
    }
}

/// The description without `[[…]]` directives, on one line.
pub fn topic(description: &str) -> String {
    let mut out = String::new();
    let mut rest = description;
    while let Some(start) = rest.find("[[") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("]]") {
            Some(end) => &rest[start + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        "Mock project".into()
    } else {
        flat.chars().take(60).collect()
    }
}

/// The valid plan for `description` with `tasks` tasks: name = the topic;
/// task i is "Step i of <topic>", priorities cycle high, medium, low,
/// urgent; odd tasks are due on 2026-12-(i); the first has a description.
pub fn valid_plan(description: &str, tasks: usize) -> Value {
    let topic = topic(description);
    let priorities = ["high", "medium", "low", "urgent"];
    let tasks: Vec<Value> = (1..=tasks)
        .map(|i| {
            json!({
                "title": format!("Step {i} of {topic}"),
                "description": if i == 1 { Value::from("Start here") } else { Value::Null },
                "priority": priorities[(i - 1) % priorities.len()],
                "due_date": if i % 2 == 1 { Value::from(format!("2026-12-{:02}", (i % 28) + 1)) } else { Value::Null },
            })
        })
        .collect();
    json!({
        "name": topic,
        "description": format!("A mock plan for: {topic}"),
        "tasks": tasks,
    })
}

/// The answer to a generation request.
pub fn answer(body: &Value) -> Answer {
    let description = first_user_message(body);
    let valid = |tasks| Answer {
        text: valid_plan(&description, tasks).to_string(),
        finish_reason: "stop",
    };
    let not_json = Answer {
        text: format!(
            "Sure! Here is a plan for {}: name = {}",
            topic(&description),
            "{"
        ),
        finish_reason: "stop",
    };
    match variant(&description) {
        Variant::Valid { tasks } => valid(tasks),
        Variant::Invalid => not_json,
        Variant::InvalidOnce if is_repair(body) => valid(DEFAULT_TASKS),
        Variant::InvalidOnce => not_json,
        Variant::WrongSchema => Answer {
            text: json!({"name": "", "description": "x",
                         "tasks": [{"title": "t", "description": null, "priority": "critical", "due_date": "soon"}]})
            .to_string(),
            finish_reason: "stop",
        },
        Variant::Truncated => {
            let full = valid_plan(&description, DEFAULT_TASKS).to_string();
            let cut: String = full.chars().take(full.chars().count() / 2).collect();
            Answer {
                text: cut,
                finish_reason: "length",
            }
        }
    }
}

/// What Azure refuses in a `response_format`, as a (param, message) pair.
pub fn invalid_response_format(body: &Value) -> Option<(&'static str, String)> {
    let format = body.get("response_format").filter(|f| !f.is_null())?;
    let kind = format["type"].as_str().unwrap_or("");
    match kind {
        "text" | "json_object" => None,
        "json_schema" => {
            let schema = &format["json_schema"];
            let name_ok = schema["name"].as_str().is_some_and(|n| {
                !n.is_empty()
                    && n.len() <= 64
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            if !name_ok {
                return Some((
                    "response_format.json_schema.name",
                    "Invalid 'response_format.json_schema.name': expected a name of letters, digits, '_' or '-'.".into(),
                ));
            }
            if !schema["schema"].is_object() {
                return Some((
                    "response_format.json_schema.schema",
                    "Invalid 'response_format.json_schema.schema': expected an object.".into(),
                ));
            }
            if !schema["strict"].is_null() && !schema["strict"].is_boolean() {
                return Some((
                    "response_format.json_schema.strict",
                    "Invalid 'response_format.json_schema.strict': expected a boolean.".into(),
                ));
            }
            None
        }
        other => Some((
            "response_format.type",
            format!("Invalid value: '{other}'. Supported values are: 'json_object', 'json_schema', and 'text'."),
        )),
    }
}

/// Splits `text` into pieces of about `size` characters (never inside one).
pub fn pieces(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect();
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(user: &str, format: bool) -> Value {
        let mut b = json!({"messages": [{"role": "developer", "content": "plan"}, {"role": "user", "content": user}]});
        if format {
            b["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema": {}}});
        }
        b
    }

    #[test]
    fn variants_and_repairs() {
        assert!(is_generation(&body("a garden", true)));
        assert!(is_generation(&body("a garden [[project:invalid]]", false)));
        assert!(!is_generation(&body("hello", false)));
        let valid: Value = serde_json::from_str(&answer(&body("A garden", true)).text).unwrap();
        assert_eq!(valid, valid_plan("A garden", 3));
        assert_eq!(valid["tasks"][0]["due_date"], "2026-12-02");
        let once = body("x [[project:invalid-once]]", true);
        assert!(serde_json::from_str::<Value>(&answer(&once).text).is_err());
        let mut repair = once.clone();
        repair["messages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"role": "assistant", "content": "bad"}));
        repair["messages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"role": "user", "content": "fix it"}));
        assert!(serde_json::from_str::<Value>(&answer(&repair).text).is_ok());
        let cut = answer(&body("y [[project:truncated]]", true));
        assert_eq!(cut.finish_reason, "length");
        assert!(serde_json::from_str::<Value>(&cut.text).is_err());
        assert_eq!(
            variant("[[project:tasks:31]]"),
            Variant::Valid { tasks: 31 }
        );
        assert_eq!(
            topic("  Plan a   trip [[project:tasks:2]] now "),
            "Plan a trip now"
        );
    }

    #[test]
    fn response_formats_are_checked() {
        assert!(invalid_response_format(&body("x", true)).is_none());
        let mut b = body("x", true);
        b["response_format"]["json_schema"]["name"] = json!("bad name");
        assert!(invalid_response_format(&b).is_some());
        b["response_format"] = json!({"type": "xml"});
        assert!(invalid_response_format(&b).is_some());
    }
}
