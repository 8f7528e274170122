//! The one graph walk: plan, refresh, apply and destroy all run their nodes through [`walk`],
//! and `strata graph` numbers nodes by [`order`], the same schedule run one node at a time.
//!
//! Given a [`Graph`] (a DAG; a cycle is returned, never walked) and an async operation per
//! node, the walk starts each node the moment its last dependency finished, at most `limit`
//! at once, ready nodes in the order they became ready (the first ones by node order).
//!
//! Invariants:
//! - A node starts only after every node it depends on finished successfully; a failed
//!   node's dependents (transitively) never start and are reported as skipped.
//! - With `limit` 1 the walk is sequential and deterministic: exactly [`order`].
//! - A stop ([`Stops`]) is honoured between nodes: `Drain` starts nothing new and lets the
//!   nodes in flight finish; `Abort` drops them (a caller whose nodes are tasks uses
//!   [`Spawner`], which aborts them and lets the caller wait for them to end).
//! - The walk borrows: operations may borrow from the caller (no `'static` bound).

use crate::graph::Graph;
use futures::stream::{FuturesUnordered, StreamExt};
use petgraph::graph::NodeIndex;
use petgraph::Direction;
use std::collections::VecDeque;
use std::fmt::Display;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use tokio::task::{JoinError, JoinHandle};

/// What a stop asks of the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Start nothing new; let the nodes in flight finish.
    Drain,
    /// Also drop the nodes in flight.
    Abort,
}

/// Where stops come from (interrupts, for apply).
pub trait Stops {
    /// Resolves with the next stop. Must be cancel-safe.
    fn next(&mut self) -> impl Future<Output = Stop> + Send;
}

/// A walk that is never stopped from outside (it can still be dropped at an await point).
pub struct NoStops;

impl Stops for NoStops {
    fn next(&mut self) -> impl Future<Output = Stop> + Send {
        std::future::pending()
    }
}

/// What a walk did (the nodes borrowed from the graph: no copies).
#[derive(Debug)]
pub struct Walked<'g, N, T, E> {
    /// Every node that ran to its end, in the order they finished, with its result.
    pub finished: Vec<(&'g N, Result<T, E>)>,
    /// Nodes never started because a dependency failed: the node and that dependency.
    pub skipped: Vec<(&'g N, &'g N)>,
    /// The stop that arrived, if one did.
    pub stopped: Option<Stop>,
}

/// The schedule: how many unfinished dependencies each node waits for, and what is ready.
struct Schedule<'g, N> {
    graph: &'g Graph<N>,
    waiting: Vec<usize>,
    ready: VecDeque<NodeIndex>,
    blocked: Vec<bool>,
}

impl<'g, N: Clone + Eq + Hash + Ord + Display> Schedule<'g, N> {
    fn new(graph: &'g Graph<N>) -> Self {
        let g = &graph.g;
        let waiting: Vec<usize> = g
            .node_indices()
            .map(|i| g.neighbors_directed(i, Direction::Incoming).count())
            .collect();
        let mut ready: Vec<NodeIndex> = g
            .node_indices()
            .filter(|i| waiting[i.index()] == 0)
            .collect();
        ready.sort_by(|a, b| g[*a].cmp(&g[*b]));
        Schedule {
            graph,
            waiting,
            ready: ready.into(),
            blocked: vec![false; g.node_count()],
        }
    }

    fn next_ready(&mut self) -> Option<NodeIndex> {
        self.ready.pop_front()
    }

    /// A node succeeded: its dependents with nothing else to wait for become ready.
    fn succeeded(&mut self, i: NodeIndex) {
        let g = &self.graph.g;
        let mut next: Vec<NodeIndex> = g.neighbors_directed(i, Direction::Outgoing).collect();
        next.sort_by(|a, b| g[*a].cmp(&g[*b]));
        next.dedup();
        for d in next {
            let w = &mut self.waiting[d.index()];
            *w -= 1;
            if *w == 0 && !self.blocked[d.index()] {
                self.ready.push_back(d);
            }
        }
    }

    /// A node failed: everything that depends on it, in node order, not blocked before.
    fn failed(&mut self, i: NodeIndex) -> Vec<&'g N> {
        let graph = self.graph;
        let node = &graph.g[i];
        let mut out = Vec::new();
        for d in graph.closure(std::slice::from_ref(node), Direction::Outgoing) {
            let j = graph.index[&d];
            if !std::mem::replace(&mut self.blocked[j.index()], true) {
                out.push(&graph.g[j]);
            }
        }
        out
    }
}

/// The cycle that prevents walking `graph`, if there is one.
fn cycle<N: Clone + Eq + Hash + Ord + Display>(graph: &Graph<N>) -> Option<Vec<N>> {
    if !petgraph::algo::is_cyclic_directed(&graph.g) {
        return None;
    }
    Some(graph.find_cycle().unwrap_or_default())
}

/// The order a sequential walk (`limit` 1, nothing failing) runs the nodes in, or the cycle
/// that prevents one.
pub fn order<N: Clone + Eq + Hash + Ord + Display>(graph: &Graph<N>) -> Result<Vec<N>, Vec<N>> {
    if let Some(c) = cycle(graph) {
        return Err(c);
    }
    let mut s = Schedule::new(graph);
    let mut out = Vec::with_capacity(graph.g.node_count());
    while let Some(i) = s.next_ready() {
        out.push(graph.g[i].clone());
        s.succeeded(i);
    }
    Ok(out)
}

/// Walk `graph`, running `op` on each node (see the module's invariants). Returns what
/// happened, or the cycle that prevents walking it (then nothing ran).
pub async fn walk<'g, N, T, E, F, Fut, S>(
    graph: &'g Graph<N>,
    limit: usize,
    stops: &mut S,
    mut op: F,
) -> Result<Walked<'g, N, T, E>, Vec<N>>
where
    N: Clone + Eq + Hash + Ord + Display,
    F: FnMut(&'g N) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    S: Stops,
{
    if let Some(c) = cycle(graph) {
        return Err(c);
    }
    let mut s = Schedule::new(graph);
    let mut out = Walked {
        finished: Vec::new(),
        skipped: Vec::new(),
        stopped: None,
    };
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < limit.max(1) && out.stopped.is_none() {
            let Some(i) = s.next_ready() else { break };
            let fut = op(&graph.g[i]);
            running.push(async move { (i, fut.await) });
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((i, result)) = running.next() => {
                let node = &graph.g[i];
                match &result {
                    Ok(_) => s.succeeded(i),
                    Err(_) => {
                        let skipped = s.failed(i);
                        out.skipped.extend(skipped.into_iter().map(|d| (d, node)));
                    }
                }
                out.finished.push((node, result));
            }
            stop = stops.next() => {
                out.stopped = Some(stop);
                if stop == Stop::Abort {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Runs nodes as tokio tasks (in parallel on the runtime's threads, a panic caught as an
/// error). A task dropped before it finished — the walk aborted — is aborted and kept, so
/// [`Spawner::settle`] can wait until it has really stopped.
pub struct Spawner<T> {
    aborted: Mutex<Vec<JoinHandle<T>>>,
}

impl<T: Send + 'static> Default for Spawner<T> {
    fn default() -> Self {
        Spawner {
            aborted: Mutex::new(Vec::new()),
        }
    }
}

impl<T: Send + 'static> Spawner<T> {
    /// Start `task`; the returned future resolves with its result.
    pub fn spawn<F>(&self, task: F) -> Spawned<'_, T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        Spawned {
            handle: Some(tokio::spawn(task)),
            spawner: self,
        }
    }

    /// Wait until every aborted task has stopped.
    pub async fn settle(&self) {
        let handles = std::mem::take(&mut *self.aborted.lock().unwrap_or_else(|e| e.into_inner()));
        for h in handles {
            let _ = h.await;
        }
    }
}

/// A task started by a [`Spawner`].
pub struct Spawned<'a, T> {
    handle: Option<JoinHandle<T>>,
    spawner: &'a Spawner<T>,
}

impl<T> Future for Spawned<'_, T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(h) = self.handle.as_mut() else {
            return Poll::Pending;
        };
        let r = std::task::ready!(Pin::new(h).poll(cx));
        self.handle = None;
        Poll::Ready(r)
    }
}

impl<T> Drop for Spawned<'_, T> {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
            self.spawner
                .aborted
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    fn diamond() -> Graph<String> {
        Graph::build(vec![
            (s("d"), vec![s("b"), s("c")]),
            (s("c"), vec![s("a")]),
            (s("b"), vec![s("a")]),
            (s("a"), vec![]),
            (s("e"), vec![]),
        ])
    }

    #[test]
    fn sequential_order_is_ready_order() {
        assert_eq!(order(&diamond()).unwrap(), ["a", "e", "b", "c", "d"]);
        let cyclic = Graph::build(vec![(s("a"), vec![s("b")]), (s("b"), vec![s("a")])]);
        assert_eq!(order(&cyclic).unwrap_err(), ["a", "b", "a"]);
    }

    #[tokio::test]
    async fn limit_one_walks_in_order_and_failures_skip_dependents() {
        let g = diamond();
        let ran = Mutex::new(Vec::new());
        let w = walk(&g, 1, &mut NoStops, |n: &String| {
            ran.lock().unwrap().push(n.clone());
            async move {
                if n == "b" {
                    Err("no")
                } else {
                    Ok(())
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(*ran.lock().unwrap(), ["a", "e", "b", "c"]);
        assert_eq!(w.skipped, [(&s("d"), &s("b"))]);
        assert_eq!(w.finished.len(), 4);
    }

    #[tokio::test]
    async fn a_node_starts_when_its_last_dependency_finished() {
        // b is slow; c (independent of b) must not wait for it.
        let g = Graph::build(vec![
            (s("b"), vec![]),
            (s("c"), vec![s("a")]),
            (s("a"), vec![]),
        ]);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let rx = tokio::sync::Mutex::new(Some(rx));
        let tx = Mutex::new(Some(tx));
        let w = walk(&g, 2, &mut NoStops, |n: &String| {
            let (rx, tx) = (&rx, &tx);
            async move {
                match n.as_str() {
                    "b" => {
                        let r = rx.lock().await.take().unwrap();
                        r.await.map_err(|_| ())
                    }
                    "c" => tx.lock().unwrap().take().unwrap().send(()).map_err(|_| ()),
                    _ => Ok(()),
                }
            }
        })
        .await
        .unwrap();
        let done: Vec<&str> = w.finished.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(done, ["a", "c", "b"]);
    }

    struct After(usize, Stop);
    impl Stops for After {
        fn next(&mut self) -> impl Future<Output = Stop> + Send {
            let (n, stop) = (self.0, self.1);
            self.0 = usize::MAX;
            async move {
                if n == usize::MAX {
                    std::future::pending::<()>().await;
                }
                for _ in 0..n {
                    tokio::task::yield_now().await;
                }
                stop
            }
        }
    }

    #[tokio::test]
    async fn a_drain_starts_nothing_new() {
        let g = diamond();
        let w = walk(&g, 1, &mut After(0, Stop::Drain), |_n: &String| async {
            tokio::task::yield_now().await;
            Ok::<(), ()>(())
        })
        .await
        .unwrap();
        assert_eq!(w.stopped, Some(Stop::Drain));
        assert_eq!(w.finished.len(), 1, "only the node in flight finished");
    }

    #[tokio::test]
    async fn an_abort_stops_spawned_tasks() {
        let g = diamond();
        let spawner = Spawner::default();
        let w = walk(&g, 2, &mut After(3, Stop::Abort), |_n: &String| {
            spawner.spawn(std::future::pending::<()>())
        })
        .await
        .unwrap();
        assert_eq!(w.stopped, Some(Stop::Abort));
        assert!(w.finished.is_empty());
        spawner.settle().await;
        assert!(spawner.aborted.lock().unwrap().is_empty());
    }
}
