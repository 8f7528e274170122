//! The `import:` section: a list of `{ to: ADDR, id: ID }` entries (with an optional
//! `for_each`, `to` and `id` then using `each.key` / `each.value`), each adopting an object
//! that already exists into the state at a configured address, as part of the reviewed plan.
//! `merge_imports` reads the entries; `targets` evaluates them into (address, id) pairs.
//!
//! Invariants: the keys of an entry come from `keys::IMPORT` only; an entry's `to` is parsed
//! with `Address::parse`, never assembled by hand; every problem names the entry
//! (`import[N]`, its file) and is never silently dropped; two entries with one address are an
//! error naming both.

use super::eval::{eval, Scope};
use super::expr::Expr;
use super::instances::{for_each_items, InstanceScope};
use super::keys;
use super::load::FileCx;
use super::sections::{known, wrong_value};
use super::Config;
use crate::address::Address;
use crate::value::Value;

/// One entry of `import:`.
#[derive(Debug, Clone)]
pub struct Import {
    pub file: usize,
    /// Its position in its file's `import:` list.
    pub index: usize,
    pub to: Expr,
    pub id: Expr,
    pub for_each: Option<Expr>,
}

impl Import {
    /// How messages name the entry: `import[0] in FILE`.
    pub fn label(&self, cfg: &Config) -> String {
        format!(
            "import[{}] in {}",
            self.index,
            cfg.file_path(self.file).display()
        )
    }
}

impl Import {
    /// The provider family `to` names, when its type is written literally (as it must be for
    /// the entry to be planned: `for_each` may vary only the instance key).
    pub fn family(&self) -> Option<String> {
        let lead = match &self.to {
            Expr::Literal(Value::String(s)) => s.as_str(),
            Expr::Template(parts) => match parts.first() {
                Some(super::expr::Part::Lit(s)) => s.as_str(),
                _ => return None,
            },
            _ => return None,
        };
        let ty = lead.split('.').next().filter(|t| !t.is_empty())?;
        Some(crate::address::provider_of(ty).to_string())
    }
}

/// One object to import: where, and the cloud's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub to: Address,
    pub id: String,
    /// The entry's label, for messages.
    pub entry: String,
}

/// `import:` — a list of entries; each needs `to` and `id`.
pub(super) fn merge_imports(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let items = match body {
        Value::Null => return,
        Value::List(items) => items,
        other => {
            let msg = format!(
                "\"import\" must be a list of {{ to: ADDR, id: ID }}, not a {}",
                other.kind()
            );
            wrong_value(cx, &["import"], msg);
            return;
        }
    };
    for (index, item) in items.iter().enumerate() {
        let idx = index.to_string();
        let at = ["import", idx.as_str()];
        if let Some(entry) = parse_entry(cx, &at, item) {
            cfg.imports.push(Import {
                file: cx.idx,
                index,
                ..entry
            });
        }
    }
}

fn parse_entry(cx: &mut FileCx, at: &[&str], item: &Value) -> Option<Import> {
    let Value::Map(m) = item else {
        let msg = format!(
            "an import entry must be a mapping {{ to: ADDR, id: ID }}, not a {}",
            item.kind()
        );
        wrong_value(cx, at, msg);
        return None;
    };
    let fields = known(cx, at, &keys::IMPORT, m);
    let given = |k: &str| {
        fields
            .iter()
            .find(|(key, v)| key.name == k && !v.is_null())
            .map(|(_, v)| (*v).clone())
    };
    let missing = crate::config::sections::missing_required(&keys::IMPORT, &fields);
    if !missing.is_empty() {
        let msg = format!("the import entry needs {}", missing.join(" and "));
        wrong_value(cx, at, msg);
        return None;
    }
    let mut expr = |k: &str| {
        let v = given(k)?;
        Expr::from_value(v)
            .map_err(|msg| {
                let mut p = at.to_vec();
                p.push(k);
                wrong_value(cx, &p, msg)
            })
            .ok()
    };
    Some(Import {
        file: 0,
        index: 0,
        to: expr("to")?,
        id: expr("id")?,
        for_each: match given("for_each") {
            Some(_) => Some(expr("for_each")?),
            None => None,
        },
    })
}

/// Every object the `import:` entries name, evaluated in `scope` (variables and locals).
/// An error names the entry.
pub fn targets(cfg: &Config, scope: &dyn Scope) -> Result<Vec<Target>, String> {
    let mut out: Vec<Target> = Vec::new();
    for imp in &cfg.imports {
        let entry = imp.label(cfg);
        let fail = |msg: String| format!("{entry}: {msg}");
        let items = match &imp.for_each {
            None => vec![None],
            Some(e) => {
                let ev = eval(e, scope).map_err(&fail)?;
                let items = for_each_items(&ev.value, &ev.sensitive).map_err(&fail)?;
                let items = items.ok_or_else(|| {
                    fail("for_each is known only after apply: an import needs it now".into())
                })?;
                items.into_iter().map(Some).collect()
            }
        };
        for each in items {
            let t = match &each {
                Some(each) => one(imp, &InstanceScope { inner: scope, each }, &entry),
                None => one(imp, scope, &entry),
            }?;
            if let Some(prev) = out.iter().find(|p| p.to == t.to) {
                return Err(format!(
                    "{} and {}: both import into {}: an address holds one object",
                    prev.entry, t.entry, t.to
                ));
            }
            out.push(t);
        }
    }
    Ok(out)
}

/// One entry (or one of its `for_each` instances) evaluated.
fn one(imp: &Import, scope: &dyn Scope, entry: &str) -> Result<Target, String> {
    let text = |e: &Expr, what: &str| -> Result<String, String> {
        let ev = eval(e, scope).map_err(|m| format!("{entry}: {what}: {m}"))?;
        if ev.value.has_unknown() {
            return Err(format!(
                "{entry}: {what} is known only after apply: an import needs it now"
            ));
        }
        ev.value.scalar_text().ok_or_else(|| {
            format!(
                "{entry}: {what} must be a string, got a {}",
                ev.value.kind()
            )
        })
    };
    let to = text(&imp.to, "to")?;
    let to = Address::parse(&to).map_err(|m| format!("{entry}: to: {m}"))?;
    if to.is_data() {
        return Err(format!(
            "{entry}: {to} is a data source: data sources are read, not imported"
        ));
    }
    let id = text(&imp.id, "id")?;
    if id.is_empty() {
        return Err(format!("{entry}: id is empty"));
    }
    Ok(Target {
        to,
        id,
        entry: entry.to_string(),
    })
}
