//! `strata apply` and `strata destroy`: lock, reconcile, refresh, plan, confirm, execute,
//! fold the journal into a new state snapshot, report. `apply PLAN_FILE` applies exactly a
//! saved plan, refusing it when the state moved since it was made.

use super::workspace::{lock_and_load, Prepared, Workspace};
use super::{
    ApplyArgs, Cli, CmdResult, DestroyArgs, Failure, LockArgs, PlanningArgs, EXIT_ERROR,
    EXIT_INTERRUPTED, EXIT_OK,
};
use crate::apply::report::{Bars, JsonEvents, Lines, Reporter};
use crate::apply::session::{operations, Session};
use crate::apply::Outcome;
use crate::config::vars::Missing;
use crate::plan::render::{style::Painter, text};
use crate::plan::{saved, Action, Options, Plan};
use crate::state::backend::{Loaded, LockGuard};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

/// `apply [PLAN_FILE]`; `apply --destroy` is `destroy`.
pub async fn run_apply(cli: &Cli, a: &ApplyArgs, p: Painter) -> CmdResult {
    if let Some(file) = &a.plan_file {
        return run_saved(cli, file, a, p).await;
    }
    start(cli, a, p).await
}

/// `destroy` is `apply` of a destroy plan: always refreshed, nothing replaced.
pub async fn run_destroy(cli: &Cli, a: &DestroyArgs, p: Painter) -> CmdResult {
    let a = ApplyArgs {
        plan_file: None,
        auto_approve: a.auto_approve,
        parallelism: a.parallelism,
        planning: PlanningArgs {
            refresh: true,
            refresh_only: false,
            target: a.target.clone(),
            replace: Vec::new(),
            exclude: a.exclude.clone(),
            destroy: true,
        },
        vars: a.vars.clone(),
        lock: a.lock.clone(),
        input: a.input.clone(),
        json: a.json,
    };
    start(cli, &a, p).await
}

/// Plan and apply (or destroy) as the arguments say.
async fn start(cli: &Cli, a: &ApplyArgs, p: Painter) -> CmdResult {
    let ws = Workspace::open(cli, &a.vars, Missing::Error)?;
    let options = a.planning.options(&ws.cfg)?;
    let approval = Approval::Ask {
        auto_approve: a.auto_approve,
        input: a.input.input,
    };
    let style = Style::of(a.json, p);
    run(&ws, &a.lock, options, approval, a.parallelism, style).await
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
    /// Ask on a terminal unless --auto-approve (never when --input=false).
    Ask { auto_approve: bool, input: bool },
    /// A saved plan: making it was the review.
    Saved,
}

/// Plan and apply; while the plan defers blocks (their `count` / `for_each` or what they
/// need is known only after apply), plan again with what the last pass made known and apply
/// that too — each pass a whole, journalled apply of its own.
async fn run(
    ws: &Workspace,
    lock: &LockArgs,
    options: Options,
    approval: Approval,
    parallelism: usize,
    style: Style,
) -> CmdResult {
    let p = style.painter();
    let op = if options.destroy { "destroy" } else { "apply" };
    let mut before: Option<Vec<crate::address::Address>> = None;
    loop {
        let (guard, loaded) = lock_and_load(ws.backend.as_ref(), op, lock, &p).await?;
        let prep = ws.prepare(loaded, options.clone(), parallelism).await?;
        let deferred = prep.plan.deferred.clone();
        if before.as_ref().is_some_and(|b| *b == deferred) {
            drop(guard);
            return Err(Failure::new(stuck(&deferred)));
        }
        let code = finish(ws, prep, guard, approval, parallelism, style).await?;
        if code != EXIT_OK || deferred.is_empty() {
            return Ok(code);
        }
        crate::util::checkpoint("deferred_replan");
        if !matches!(style, Style::Json) {
            outln!(
                "\n{} planning the deferred blocks now that the values they wait for are known: {}\n",
                p.bold("Deferred:"),
                names(&deferred)
            );
        }
        before = Some(deferred);
    }
}

fn names(addrs: &[crate::address::Address]) -> String {
    addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Applying made nothing the deferred blocks wait for known.
fn stuck(deferred: &[crate::address::Address]) -> String {
    format!(
        "{} are still deferred after an apply: what their count / for_each needs did not become \
         known. Check that it refers only to values the apply makes",
        names(deferred)
    )
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
    let (guard, loaded) = lock_and_load(opened.0.as_ref(), "apply", &a.lock, &p).await?;
    let saved = saved::read(file, &loaded.state).map_err(Failure::new)?;
    if saved.plan.stack != here.stack {
        return Err(Failure::new(format!(
            "the saved plan is for stack \"{}\", but {} is stack \"{}\"",
            saved.plan.stack,
            cli.dir.display(),
            here.stack
        )));
    }
    let ws = Workspace::from_saved(cli, &saved, &a.vars, &here, opened)?;
    if let Some(why) = stale(&saved.plan, &loaded, &saved.entries) {
        return Err(Failure::new(why));
    }
    saved
        .check_sensitive(&ws.vars, &loaded.state)
        .map_err(Failure::new)?;
    let providers = ws.providers(&loaded.state).await?;
    let base = loaded.state.header();
    let mut state = loaded.state;
    for e in &saved.entries {
        state.apply(e);
    }
    let prep = Prepared {
        plan: saved.plan,
        entries: saved.entries,
        moves: saved.moves,
        base,
        state,
        providers: Arc::new(providers),
        replayed: 0,
        imports: crate::plan::imports::Imports {
            entries: saved.imports,
            unconfigured: Vec::new(),
        },
    };
    let deferred = prep.plan.deferred.clone();
    let code = finish(&ws, prep, guard, Approval::Saved, a.parallelism, style).await?;
    if !deferred.is_empty() && !matches!(style, Style::Json) {
        outln!(
            "\n{} {} — the saved plan did not include them. Run `strata plan` (or `strata apply`) again to plan them now.",
            p.bold("Still deferred:"),
            names(&deferred)
        );
    }
    Ok(code)
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

fn summary(destroy: bool, done: &BTreeMap<Action, usize>) -> String {
    let n = |k: Action| done.get(&k).copied().unwrap_or(0);
    if destroy {
        format!("Resources: {} destroyed.", n(Action::Delete))
    } else {
        format!(
            "Resources: {} created, {} cloned, {} bound, {} updated, {} replaced, {} destroyed.",
            n(Action::Create),
            n(Action::Clone),
            n(Action::Bind),
            n(Action::Update),
            n(Action::Replace),
            n(Action::Delete)
        )
    }
}

/// Where a run's plan, progress and summary go.
struct Out<'a> {
    ws: &'a Workspace,
    style: Style,
    events: JsonEvents,
    /// "apply" or "destroy".
    op: &'static str,
}

impl Out<'_> {
    fn json(&self) -> bool {
        matches!(self.style, Style::Json)
    }

    fn show_plan(&self, plan: &Plan) {
        if self.json() {
            let doc = crate::plan::render::json::render(plan);
            self.events
                .emit(serde_json::json!({ "type": "plan", "plan": doc }));
        } else {
            let text = text::render(plan, &self.style.painter());
            out!("{}", self.ws.redactor.redact(&text));
        }
    }

    /// Progress for the executor: JSON events, bars on a terminal, or lines.
    fn reporter(&self, plan: &Plan) -> (Arc<dyn Reporter>, Option<Arc<Bars>>) {
        let redactor = self.ws.redactor.clone();
        let stdout = || Mutex::new(Box::new(std::io::stdout()) as Box<dyn Write + Send>);
        if self.json() {
            let events = JsonEvents {
                redactor,
                out: stdout(),
            };
            return (Arc::new(events), None);
        }
        let painter = self.style.painter();
        if std::io::stdout().is_terminal() {
            let bars = Arc::new(Bars::new(operations(plan), painter, redactor));
            return (bars.clone(), Some(bars));
        }
        let lines = Lines {
            painter,
            redactor,
            out: stdout(),
        };
        (Arc::new(lines), None)
    }

    /// The summary of a run with nothing to do.
    fn nothing_done(&self) {
        if self.json() {
            self.events.emit(
                serde_json::json!({ "type": "summary", "operation": self.op, "done": {},
                "failures": [], "skipped": [], "interrupted": false, "exit_code": EXIT_OK }),
            );
        }
    }

    fn json_summary(&self, outcome: &Outcome, code: i32, imported: usize) {
        let outputs: serde_json::Map<String, serde_json::Value> = outcome
            .state
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
        let done: BTreeMap<&str, usize> =
            outcome.done.iter().map(|(a, n)| (a.as_str(), *n)).collect();
        let pair = |k: &str, v: &str, (a, b): &(String, String)| serde_json::json!({ k: a, v: b });
        let mut done = serde_json::json!(done);
        if imported > 0 {
            done["import"] = serde_json::json!(imported);
        }
        self.events.emit(serde_json::json!({
            "type": "summary",
            "operation": self.op,
            "done": done,
            "failures": outcome.failures.iter().map(crate::apply::Failure::to_json).collect::<Vec<_>>(),
            "skipped": outcome.skipped.iter().map(|s| pair("address", "because", s)).collect::<Vec<_>>(),
            "interrupted": outcome.interrupted,
            "outputs": outputs,
            "exit_code": code,
        }));
    }

    fn text_summary(&self, outcome: &Outcome, destroy: bool, imported: usize) {
        let p = self.style.painter();
        outln!();
        let title = if destroy { "Destroy" } else { "Apply" };
        let mut line = summary(destroy, &outcome.done);
        if imported > 0 {
            line = line.replacen(
                "Resources: ",
                &format!("Resources: {imported} imported, "),
                1,
            );
        }
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
            let e = self.ws.redactor.redact(&f.error.to_string());
            errln!("{} {}: {e}", p.red(&p.bold("Error:")), f.address);
        }
        if !destroy && outcome.ok() {
            super::output::print_outputs(&outcome.state, &p);
        }
    }
}

/// Ask for approval unless it is given. `Err` when the run must stop: refused (with why), or
/// cancelled at the prompt.
async fn approve(approval: Approval, out: &Out<'_>, destroy: bool) -> Result<(), Failure> {
    let Approval::Ask {
        auto_approve: false,
        input,
    } = approval
    else {
        return Ok(());
    };
    let op = out.op;
    if out.json() {
        return Err(Failure::new(format!(
            "{op} --json cannot ask for approval: pass --auto-approve, or apply a saved plan \
             (strata plan --out FILE; strata apply FILE --json)"
        )));
    }
    if !input {
        return Err(Failure::new(format!(
            "{op} needs approval and --input=false forbids asking: pass --auto-approve, or \
             apply a saved plan (strata plan --out FILE; strata apply FILE)"
        )));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(format!(
            "{op} needs approval and there is no terminal to ask on: pass --auto-approve, \
             or apply a saved plan (strata plan --out FILE; strata apply FILE)"
        )));
    }
    if !confirm(destroy).await? {
        outln!("\n{} cancelled.", if destroy { "Destroy" } else { "Apply" });
        return Err(Failure::quiet(EXIT_ERROR));
    }
    Ok(())
}

fn exit_code(outcome: &Outcome) -> i32 {
    if outcome.interrupted {
        EXIT_INTERRUPTED
    } else if outcome.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

/// Record what planning found, show the plan, get approval, execute, fold, report.
async fn finish(
    ws: &Workspace,
    prep: Prepared,
    guard: Box<dyn LockGuard>,
    approval: Approval,
    parallelism: usize,
    style: Style,
) -> CmdResult {
    let destroy = prep.plan.options.destroy;
    let out = Out {
        ws,
        style,
        events: JsonEvents {
            redactor: ws.redactor.clone(),
            out: Mutex::new(Box::new(std::io::stdout())),
        },
        op: if destroy { "destroy" } else { "apply" },
    };
    let session = Session::begin(ws.backend.clone(), &ws.cfg, &ws.vars, prep).await?;
    out.show_plan(session.plan());
    if let Some(report) = session.plan().conflict_report() {
        session.stop().await?;
        return Err(Failure::new(report));
    }
    if !session.plan().has_changes() {
        session.stop().await?;
        drop(guard);
        out.nothing_done();
        return Ok(EXIT_OK);
    }
    if let Err(stopped) = approve(approval, &out, destroy).await {
        session.stop().await?;
        return Err(stopped);
    }
    if !out.json() {
        outln!();
    }
    let (reporter, bars) = out.reporter(session.plan());
    let imported = session.plan().summary().import;
    let outcome = session.execute(ws.cfg.clone(), reporter, parallelism).await;
    if let Some(b) = &bars {
        b.finish();
    }
    let outcome = outcome?;
    drop(guard);
    let code = exit_code(&outcome);
    if out.json() {
        out.json_summary(&outcome, code, imported);
    } else {
        out.text_summary(&outcome, destroy, imported);
    }
    Ok(code)
}
