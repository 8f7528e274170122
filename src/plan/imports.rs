//! Import blocks in the plan: each `import:` target (`config::imports::targets`) is read
//! through its driver by id before the diff, and the record that read makes is what the
//! planner diffs the configuration against — so the plan shows "will be imported" plus any
//! update the configuration asks for. The records are journalled only when the plan is
//! applied (`apply::session::Session::execute`), one `Put` entry each, before anything else.
//!
//! Invariants: an import makes no object, so an interrupted one converges on the next run: its
//! one journal entry is either written (the address is then in the state with the same id,
//! and the entry is a no-op) or not (it is planned again). An address already in the state is
//! a no-op with the same id and an error with another. An id the API does not know is an
//! error naming the entry. `strata import` reads through the same `read_object`.

use crate::address::{Address, Key};
use crate::config::imports::{targets, Target};
use crate::config::vars::Vars;
use crate::config::{Block, Config, Repeat};
use crate::providers::{CallCx, NoProgress, Providers};
use crate::recovery::record::{record, Masking, Returned};
use crate::schema::Schema;
use crate::state::journal::Entry;
use crate::state::{Made, ResourceState, State};
use crate::value::{Map, Value};
use crate::verb::Verb;
use std::time::Duration;

/// What the `import:` entries add to a plan.
#[derive(Debug, Clone, Default)]
pub struct Imports {
    /// One `Put` per object to adopt, journalled on apply.
    pub entries: Vec<Entry>,
    /// Targets that have no block in the configuration, with what the API returned (for
    /// `plan --generate-config-out`).
    pub unconfigured: Vec<(Target, Map)>,
}

impl Imports {
    /// The state the planner diffs against: `state` with the imported objects in it.
    pub fn planning_state<'s>(&self, state: &'s State) -> std::borrow::Cow<'s, State> {
        if self.entries.is_empty() {
            return std::borrow::Cow::Borrowed(state);
        }
        let mut s = state.clone();
        for e in &self.entries {
            s.apply(e);
        }
        std::borrow::Cow::Owned(s)
    }

    /// Mark the plan's changes of imported objects; an import the plan leaves out
    /// (`--target`, `--exclude`) is dropped, so applying adopts only what the plan shows.
    pub fn mark(&mut self, plan: &mut super::Plan) {
        let ids: Vec<(Address, String)> = self
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Put { addr, resource, .. } => Some((addr.clone(), resource.id.clone())),
                _ => None,
            })
            .collect();
        let mut shown = Vec::new();
        for c in plan.changes.iter_mut().filter(|c| c.deposed.is_none()) {
            if let Some((_, id)) = ids.iter().find(|(a, _)| *a == c.addr) {
                c.importing = Some(super::Importing { id: id.clone() });
                shown.push(c.addr.clone());
            }
        }
        self.entries.retain(|e| match e {
            Entry::Put { addr, .. } => shown.contains(addr),
            _ => false,
        });
    }

    /// The id being imported at `addr`, if any.
    pub fn id_of(&self, addr: &Address) -> Option<&str> {
        self.entries.iter().find_map(|e| match e {
            Entry::Put {
                addr: a, resource, ..
            } if a == addr => Some(resource.id.as_str()),
            _ => None,
        })
    }
}

/// Read every import target. Without `generating`, a target with no configuration is an
/// error; with it, the target is read and returned in `unconfigured`.
pub async fn read(
    cfg: &Config,
    vars: &Vars,
    state: &State,
    providers: &Providers,
    generating: bool,
) -> Result<Imports, String> {
    if cfg.imports.is_empty() {
        return Ok(Imports::default());
    }
    let mut scope = super::scope::PlanScope::new(vars.clone(), state).with_locals(cfg);
    scope.planned.dir = cfg.dir.clone();
    let mut out = Imports::default();
    for t in targets(cfg, &scope)? {
        if let Some(r) = state.resources.get(&t.to) {
            if r.id == t.id {
                continue; // already imported: nothing to do
            }
            return Err(format!(
                "{}: {} is already in the state with id \"{}\", not \"{}\": forget it first \
                 (`strata state rm {}`) or fix the id",
                t.entry, t.to, r.id, t.id, t.to
            ));
        }
        let block = match (cfg.block_of(&t.to), generating) {
            (Some(_), _) => block_for(cfg, &t.to).map_err(|e| format!("{}: {e}", t.entry))?,
            (None, true) => {
                let schema = unconfigured_schema(&t)?;
                let timeout = Duration::from_secs(schema.timeouts.create_s);
                let attrs = fetch(providers, &t.to, timeout, &t.id)
                    .await
                    .map_err(|e| format!("{}: {e}", t.entry))?;
                out.unconfigured.push((t, attrs));
                continue;
            }
            (None, false) => {
                return Err(format!(
                    "{}: {} is not in the configuration: add a block for it, or run `strata \
                     plan --generate-config-out FILE` to have one written",
                    t.entry, t.to
                ))
            }
        };
        let mut resource = read_object(providers, state, &block, &t.id)
            .await
            .map_err(|e| format!("{}: {e}", t.entry))?;
        adopt_write_only(cfg, &scope, &block, state, &mut resource);
        out.entries.push(Entry::Put {
            addr: t.to.clone(),
            resource,
            intent: None,
        });
    }
    Ok(out)
}

fn unconfigured_schema(t: &Target) -> Result<&'static Schema, String> {
    crate::schema::resource(&t.to.ty)
        .ok_or_else(|| format!("{}: no resource type \"{}\"", t.entry, t.to.ty))
}

/// The block (or instance) an import writes into: a managed resource the config declares,
/// addressed with a key exactly when it is repeated.
pub fn block_for(cfg: &Config, addr: &Address) -> Result<Block, String> {
    if addr.is_data() {
        return Err(format!(
            "{addr} is a data source: data sources are read, not imported"
        ));
    }
    let block = cfg.block_of(addr).ok_or_else(|| {
        format!("{addr} is not in the configuration: add a block for it first, then import into it")
    })?;
    let kind_fits = matches!(
        (&addr.key, &block.repeat),
        (None, None)
            | (Some(Key::Index(_)), Some(Repeat::Count(_)))
            | (Some(Key::Name(_)), Some(Repeat::ForEach(_)))
    );
    if !kind_fits {
        let b = &block.addr;
        return Err(match &block.repeat {
            None => format!("{b} has neither count nor for_each: import into {b}"),
            Some(Repeat::Count(_)) => format!("{b} uses count: import into {b}[N]"),
            Some(Repeat::ForEach(_)) => format!("{b} uses for_each: import into {b}[\"KEY\"]"),
        });
    }
    Ok(match &addr.key {
        Some(k) => block.instance(k.clone()),
        None => block.clone(),
    })
}

/// What the API returns for the object `id` of `addr`'s type; an error when it does not
/// know the id.
async fn fetch(
    providers: &Providers,
    addr: &Address,
    timeout: Duration,
    id: &str,
) -> Result<Map, String> {
    let driver = providers.resource(addr)?;
    let cx = CallCx {
        addr,
        timeout,
        progress: &NoProgress,
    };
    let missing = |answer: String| {
        format!(
            "{addr}: no {} with id \"{id}\" exists{answer}: check the id (import takes the cloud's id)",
            addr.ty
        )
    };
    match driver.import(&cx, id).await {
        Ok(Some(attrs)) => Ok(attrs),
        Ok(None) => Err(missing(String::new())),
        Err(e) if e.status == Some(404) || e.code.ends_with("NotFound") => Err(missing(format!(
            " (the API answered {}: {})",
            e.code, e.message
        ))),
        Err(e) => Err(format!("{addr}: import failed: {e}")),
    }
}

/// Read the object `id` from the cloud, as the state records it.
pub async fn read_object(
    providers: &Providers,
    state: &State,
    block: &Block,
    id: &str,
) -> Result<ResourceState, String> {
    let addr = &block.addr;
    let attributes = fetch(providers, addr, block.timeout(Verb::Import), id).await?;
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
    let provider = providers.config_of(addr);
    Ok(record(
        addr,
        returned,
        &masking,
        block.dependencies(),
        provider,
    ))
}

/// Secrets the API never returns (write-only, such as a password) are taken as the
/// configuration gives them: their fingerprints join the record where the API returned none,
/// so an import planned against the configuration that made the object shows no change
/// there. A secret the API does return keeps its own fingerprint.
fn adopt_write_only(
    cfg: &Config,
    scope: &super::scope::PlanScope<'_>,
    block: &Block,
    state: &State,
    resource: &mut ResourceState,
) {
    use crate::config::instances::{by_key, instance_of};
    let paths = block.schema.sensitive_paths();
    if paths.is_empty() {
        return;
    }
    let Some(base) = cfg.block_of(&block.addr) else {
        return;
    };
    let each = match base.repeat {
        None => None,
        Some(_) => by_key(cfg, base, scope)
            .ok()
            .and_then(|m| instance_of(base, &block.addr, &m).ok())
            .and_then(|(_, e)| e),
    };
    let inst = crate::config::instances::InstanceScope {
        inner: scope,
        each: &each.clone().unwrap_or_else(|| {
            crate::config::instances::Each::unknown(crate::config::instances::RepeatKind::ForEach)
        }),
    };
    let used: &dyn crate::config::eval::Scope = match each {
        Some(_) => &inst,
        None => scope,
    };
    let mut diags = crate::diag::Diagnostics::default();
    let Some(ev) = crate::config::evaluate::evaluate(cfg, block, used, &mut diags) else {
        return;
    };
    let mut desired = Value::Map(ev.args);
    let fps = crate::state::sensitive::mask(&mut desired, &paths, &state.fingerprint_key());
    for (k, fp) in fps {
        resource.sensitive.entry(k).or_insert(fp);
    }
}

/// The markdown table's cells of an imported object: symbol, action and why.
pub fn markdown_row(c: &super::Change, id: &str, reason: String) -> (&'static str, String, String) {
    let from = format!("imported from `{}`", id.replace('`', "'"));
    match c.action {
        super::Action::NoOp => ("<-", "import".into(), from),
        a if reason.is_empty() => ("<-", format!("import, {}", a.as_str()), from),
        a => (
            "<-",
            format!("import, {}", a.as_str()),
            format!("{from}; {reason}"),
        ),
    }
}
