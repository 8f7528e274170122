//! `strata plan`: reconcile, refresh and diff, then render as text, JSON or markdown. Writes
//! nothing but the saved plan (`--out`). With `--format markdown` a failed plan prints a
//! comment of its own on stdout: the step that failed and every diagnostic reported.

use super::workspace::{lock_wait, print_notes, Workspace};
use super::{reported, Cli, CmdResult, Failure, PlanArgs, PlanFormat, EXIT_CHANGES, EXIT_OK};
use crate::config::vars::Missing;
use crate::plan::render::{json, markdown, style::Painter, text};
use crate::plan::saved;
use crate::state::backend::Loaded;
use crate::state::StateError;

/// The step a plan is at: on a failure, what failed.
#[derive(Clone, Copy)]
enum Step {
    Config,
    Arguments,
    State,
    Planning,
    Generating,
    Saving,
    /// The plan was rendered and printed: a failure now is reported beside it.
    Printed,
}

impl Step {
    /// What failed, in words; `f`: the failure.
    fn failed(self, f: &Failure) -> &'static str {
        match self {
            Step::Config => "the configuration could not be loaded or is not valid",
            Step::Arguments => "an address given on the command line is not valid",
            Step::State => "the state could not be read",
            // diagnostics already printed: the planner found the configuration invalid
            Step::Planning if f.message.is_empty() => "the configuration is not valid",
            Step::Planning => "refreshing or planning failed",
            Step::Generating => "the configuration of the import targets could not be written",
            Step::Saving => "the plan could not be saved",
            Step::Printed => "",
        }
    }
}

pub async fn run(cli: &Cli, a: &PlanArgs, p: Painter) -> CmdResult {
    if a.format != PlanFormat::Markdown {
        return plan(cli, a, p, &mut Step::Config).await;
    }
    // A failed plan is a comment too: what failed and every diagnostic, on stdout.
    reported::start();
    let mut step = Step::Config;
    let result = plan(cli, a, p, &mut step).await;
    let mut diagnostics = reported::take();
    match result {
        Err(f) if !matches!(step, Step::Printed) => {
            if !f.message.is_empty() {
                diagnostics.push(format!("Error: {}", f.message));
            }
            let stack = crate::config::validate::stack_name(&cli.dir);
            let what = step.failed(&f);
            out!(
                "{}",
                markdown::failure(&stack, what, &diagnostics, a.link())
            );
            Err(f)
        }
        other => other,
    }
}

async fn plan(cli: &Cli, a: &PlanArgs, p: Painter, step: &mut Step) -> CmdResult {
    let ws = Workspace::open(cli, &a.vars, Missing::Error)?;
    *step = Step::Arguments;
    let options = a.planning.options(&ws.cfg)?;
    *step = Step::Generating;
    if let Some(f) = a.generate_config_out.as_ref().filter(|f| f.exists()) {
        return Err(Failure::new(crate::plan::generate::refused(f)));
    }
    *step = Step::State;
    let mut loaded = ws.backend.load().await?;
    print_notes(&loaded, &p);
    if a.out.is_some() && !loaded.exists {
        // The key that authenticates a saved plan stays in the state backend: a stack with
        // no state yet gets an empty one (serial 1) to hold it.
        let _guard = ws
            .backend
            .lock("plan --out", lock_wait(&a.lock, &p)?)
            .await?;
        ws.backend.persist(&mut loaded.state).await?;
        loaded.exists = true;
    }
    leave_live_intents(&ws, &mut loaded, &p).await;
    let mac_key = saved::mac_key(&loaded.state);
    let generating = a.generate_config_out.is_some();
    *step = Step::Planning;
    let prep = ws
        .prepare_with(loaded, options, a.parallelism, generating)
        .await?;
    if let Some(file) = &a.generate_config_out {
        *step = Step::Generating;
        generate(file, &prep, &p)?;
    }
    let plan = &prep.plan;
    let doc = json::render(plan, &json::Context::now(&ws.cfg, &ws.vars));
    let rendered = match a.format {
        PlanFormat::Json => json::text(&doc, a.pretty),
        PlanFormat::Markdown => markdown::render(plan, a.link()),
        PlanFormat::Text => text::render(plan, &p),
    };
    let conflict = plan.conflict_report();
    if let (Some(file), None) = (&a.out, &conflict) {
        // saved before the plan is shown: what is shown is what was saved
        *step = Step::Saving;
        let saved = saved::Saved::new(&prep, &ws.cfg, &ws.vars).map_err(Failure::new)?;
        saved::write(file, &saved, &doc, &mac_key).map_err(Failure::new)?;
    }
    out!("{}", ws.redactor.redact(&rendered));
    *step = Step::Printed;
    if let Some(report) = conflict {
        return Err(Failure::new(ws.redactor.redact(&report)));
    }
    if let Some(file) = &a.out {
        if a.format == PlanFormat::Text {
            outln!(
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    strata -C {} apply {}",
                file.display(),
                cli.dir.display(),
                file.display()
            );
        } else {
            errln!("Saved the plan to: {}", file.display());
        }
    }
    let code = if a.detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    crate::util::leak_at_exit(prep);
    crate::util::leak_at_exit(ws);
    Ok(code)
}

/// Write the configuration of the import targets that have none (`--generate-config-out`).
fn generate(
    file: &std::path::Path,
    prep: &crate::plan::prepared::Prepared,
    p: &Painter,
) -> Result<(), Failure> {
    let targets = &prep.imports.unconfigured;
    if targets.is_empty() {
        errln!(
            "{} every import target has a configuration: nothing was generated",
            p.yellow("Note:")
        );
        return Ok(());
    }
    let text = crate::plan::generate::yaml(targets).map_err(Failure::new)?;
    crate::plan::generate::write_new(file, &text).map_err(Failure::new)?;
    let names: Vec<String> = targets.iter().map(|(t, _)| t.to.to_string()).collect();
    errln!(
        "{} wrote the configuration of {} to {}: review it, then plan again (they are left out of this plan)",
        p.yellow("Note:"),
        names.join(", "),
        file.display()
    );
    Ok(())
}

/// A plan takes no lock: when the open intents belong to an apply that is running now (it
/// holds the lock), they are its calls in flight, not an interrupted run's. They are left to
/// it — not reconciled, and not reported as left open.
async fn leave_live_intents(ws: &Workspace, loaded: &mut Loaded, p: &Painter) {
    if loaded.state.intents.is_empty() {
        return;
    }
    match ws.backend.lock("plan", std::time::Duration::ZERO).await {
        Ok(probe) => drop(probe),
        Err(StateError::Locked(holder)) => {
            errln!(
                "{} {} operation(s) are in flight in a running command ({holder}); this plan \
                 shows the state as last recorded and leaves them to it.",
                p.yellow("Note:"),
                loaded.state.intents.len()
            );
            loaded.state.intents.clear();
        }
        Err(_) => {}
    }
}
