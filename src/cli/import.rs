//! `strata import ADDR ID`: adopt an object that already exists in the cloud into the state,
//! under an address the config declares and the state does not yet hold.

use super::workspace::{lock_and_load, Workspace};
use super::{Cli, CmdResult, Failure, LockArgs, VarArgs, EXIT_OK};
use crate::address::{Address, Key};
use crate::config::vars::Missing;
use crate::config::{Block, Repeat};
use crate::plan::render::{style::Painter, text};
use crate::providers::{CallCx, NoProgress, Providers};
use crate::recovery::record::{record, Masking, Returned};
use crate::state::journal::Entry;
use crate::state::{Made, ResourceState, State};
use crate::value::Value;
use crate::verb::Verb;

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
    if addr.is_data() {
        return Err(Failure::new(format!(
            "{addr} is a data source: data sources are read, not imported"
        )));
    }
    let block = ws.cfg.block_of(&addr).ok_or_else(|| {
        Failure::new(format!(
            "{addr} is not in the configuration: add a block for it first, then import into it"
        ))
    })?;
    let kind_fits = matches!(
        (&addr.key, &block.repeat),
        (None, None)
            | (Some(Key::Index(_)), Some(Repeat::Count(_)))
            | (Some(Key::Name(_)), Some(Repeat::ForEach(_)))
    );
    if !kind_fits {
        let want = match &block.repeat {
            None => format!(
                "{} has neither count nor for_each: import into {}",
                block.addr, block.addr
            ),
            Some(Repeat::Count(_)) => {
                format!("{} uses count: import into {}[N]", block.addr, block.addr)
            }
            Some(Repeat::ForEach(_)) => format!(
                "{} uses for_each: import into {}[\"KEY\"]",
                block.addr, block.addr
            ),
        };
        return Err(Failure::new(want));
    }
    let block = match &addr.key {
        Some(k) => block.instance(k.clone()),
        None => block.clone(),
    };
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
    let addr = &block.addr;
    let driver = providers.resource(&addr.ty).map_err(Failure::new)?;
    let cx = CallCx {
        addr,
        timeout: block.timeout(Verb::Import),
        progress: &NoProgress,
    };
    let attributes = driver
        .import(&cx, id)
        .await
        .map_err(|e| Failure::new(ws.redactor.redact(&format!("{addr}: import failed: {e}"))))?
        .ok_or_else(|| {
            Failure::new(format!(
                "{addr}: no {} with id \"{id}\" exists: check the id (import takes the cloud's id)",
                addr.ty
            ))
        })?;
    let real_id = attributes
        .get("id")
        .and_then(Value::scalar_text)
        .unwrap_or_else(|| id.to_string());
    let returned = Returned {
        id: real_id,
        attributes,
        made: Made::Imported,
        tainted: false,
    };
    let masking = Masking {
        paths: &block.schema.sensitive_paths(),
        desired: None,
        fkey: &state.fingerprint_key(),
    };
    Ok(record(addr, returned, &masking, block.dependencies()))
}
