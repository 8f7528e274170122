//! `strata plan`: reconcile, refresh and diff, then render as text or JSON. Writes nothing.

use super::workspace::{parse_addrs, print_notes, Workspace};
use super::{Cli, CmdResult, Failure, PlanArgs, PlanFormat, EXIT_CHANGES, EXIT_OK};
use crate::config::vars::Missing;
use crate::plan::render::{json, style::Painter, text};
use crate::plan::Options;

pub async fn run(cli: &Cli, a: &PlanArgs, p: Painter) -> CmdResult {
    if a.out.is_some() {
        return Err(Failure::new(
            "plan --out: saved plans are not implemented in this version yet",
        ));
    }
    if a.format == PlanFormat::Markdown {
        return Err(Failure::new(
            "plan --format markdown is not implemented in this version yet; use text or json",
        ));
    }
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
    match a.format {
        PlanFormat::Json => outln!(
            "{}",
            ws.redactor
                .redact(&serde_json::to_string_pretty(&json::render(plan)).unwrap_or_default())
        ),
        _ => out!("{}", ws.redactor.redact(&text::render(plan, &p))),
    }
    Ok(if a.detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}
