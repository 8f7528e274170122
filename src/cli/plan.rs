//! `strata plan`: reconcile, refresh and diff, then render as text or JSON. Writes nothing.

use super::workspace::{lock_wait, print_notes, Workspace};
use super::{Cli, CmdResult, Failure, PlanArgs, PlanFormat, EXIT_CHANGES, EXIT_OK};
use crate::config::vars::Missing;
use crate::plan::render::{json, markdown, style::Painter, text};
use crate::plan::saved;
use crate::state::backend::Loaded;
use crate::state::StateError;

pub async fn run(cli: &Cli, a: &PlanArgs, p: Painter) -> CmdResult {
    let ws = Workspace::open(cli, &a.vars, Missing::Error)?;
    let options = a.planning.options(&ws.cfg)?;
    if let Some(f) = a.generate_config_out.as_ref().filter(|f| f.exists()) {
        return Err(Failure::new(crate::plan::generate::refused(f)));
    }
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
    let prep = ws
        .prepare_with(loaded, options, a.parallelism, generating)
        .await?;
    if let Some(file) = &a.generate_config_out {
        generate(file, &prep, &p)?;
    }
    let plan = &prep.plan;
    let rendered = match a.format {
        PlanFormat::Json => {
            serde_json::to_string_pretty(&json::render(plan)).unwrap_or_default() + "\n"
        }
        PlanFormat::Markdown => markdown::render(plan),
        PlanFormat::Text => text::render(plan, &p),
    };
    out!("{}", ws.redactor.redact(&rendered));
    if let Some(report) = plan.conflict_report() {
        return Err(Failure::new(ws.redactor.redact(&report)));
    }
    if let Some(file) = &a.out {
        saved::write(
            file,
            &saved::Saved::new(&prep, &ws.cfg, &ws.vars).map_err(Failure::new)?,
            &mac_key,
        )
        .map_err(Failure::new)?;
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
