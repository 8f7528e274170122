//! `strata fmt`: a canonical layout for config files — sections in a fixed order, arguments in
//! their schema's order (meta-arguments around them), strings quoted only where YAML needs
//! it (always double quotes), short scalar maps and lists in flow style, multi-line text as
//! literal blocks, blank lines between blocks. The file is re-emitted from its parsed values,
//! so comments are carried over explicitly: a full-line comment stays with the key that
//! follows it, an end-of-line comment with its key; comments before nothing stay at the end;
//! a comment block at the top of the file, ended by a blank line, stays at the top; a comment
//! after a block's last entry, indented as its entries, stays at the end of that block.
//! A byte-order mark at the start is kept. A file that `config::scan` refuses (too deep) or
//! that gives a key twice is left unchanged: re-emitting it would drop one of the two.

use super::keys;
use super::lines::key_lines;
use crate::schema;
use crate::value::{Map, Value};
use std::collections::HashMap;

const WIDTH: usize = 100;

/// Comments found in a file, by the key path they belong to.
#[derive(Default)]
struct Comments {
    leading: HashMap<Vec<String>, Vec<String>>,
    trailing: HashMap<Vec<String>, String>,
    /// Comments after the last entry of a block, indented as its entries: path → lines.
    closing: HashMap<Vec<String>, Vec<String>>,
    /// The file's header: comments before the first key, ended by a blank line.
    header: Vec<String>,
    tail: Vec<String>,
}

/// Where an end-of-line comment starts (a `#` after a space, outside quotes).
fn comment_start(line: &str) -> Option<usize> {
    let (mut single, mut double, mut prev) = (false, false, ' ');
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '#' if !single && !double && (prev == ' ' || prev == '\t' || i == 0) => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

fn collect_comments(text: &str) -> Comments {
    // several keys can share a line (a flow map): the line belongs to the outermost one
    let mut by_line: HashMap<usize, Vec<String>> = HashMap::new();
    for (path, line) in key_lines(text).into_iter().filter(|(p, _)| !p.is_empty()) {
        let slot = by_line.entry(line).or_insert_with(|| path.clone());
        if path.len() < slot.len() {
            *slot = path;
        }
    }
    let mut c = Comments::default();
    // (indent, comment) not yet given to a key; the keys seen so far that may still have
    // entries after them: (indent, path)
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut open: Vec<(usize, Vec<String>)> = Vec::new();
    let mut block_indent: Option<usize> = None; // inside a literal / folded block scalar
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let indent = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        if let Some(bi) = block_indent {
            if trimmed.is_empty() || indent > bi {
                continue;
            }
            block_indent = None;
        }
        if trimmed.starts_with('#') {
            pending.push((indent, trimmed.to_string()));
            continue;
        }
        if trimmed.is_empty() {
            if by_line.keys().all(|&k| k > n) && c.header.is_empty() {
                c.header.extend(pending.drain(..).map(|(_, t)| t));
            }
            continue;
        }
        let code_end = comment_start(raw).unwrap_or(raw.len());
        let code = raw[..code_end].trim_end();
        let trailing = (code_end < raw.len()).then(|| raw[code_end..].trim().to_string());
        if let Some(path) = by_line.get(&n) {
            close_blocks(&mut c, &mut pending, &open, indent);
            open.retain(|(i, _)| *i < indent);
            open.push((indent, path.clone()));
            if !pending.is_empty() {
                c.leading
                    .entry(path.clone())
                    .or_default()
                    .extend(pending.drain(..).map(|(_, t)| t));
            }
            if let Some(t) = trailing {
                c.trailing.insert(path.clone(), t);
            }
            let indicator = code.rsplit(':').next().unwrap_or("").trim();
            if indicator.starts_with('|') || indicator.starts_with('>') {
                block_indent = Some(indent);
            }
        } else if let Some(t) = trailing {
            // an end-of-line comment on a line that is not a key (a list item, a
            // continuation): keep it with the next key
            pending.push((indent, t));
        }
    }
    close_blocks(&mut c, &mut pending, &open, 0);
    c.tail = pending.into_iter().map(|(_, t)| t).collect();
    c
}

/// Comments indented deeper than the next key (at `next_indent`) close the innermost block
/// still open at their indentation: they are kept at the end of that block.
fn close_blocks(
    c: &mut Comments,
    pending: &mut Vec<(usize, String)>,
    open: &[(usize, Vec<String>)],
    next_indent: usize,
) {
    pending.retain(|(indent, text)| {
        if *indent <= next_indent {
            return true;
        }
        match open.iter().rev().find(|(i, _)| i < indent) {
            Some((_, path)) => {
                c.closing
                    .entry(path.clone())
                    .or_default()
                    .push(text.clone());
                false
            }
            None => true,
        }
    });
}

/// Whether a string must be quoted to stay a string (and the same string) in YAML.
fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s || s.contains('\n') {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if [
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n",
    ]
    .contains(&lower.as_str())
    {
        return true;
    }
    if s.parse::<f64>().is_ok() || s.starts_with("0x") || s.starts_with("0o") {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return true;
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':')
}

/// Inside `{ … }` or `[ … ]` the flow indicators must be quoted too (`${x.id}` among them).
fn needs_quotes_in_flow(s: &str) -> bool {
    needs_quotes(s) || s.contains(['{', '}', '[', ']', ','])
}

/// A scalar as written in block context, or in flow context when `in_flow`.
fn scalar_in(v: &Value, in_flow: bool) -> String {
    match v {
        Value::String(s) if in_flow && needs_quotes_in_flow(s) => {
            serde_json::to_string(s).unwrap_or_default()
        }
        other => scalar(other),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null | Value::Unknown => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if needs_quotes(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::String(s) => s.clone(),
        Value::List(l) if l.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        _ => String::new(),
    }
}

fn key_text(k: &str) -> String {
    if needs_quotes_in_flow(k) || k.contains(' ') && k.contains(':') {
        serde_json::to_string(k).unwrap_or_default()
    } else {
        k.to_string()
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::List(l) if !l.is_empty()) && !matches!(v, Value::Map(m) if !m.is_empty())
}

/// A one-line flow form, when the value is a short collection of scalars; map keys in
/// `keys` order.
fn flow(v: &Value, keys: impl Fn(&Map) -> Vec<String>) -> Option<String> {
    match v {
        Value::Map(m) if !m.is_empty() && m.values().all(is_scalar) => Some(format!(
            "{{ {} }}",
            keys(m)
                .iter()
                .map(|k| format!("{}: {}", key_text(k), scalar_in(&m[k], true)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Value::List(l) if !l.is_empty() && l.iter().all(is_scalar) => Some(format!(
            "[{}]",
            l.iter()
                .map(|v| scalar_in(v, true))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

struct Emitter<'a> {
    out: String,
    comments: &'a Comments,
}

impl Emitter<'_> {
    fn line(&mut self, indent: usize, text: &str) {
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn leading(&mut self, indent: usize, path: &[String]) {
        if let Some(cs) = self.comments.leading.get(path) {
            for c in cs.clone() {
                self.line(indent, &c);
            }
        }
    }

    fn trailing(&self, path: &[String]) -> String {
        self.comments
            .trailing
            .get(path)
            .map(|t| format!(" {t}"))
            .unwrap_or_default()
    }

    /// `key: value` at `indent`, with its comments; nested values below.
    fn entry(
        &mut self,
        indent: usize,
        path: &mut Vec<String>,
        key: &str,
        v: &Value,
        order: &dyn Fn(&[String], &Map) -> Vec<String>,
    ) {
        path.push(key.to_string());
        self.leading(indent, path);
        let k = key_text(key);
        let tail = self.trailing(path);
        match v {
            Value::String(s) if s.contains('\n') => {
                let chomp = if s.ends_with('\n') { "" } else { "-" };
                self.line(indent, &format!("{k}: |{chomp}{tail}"));
                for l in s.trim_end_matches('\n').split('\n') {
                    if l.is_empty() {
                        self.out.push('\n');
                    } else {
                        self.line(indent + 2, l);
                    }
                }
            }
            v if is_scalar(v) => self.line(indent, &format!("{k}: {}{tail}", scalar(v))),
            v => match flow(v, |m| order(path, m)).filter(|f| {
                indent + k.len() + 2 + f.len() <= WIDTH
                    && !self.has_nested_comments(path)
                    && !is_block(path)
            }) {
                Some(f) => self.line(indent, &format!("{k}: {f}{tail}")),
                None => {
                    self.line(indent, &format!("{k}:{tail}"));
                    self.body(indent + 2, path, v, order);
                    self.closing(indent + 2, path);
                }
            },
        }
        path.pop();
    }

    fn has_nested_comments(&self, path: &[String]) -> bool {
        let deeper = |p: &Vec<String>| p.len() > path.len() && p.starts_with(path);
        self.comments.leading.keys().any(deeper)
            || self.comments.trailing.keys().any(deeper)
            || self.comments.closing.keys().any(|p| p.starts_with(path))
    }

    /// The comments that closed the block at `path`, at its entries' indentation.
    fn closing(&mut self, indent: usize, path: &[String]) {
        if let Some(cs) = self.comments.closing.get(path) {
            for c in cs.clone() {
                self.line(indent, &c);
            }
        }
    }

    fn body(
        &mut self,
        indent: usize,
        path: &mut Vec<String>,
        v: &Value,
        order: &dyn Fn(&[String], &Map) -> Vec<String>,
    ) {
        match v {
            Value::Map(m) => {
                for k in order(path, m) {
                    self.entry(indent, path, &k, &m[&k], order);
                }
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.leading(indent, path);
                    match item {
                        v if is_scalar(v) => self.line(indent, &format!("- {}", scalar(v))),
                        Value::Map(m) => {
                            // "- first: …" then the rest aligned under it
                            let keys = order(path, m);
                            let mut sub = Emitter {
                                out: String::new(),
                                comments: self.comments,
                            };
                            for k in &keys {
                                sub.entry(indent + 2, path, k, &m[k], order);
                            }
                            let text = sub.out;
                            let mut first = true;
                            for l in text.lines() {
                                if first {
                                    self.line(indent, &format!("- {}", l.trim_start()));
                                    first = false;
                                } else {
                                    self.out.push_str(l);
                                    self.out.push('\n');
                                }
                            }
                        }
                        other => {
                            self.line(indent, "-");
                            self.body(indent + 2, path, other, order);
                        }
                    }
                    path.pop();
                }
            }
            other => self.line(indent, &scalar(other)),
        }
    }
}

/// The canonical order of a map's keys at `path`; maps without one (the blocks of a
/// section, user data) keep the order they were written in (`written`: key path → line).
fn order_keys(path: &[String], m: &Map, written: &HashMap<Vec<String>, usize>) -> Vec<String> {
    let mut keys: Vec<String> = m.keys().cloned().collect();
    let mut child = path.to_vec();
    keys.sort_by_key(|k| {
        child.push(k.clone());
        let line = written.get(&child).copied().unwrap_or(usize::MAX);
        child.pop();
        line
    });
    let by = |first: &[&str], last: &[&str]| -> Vec<String> {
        let mut out: Vec<String> = first
            .iter()
            .filter(|k| m.contains_key(**k))
            .map(|k| k.to_string())
            .collect();
        for k in &keys {
            if !first.contains(&k.as_str()) && !last.contains(&k.as_str()) {
                out.push(k.clone());
            }
        }
        out.extend(
            last.iter()
                .filter(|k| m.contains_key(**k))
                .map(|k| k.to_string()),
        );
        out
    };
    match canonical_order(path, m) {
        Some(first) if path.len() == 2 && is_block(path) => {
            let after = meta_keys(true).collect::<Vec<_>>();
            let before: Vec<&str> = first.into_iter().filter(|k| !after.contains(k)).collect();
            by(&before, &after)
        }
        Some(first) => by(&first, &[]),
        None => keys, // as written
    }
}

/// The keys of a block in canonical order: the meta-arguments written before the
/// arguments (`clone`), the schema's arguments, then the meta-arguments written after them.
/// (Keys the block does not know are kept between the arguments and the later ones.)
fn block_order(schema: Option<&'static schema::Schema>) -> Vec<&'static str> {
    let attrs = schema
        .into_iter()
        .flat_map(|s| s.attrs.iter().map(|a| a.name));
    meta_keys(false)
        .chain(attrs)
        .chain(meta_keys(true))
        .collect()
}

/// The meta-arguments written after a block's arguments (`after`), or before them.
fn meta_keys(after: bool) -> impl Iterator<Item = &'static str> {
    keys::BLOCK
        .keys
        .iter()
        .filter(move |k| k.after_arguments == after)
        .map(|k| k.name)
}

/// The canonical order of the keys of the mapping `m` at `path`, where it has one: the
/// sections and the language's own keys (`config::keys`), a schema's attributes.
fn canonical_order(path: &[String], m: &Map) -> Option<Vec<&'static str>> {
    let names = |t: &'static keys::Table| t.names().collect::<Vec<_>>();
    let attr_names = |attrs: &'static [schema::Attr]| attrs.iter().map(|a| a.name).collect();
    let section = path.first().map(String::as_str);
    match (section, path.len()) {
        (None, _) => Some(names(&keys::TOP)),
        (Some("resources" | "data"), 2) => Some(block_order(block_schema(path))),
        (Some("providers"), 2) => {
            schema::providers::provider(&path[1]).map(|s| attr_names(s.attrs))
        }
        (Some("resources" | "data"), 3) if keys::BLOCK.get(&path[2]).is_some() => {
            match keys::BLOCK.get(&path[2])?.kind {
                keys::Kind::Table(t) => Some(names(t)),
                _ => object_attrs(path).map(attr_names),
            }
        }
        (Some("resources" | "data"), _) => object_attrs(path).map(attr_names),
        (Some("variables"), 2) => Some(names(&keys::VARIABLE)),
        (Some("variables"), 4) => match keys::VARIABLE.get(&path[2])?.kind {
            keys::Kind::List(t) => Some(names(t)),
            _ => None,
        },
        (Some("outputs"), 2) => Some(names(&keys::OUTPUT)),
        // moved: / removed: entries (a list of a table's mappings), and their tables
        (Some(s), 2 | 4) => match keys::TOP.get(s)?.kind {
            keys::Kind::List(t) if path.len() == 2 => Some(names(t)),
            keys::Kind::List(t) => match t.get(&path[2])?.kind {
                keys::Kind::Table(inner) => Some(names(inner)),
                _ => None,
            },
            _ => None,
        },
        (Some("backend"), 1) => {
            let ty = m.get("type").and_then(Value::as_str);
            let table = keys::BACKENDS.iter().find(|(name, _)| Some(*name) == ty);
            table.map(|(_, t)| names(t))
        }
        _ => None,
    }
}

/// The schema of the resource or data block at `path[..2]`.
fn block_schema(path: &[String]) -> Option<&'static schema::Schema> {
    let (section, block) = (path.first()?, path.get(1)?);
    let a = crate::address::Address::parse(block).ok()?;
    match section.as_str() {
        "resources" => schema::resource(&a.ty),
        "data" => schema::data_source(&a.ty),
        _ => None,
    }
}

/// The attributes of the object at `path` inside a block (`clone:`, or an object-typed
/// argument such as `datastore`), for their schema order.
fn object_attrs(path: &[String]) -> Option<&'static [schema::Attr]> {
    let schema = block_schema(path)?;
    let mut attrs: &'static [schema::Attr] = match path.get(2)?.as_str() {
        "clone" => schema.clone?,
        name => match schema.attr(name)?.ty {
            schema::Type::Object(inner) => inner,
            _ => return None,
        },
    };
    for seg in &path[3..] {
        attrs = match attrs.iter().find(|a| a.name == seg)?.ty {
            schema::Type::Object(inner) => inner,
            _ => return None,
        };
    }
    Some(attrs)
}

/// Whether `path` is always written in block style: a resource or data block, and maps of
/// user data (one entry per line reads and diffs better in review).
fn is_block(path: &[String]) -> bool {
    match path.len() {
        2 => matches!(path[0].as_str(), "resources" | "data"),
        3 => block_schema(path)
            .and_then(|s| s.attr(&path[2]))
            .is_some_and(|a| matches!(a.ty, schema::Type::Map(_))),
        _ => false,
    }
}

/// Format one file's text. `Err` when it is not valid YAML, or nested too deeply, or gives a
/// key twice in one mapping (formatting would drop one): nothing is changed then. A leading
/// byte-order mark is kept.
pub fn format(text: &str) -> Result<String, String> {
    match text.strip_prefix(super::load::BOM) {
        Some(rest) => Ok(format!("{}{}", super::load::BOM, format_text(rest)?)),
        None => format_text(text),
    }
}

fn format_text(text: &str) -> Result<String, String> {
    let scanned = super::scan::scan(text);
    if let Some(r) = scanned.refusal {
        return Err(format!("line {}: {}", r.line, r.message));
    }
    if let Some(d) = scanned.duplicates.first() {
        return Err(format!("line {}: {}", d.line, d.message()));
    }
    let doc: Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let comments = collect_comments(text);
    let written = key_lines(text);
    let order = |path: &[String], m: &Map| order_keys(path, m, &written);
    let mut e = Emitter {
        out: String::new(),
        comments: &comments,
    };
    for c in &comments.header {
        e.line(0, c);
    }
    if !comments.header.is_empty() {
        e.out.push('\n');
    }
    match &doc {
        Value::Map(top) => {
            let mut first = true;
            for section in order(&[], top) {
                if !first {
                    e.out.push('\n');
                }
                first = false;
                let mut path = vec![section.clone()];
                e.leading(0, &path);
                let tail = e.trailing(&path);
                let body = &top[&section];
                if is_scalar(body) {
                    e.line(
                        0,
                        &format!("{}: {}{tail}", key_text(&section), scalar(body)),
                    );
                    continue;
                }
                e.line(0, &format!("{}:{tail}", key_text(&section)));
                let blocks = matches!(section.as_str(), "resources" | "data");
                match body {
                    Value::Map(m) => {
                        let keys = order(&path, m);
                        for (i, k) in keys.iter().enumerate() {
                            if blocks && i > 0 {
                                e.out.push('\n');
                            }
                            e.entry(2, &mut path, k, &m[k], &order);
                        }
                    }
                    other => e.body(2, &mut path, other, &order),
                }
                e.closing(2, &path);
            }
        }
        Value::Null => {}
        other => e.body(0, &mut Vec::new(), other, &order),
    }
    if !comments.tail.is_empty() {
        if !e.out.is_empty() {
            e.out.push('\n');
        }
        for c in &comments.tail {
            e.line(0, c);
        }
    }
    Ok(e.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSY: &str = "# The stack
resources:
  # the base template
  huaweicloud_rds_parameter_template.base:
    values:   { max_connections: '500' }   # tuned
    name:    base
    datastore:
      version: '8.0'
      type: MySQL
    description: |
      line one
      # not a comment
    lifecycle: {prevent_destroy: true}
    clone: { source: \"${x.y.id}\" }
providers:
  huaweicloud: {endpoint: sandbox, region: r, project_id: p}
# at the end
";

    #[test]
    fn canonical_and_keeps_comments_and_meaning() {
        let out = format(MESSY).unwrap();
        let before: Value = serde_yaml::from_str(MESSY).unwrap();
        let after: Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(before, after, "{out}");
        assert!(out.starts_with("providers:"), "{out}");
        assert!(out.contains("# The stack"), "{out}");
        assert!(
            out.contains("  # the base template\n  huaweicloud_rds_parameter_template.base:"),
            "{out}"
        );
        assert!(
            out.contains("values: # tuned\n      max_connections: \"500\"\n"),
            "{out}"
        );
        assert!(
            out.contains("# not a comment"),
            "block text kept as text: {out}"
        );
        assert!(out.trim_end().ends_with("# at the end"), "{out}");
        let clone = out.find("clone:").unwrap();
        let name = out.find("name: base").unwrap();
        let lifecycle = out.find("lifecycle:").unwrap();
        assert!(clone < name && name < lifecycle, "{out}");
        assert!(
            out.contains("datastore: { type: MySQL, version: \"8.0\" }"),
            "{out}"
        );
        assert!(
            out.contains("huaweicloud: { region: r, project_id: p, endpoint: sandbox }"),
            "{out}"
        );
        assert_eq!(format(&out).unwrap(), out, "idempotent");
    }

    #[test]
    fn a_comment_closing_a_block_stays_in_it() {
        let text = "providers:\n  huaweicloud:\n    region: r\n    project_id: p\n    # the last word on the provider\nresources: {}\n";
        let out = format(text).unwrap();
        assert!(
            out.contains("    project_id: p\n    # the last word on the provider\n"),
            "{out}"
        );
        assert!(
            !out.contains("# the last word on the provider\nresources"),
            "{out}"
        );
        assert_eq!(format(&out).unwrap(), out, "idempotent");
    }

    #[test]
    fn quoting() {
        for s in ["8.0", "yes", "", " x", "a: b", "{x}", "#x", "true"] {
            assert!(needs_quotes(s), "{s}");
        }
        for s in [
            "MySQL",
            "base-staging",
            "a b",
            "cn-hangzhou-i",
            "base-${var.env}",
        ] {
            assert!(!needs_quotes(s), "{s}");
        }
        // inside { … } the flow indicators need quotes
        assert!(needs_quotes_in_flow("${x.id}") && needs_quotes_in_flow("a,b"));
    }
}
