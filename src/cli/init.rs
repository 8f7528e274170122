//! `strata init`: write a commented starter stack for a chosen provider family, ready to run
//! against the embedded sandbox. The starters are the families' own (`families::Family::
//! starter`); here they get the common header and are written.

use super::{CmdResult, Failure, EXIT_OK};
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

pub fn run(dir: &Path, provider: &str) -> CmdResult {
    let text = starter(provider).ok_or_else(|| {
        Failure::new(format!(
            "no starter for provider \"{provider}\": choose one of {}",
            families().join(", ")
        ))
    })?;
    std::fs::create_dir_all(dir).map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?;
    let existing = std::fs::read_dir(dir)
        .map_err(|e| Failure::new(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .any(|e| {
            matches!(
                e.path().extension().and_then(|x| x.to_str()),
                Some("yaml") | Some("yml")
            )
        });
    if existing {
        return Err(Failure::new(format!(
            "{} already holds a config (*.yaml): strata init only starts new stacks",
            dir.display()
        )));
    }
    let path = dir.join("main.yaml");
    std::fs::write(&path, text).map_err(|e| Failure::new(format!("{}: {e}", path.display())))?;
    outln!(
        "Wrote {}: a {provider} stack running on the embedded sandbox.\nNext: strata -C {} plan",
        path.display(),
        dir.display()
    );
    Ok(EXIT_OK)
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
