//! `strata validate`: every problem in the config, each with file, line, address and
//! attribute; `--json` for tools, in the shape of `terraform validate -json` (`validate::json`).
//! Exit 1 when anything is wrong.

mod json;

use super::workspace::{load_config, print_diags};
use super::{Cli, CmdResult, VarArgs, EXIT_ERROR, EXIT_OK};
use crate::config::vars::Missing;
use crate::plan::render::style::Painter;
use crate::util::Redactor;

pub fn run(cli: &Cli, json: bool, vars: &VarArgs, p: Painter) -> CmdResult {
    let depth = crate::config::validate::Depth::Full;
    let (cfg, diags) = match load_config(cli, vars, Missing::Unknown, depth) {
        Ok((cfg, _, diags)) => (cfg, diags),
        Err(failed) => *failed,
    };
    let mut diags = diags;
    let mut moves = crate::config::moves::check(&cfg);
    cfg.resolve_lines(&mut moves);
    diags.extend(moves);
    let errors = diags.errors();
    if json {
        let doc = json::document(&cfg, &diags);
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_diags(&diags, &Redactor::default());
        if errors == 0 {
            outln!(
                "{} The configuration is valid ({} resource{}, {} file{}).",
                p.green(&p.bold("Success!")),
                cfg.resources.len(),
                if cfg.resources.len() == 1 { "" } else { "s" },
                cfg.files.len(),
                if cfg.files.len() == 1 { "" } else { "s" }
            );
        } else {
            errln!(
                "\n{errors} error{} found.",
                if errors == 1 { "" } else { "s" }
            );
        }
    }
    Ok(if errors == 0 { EXIT_OK } else { EXIT_ERROR })
}
