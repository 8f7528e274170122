//! Why a change happens, in words, for the markdown table and warnings: the reason a
//! replacement or a delete has, the attributes an update changes, where a clone comes from,
//! a move, and — when the object changed outside strata since the last apply — that the change
//! undoes it.

use crate::plan::diff::equivalent;
use crate::plan::{Action, Change, Drift, Plan, Reason};
use crate::value::{path_string, Value};

/// What the table and the warnings say of a change that puts back what was changed outside.
pub const UNDOES_DRIFT: &str = "undoes a change made outside strata";

/// Why `c` happens, saying so when it undoes drift the plan found.
pub fn in_plan(plan: &Plan, c: &Change) -> String {
    let why = reason(c);
    if !undoes_drift(plan, c) {
        return why;
    }
    if why.is_empty() {
        UNDOES_DRIFT.to_string()
    } else {
        format!("{why}; {UNDOES_DRIFT}")
    }
}

/// Whether the change puts back what refresh found changed outside strata: it makes again an
/// object deleted outside, or it updates or replaces an attribute that drifted.
fn undoes_drift(plan: &Plan, c: &Change) -> bool {
    let Some(d) = plan.drift.iter().find(|d| d.addr == c.addr) else {
        return false;
    };
    if d.action == Action::Delete {
        return c.action.makes();
    }
    if !matches!(c.action, Action::Update | Action::Replace) || c.deposed.is_some() {
        return false;
    }
    drifted_keys(d).iter().any(|k| {
        let (before, after) = (attr(c.before.as_ref(), k), attr(c.after.as_ref(), k));
        after.is_some_and(Value::has_unknown)
            || !equivalent(before, after)
            || c.sensitive_changed
                .iter()
                .any(|p| p.first() == Some(&crate::value::key(k)))
    })
}

/// Attribute `k` of an object's value.
fn attr<'v>(v: Option<&'v Value>, k: &str) -> Option<&'v Value> {
    v.and_then(Value::as_map).and_then(|m| m.get(k))
}

/// The attributes that changed outside strata.
fn drifted_keys(d: &Drift) -> Vec<&String> {
    let (before, after) = (d.before.as_map(), d.after.as_ref().and_then(Value::as_map));
    let mut keys: Vec<&String> = before
        .into_iter()
        .chain(after)
        .flat_map(|m| m.keys())
        .filter(|k| {
            !equivalent(
                before.and_then(|m| m.get(*k)),
                after.and_then(|m| m.get(*k)),
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A change's action as the table names it (a pure move is "move").
pub fn moved_action(c: &Change) -> &'static str {
    match (c.action, &c.previous_address) {
        (Action::NoOp, Some(_)) => "move",
        (a, _) => a.as_str(),
    }
}

pub fn symbol(c: &Change) -> &'static str {
    match c.action {
        Action::Create | Action::Clone | Action::Bind => "+",
        Action::Update => "~",
        Action::Replace if c.create_before_destroy => "+/-",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::NoOp if c.previous_address.is_some() => "→",
        Action::NoOp => " ",
        Action::Forget => ".",
    }
}

pub fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

/// `s` as inline code inside HTML (a `<summary>`), escaped.
pub fn code_html(s: &str) -> String {
    let escaped = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!("<code>{escaped}</code>")
}

/// Attributes an update changes (known before and after, or secretly changed).
fn changed_attrs(c: &Change) -> Vec<String> {
    let (Some(Value::Map(b)), Some(Value::Map(a))) = (&c.before, &c.after) else {
        return Vec::new();
    };
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| !v.has_unknown() && !equivalent(b.get(*k), Some(v)))
        .map(|(k, _)| k.clone())
        .collect();
    for p in &c.sensitive_changed {
        let top = path_string(&p[..1.min(p.len())]);
        if !out.contains(&top) {
            out.push(top);
        }
    }
    out.sort();
    out
}

/// Why a change happens, in words.
pub fn reason(c: &Change) -> String {
    let why = reason_of(c);
    match (&c.previous_address, c.action) {
        (Some(from), Action::NoOp) => {
            format!("moved from {} (state only)", code(&from.to_string()))
        }
        (Some(from), _) => format!("moved from {}; {why}", code(&from.to_string())),
        (None, _) => why,
    }
}

/// Each path forcing a replacement and why: `` `storage_size` cannot change in place: … ``,
/// the clone source as "the source it is cloned from changes: …".
fn forced(c: &Change) -> String {
    let why: Vec<String> = c
        .replace_reasons
        .iter()
        .map(|f| match path_string(&f.path).as_str() {
            "clone" => format!("the source it is cloned from changes: {}", f.why),
            p => format!("{} cannot change in place: {}", code(p), f.why),
        })
        .collect();
    if why.is_empty() {
        "cannot be updated in place".into()
    } else {
        why.join("; ")
    }
}

fn reason_of(c: &Change) -> String {
    let list = |names: Vec<String>| names.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ");
    match (c.action, c.reason) {
        (_, Some(Reason::ReplaceBecauseTainted)) => {
            "tainted: an earlier apply made it but did not finish".into()
        }
        (_, Some(Reason::ReplaceByRequest)) => "replacement requested (`--replace`)".into(),
        (Action::Replace, _) => forced(c),
        (Action::Delete, Some(Reason::DeleteBecauseNoResourceConfig)) => {
            "no longer in the configuration".into()
        }
        (Action::Delete, Some(Reason::DeleteBecauseEachKey)) => {
            "its key is no longer in for_each".into()
        }
        (Action::Delete, Some(Reason::DeleteBecauseCountIndex)) => {
            "its index is no longer below count".into()
        }
        (Action::Delete, _) if c.deposed.is_some() => {
            "old object left by `create_before_destroy`".into()
        }
        (Action::Delete, _) => "destroy requested".into(),
        (Action::Read, Some(Reason::ReadBecauseDependencyPending)) => {
            "read during apply: depends on pending changes".into()
        }
        (Action::Read, _) => "read during apply: arguments known only then".into(),
        (Action::Forget, _) => {
            "forgotten: removed from the state, not destroyed (`removed:` with `destroy: false`)"
                .into()
        }
        (Action::Clone, _) => format!(
            "cloned from {}",
            code(c.clone_label.as_deref().unwrap_or("its source"))
        ),
        (Action::Update, _) => {
            let names = changed_attrs(c);
            if names.is_empty() {
                "attributes change in place".into()
            } else {
                format!("{} change in place", list(names))
            }
        }
        _ => String::new(),
    }
}
