//! Preparing a plan, the sequence every planning command runs (`prepare`: reconcile the open
//! intents → refresh → plan), and what it prepared for an apply: the plan, the journal
//! entries recording what reconcile and refresh found, the state as loaded (the journal's
//! base) and as it is now, and the configured providers. `pending_entries` adds the data
//! sources read while planning, so applying records exactly what the plan saw.

use super::diff::PlanInput;
use super::{Action, Options, Plan};
use crate::address::Address;
use crate::config::vars::Vars;
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::providers::Providers;
use crate::state::backend::Loaded;
use crate::state::journal::Entry;
use crate::state::{Made, Object, ResourceState, State};
use crate::value::Value;
use std::sync::Arc;

pub struct Prepared {
    pub plan: Plan,
    /// Journal entries recording what reconcile and refresh found.
    pub entries: Vec<Entry>,
    /// The identity of the state as loaded (the journal's base: lineage, serial, key).
    pub base: State,
    /// The state after reconcile and refresh (before `moves`).
    pub state: State,
    /// The state-only steps of `moved:` / `removed:` (`plan::moves`): journaled only when the
    /// plan is executed (an apply refused or cancelled moves nothing). The plan was made
    /// against `state` with them applied.
    pub moves: Vec<Entry>,
    pub providers: Arc<Providers>,
    pub replayed: usize,
    /// The objects `import:` entries adopt (journalled on apply only) and the targets with
    /// no configuration (`plan::imports`).
    pub imports: super::imports::Imports,
}

impl Prepared {
    /// Journal entries to record before applying: what reconcile and refresh found, and the
    /// data sources read while planning (where the state differs).
    pub fn pending_entries(&self) -> Vec<Entry> {
        let mut out = self.entries.clone();
        out.extend(data_entries(&self.plan, &self.state));
        out
    }
}

fn data_entries(plan: &Plan, state: &State) -> Vec<Entry> {
    let mut out = Vec::new();
    for c in &plan.changes {
        if c.action != Action::Read || c.reason.is_some() {
            continue;
        }
        let Some(after) = &c.after else { continue };
        let id = after
            .get("id")
            .and_then(Value::scalar_text)
            .unwrap_or_default();
        let r = ResourceState::new(
            &c.addr,
            Object {
                id,
                attributes: after.clone(),
                made: Made::Read,
                sensitive: Default::default(),
            },
            c.depends_on.clone(),
        );
        if state.resources.get(&c.addr) != Some(&r) {
            out.push(Entry::Put {
                addr: c.addr.clone(),
                resource: r,
                intent: None,
            });
        }
    }
    // Data sources no longer in the plan are forgotten (unless targeting left them out, or
    // the plan is refresh-only: it reads none).
    let o = &plan.options;
    if o.targets.is_empty() && o.excludes.is_empty() && !o.refresh_only {
        for addr in state.resources.keys() {
            if addr.is_data() && !plan.changes.iter().any(|c| &c.addr == addr) {
                out.push(Entry::Remove {
                    addr: addr.clone(),
                    intent: None,
                });
            }
        }
    }
    out
}

/// Why preparing a plan failed: a message (already naming what failed), or the planner's
/// diagnostics.
pub enum PrepareError {
    Failed(String),
    Invalid(Diagnostics),
}

impl From<String> for PrepareError {
    fn from(s: String) -> PrepareError {
        PrepareError::Failed(s)
    }
}

/// What planning starts from.
pub struct PrepareInput<'a> {
    pub cfg: &'a Config,
    pub vars: &'a Vars,
    pub loaded: Loaded,
    pub providers: Providers,
    pub options: Options,
    /// Reads in flight at once while refreshing.
    pub parallelism: usize,
    /// `plan --generate-config-out`: import targets with no configuration are read, not
    /// refused.
    pub generate_config: bool,
}

/// The sequence every planning command runs: reconcile the open intents, refresh (unless
/// disabled), check `--replace` addresses, and plan.
pub async fn prepare(input: PrepareInput<'_>) -> Result<Prepared, PrepareError> {
    let PrepareInput {
        cfg,
        vars,
        loaded,
        providers,
        options,
        parallelism,
        generate_config,
    } = input;
    let mut state = loaded.state;
    let base = state.header();
    let (mut entries, reconciled) = reconcile(cfg, vars, &mut state, &providers).await?;
    let drift = if options.refresh {
        let (drift, more) = super::refresh::refresh(&mut state, &providers, parallelism)
            .await
            .map_err(|errs| errs.join("\n"))?;
        entries.extend(more);
        drift
    } else {
        Vec::new()
    };
    // an object, an instance, or a repeated block with an instance (they sort right after it)
    let in_state = |a: &Address| {
        let mut from = state.resources.range(a.clone()..);
        from.next().is_some_and(|(r, _)| r == a || r.in_block(a))
    };
    if let Some(a) = options.replace.iter().find(|a| !in_state(a)) {
        return Err(format!("--replace {a}: there is no such object in the state").into());
    }
    // `moved:` / `removed:`: state-only steps the diff sees applied (a refresh-only plan
    // moves, removes and imports nothing)
    let moves = match options.refresh_only {
        true => Default::default(),
        false => super::moves::resolve(cfg, &state).map_err(PrepareError::Invalid)?,
    };
    let seen = super::moves::applied(&state, &moves.entries);
    let moved = seen.as_ref().unwrap_or(&state);
    let imports = match options.destroy || options.refresh_only {
        true => Default::default(),
        false => super::imports::read(cfg, vars, moved, &providers, generate_config).await?,
    };
    let planning = imports.planning_state(moved);
    let input = PlanInput {
        cfg,
        vars,
        state: &planning,
        providers: Some(&providers),
        options: &options,
        drift,
        reconciled,
    };
    let mut plan = super::diff::plan(&input)
        .await
        .map_err(PrepareError::Invalid)?;
    let mut imports = imports;
    imports.mark(&mut plan);
    moves.annotate(&mut plan);
    Ok(Prepared {
        plan,
        entries,
        base,
        state,
        moves: moves.entries,
        providers: Arc::new(providers),
        replayed: loaded.replayed,
        imports,
    })
}

/// Reconcile the state's open intents (see `recovery::reconcile`), recovering a withheld
/// natural key from the configuration.
pub async fn reconcile(
    cfg: &Config,
    vars: &Vars,
    state: &mut State,
    providers: &Providers,
) -> Result<(Vec<Entry>, Vec<String>), String> {
    if state.intents.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let now = state.clone();
    let recover = |addr: &Address| natural_now(cfg, vars, &now, providers, addr);
    crate::recovery::reconcile(state, providers, &recover).await
}

/// The natural key the configuration gives `addr` now, evaluated against `state`; `None`
/// when it cannot be known yet.
fn natural_now(
    cfg: &Config,
    vars: &Vars,
    state: &State,
    providers: &Providers,
    addr: &Address,
) -> Option<Value> {
    use crate::config::instances::{by_key, instance_of};
    let base = cfg.block_of(addr)?;
    let mut scope = super::scope::PlanScope::new(vars.clone(), state).with_locals(cfg);
    scope.planned.dir = cfg.dir.clone();
    let (block, each) = match base.repeat {
        None => (base.clone(), None),
        Some(_) => instance_of(base, addr, &by_key(cfg, base, &scope).ok()?).ok()?,
    };
    scope.each = each;
    let mut diags = Diagnostics::default();
    let mut ev = crate::config::evaluate::evaluate(cfg, &block, &scope, &mut diags)?;
    if diags.has_errors() || ev.args.values().any(Value::has_unknown) {
        return None;
    }
    block.schema.apply_defaults(&mut ev.args);
    let driver = providers.resource(addr).ok()?;
    Some(driver.natural_key(&ev.args, ev.clone.as_ref()))
}
