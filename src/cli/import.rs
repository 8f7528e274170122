//! `strata import ADDR ID`: adopt an object that already exists in the cloud into the state,
//! under an address the config declares and the state does not yet hold.

use super::workspace::{lock_timeout, print_notes, Workspace};
use super::{Cli, CmdResult, Failure, LockArgs, VarArgs, EXIT_OK};
use crate::address::Address;
use crate::config::vars::Missing;
use crate::plan::render::{style::Painter, text};
use crate::plan::sensitive;
use crate::providers::{CallCx, NoProgress};
use crate::state::journal::Entry;
use crate::state::{Made, Object, ResourceState};
use crate::value::Value;

pub async fn run(
    cli: &Cli,
    address: &str,
    id: &str,
    vars: &VarArgs,
    lock: &LockArgs,
    p: Painter,
) -> CmdResult {
    let ws = Workspace::open(cli, vars, Missing::Error)?;
    let addr = Address::parse(address).map_err(Failure::new)?;
    if addr.is_data() {
        return Err(Failure::new(format!(
            "{addr} is a data source: data sources are read, not imported"
        )));
    }
    let block = ws.cfg.resources.get(&addr).ok_or_else(|| {
        Failure::new(format!(
            "{addr} is not in the configuration: add a block for it first, then import into it"
        ))
    })?;
    let guard = ws.backend.lock("import", lock_timeout(lock)?).await?;
    if let Some(c) = guard.cleared() {
        errln!("{} {c}", p.yellow("Note:"));
    }
    let loaded = ws.backend.load().await?;
    print_notes(&loaded, &p);
    if let Some(r) = loaded.state.resources.get(&addr) {
        return Err(Failure::new(format!(
            "{addr} is already in the state (id {}): to import another object there, forget \
             this one first with `strata state rm {addr}`",
            r.id
        )));
    }
    let providers = ws.providers(&loaded.state).await?;
    let driver = providers.resource(&addr.ty).map_err(Failure::new)?;
    outln!(
        "{}: Importing from ID \"{id}\"...",
        p.bold(&addr.to_string())
    );
    let cx = CallCx {
        addr: &addr,
        timeout: block.timeout("read"),
        progress: &NoProgress,
    };
    let attrs = driver
        .import(&cx, id)
        .await
        .map_err(|e| Failure::new(ws.redactor.redact(&format!("{addr}: import failed: {e}"))))?
        .ok_or_else(|| {
            Failure::new(format!(
                "{addr}: no {} with id \"{id}\" exists: check the id (import takes the cloud's id)",
                addr.ty
            ))
        })?;
    let mut attributes = Value::Map(attrs);
    let paths = block.schema.sensitive_paths();
    let fps = sensitive::mask(&mut attributes, &paths, &loaded.state.fingerprint_key());
    let real_id = attributes
        .get("id")
        .and_then(Value::scalar_text)
        .unwrap_or_else(|| id.to_string());
    let resource = ResourceState::new(
        &addr,
        Object {
            id: real_id,
            attributes,
            made: Made::Imported,
            sensitive: fps,
        },
        block.dependencies(),
    );
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
