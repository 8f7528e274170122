//! Before planning: reconcile the open intents of an interrupted run with the cloud (adopt
//! what was made, confirm what was deleted, forget what never happened), then refresh every
//! managed object from the cloud, recording drift.

use super::sensitive;
use super::{Action, Drift};
use crate::address::Address;
use crate::graph::Graph;
use crate::providers::{CallCx, Found, NoProgress, Providers, ResourceDriver};
use crate::state::journal::Entry;
use crate::state::OpenIntent;
use crate::state::{Made, ResourceState, State};
use crate::value::{parse_path, Map, Path, Value};
use crate::walk::{walk, NoStops};
use std::collections::BTreeMap;
use std::time::Duration;

/// The key an intent records: what identifies the object, how it is made, and its
/// dependencies and sensitive paths (so an adopted object is stored exactly as a created one).
pub fn intent_key(
    natural: Value,
    clone: Option<&Value>,
    dependencies: &[Address],
    sensitive: &[Path],
    id: Option<&str>,
) -> Value {
    let mut m = Map::new();
    m.insert("natural".into(), natural);
    m.insert("clone".into(), clone.cloned().unwrap_or_default());
    m.insert(
        "dependencies".into(),
        Value::List(
            dependencies
                .iter()
                .map(|a| Value::str(a.to_string()))
                .collect(),
        ),
    );
    m.insert(
        "sensitive".into(),
        Value::List(
            sensitive
                .iter()
                .map(|p| Value::str(crate::value::path_string(p)))
                .collect(),
        ),
    );
    if let Some(id) = id {
        m.insert("id".into(), Value::str(id));
    }
    Value::Map(m)
}

fn key_paths(key: &Value) -> Vec<Path> {
    key.get("sensitive")
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|p| p.as_str().and_then(parse_path))
                .collect()
        })
        .unwrap_or_default()
}

fn cx(addr: &Address) -> CallCx<'_> {
    CallCx {
        addr,
        timeout: Duration::from_secs(300),
        progress: &NoProgress,
    }
}

/// Reconcile the intents the state holds open (a run was killed or interrupted after writing
/// them). Every outcome is applied to `state`; returns the journal entries that record it and
/// one line per intent saying what was found. A failing look-up fails the whole reconcile and
/// leaves the intent open: an object a call may have made is never forgotten.
pub async fn reconcile(
    state: &mut State,
    providers: &Providers,
    recover: &Recover<'_>,
) -> Result<(Vec<Entry>, Vec<String>), String> {
    let mut entries = Vec::new();
    let mut lines = Vec::new();
    let fkey = state.fingerprint_key();
    for i in state.intents.clone() {
        let driver = providers.resource(&i.addr.ty)?;
        let (entry, line) = match i.action.as_str() {
            "create" | "clone" | "bind" => {
                reconcile_create(&i, driver.as_ref(), &fkey, recover).await
            }
            "delete" | "delete_deposed" => reconcile_delete(&i, driver.as_ref()).await,
            // An interrupted update: the refresh below reads what is really there.
            _ => Ok((
                Entry::Settle {
                    intent: i.id.clone(),
                },
                format!("{}: an interrupted {} is re-read from the cloud", i.addr, i.action),
            )),
        }
        .map_err(|e| {
            format!(
                "{}: could not reconcile an interrupted {} (it stays recorded and is looked for again on the next run): {e}",
                i.addr, i.action
            )
        })?;
        state.apply(&entry);
        entries.push(entry);
        lines.push(line);
    }
    Ok((entries, lines))
}

type Reconciled = Result<(Entry, String), crate::providers::ProviderError>;

/// The natural key the configuration gives an address now: used when an intent's key was
/// withheld from the journal because it held a sensitive value (it is used only if its
/// fingerprint is the one journaled).
pub type Recover<'a> = dyn Fn(&Address) -> Option<Value> + Send + Sync + 'a;

/// The intent's natural key, recovered from the configuration if it was withheld.
fn natural_key(i: &OpenIntent, fkey: &[u8], recover: &Recover<'_>) -> Value {
    let natural = i.key.get("natural").cloned().unwrap_or_default();
    let Some(fp) = sensitive::withheld(&natural) else {
        return natural;
    };
    recover(&i.addr)
        .filter(|v| crate::state::fingerprint(fkey, v) == fp)
        .unwrap_or_default()
}

fn made_of(i: &OpenIntent) -> Made {
    match i.action.as_str() {
        "clone" => Made::Cloned {
            from: i.key.get("clone").cloned().unwrap_or_default(),
        },
        "bind" => Made::Bound,
        _ => Made::Created,
    }
}

fn key_dependencies(key: &Value) -> Vec<Address> {
    key.get("dependencies")
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|a| a.as_str().and_then(|s| Address::parse(s).ok()))
                .collect()
        })
        .unwrap_or_default()
}

async fn reconcile_create(
    i: &OpenIntent,
    driver: &dyn ResourceDriver,
    fkey: &[u8],
    recover: &Recover<'_>,
) -> Reconciled {
    let c = cx(&i.addr);
    let settle = |why: &str| {
        (
            Entry::Settle {
                intent: i.id.clone(),
            },
            format!(
                "{}: the interrupted {} {why}; it is planned again",
                i.addr, i.action
            ),
        )
    };
    let natural = natural_key(i, fkey, recover);
    let Some(Found { id, complete }) = driver.find(&c, &natural, &i.token).await? else {
        return Ok(settle("had not taken effect"));
    };
    let Some(attrs) = driver.read(&c, &id, &Map::new()).await? else {
        return Ok(settle(&format!("made {id}, which is gone again")));
    };
    let mut attrs = Value::Map(attrs);
    let mut paths = driver.schema().sensitive_paths();
    paths.extend(key_paths(&i.key));
    let sensitive = sensitive::mask(&mut attrs, &paths, fkey);
    let object = crate::state::Object {
        id: id.clone(),
        attributes: attrs,
        made: made_of(i),
        sensitive,
    };
    let mut r = ResourceState::new(&i.addr, object, key_dependencies(&i.key));
    r.tainted = !complete;
    let line = if complete {
        format!(
            "{}: adopted {id}, made by an interrupted {} whose result was not recorded",
            i.addr, i.action
        )
    } else {
        format!(
            "{}: adopted {id}, left unfinished by an interrupted {}; it is tainted and will be replaced",
            i.addr, i.action
        )
    };
    let put = Entry::Put {
        addr: i.addr.clone(),
        resource: r,
        intent: Some(i.id.clone()),
    };
    Ok((put, line))
}

async fn reconcile_delete(i: &OpenIntent, driver: &dyn ResourceDriver) -> Reconciled {
    let id = i.key.get("id").and_then(Value::as_str).unwrap_or_default();
    let gone = driver.read(&cx(&i.addr), id, &Map::new()).await?.is_none();
    if !gone {
        let line = format!(
            "{}: the interrupted delete of {id} had not taken effect; it is planned again",
            i.addr
        );
        let settle = Entry::Settle {
            intent: i.id.clone(),
        };
        return Ok((settle, line));
    }
    let e = if i.action == "delete" {
        Entry::Remove {
            addr: i.addr.clone(),
            intent: Some(i.id.clone()),
        }
    } else {
        Entry::RemoveDeposed {
            addr: i.addr.clone(),
            id: id.to_string(),
            intent: Some(i.id.clone()),
        }
    };
    let line = format!(
        "{}: confirmed that the interrupted delete of {id} took effect",
        i.addr
    );
    Ok((e, line))
}

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
type Batches<'s> = BTreeMap<&'s str, Vec<(&'s Address, &'s ResourceState)>>;

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
        batches.entry(a.ty.as_str()).or_default().push((a, r));
    }
    let graph = Graph::build(batches.keys().map(|ty| (*ty, Vec::new())));
    let walked = walk(&graph, 1, &mut NoStops, |ty| {
        read_batch(providers, &batches[ty], parallelism)
    })
    .await
    .map_err(|_| vec!["refresh: the resource types cannot be ordered".to_string()])?;
    let mut found = Refreshed::default();
    for (ty, result) in walked.finished {
        match result {
            Ok(results) => {
                for ((addr, prior), r) in batches[ty].iter().zip(results) {
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
    let driver = providers.resource(&items[0].0.ty)?;
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
