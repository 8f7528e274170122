//! `strata state list | show | pull | rm | mv | migrate`: inspect and edit the state (edits
//! take the lock and write a new snapshot; the previous one is kept as `.backup`).

use super::workspace::{lock_and_load, lock_wait, Workspace};
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
        StateCommand::Pull => {
            // as `terraform state pull`: the document, or nothing when there is no state yet
            let loaded = ws.backend.load().await?;
            if loaded.exists {
                outln!("{}", super::show::document(&loaded.state)?);
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
            outln!("\n# id: {}\n# made: {}", r.id, r.made.verb().past());
            if !r.dependencies.is_empty() {
                let deps: Vec<String> = r.dependencies.iter().map(|d| d.to_string()).collect();
                outln!("# depends on: {}", deps.join(", "));
            }
        }
        StateCommand::Rm { addresses, lock } => rm(&ws, addresses, lock, &p).await?,
        StateCommand::Migrate { to, lock } => return migrate(&ws, to, lock, &p).await,
        StateCommand::Mv { from, to, lock } => mv(&ws, from, to, lock, &p).await?,
    }
    Ok(EXIT_OK)
}

/// `state rm`: forget objects, which keep existing in the cloud.
async fn rm(
    ws: &Workspace,
    addresses: &[String],
    lock: &super::LockArgs,
    p: &Painter,
) -> Result<(), Failure> {
    let addrs: Vec<Address> = addresses
        .iter()
        .map(|a| parse(a))
        .collect::<Result<_, _>>()?;
    let (_guard, loaded) = lock_and_load(ws.backend.as_ref(), "state rm", lock, p).await?;
    let mut state = loaded.state;
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
    Ok(())
}

/// `state mv`: move an object to another address of its type.
async fn mv(
    ws: &Workspace,
    from: &str,
    to: &str,
    lock: &super::LockArgs,
    p: &Painter,
) -> Result<(), Failure> {
    let (from, to) = (parse(from)?, parse(to)?);
    if from.ty != to.ty || from.mode != to.mode {
        return Err(Failure::new(format!(
            "cannot move {from} to {to}: an object keeps its type"
        )));
    }
    let (_guard, loaded) = lock_and_load(ws.backend.as_ref(), "state mv", lock, p).await?;
    let mut state = loaded.state;
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
    Ok(())
}

/// `state migrate --to`: copy the state (snapshot with its journal replayed) to another
/// backend that holds none for this stack yet, then read it back and compare.
pub async fn migrate(ws: &Workspace, to: &str, lock: &super::LockArgs, p: &Painter) -> CmdResult {
    use super::workspace::{open_backend, Place};
    let dest_place = if to.starts_with("postgres://") || to.starts_with("postgresql://") {
        Place::Postgres(to.to_string())
    } else {
        Place::File(std::path::PathBuf::from(to))
    };
    let (dest, pw) = open_backend(&dest_place, &ws.cfg)?;
    let hide = crate::util::Redactor::new(pw);
    let wait = lock_wait(lock, p)?;
    let _src_guard = ws.backend.lock("state migrate", wait).await?;
    let loaded = ws.backend.load().await?;
    if loaded.replayed > 0 || !loaded.state.intents.is_empty() {
        return Err(Failure::new(
            "the source state has steps from an interrupted run in its journal: finish it first \
             (strata apply or strata refresh), then migrate",
        ));
    }
    if !loaded.exists {
        return Err(Failure::new(format!(
            "there is no state to migrate at {}",
            ws.backend.describe()
        )));
    }
    let _dest_guard = dest.lock("state migrate", wait).await?;
    let there = dest.load().await?;
    if there.exists && (!there.state.resources.is_empty() || there.state.serial > 0) {
        return Err(Failure::new(hide.redact(&format!(
            "{} already holds a state for stack \"{}\" (serial {}): refusing to overwrite it",
            dest.describe(),
            ws.cfg.stack,
            there.state.serial
        ))));
    }
    let mut copy = loaded.state.clone();
    copy.serial = 0;
    dest.persist(&mut copy).await?;
    let back = dest.load().await?.state;
    let same = back.lineage == loaded.state.lineage
        && back.fingerprint_key == loaded.state.fingerprint_key
        && back.resources == loaded.state.resources
        && back.outputs == loaded.state.outputs
        && back.deposed == loaded.state.deposed;
    if !same {
        return Err(Failure::new(hide.redact(&format!(
            "the copy at {} does not read back equal to the source: do not switch to it",
            dest.describe()
        ))));
    }
    let target = match &dest_place {
        Place::Postgres(_) => {
            "backend: { type: postgres } (with the URL in STRATA_PG_URL)".to_string()
        }
        Place::File(p) => format!("backend: {{ type: local, path: {} }}", p.display()),
    };
    outln!(
        "{}",
        hide.redact(&format!(
            "Copied the state of stack \"{}\" ({} objects, lineage {}) from {} to {}, and read it back: identical.\nPoint the configuration at it with {target}; the source was left as it was.",
            ws.cfg.stack,
            loaded.state.resources.len(),
            loaded.state.lineage,
            ws.backend.describe(),
            dest.describe()
        ))
    );
    Ok(EXIT_OK)
}
