//! `strata state list | show | rm | mv`: inspect and edit the state (edits take the lock and
//! write a new snapshot; the previous one is kept as `.backup`).

use super::workspace::{lock_timeout, Workspace};
use super::{Cli, CmdResult, Failure, StateCommand, EXIT_OK};
use crate::address::Address;
use crate::plan::render::{style::Painter, text};
use crate::state::journal::Entry;
use crate::value::parse_path;

fn parse(a: &str) -> Result<Address, Failure> {
    Address::parse(a).map_err(Failure::new)
}

pub async fn run(cli: &Cli, cmd: &StateCommand, p: Painter) -> CmdResult {
    let ws = Workspace::state_only(cli)?;
    match cmd {
        StateCommand::List => {
            let state = ws.backend.load().await?.state;
            for a in state.resources.keys() {
                outln!("{a}");
            }
        }
        StateCommand::Show { address } => {
            let addr = parse(address)?;
            let state = ws.backend.load().await?.state;
            let r = state.resources.get(&addr).ok_or_else(|| {
                Failure::new(format!(
                    "{addr} is not in the state (see: strata state list)"
                ))
            })?;
            let sens: Vec<_> = r.sensitive.keys().filter_map(|k| parse_path(k)).collect();
            out!("{}", text::render_object(&addr, &r.attributes, &sens, &p));
            outln!("\n# id: {}\n# made: {}", r.id, r.made.verb());
            if !r.dependencies.is_empty() {
                let deps: Vec<String> = r.dependencies.iter().map(|d| d.to_string()).collect();
                outln!("# depends on: {}", deps.join(", "));
            }
        }
        StateCommand::Rm { addresses, lock } => {
            let addrs: Vec<Address> = addresses
                .iter()
                .map(|a| parse(a))
                .collect::<Result<_, _>>()?;
            let _guard = ws.backend.lock("state rm", lock_timeout(lock)?).await?;
            let mut state = ws.backend.load().await?.state;
            for a in &addrs {
                if !state.resources.contains_key(a) {
                    return Err(Failure::new(format!(
                        "{a} is not in the state: nothing was removed"
                    )));
                }
            }
            for a in &addrs {
                state.apply(&Entry::Remove {
                    addr: a.clone(),
                    intent: None,
                });
            }
            ws.backend.persist(&mut state).await?;
            outln!(
                "Removed {} object{} from the state (they still exist in the cloud).",
                addrs.len(),
                if addrs.len() == 1 { "" } else { "s" }
            );
        }
        StateCommand::Mv { from, to, lock } => {
            let (from, to) = (parse(from)?, parse(to)?);
            if from.ty != to.ty || from.mode != to.mode {
                return Err(Failure::new(format!(
                    "cannot move {from} to {to}: an object keeps its type"
                )));
            }
            let _guard = ws.backend.lock("state mv", lock_timeout(lock)?).await?;
            let mut state = ws.backend.load().await?.state;
            if !state.resources.contains_key(&from) {
                return Err(Failure::new(format!("{from} is not in the state")));
            }
            if state.resources.contains_key(&to) {
                return Err(Failure::new(format!("{to} is already in the state")));
            }
            state.apply(&Entry::Move {
                from: from.clone(),
                to: to.clone(),
            });
            ws.backend.persist(&mut state).await?;
            outln!("Moved {from} to {to}.");
        }
    }
    Ok(EXIT_OK)
}
