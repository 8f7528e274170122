//! `strata graph`: the dependency graph with the plan's actions — Graphviz DOT (actions
//! coloured, nodes numbered in the order apply can run them), an indented text tree, or SVG
//! when Graphviz `dot` is installed. The plan is made from config and state only: no cloud
//! calls (data sources show as reads).

use super::workspace::Workspace;
use super::{Cli, CmdResult, Failure, GraphFormat, VarArgs, EXIT_OK};
use crate::address::Address;
use crate::config::vars::Missing;
use crate::plan::diff::{plan, PlanInput};
use crate::plan::render::style::Painter;
use crate::plan::{Action, Options};
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
        Action::NoOp => "#afb8c1",
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
    }
}

/// Nodes in apply order: each after everything it depends on.
fn order(edges: &BTreeMap<Address, Vec<Address>>) -> Vec<Address> {
    let g = crate::graph::Graph::build(edges.iter().map(|(a, d)| (a.clone(), d.clone())));
    g.topo().unwrap_or_else(|_| edges.keys().cloned().collect())
}

pub async fn run(cli: &Cli, format: GraphFormat, p: Painter) -> CmdResult {
    let ws = Workspace::open(cli, &VarArgs::default(), Missing::Unknown)?;
    let loaded = ws.backend.load().await?;
    let options = Options::default();
    let input = PlanInput {
        cfg: &ws.cfg,
        vars: &ws.vars,
        state: &loaded.state,
        providers: None,
        options: &options,
        drift: Vec::new(),
        reconciled: Vec::new(),
    };
    let plan = plan(&input)
        .await
        .map_err(|d| Failure::new(d.to_string()))?;
    let actions: HashMap<&Address, Action> =
        plan.changes.iter().map(|c| (&c.addr, c.action)).collect();
    // config edges, plus the state's for objects being deleted
    let cg = ws.cfg.dependency_graph();
    let mut edges: BTreeMap<Address, Vec<Address>> = ws
        .cfg
        .resources
        .keys()
        .map(|a| (a.clone(), cg.dependencies(a)))
        .collect();
    for c in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        edges
            .entry(c.addr.clone())
            .or_insert_with(|| c.depends_on.clone());
    }
    let ordered = order(&edges);
    let number: HashMap<&Address, usize> = ordered
        .iter()
        .enumerate()
        .map(|(i, a)| (a, i + 1))
        .collect();
    let action_of = |a: &Address| actions.get(a).copied().unwrap_or(Action::NoOp);
    match format {
        GraphFormat::Dot | GraphFormat::Svg => {
            let mut dot = format!(
                "digraph \"{}\" {{\n  rankdir = \"LR\";\n  node [shape = box, style = \"rounded,filled\", fontname = \"Helvetica\", fillcolor = \"#ffffff\"];\n",
                ws.cfg.stack
            );
            for a in &ordered {
                let act = action_of(a);
                let style = if a.is_data() {
                    ", style = \"rounded,dashed\""
                } else {
                    ""
                };
                dot.push_str(&format!(
                    "  \"{a}\" [label = \"{}. {a}\\n{}\", color = \"{}\", fontcolor = \"{}\"{style}];\n",
                    number[a],
                    act.as_str(),
                    color(act),
                    color(act)
                ));
            }
            for (a, deps) in &edges {
                for d in deps.iter().filter(|d| edges.contains_key(*d)) {
                    dot.push_str(&format!("  \"{d}\" -> \"{a}\";\n"));
                }
            }
            dot.push_str("}\n");
            if format == GraphFormat::Dot {
                out!("{dot}");
            } else {
                out!("{}", svg(&dot)?);
            }
        }
        GraphFormat::Text => {
            let children: HashMap<&Address, Vec<&Address>> = {
                let mut m: HashMap<&Address, Vec<&Address>> = HashMap::new();
                for (a, deps) in &edges {
                    for d in deps.iter().filter(|d| edges.contains_key(*d)) {
                        m.entry(d).or_default().push(a);
                    }
                }
                m
            };
            fn walk(
                a: &Address,
                depth: usize,
                children: &HashMap<&Address, Vec<&Address>>,
                show: &dyn Fn(&Address) -> String,
            ) {
                outln!("{}{}", "  ".repeat(depth), show(a));
                if let Some(cs) = children.get(a) {
                    let mut cs = cs.clone();
                    cs.sort();
                    for c in cs {
                        walk(c, depth + 1, children, show);
                    }
                }
            }
            let show = |a: &Address| {
                let act = action_of(a);
                let text = format!("{} {a} ({})", symbol(act), act.as_str());
                match act {
                    Action::Create | Action::Clone | Action::Bind => p.green(&text),
                    Action::Update => p.yellow(&text),
                    Action::Replace | Action::Delete => p.red(&text),
                    _ => text,
                }
            };
            for a in ordered
                .iter()
                .filter(|a| edges[*a].iter().all(|d| !edges.contains_key(d)))
            {
                walk(a, 0, &children, &show);
            }
        }
    }
    Ok(EXIT_OK)
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
