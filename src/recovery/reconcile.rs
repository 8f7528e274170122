//! Reconciling the intents a state holds open (a run was killed or interrupted after writing
//! them) with the cloud: adopt what a create made, confirm a delete, settle a call that never
//! took effect. A failing look-up fails the whole reconcile and leaves the intent open: an
//! object a call may have made is never forgotten.

use super::record::{record, Masking, Returned};
use super::Intent;
use crate::address::Address;
use crate::graph::Graph;
use crate::providers::{CallCx, Found, NoProgress, ProviderError, Providers, ResourceDriver};
use crate::state::journal::Entry;
use crate::state::{sensitive, Made, State};
use crate::value::{Map, Value};
use crate::verb::Verb;
use crate::walk::{walk, NoStops};
use std::time::Duration;

/// The natural key the configuration gives an address now: used when an intent's key was
/// withheld from the journal because it held a sensitive value (it is used only if its
/// fingerprint is the one journaled).
pub type Recover<'a> = dyn Fn(&Address) -> Option<Value> + Send + Sync + 'a;

type Reconciled = Result<(Entry, String), ProviderError>;

/// One intent's outcome, by its place among the open intents.
type Outcome = (usize, Result<(Entry, String), String>);

fn cx(addr: &Address) -> CallCx<'_> {
    CallCx {
        addr,
        timeout: Duration::from_secs(300),
        progress: &NoProgress,
    }
}

/// How many intents are looked for at once (each family's `max_concurrency` still holds).
const AT_ONCE: usize = 8;

/// Reconcile the intents the state holds open, walking them (independent nodes) with the one
/// graph walk. Every outcome is applied to `state`, in the order the intents were opened;
/// returns the journal entries that record them and one line per intent saying what was
/// found. Any failure fails the whole reconcile, and nothing of it is applied.
pub async fn reconcile(
    state: &mut State,
    providers: &Providers,
    recover: &Recover<'_>,
) -> Result<(Vec<Entry>, Vec<String>), String> {
    let fkey = state.fingerprint_key();
    let intents: Vec<Intent> = state.intents.iter().map(Intent::of_open).collect();
    let graph = Graph::build((0..intents.len()).map(|i| (i, Vec::new())));
    let walked = walk(&graph, AT_ONCE, &mut NoStops, |&i| {
        reconcile_one(&intents[i], providers, &fkey, recover)
    })
    .await
    .map_err(|_| "open intents cannot form a cycle".to_string())?;
    let mut done: Vec<Outcome> = walked.finished.into_iter().map(|(&i, r)| (i, r)).collect();
    done.sort_by_key(|(i, _)| *i);
    let done: Vec<(Entry, String)> = done.into_iter().map(|(_, r)| r).collect::<Result<_, _>>()?;
    let (entries, lines): (Vec<Entry>, Vec<String>) = done.into_iter().unzip();
    for entry in &entries {
        state.apply(entry);
    }
    Ok((entries, lines))
}

/// Reconcile one intent; the error says which and why, and that it stays open.
async fn reconcile_one(
    i: &Intent,
    providers: &Providers,
    fkey: &[u8],
    recover: &Recover<'_>,
) -> Result<(Entry, String), String> {
    let driver = providers.resource(&i.addr)?;
    match i.action.verb() {
        Verb::Delete => reconcile_delete(i, driver.as_ref()).await,
        v if v.makes() => {
            let provider = providers.config_of(&i.addr);
            reconcile_create(i, (driver.as_ref(), provider), fkey, recover).await
        }
        // An interrupted update: the refresh that follows reads what is really there.
        _ => Ok((
            i.settle(),
            format!("{}: an interrupted {} is re-read from the cloud", i.addr, i.action),
        )),
    }
    .map_err(|e| {
        format!(
            "{}: could not reconcile an interrupted {} (it stays recorded and is looked for again on the next run): {e}",
            i.addr, i.action
        )
    })
}

/// The intent's natural key, recovered from the configuration if it was withheld.
fn natural_key(i: &Intent, fkey: &[u8], recover: &Recover<'_>) -> Value {
    let natural = i.key.natural.clone();
    let Some(fp) = sensitive::withheld(&natural) else {
        return natural;
    };
    recover(&i.addr)
        .filter(|v| crate::state::fingerprint(fkey, v) == fp)
        .unwrap_or_default()
}

/// `via`: the driver and the provider configuration it belongs to.
async fn reconcile_create(
    i: &Intent,
    (driver, provider): (&dyn ResourceDriver, String),
    fkey: &[u8],
    recover: &Recover<'_>,
) -> Reconciled {
    let c = cx(&i.addr);
    let settle = |why: &str| {
        let line = format!(
            "{}: the interrupted {} {why}; it is planned again",
            i.addr, i.action
        );
        (i.settle(), line)
    };
    let natural = natural_key(i, fkey, recover);
    let Some(Found { id, complete }) = driver.find(&c, &natural, &i.token).await? else {
        return Ok(settle("had not taken effect"));
    };
    let Some(attributes) = driver.read(&c, &id, &Map::new()).await? else {
        return Ok(settle(&format!("made {id}, which is gone again")));
    };
    let mut paths = driver.schema().sensitive_paths();
    paths.extend(i.key.sensitive.iter().cloned());
    let returned = Returned {
        id: id.clone(),
        attributes,
        made: Made::by(i.action.verb(), i.key.clone.clone()),
        tainted: !complete,
    };
    let masking = Masking {
        paths: &paths,
        desired: None,
        fkey,
    };
    let resource = record(
        &i.addr,
        returned,
        &masking,
        i.key.dependencies.clone(),
        provider,
    );
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
    Ok((i.put(resource), line))
}

async fn reconcile_delete(i: &Intent, driver: &dyn ResourceDriver) -> Reconciled {
    let id = i.key.id.as_deref().unwrap_or_default();
    let gone = driver.read(&cx(&i.addr), id, &Map::new()).await?.is_none();
    if !gone {
        let line = format!(
            "{}: the interrupted delete of {id} had not taken effect; it is planned again",
            i.addr
        );
        return Ok((i.settle(), line));
    }
    let line = format!(
        "{}: confirmed that the interrupted delete of {id} took effect",
        i.addr
    );
    Ok((i.removed(), line))
}
