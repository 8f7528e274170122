//! Before planning (after `recovery::reconcile` settled the open intents of an interrupted
//! run): refresh every managed object from the cloud, recording drift.

use super::sensitive;
use super::{Action, Drift};
use crate::address::Address;
use crate::providers::Providers;
use crate::state::journal::Entry;
use crate::state::{ResourceState, State};
use crate::value::{parse_path, Map, Path, Value};

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

/// Refresh every managed object in `state` from the cloud, one batch per resource type (so
/// drivers can use list APIs). Returns drift (changed or deleted outside strata) and the
/// journal entries recording the refreshed state.
pub async fn refresh(
    state: &mut State,
    providers: &Providers,
    parallelism: usize,
) -> Result<(Vec<Drift>, Vec<Entry>), Vec<String>> {
    let fkey = state.fingerprint_key();
    let mut by_type: std::collections::BTreeMap<&str, Vec<(&Address, &ResourceState)>> =
        std::collections::BTreeMap::new();
    for (a, r) in state.resources.iter().filter(|(a, _)| !a.is_data()) {
        by_type.entry(a.ty.as_str()).or_default().push((a, r));
    }
    let empty = Map::new();
    let mut drift = Vec::new();
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (ty, items) in by_type {
        let driver = match providers.resource(ty) {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let batch: Vec<crate::providers::ReadItem> = items
            .iter()
            .map(|(addr, r)| crate::providers::ReadItem {
                addr,
                id: &r.id,
                prior: r.attributes.as_map().unwrap_or(&empty),
            })
            .collect();
        let results = driver.read_many(&batch, parallelism).await;
        for ((addr, prior), result) in items.into_iter().zip(results) {
            match result {
                Err(e) => errors.push(format!("{addr}: refresh failed: {e}")),
                Ok(None) => {
                    drift.push(Drift {
                        addr: addr.clone(),
                        action: Action::Delete,
                        before: prior.attributes.clone(),
                        after: None,
                        sensitive: Vec::new(),
                    });
                    entries.push(Entry::Remove {
                        addr: addr.clone(),
                        intent: None,
                    });
                }
                Ok(Some(attrs)) => {
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
                    let mut fps = sensitive::mask(&mut now, &paths, &fkey);
                    // The cloud does not return some secrets at all: keep what we knew.
                    for (k, v) in &prior.sensitive {
                        fps.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                    if !same_attributes(&now, &prior.attributes) || fps != prior.sensitive {
                        let changed_secret = !sensitive::changed(&fps, &prior.sensitive).is_empty();
                        drift.push(Drift {
                            addr: addr.clone(),
                            action: Action::Update,
                            before: prior.attributes.clone(),
                            after: Some(now.clone()),
                            sensitive: if changed_secret {
                                paths.clone()
                            } else {
                                Vec::new()
                            },
                        });
                        let mut r = prior.clone();
                        r.attributes = now;
                        r.sensitive = fps;
                        entries.push(Entry::Put {
                            addr: addr.clone(),
                            resource: r,
                            intent: None,
                        });
                    }
                }
            }
        }
    }
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
