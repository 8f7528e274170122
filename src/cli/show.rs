//! `strata show`: the state in readable form (or JSON, without keys or secrets).

use super::workspace::Workspace;
use super::{Cli, CmdResult, Failure, EXIT_OK};
use crate::plan::render::{style::Painter, text};
use crate::value::parse_path;

pub async fn run(
    cli: &Cli,
    plan_file: Option<&std::path::Path>,
    json: bool,
    p: Painter,
) -> CmdResult {
    if let Some(file) = plan_file {
        // Authenticated with the key of the working directory's state, as `apply` does.
        let here = Workspace::state_only(cli)?;
        let loaded = here.backend.load().await?;
        let saved = crate::plan::saved::read(file, &loaded.state).map_err(Failure::new)?;
        if json {
            let doc = crate::plan::render::json::render(&saved.plan);
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        } else {
            out!("{}", text::render(&saved.plan, &p));
            outln!(
                "\nSaved {} by strata {}, against state lineage {} serial {}.",
                saved.created,
                saved.strata_version,
                saved.plan.lineage,
                saved.plan.serial
            );
        }
        return Ok(EXIT_OK);
    }
    let ws = Workspace::state_only(cli)?;
    let loaded = ws.backend.load().await?;
    let state = loaded.state;
    if json {
        outln!("{}", document(&state)?);
        return Ok(EXIT_OK);
    }
    if state.resources.is_empty() && state.outputs.is_empty() {
        outln!(
            "The state is empty: nothing has been applied for stack \"{}\" ({}).",
            ws.cfg.stack,
            ws.backend.describe()
        );
        return Ok(EXIT_OK);
    }
    for (addr, r) in &state.resources {
        let sens: Vec<_> = r.sensitive.keys().filter_map(|k| parse_path(k)).collect();
        out!("{}", text::render_object(addr, &r.attributes, &sens, &p));
        outln!();
    }
    for d in &state.deposed {
        outln!(
            "# {} (deposed object {}, waiting to be destroyed)\n",
            d.addr,
            d.resource.id
        );
    }
    super::output::print_outputs(&state, &p);
    Ok(EXIT_OK)
}

/// The state as a JSON document (`show --json`, `state pull`), pretty: everything the state
/// holds but its fingerprint key, which stays in the backend (it authenticates saved plans
/// and keys the fingerprints of secrets).
pub fn document(state: &crate::state::State) -> Result<String, Failure> {
    let mut v = serde_json::to_value(state).map_err(|e| Failure::new(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.remove("fingerprint_key");
    }
    serde_json::to_string_pretty(&v).map_err(|e| Failure::new(e.to_string()))
}
