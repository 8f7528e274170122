//! Before planning (after `recovery::reconcile` settled the open intents of an interrupted
//! run): refresh every managed object from the cloud, recording drift.

use super::sensitive;
use super::{Action, Drift};
use crate::address::Address;
use crate::graph::Graph;
use crate::providers::Providers;
use crate::state::journal::Entry;
use crate::state::{ResourceState, State};
use crate::value::{parse_path, Map, Path, Value};
use crate::walk::{walk, NoStops};
use std::collections::BTreeMap;

/// Attribute maps equal up to "empty is unset" (`null`, `""`, `{}`, `[]`).
fn same_attributes(a: &Value, b: &Value) -> bool {
    match (a.as_map(), b.as_map()) {
        (Some(am), Some(bm)) => am
            .keys()
            .chain(bm.keys())
            .all(|k| crate::plan::diff::equivalent(am.get(k), bm.get(k))),
        _ => a == b,
    }
}

/// The managed objects of a state, one batch per resource type (so drivers can use list
/// APIs).
/// The objects to read, by provider configuration and resource type (one driver each).
/// (`TYPE via CONFIGURATION`: one driver each.)
type Batches<'s> = BTreeMap<String, Vec<(&'s Address, &'s ResourceState)>>;

/// What a refresh found.
#[derive(Default)]
struct Refreshed {
    drift: Vec<Drift>,
    entries: Vec<Entry>,
    errors: Vec<String>,
}

/// Refresh every managed object in `state` from the cloud. The batches (one per resource
/// type) are nodes of one walk (`crate::walk`), one batch at a time; a driver reads a batch's
/// objects `parallelism` at once. Returns drift (changed or deleted outside strata) and the
/// journal entries recording the refreshed state.
pub async fn refresh(
    state: &mut State,
    providers: &Providers,
    parallelism: usize,
) -> Result<(Vec<Drift>, Vec<Entry>), Vec<String>> {
    let fkey = state.fingerprint_key();
    let mut batches: Batches<'_> = BTreeMap::new();
    for (a, r) in state.resources.iter().filter(|(a, _)| !a.is_data()) {
        let key = format!("{} via {}", a.ty, providers.config_of(a));
        batches.entry(key).or_default().push((a, r));
    }
    let graph = Graph::build(batches.keys().map(|k| (k.clone(), Vec::new())));
    let walked = walk(&graph, 1, &mut NoStops, |ty| {
        read_batch(providers, &batches[ty], parallelism)
    })
    .await
    .map_err(|_| vec!["refresh: the resource types cannot be ordered".to_string()])?;
    let mut found = Refreshed::default();
    for (ty, result) in walked.finished {
        match result {
            Ok(results) => {
                for ((addr, prior), r) in batches[ty.as_str()].iter().zip(results) {
                    found.observe(addr, prior, r, &fkey);
                }
            }
            Err(e) => found.errors.push(e),
        }
    }
    let Refreshed {
        mut drift,
        entries,
        mut errors,
    } = found;
    for e in &entries {
        state.apply(e);
    }
    if !errors.is_empty() {
        errors.sort();
        return Err(errors);
    }
    drift.sort_by(|a, b| a.addr.cmp(&b.addr));
    Ok((drift, entries))
}

type ReadResults = Vec<crate::providers::Result<Option<Map>>>;

/// Read one batch of objects of one type.
async fn read_batch(
    providers: &Providers,
    items: &[(&Address, &ResourceState)],
    parallelism: usize,
) -> Result<ReadResults, String> {
    let driver = providers.resource(items[0].0)?;
    let empty = Map::new();
    let batch: Vec<crate::providers::ReadItem> = items
        .iter()
        .map(|(addr, r)| crate::providers::ReadItem {
            addr,
            id: &r.id,
            prior: r.attributes.as_map().unwrap_or(&empty),
        })
        .collect();
    Ok(driver.read_many(&batch, parallelism).await)
}

impl Refreshed {
    /// Record what reading one object found: an error, the object gone, or drift.
    fn observe(
        &mut self,
        addr: &Address,
        prior: &ResourceState,
        result: crate::providers::Result<Option<Map>>,
        fkey: &[u8],
    ) {
        match result {
            Err(e) => self.errors.push(format!("{addr}: refresh failed: {e}")),
            Ok(None) => {
                self.drift.push(Drift {
                    addr: addr.clone(),
                    action: Action::Delete,
                    before: prior.attributes.clone(),
                    after: None,
                    sensitive: Vec::new(),
                });
                self.entries.push(Entry::Remove {
                    addr: addr.clone(),
                    intent: None,
                });
            }
            Ok(Some(attrs)) => {
                if let Some((drift, entry)) = changed(addr, prior, attrs, fkey) {
                    self.drift.push(drift);
                    self.entries.push(entry);
                }
            }
        }
    }
}

/// The drift and the refreshed record of an object read back, if it changed.
fn changed(
    addr: &Address,
    prior: &ResourceState,
    attrs: Map,
    fkey: &[u8],
) -> Option<(Drift, Entry)> {
    let mut now = Value::Map(attrs);
    let paths: Vec<Path> = prior
        .sensitive
        .keys()
        .filter_map(|p| parse_path(p))
        .chain(
            crate::schema::resource(&addr.ty)
                .map(|s| s.sensitive_paths())
                .unwrap_or_default(),
        )
        .collect();
    let mut fps = sensitive::mask(&mut now, &paths, fkey);
    // The cloud does not return some secrets at all: keep what we knew.
    for (k, v) in &prior.sensitive {
        fps.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if same_attributes(&now, &prior.attributes) && fps == prior.sensitive {
        return None;
    }
    let changed_secret = !sensitive::changed(&fps, &prior.sensitive).is_empty();
    let drift = Drift {
        addr: addr.clone(),
        action: Action::Update,
        before: prior.attributes.clone(),
        after: Some(now.clone()),
        sensitive: if changed_secret { paths } else { Vec::new() },
    };
    let mut r = prior.clone();
    r.attributes = now;
    r.sensitive = fps;
    let entry = Entry::Put {
        addr: addr.clone(),
        resource: r,
        intent: None,
    };
    Some((drift, entry))
}
