//! `strata plan`: reconcile, refresh and diff, then render as text or JSON. Writes nothing.

use super::workspace::{parse_addrs, print_notes, Workspace};
use super::{Cli, CmdResult, Failure, PlanArgs, PlanFormat, EXIT_CHANGES, EXIT_OK};
use crate::config::vars::Missing;
use crate::plan::render::{json, markdown, style::Painter, text};
use crate::plan::{saved, Options};

pub async fn run(cli: &Cli, a: &PlanArgs, p: Painter) -> CmdResult {
    let ws = Workspace::open(cli, &a.vars, Missing::Error)?;
    let options = Options {
        destroy: a.destroy,
        refresh: a.refresh,
        targets: parse_addrs(&a.target, "--target")?,
        replace: parse_addrs(&a.replace, "--replace")?,
    };
    let loaded = ws.backend.load().await?;
    print_notes(&loaded, &p);
    let prep = ws.prepare(loaded, options, a.parallelism).await?;
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
        saved::write(file, &ws.save(&prep)).map_err(Failure::new)?;
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
