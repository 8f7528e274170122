//! The code's shape, checked: the layers of ARCHITECTURE.md ("Architecture invariant: …")
//! as a test that fails when a forbidden `crate::` path appears, a `//!` header on every
//! module, and no function in src/ over the length limit except the tables named below.
//! Test code (`#[cfg(test)]` modules) is exempt from the layer rule: tests may build fixtures
//! from any layer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use modules of strictly lower layers only — never
/// one of its own layer (so providers and the sandbox never use each other) and never one
/// above (so data flows one way).
const LAYERS: &[&[&str]] = &[
    &["util", "diag", "family_list"],
    &["value", "verb"],
    &["address", "graph"],
    &["schema", "state", "walk"],
    &["config"],
    &["providers", "sandbox"],
    &["recovery"],
    &["plan"],
    &["apply"],
    &["families"],
    &["cli"],
];

/// Functions longer than this many lines are refused, except the tables in `TABLES`.
const MAX_FN_LINES: usize = 80;

/// Functions allowed to be long because they are tables (one arm or entry per case), each
/// with why.
const TABLES: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn src_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut v);
    v
}

/// The top-level module a file belongs to (`src/plan/diff.rs` → `plan`), `None` for the
/// crate root files.
fn module_of(file: &Path) -> Option<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = file.strip_prefix(&src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The code of a file with comments, string literals and test modules removed.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(strip_strings(line.split(" //").next().unwrap_or("")).as_str());
        out.push('\n');
    }
    out
}

fn strip_strings(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut prev = ' ';
    for c in line.chars() {
        if c == '"' && prev != '\\' && prev != '\'' {
            in_str = !in_str;
        } else if !in_str {
            out.push(c);
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
    }
    out
}

/// Every top-level module named after `crate::` in the code, including grouped
/// `use crate::{a::b, c}` forms.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    used.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            used.insert(name);
        }
    }
    used
}

#[test]
fn every_module_is_in_a_layer() {
    let mut missing = BTreeSet::new();
    for f in src_files() {
        if let Some(m) = module_of(&f) {
            if layer_of(&m).is_none() {
                missing.insert(m);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules in no layer of LAYERS (add them where they belong, and to ARCHITECTURE.md): {missing:?}"
    );
}

#[test]
fn data_flows_one_way_through_the_layers() {
    let mut wrong = Vec::new();
    for f in src_files() {
        let Some(m) = module_of(&f) else { continue };
        let Some(mine) = layer_of(&m) else { continue };
        let text = std::fs::read_to_string(&f).expect("a source file");
        for used in used_modules(&code_of(&text)) {
            if used == m {
                continue;
            }
            match layer_of(&used) {
                Some(theirs) if theirs < mine => {}
                _ => wrong.push(format!("{} ({m}) uses crate::{used}", f.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "upward or sideways arrows (see LAYERS and ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

/// Inside the sandbox: the server mounts the services, so no service uses the server (the
/// types they share live beneath both, in `sandbox/world.rs`).
#[test]
fn no_sandbox_service_uses_its_server() {
    let mut wrong = Vec::new();
    for f in src_files() {
        let rel = f.display().to_string();
        let in_sandbox = rel.contains("/src/sandbox/");
        let is_server = rel.ends_with("/sandbox/server.rs") || rel.ends_with("/sandbox/mod.rs");
        if !in_sandbox || is_server {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("a source file");
        if code_of(&text).contains("server::") {
            wrong.push(rel);
        }
    }
    assert!(
        wrong.is_empty(),
        "sandbox services using the server: {wrong:?}"
    );
}

#[test]
fn the_layer_check_sees_a_forbidden_use() {
    let code = code_of(
        "//! x\nuse crate::value::Map;\nuse crate::{sandbox::Connector, schema};\n\
         // crate::apply in a comment\nlet s = \"crate::cli\";\n#[cfg(test)]\nmod t { use crate::cli; }\n",
    );
    let used = used_modules(&code);
    assert_eq!(
        used,
        ["sandbox", "schema", "value"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
}

#[test]
fn every_module_says_its_job() {
    let missing: Vec<_> = src_files()
        .into_iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("a source file");
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a //! header: {missing:?}"
    );
}

/// Functions (`fn` lines to their closing brace at the same indentation) longer than the
/// limit.
fn long_functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let indent = &l[..l.len() - t.len()];
        let Some(name) = fn_name(t) else { continue };
        if t.trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..]
            .iter()
            .position(|m| m.starts_with(&close) && m.trim().len() <= 2)
        {
            let n = end + 2;
            if n > MAX_FN_LINES {
                out.push((name, i + 1, n));
            }
        }
    }
    out
}

fn fn_name(t: &str) -> Option<String> {
    let mut rest = t;
    for prefix in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "async ",
        "const ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
        rest = rest.strip_prefix("async ").unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    Some(
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
    )
}

#[test]
fn functions_are_short_enough_to_read_at_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut long = Vec::new();
    for f in src_files() {
        let text = std::fs::read_to_string(&f).expect("a source file");
        let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
        for (name, line, n) in long_functions(&text) {
            if !TABLES
                .iter()
                .any(|(file, fname, _)| *file == rel && *fname == name)
            {
                long.push(format!("{rel}:{line} fn {name}: {n} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines (split them into named steps):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_length_check_counts_a_long_function() {
    let body = "    x();\n".repeat(MAX_FN_LINES);
    let text = format!("pub async fn big() {{\n{body}}}\nfn small() {{\n}}\n");
    assert_eq!(
        long_functions(&text),
        vec![("big".to_string(), 1, MAX_FN_LINES + 2)]
    );
}
