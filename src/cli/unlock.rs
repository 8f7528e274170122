//! `strata force-unlock LOCK_ID`: remove a lock whose holder strata cannot prove dead.

use super::workspace::Workspace;
use super::{Cli, CmdResult, EXIT_OK};

pub async fn run(cli: &Cli, id: &str) -> CmdResult {
    let ws = Workspace::state_only(cli)?;
    let msg = ws.backend.force_unlock(id).await?;
    outln!("{msg}");
    Ok(EXIT_OK)
}
