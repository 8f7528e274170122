//! The text plan, in the style Terraform users know: `+` create (and clone, bind),
//! `~` update, `-/+` replace, `-` destroy, `<=` read; attribute-level, unchanged attributes
//! hidden, multi-line strings diffed line by line, sensitive values never shown.

use super::style::Painter;
use crate::plan::sensitive::is_sensitive;
use crate::plan::{Action, Change, Drift, OutputChange, Plan, Reason};
use crate::schema::{self, Schema, Type};
use crate::value::{key, Path, PathSeg, Value};

const UNKNOWN: &str = "(known after apply)";
const SENSITIVE: &str = "(sensitive value)";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sym {
    Add,
    Del,
    Change,
    Same,
}

struct Ctx<'a> {
    p: Painter,
    before_sens: &'a [Path],
    after_sens: &'a [Path],
    replace_paths: &'a [Path],
    /// Sensitive paths known to have changed although both sides are hidden.
    secret_changes: &'a [Path],
}

impl Sym {
    fn mark(self, p: &Painter) -> String {
        match self {
            Sym::Add => p.green("+"),
            Sym::Del => p.red("-"),
            Sym::Change => p.yellow("~"),
            Sym::Same => " ".into(),
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Unknown => UNKNOWN.into(),
        Value::Null => "null".into(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) if l.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        other => serde_json::to_string(&other.to_json()).unwrap_or_default(),
    }
}

fn is_multiline(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if s.contains('\n'))
}

fn is_container(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Map(m)) if !m.is_empty())
        || matches!(v, Some(Value::List(l)) if !l.is_empty())
}

fn key_text(k: &str, quoted: bool) -> String {
    if quoted {
        serde_json::to_string(k).unwrap_or_default()
    } else {
        k.to_string()
    }
}

/// Type of a child attribute, for quoting map keys (maps quote, objects do not).
fn child_type(ty: Option<&Type>, seg: &PathSeg) -> Option<Type> {
    match (ty, seg) {
        (Some(Type::Map(t)), _) | (Some(Type::List(t)), _) => Some(**t),
        (Some(Type::Object(attrs)), PathSeg::Key(k)) => {
            attrs.iter().find(|a| a.name == k).map(|a| a.ty)
        }
        _ => None,
    }
}

impl Ctx<'_> {
    fn sens_before(&self, path: &[PathSeg]) -> bool {
        is_sensitive(path, self.before_sens)
    }
    fn sens_after(&self, path: &[PathSeg]) -> bool {
        is_sensitive(path, self.after_sens)
    }
    fn forces(&self, path: &[PathSeg]) -> bool {
        self.replace_paths.iter().any(|r| r.as_slice() == path)
    }

    fn show(&self, v: Option<&Value>, sensitive: bool) -> String {
        match v {
            _ if sensitive => SENSITIVE.into(),
            None => "null".into(),
            Some(v) => scalar(v),
        }
    }

    /// Lines for one attribute (or map element) at `path`, indented by `indent`.
    #[allow(clippy::too_many_arguments)]
    fn attr(
        &self,
        out: &mut Vec<String>,
        indent: usize,
        name: &str,
        width: usize,
        path: &Path,
        ty: Option<Type>,
        before: Option<&Value>,
        after: Option<&Value>,
        deleting: bool,
    ) {
        let pad = " ".repeat(indent);
        let sb = self.sens_before(path);
        let sa = self.sens_after(path);
        let label = format!("{name:width$}");
        let tail = if self.forces(path) {
            format!(" {}", self.p.red("# forces replacement"))
        } else {
            String::new()
        };
        let sym = match (before, after) {
            (None, Some(_)) => Sym::Add,
            (Some(_), None) => Sym::Del,
            _ if deleting => Sym::Del,
            _ if self.secret_changes.iter().any(|p| p.starts_with(path)) => Sym::Change,
            (Some(b), Some(a)) if sb == sa && crate::plan::diff::equivalent(Some(b), Some(a)) => {
                Sym::Same
            }
            _ => Sym::Change,
        };
        let m = sym.mark(&self.p);
        // A container that becomes unknown: list what it held, then "-> (known after apply)".
        if !sa && !sb && is_container(before) && matches!(after, Some(Value::Unknown)) {
            let is_list = matches!(before, Some(Value::List(_)));
            let (open, close) = if is_list { ("[", "]") } else { ("{", "}") };
            out.push(format!("{pad}{m} {label} = {open}{tail}"));
            self.children(out, indent + 4, path, ty, before, None, true);
            out.push(format!("{pad}  {close} -> {UNKNOWN}"));
            return;
        }
        // Containers open a nested block unless sensitive or unknown.
        let nest = !sa
            && !sb
            && (is_container(before) || is_container(after))
            && !matches!(after, Some(Value::Unknown))
            && before.is_none_or(|b| matches!(b, Value::Map(_) | Value::List(_) | Value::Null))
            && after.is_none_or(|a| matches!(a, Value::Map(_) | Value::List(_) | Value::Null));
        if nest {
            let is_list = matches!(after.or(before), Some(Value::List(_)));
            let (open, close) = if is_list { ("[", "]") } else { ("{", "}") };
            out.push(format!("{pad}{m} {label} = {open}{tail}"));
            self.children(out, indent + 4, path, ty, before, after, deleting);
            let end = if sym == Sym::Del && !deleting {
                format!("{close} -> null")
            } else {
                close.to_string()
            };
            out.push(format!("{pad}  {end}"));
            return;
        }
        if !sa && !sb && (is_multiline(before) || is_multiline(after)) && sym == Sym::Change {
            let b = before.and_then(Value::as_str).unwrap_or_default();
            let a = after.and_then(Value::as_str).unwrap_or_default();
            out.push(format!("{pad}{m} {label} = <<-EOT{tail}"));
            let diff = similar::TextDiff::from_lines(b, a);
            for change in diff.iter_all_changes() {
                let line = change.value().trim_end_matches('\n');
                let s = match change.tag() {
                    similar::ChangeTag::Delete => self.p.red("-"),
                    similar::ChangeTag::Insert => self.p.green("+"),
                    similar::ChangeTag::Equal => " ".into(),
                };
                out.push(format!("{pad}    {s} {line}"));
            }
            out.push(format!("{pad}  EOT"));
            return;
        }
        let text = match sym {
            Sym::Add => self.show(after, sa),
            Sym::Del => format!("{} -> null", self.show(before, sb)),
            Sym::Same => self.show(after, sa),
            Sym::Change => format!("{} -> {}", self.show(before, sb), self.show(after, sa)),
        };
        out.push(format!("{pad}{m} {label} = {text}{tail}"));
    }

    #[allow(clippy::too_many_arguments)]
    fn children(
        &self,
        out: &mut Vec<String>,
        indent: usize,
        path: &Path,
        ty: Option<Type>,
        before: Option<&Value>,
        after: Option<&Value>,
        deleting: bool,
    ) {
        let quoted = !matches!(ty, Some(Type::Object(_)));
        let mut rows: Vec<(PathSeg, Option<&Value>, Option<&Value>)> = Vec::new();
        match (before, after) {
            (b, a) if matches!(a.or(b), Some(Value::List(_))) => {
                let bl = b.and_then(Value::as_list).map(Vec::as_slice).unwrap_or(&[]);
                let al = a.and_then(Value::as_list).map(Vec::as_slice).unwrap_or(&[]);
                for i in 0..bl.len().max(al.len()) {
                    rows.push((PathSeg::Index(i), bl.get(i), al.get(i)));
                }
            }
            (b, a) => {
                let bm = b.and_then(Value::as_map);
                let am = a.and_then(Value::as_map);
                let mut keys: Vec<&String> = bm
                    .into_iter()
                    .flat_map(|m| m.keys())
                    .chain(am.into_iter().flat_map(|m| m.keys()))
                    .collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    rows.push((key(k), bm.and_then(|m| m.get(k)), am.and_then(|m| m.get(k))));
                }
            }
        }
        let is_list = matches!(after.or(before), Some(Value::List(_)));
        let names: Vec<String> = rows
            .iter()
            .map(|(seg, _, _)| match seg {
                PathSeg::Key(k) => key_text(k, quoted),
                PathSeg::Index(_) => String::new(),
            })
            .collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let mut hidden = 0;
        for ((seg, b, a), name) in rows.into_iter().zip(names) {
            let mut p = path.clone();
            p.push(seg.clone());
            let same = before.is_some()
                && after.is_some()
                && crate::plan::diff::equivalent(b, a)
                && !a.is_some_and(Value::has_unknown);
            if same && !deleting {
                hidden += 1;
                continue;
            }
            let cty = child_type(ty.as_ref(), &seg);
            if is_list {
                let pad = " ".repeat(indent);
                let sym = match (b, a) {
                    (None, Some(_)) => Sym::Add,
                    (Some(_), None) => Sym::Del,
                    _ if deleting => Sym::Del,
                    _ => Sym::Change,
                };
                let v = if sym == Sym::Del { b } else { a };
                out.push(format!(
                    "{pad}{} {},",
                    sym.mark(&self.p),
                    self.show(v, self.sens_after(&p) || self.sens_before(&p))
                ));
            } else {
                self.attr(out, indent, &name, width, &p, cty, b, a, deleting);
            }
        }
        if hidden > 0 {
            let pad = " ".repeat(indent + 2);
            out.push(self.p.dim(&format!(
                "{pad}# ({hidden} unchanged element{} hidden)",
                if hidden == 1 { "" } else { "s" }
            )));
        }
    }
}

fn header(c: &Change) -> String {
    let a = &c.addr;
    match c.action {
        Action::Create => format!("# {a} will be created"),
        Action::Clone => format!(
            "# {a} will be cloned from {}",
            c.clone_label.as_deref().unwrap_or("its source")
        ),
        Action::Bind => format!("# {a} will be bound"),
        Action::Update => format!("# {a} will be updated in-place"),
        Action::Replace => match c.reason {
            Some(Reason::ReplaceByRequest) => {
                format!("# {a} will be replaced, as requested")
            }
            Some(Reason::ReplaceBecauseTainted) => {
                format!("# {a} is tainted, so must be replaced")
            }
            _ => format!("# {a} must be replaced"),
        },
        Action::Delete if c.deposed.is_some() => format!(
            "# {a} (deposed object {}) will be destroyed",
            c.deposed.as_deref().unwrap_or_default()
        ),
        Action::Delete => format!("# {a} will be destroyed"),
        Action::Read => format!("# {a} will be read during apply"),
        Action::NoOp => format!("# {a} is up to date"),
    }
}

fn reason_note(c: &Change) -> Option<String> {
    match c.reason {
        Some(Reason::DeleteBecauseNoResourceConfig) => Some(format!(
            "# (because {} is not in the configuration)",
            c.addr
        )),
        Some(Reason::ReadBecauseConfigUnknown) => {
            Some("# (config refers to values not yet known)".into())
        }
        Some(Reason::ReadBecauseDependencyPending) => {
            Some("# (depends on a resource or a module with changes pending)".into())
        }
        _ => None,
    }
}

fn schema_of(c: &Change) -> Option<&'static Schema> {
    crate::schema::for_address(&c.addr)
}

fn block(out: &mut Vec<String>, p: &Painter, c: &Change) {
    let (sym, keyword) = match c.action {
        Action::Create => (format!("  {}", p.green("+")), "resource"),
        Action::Clone => (format!("  {}", p.green("+")), "clone"),
        Action::Bind => (format!("  {}", p.green("+")), "bind"),
        Action::Update => (format!("  {}", p.yellow("~")), "resource"),
        Action::Replace if c.create_before_destroy => (
            format!("{}{}{}", p.green("+"), p.yellow("/"), p.red("-")),
            "resource",
        ),
        Action::Replace => (
            format!("{}{}{}", p.red("-"), p.yellow("/"), p.green("+")),
            "resource",
        ),
        Action::Delete => (format!("  {}", p.red("-")), "resource"),
        Action::Read => (format!(" {}", p.cyan("<=")), "data"),
        Action::NoOp => ("   ".into(), "resource"),
    };
    out.push(format!("  {}", p.bold(&header(c))));
    if let Some(n) = reason_note(c) {
        out.push(format!("  {n}"));
    }
    out.push(format!(
        "{sym} {keyword} \"{}\" \"{}\" {{",
        c.addr.ty, c.addr.name
    ));
    let ctx = Ctx {
        p: *p,
        before_sens: &c.before_sensitive,
        after_sens: &c.after_sensitive,
        replace_paths: &c.replace_paths,
        secret_changes: &c.sensitive_changed,
    };
    let schema = schema_of(c);
    let deleting = c.action == Action::Delete;
    let before = if c.action.makes() || c.action == Action::Read {
        None
    } else {
        c.before.as_ref()
    };
    // Computed attributes of a replacement are unknown: show id -> (known after apply).
    let replaced = match (c.action, &c.after, schema) {
        (Action::Replace, Some(Value::Map(a)), Some(s)) => {
            let mut a = a.clone();
            for attr in s.attrs.iter().filter(|x| x.mode == schema::Mode::Computed) {
                a.entry(attr.name.to_string()).or_insert(Value::Unknown);
            }
            Some(Value::Map(a))
        }
        _ => None,
    };
    let after = replaced.as_ref().or(c.after.as_ref());
    let bm = before.and_then(Value::as_map);
    let am = after.and_then(Value::as_map);
    let mut names: Vec<&String> = bm
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(am.into_iter().flat_map(|m| m.keys()))
        .collect();
    names.sort();
    names.dedup();
    let mut clone_row = None;
    if let (Some(cv), true) = (&c.clone, c.action.makes() || c.action == Action::Replace) {
        clone_row = Some(cv.clone());
    }
    let clone_before = if c.action == Action::Replace {
        c.prior_clone.clone()
    } else {
        None
    };
    // Which rows to show: everything for create/delete; for updates, what changed plus id
    // and name for context.
    let mut rows: Vec<(String, Option<&Value>, Option<&Value>)> = Vec::new();
    let mut hidden = 0;
    for n in names {
        let b = bm.and_then(|m| m.get(n));
        let a = if deleting {
            None
        } else {
            am.and_then(|m| m.get(n))
        };
        if c.action.makes() || c.action == Action::Read {
            if a.is_none_or(Value::is_null) && !is_sensitive(&[key(n)], &c.after_sensitive) {
                continue;
            }
        } else if deleting {
            if b.is_none_or(Value::is_null) {
                continue;
            }
        } else if crate::plan::diff::equivalent(b, a)
            && !a.is_some_and(Value::has_unknown)
            && n != "id"
            && n != "name"
        {
            let sens_changed = c
                .after_sensitive
                .iter()
                .chain(&c.before_sensitive)
                .any(|p| p.first() == Some(&key(n)) && c.action != Action::NoOp);
            if !sens_changed {
                hidden += 1;
                continue;
            }
        }
        rows.push((n.clone(), b, a));
    }
    let width = rows
        .iter()
        .map(|(n, _, _)| n.len())
        .chain(clone_row.iter().map(|_| 5))
        .max()
        .unwrap_or(0);
    if let Some(cv) = &clone_row {
        let clone_path = vec![key("clone")];
        let forces = c.replace_paths.contains(&clone_path);
        let ctx2 = Ctx {
            replace_paths: if forces {
                c.replace_paths.as_slice()
            } else {
                &[]
            },
            ..ctx
        };
        let clone_ty = schema.and_then(|s| s.clone).map(Type::Object);
        ctx2.attr(
            out,
            6,
            "clone",
            width,
            &clone_path,
            clone_ty,
            clone_before.as_ref(),
            Some(cv),
            false,
        );
    }
    for (n, b, a) in rows {
        let ty = schema.and_then(|s| s.attr(&n)).map(|x| x.ty);
        ctx.attr(out, 6, &n, width, &vec![key(&n)], ty, b, a, deleting);
    }
    if hidden > 0 {
        out.push(p.dim(&format!(
            "        # ({hidden} unchanged attribute{} hidden)",
            if hidden == 1 { "" } else { "s" }
        )));
    }
    out.push("    }".into());
}

fn legend(plan: &Plan, p: &Painter) -> Vec<String> {
    let mut used: Vec<(String, &str)> = Vec::new();
    let mut add = |sym: String, what: &'static str| {
        if !used.iter().any(|(_, w)| *w == what) {
            used.push((sym, what));
        }
    };
    for c in plan.changes.iter().filter(|c| show_change(c)) {
        match c.action {
            Action::Create => add(format!("  {}", p.green("+")), "create"),
            Action::Clone => add(format!("  {}", p.green("+")), "clone"),
            Action::Bind => add(format!("  {}", p.green("+")), "bind"),
            Action::Update => add(format!("  {}", p.yellow("~")), "update in-place"),
            Action::Replace if c.create_before_destroy => add(
                format!("{}{}{}", p.green("+"), p.yellow("/"), p.red("-")),
                "create replacement and then destroy",
            ),
            Action::Replace => add(
                format!("{}{}{}", p.red("-"), p.yellow("/"), p.green("+")),
                "destroy and then create replacement",
            ),
            Action::Delete => add(format!("  {}", p.red("-")), "destroy"),
            Action::Read => add(format!(" {}", p.cyan("<=")), "read (data resources)"),
            Action::NoOp => {}
        }
    }
    let mut out = vec!["Resource actions are indicated with the following symbols:".to_string()];
    out.extend(used.into_iter().map(|(s, w)| format!("{s} {w}")));
    out
}

fn show_change(c: &Change) -> bool {
    match c.action {
        Action::NoOp => false,
        Action::Read => c.reason.is_some(),
        _ => true,
    }
}

fn drift_lines(out: &mut Vec<String>, p: &Painter, drift: &[Drift]) {
    out.push(p.bold("Note: Objects have changed outside of strata"));
    out.push(String::new());
    out.push(
        "strata detected the following changes made outside of strata since the last apply:".into(),
    );
    for d in drift {
        out.push(String::new());
        let action = if d.action == Action::Delete {
            Action::Delete
        } else {
            Action::Update
        };
        let c = Change {
            before: Some(d.before.clone()),
            after: d.after.clone(),
            before_sensitive: d.sensitive.clone(),
            after_sensitive: d.sensitive.clone(),
            ..Change::new(d.addr.clone(), action)
        };
        let mut lines = Vec::new();
        block(&mut lines, p, &c);
        let head = if d.action == Action::Delete {
            format!("# {} has been deleted", d.addr)
        } else {
            format!("# {} has changed", d.addr)
        };
        lines[0] = format!("  {}", p.bold(&head));
        out.extend(lines);
    }
    out.push(String::new());
    out.push(
        "Unless you have made equivalent changes to your configuration, strata will plan to \
         undo them below."
            .into(),
    );
}

/// "Plan: 1 to create, …" with the counts of every action.
pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    format!(
        "Plan: {} to create, {} to clone, {} to bind, {} to update, {} to replace, {} to destroy.",
        s.create, s.clone, s.bind, s.update, s.replace, s.delete
    )
}

fn output_lines(out: &mut Vec<String>, p: &Painter, outputs: &[OutputChange]) {
    let shown: Vec<&OutputChange> = outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push(String::new());
    out.push("Changes to Outputs:".into());
    let width = shown.iter().map(|o| o.name.len()).max().unwrap_or(0);
    let ctx = Ctx {
        p: *p,
        before_sens: &[],
        after_sens: &[],
        replace_paths: &[],
        secret_changes: &[],
    };
    for o in shown {
        let sens: Vec<Path> = if o.sensitive { vec![vec![]] } else { vec![] };
        let c = Ctx {
            before_sens: &sens,
            after_sens: &sens,
            ..ctx
        };
        let (b, a) = match o.action {
            Action::Create => (None, o.after.as_ref()),
            Action::Delete => (o.before.as_ref(), None),
            _ => (o.before.as_ref(), o.after.as_ref()),
        };
        c.attr(out, 2, &o.name, width, &vec![], None, b, a, false);
    }
}

/// What reconcile and refresh found: intents settled, objects changed outside strata.
pub fn render_findings(reconciled: &[String], drift: &[Drift], p: &Painter) -> String {
    let mut out: Vec<String> = Vec::new();
    if !reconciled.is_empty() {
        out.push(p.bold("Reconciled operations left open by an interrupted run:"));
        for r in reconciled {
            out.push(format!("  - {r}"));
        }
        out.push(String::new());
    }
    if !drift.is_empty() {
        drift_lines(&mut out, p, drift);
        out.push(String::new());
    }
    if out.is_empty() {
        String::new()
    } else {
        out.join("\n") + "\n"
    }
}

/// The whole plan as text.
pub fn render(plan: &Plan, p: &Painter) -> String {
    let mut out: Vec<String> = Vec::new();
    let findings = render_findings(&plan.reconciled, &plan.drift, p);
    if !findings.is_empty() {
        out.push(findings.trim_end_matches('\n').to_string());
        out.push(String::new());
    }
    if !plan.has_changes() {
        out.push(format!(
            "{} Your infrastructure matches the configuration.",
            p.green(&p.bold("No changes."))
        ));
        out.push(String::new());
        out.push("strata has compared your real infrastructure against your configuration and found no differences, so no changes are needed.".into());
        return out.join("\n") + "\n";
    }
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| show_change(c)).collect();
    if !changes.is_empty() {
        out.extend(legend(plan, p));
        out.push(String::new());
        out.push("strata will perform the following actions:".into());
        for c in changes {
            out.push(String::new());
            block(&mut out, p, c);
        }
        out.push(String::new());
    }
    out.push(p.bold(&summary_line(plan)));
    output_lines(&mut out, p, &plan.outputs);
    out.join("\n") + "\n"
}

/// An object as stored (for `show` and `state show`): every attribute, secrets hidden.
pub fn render_object(
    addr: &crate::address::Address,
    attrs: &Value,
    sensitive: &[Path],
    p: &Painter,
) -> String {
    let mut out = vec![format!("# {addr}:")];
    let keyword = if addr.is_data() { "data" } else { "resource" };
    out.push(format!("{keyword} \"{}\" \"{}\" {{", addr.ty, addr.name));
    let ctx = Ctx {
        p: *p,
        before_sens: sensitive,
        after_sens: sensitive,
        replace_paths: &[],
        secret_changes: &[],
    };
    let schema = crate::schema::for_address(addr);
    if let Some(m) = attrs.as_map() {
        let shown: Vec<(&String, &Value)> = m
            .iter()
            .filter(|(_, v)| !v.is_null() || sensitive.iter().any(|s| s.len() == 1))
            .collect();
        let width = shown.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in shown {
            let path = vec![key(k)];
            if v.is_null() && !is_sensitive(&path, sensitive) {
                continue;
            }
            let ty = schema.and_then(|s| s.attr(k)).map(|a| a.ty);
            let mut lines = Vec::new();
            // An "add" of the value with the marks removed reads as a plain listing.
            ctx.attr(&mut lines, 2, k, width, &path, ty, None, Some(v), false);
            for l in lines {
                out.push(strip_marks(&l));
            }
        }
    }
    out.push("}".into());
    out.join("\n") + "\n"
}

/// Replace the `+` marks of an "add" rendering by spaces.
fn strip_marks(l: &str) -> String {
    let plain_plus = "+ ";
    let colored = format!("{}{}", Painter { color: true }.green("+"), " ");
    let mut s = l.replacen(&colored, "  ", 1);
    if let Some(i) = s.find(plain_plus) {
        if s[..i].chars().all(|c| c == ' ') {
            s.replace_range(i..i + 2, "  ");
        }
    }
    s
}
