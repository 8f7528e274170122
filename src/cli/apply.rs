//! `strata apply` and `strata destroy`: lock, reconcile, refresh, plan, confirm, execute,
//! fold the journal into a new state snapshot, report.

use super::workspace::{lock_timeout, parse_addrs, print_notes, Prepared, Workspace};
use super::{
    ApplyArgs, Cli, CmdResult, DestroyArgs, Failure, LockArgs, VarArgs, EXIT_ERROR,
    EXIT_INTERRUPTED, EXIT_OK,
};
use crate::apply::report::Lines;
use crate::apply::{execute, Shared};
use crate::config::vars::Missing;
use crate::plan::render::{style::Painter, text};
use crate::plan::scope::Objects;
use crate::plan::{Action, Options, Plan};
use crate::state::journal::Entry;
use crate::state::{Made, Object, ResourceState};
use crate::value::Value;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

pub async fn run_apply(cli: &Cli, a: &ApplyArgs, p: Painter) -> CmdResult {
    if a.plan_file.is_some() {
        return Err(Failure::new(
            "apply PLAN_FILE: saved plans are not implemented in this version yet",
        ));
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
        p,
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
        p,
    )
    .await
}

fn confirm(destroy: bool) -> Result<bool, Failure> {
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
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(format!("reading the answer: {e}")))?;
    Ok(line.trim() == "yes")
}

/// The scope execution starts from: state objects and the data sources read while planning.
fn initial_scope(ws: &Workspace, prep: &Prepared) -> Objects {
    let mut o = Objects::new(ws.vars.clone());
    for (addr, r) in &prep.state.resources {
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

/// Journal entries storing data sources read at plan time, where state differs.
fn data_entries(prep: &Prepared) -> Vec<Entry> {
    let mut out = Vec::new();
    for c in &prep.plan.changes {
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
        if prep.state.resources.get(&c.addr) != Some(&r) {
            out.push(Entry::Put {
                addr: c.addr.clone(),
                resource: r,
                intent: None,
            });
        }
    }
    // Data sources no longer in the config are forgotten.
    for addr in prep.state.resources.keys() {
        if addr.is_data() && !prep.plan.changes.iter().any(|c| &c.addr == addr) {
            out.push(Entry::Remove {
                addr: addr.clone(),
                intent: None,
            });
        }
    }
    out
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

#[allow(clippy::too_many_arguments)]
async fn run(
    cli: &Cli,
    vars: &VarArgs,
    lock: &LockArgs,
    options: Options,
    auto_approve: bool,
    parallelism: usize,
    p: Painter,
) -> CmdResult {
    let ws = Workspace::open(cli, vars, Missing::Error)?;
    let op = if options.destroy { "destroy" } else { "apply" };
    let guard = ws.backend.lock(op, lock_timeout(lock)?).await?;
    if let Some(c) = guard.cleared() {
        errln!("{} {c}", p.yellow("Note:"));
    }
    let loaded = ws.backend.load().await?;
    print_notes(&loaded, &p);
    let destroy = options.destroy;
    let prep = ws.prepare(loaded, options, parallelism).await?;
    let mut pending = prep.entries.clone();
    pending.extend(data_entries(&prep));
    if !pending.is_empty() {
        ws.backend.append(&prep.base, &pending).await?;
    }
    let mut state_now = prep.state.clone();
    for e in data_entries(&prep) {
        state_now.apply(&e);
    }
    let dirty = prep.replayed > 0 || !pending.is_empty();
    out!("{}", ws.redactor.redact(&text::render(&prep.plan, &p)));
    if !prep.plan.has_changes() {
        if dirty {
            ws.backend.persist(&mut state_now).await?;
        }
        drop(guard);
        return Ok(EXIT_OK);
    }
    if !auto_approve {
        if !std::io::stdin().is_terminal() {
            if dirty {
                ws.backend.persist(&mut state_now).await?;
            }
            return Err(Failure::new(format!(
                "{op} needs approval and there is no terminal to ask on: pass --auto-approve"
            )));
        }
        if !confirm(destroy)? {
            if dirty {
                ws.backend.persist(&mut state_now).await?;
            }
            outln!("\n{} cancelled.", if destroy { "Destroy" } else { "Apply" });
            return Err(Failure::quiet(EXIT_ERROR));
        }
    }
    outln!();
    let changes: HashMap<_, _> = prep
        .plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_none())
        .map(|c| (c.addr.clone(), c.clone()))
        .collect();
    let deposed: HashMap<_, _> = prep
        .plan
        .changes
        .iter()
        .filter_map(|c| c.deposed.clone().map(|d| ((c.addr.clone(), d), c.clone())))
        .collect();
    let reporter = Arc::new(Lines {
        painter: p,
        redactor: ws.redactor.clone(),
        out: Mutex::new(Box::new(std::io::stdout())),
    });
    let shared = Arc::new(Shared {
        cfg: ws.cfg.clone(),
        providers: prep.providers.clone(),
        backend: ws.backend.clone(),
        base: prep.base.clone(),
        state: Mutex::new(state_now),
        objects: Mutex::new(initial_scope(&ws, &prep)),
        changes,
        deposed,
        reporter,
    });
    let outcome = execute(shared, &prep.plan, parallelism).await;
    let mut final_state = outcome.state.clone().unwrap_or(prep.state);
    crate::util::checkpoint("before_fold");
    ws.backend.persist(&mut final_state).await?;
    drop(guard);
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
    for (addr, e) in &outcome.failures {
        errln!(
            "{} {addr}: {}",
            p.red(&p.bold("Error:")),
            ws.redactor.redact(e)
        );
    }
    if !destroy && outcome.ok() {
        super::output::print_outputs(&final_state, &p);
    }
    Ok(if outcome.interrupted {
        EXIT_INTERRUPTED
    } else if outcome.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}
