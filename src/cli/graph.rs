//! `strata graph`: the dependency graph as Graphviz DOT, or as an indented text tree.

use super::workspace::print_diags;
use super::{Cli, CmdResult, GraphFormat, EXIT_OK};
use crate::address::Address;
use crate::config::validate::config_graph;
use crate::util::Redactor;
use petgraph::Direction;

pub fn run(cli: &Cli, format: GraphFormat) -> CmdResult {
    let (cfg, mut diags) = crate::config::load(&cli.dir);
    cfg.resolve_lines(&mut diags);
    if diags.has_errors() {
        print_diags(&diags, &Redactor::default());
        return Err(super::Failure::quiet(super::EXIT_ERROR));
    }
    let g = config_graph(&cfg);
    let order = g
        .topo()
        .unwrap_or_else(|_| cfg.resources.keys().cloned().collect());
    match format {
        GraphFormat::Dot => {
            outln!("digraph \"{}\" {{", cfg.stack);
            outln!("  rankdir = \"LR\";");
            outln!("  node [shape = box, fontname = \"Helvetica\"];");
            for a in &order {
                let shape = if a.is_data() { ", style = dashed" } else { "" };
                outln!("  \"{a}\" [label = \"{a}\"{shape}];");
            }
            for a in &order {
                for d in g.dependencies(a) {
                    outln!("  \"{d}\" -> \"{a}\";");
                }
            }
            outln!("}}");
        }
        GraphFormat::Text => {
            let roots: Vec<&Address> = order
                .iter()
                .filter(|a| g.dependencies(a).is_empty())
                .collect();
            fn walk(g: &crate::graph::Graph<Address>, a: &Address, depth: usize) {
                outln!("{}{a}", "  ".repeat(depth));
                for d in g.dependents(a) {
                    walk(g, &d, depth + 1);
                }
            }
            for r in roots {
                walk(&g, r, 0);
            }
            let _ = Direction::Outgoing;
        }
    }
    Ok(EXIT_OK)
}
