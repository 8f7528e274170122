//! Variable files: YAML mappings of variable names to values. The stack directory's
//! `strata.vars.yaml` and then its `*.auto.vars.yaml` (lexical order) are read
//! automatically (`.yml` too), then each `--var-file FILE` in the order given (relative to
//! the current directory, as Terraform's `-var-file`). They are values, not config: the
//! config loader's listing (`config::yaml_files`) leaves them out, `strata fmt` leaves them
//! as they are, and a saved plan never carries them (it records the values).
//!
//! Invariants: a file is read as config files are (`config::read_source`: a regular file of
//! bounded size, scanned by `config::scan` before parsing, a key given twice an error); a
//! problem names the file and, where known, the line; a `null` value is "not given".

use crate::config::{load, scan};
use crate::diag::{Diagnostic, Diagnostics};
use crate::value::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file read first from the stack directory.
pub const BASE: &str = "strata.vars";
/// The ending of the files read after it, in lexical order.
pub const AUTO: &str = ".auto.vars";

/// One variable file, read and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct VarFile {
    /// As shown to users (relative to the current directory where possible).
    pub path: PathBuf,
    pub text: String,
    /// The values it gives, by variable name (`null` ones left out).
    pub values: Map,
    /// Read from the stack directory, not named by `--var-file`.
    pub auto: bool,
}

impl VarFile {
    /// Parse a variable file's text. `Err`: what is wrong, with the line where known.
    pub fn parse(path: PathBuf, text: &str, auto: bool) -> Result<VarFile, Diagnostics> {
        let text = text.strip_prefix(load::BOM).unwrap_or(text).to_string();
        let mut diags = Diagnostics::default();
        let at = |msg: String, line: Option<usize>| {
            let d = Diagnostic::error(msg).file(&path);
            match line {
                Some(l) => d.line(l),
                None => d,
            }
        };
        let scanned = scan::scan(&text);
        if let Some(r) = scanned.refusal {
            diags.push(at(r.message, Some(r.line)));
            return Err(diags);
        }
        for dup in scanned.duplicates {
            diags.push(at(dup.message(), Some(dup.line)));
        }
        let doc = match serde_yaml::from_str::<Value>(&text) {
            Ok(doc) => doc,
            Err(e) => {
                let line = e.location().map(|l| l.line());
                diags.push(at(format!("YAML syntax error: {e}"), line));
                return Err(diags);
            }
        };
        let values = match doc {
            Value::Null => Map::new(),
            Value::Map(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            other => {
                diags.push(
                    at(
                        format!(
                            "a variable file must be a mapping of variable names to values, not a {}",
                            other.kind()
                        ),
                        Some(1),
                    )
                    .hint("write e.g. env: prod"),
                );
                return Err(diags);
            }
        };
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(VarFile {
            path,
            text,
            values,
            auto,
        })
    }

    /// The line of the deepest key of `path` the file holds (`path[0]` is a variable name).
    pub fn line(&self, path: &[String]) -> Option<usize> {
        let lines: HashMap<Vec<String>, usize> = crate::config::lines::key_lines(&self.text);
        (1..=path.len())
            .rev()
            .find_map(|n| lines.get(&path[..n]).copied())
    }
}

/// Whether a file name is a variable file's the stack directory holds (read as values, not
/// as config).
pub fn is_var_file(name: &str) -> bool {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"));
    stem.is_some_and(|s| s == BASE || (s.ends_with(AUTO) && s.len() > AUTO.len()))
}

/// The variable files of a stack directory, in the order they are read: `strata.vars.yaml`
/// (or `.yml`) first, then the `*.auto.vars.yaml` files in lexical order.
pub fn auto_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_var_file)
        })
        .collect();
    let base = |p: &PathBuf| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s == BASE)
    };
    paths.sort_by(|a, b| base(b).cmp(&base(a)).then_with(|| a.cmp(b)));
    paths
}

/// Read one variable file; `shown` is its path as users see it.
pub fn read(path: &Path, shown: PathBuf, auto: bool) -> Result<VarFile, Diagnostics> {
    match crate::config::read_source(path) {
        Ok(text) => VarFile::parse(shown, &text, auto),
        Err(msg) => {
            let mut d = Diagnostic::error(format!("variable file: {msg}")).file(&shown);
            if !auto {
                d = d.hint("a --var-file path is relative to the current directory");
            }
            Err(Diagnostics(vec![d]))
        }
    }
}

/// The stack directory's variable files, then the `--var-file` ones (`given`), in the order
/// they are applied (a later one wins); every problem reading them.
pub fn gather(dir: &Path, given: &[PathBuf]) -> (Vec<VarFile>, Diagnostics) {
    let mut files = Vec::new();
    let mut diags = Diagnostics::default();
    let autos = auto_files(dir)
        .into_iter()
        .map(|p| (load::display_path(&p), p, true));
    let explicit = given.iter().map(|p| (p.clone(), p.clone(), false));
    for (shown, path, auto) in autos.chain(explicit) {
        match read(&path, shown, auto) {
            Ok(f) => files.push(f),
            Err(d) => diags.extend(d),
        }
    }
    (files, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_variable_files() {
        for yes in [
            "strata.vars.yaml",
            "strata.vars.yml",
            "prod.auto.vars.yaml",
            "a.b.auto.vars.yml",
        ] {
            assert!(is_var_file(yes), "{yes}");
        }
        for no in [
            "main.yaml",
            ".auto.vars.yaml",
            "strata.vars.json",
            "vars.yaml",
            "prod.vars.yaml",
            "auto.vars.yaml",
        ] {
            assert!(!is_var_file(no), "{no}");
        }
    }

    #[test]
    fn auto_files_come_base_first_then_lexical() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "b.auto.vars.yaml",
            "main.yaml",
            "strata.vars.yaml",
            "a.auto.vars.yml",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let names: Vec<String> = auto_files(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["strata.vars.yaml", "a.auto.vars.yml", "b.auto.vars.yaml"]
        );
    }

    #[test]
    fn parses_values_and_reports_bad_files() {
        let f = VarFile::parse(
            "v.yaml".into(),
            "\u{feff}env: prod\nteams:\n  a: { size: 1 }\nunset: null\n",
            false,
        )
        .unwrap();
        assert_eq!(f.values.len(), 2, "null is not given");
        assert_eq!(
            f.line(&["teams".into(), "a".into(), "size".into()]),
            Some(3)
        );
        assert_eq!(f.line(&["teams".into(), "b".into()]), Some(2));
        assert!(VarFile::parse("v.yaml".into(), "", true)
            .unwrap()
            .values
            .is_empty());
        let cases = [
            (
                "- a\n- b\n",
                "must be a mapping of variable names to values, not a list",
            ),
            ("a: 1\na: 2\n", "appears twice"),
            ("a: [\n", "YAML syntax error"),
        ];
        for (text, msg) in cases {
            let d = VarFile::parse("v.yaml".into(), text, false).unwrap_err();
            assert!(d.0[0].message.contains(msg), "{text}: {d}");
            assert_eq!(d.0[0].file.as_deref(), Some(Path::new("v.yaml")));
        }
        let d = read(Path::new("/nonexistent/x.yaml"), "x.yaml".into(), false).unwrap_err();
        assert!(
            d.0[0]
                .message
                .starts_with("variable file: cannot read the file"),
            "{d}"
        );
        assert!(d.0[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("current directory"));
    }
}
