//! `strata fmt [--check]`: rewrite the stack's YAML files in the canonical layout (see
//! `config::format`), keeping their comments; `--check` changes nothing and exits 3 when a file
//! is not formatted (Terraform's `fmt -check` code, for CI). A file that is not valid YAML is
//! an error (exit 1), whatever else is found.

use super::{Cli, CmdResult, Failure, EXIT_ERROR, EXIT_OK, EXIT_UNFORMATTED};
use crate::plan::render::style::Painter;

pub fn run(cli: &Cli, check: bool, diff: bool, p: Painter) -> CmdResult {
    let files = crate::config::yaml_files(
        std::fs::read_dir(&cli.dir)
            .map_err(|e| Failure::new(format!("{}: {e}", cli.dir.display())))?,
    );
    if files.is_empty() {
        return Err(Failure::new(format!(
            "{}: no *.yaml or *.yml files to format",
            cli.dir.display()
        )));
    }
    let mut unformatted = 0;
    let mut broken = 0;
    for f in &files {
        let text = crate::config::read_source(f)
            .map_err(|e| Failure::new(format!("{}: {e}", f.display())))?;
        let formatted = match crate::config::format::format(&text) {
            Ok(t) => t,
            Err(e) => {
                errln!(
                    "{} {}: not valid YAML, left as it is: {e}",
                    p.red("Error:"),
                    f.display()
                );
                broken += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if diff {
            let d = similar::TextDiff::from_lines(&text, &formatted);
            out!(
                "{}",
                d.unified_diff()
                    .header(&f.display().to_string(), &f.display().to_string())
            );
        }
        if check {
            outln!("{}", f.display());
        } else {
            crate::state::snapshot::write_atomic(f, formatted.as_bytes(), false)
                .map_err(|e| Failure::new(e.to_string()))?;
            outln!("formatted {}", f.display());
        }
    }
    if check && unformatted > 0 {
        errln!("{unformatted} file(s) are not formatted: run strata fmt");
    }
    Ok(if broken > 0 {
        EXIT_ERROR
    } else if check && unformatted > 0 {
        EXIT_UNFORMATTED
    } else {
        EXIT_OK
    })
}
