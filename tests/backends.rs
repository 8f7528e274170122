//! One conformance suite for the state backends (like Terraform's `statemgr.TestFull`), run
//! against the local file backend on a temporary directory and against PostgreSQL on a real
//! server started for the test (`common/pg.rs`; it fails, never skips, when PostgreSQL is
//! missing). Everything `state::backend::Backend` promises, through that interface only:
//! load of an empty stack; lock, a second lock refused naming the holder, released on drop;
//! force-unlock's refusals; journal append, reload, continue after a crash; the fold (the
//! serial moves on by one, the journal is retired, open intents are kept) as a
//! compare-and-swap on lineage and serial; a journal of another lineage refused, never
//! replayed nor silently dropped; the stack-directory check. A backend that behaves
//! differently fails here.

mod common; // pg.rs uses its certificate helpers
#[allow(dead_code)]
#[path = "common/pg.rs"]
mod pg;

use std::time::Duration;
use strata::address::Address;
use strata::state::backend::Backend;
use strata::state::journal::Entry;
use strata::state::local::LocalBackend;
use strata::state::postgres::PgBackend;
use strata::state::{Object, OutputState, ResourceState, State};
use strata::value::Value;

/// Opens a new backend object on the same store — another process, or the next command —
/// for the stack directory given (`None`: none recorded).
type Open<'a> = &'a dyn Fn(Option<&str>) -> Box<dyn Backend>;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn res(id: &str) -> ResourceState {
    ResourceState::new(&Address::managed("t", "r"), Object::created(id), vec![])
}

fn intent(id: &str, addr: &Address) -> Entry {
    Entry::Intent {
        id: id.into(),
        addr: addr.clone(),
        action: strata::verb::IntentAction::Create,
        key: Value::Null,
        token: format!("token-{id}"),
    }
}

fn put(addr: &Address, id: &str, intent: Option<&str>) -> Entry {
    Entry::Put {
        addr: addr.clone(),
        resource: res(id),
        intent: intent.map(String::from),
    }
}

fn output(st: &mut State, value: &str) {
    let o = OutputState {
        value: value.into(),
        sensitive: false,
        fingerprint: None,
    };
    st.outputs.insert("who".into(), o);
}

/// Makes a backend object for stack `name` of one store, for the stack directory given.
type Make<'a> = &'a dyn Fn(&str, Option<&str>) -> Box<dyn Backend>;

/// Run every check of the suite against one kind of backend, each on a stack of its own.
async fn suite(make: Make<'_>) {
    let on = |stack: &'static str| move |d: Option<&str>| make(stack, d);
    empty_stack(&on("empty")).await;
    locking(&on("locking")).await;
    force_unlock(&on("force")).await;
    journal_and_fold(&on("journal")).await;
    compare_and_swap(&on("cas")).await;
    foreign_journal(&on("foreign")).await;
    directory(&on("directory")).await;
}

async fn empty_stack(open: Open<'_>) {
    let b = open(None);
    assert!(!b.describe().is_empty());
    let l = b.load().await.unwrap();
    assert!(!l.exists, "an empty stack has no state yet");
    assert_eq!((l.state.serial, l.replayed), (0, 0));
    assert!(l.state.resources.is_empty() && l.state.intents.is_empty());
    assert!(!l.state.lineage.is_empty(), "a new state has a lineage");
    // loading again changes nothing
    assert!(!open(None).load().await.unwrap().exists);
}

async fn locking(open: Open<'_>) {
    let (a, b) = (open(None), open(None));
    let held = a.lock("apply", Duration::ZERO).await.unwrap();
    assert!(!held.id().is_empty());
    assert!(held.cleared().is_none(), "nothing to clear on a free lock");
    let err = b.lock("plan", Duration::ZERO).await.err().unwrap();
    let msg = err.to_string();
    assert!(msg.contains("is locked by"), "{msg}");
    assert!(msg.contains("operation: apply"), "names the holder: {msg}");
    assert!(msg.contains(held.id()), "names the lock ID: {msg}");
    assert!(
        matches!(err, strata::state::StateError::Locked(_)),
        "{err:?}"
    );
    // a waiter gets it once the holder lets go
    let id = held.id().to_string();
    let release = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(held);
    };
    let (got, ()) = tokio::join!(b.lock("plan", Duration::from_secs(30)), release);
    let got = got.unwrap();
    assert_ne!(got.id(), id, "a new holder, a new lock ID");
    drop(got);
    drop(open(None).lock("apply", Duration::ZERO).await.unwrap());
}

async fn force_unlock(open: Open<'_>) {
    let b = open(None);
    let err = b.force_unlock("nope").await.unwrap_err().to_string();
    assert!(err.contains("nothing to unlock"), "not locked: {err}");
    let held = b.lock("apply", Duration::ZERO).await.unwrap();
    let err = open(None)
        .force_unlock("nope")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("the lock ID is {}, not nope", held.id())),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    drop(held);
}

async fn journal_and_fold(open: Open<'_>) {
    let (x, y) = (Address::managed("t", "x"), Address::managed("t", "y"));
    let b = open(None);
    let _lock = b.lock("apply", Duration::ZERO).await.unwrap();
    let base = b.load().await.unwrap().state;
    b.append(&base, &[intent("i1", &x)]).await.unwrap();
    b.append(&base, &[put(&x, "x1", Some("i1")), intent("i2", &y)])
        .await
        .unwrap();
    // "killed": the next command replays the journal, with the first state's identity
    let l = open(None).load().await.unwrap();
    assert!(l.exists, "a journal is a state");
    assert_eq!(l.replayed, 3);
    assert_eq!(l.state.lineage, base.lineage);
    assert_eq!(l.state.fingerprint_key, base.fingerprint_key);
    assert_eq!(l.state.resources[&x].id, "x1");
    let open_ids: Vec<&str> = l.state.intents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(open_ids, ["i2"], "i1 closed by its Put, i2 still open");
    // the same run's journal continues (same base)
    b.append(
        &base,
        &[Entry::Settle {
            intent: "i2".into(),
        }],
    )
    .await
    .unwrap();
    let mut st = open(None).load().await.unwrap().state;
    assert_eq!(st.intents.len(), 0, "settled");
    st.apply(&intent("i3", &y));
    // the fold: serial + 1, the journal retired, the open intent kept
    b.persist(&mut st).await.unwrap();
    assert_eq!(st.serial, 1);
    let l = open(None).load().await.unwrap();
    assert_eq!((l.state.serial, l.replayed), (1, 0));
    assert_eq!(l.state, st);
    assert_eq!(l.state.intents.len(), 1, "a fold keeps the open intent");
    // a journal on the new serial is replayed on top of it
    b.append(&l.state, &[put(&y, "y1", Some("i3"))])
        .await
        .unwrap();
    let l = open(None).load().await.unwrap();
    assert_eq!((l.state.serial, l.replayed), (1, 1));
    assert_eq!(l.state.resources[&y].id, "y1");
    assert!(l.state.intents.is_empty());
    let mut st = l.state;
    b.persist(&mut st).await.unwrap();
    assert_eq!(open(None).load().await.unwrap().state, st);
}

async fn compare_and_swap(open: Open<'_>) {
    let (a, b) = (open(None), open(None));
    let mut first = a.load().await.unwrap().state;
    let mut second = b.load().await.unwrap().state;
    let mut stranger = State {
        serial: first.serial,
        ..State::new("another")
    };
    output(&mut first, "a");
    output(&mut second, "b");
    a.persist(&mut first).await.unwrap();
    let err = b.persist(&mut second).await.unwrap_err().to_string();
    assert!(
        err.contains("another writer changed"),
        "a stale serial: {err}"
    );
    assert!(err.contains("nothing was overwritten"), "{err}");
    // another lineage at the same serial is refused too
    stranger.serial = first.serial;
    output(&mut stranger, "c");
    let err = b.persist(&mut stranger).await.unwrap_err().to_string();
    assert!(
        err.contains("another writer changed"),
        "another lineage: {err}"
    );
    let now = open(None).load().await.unwrap().state;
    assert_eq!(now, first, "the winner's state, untouched");
    assert_eq!(now.outputs["who"].value, "a".into());
}

async fn foreign_journal(open: Open<'_>) {
    let b = open(None);
    let mut st = b.load().await.unwrap().state;
    b.persist(&mut st).await.unwrap();
    let stranger = State {
        serial: st.serial,
        ..State::new("another")
    };
    let x = Address::managed("t", "x");
    open(None)
        .append(&stranger, &[put(&x, "x9", None)])
        .await
        .unwrap();
    let err = open(None).load().await.unwrap_err().to_string();
    assert!(err.contains("belongs to another state"), "{err}");
    assert!(
        err.contains(&stranger.lineage) && err.contains(&st.lineage),
        "{err}"
    );
}

async fn directory(open: Open<'_>) {
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();
    let (here, there) = (
        here.path().display().to_string(),
        there.path().display().to_string(),
    );
    // a state recorded for a directory that is gone (moved, another machine): taken over,
    // with a note
    let gone = format!("{here}-gone");
    let mut st = open(Some(&gone)).load().await.unwrap().state;
    open(Some(&gone)).persist(&mut st).await.unwrap();
    assert_eq!(st.directory.as_deref(), Some(gone.as_str()), "recorded");
    let b = open(Some(&here));
    let l = b.load().await.unwrap();
    assert!(
        l.notes.iter().any(|n| n.contains("does not exist here")),
        "{:?}",
        l.notes
    );
    let mut st = l.state;
    b.persist(&mut st).await.unwrap();
    assert_eq!(
        st.directory.as_deref(),
        Some(here.as_str()),
        "now this one's"
    );
    // the same stack directory: used, without a note
    assert!(open(Some(&here)).load().await.unwrap().notes.is_empty());
    // another directory that exists: refused, naming both
    let err = open(Some(&there)).load().await.unwrap_err().to_string();
    assert!(err.contains(&here) && err.contains(&there), "{err}");
}

#[test]
fn the_local_backend_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let make = |stack: &str, directory: Option<&str>| -> Box<dyn Backend> {
        let b = LocalBackend::new(dir.path().join(format!("state/{stack}.json")), stack);
        Box::new(match directory {
            Some(d) => b.for_directory(d),
            None => b,
        })
    };
    rt().block_on(suite(&make));
}

#[test]
fn the_postgres_backend_conforms() {
    let pg = pg::Pg::start();
    let url = pg.url();
    let make = |stack: &str, directory: Option<&str>| -> Box<dyn Backend> {
        let b = PgBackend::new(&url, stack).unwrap();
        Box::new(match directory {
            Some(d) => b.for_directory(d),
            None => b,
        })
    };
    rt().block_on(suite(&make));
}
