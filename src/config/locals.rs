//! Locals: the `locals:` section's named expressions, used as `${local.NAME}`. Here is what
//! they are once loaded (`Local`), how they join the dependency graph (`Node`: a local is a
//! node beside the resources and data sources, so a cycle through locals is a path like any
//! other), and how a scope evaluates them (`LocalValues`).
//!
//! Invariants: a block or output that refers to a local depends on every object that local
//! refers to, directly or through other locals (`Local::objects`, folded into `Block::deps`
//! when the whole stack is loaded), so plan order, apply order and the state's dependencies
//! see through locals; a scope evaluates each local at most once, after the locals it needs
//! and never recursively deeper than one local (a cycle gives an error, never a loop or an
//! overflow); a local's sensitivity and unknowns are those of its value, carried to whatever
//! refers to it.

use super::eval::{eval, Evaluated, ObjectView, Scope};
use super::expr::{Expr, Target};
use super::{Block, Config};
use crate::address::Address;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

/// One entry of `locals:`.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub file: usize,
    pub value: Expr,
    /// The locals its expression refers to directly.
    pub locals: Vec<String>,
    /// Every object it refers to, directly or through other locals (set by
    /// [`Config::link_locals`] once every file is loaded).
    pub objects: Vec<Address>,
}

impl Local {
    pub fn new(name: &str, file: usize, value: Expr) -> Local {
        let mut locals: Vec<String> = value.local_refs().map(String::from).collect();
        locals.sort();
        locals.dedup();
        Local {
            name: name.to_string(),
            file,
            value,
            locals,
            objects: Vec::new(),
        }
    }

    /// `local.NAME`, as diagnostics and the graph name it (a module's variable, local or
    /// output by its own name: `module.a["k"].var.x`, see `config::modules`).
    pub fn address(&self) -> String {
        match self.name.starts_with("module.") {
            true => self.name.clone(),
            false => format!("local.{}", self.name),
        }
    }

    /// The YAML key path of this local, for diagnostics.
    pub fn yaml_path(&self) -> Vec<String> {
        vec!["locals".to_string(), self.name.clone()]
    }

    /// The objects its expression refers to directly.
    fn direct_objects(&self) -> impl Iterator<Item = &Address> {
        objects_of(&self.value)
    }
}

fn objects_of(e: &Expr) -> impl Iterator<Item = &Address> {
    e.refs().into_iter().filter_map(|r| match &r.target {
        Target::Object(a) => Some(a),
        _ => None,
    })
}

/// A node of the config's dependency graph: a local, a resource or a data source. Locals
/// sort first, so a cycle through one is printed from a local (`local.x -> t.r -> local.x`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Local(String),
    Object(Address),
}

impl Node {
    pub fn object(&self) -> Option<&Address> {
        match self {
            Node::Object(a) => Some(a),
            Node::Local(_) => None,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Local(name) => write!(f, "local.{name}"),
            Node::Object(a) => write!(f, "{a}"),
        }
    }
}

/// The locals a block's arguments and clone source refer to directly.
pub fn block_locals(b: &Block) -> Vec<String> {
    let exprs = b
        .args
        .values()
        .chain(b.clone.iter().flat_map(|c| c.values()))
        .chain(b.repeat.iter().map(super::Repeat::expr));
    let mut out: Vec<String> = exprs
        .flat_map(|e| e.local_refs().map(String::from).collect::<Vec<_>>())
        .collect();
    out.sort();
    out.dedup();
    out
}

impl Config {
    /// Once every file is loaded: each local's objects (through the locals it refers to),
    /// and each block's dependencies extended with the objects of the locals it uses.
    pub fn link_locals(&mut self) {
        if self.locals.is_empty() {
            return;
        }
        let reached = reach(&self.locals);
        let locals = Arc::make_mut(&mut self.locals);
        for (name, objects) in reached {
            if let Some(l) = locals.get_mut(&name) {
                l.objects = objects;
            }
        }
        for b in self.resources.values_mut() {
            let used = block_locals(b);
            if used.is_empty() {
                continue;
            }
            let through = used
                .iter()
                .filter_map(|n| self.locals.get(n))
                .flat_map(|l| l.objects.iter().cloned());
            b.deps.extend(through);
            b.deps.sort();
            b.deps.dedup();
            let me = b.addr.clone();
            b.deps.retain(|a| *a != me);
        }
    }

    /// The objects an expression depends on: those it refers to and those of the locals it
    /// refers to.
    pub fn expr_objects<'c>(&'c self, e: &'c Expr) -> Vec<&'c Address> {
        let mut out: Vec<&Address> = Vec::new();
        for r in e.refs() {
            match &r.target {
                Target::Object(a) => out.push(a),
                Target::Local(n) => {
                    out.extend(self.locals.get(n).into_iter().flat_map(|l| &l.objects))
                }
                Target::Var(_) | Target::Instance(_) => {}
            }
        }
        out
    }

    /// The graph's nodes with the nodes each refers to directly: blocks (references and
    /// `depends_on`, and the locals they use) and locals (their references).
    pub(super) fn graph_nodes(&self) -> Vec<(Node, Vec<Node>)> {
        let mut out = Vec::with_capacity(self.resources.len() + self.locals.len());
        for b in self.resources.values() {
            let mut deps: Vec<Node> = b
                .compute_dependencies()
                .into_iter()
                .map(Node::Object)
                .collect();
            deps.extend(block_locals(b).into_iter().map(Node::Local));
            out.push((Node::Object(b.addr.clone()), deps));
        }
        for l in self.locals.values() {
            let mut deps: Vec<Node> = l.direct_objects().cloned().map(Node::Object).collect();
            deps.extend(l.locals.iter().cloned().map(Node::Local));
            out.push((Node::Local(l.name.clone()), deps));
        }
        out
    }
}

/// For each local, every object it reaches through its references and its locals'. Each
/// local is visited once, after the locals it uses (an iterative depth-first walk); inside a
/// cycle — an error validation reports — the sets may be incomplete.
fn reach(locals: &BTreeMap<String, Local>) -> BTreeMap<String, Vec<Address>> {
    let mut out: BTreeMap<String, Vec<Address>> = BTreeMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for start in locals.keys() {
        if !seen.insert(start.as_str()) {
            continue;
        }
        // (local, how many of its locals were visited)
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        while let Some((n, i)) = stack.pop() {
            let Some(l) = locals.get(n) else { continue };
            if let Some(child) = l.locals.get(i) {
                stack.push((n, i + 1));
                if seen.insert(child.as_str()) {
                    stack.push((child.as_str(), 0));
                }
                continue;
            }
            let mut objects: BTreeSet<Address> = l.direct_objects().cloned().collect();
            for child in &l.locals {
                objects.extend(out.get(child).into_iter().flatten().cloned());
            }
            out.insert(n.to_string(), objects.into_iter().collect());
        }
    }
    out
}

/// The locals of one scope, each evaluated at most once, on first use, against that scope.
/// A scope holds one and answers `Scope::local` with `get(name, self)`.
#[derive(Default)]
pub struct LocalValues {
    defs: Arc<BTreeMap<String, Local>>,
    cells: HashMap<String, OnceLock<Result<Evaluated, String>>>,
    /// The locals being evaluated now: one met again is a cycle.
    busy: Mutex<Vec<String>>,
}

impl LocalValues {
    pub fn new(cfg: &Config) -> LocalValues {
        LocalValues {
            defs: cfg.locals.clone(),
            cells: cfg
                .locals
                .keys()
                .map(|k| (k.clone(), OnceLock::new()))
                .collect(),
            busy: Mutex::new(Vec::new()),
        }
    }

    /// The value of `local.NAME` in `scope` (the scope holding these values); `None` when no
    /// such local is declared.
    pub fn get<'s>(
        &'s self,
        name: &str,
        scope: &dyn Scope,
    ) -> Option<Result<ObjectView<'s>, String>> {
        let cell = self.cells.get(name)?;
        if cell.get().is_none() {
            if self.busy().iter().any(|b| b == name) {
                return Some(Err(format!(
                    "local.{name} refers to itself, directly or through other locals"
                )));
            }
            for n in self.pending(name) {
                self.evaluate(&n, scope);
            }
        }
        Some(match cell.get()? {
            Ok(ev) => Ok(ObjectView::borrowed(&ev.value, &ev.sensitive)),
            Err(e) => Err(e.clone()),
        })
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.busy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The locals `name` needs that are not evaluated yet, each after those it needs, `name`
    /// last (an iterative depth-first walk: a long chain of locals never deepens the stack).
    fn pending(&self, name: &str) -> Vec<String> {
        let done = |n: &str| self.cells.get(n).is_none_or(|c| c.get().is_some());
        let busy = self.busy().clone();
        let mut seen: HashSet<&str> = busy.iter().map(String::as_str).collect();
        seen.insert(name);
        let mut out = Vec::new();
        // (local, how many of its locals were visited)
        let mut stack: Vec<(&str, usize)> = vec![(name, 0)];
        while let Some((n, i)) = stack.pop() {
            let next = self.defs.get(n).and_then(|l| l.locals.get(i));
            match next {
                Some(child) => {
                    stack.push((n, i + 1));
                    if !done(child) && seen.insert(child.as_str()) {
                        stack.push((child.as_str(), 0));
                    }
                }
                None => out.push(n.to_string()),
            }
        }
        out
    }

    fn evaluate(&self, name: &str, scope: &dyn Scope) {
        let (Some(def), Some(cell)) = (self.defs.get(name), self.cells.get(name)) else {
            return;
        };
        if cell.get().is_some() {
            return;
        }
        self.busy().push(name.to_string());
        let result = eval(&def.value, scope);
        let mut busy = self.busy();
        if let Some(i) = busy.iter().rposition(|b| b == name) {
            busy.remove(i);
        }
        drop(busy);
        let _ = cell.set(result);
    }
}

impl Clone for LocalValues {
    fn clone(&self) -> LocalValues {
        LocalValues {
            defs: self.defs.clone(),
            cells: self.cells.clone(),
            busy: Mutex::new(Vec::new()),
        }
    }
}

impl fmt::Debug for LocalValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let evaluated = self.cells.values().filter(|c| c.get().is_some()).count();
        write!(
            f,
            "LocalValues({} locals, {evaluated} evaluated)",
            self.defs.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::vars::{VarValue, Vars};
    use crate::config::{load_sources, SourceFile};
    use crate::value::{key, Path, Value};
    use std::cell::Cell;

    fn load(files: &[(&str, &str)]) -> (Config, Vec<String>) {
        let files = files
            .iter()
            .map(|(p, t)| SourceFile {
                path: p.into(),
                text: t.to_string(),
                module: String::new(),
            })
            .collect();
        let (cfg, diags) = load_sources(std::path::Path::new("."), "s", files);
        let mut d = diags;
        cfg.resolve_lines(&mut d);
        (cfg, d.0.iter().map(|d| d.to_string()).collect())
    }

    const T: &str = "huaweicloud_rds_parameter_template";

    fn stack(locals: &str, resources: &str) -> String {
        format!("locals:\n{locals}resources:\n{resources}")
    }

    fn template(name: &str, args: &str) -> String {
        format!("  {T}.{name}:\n    name: n\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n{args}")
    }

    /// A scope of variables and objects (counting the object look-ups) with the locals.
    struct S {
        vars: Vars,
        objects: HashMap<Address, Value>,
        lookups: Cell<usize>,
        locals: LocalValues,
    }

    impl Scope for S {
        fn var(&self, name: &str) -> Option<&VarValue> {
            self.vars.get(name)
        }
        fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
            self.lookups.set(self.lookups.get() + 1);
            self.objects
                .get(addr)
                .map(|value| ObjectView::borrowed(value, &[]))
        }
        fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
            self.locals.get(name, self)
        }
    }

    fn scope(cfg: &Config) -> S {
        let var = |v: &str, sensitive| VarValue {
            value: Value::str(v),
            sensitive,
        };
        let vars = Vars::from([
            ("env".to_string(), var("prod", false)),
            ("pw".to_string(), var("hunter2", true)),
        ]);
        let id = Value::from_json(&serde_json::json!({ "id": "t-1" }));
        S {
            vars,
            objects: HashMap::from([
                (Address::managed(T, "a"), id),
                (Address::managed(T, "u"), Value::Unknown),
            ]),
            lookups: Cell::new(0),
            locals: LocalValues::new(cfg),
        }
    }

    fn err(s: &S, name: &str) -> String {
        match s.local(name) {
            Some(Err(e)) => e,
            _ => panic!("local.{name} did not fail"),
        }
    }

    fn value(s: &S, name: &str) -> (Value, Vec<Path>) {
        let v = s.local(name).unwrap().unwrap();
        (v.value.into_owned(), v.sensitive.to_vec())
    }

    #[test]
    fn locals_are_parsed_and_linked_through_other_locals() {
        let locals = format!("  id: ${{{T}.a.id}}\n  via: \"x-${{local.id}}\"\n  none: 3\n");
        let blocks = [
            template("a", ""),
            template("b", "    description: ${local.via}\n"),
            template("c", "    description: ${local.none}\n"),
        ]
        .concat();
        let (cfg, diags) = load(&[("main.yaml", &stack(&locals, &blocks))]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(cfg.locals["via"].locals, ["id"]);
        assert_eq!(cfg.locals["via"].objects, [Address::managed(T, "a")]);
        let b = &cfg.resources[&Address::managed(T, "b")];
        assert_eq!(b.deps, [Address::managed(T, "a")]);
        assert!(cfg.resources[&Address::managed(T, "c")].deps.is_empty());
        // the graph has the locals as nodes, edges as written
        let g = cfg.dependency_graph();
        let b = Node::Object(Address::managed(T, "b"));
        assert_eq!(g.dependencies(&b), [Node::Local("via".into())]);
        assert_eq!(
            g.dependencies(&Node::Local("via".into())),
            [Node::Local("id".into())]
        );
        let order = g.topo().unwrap();
        let at = |n: &Node| order.iter().position(|x| x == n).unwrap();
        assert!(at(&Node::Object(Address::managed(T, "a"))) < at(&Node::Local("id".into())));
        assert!(at(&Node::Local("via".into())) < at(&b));
    }

    #[test]
    fn outputs_depend_on_the_objects_of_their_locals() {
        let text = format!(
            "locals:\n  id: ${{{T}.a.id}}\noutputs:\n  o: ${{local.id}}\nresources:\n{}",
            template("a", "")
        );
        let (cfg, _) = load(&[("main.yaml", &text)]);
        let refs: Vec<&Address> = cfg.output_refs().collect();
        assert_eq!(refs, [&Address::managed(T, "a")]);
    }

    #[test]
    fn cycles_through_locals_are_paths() {
        let text = stack(
            "  a: ${local.b}\n  b: \"${local.a}-x\"\n",
            &template("r", ""),
        );
        let (cfg, _) = load(&[("main.yaml", &text)]);
        let cycle = cfg.dependency_graph().find_cycle().unwrap();
        assert_eq!(
            crate::graph::cycle_text(&cycle),
            "local.a -> local.b -> local.a"
        );
        let text = stack(
            &format!("  x: ${{{T}.r.id}}\n"),
            &template("r", "    description: ${local.x}\n"),
        );
        let (cfg, _) = load(&[("main.yaml", &text)]);
        let cycle = cfg.dependency_graph().find_cycle().unwrap();
        assert_eq!(
            crate::graph::cycle_text(&cycle),
            format!("local.x -> {T}.r -> local.x")
        );
        let (cfg, _) = load(&[("main.yaml", "locals:\n  me: ${local.me}\n")]);
        let cycle = cfg.dependency_graph().find_cycle().unwrap();
        assert_eq!(crate::graph::cycle_text(&cycle), "local.me -> local.me");
        // evaluating a cycle anyway gives an error, never a loop
        let s = scope(&cfg);
        let e = err(&s, "me");
        assert!(e.contains("refers to itself"), "{e}");
    }

    #[test]
    fn a_local_declared_twice_names_both_files() {
        let (_, diags) = load(&[
            ("a.yaml", "locals:\n  x: 1\n"),
            ("b.yaml", "locals:\n  x: 2\n  \"not ok\": 3\n"),
        ]);
        assert!(
            diags.iter().any(|d| d.contains("b.yaml:2")
                && d.contains("local \"x\" is defined twice: in a.yaml and in b.yaml")),
            "{diags:?}"
        );
        assert!(
            diags
                .iter()
                .any(|d| d.contains("\"not ok\" is not a valid local name")),
            "{diags:?}"
        );
        let (_, diags) = load(&[("a.yaml", "locals: [1]\n")]);
        assert!(
            diags[0].contains("\"locals\" must be a mapping"),
            "{diags:?}"
        );
    }

    #[test]
    fn values_carry_sensitivity_and_unknowns() {
        let locals = format!(
            concat!(
                "  tag: \"${{var.env == \\\"prod\\\" ? upper(var.env) : \\\"dev\\\"}}\"\n",
                "  secret: ${{upper(var.pw)}}\n",
                "  mixed: {{ open: \"${{var.env}}\", closed: \"${{local.secret}}\" }}\n",
                "  later: ${{{T}.u.id}}\n",
                "  known: ${{{T}.a.id}}\n",
                "  teams: {{ a: {{ size: 3 }} }}\n",
            ),
            T = T
        );
        let (cfg, diags) = load(&[("main.yaml", &stack(&locals, ""))]);
        assert!(diags.is_empty(), "{diags:?}");
        let s = scope(&cfg);
        assert_eq!(value(&s, "tag"), (Value::str("PROD"), vec![]));
        assert_eq!(value(&s, "secret"), (Value::str("HUNTER2"), vec![vec![]]));
        let (mixed, sens) = value(&s, "mixed");
        assert_eq!(mixed.get("open"), Some(&Value::str("prod")));
        assert_eq!(sens, vec![vec![key("closed")]]);
        assert_eq!(value(&s, "later").0, Value::Unknown);
        assert_eq!(value(&s, "known").0, Value::str("t-1"));
        // a reference below a local: a path into its value, sensitivity narrowed
        let e = |text: &str| {
            crate::config::eval::eval(&crate::config::expr::parse_template(text).unwrap(), &s)
        };
        assert_eq!(
            e("${local.teams[\"a\"].size}").unwrap().value,
            Value::int(3)
        );
        let open = e("${local.mixed.open}").unwrap();
        assert!(open.sensitive.is_empty());
        let closed = e("x-${local.mixed.closed}").unwrap();
        assert_eq!(closed.sensitive, vec![Vec::<crate::value::PathSeg>::new()]);
        assert!(e("${local.nope}")
            .unwrap_err()
            .contains("no local named \"nope\""));
    }

    #[test]
    fn each_local_is_evaluated_once_per_scope() {
        let locals = format!("  id: ${{{T}.a.id}}\n  a: ${{local.id}}\n  b: ${{local.id}}\n");
        let (cfg, _) = load(&[("main.yaml", &stack(&locals, ""))]);
        let s = scope(&cfg);
        for _ in 0..3 {
            assert_eq!(value(&s, "a").0, Value::str("t-1"));
            assert_eq!(value(&s, "b").0, Value::str("t-1"));
        }
        assert_eq!(s.lookups.get(), 1);
        // a new scope (the next pass, e.g. apply after plan) evaluates afresh
        let again = scope(&cfg);
        value(&again, "b");
        assert_eq!(again.lookups.get(), 1);
    }

    #[test]
    fn a_long_chain_of_locals_does_not_deepen_the_stack() {
        let n = 10_000;
        let mut text = String::from("locals:\n  l0: 1\n");
        for i in 1..n {
            text.push_str(&format!("  l{i}: ${{local.l{} + 1}}\n", i - 1));
        }
        let (cfg, diags) = load(&[("main.yaml", &text)]);
        assert!(diags.is_empty(), "{diags:?}");
        let s = scope(&cfg);
        assert_eq!(value(&s, &format!("l{}", n - 1)).0, Value::int(n));
    }

    #[test]
    fn an_error_stays_with_its_local() {
        let (cfg, _) = load(&[(
            "main.yaml",
            "locals:\n  bad: ${1 + \"a\"}\n  uses: ${local.bad}\n",
        )]);
        let s = scope(&cfg);
        let e = err(&s, "bad");
        assert!(e.contains("operator +"), "{e}");
        let e = err(&s, "uses");
        assert!(e.starts_with("${local.bad}: operator +"), "{e}");
        assert!(s.local("missing").is_none());
    }
}
