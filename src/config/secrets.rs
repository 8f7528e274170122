//! The secrets a stack's config files may hold as written, for what shows or carries their
//! text (`validate --json`'s snippets, saved plans): the defaults of sensitive variables, the literal values of
//! sensitive attributes in resource and provider blocks (the schemas say which), and the
//! password of a URL. Values given elsewhere (variable files, the environment, `--var`) are
//! not in the config files' text.

use crate::config::expr::{Expr, Part};
use crate::config::Config;
use crate::util::Redactor;
use crate::value::{Path, PathSeg, Value};
use std::collections::BTreeMap;

pub fn of(cfg: &Config) -> Redactor {
    let mut found = Vec::new();
    for v in cfg.variables.values().filter(|v| v.sensitive) {
        if let Some(d) = &v.default {
            scalars(d, &mut found);
        }
    }
    found.extend(in_blocks(cfg).into_iter().map(|(_, secret)| secret));
    for f in &cfg.files {
        found.extend(url_passwords(&f.text));
    }
    Redactor::new(found)
}

/// The literal values of sensitive attributes written in resource and provider blocks, and of
/// sensitive outputs, each with where it stands (`ADDRESS.ATTRIBUTE`, `provider NAME:
/// ATTRIBUTE`, `output NAME`).
pub fn in_blocks(cfg: &Config) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (addr, b) in &cfg.resources {
        for path in b.schema.sensitive_paths() {
            let at = format!("{addr}.{}", crate::value::path_string(&path));
            found.extend(at_path(&b.args, &path).into_iter().map(|s| (at.clone(), s)));
        }
    }
    for (name, p) in &cfg.providers {
        let family = name.split('.').next().unwrap_or(name);
        let Some(schema) = crate::schema::providers::provider(family) else {
            continue;
        };
        for path in schema.sensitive_paths() {
            let at = format!("provider {name}: {}", crate::value::path_string(&path));
            found.extend(at_path(&p.args, &path).into_iter().map(|s| (at.clone(), s)));
        }
    }
    for o in cfg.outputs.values().filter(|o| o.sensitive) {
        let mut texts = Vec::new();
        literals(&o.value, &mut texts);
        let at = format!("output {}", o.name);
        found.extend(texts.into_iter().map(|s| (at.clone(), s)));
    }
    found.retain(|(_, s)| !s.is_empty());
    found
}

fn at_path(args: &BTreeMap<String, Expr>, path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((PathSeg::Key(first), rest)) = path.split_first() {
        if let Some(e) = args.get(first) {
            literal_at(e, rest, &mut out);
        }
    }
    out
}

/// The literal text at `path` inside `e` (all of it below the path).
fn literal_at(e: &Expr, path: &[PathSeg], out: &mut Vec<String>) {
    match (path.split_first(), e) {
        (None, e) => literals(e, out),
        (Some((PathSeg::Key(k), rest)), Expr::Map(m)) => {
            if let Some(inner) = m.get(k) {
                literal_at(inner, rest, out);
            }
        }
        (Some((PathSeg::Key(k), _)), Expr::Literal(v)) => {
            if let Some(inner) = v.get(k) {
                scalars(inner, out);
            }
        }
        _ => {}
    }
}

/// Every literal text written in `e`.
fn literals(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Literal(v) => scalars(v, out),
        Expr::Template(parts) => {
            for p in parts {
                match p {
                    Part::Lit(s) => out.push(s.clone()),
                    Part::Expr(inner) => literals(inner, out),
                }
            }
        }
        Expr::List(items) => items.iter().for_each(|i| literals(i, out)),
        Expr::Map(m) => m.values().for_each(|i| literals(i, out)),
        _ => {}
    }
}

fn scalars(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::List(l) => l.iter().for_each(|i| scalars(i, out)),
        Value::Map(m) => m.values().for_each(|i| scalars(i, out)),
        other => out.extend(other.scalar_text()),
    }
}

/// The passwords of URLs written in `text` (`scheme://user:PASSWORD@host`).
fn url_passwords(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"://[^\s:/@]*:([^\s@]+)@").expect("a valid pattern");
    re.captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}
