//! The dependency graph (petgraph): built from references and `depends_on`, checked for
//! cycles (reported as the path of addresses), ordered topologically. Generic over the node
//! type so the config graph and the executor's apply graph share one implementation.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

pub struct Graph<N> {
    pub g: DiGraph<N, ()>,
    pub index: HashMap<N, NodeIndex>,
}

impl<N> std::fmt::Debug for Graph<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Graph({} nodes, {} edges)",
            self.g.node_count(),
            self.g.edge_count()
        )
    }
}

impl<N: Clone + Eq + Hash + Ord + Display> Graph<N> {
    /// Nodes and, for each, the nodes it depends on. Dependencies on nodes that are not in
    /// the set are ignored (validation reports those separately).
    pub fn build<I>(nodes: I) -> Graph<N>
    where
        I: IntoIterator<Item = (N, Vec<N>)>,
    {
        let nodes: Vec<(N, Vec<N>)> = nodes.into_iter().collect();
        let mut g = DiGraph::with_capacity(nodes.len(), nodes.len());
        let mut index = HashMap::with_capacity(nodes.len());
        for (n, _) in &nodes {
            index
                .entry(n.clone())
                .or_insert_with(|| g.add_node(n.clone()));
        }
        for (n, deps) in &nodes {
            let to = index[n];
            for d in deps {
                if let Some(&from) = index.get(d) {
                    g.update_edge(from, to, ());
                }
            }
        }
        Graph { g, index }
    }

    /// A dependency cycle, as the path `a -> b -> … -> a`, if there is one.
    pub fn find_cycle(&self) -> Option<Vec<N>> {
        let mut sccs = tarjan_scc(&self.g);
        sccs.sort_by(|a, b| {
            let min = |s: &Vec<NodeIndex>| s.iter().map(|i| self.g[*i].clone()).min();
            min(a).cmp(&min(b))
        });
        for scc in sccs {
            if scc.len() == 1 {
                let n = scc[0];
                if self.g.contains_edge(n, n) {
                    return Some(vec![self.g[n].clone(), self.g[n].clone()]);
                }
                continue;
            }
            let members: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
            let start = *scc.iter().min_by_key(|i| self.g[**i].clone())?;
            // Depth-first search inside the component for a path back to `start`.
            let mut path = vec![start];
            let mut seen = std::collections::HashSet::from([start]);
            if self.dfs_back(start, start, &members, &mut path, &mut seen) {
                return Some(path.into_iter().map(|i| self.g[i].clone()).collect());
            }
        }
        None
    }

    fn dfs_back(
        &self,
        cur: NodeIndex,
        start: NodeIndex,
        members: &std::collections::HashSet<NodeIndex>,
        path: &mut Vec<NodeIndex>,
        seen: &mut std::collections::HashSet<NodeIndex>,
    ) -> bool {
        let mut next: Vec<NodeIndex> = self
            .g
            .neighbors_directed(cur, Direction::Outgoing)
            .filter(|n| members.contains(n))
            .collect();
        next.sort_by_key(|n| self.g[*n].clone());
        for n in next {
            if n == start {
                path.push(n);
                return true;
            }
            if seen.insert(n) {
                path.push(n);
                if self.dfs_back(n, start, members, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }

    /// Nodes in dependency order (dependencies first), or the cycle that prevents one.
    pub fn topo(&self) -> Result<Vec<N>, Vec<N>> {
        match petgraph::algo::toposort(&self.g, None) {
            Ok(order) => Ok(order.into_iter().map(|i| self.g[i].clone()).collect()),
            Err(_) => Err(self.find_cycle().unwrap_or_default()),
        }
    }

    /// Direct dependencies of a node.
    pub fn dependencies(&self, n: &N) -> Vec<N> {
        self.neighbors(n, Direction::Incoming)
    }

    /// Direct dependents of a node.
    pub fn dependents(&self, n: &N) -> Vec<N> {
        self.neighbors(n, Direction::Outgoing)
    }

    fn neighbors(&self, n: &N, dir: Direction) -> Vec<N> {
        let Some(&i) = self.index.get(n) else {
            return Vec::new();
        };
        let mut out: Vec<N> = self
            .g
            .neighbors_directed(i, dir)
            .map(|j| self.g[j].clone())
            .collect();
        out.sort();
        out
    }

    /// Every node reachable from `n` following edges in `dir` (not including `n`).
    pub fn closure(&self, start: &[N], dir: Direction) -> Vec<N> {
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<NodeIndex> = start
            .iter()
            .filter_map(|n| self.index.get(n).copied())
            .collect();
        while let Some(i) = stack.pop() {
            for j in self.g.neighbors_directed(i, dir) {
                if seen.insert(j) {
                    stack.push(j);
                }
            }
        }
        let mut out: Vec<N> = seen.into_iter().map(|i| self.g[i].clone()).collect();
        out.sort();
        out
    }
}

/// `a -> b -> a`
pub fn cycle_text<N: Display>(cycle: &[N]) -> String {
    cycle
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn topo_orders_dependencies_first() {
        let g = Graph::build(vec![
            (s("c"), vec![s("b")]),
            (s("b"), vec![s("a")]),
            (s("a"), vec![]),
        ]);
        assert_eq!(g.topo().unwrap(), vec![s("a"), s("b"), s("c")]);
        assert_eq!(g.dependents(&s("a")), vec![s("b")]);
        assert_eq!(
            g.closure(&[s("a")], Direction::Outgoing),
            vec![s("b"), s("c")]
        );
    }

    #[test]
    fn cycle_is_reported_as_a_path() {
        let g = Graph::build(vec![
            (s("a"), vec![s("c")]),
            (s("b"), vec![s("a")]),
            (s("c"), vec![s("b")]),
            (s("d"), vec![]),
        ]);
        let c = g.find_cycle().unwrap();
        assert_eq!(cycle_text(&c), "a -> b -> c -> a");
        assert!(g.topo().is_err());
        let selfloop = Graph::build(vec![(s("x"), vec![s("x")])]);
        assert_eq!(cycle_text(&selfloop.find_cycle().unwrap()), "x -> x");
    }
}
