//! The text plan, in the style Terraform users know: `+` create (and clone, bind),
//! `~` update, `-/+` replace, `-` destroy, `<=` read; attribute-level, unchanged attributes
//! hidden, multi-line strings diffed line by line, sensitive values never shown. The lines
//! tfcmt and Atlantis parse are `parsed`'s, in Terraform's words: a clone or a bind is headed
//! "will be created", as Terraform heads what a plan adds, with strata's verb on the note
//! beneath and on the block.

use super::parsed;
use super::style::Painter;
use crate::plan::sensitive::is_sensitive;
use crate::plan::{Action, Change, Drift, Forced, OutputChange, Plan, Reason};
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
    /// What forces the replacement, and why.
    forced: &'a [Forced],
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
    fn forces(&self, path: &[PathSeg]) -> Option<&str> {
        self.forced
            .iter()
            .find(|f| f.path.as_slice() == path)
            .map(|f| f.why.as_str())
    }

    fn show(&self, v: Option<&Value>, sensitive: bool) -> String {
        match v {
            _ if sensitive => SENSITIVE.into(),
            None => "null".into(),
            Some(v) => scalar(v),
        }
    }

    /// Lines for one attribute (or map element) `row`, indented by `indent`.
    fn attr(&self, out: &mut Vec<String>, indent: usize, row: &Row<'_>) {
        let (sb, sa) = (self.sens_before(&row.path), self.sens_after(&row.path));
        let hidden = sa || sb;
        let (before, after) = (row.before, row.after);
        let head = RowHead {
            pad: " ".repeat(indent),
            mark: self.sym_of(row, sb, sa).mark(&self.p),
            label: format!("{:width$}", row.name, width = row.width),
            tail: match self.forces(&row.path) {
                Some(why) => format!(" {}", self.p.red(&format!("# forces replacement: {why}"))),
                None => String::new(),
            },
        };
        if !hidden && is_container(before) && matches!(after, Some(Value::Unknown)) {
            self.container_becoming_unknown(out, indent, row, &head);
        } else if !hidden && nests(before, after) {
            self.nested(out, indent, row, &head);
        } else if !hidden
            && (is_multiline(before) || is_multiline(after))
            && self.sym_of(row, sb, sa) == Sym::Change
        {
            self.heredoc(out, row, &head);
        } else {
            let text = match self.sym_of(row, sb, sa) {
                Sym::Add | Sym::Same => self.show(after, sa),
                Sym::Del => format!("{} -> null", self.show(before, sb)),
                Sym::Change => format!("{} -> {}", self.show(before, sb), self.show(after, sa)),
            };
            let RowHead {
                pad,
                mark,
                label,
                tail,
            } = head;
            out.push(format!("{pad}{mark} {label} = {text}{tail}"));
        }
    }

    /// How a row changes: added, removed, changed or the same.
    fn sym_of(&self, row: &Row<'_>, sb: bool, sa: bool) -> Sym {
        match (row.before, row.after) {
            (None, Some(_)) => Sym::Add,
            (Some(_), None) => Sym::Del,
            _ if row.deleting => Sym::Del,
            _ if self.secret_changes.iter().any(|p| p.starts_with(&row.path)) => Sym::Change,
            (Some(b), Some(a)) if sb == sa && crate::plan::diff::equivalent(Some(b), Some(a)) => {
                Sym::Same
            }
            _ => Sym::Change,
        }
    }

    /// A container that becomes unknown: what it held, then "-> (known after apply)".
    fn container_becoming_unknown(
        &self,
        out: &mut Vec<String>,
        indent: usize,
        row: &Row<'_>,
        h: &RowHead,
    ) {
        let (open, close) = brackets(row.before);
        out.push(format!(
            "{}{} {} = {open}{}",
            h.pad, h.mark, h.label, h.tail
        ));
        let old = Row {
            after: None,
            deleting: true,
            ..row.clone()
        };
        self.children(out, indent + 4, &old);
        out.push(format!("{}  {close} -> {UNKNOWN}", h.pad));
    }

    /// A map or list opening a nested block of its elements.
    fn nested(&self, out: &mut Vec<String>, indent: usize, row: &Row<'_>, h: &RowHead) {
        let (open, close) = brackets(row.after.or(row.before));
        out.push(format!(
            "{}{} {} = {open}{}",
            h.pad, h.mark, h.label, h.tail
        ));
        self.children(out, indent + 4, row);
        let removed = matches!((row.before, row.after), (Some(_), None)) && !row.deleting;
        let end = if removed {
            format!("{close} -> null")
        } else {
            close.to_string()
        };
        out.push(format!("{}  {end}", h.pad));
    }

    /// A multi-line string diffed line by line.
    fn heredoc(&self, out: &mut Vec<String>, row: &Row<'_>, h: &RowHead) {
        let b = row.before.and_then(Value::as_str).unwrap_or_default();
        let a = row.after.and_then(Value::as_str).unwrap_or_default();
        out.push(format!(
            "{}{} {} = <<-EOT{}",
            h.pad, h.mark, h.label, h.tail
        ));
        for change in similar::TextDiff::from_lines(b, a).iter_all_changes() {
            let line = change.value().trim_end_matches('\n');
            let s = match change.tag() {
                similar::ChangeTag::Delete => self.p.red("-"),
                similar::ChangeTag::Insert => self.p.green("+"),
                similar::ChangeTag::Equal => " ".into(),
            };
            out.push(format!("{}    {s} {line}", h.pad));
        }
        out.push(format!("{}  EOT", h.pad));
    }

    /// The elements of a map, object or list, unchanged ones hidden and counted.
    fn children(&self, out: &mut Vec<String>, indent: usize, parent: &Row<'_>) {
        let (before, after) = (parent.before, parent.after);
        let quoted = !matches!(parent.ty, Some(Type::Object(_)));
        let rows = child_rows(before, after);
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
            let same = before.is_some()
                && after.is_some()
                && crate::plan::diff::equivalent(b, a)
                && !a.is_some_and(Value::has_unknown);
            if same && !parent.deleting {
                hidden += 1;
                continue;
            }
            let mut path = parent.path.clone();
            path.push(seg.clone());
            let row = Row {
                name: &name,
                width,
                ty: child_type(parent.ty.as_ref(), &seg),
                path,
                before: b,
                after: a,
                deleting: parent.deleting,
            };
            if matches!(after.or(before), Some(Value::List(_))) {
                self.list_item(out, indent, &row);
            } else {
                self.attr(out, indent, &row);
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

    /// One element of a list: its mark and value.
    fn list_item(&self, out: &mut Vec<String>, indent: usize, row: &Row<'_>) {
        let sym = match (row.before, row.after) {
            (None, Some(_)) => Sym::Add,
            (Some(_), None) => Sym::Del,
            _ if row.deleting => Sym::Del,
            _ => Sym::Change,
        };
        let v = if sym == Sym::Del {
            row.before
        } else {
            row.after
        };
        let sensitive = self.sens_after(&row.path) || self.sens_before(&row.path);
        out.push(format!(
            "{}{} {},",
            " ".repeat(indent),
            sym.mark(&self.p),
            self.show(v, sensitive)
        ));
    }
}

/// One attribute or element to render: its label (padded to `width`), path, schema type and
/// both sides.
#[derive(Clone)]
struct Row<'a> {
    name: &'a str,
    width: usize,
    path: Path,
    ty: Option<Type>,
    before: Option<&'a Value>,
    after: Option<&'a Value>,
    deleting: bool,
}

/// The parts of a row's first line.
struct RowHead {
    pad: String,
    mark: String,
    label: String,
    tail: String,
}

/// Whether a value pair opens a nested block (maps and lists that stay maps and lists).
fn nests(before: Option<&Value>, after: Option<&Value>) -> bool {
    let shape = |v: Option<&Value>| {
        v.is_none_or(|v| matches!(v, Value::Map(_) | Value::List(_) | Value::Null))
    };
    (is_container(before) || is_container(after))
        && !matches!(after, Some(Value::Unknown))
        && shape(before)
        && shape(after)
}

fn brackets(v: Option<&Value>) -> (&'static str, &'static str) {
    if matches!(v, Some(Value::List(_))) {
        ("[", "]")
    } else {
        ("{", "}")
    }
}

/// The elements of both sides, by index for lists and by sorted key for maps.
fn child_rows<'a>(
    before: Option<&'a Value>,
    after: Option<&'a Value>,
) -> Vec<(PathSeg, Option<&'a Value>, Option<&'a Value>)> {
    if matches!(after.or(before), Some(Value::List(_))) {
        let bl = before
            .and_then(Value::as_list)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let al = after
            .and_then(Value::as_list)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        return (0..bl.len().max(al.len()))
            .map(|i| (PathSeg::Index(i), bl.get(i), al.get(i)))
            .collect();
    }
    let bm = before.and_then(Value::as_map);
    let am = after.and_then(Value::as_map);
    key_union(bm, am)
        .into_iter()
        .map(|k| (key(k), bm.and_then(|m| m.get(k)), am.and_then(|m| m.get(k))))
        .collect()
}

fn header(c: &Change) -> String {
    let a = &c.addr;
    if let Some(h) = super::moves::header(c) {
        return h;
    }
    match c.action {
        Action::Create | Action::Clone | Action::Bind => format!("# {a} will be created"),
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
        Action::NoOp if c.importing.is_some() => format!("# {a} will be imported"),
        Action::NoOp | Action::Forget => format!("# {a} is up to date"),
    }
}

fn instance_key(c: &Change) -> String {
    c.addr
        .key
        .as_ref()
        .map(|k| k.to_string())
        .unwrap_or_default()
}

/// The note under the header that says how a clone or a bind makes its object.
fn verb_note(c: &Change) -> Option<String> {
    match c.action {
        Action::Clone => Some(format!(
            "# (cloned from {})",
            c.clone_label.as_deref().unwrap_or("its source")
        )),
        Action::Bind => Some("# (made by binding)".into()),
        _ => None,
    }
}

fn reason_note(c: &Change) -> Option<String> {
    match c.reason {
        Some(Reason::DeleteBecauseNoResourceConfig) => Some(format!(
            "# (because {} is not in the configuration)",
            c.addr
        )),
        Some(Reason::DeleteBecauseEachKey) => Some(format!(
            "# (because key {} is not in for_each map)",
            instance_key(c)
        )),
        Some(Reason::DeleteBecauseCountIndex) => Some(format!(
            "# (because index {} is out of range for count)",
            instance_key(c)
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

/// The symbol of a change, as in Terraform's plans.
fn symbol(p: &Painter, c: &Change) -> String {
    match c.action {
        Action::Create | Action::Clone | Action::Bind => format!("  {}", p.green("+")),
        Action::Update => format!("  {}", p.yellow("~")),
        Action::Replace if c.create_before_destroy => {
            format!("{}{}{}", p.green("+"), p.yellow("/"), p.red("-"))
        }
        Action::Replace => format!("{}{}{}", p.red("-"), p.yellow("/"), p.green("+")),
        Action::Delete => format!("  {}", p.red("-")),
        Action::Read => format!(" {}", p.cyan("<=")),
        Action::NoOp => "   ".into(),
        Action::Forget => "  .".into(),
    }
}

/// The word before a block's type: what kind of change makes it.
fn keyword(a: Action) -> &'static str {
    match a {
        Action::Clone => "clone",
        Action::Bind => "bind",
        Action::Read => "data",
        _ => "resource",
    }
}

/// What a symbol means, in the legend; `None` for what the legend never lists.
fn meaning(c: &Change) -> Option<&'static str> {
    Some(match c.action {
        Action::Create => "create",
        Action::Clone => "clone",
        Action::Bind => "bind",
        Action::Update => "update in-place",
        Action::Replace if c.create_before_destroy => "create replacement and then destroy",
        Action::Replace => "destroy and then create replacement",
        Action::Delete => "destroy",
        Action::Read => "read (data resources)",
        Action::NoOp | Action::Forget => return None,
    })
}

fn block(out: &mut Vec<String>, p: &Painter, c: &Change) {
    out.push(format!("  {}", p.bold(&header(c))));
    let notes = [
        super::moves::note(c).or_else(|| reason_note(c)),
        verb_note(c),
    ];
    for n in notes.into_iter().flatten() {
        out.push(format!("  {n}"));
    }
    if let Some(i) = c.importing.as_ref().filter(|_| c.action != Action::NoOp) {
        out.push(format!("  # (imported from \"{}\")", i.id));
    }
    out.push(format!(
        "{} {} \"{}\" \"{}\" {{",
        symbol(p, c),
        keyword(c.action),
        c.addr.ty,
        c.addr.name
    ));
    let ctx = Ctx {
        p: *p,
        before_sens: &c.before_sensitive,
        after_sens: &c.after_sensitive,
        forced: &c.replace_reasons,
        secret_changes: &c.sensitive_changed,
    };
    let schema = schema_of(c);
    let deleting = c.action == Action::Delete;
    let before = if c.action.makes() || c.action == Action::Read {
        None
    } else {
        c.before.as_ref()
    };
    let replaced = replacement_after(c, schema);
    let after = match c.action {
        // a pure move, a forget, an object imported as it is: the object as it is
        Action::NoOp | Action::Forget => c.before.as_ref(),
        _ => replaced.as_ref().or(c.after.as_ref()),
    };
    let (rows, hidden) = shown_rows(
        c,
        before.and_then(Value::as_map),
        after.and_then(Value::as_map),
    );
    let clone_row = c
        .clone
        .as_ref()
        .filter(|_| c.action.makes() || c.action == Action::Replace);
    let width = rows
        .iter()
        .map(|(n, _, _)| n.len())
        .chain(clone_row.iter().map(|_| 5))
        .max()
        .unwrap_or(0);
    if let Some(cv) = clone_row {
        clone_attr(out, &ctx, c, schema, width, cv);
    }
    for (n, b, a) in rows {
        let row = Row {
            name: &n,
            width,
            path: vec![key(&n)],
            ty: schema.and_then(|s| s.attr(&n)).map(|x| x.ty),
            before: b,
            after: a,
            deleting,
        };
        ctx.attr(out, 6, &row);
    }
    if hidden > 0 {
        out.push(p.dim(&format!(
            "        # ({hidden} unchanged attribute{} hidden)",
            if hidden == 1 { "" } else { "s" }
        )));
    }
    out.push("    }".into());
}

/// Computed attributes of a replacement are unknown: shown as id -> (known after apply).
fn replacement_after(c: &Change, schema: Option<&Schema>) -> Option<Value> {
    let (Action::Replace, Some(Value::Map(a)), Some(s)) = (c.action, &c.after, schema) else {
        return None;
    };
    let mut a = a.clone();
    for attr in s.attrs.iter().filter(|x| x.mode == schema::Mode::Computed) {
        a.entry(attr.name.to_string()).or_insert(Value::Unknown);
    }
    Some(Value::Map(a))
}

type AttrRow<'a> = (String, Option<&'a Value>, Option<&'a Value>);

/// The keys of either map, sorted, each once.
fn key_union<'a>(
    bm: Option<&'a crate::value::Map>,
    am: Option<&'a crate::value::Map>,
) -> Vec<&'a String> {
    let mut keys: Vec<&String> = bm
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(am.into_iter().flat_map(|m| m.keys()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Which rows to show: everything set for create/delete; for updates, what changed plus id
/// and name for context. Returns the rows and how many were hidden.
fn shown_rows<'a>(
    c: &Change,
    bm: Option<&'a crate::value::Map>,
    am: Option<&'a crate::value::Map>,
) -> (Vec<AttrRow<'a>>, usize) {
    let deleting = c.action == Action::Delete;
    let names = key_union(bm, am);
    let mut rows = Vec::new();
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
        } else if unchanged(c, n, b, a) {
            hidden += 1;
            continue;
        }
        rows.push((n.clone(), b, a));
    }
    (rows, hidden)
}

/// An attribute an update leaves as it is (id and name are shown anyway, for context).
fn unchanged(c: &Change, n: &str, b: Option<&Value>, a: Option<&Value>) -> bool {
    let same = crate::plan::diff::equivalent(b, a)
        && !a.is_some_and(Value::has_unknown)
        && n != "id"
        && n != "name";
    let sens_changed = c
        .after_sensitive
        .iter()
        .chain(&c.before_sensitive)
        .any(|p| p.first() == Some(&key(n)) && c.action != Action::NoOp);
    same && !sens_changed
}

/// The `clone` row: where the object is cloned from (and, for a replacement, where it was).
fn clone_attr(
    out: &mut Vec<String>,
    ctx: &Ctx<'_>,
    c: &Change,
    schema: Option<&Schema>,
    width: usize,
    cv: &Value,
) {
    let clone_path = vec![key("clone")];
    let prior = c
        .prior_clone
        .as_ref()
        .filter(|_| c.action == Action::Replace);
    let row = Row {
        name: "clone",
        width,
        path: clone_path.clone(),
        ty: schema.and_then(|s| s.clone).map(Type::Object),
        before: prior,
        after: Some(cv),
        deleting: false,
    };
    ctx.attr(out, 6, &row);
}

fn legend(plan: &Plan, p: &Painter) -> Vec<String> {
    let mut used: Vec<(String, &str)> = Vec::new();
    for c in plan.changes.iter().filter(|c| show_change(c)) {
        if let Some(what) = meaning(c) {
            if !used.iter().any(|(_, w)| *w == what) {
                used.push((symbol(p, c), what));
            }
        }
    }
    if used.is_empty() {
        return Vec::new(); // only imports of objects as they are: no symbol to explain
    }
    let mut out = vec!["Resource actions are indicated with the following symbols:".to_string()];
    out.extend(used.into_iter().map(|(s, w)| format!("{s} {w}")));
    out.push(String::new());
    out
}

/// Whether the plan shows a block for the change (an unchanged object, or a data source read
/// while planning, has none).
pub fn show_change(c: &Change) -> bool {
    match c.action {
        Action::NoOp => c.importing.is_some() || c.previous_address.is_some(),
        Action::Read => c.reason.is_some(),
        _ => true,
    }
}

fn drift_lines(out: &mut Vec<String>, p: &Painter, drift: &[Drift]) {
    out.push(p.bold(parsed::DRIFT));
    out.push(String::new());
    out.push(
        "strata detected the following changes made outside of strata since the last apply:".into(),
    );
    for d in drift {
        out.push(String::new());
        out.extend(drift_block(p, d));
    }
    out.push(String::new());
    out.push(
        "Unless you have made equivalent changes to your configuration, strata will plan to \
         undo them below."
            .into(),
    );
}

/// The block of an object changed outside strata: what changed, or that it was deleted.
pub fn drift_block(p: &Painter, d: &Drift) -> Vec<String> {
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
    let mut lines = change_block(p, &c);
    let head = if d.action == Action::Delete {
        format!("# {} has been deleted", d.addr)
    } else {
        format!("# {} has changed", d.addr)
    };
    lines[0] = format!("  {}", p.bold(&head));
    lines
}

/// The block of one change: its header, notes and attributes.
pub fn change_block(p: &Painter, c: &Change) -> Vec<String> {
    let mut lines = Vec::new();
    block(&mut lines, p, c);
    lines
}

fn output_lines(out: &mut Vec<String>, p: &Painter, outputs: &[OutputChange]) {
    let rows = output_rows(p, outputs);
    if rows.is_empty() {
        return;
    }
    out.push(String::new());
    out.push("Changes to Outputs:".into());
    out.extend(rows);
}

/// One row per output the plan changes (nothing when it changes none).
pub fn output_rows(p: &Painter, outputs: &[OutputChange]) -> Vec<String> {
    let mut out = Vec::new();
    let shown: Vec<&OutputChange> = outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    let width = shown.iter().map(|o| o.name.len()).max().unwrap_or(0);
    let ctx = Ctx {
        p: *p,
        before_sens: &[],
        after_sens: &[],
        forced: &[],
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
        let row = Row {
            name: &o.name,
            width,
            path: vec![],
            ty: None,
            before: b,
            after: a,
            deleting: false,
        };
        c.attr(&mut out, 2, &row);
    }
    out
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
    if plan.options.refresh_only {
        return super::refresh_only::render(plan, p);
    }
    let mut out: Vec<String> = Vec::new();
    let findings = render_findings(&plan.reconciled, &plan.drift, p);
    if !findings.is_empty() {
        out.push(findings.trim_end_matches('\n').to_string());
        out.push(String::new());
    }
    if !plan.has_changes() {
        out.push(format!(
            "{} Your infrastructure matches the configuration.",
            p.green(&p.bold(parsed::NO_CHANGES))
        ));
        out.push(String::new());
        out.push("strata has compared your real infrastructure against your configuration and found no differences, so no changes are needed.".into());
        return out.join("\n") + "\n";
    }
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| show_change(c)).collect();
    if !changes.is_empty() {
        out.extend(legend(plan, p));
        out.push(parsed::ACTIONS.into());
        for c in changes {
            out.push(String::new());
            block(&mut out, p, c);
        }
        out.push(String::new());
    }
    deferred_lines(&mut out, plan, p);
    let summary = plan.summary();
    out.push(p.bold(&parsed::counts_line(&summary)));
    out.push(parsed::actions_line(&summary));
    out.extend(super::moves::text_warnings(plan, p));
    output_lines(&mut out, p, &plan.outputs);
    out.join("\n") + "\n"
}

/// The blocks planned only after this plan is applied, and why.
fn deferred_lines(out: &mut Vec<String>, plan: &Plan, p: &Painter) {
    if plan.deferred.is_empty() {
        return;
    }
    out.push(format!(
        "{} planned once this plan is applied (`strata apply` does both in one run):",
        p.bold("Deferred:")
    ));
    for a in &plan.deferred {
        let why = match plan.repeated.get(a) {
            Some(r) if r.is_deferred() => "instances known after apply",
            _ => "waits for a deferred block",
        };
        out.push(format!("  {} {a}: {why}", p.yellow("…")));
    }
    out.push(String::new());
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
        forced: &[],
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
            let row = Row {
                name: k,
                width,
                ty: schema.and_then(|s| s.attr(k)).map(|a| a.ty),
                path,
                before: None,
                after: Some(v),
                deleting: false,
            };
            let mut lines = Vec::new();
            // An "add" of the value with the marks removed reads as a plain listing.
            ctx.attr(&mut lines, 2, &row);
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
