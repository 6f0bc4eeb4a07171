//! Printing results: one JSON document per command with `--json`, readable
//! text otherwise. Commands build a value once and hand both forms to
//! [`Output::emit`], so the two can't drift apart. Times are shown in UTC,
//! the zone credit periods are defined in.
//!
//! Text output is made inert for the terminal ([`crate::terminal`]): tables
//! and fields neutralise every cell, and [`Output::emit`] passes the whole
//! text through [`text`] once more before it reaches stdout, so a command
//! that forgets to neutralise a value still cannot print a control
//! character. The JSON output is left exact (serde escapes controls).

use crate::error::CliError;
use crate::terminal::{cell, text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::io::{self, StdoutLock, Write};

pub struct Output {
    json: bool,
    out: StdoutLock<'static>,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            out: io::stdout().lock(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value` as one line of JSON with `--json`, else runs `human`
    /// and prints what it wrote with control characters neutralised.
    pub fn emit<T, F>(&mut self, value: &T, human: F) -> Result<(), CliError>
    where
        T: Serialize + ?Sized,
        F: FnOnce(&mut dyn Write) -> io::Result<()>,
    {
        if self.json {
            let text = serde_json::to_string(value).map_err(|e| {
                CliError::Internal(format!("cannot encode the output as JSON: {e}"))
            })?;
            writeln!(self.out, "{text}")?;
        } else {
            let mut written = Vec::new();
            human(&mut written)?;
            // Everything written here came from `format!` of `&str`s, so it
            // is UTF-8; lossy decoding only guards against a future mistake.
            let inert = text(&String::from_utf8_lossy(&written));
            self.out.write_all(inert.as_bytes())?;
        }
        self.out.flush()?;
        Ok(())
    }
}

/// Writes rows under headers in aligned columns (the last one is not
/// padded). Every cell is neutralised with [`cell`] first.
pub fn table(w: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| cell(c)).collect())
        .collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes `key  value` lines with the values aligned; each value is
/// neutralised with [`cell`].
pub fn fields(w: &mut dyn Write, pairs: &[(&str, String)]) -> io::Result<()> {
    let width = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in pairs {
        writeln!(w, "{key:<width$}  {}", cell(value))?;
    }
    Ok(())
}

/// `2026-11-25 06:02` (UTC).
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// `2026-12-01` (UTC).
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

pub fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The core's own name for an enum value (`in_progress`, `signup_grant`, …),
/// taken from its serde form so the text and JSON outputs agree.
pub fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut buf = Vec::new();
        let rows = vec![vec!["CH-000001".to_string(), "hello".to_string()]];
        table(&mut buf, &["ID", "TITLE"], &rows).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "ID         TITLE\nCH-000001  hello\n"
        );
    }

    #[test]
    fn tables_and_fields_neutralise_their_cells() {
        let mut buf = Vec::new();
        let rows = vec![vec!["1".to_string(), "a\x1b]0;t\x07\nb".to_string()]];
        table(&mut buf, &["ID", "TITLE"], &rows).unwrap();
        fields(&mut buf, &[("name", "x\u{9b}2J".to_string())]).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "ID  TITLE\n1   a\\x1b]0;t\\x07 b\nname  x\\x9b2J\n"
        );
    }
}
