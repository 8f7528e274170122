//! `strata init`: in a directory without a config, write a commented starter stack for a
//! chosen provider family, ready to run against the embedded sandbox (the starters are the
//! families' own, `families::Family::starter`; here they get the common header). In an
//! existing stack, change nothing and check it (`init::check`), so pipelines that run
//! `init -input=false` first go on.
//!
//! Invariant: `init` never overwrites or adds a file in a directory that holds a config.

mod check;

use super::{Cli, CmdResult, Failure, EXIT_OK};
use std::path::Path;

/// The comment every starter opens with.
const HEADER: &str = r#"# A strata stack: every *.yaml file in this directory is part of it.
#   strata validate                      check it
#   strata plan                          see what would change
#   strata apply                         make it so (asks for "yes")
# The docs: strata --help, strata schema (every type and argument).

"#;

/// The starter config of a family: the header, then the family's own starter.
pub fn starter(provider: &str) -> Option<String> {
    crate::families::find(provider).map(|f| format!("{HEADER}{}", f.starter))
}

/// The families `strata init` can start, in the registration list's order.
pub fn families() -> Vec<&'static str> {
    crate::families::ALL.iter().map(|f| f.name()).collect()
}

/// The family a starter is written for when `--provider` is not given.
const DEFAULT_FAMILY: &str = "huaweicloud";

/// Write a starter into `dir` (default: the `-C` directory), or — when it holds a config
/// already — check that stack and change nothing.
pub async fn run(cli: &Cli, dir: Option<&Path>, provider: Option<&str>) -> CmdResult {
    let dir = dir.unwrap_or(&cli.dir);
    let text = match provider {
        Some(name) => Some(starter(name).ok_or_else(|| unknown_family(name))?),
        None => None,
    };
    if holds_config(dir)? {
        return check::run(cli, dir, provider).await;
    }
    let provider = provider.unwrap_or(DEFAULT_FAMILY);
    let text = text
        .or_else(|| starter(provider))
        .ok_or_else(|| unknown_family(provider))?;
    std::fs::create_dir_all(dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let path = dir.join("main.yaml");
    std::fs::write(&path, text).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    outln!(
        "Wrote {}: a {provider} stack running on the embedded sandbox.\nNext: strata -C {} plan",
        path.display(),
        dir.display()
    );
    Ok(EXIT_OK)
}

fn unknown_family(name: &str) -> Failure {
    Failure::new(format!(
        "no starter for provider \"{name}\": choose one of {}",
        families().join(", ")
    ))
}

/// Whether `dir` holds a config file (`*.yaml` / `*.yml`); a missing directory holds none.
fn holds_config(dir: &Path) -> Result<bool, Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Failure::new(format!("{}: {e}", dir.display()))),
    };
    Ok(entries.filter_map(|e| e.ok()).any(|e| {
        matches!(
            e.path().extension().and_then(|x| x.to_str()),
            Some("yaml") | Some("yml")
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_a_starter_that_validates() {
        for f in crate::families::ALL {
            let text = starter(f.name()).expect("a starter");
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("main.yaml"), text).unwrap();
            let (cfg, diags) = crate::config::load(dir.path());
            assert!(!diags.has_errors(), "{}: {diags}", f.name());
            let (vars, vdiags) = crate::config::vars::resolve(
                &cfg,
                &[],
                &|_| None,
                crate::config::vars::Missing::Unknown,
            );
            assert!(!vdiags.has_errors(), "{}: {vdiags}", f.name());
            let diags = crate::config::validate::validate(
                &cfg,
                &vars,
                crate::config::validate::Depth::Full,
            );
            assert!(!diags.has_errors(), "{}: {diags}", f.name());
            assert!(cfg.providers.contains_key(f.name()));
        }
    }
}
