//! `strata import ADDR ID`: adopt an object that already exists in the cloud into the state,
//! under an address the config declares and the state does not yet hold.

use super::workspace::{lock_and_load, Workspace};
use super::{Cli, CmdResult, Failure, LockArgs, VarArgs, EXIT_OK};
use crate::address::Address;
use crate::config::vars::Missing;
use crate::config::Block;
use crate::plan::render::{style::Painter, text};
use crate::providers::Providers;
use crate::state::journal::Entry;
use crate::state::{ResourceState, State};

pub async fn run(
    cli: &Cli,
    address: &str,
    id: &str,
    vars: &VarArgs,
    lock: &LockArgs,
    p: Painter,
) -> CmdResult {
    let ws = Workspace::open(cli, vars, Missing::Error)?;
    let (addr, block) = target(&ws, address)?;
    let (guard, loaded) = lock_and_load(ws.backend.as_ref(), "import", lock, &p).await?;
    if let Some(r) = loaded.state.resources.get(&addr) {
        return Err(Failure::new(format!(
            "{addr} is already in the state (id {}): to import another object there, forget \
             this one first with `strata state rm {addr}`",
            r.id
        )));
    }
    let providers = ws.providers(&loaded.state).await?;
    outln!(
        "{}: Importing from ID \"{id}\"...",
        p.bold(&addr.to_string())
    );
    let resource = read(&ws, &providers, &loaded.state, &block, id).await?;
    let paths = block.schema.sensitive_paths();
    let shown = text::render_object(&addr, &resource.attributes, &paths, &p);
    let mut state = loaded.state.clone();
    let entry = Entry::Put {
        addr: addr.clone(),
        resource,
        intent: None,
    };
    ws.backend
        .append(&loaded.state, std::slice::from_ref(&entry))
        .await?;
    state.apply(&entry);
    ws.backend.persist(&mut state).await?;
    drop(guard);
    out!("{}", ws.redactor.redact(&shown));
    outln!(
        "\n{} {addr} is now in the state. Run `strata plan` to see how the configuration and the object differ.",
        p.green(&p.bold("Import successful!"))
    );
    Ok(EXIT_OK)
}

/// The address to import into: a managed resource the config declares.
fn target(ws: &Workspace, address: &str) -> Result<(Address, Block), Failure> {
    let addr = Address::parse(address).map_err(Failure::new)?;
    let block = crate::plan::imports::block_for(&ws.cfg, &addr).map_err(Failure::new)?;
    Ok((addr, block))
}

/// Read the object `id` from the cloud, as the state records it.
async fn read(
    ws: &Workspace,
    providers: &Providers,
    state: &State,
    block: &Block,
    id: &str,
) -> Result<ResourceState, Failure> {
    crate::plan::imports::read_object(providers, state, block, id)
        .await
        .map_err(|e| Failure::new(ws.redactor.redact(&e)))
}
