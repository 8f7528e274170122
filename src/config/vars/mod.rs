//! Variable values. Each variable takes the value of highest precedence given for it, lowest
//! first — Terraform's order: its `default`, `STRATA_VAR_NAME`, the stack directory's
//! `strata.vars.yaml`, its `*.auto.vars.yaml` files (lexical order), then `--var-file FILE`
//! and `--var NAME=VALUE` in the order the command line gives them (the last one wins). The
//! value is converted to the variable's `type` (`types`), then its `validation` rules are
//! checked (`validation`), all before planning.
//!
//! Invariants: every problem is reported (never the first only), each naming the variable,
//! where its value came from ([`Source`]: its default, a file, the environment, `--var`) and
//! the path inside the value; a sensitive variable's value never appears in a message; a
//! name given in a file or with `--var` that no variable declares is an error.

pub mod files;
pub mod types;
pub mod validation;

pub use files::VarFile;
pub use types::Type;
pub use validation::Rule;

use super::{Config, Variable};
use crate::diag::{Diagnostic, Diagnostics};
use crate::value::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub struct VarValue {
    pub value: Value,
    pub sensitive: bool,
}

pub type Vars = BTreeMap<String, VarValue>;

/// What an unset variable (no value from anywhere, no default) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Validate: unset variables evaluate to unknown.
    Unknown,
    /// Plan and apply: unset variables are errors.
    Error,
}

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Default,
    /// A variable file (`auto`: read from the stack directory, not named by `--var-file`).
    File {
        path: PathBuf,
        auto: bool,
    },
    /// `STRATA_VAR_NAME`.
    Env,
    /// `--var NAME=VALUE`.
    Cli,
}

impl Source {
    /// How messages name it, for the variable `name`.
    pub fn describe(&self, name: &str) -> String {
        match self {
            Source::Default => "its default".into(),
            Source::File { path, .. } => path.display().to_string(),
            Source::Env => format!("STRATA_VAR_{name}"),
            Source::Cli => format!("--var {name}"),
        }
    }
}

/// Everything that may give a variable a value, besides its default.
pub struct Given<'a> {
    /// Variable files in the order they apply (`files::gather`): a later one wins.
    pub files: &'a [VarFile],
    /// `--var` assignments in the order given.
    pub cli: &'a [(String, String)],
    /// `files_before[i]`: how many `--var-file`s the command line gives before `cli[i]`; an
    /// assignment without an entry comes after all of them.
    pub files_before: &'a [usize],
    /// The environment (`STRATA_VAR_NAME`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// The values of a config's variables, where each came from, and every problem.
#[derive(Debug, Default)]
pub struct Resolved {
    pub vars: Vars,
    pub sources: BTreeMap<String, Source>,
    pub diags: Diagnostics,
}

/// Parse `NAME=VALUE` command-line assignments.
pub fn parse_assignments(items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!("--var \"{s}\": write --var NAME=VALUE")),
        })
        .collect()
}

/// The values from `--var` assignments and the environment only (no variable files).
pub fn resolve(
    cfg: &Config,
    cli: &[(String, String)],
    env: &dyn Fn(&str) -> Option<String>,
    missing: Missing,
) -> (Vars, Diagnostics) {
    let r = resolve_given(
        cfg,
        &Given {
            files: &[],
            cli,
            files_before: &[],
            env,
        },
        missing,
    );
    (r.vars, r.diags)
}

/// A given value before conversion: a YAML value (a default, a file) or text.
enum Raw<'a> {
    Value(&'a Value),
    Text(String),
}

/// One variable's chosen value: what was given, where, and the file it is in.
struct Chosen<'a> {
    raw: Raw<'a>,
    source: Source,
    file: Option<&'a VarFile>,
}

/// Resolve every variable of `cfg` from `given` (see the module's precedence), converting
/// and validating each value.
pub fn resolve_given(cfg: &Config, given: &Given, missing: Missing) -> Resolved {
    let mut out = Resolved::default();
    undeclared(cfg, given, &mut out.diags);
    for (name, var) in &cfg.variables {
        let chosen = choose(name, var, given);
        if !matches!(
            chosen,
            Some(Chosen {
                source: Source::Default,
                ..
            })
        ) {
            check_default(cfg, var, &mut out.diags);
        }
        let Some(chosen) = chosen else {
            if missing == Missing::Error {
                out.diags.push(unset(cfg, var));
                continue;
            }
            out.vars.insert(name.clone(), value(Value::Unknown, var));
            continue;
        };
        let converted = match &chosen.raw {
            Raw::Value(v) => match &var.ty {
                Some(t) => types::convert(v, t, var.sensitive),
                None => Ok((*v).clone()),
            },
            Raw::Text(t) => types::convert_text(t, var.ty.as_ref(), var.sensitive),
        };
        match converted {
            Ok(v) => {
                out.vars.insert(name.clone(), value(v, var));
                out.sources.insert(name.clone(), chosen.source);
            }
            Err(problems) => {
                for p in problems {
                    let d = Diagnostic::error(format!(
                        "variable \"{name}\" from {}: {}",
                        chosen.source.describe(name),
                        p.render(name)
                    ));
                    out.diags.push(site(cfg, var, &chosen, d, &p.yaml_path()));
                }
            }
        }
    }
    validate(cfg, given, &mut out);
    out
}

fn value(value: Value, var: &Variable) -> VarValue {
    VarValue {
        value,
        sensitive: var.sensitive,
    }
}

/// The value of highest precedence given for `var`.
fn choose<'a>(name: &str, var: &'a Variable, given: &Given<'a>) -> Option<Chosen<'a>> {
    let cli = given
        .cli
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (k, _))| k == name);
    let in_file = given
        .files
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, f)| f.values.get(name).map(|v| (i, f, v)));
    // a `--var` beats an auto-loaded file and the `--var-file`s given before it
    let cli_wins = match (cli, in_file) {
        (Some((j, _)), Some((i, f, _))) => {
            let before = given.files_before.get(j).copied().unwrap_or(usize::MAX);
            f.auto || explicit_rank(given.files, i) <= before
        }
        (cli, _) => cli.is_some(),
    };
    if let (true, Some((_, (_, text)))) = (cli_wins, cli) {
        return Some(Chosen {
            raw: Raw::Text(text.clone()),
            source: Source::Cli,
            file: None,
        });
    }
    if let Some((_, f, v)) = in_file {
        return Some(Chosen {
            raw: Raw::Value(v),
            source: Source::File {
                path: f.path.clone(),
                auto: f.auto,
            },
            file: Some(f),
        });
    }
    if let Some(text) = (given.env)(&format!("STRATA_VAR_{name}")) {
        return Some(Chosen {
            raw: Raw::Text(text),
            source: Source::Env,
            file: None,
        });
    }
    var.default.as_ref().map(|d| Chosen {
        raw: Raw::Value(d),
        source: Source::Default,
        file: None,
    })
}

/// How many `--var-file`s (files not read automatically) there are up to `files[i]`, it
/// included.
fn explicit_rank(files: &[VarFile], i: usize) -> usize {
    files[..=i].iter().filter(|f| !f.auto).count()
}

/// Where a problem with a chosen value is reported: in the variable file that gave it (at
/// the line of `path` inside the value), at the default, or at the declaration.
fn site(
    cfg: &Config,
    var: &Variable,
    chosen: &Chosen,
    d: Diagnostic,
    path: &[String],
) -> Diagnostic {
    if let Some(f) = chosen.file {
        let mut at = vec![var.name.clone()];
        at.extend(path.iter().cloned());
        let d = d.file(&f.path);
        return match f.line(&at) {
            Some(l) => d.line(l),
            None => d,
        };
    }
    let mut at = vec!["variables".to_string(), var.name.clone()];
    if chosen.source == Source::Default {
        at.push("default".into());
        at.extend(path.iter().cloned());
    }
    d.file(cfg.file_path(var.file)).at_owned(at)
}

/// A default that does not convert to the type, when another value is given (a default that
/// is used is checked as the value).
fn check_default(cfg: &Config, var: &Variable, diags: &mut Diagnostics) {
    let (Some(ty), Some(d)) = (&var.ty, &var.default) else {
        return;
    };
    let Err(problems) = types::convert(d, ty, var.sensitive) else {
        return;
    };
    let chosen = Chosen {
        raw: Raw::Value(d),
        source: Source::Default,
        file: None,
    };
    for p in problems {
        let msg = format!(
            "variable \"{}\" from its default: {}",
            var.name,
            p.render(&var.name)
        );
        diags.push(site(
            cfg,
            var,
            &chosen,
            Diagnostic::error(msg),
            &p.yaml_path(),
        ));
    }
}

fn unset(cfg: &Config, var: &Variable) -> Diagnostic {
    let name = &var.name;
    Diagnostic::error(format!("variable \"{name}\" has no value"))
        .file(cfg.file_path(var.file))
        .at_owned(vec!["variables".to_string(), name.clone()])
        .hint(format!(
            "set it with --var {name}=…, the environment variable STRATA_VAR_{name} or a variable file (strata.vars.yaml, --var-file)"
        ))
}

/// Names given with `--var` or in a variable file that no variable declares.
fn undeclared(cfg: &Config, given: &Given, diags: &mut Diagnostics) {
    let hint = |k: &str| {
        crate::schema::suggest(k, cfg.variables.keys().map(String::as_str))
            .unwrap_or_else(|| "declare it under variables: first".into())
    };
    for (k, _) in given.cli {
        if !cfg.variables.contains_key(k) {
            diags.push(
                Diagnostic::error(format!("--var {k}: no variable named \"{k}\" is declared"))
                    .hint(hint(k)),
            );
        }
    }
    for f in given.files {
        for k in f.values.keys().filter(|k| !cfg.variables.contains_key(*k)) {
            let mut d = Diagnostic::error(format!("no variable named \"{k}\" is declared"))
                .file(&f.path)
                .hint(hint(k));
            if let Some(l) = f.line(std::slice::from_ref(k)) {
                d = d.line(l);
            }
            diags.push(d);
        }
    }
}

/// Check every rule of every variable whose value is known.
fn validate(cfg: &Config, given: &Given, out: &mut Resolved) {
    for (name, var) in &cfg.variables {
        let (Some(v), Some(source)) = (out.vars.get(name), out.sources.get(name)) else {
            continue;
        };
        for (i, rule) in var.validation.iter().enumerate() {
            let rule_at = ["variables", name, "validation", &i.to_string(), "condition"];
            let decl = Diagnostic::error("")
                .file(cfg.file_path(var.file))
                .at(&rule_at);
            let d = match validation::run(rule, name, v, &cfg.dir) {
                validation::Outcome::Pass => continue,
                validation::Outcome::Broken(why) => Diagnostic {
                    message: format!("variable \"{name}\": validation rule {}: {why}", i + 1),
                    ..decl
                },
                validation::Outcome::Fail(msg) => {
                    let message = format!(
                        "variable \"{name}\" from {} is not valid: {msg}",
                        source.describe(name)
                    );
                    failed_site(given, var, source, Diagnostic { message, ..decl })
                }
            };
            out.diags.push(d);
        }
    }
}

/// A failed rule is reported where the value was written (a variable file, the default);
/// for a value from the command line or the environment, at the rule.
fn failed_site(given: &Given, var: &Variable, source: &Source, d: Diagnostic) -> Diagnostic {
    match source {
        Source::File { path, .. } => {
            let line = given
                .files
                .iter()
                .rev()
                .find(|f| &f.path == path)
                .and_then(|f| f.line(std::slice::from_ref(&var.name)));
            let d = Diagnostic {
                file: Some(path.clone()),
                yaml_path: Vec::new(),
                ..d
            };
            match line {
                Some(l) => d.line(l),
                None => d,
            }
        }
        Source::Default => d.at_owned(vec!["variables".into(), var.name.clone(), "default".into()]),
        Source::Env | Source::Cli => d,
    }
}

#[cfg(test)]
mod tests;
