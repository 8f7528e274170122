//! `strata graph`: the executor's graph of the plan (`apply::executor_graph`), so it shows
//! exactly what apply runs and waits on — both halves of a replacement, the old object of a
//! create_before_destroy replacement destroyed last, deletes and deposed objects — as
//! Graphviz DOT (actions coloured, nodes numbered in the order `crate::walk::order` gives,
//! the order `apply --parallelism 1` runs them), an indented text tree, or SVG when Graphviz
//! `dot` is installed. Unchanged resources are drawn too, unnumbered, with their config edges.
//! The plan is made from config and state only: no cloud calls (data sources show as reads).
//! Locals are not nodes (apply runs none): a resource using one waits for what it uses.

use super::workspace::Workspace;
use super::{Cli, CmdResult, Failure, GraphFormat, VarArgs, EXIT_OK};
use crate::apply::{executor_graph, Node, Op};
use crate::config::vars::Missing;
use crate::plan::diff::{plan, PlanInput};
use crate::plan::render::style::Painter;
use crate::plan::{Action, Options, Plan};
use crate::state::State;
use std::collections::{BTreeMap, HashMap};

fn color(a: Action) -> &'static str {
    match a {
        Action::Create => "#2da44e",
        Action::Clone => "#1f883d",
        Action::Bind => "#0969da",
        Action::Update => "#bf8700",
        Action::Replace => "#cf222e",
        Action::Delete => "#a40e26",
        Action::Read => "#6e7781",
        Action::NoOp | Action::Forget => "#afb8c1",
    }
}

fn symbol(a: Action) -> &'static str {
    match a {
        Action::Create | Action::Clone | Action::Bind => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Read => "<=",
        Action::NoOp => " ",
        Action::Forget => ".",
    }
}

/// What one node does: its change's action (for the colour), symbol and words.
struct Does {
    action: Action,
    symbol: &'static str,
    words: String,
}

fn does(node: &Node, action: Action) -> Does {
    let (symbol, words) = match (&node.op, action) {
        (Op::Apply, Action::Replace) => ("+", "replace: create".to_string()),
        (Op::Destroy, Action::Replace) => ("-", "replace: destroy".to_string()),
        (Op::DestroyDeposed(id), _) => ("-", format!("destroy deposed {id}")),
        (_, a) => (symbol(a), a.as_str().to_string()),
    };
    Does {
        action,
        symbol,
        words,
    }
}

/// The graph as printed: every node with what it waits for, in print order, numbered where
/// apply runs it.
struct View {
    deps: BTreeMap<Node, Vec<Node>>,
    order: Vec<Node>,
    number: HashMap<Node, usize>,
    actions: HashMap<Node, Action>,
}

impl View {
    fn of(plan: &Plan, state: &State) -> View {
        let g = executor_graph(plan, state);
        let mut order = crate::walk::order(&g).unwrap_or_else(|_| {
            let mut all: Vec<Node> = g.index.keys().cloned().collect();
            all.sort();
            all
        });
        let number = order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i + 1))
            .collect();
        let mut deps: BTreeMap<Node, Vec<Node>> = order
            .iter()
            .map(|n| (n.clone(), g.dependencies(n)))
            .collect();
        let mut actions = HashMap::new();
        for c in &plan.changes {
            let halves = match &c.deposed {
                Some(id) => vec![Node {
                    addr: c.addr.clone(),
                    op: Op::DestroyDeposed(id.clone()),
                }],
                None => vec![Node::apply(&c.addr), Node::destroy(&c.addr)],
            };
            for n in halves.into_iter().filter(|n| deps.contains_key(n)) {
                actions.insert(n, c.action);
            }
        }
        let unchanged = Self::unchanged(plan, &deps);
        for (n, d) in unchanged {
            actions.insert(n.clone(), Action::NoOp);
            order.push(n.clone());
            deps.insert(n, d);
        }
        View {
            deps,
            order,
            number,
            actions,
        }
    }

    /// Resources apply does not touch, each with its config edges to applied or unchanged
    /// resources.
    fn unchanged(plan: &Plan, shown: &BTreeMap<Node, Vec<Node>>) -> Vec<(Node, Vec<Node>)> {
        let idle: Vec<&crate::plan::Change> = plan
            .changes
            .iter()
            .filter(|c| c.deposed.is_none())
            .filter(|c| !shown.contains_key(&Node::apply(&c.addr)))
            .filter(|c| !shown.contains_key(&Node::destroy(&c.addr)))
            .collect();
        let idle_addrs: std::collections::HashSet<&crate::address::Address> =
            idle.iter().map(|c| &c.addr).collect();
        let is_shown = |n: &Node| shown.contains_key(n) || idle_addrs.contains(&n.addr);
        idle.iter()
            .map(|c| {
                let d = c
                    .depends_on
                    .iter()
                    .map(Node::apply)
                    .filter(is_shown)
                    .collect();
                (Node::apply(&c.addr), d)
            })
            .collect()
    }

    fn does(&self, n: &Node) -> Does {
        does(n, self.actions.get(n).copied().unwrap_or(Action::NoOp))
    }

    /// `"N. addr\nwords"` (unnumbered when apply does not run it).
    fn label(&self, n: &Node) -> String {
        let words = self.does(n).words;
        match self.number.get(n) {
            Some(i) => format!("{i}. {}\\n{words}", n.addr),
            None => format!("{}\\n{words}", n.addr),
        }
    }
}

pub async fn run(cli: &Cli, format: GraphFormat, p: Painter) -> CmdResult {
    let ws = Workspace::open(cli, &VarArgs::default(), Missing::Unknown)?;
    let mut state = ws.backend.load().await?.state;
    // moved: / removed: as apply would see them (state-only steps draw no node)
    let moves =
        crate::plan::moves::resolve(&ws.cfg, &state).map_err(|d| Failure::new(d.to_string()))?;
    for e in &moves.entries {
        state.apply(e);
    }
    let mut plan = plan_offline(&ws, &state).await?;
    moves.annotate(&mut plan);
    let view = View::of(&plan, &state);
    match format {
        GraphFormat::Dot => out!("{}", dot(&view, &ws.cfg.stack)),
        GraphFormat::Svg => out!("{}", svg(&dot(&view, &ws.cfg.stack))?),
        GraphFormat::Text => text(&view, p),
    }
    Ok(EXIT_OK)
}

/// The plan from config and state alone (no refresh, no data source reads).
async fn plan_offline(ws: &Workspace, state: &State) -> Result<Plan, Failure> {
    let options = Options::default();
    let input = PlanInput {
        cfg: &ws.cfg,
        vars: &ws.vars,
        state,
        providers: None,
        options: &options,
        drift: Vec::new(),
        reconciled: Vec::new(),
    };
    plan(&input).await.map_err(|d| Failure::new(d.to_string()))
}

fn dot(view: &View, stack: &str) -> String {
    let mut dot = format!(
        "digraph \"{}\" {{\n  rankdir = \"LR\";\n  node [shape = box, style = \"rounded,filled\", fontname = \"Helvetica\", fillcolor = \"#ffffff\"];\n",
        quoted(stack)
    );
    // Each module instance is a cluster of its nodes (the root module's are outside any).
    let mut modules: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
    for n in &view.order {
        modules
            .entry(crate::address::module_text(&n.addr.module))
            .or_default()
            .push(n);
    }
    for (module, nodes) in &modules {
        let indent = if module.is_empty() { "  " } else { "    " };
        if !module.is_empty() {
            let m = quoted(module);
            dot.push_str(&format!(
                "  subgraph \"cluster_{m}\" {{\n    label = \"{m}\";\n    style = \"rounded\";\n    color = \"#8c959f\";\n"
            ));
        }
        for n in nodes {
            dot.push_str(&format!("{indent}{}\n", dot_node(view, n)));
        }
        if !module.is_empty() {
            dot.push_str("  }\n");
        }
    }
    for (n, deps) in &view.deps {
        for d in deps {
            let (d, n) = (quoted(&d.to_string()), quoted(&n.to_string()));
            dot.push_str(&format!("  \"{d}\" -> \"{n}\";\n"));
        }
    }
    dot.push_str("}\n");
    dot
}

fn dot_node(view: &View, n: &Node) -> String {
    let c = color(view.does(n).action);
    let style = if n.addr.is_data() {
        ", style = \"rounded,dashed\""
    } else {
        ""
    };
    format!(
        "\"{}\" [label = \"{}\", color = \"{c}\", fontcolor = \"{c}\"{style}];",
        quoted(&n.to_string()),
        quoted(&view.label(n)).replace("\\\\n", "\\n")
    )
}

/// Text inside a DOT string: `"` and `\` escaped (instance keys are quoted strings).
fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// An indented tree: each node under what it waits for, from the nodes that wait for none.
fn text(view: &View, p: Painter) {
    let mut children: HashMap<&Node, Vec<&Node>> = HashMap::new();
    for (n, deps) in &view.deps {
        for d in deps {
            children.entry(d).or_default().push(n);
        }
    }
    for cs in children.values_mut() {
        cs.sort();
    }
    let show = |n: &Node| {
        let does = view.does(n);
        let line = format!("{} {} ({})", does.symbol, n.addr, does.words);
        match does.action {
            Action::Create | Action::Clone | Action::Bind => p.green(&line),
            Action::Update => p.yellow(&line),
            Action::Replace | Action::Delete => p.red(&line),
            _ => line,
        }
    };
    fn tree(
        n: &Node,
        depth: usize,
        children: &HashMap<&Node, Vec<&Node>>,
        show: &dyn Fn(&Node) -> String,
    ) {
        outln!("{}{}", "  ".repeat(depth), show(n));
        for c in children.get(n).into_iter().flatten() {
            tree(c, depth + 1, children, show);
        }
    }
    for n in view.order.iter().filter(|n| view.deps[*n].is_empty()) {
        tree(n, 0, &children, &show);
    }
}

/// Render DOT as SVG with Graphviz.
fn svg(dot: &str) -> Result<String, Failure> {
    use std::io::Write;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|_| {
            Failure::new(
                "graph --format svg needs Graphviz's dot, which is not installed: use --format dot \
                 and render it elsewhere (or install graphviz)",
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|e| Failure::new(format!("dot: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Failure::new(format!("dot: {e}")))?;
    if !out.status.success() {
        return Err(Failure::new(format!(
            "dot failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::plan::Change;

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            stack: "s".into(),
            lineage: String::new(),
            serial: 0,
            changes,
            outputs: Vec::new(),
            drift: Vec::new(),
            reconciled: Vec::new(),
            options: Options::default(),
            conflicts: Vec::new(),
            repeated: Default::default(),
            deferred: Vec::new(),
        }
    }

    #[test]
    fn deposed_objects_and_unchanged_resources_keep_their_own_nodes() {
        let a = Address::managed("huaweicloud_rds_parameter_template", "a");
        let b = Address::managed("huaweicloud_rds_parameter_template", "b");
        let deposed = Change {
            deposed: Some("old-1".into()),
            ..Change::new(a.clone(), Action::Delete)
        };
        let unchanged = Change {
            depends_on: vec![a.clone()],
            ..Change::new(b.clone(), Action::NoOp)
        };
        let p = plan(vec![
            Change::new(a.clone(), Action::Update),
            deposed,
            unchanged,
        ]);
        let view = View::of(&p, &State::new("s"));
        let old = Node {
            addr: a.clone(),
            op: Op::DestroyDeposed("old-1".into()),
        };
        assert_eq!(view.does(&Node::apply(&a)).words, "update");
        assert_eq!(view.does(&old).words, "destroy deposed old-1");
        assert_eq!(view.deps[&old], [Node::apply(&a)]);
        assert_eq!(view.label(&Node::apply(&b)), format!("{b}\\nno-op"));
        assert_eq!(view.deps[&Node::apply(&b)], [Node::apply(&a)]);
        assert_eq!(view.order.len(), 3);
    }
}
