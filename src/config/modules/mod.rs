//! Modules: a directory of strata YAML — its own `variables` (the inputs), `locals`,
//! `resources`, `data`, `outputs` and nested `modules` — called from a stack (or another
//! module) under `modules:`. `call` parses the calls, `load_defs` reads each module directory
//! once (from disk, or from the files a saved plan carries), and `expand` inlines every
//! instance of every call into the stack's own resources and locals once the variables are
//! known, under addresses `module.NAME["key"].TYPE.NAME`, so plan, apply, state and graph
//! need no code of their own for modules.
//! Invariants: a module directory is parsed once however often it is called; its files are
//! part of the stack's `files` (a saved plan carries them, every diagnostic names the file
//! inside the module); only local sources are read; a module that calls itself, directly or
//! not, is an error naming the chain, never a loop.

pub mod call;
mod expand;
mod rewrite;

pub use expand::expand;

use super::expr::Expr;
use super::load::{display_path, parse_sources, read_source};
use super::{Config, Repeat, SourceFile};
use crate::address::Address;
use crate::diag::{Diagnostic, Diagnostics};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// One entry of `modules:`.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub file: usize,
    /// As written: `./path` or `../path`, relative to the calling file's directory.
    pub source: String,
    pub repeat: Option<Repeat>,
    pub depends_on: Vec<Address>,
    /// The module's provider configuration names → the caller's.
    pub providers: BTreeMap<String, String>,
    /// The module's input variables, by name.
    pub inputs: BTreeMap<String, Expr>,
}

/// A module directory, parsed once.
#[derive(Debug, Clone)]
pub struct ModuleDef {
    pub cfg: Arc<Config>,
    /// Where its files start in the stack's `files` (a block's `file` + this).
    pub first_file: usize,
}

/// Where module files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// Read each module's directory.
    Disk,
    /// Already in the config's `files`, tagged with their module (a saved plan's).
    Carried,
}

/// The key of the directory `source` names from the module `caller` (a path relative to the
/// stack directory, lexically normalised, `/`-separated; `""` is the stack itself).
pub fn dir_key(caller: &str, source: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let joined = Path::new(caller).join(source);
    for c in joined.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::ParentDir => parts.push("..".into()),
            _ => {}
        }
    }
    parts.join("/")
}

/// A call waiting for its module to be read.
struct Pending {
    caller: String,
    name: String,
    source: String,
    file: PathBuf,
    /// The modules that led here, outermost first.
    chain: Vec<String>,
}

fn pending_calls(cfg: &Config, files: &[SourceFile], chain: &[String]) -> Vec<Pending> {
    cfg.modules
        .values()
        .map(|c| Pending {
            caller: cfg.module_key.clone(),
            name: c.name.clone(),
            source: c.source.clone(),
            file: files
                .get(c.file)
                .map(|f| f.path.clone())
                .unwrap_or_default(),
            chain: chain.to_vec(),
        })
        .collect()
}

/// Read and parse every module the stack calls, directly or through other modules, into
/// `cfg.module_defs` (their files appended to `cfg.files` when read from disk).
pub fn load_defs(cfg: &mut Config, from: From, diags: &mut Diagnostics) {
    let mut queue = pending_calls(cfg, &cfg.files, &[]);
    while let Some(p) = queue.pop() {
        let key = dir_key(&p.caller, &p.source);
        let at = |msg: String| {
            Diagnostic::error(msg).file(&p.file).at_owned(vec![
                "modules".into(),
                p.name.clone(),
                "source".into(),
            ])
        };
        if p.chain.contains(&key) {
            let mut chain = p.chain.clone();
            chain.push(key.clone());
            diags.push(at(format!(
                "module \"{}\" calls itself: {}",
                p.name,
                chain.join(" → ")
            )));
            continue;
        }
        if cfg.module_defs.contains_key(&key) {
            continue;
        }
        let files = match module_files(cfg, from, &key) {
            Ok(f) => f,
            Err(msg) => {
                diags.push(at(format!("module \"{}\" ({}): {msg}", p.name, p.source)));
                continue;
            }
        };
        let def = parse_module(cfg, &key, files, from, diags);
        let mut chain = p.chain.clone();
        chain.push(key.clone());
        let def_files = &def.cfg.files;
        queue.extend(pending_calls(&def.cfg, def_files, &chain));
        cfg.module_defs.insert(key, def);
    }
}

fn parse_module(
    cfg: &mut Config,
    key: &str,
    files: Vec<SourceFile>,
    from: From,
    diags: &mut Diagnostics,
) -> ModuleDef {
    let first_file = match from {
        From::Disk => {
            cfg.files.extend(files.iter().cloned());
            cfg.files.len() - files.len()
        }
        From::Carried => cfg.files.iter().position(|f| f.module == key).unwrap_or(0),
    };
    let mut child = Config {
        dir: cfg.dir.join(key),
        stack: cfg.stack.clone(),
        module_key: key.to_string(),
        ..Config::default()
    };
    parse_sources(&mut child, files, diags);
    ModuleDef {
        cfg: Arc::new(child),
        first_file,
    }
}

/// The files of the module `key`, tagged with it.
fn module_files(cfg: &Config, from: From, key: &str) -> Result<Vec<SourceFile>, String> {
    if from == From::Carried {
        let files: Vec<SourceFile> = cfg
            .files
            .iter()
            .filter(|f| f.module == key)
            .cloned()
            .collect();
        return match files.is_empty() {
            true => Err("the saved plan carries no files of this module".into()),
            false => Ok(files),
        };
    }
    let dir = cfg.dir.join(key);
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "cannot read the module directory {}: {e}",
            display_path(&dir).display()
        )
    })?;
    let paths = super::yaml_files(entries);
    if paths.is_empty() {
        return Err(format!(
            "the module directory {} has no *.yaml or *.yml files",
            display_path(&dir).display()
        ));
    }
    let mut files = Vec::new();
    for path in paths {
        let shown = display_path(&path);
        let text = read_source(&path).map_err(|e| format!("{}: {e}", shown.display()))?;
        files.push(SourceFile {
            path: shown,
            text,
            module: key.to_string(),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::dir_key;

    #[test]
    fn keys_are_normalised_paths_from_the_stack() {
        assert_eq!(dir_key("", "./modules/wh"), "modules/wh");
        assert_eq!(dir_key("modules/wh", "../common"), "modules/common");
        assert_eq!(dir_key("", "../shared/m"), "../shared/m");
        assert_eq!(dir_key("a", "./b/./c/../d"), "a/b/d");
    }
}
