//! `validate --json` in the shape of `terraform validate -json`, so the tools that read it
//! (editors, reviewdog, CI annotations) read strata's: `format_version` "1.0", `valid`,
//! `error_count`, `warning_count`, `diagnostics[{severity, summary, detail, range{filename,
//! start{line, column, byte}, end{…}}, snippet{context, code, start_line,
//! highlight_start_offset, highlight_end_offset, values}}]`, with strata's `address`,
//! `attribute` and `stack` beside them.
//!
//! A diagnostic's range is its line's content (strata knows the line of a problem, not its
//! column): from the first to past the last character that is not blank; columns count
//! characters from 1, bytes count from the file's start at 0, ends are exclusive — as
//! Terraform's. Invariant: the snippet's code never shows a secret (`config::secrets`); a
//! problem in a variable file, whose values may be sensitive, has a range but no snippet.

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::util::Redactor;
use serde_json::{json, Value};

pub fn document(cfg: &Config, diags: &Diagnostics) -> Value {
    let errors = diags.errors();
    let hide = crate::config::secrets::of(cfg);
    let list: Vec<Value> = diags.0.iter().map(|d| diagnostic(cfg, d, &hide)).collect();
    json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": diags.0.len() - errors,
        "diagnostics": list,
        "stack": cfg.stack,
    })
}

fn diagnostic(cfg: &Config, d: &Diagnostic, hide: &Redactor) -> Value {
    let mut out = serde_json::Map::new();
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    out.insert("severity".into(), json!(severity));
    out.insert("summary".into(), json!(d.message));
    out.insert("detail".into(), json!(d.hint.clone().unwrap_or_default()));
    if let Some(a) = &d.address {
        out.insert("address".into(), json!(a));
    }
    if let Some(a) = &d.attribute {
        out.insert("attribute".into(), json!(a));
    }
    if let Some(at) = place(cfg, d) {
        out.insert("range".into(), at.range(d));
        if at.config_file {
            out.insert("snippet".into(), at.snippet(d, hide));
        }
    }
    Value::Object(out)
}

/// Where a diagnostic stands in its file's text.
struct Place {
    line: usize,
    /// The line's text, without its line break.
    code: String,
    /// The byte offset of the line's start in the file.
    line_start: usize,
    /// Whether the file is one of the stack's config files (not a variable file).
    config_file: bool,
}

fn place(cfg: &Config, d: &Diagnostic) -> Option<Place> {
    let (file, line) = (d.file.as_ref()?, d.line?);
    let source = cfg.files.iter().find(|f| &f.path == file);
    let text = match source {
        Some(f) => f.text.clone(),
        None => std::fs::read_to_string(file).ok()?,
    };
    let mut line_start = 0;
    let mut lines = text.split_inclusive('\n');
    for _ in 1..line {
        line_start += lines.next()?.len();
    }
    // the line after a final line break (where a parser reports an unexpected end) is empty
    let code = lines.next().unwrap_or_default();
    Some(Place {
        line,
        code: code.trim_end_matches(['\n', '\r']).to_string(),
        line_start,
        config_file: source.is_some(),
    })
}

impl Place {
    /// The byte offsets, within the line, of its first and past its last non-blank
    /// character (the whole line when it is blank).
    fn span(&self) -> (usize, usize) {
        let end = self.code.trim_end().len();
        let start = self.code.len() - self.code.trim_start().len();
        if start >= end {
            return (0, self.code.len());
        }
        (start, end)
    }

    fn pos(&self, offset: usize) -> Value {
        let column = self.code[..offset].chars().count() + 1;
        json!({ "line": self.line, "column": column, "byte": self.line_start + offset })
    }

    fn range(&self, d: &Diagnostic) -> Value {
        let (start, end) = self.span();
        let file = d.file.as_ref().map(|f| f.display().to_string());
        json!({ "filename": file, "start": self.pos(start), "end": self.pos(end) })
    }

    fn snippet(&self, d: &Diagnostic, hide: &Redactor) -> Value {
        let code = hide.redact(&self.code);
        let (start, end) = match code == self.code {
            true => self.span(),
            false => (0, code.len()),
        };
        json!({
            "context": d.address,
            "code": code,
            "start_line": self.line,
            "highlight_start_offset": start,
            "highlight_end_offset": end,
            "values": [],
        })
    }
}
