//! `strata init` in a directory that holds a stack: what `terraform init` prepares, checked
//! and reported, with nothing written — the configuration loads (syntax, structure,
//! modules), its provider families are built into strata (there is nothing to install), its
//! modules are found, and its state backend opens and reads. Exit 0 when all hold; 1, with
//! the problems, when one does not.

use crate::cli::workspace::{backend, print_diags};
use crate::cli::{Cli, CmdResult, Failure, EXIT_OK};
use crate::config::Config;
use crate::util::Redactor;
use std::collections::BTreeSet;
use std::path::Path;

pub async fn run(cli: &Cli, dir: &Path, provider: Option<&str>) -> CmdResult {
    let (cfg, diags) = crate::config::load(dir);
    print_diags(&diags, &Redactor::default());
    if diags.has_errors() {
        return Err(Failure::new(format!(
            "{}: the configuration does not load (above); fix it, then run strata init again",
            dir.display()
        )));
    }
    let (state, pw) = backend(cli, &cfg)?;
    let loaded = state.load().await?;
    let hide = Redactor::new(pw);
    outln!(
        "{} holds a stack already: nothing was written. Checked:",
        dir.display()
    );
    outln!("  - the configuration loads: {}", contents(&cfg));
    outln!(
        "  - provider families: {} — built in to strata {}, nothing to install",
        families(&cfg).join(", "),
        env!("CARGO_PKG_VERSION")
    );
    outln!("  - modules: {}", modules(&cfg));
    let serial = match loaded.exists {
        true => format!("serial {}", loaded.state.serial),
        false => "no state yet (the first apply writes it)".into(),
    };
    outln!(
        "  - the state: {}, {serial}",
        hide.redact(&state.describe())
    );
    if let Some(p) = provider {
        outln!("--provider {p}: no starter written (starters are for new directories).");
    }
    outln!("\nstrata has been successfully initialized!");
    Ok(EXIT_OK)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "2 files, 5 resources, 1 data source, 1 output".
fn contents(cfg: &Config) -> String {
    let data = cfg.resources.keys().filter(|a| a.is_data()).count();
    [
        plural(cfg.files.len(), "file", "files"),
        plural(cfg.resources.len() - data, "resource", "resources"),
        plural(data, "data source", "data sources"),
        plural(cfg.outputs.len(), "output", "outputs"),
    ]
    .join(", ")
}

/// The families the config's provider blocks and blocks use.
fn families(cfg: &Config) -> Vec<String> {
    let from_blocks = cfg
        .providers
        .keys()
        .map(|k| k.split('.').next().unwrap_or(k));
    let from_types = cfg.resources.keys().map(|a| a.provider());
    let used: BTreeSet<&str> = from_blocks.chain(from_types).collect();
    match used.is_empty() {
        true => vec!["none used yet".into()],
        false => used.into_iter().map(String::from).collect(),
    }
}

/// The module directories the stack calls, each found and loaded.
fn modules(cfg: &Config) -> String {
    if cfg.module_defs.is_empty() {
        return "none".into();
    }
    let dirs: Vec<&str> = cfg.module_defs.keys().map(String::as_str).collect();
    format!("{} found and loaded", dirs.join(", "))
}
