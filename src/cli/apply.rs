//! `strata apply` and `strata destroy`: lock, reconcile, refresh, plan, confirm, execute,
//! fold the journal into a new state snapshot, report. `apply PLAN_FILE` applies exactly a
//! saved plan, refusing it when the state moved since it was made.

use super::workspace::{lock_timeout, parse_addrs, print_notes, Prepared, Workspace};
use super::{
    ApplyArgs, Cli, CmdResult, DestroyArgs, Failure, LockArgs, VarArgs, EXIT_ERROR,
    EXIT_INTERRUPTED, EXIT_OK,
};
use crate::apply::report::{Bars, JsonEvents, Lines, Reporter};
use crate::apply::{execute, Shared};
use crate::config::vars::Missing;
use crate::plan::render::{style::Painter, text};
use crate::plan::scope::Objects;
use crate::plan::{saved, Action, Options, Plan};
use crate::state::backend::{Loaded, LockGuard};
use crate::value::Value;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

pub async fn run_apply(cli: &Cli, a: &ApplyArgs, p: Painter) -> CmdResult {
    if let Some(file) = &a.plan_file {
        return run_saved(cli, file, a, p).await;
    }
    let options = Options {
        destroy: false,
        refresh: a.refresh,
        targets: parse_addrs(&a.target, "--target")?,
        replace: parse_addrs(&a.replace, "--replace")?,
    };
    run(
        cli,
        &a.vars,
        &a.lock,
        options,
        a.auto_approve,
        a.parallelism,
        Style::of(a.json, p),
    )
    .await
}

pub async fn run_destroy(cli: &Cli, a: &DestroyArgs, p: Painter) -> CmdResult {
    let options = Options {
        destroy: true,
        refresh: true,
        targets: parse_addrs(&a.target, "--target")?,
        replace: Vec::new(),
    };
    run(
        cli,
        &a.vars,
        &a.lock,
        options,
        a.auto_approve,
        a.parallelism,
        Style::of(a.json, p),
    )
    .await
}

/// How progress and the result are reported: for people (coloured text, bars on a
/// terminal) or for tools (`--json`: one JSON event per line on stdout).
#[derive(Clone, Copy)]
pub enum Style {
    Text(Painter),
    Json,
}

impl Style {
    pub fn of(json: bool, p: Painter) -> Style {
        if json {
            Style::Json
        } else {
            Style::Text(p)
        }
    }

    /// The painter for human-facing lines (never colour when the output is JSON).
    pub fn painter(self) -> Painter {
        match self {
            Style::Text(p) => p,
            Style::Json => Painter { color: false },
        }
    }
}

/// How the plan is approved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Approval {
    /// Ask on a terminal unless --auto-approve.
    Ask { auto_approve: bool },
    /// A saved plan: making it was the review.
    Saved,
}

async fn run(
    cli: &Cli,
    vars: &VarArgs,
    lock: &LockArgs,
    options: Options,
    auto_approve: bool,
    parallelism: usize,
    style: Style,
) -> CmdResult {
    let p = style.painter();
    let ws = Workspace::open(cli, vars, Missing::Error)?;
    let op = if options.destroy { "destroy" } else { "apply" };
    let guard = ws.backend.lock(op, lock_timeout(lock)?).await?;
    if let Some(c) = guard.cleared() {
        errln!("{} {c}", p.yellow("Note:"));
    }
    let loaded = ws.backend.load().await?;
    print_notes(&loaded, &p);
    let prep = ws.prepare(loaded, options, parallelism).await?;
    finish(
        &ws,
        prep,
        guard,
        Approval::Ask { auto_approve },
        parallelism,
        style,
    )
    .await
}

/// Why a saved plan no longer applies, if it does not. Intents the plan reconciled (its
/// entries close them) are expected to be still open; any other means a run since.
fn stale(plan: &Plan, loaded: &Loaded, entries: &[crate::state::journal::Entry]) -> Option<String> {
    let st = &loaded.state;
    if st.lineage != plan.lineage {
        return Some(format!(
            "stale plan: it was made for state lineage {}, but the state's lineage is now {} \
             (a different state): make a new plan",
            plan.lineage, st.lineage
        ));
    }
    if st.serial != plan.serial {
        return Some(format!(
            "stale plan: the state moved from serial {} (when the plan was made) to serial {}: \
             make a new plan",
            plan.serial, st.serial
        ));
    }
    let closed: std::collections::HashSet<&str> =
        entries.iter().filter_map(|e| e.closes()).collect();
    let unseen = st
        .intents
        .iter()
        .filter(|i| !closed.contains(i.id.as_str()))
        .count();
    if loaded.replayed > 0 || unseen > 0 {
        return Some(format!(
            "stale plan: an interrupted run recorded {} step(s) in the journal since the plan \
             was made: make a new plan",
            loaded.replayed
        ));
    }
    None
}

async fn run_saved(cli: &Cli, file: &std::path::Path, a: &ApplyArgs, p: Painter) -> CmdResult {
    let style = Style::of(a.json, p);
    let p = style.painter();
    // The state comes from the working directory's config, never from the file: the file is
    // authenticated by a key only that state holds.
    let here = super::workspace::here_config(cli);
    let opened = super::workspace::backend(cli, &here)?;
    let backend = opened.0.clone();
    let guard = backend.lock("apply", lock_timeout(&a.lock)?).await?;
    if let Some(c) = guard.cleared() {
        errln!("{} {c}", p.yellow("Note:"));
    }
    let loaded = backend.load().await?;
    print_notes(&loaded, &p);
    let saved = saved::read(file, &loaded.state).map_err(Failure::new)?;
    if saved.plan.stack != here.stack {
        return Err(Failure::new(format!(
            "the saved plan is for stack \"{}\", but {} is stack \"{}\"",
            saved.plan.stack,
            cli.dir.display(),
            here.stack
        )));
    }
    let ws = Workspace::from_saved(&saved, &a.vars, &here, opened)?;
    if let Some(why) = stale(&saved.plan, &loaded, &saved.entries) {
        return Err(Failure::new(why));
    }
    ws.check_sensitive(&saved, &loaded.state)?;
    let providers = ws.providers(&loaded.state).await?;
    let base = loaded.state.header();
    let mut state = loaded.state;
    for e in &saved.entries {
        state.apply(e);
    }
    let prep = Prepared {
        plan: saved.plan,
        entries: saved.entries,
        base,
        state,
        providers: Arc::new(providers),
        replayed: 0,
    };
    finish(&ws, prep, guard, Approval::Saved, a.parallelism, style).await
}

async fn confirm(destroy: bool) -> Result<bool, Failure> {
    let (q, what) = if destroy {
        (
            "Do you really want to destroy all resources?",
            "strata will destroy all your managed infrastructure, as shown above.\n  There is no undo.",
        )
    } else {
        (
            "Do you want to perform these actions?",
            "strata will perform the actions described above.",
        )
    };
    outln!("\n{q}\n  {what}\n  Only 'yes' will be accepted to approve.\n");
    out!("  Enter a value: ");
    // Read on a blocking thread, so an interrupt while waiting cancels the command.
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| Failure::new(format!("reading the answer: {e}")))?
    .map_err(|e| Failure::new(format!("reading the answer: {e}")))?;
    let _ = std::io::stdout().flush();
    Ok(line.trim() == "yes")
}

/// The scope execution starts from: the state objects that changing blocks or outputs refer
/// to, and the data sources read while planning.
fn initial_scope(ws: &Workspace, prep: &Prepared, state: &crate::state::State) -> Objects {
    let mut needed: std::collections::HashSet<&crate::address::Address> = prep
        .plan
        .changes
        .iter()
        .filter(|c| c.action.is_change() || c.action == Action::Read)
        .flat_map(|c| c.depends_on.iter())
        .collect();
    for o in ws.cfg.outputs.values() {
        for r in o.value.refs() {
            if let crate::config::expr::Target::Object(a) = &r.target {
                needed.insert(a);
            }
        }
    }
    let mut o = Objects::new(ws.vars.clone());
    for (addr, r) in state.resources.iter().filter(|(a, _)| needed.contains(a)) {
        let mut v = r.attributes.clone();
        if let Value::Map(m) = &mut v {
            m.entry("id".to_string())
                .or_insert_with(|| Value::str(&r.id));
        }
        let sens = r
            .sensitive
            .keys()
            .filter_map(|k| crate::value::parse_path(k))
            .collect();
        o.set(addr.clone(), v, sens);
    }
    for c in &prep.plan.changes {
        if c.action == Action::Read && c.reason.is_none() {
            if let Some(after) = &c.after {
                o.set(c.addr.clone(), after.clone(), c.after_sensitive.clone());
            }
        }
    }
    // Objects outside the plan (not targeted) are unknown to references.
    for addr in ws.cfg.resources.keys() {
        if !o.objects.contains_key(addr) {
            o.set(addr.clone(), Value::Unknown, Vec::new());
        }
    }
    o
}

/// A placeholder while the real plan is shared with the executor.
fn empty_plan(base: &crate::state::State) -> Plan {
    Plan {
        stack: base.stack.clone(),
        lineage: base.lineage.clone(),
        serial: base.serial,
        changes: Vec::new(),
        outputs: Vec::new(),
        drift: Vec::new(),
        reconciled: Vec::new(),
        options: Options::default(),
        conflicts: Vec::new(),
    }
}

fn summary(plan: &Plan, done: &std::collections::BTreeMap<&'static str, usize>) -> String {
    let n = |k: &str| done.get(k).copied().unwrap_or(0);
    if plan.options.destroy {
        format!("Resources: {} destroyed.", n("delete"))
    } else {
        format!(
            "Resources: {} created, {} cloned, {} bound, {} updated, {} replaced, {} destroyed.",
            n("create"),
            n("clone"),
            n("bind"),
            n("update"),
            n("replace"),
            n("delete")
        )
    }
}

/// Record what planning found, show the plan, get approval, execute, fold, report.
async fn finish(
    ws: &Workspace,
    mut prep: Prepared,
    guard: Box<dyn LockGuard>,
    approval: Approval,
    parallelism: usize,
    style: Style,
) -> CmdResult {
    let p = style.painter();
    let json = matches!(style, Style::Json);
    let events = JsonEvents {
        redactor: ws.redactor.clone(),
        out: Mutex::new(Box::new(std::io::stdout())),
    };
    let destroy = prep.plan.options.destroy;
    let pending = prep.pending_entries();
    let scope = initial_scope(ws, &prep, &prep.state);
    let mut state_now = std::mem::replace(&mut prep.state, prep.base.header());
    for e in &pending[prep.entries.len().min(pending.len())..] {
        state_now.apply(e);
    }
    if !pending.is_empty() {
        ws.backend.append(&prep.base, &pending).await?;
    }
    let dirty = prep.replayed > 0 || !pending.is_empty();
    if json {
        events.emit(serde_json::json!({ "type": "plan", "plan": crate::plan::render::json::render(&prep.plan) }));
    } else {
        out!("{}", ws.redactor.redact(&text::render(&prep.plan, &p)));
    }
    let refuse = |message: String| async {
        if dirty {
            let mut st = state_now.clone();
            ws.backend.persist(&mut st).await?;
        }
        Err::<i32, Failure>(Failure::new(message))
    };
    if let Some(report) = prep.plan.conflict_report() {
        return refuse(report).await;
    }
    let op = if destroy { "destroy" } else { "apply" };
    if !prep.plan.has_changes() {
        if dirty {
            ws.backend.persist(&mut state_now).await?;
        }
        drop(guard);
        if json {
            events.emit(
                serde_json::json!({ "type": "summary", "operation": op, "done": {},
                "failures": [], "skipped": [], "interrupted": false, "exit_code": EXIT_OK }),
            );
        }
        return Ok(EXIT_OK);
    }
    if let Approval::Ask {
        auto_approve: false,
    } = approval
    {
        if json {
            return refuse(format!(
                "{op} --json cannot ask for approval: pass --auto-approve, or apply a saved plan \
                 (strata plan --out FILE; strata apply FILE --json)"
            ))
            .await;
        }
        if !std::io::stdin().is_terminal() {
            return refuse(format!(
                "{op} needs approval and there is no terminal to ask on: pass --auto-approve, \
                 or apply a saved plan (strata plan --out FILE; strata apply FILE)"
            ))
            .await;
        }
        if !confirm(destroy).await? {
            if dirty {
                ws.backend.persist(&mut state_now).await?;
            }
            outln!("\n{} cancelled.", if destroy { "Destroy" } else { "Apply" });
            return Err(Failure::quiet(EXIT_ERROR));
        }
    }
    if !json {
        outln!();
    }
    let operations = prep
        .plan
        .changes
        .iter()
        .map(|c| match c.action {
            Action::Replace => 2,
            Action::NoOp => 0,
            Action::Read if c.reason.is_none() => 0,
            _ => 1,
        })
        .sum::<u64>();
    let bars = (!json && std::io::stdout().is_terminal())
        .then(|| Arc::new(Bars::new(operations, p, ws.redactor.clone())));
    let reporter: Arc<dyn Reporter> = match (&bars, json) {
        (_, true) => Arc::new(JsonEvents {
            redactor: ws.redactor.clone(),
            out: Mutex::new(Box::new(std::io::stdout())),
        }),
        (Some(b), false) => b.clone(),
        (None, false) => Arc::new(Lines {
            painter: p,
            redactor: ws.redactor.clone(),
            out: Mutex::new(Box::new(std::io::stdout())),
        }),
    };
    let plan = Arc::new(std::mem::replace(&mut prep.plan, empty_plan(&prep.base)));
    let shared = Arc::new(Shared::new(
        ws.cfg.clone(),
        prep.providers.clone(),
        ws.backend.clone(),
        prep.base.clone(),
        state_now,
        scope,
        plan.clone(),
        reporter,
    ));
    // From here on interrupts are the executor's to handle, and the fold always runs.
    let protected = crate::apply::signals::protect();
    let mut outcome = execute(shared, parallelism, &protected).await;
    if let Some(b) = &bars {
        b.finish();
    }
    prep.plan = Arc::try_unwrap(plan).unwrap_or_else(|p| (*p).clone());
    let mut final_state = std::mem::replace(&mut outcome.state, prep.base.header());
    crate::util::checkpoint("before_fold");
    ws.backend.persist(&mut final_state).await?;
    drop(guard);
    let code = if outcome.interrupted {
        EXIT_INTERRUPTED
    } else if outcome.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    };
    if json {
        let outputs: serde_json::Map<String, serde_json::Value> = final_state
            .outputs
            .iter()
            .map(|(k, o)| {
                let v = if o.sensitive {
                    serde_json::Value::Null
                } else {
                    o.value.to_json()
                };
                (
                    k.clone(),
                    serde_json::json!({ "value": v, "sensitive": o.sensitive }),
                )
            })
            .collect();
        events.emit(serde_json::json!({
            "type": "summary",
            "operation": op,
            "done": outcome.done,
            "failures": outcome.failures.iter().map(crate::apply::Failure::to_json).collect::<Vec<_>>(),
            "skipped": outcome.skipped.iter().map(|(a, b)| serde_json::json!({ "address": a, "because": b })).collect::<Vec<_>>(),
            "interrupted": outcome.interrupted,
            "outputs": outputs,
            "exit_code": code,
        }));
        return Ok(code);
    }
    outln!();
    let title = if destroy { "Destroy" } else { "Apply" };
    let line = summary(&prep.plan, &outcome.done);
    if outcome.interrupted {
        outln!(
            "{} {line} The state is saved; run the command again to finish.",
            p.yellow(&p.bold(&format!("{title} interrupted.")))
        );
    } else if outcome.failures.is_empty() {
        outln!("{} {line}", p.green(&p.bold(&format!("{title} complete!"))));
    } else {
        outln!("{} {line}", p.red(&p.bold(&format!("{title} failed."))));
    }
    for (what, because) in &outcome.skipped {
        errln!(
            "{} {what}: not applied because {because} failed",
            p.yellow("Skipped:")
        );
    }
    for f in &outcome.failures {
        errln!(
            "{} {}: {}",
            p.red(&p.bold("Error:")),
            f.address,
            ws.redactor.redact(&f.error.to_string())
        );
    }
    if !destroy && outcome.ok() {
        super::output::print_outputs(&final_state, &p);
    }
    Ok(code)
}
