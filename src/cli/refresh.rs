//! `strata refresh`: read every object from the cloud and update the state; reports drift.

use super::workspace::{lock_and_load, Workspace};
use super::{Cli, CmdResult, Failure, LockArgs, VarArgs, EXIT_OK};
use crate::config::vars::Missing;
use crate::plan::render::{style::Painter, text};
use crate::plan::{refresh, Action};

pub async fn run(
    cli: &Cli,
    vars: &VarArgs,
    lock: &LockArgs,
    parallelism: usize,
    p: Painter,
) -> CmdResult {
    let ws = Workspace::open(cli, vars, Missing::Error)?;
    let (guard, loaded) = lock_and_load(ws.backend.as_ref(), "refresh", lock, &p).await?;
    let providers = ws.providers(&loaded.state).await?;
    let replayed = loaded.replayed;
    let mut state = loaded.state;
    let base = state.header();
    let (mut entries, reconciled) = ws.reconcile(&mut state, &providers).await?;
    let (drift, more) = refresh::refresh(&mut state, &providers, parallelism)
        .await
        .map_err(|e| Failure::new(e.join("\n")))?;
    entries.extend(more);
    let count = state.resources.keys().filter(|a| !a.is_data()).count();
    if !entries.is_empty() {
        ws.backend.append(&base, &entries).await?;
    }
    if !entries.is_empty() || replayed > 0 {
        ws.backend.persist(&mut state).await?;
    }
    drop(guard);
    let changed = drift.iter().filter(|d| d.action == Action::Update).count();
    let deleted = drift.iter().filter(|d| d.action == Action::Delete).count();
    out!(
        "{}",
        ws.redactor
            .redact(&text::render_findings(&reconciled, &drift, &p))
    );
    outln!(
        "{} {count} object{} read: {changed} changed outside strata, {deleted} deleted outside strata. The state is up to date.",
        p.green(&p.bold("Refresh complete!")),
        if count == 1 { "" } else { "s" }
    );
    Ok(EXIT_OK)
}
