//! `strata sandbox serve | ls | reset`: the embedded simulated cloud as a standalone server,
//! its object listing, and a reset to its seed objects.

use super::{CmdResult, Failure, SandboxCommand, EXIT_OK};
use crate::sandbox::{self, faults::FaultSpec};

pub async fn run(cmd: &SandboxCommand) -> CmdResult {
    let path = sandbox::default_path();
    let catalogue = crate::families::sandbox();
    let store = sandbox::open_store(&path, &catalogue);
    match cmd {
        SandboxCommand::Serve { addr } => {
            let spec = FaultSpec::from_env().map_err(Failure::new)?;
            sandbox::server::serve(store, spec, addr, &catalogue)
                .await
                .map_err(Failure::new)?;
        }
        SandboxCommand::Ls { json } => {
            let rows = sandbox::list(&store, &catalogue).map_err(Failure::new)?;
            if *json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                let w = |f: fn(&sandbox::Listed) -> &str| {
                    rows.iter().map(|r| f(r).len()).max().unwrap_or(0)
                };
                let (ws, wk, wi, wn) = (
                    w(|r| &r.service).max(7),
                    w(|r| &r.kind).max(4),
                    w(|r| &r.id).max(2),
                    w(|r| &r.name).max(4),
                );
                outln!(
                    "{:ws$}  {:wk$}  {:wi$}  {:wn$}  STATUS",
                    "SERVICE",
                    "KIND",
                    "ID",
                    "NAME"
                );
                for r in &rows {
                    outln!(
                        "{:ws$}  {:wk$}  {:wi$}  {:wn$}  {}",
                        r.service,
                        r.kind,
                        r.id,
                        r.name,
                        r.status
                    );
                }
            }
        }
        SandboxCommand::Reset => {
            store.reset().map_err(Failure::new)?;
            outln!(
                "The sandbox at {} was reset to its seed objects.",
                path.display()
            );
        }
    }
    Ok(EXIT_OK)
}
