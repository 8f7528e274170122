//! A module instance's namespace: the names its variables, locals, outputs and nested calls
//! take among the stack's locals, and its expressions rewritten into the stack's terms.
//! Invariants: every name a namespace makes starts with its module path (`module.a["k"].`),
//! which no user's local can (a local's name is an identifier), so two instances never share
//! a name; the root namespace changes nothing.

use crate::address::{Key, Step};
use crate::config::expr::{Expr, Ref, Target};
use crate::config::instances::Each;
use crate::value::{PathSeg, Value};

#[derive(Debug, Clone, Default)]
pub struct Namespace {
    pub path: Vec<Step>,
    /// The path as written, with a trailing `.` (empty for the root).
    prefix: String,
}

impl Namespace {
    pub fn child(&self, name: &str, key: Option<Key>) -> Namespace {
        let mut path = self.path.clone();
        path.push(Step {
            name: name.to_string(),
            key,
        });
        let prefix = format!("{}.", crate::address::module_text(&path));
        Namespace { path, prefix }
    }

    pub fn text(&self) -> String {
        crate::address::module_text(&self.path)
    }

    pub fn var(&self, name: &str) -> String {
        format!("{}var.{name}", self.prefix)
    }

    pub fn output(&self, name: &str) -> String {
        format!("{}output.{name}", self.prefix)
    }

    /// The local holding the outputs of the call `name` made here (`${module.NAME…}`).
    pub fn module(&self, name: &str) -> String {
        format!("{}module.{name}", self.prefix)
    }

    /// The stack's name of this namespace's `local.NAME` (or its `module.NAME`, which the
    /// parser names a local too).
    pub fn local(&self, name: &str) -> String {
        match (self.prefix.is_empty(), name.strip_prefix("module.")) {
            (true, _) => name.to_string(),
            (false, Some(m)) => self.module(m),
            (false, None) => format!("{}local.{name}", self.prefix),
        }
    }

    /// `e` with its references moved into the stack's terms.
    pub fn expr(&self, e: &Expr) -> Expr {
        let mut out = e.clone();
        if self.prefix.is_empty() {
            return out;
        }
        out.visit_refs_mut(&mut |node| {
            if let Expr::Ref(r) = node {
                r.target = match &r.target {
                    Target::Var(v) => Target::Local(self.var(v)),
                    Target::Local(n) => Target::Local(self.local(n)),
                    Target::Object(a) => Target::Object(a.in_module(&self.path)),
                    t @ Target::Instance(_) => t.clone(),
                };
            }
        });
        out
    }
}

/// `e` with `each.key`, `each.value` and `count.index` replaced by the instance's values (a
/// module call's inputs see the call's instance; inside the module they are the blocks' own).
pub fn with_instance(e: &Expr, each: &Each) -> Expr {
    let mut out = e.clone();
    out.visit_refs_mut(&mut |node| {
        let Expr::Ref(r) = node else { return };
        let Target::Instance(which) = r.target else {
            return;
        };
        if let Ok((value, sensitive)) = each.get(which) {
            *node = literal_at(value, sensitive, r);
        }
    });
    out
}

/// The literal `value`, then the reference's attribute path on it.
fn literal_at(value: Value, sensitive: bool, r: &Ref) -> Expr {
    let mut e = Expr::Literal(value);
    if sensitive {
        e = super::expand::sensitive(e);
    }
    for seg in &r.path {
        e = match seg {
            PathSeg::Key(k) => Expr::Attr(Box::new(e), k.clone()),
            PathSeg::Index(i) => Expr::Index(Box::new((e, Expr::Literal(Value::int(*i as i64))))),
        };
    }
    e
}

/// A reference to the stack local `name`.
pub fn local_ref(name: &str, text: &str) -> Expr {
    Expr::Ref(Box::new(Ref {
        target: Target::Local(name.to_string()),
        path: Vec::new(),
        text: text.to_string(),
    }))
}
