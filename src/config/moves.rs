//! The `moved:` and `removed:` sections: entries naming addresses (`Address::parse`: plain,
//! instance, module paths) whose state objects are moved to another address or forgotten.
//! Parsing, and the checks the config alone shows (`check`: conflicting and chained moves,
//! type changes, removed blocks still configured — `strata validate` runs them too); what
//! the entries do to a state is the planner's (`plan::moves`).
//!
//! Invariants: the keys come from `keys::MOVED` / `keys::REMOVED` (through `sections::known`);
//! every entry remembers its file and index so a problem found later (a conflict, a chain)
//! names the entry's file and line; a `removed:` entry destroys unless
//! `lifecycle: { destroy: false }` is written.

use super::keys::{self, Table};
use super::load::FileCx;
use super::sections::{known, wrong_value};
use super::Config;
use crate::address::Address;
use crate::diag::{Diagnostic, Diagnostics};
use crate::value::{Map, Value};

/// One `moved:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
    pub file: usize,
    /// Its index in its file's `moved:` list.
    pub index: usize,
}

/// One `removed:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub from: Address,
    /// `lifecycle.destroy` (default true): destroy the object; false: forget it.
    pub destroy: bool,
    pub file: usize,
    pub index: usize,
}

impl Moved {
    /// The YAML path of the entry, for a diagnostic's line.
    pub fn yaml_path(&self) -> Vec<String> {
        vec!["moved".into(), self.index.to_string()]
    }
}

impl Moved {
    /// An error at this entry.
    pub fn error(&self, cfg: &Config, msg: String) -> Diagnostic {
        Diagnostic::error(msg)
            .file(cfg.file_path(self.file))
            .at_owned(self.yaml_path())
    }
}

impl Removed {
    pub fn yaml_path(&self) -> Vec<String> {
        vec!["removed".into(), self.index.to_string()]
    }
}

/// The mappings of a list section; anything else is reported.
fn items<'v>(cx: &mut FileCx, section: &str, body: &'v Value) -> Vec<(usize, &'v Map)> {
    let list = match body {
        Value::Null => return Vec::new(),
        Value::List(l) => l,
        other => {
            let msg = format!(
                "{section} must be a list of mappings, not a {}",
                other.kind()
            );
            wrong_value(cx, &[section], msg);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let idx = i.to_string();
        match item {
            Value::Map(m) => out.push((i, m)),
            other => {
                let msg = format!(
                    "a {section} entry must be a mapping, not a {}",
                    other.kind()
                );
                wrong_value(cx, &[section, &idx], msg);
            }
        }
    }
    out
}

/// The address an entry's key `name` gives; `None` after reporting it missing (a malformed
/// one is reported by `known`, which checks it against its kind).
fn address(
    cx: &mut FileCx,
    at: &[&str],
    (table, m): (&Table, &Map),
    fields: &[(&keys::Key, &Value)],
    name: &str,
) -> Option<Address> {
    let given = fields.iter().find(|(k, v)| k.name == name && !v.is_null());
    let Some(text) = given.and_then(|(_, v)| v.as_str()) else {
        if m.get(name).is_none_or(Value::is_null) {
            wrong_value(cx, at, format!("{} needs {name}", table.what));
        }
        return None;
    };
    Address::parse(text).ok()
}

fn in_module(cfg: &Config, cx: &mut FileCx, section: &str) -> bool {
    if cfg.module_key.is_empty() {
        return false;
    }
    cx.err(
        &[section],
        format!("{section}: is not supported inside a module yet"),
    )
    .hint = Some(
        "write the entry in the calling stack, with module addresses (module.NAME.TYPE.NAME)"
            .into(),
    );
    true
}

/// `moved: [ { from: ADDR, to: ADDR } ]`.
pub(super) fn merge_moved(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    if in_module(cfg, cx, "moved") {
        return;
    }
    for (index, m) in items(cx, "moved", body) {
        let idx = index.to_string();
        let at = ["moved", idx.as_str()];
        let fields = known(cx, &at, &keys::MOVED, m);
        let from = address(cx, &at, (&keys::MOVED, m), &fields, "from");
        let to = address(cx, &at, (&keys::MOVED, m), &fields, "to");
        if let (Some(from), Some(to)) = (from, to) {
            let file = cx.idx;
            cfg.moved.push(Moved {
                from,
                to,
                file,
                index,
            });
        }
    }
}

/// `removed: [ { from: ADDR, lifecycle: { destroy: false } } ]`.
pub(super) fn merge_removed(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    if in_module(cfg, cx, "removed") {
        return;
    }
    for (index, m) in items(cx, "removed", body) {
        let idx = index.to_string();
        let at = ["removed", idx.as_str()];
        let fields = known(cx, &at, &keys::REMOVED, m);
        let Some(from) = address(cx, &at, (&keys::REMOVED, m), &fields, "from") else {
            continue;
        };
        let mut destroy = true;
        if let Some((_, Value::Map(lc))) = fields.iter().find(|(k, _)| k.name == "lifecycle") {
            let lat = ["removed", idx.as_str(), "lifecycle"];
            for (k, v) in known(cx, &lat, &keys::REMOVED_LIFECYCLE, lc) {
                if k.name == "destroy" {
                    destroy = v.as_bool().unwrap_or(true);
                }
            }
        }
        let file = cx.idx;
        cfg.removed.push(Removed {
            from,
            destroy,
            file,
            index,
        });
    }
}

/// The problems of the entries that the config alone shows: conflicting and chained moves
/// (each naming both entries), moves that change the type, removed blocks still configured.
/// Lines are not yet resolved (`Config::resolve_lines`).
pub fn check(cfg: &Config) -> Diagnostics {
    let mut diags = Diagnostics::default();
    check_moves(cfg, &mut diags);
    check_removed(cfg, &mut diags);
    diags
}

/// Where an entry is written, `file:line`, for a message naming another entry.
fn place(cfg: &Config, file: usize, path: Vec<String>) -> String {
    let mut d = Diagnostics::default();
    d.push(
        Diagnostic::error("")
            .file(cfg.file_path(file))
            .at_owned(path),
    );
    cfg.resolve_lines(&mut d);
    let d = &d.0[0];
    let f = cfg.file_path(file).display().to_string();
    match d.line {
        Some(l) => format!("{f}:{l}"),
        None => f,
    }
}

/// Whether two addresses name a common object (one is the other, or a block and its
/// instance).
fn overlap(a: &Address, b: &Address) -> bool {
    a.in_block(b) || b.in_block(a)
}

/// Conflicting and chained moves, and moves that change what an address is.
fn check_moves(cfg: &Config, diags: &mut Diagnostics) {
    let moved = &cfg.moved;
    for (j, b) in moved.iter().enumerate() {
        if b.from.mode != b.to.mode || b.from.ty != b.to.ty || b.from.is_data() {
            let msg = format!(
                "moved: {} cannot move to {}: a move keeps the resource type (and data sources are not moved)",
                b.from, b.to
            );
            diags.push(b.error(cfg, msg));
        }
        if b.from == b.to {
            let msg = format!("moved: {} is moved to itself", b.from);
            diags.push(b.error(cfg, msg));
        }
        for a in &moved[..j] {
            let other = place(cfg, a.file, a.yaml_path());
            let what = if overlap(&a.from, &b.from) {
                format!("both move {}", b.from)
            } else if overlap(&a.to, &b.to) {
                format!("both move an object to {}", b.to)
            } else if overlap(&a.to, &b.from) || overlap(&b.to, &a.from) {
                "chain: one moves an object to where the other moves from".to_string()
            } else {
                continue;
            };
            let msg = format!(
                "conflicting moved entries: {} -> {} and {} -> {} (at {other}) {what}",
                b.from, b.to, a.from, a.to
            );
            diags.push(b.error(cfg, msg).hint(
                "write one entry per object, from its address in state straight to its new address",
            ));
        }
    }
}

/// A removed entry whose block is still configured.
fn check_removed(cfg: &Config, diags: &mut Diagnostics) {
    for r in &cfg.removed {
        let block = r.from.block();
        if cfg.resources.contains_key(&block) {
            let b = &cfg.resources[&block];
            let here = place(cfg, b.file, b.yaml_path());
            diags.push(
                Diagnostic::error(format!(
                    "removed: {} is still in the configuration (at {here})",
                    r.from
                ))
                .file(cfg.file_path(r.file))
                .at_owned(r.yaml_path())
                .hint("delete the block from the configuration, or delete the removed entry"),
            );
        }
    }
}
