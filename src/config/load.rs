//! Loading a config directory: every `*.yaml` / `*.yml` file is parsed and merged into one
//! stack. Problems are collected (never the first only) with file, line and address. The
//! providers are merged here, the sections of the language's own keys in `sections`.
//! Invariants: no entry with those extensions is skipped (one that is not a readable regular
//! file is an error) but the variable files (`strata.vars.yaml`, `*.auto.vars.yaml`), which
//! `config::vars::files` reads as values; a file is handed to serde_yaml only after `scan` has bounded its nesting
//! and size; a key given twice in one mapping is an error, never "the last wins".

use super::expr::Expr;
use super::keys::TOP;
use super::scan;
use super::sections::{merge_backend, merge_blocks, merge_locals, merge_outputs, merge_variables};
use super::{Config, ProviderBlock, SourceFile};
use crate::address::{Address, Mode};
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::{self, suggest};
use crate::value::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `*.yaml` / `*.yml` entries of a directory listing, sorted, whatever their type — but
/// the variable files (`strata.vars.yaml`, `*.auto.vars.yaml`: values, not config; see
/// `config::vars::files`).
pub fn yaml_files(entries: std::fs::ReadDir) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml") | Some("yml")
            )
        })
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(super::vars::files::is_var_file)
        })
        .collect();
    paths.sort();
    paths
}

/// Load and merge the config in `dir`. The result holds every block that could be parsed;
/// the diagnostics hold every problem found on the way.
pub fn load(dir: &Path) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let stack = stack_name(dir);
    let mut cfg = Config {
        dir: dir.to_path_buf(),
        stack,
        ..Config::default()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(
                Diagnostic::error(format!("cannot read the config directory: {e}"))
                    .file(dir)
                    .hint("run strata in the stack's directory, or point -C at it"),
            );
            return (cfg, diags);
        }
    };
    // Every *.yaml / *.yml entry, whatever its type: one that is not a readable regular file
    // is an error, never skipped (what it held would be planned for destruction).
    let paths = yaml_files(entries);
    if paths.is_empty() {
        diags.push(
            Diagnostic::error("no config here: the directory has no *.yaml or *.yml files")
                .file(dir)
                .hint("point -C at a directory holding the stack's YAML files"),
        );
        return (cfg, diags);
    }
    let mut sources = Vec::new();
    for path in paths {
        let shown = display_path(&path);
        match read_source(&path) {
            Ok(text) => sources.push(SourceFile {
                path: shown,
                text,
                module: String::new(),
            }),
            Err(msg) => diags.push(Diagnostic::error(msg).file(&shown)),
        }
    }
    parse_sources(&mut cfg, sources, &mut diags);
    super::modules::load_defs(&mut cfg, super::modules::From::Disk, &mut diags);
    (cfg, diags)
}

/// Build a config from files already in memory (a saved plan carries its config this way).
pub fn load_sources(dir: &Path, stack: &str, files: Vec<SourceFile>) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut cfg = Config {
        dir: dir.to_path_buf(),
        stack: stack.to_string(),
        ..Config::default()
    };
    parse_sources(&mut cfg, files, &mut diags);
    super::modules::load_defs(&mut cfg, super::modules::From::Carried, &mut diags);
    (cfg, diags)
}

/// Parse and merge `files` into `cfg` — only those of `cfg`'s own module (`module_key`); the
/// others (a saved plan's module files) are kept for `modules::load_defs`.
pub(super) fn parse_sources(cfg: &mut Config, files: Vec<SourceFile>, diags: &mut Diagnostics) {
    for mut file in files {
        if let Some(text) = file.text.strip_prefix(BOM) {
            file.text = text.to_string();
        }
        let idx = cfg.files.len();
        let shown = file.path.clone();
        let own = file.module == cfg.module_key;
        cfg.files.push(file);
        if !own {
            continue;
        }
        let scanned = scan::scan(&cfg.files[idx].text);
        if let Some(r) = scanned.refusal {
            diags.push(Diagnostic::error(r.message).file(&shown).line(r.line));
            continue; // never handed to serde_yaml
        }
        for dup in scanned.duplicates {
            let at: Vec<&str> = dup.path.iter().map(String::as_str).collect();
            let mut cx = FileCx {
                idx,
                path: shown.clone(),
                diags,
            };
            cx.err(&at, dup.message()).line = Some(dup.line);
        }
        // Straight into strata's values: no intermediate YAML tree.
        let parsed: Result<Value, _> = serde_yaml::from_str(&cfg.files[idx].text);
        match parsed {
            Err(e) => {
                let mut d = Diagnostic::error(format!("YAML syntax error: {}", yaml_message(&e)))
                    .file(&shown);
                if let Some(loc) = e.location() {
                    d = d.line(loc.line());
                }
                diags.push(d);
            }
            Ok(doc) => merge_file(cfg, idx, doc, diags),
        }
    }
    cfg.link_locals();
}

/// The UTF-8 byte-order mark some editors write at the start of a file.
pub const BOM: char = '\u{feff}';

/// The largest config file strata reads (real stacks are far smaller: 10,000 resources take
/// about 2 MB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Read one config file as text. Only a regular file is read: a FIFO, a directory, a device,
/// a dangling or looping symbolic link is an error saying so. The file is opened without
/// blocking (a FIFO would wait for a writer) and its type checked on the open handle; at most
/// [`MAX_FILE_BYTES`] are read.
pub fn read_source(path: &Path) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| open_error(path, &e))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "cannot read the file: it is {}, not a regular file",
            file_kind(&meta.file_type())
        ));
    }
    let too_big = |n: u64| {
        format!("the file is {n} bytes: a config file may be at most {MAX_FILE_BYTES} bytes")
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64)); // it grew while being read
    }
    String::from_utf8(bytes).map_err(|_| "the file is not valid UTF-8 text".to_string())
}

fn open_error(path: &Path, e: &std::io::Error) -> String {
    let link = std::fs::read_link(path).ok();
    match (link, e.raw_os_error()) {
        (Some(_), Some(libc::ELOOP)) => {
            "cannot read the file: it is a symbolic link that loops back on itself".into()
        }
        (Some(target), _) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "cannot read the file: it is a symbolic link to {}, which does not exist",
            target.display()
        ),
        _ => format!("cannot read the file: {e}"),
    }
}

fn file_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

fn yaml_message(e: &serde_yaml::Error) -> String {
    let s = e.to_string();
    // serde_yaml appends " at line L column C"; the line is reported separately.
    let s = match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    if s.contains("invalid type: enum") {
        "YAML tags (!…) are not supported".to_string()
    } else {
        s
    }
}

pub fn stack_name(dir: &Path) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default".to_string())
}

pub(in crate::config) fn display_path(p: &Path) -> PathBuf {
    let cwd = std::env::current_dir().ok();
    match cwd.and_then(|c| p.strip_prefix(&c).ok().map(Path::to_path_buf)) {
        Some(rel) => rel,
        None => p.strip_prefix("./").unwrap_or(p).to_path_buf(),
    }
}

/// Convert parsed YAML into a [`Value`]; map keys must be scalars.
pub fn from_yaml(v: &serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::int(i)
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(
                    serde_json::Number::from_f64(f)
                        .ok_or_else(|| format!("the number {n} is not finite"))?,
                )
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::List(items.iter().map(from_yaml).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    _ => return Err("a map key must be a plain string".into()),
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Map(out)
        }
        Y::Tagged(t) => return Err(format!("YAML tags ({}) are not supported", t.tag)),
    })
}

pub(super) struct FileCx<'a> {
    pub(super) idx: usize,
    path: PathBuf,
    diags: &'a mut Diagnostics,
}

impl FileCx<'_> {
    pub(super) fn err(&mut self, at: &[&str], msg: impl Into<String>) -> &mut Diagnostic {
        let mut d = Diagnostic::error(msg).file(&self.path).at(at);
        // Inside a resource or data block: name the address and the attribute.
        if let [section @ ("resources" | "data"), key, rest @ ..] = at {
            if let Ok(a) = Address::parse(key) {
                let addr = if *section == "data" {
                    Address::data(&a.ty, &a.name)
                } else {
                    a
                };
                d = d.address(addr).attribute(rest.join("."));
            }
        }
        self.diags.push(d);
        self.diags.0.last_mut().expect("just pushed")
    }
}

fn merge_file(cfg: &mut Config, idx: usize, doc: Value, diags: &mut Diagnostics) {
    let path = cfg.files[idx].path.clone();
    let mut cx = FileCx { idx, path, diags };
    let top = match doc {
        Value::Null => return, // an empty file adds nothing
        Value::Map(m) => m,
        other => {
            let kind = match other {
                Value::List(_) => "a list",
                _ => "a single value",
            };
            cx.err(
                &[],
                format!(
                    "the top level must be a mapping of sections ({}), not {kind}",
                    TOP.names().collect::<Vec<_>>().join(", ")
                ),
            )
            .line = Some(1);
            return;
        }
    };
    for (section, body) in top {
        match section.as_str() {
            "providers" => merge_providers(cfg, &mut cx, &body),
            "variables" => merge_variables(cfg, &mut cx, &body),
            "locals" => merge_locals(cfg, &mut cx, &body),
            "resources" => merge_blocks(cfg, &mut cx, body, Mode::Managed),
            "data" => merge_blocks(cfg, &mut cx, body, Mode::Data),
            "outputs" => merge_outputs(cfg, &mut cx, &body),
            "backend" => merge_backend(cfg, &mut cx, &body),
            "modules" => super::modules::call::merge_modules(cfg, &mut cx, &body),
            "import" => super::imports::merge_imports(cfg, &mut cx, &body),
            "moved" => super::moves::merge_moved(cfg, &mut cx, &body),
            "removed" => super::moves::merge_removed(cfg, &mut cx, &body),
            other => {
                let sections = TOP.names().collect::<Vec<_>>().join(", ");
                let hint = suggest(other, TOP.names())
                    .unwrap_or_else(|| format!("the sections are: {sections}"));
                cx.err(&[other], format!("unknown top-level section \"{other}\""))
                    .hint = Some(hint);
            }
        }
    }
}

pub(super) fn section_map<'v>(cx: &mut FileCx, name: &str, body: &'v Value) -> Option<&'v Map> {
    match body {
        Value::Map(m) => Some(m),
        Value::Null => None,
        other => {
            cx.err(
                &[name],
                format!("\"{name}\" must be a mapping, not a {}", other.kind()),
            );
            None
        }
    }
}

pub(super) fn duplicate(cx: &mut FileCx, cfg: &Config, at: &[&str], what: &str, first_file: usize) {
    let first = cfg.file_path(first_file);
    let msg = if first_file == cx.idx {
        format!("{what} is defined twice in this file")
    } else {
        format!(
            "{what} is defined twice: in {} and in {}",
            first.display(),
            cx.path.display()
        )
    };
    cx.err(at, msg);
}

pub(super) fn to_expr(cx: &mut FileCx, at: &[&str], v: &Value) -> Option<Expr> {
    match Expr::from_value(v.clone()) {
        Ok(e) => Some(e),
        Err(msg) => {
            cx.err(at, msg);
            None
        }
    }
}

pub(super) fn expr_map(cx: &mut FileCx, at: &[&str], m: &Map) -> BTreeMap<String, Expr> {
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let mut p = at.to_vec();
        p.push(k);
        if let Some(e) = to_expr(cx, &p, v) {
            out.insert(k.clone(), e);
        }
    }
    out
}

fn valid_alias(a: &str) -> bool {
    a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn merge_providers(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "providers", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["providers", name.as_str()];
        let (family, alias) = name.split_once('.').unwrap_or((name, ""));
        if name.contains('.') && !valid_alias(alias) {
            let msg = format!("\"{name}\" is not a provider configuration name: write FAMILY or FAMILY.ALIAS (letters, digits, '_', '-')");
            cx.err(&at, msg);
            continue;
        }
        if schema::providers::provider(family).is_none() {
            let known: Vec<&str> = schema::providers::PROVIDERS
                .iter()
                .map(|s| s.type_name)
                .collect();
            let hint = suggest(family, known.iter().copied())
                .unwrap_or_else(|| format!("known providers: {}", known.join(", ")));
            cx.err(&at, format!("unknown provider \"{family}\"")).hint = Some(hint);
            continue;
        }
        if let Some(prev) = cfg.providers.get(name) {
            duplicate(cx, cfg, &at, &format!("provider \"{name}\""), prev.file);
            continue;
        }
        let args = match v {
            Value::Map(args) => expr_map(cx, &at, args),
            Value::Null => BTreeMap::new(),
            other => {
                cx.err(
                    &at,
                    format!("a provider block must be a mapping, not a {}", other.kind()),
                );
                continue;
            }
        };
        cfg.providers.insert(
            name.clone(),
            ProviderBlock {
                name: name.clone(),
                file: cx.idx,
                args,
            },
        );
    }
}
