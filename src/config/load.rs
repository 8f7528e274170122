//! Loading a config directory: every `*.yaml` / `*.yml` file is parsed and merged into one
//! stack. Problems are collected (never the first only) with file, line and address.
//! Invariants: no entry with those extensions is skipped (one that is not a readable regular
//! file is an error); a file is handed to serde_yaml only after `scan` has bounded its nesting
//! and size; a key given twice in one mapping is an error, never "the last wins".

use super::expr::Expr;
use super::scan;
use super::{
    parse_duration, Backend, Block, Config, Lifecycle, Output, ProviderBlock, SourceFile, VarType,
    Variable,
};
use crate::address::{Address, Mode};
use crate::diag::{Diagnostic, Diagnostics};
use crate::schema::{self, suggest};
use crate::value::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SECTIONS: &[&str] = &[
    "providers",
    "variables",
    "resources",
    "data",
    "outputs",
    "backend",
];

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
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml") | Some("yml")
            )
        })
        .collect();
    paths.sort();
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
            Ok(text) => sources.push(SourceFile { path: shown, text }),
            Err(msg) => diags.push(Diagnostic::error(msg).file(&shown)),
        }
    }
    parse_sources(&mut cfg, sources, &mut diags);
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
    (cfg, diags)
}

fn parse_sources(cfg: &mut Config, files: Vec<SourceFile>, diags: &mut Diagnostics) {
    for mut file in files {
        if let Some(text) = file.text.strip_prefix(BOM) {
            file.text = text.to_string();
        }
        let idx = cfg.files.len();
        let shown = file.path.clone();
        cfg.files.push(file);
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

fn display_path(p: &Path) -> PathBuf {
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

struct FileCx<'a> {
    idx: usize,
    path: PathBuf,
    diags: &'a mut Diagnostics,
}

impl FileCx<'_> {
    fn err(&mut self, at: &[&str], msg: impl Into<String>) -> &mut Diagnostic {
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
                    SECTIONS.join(", ")
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
            "resources" => merge_blocks(cfg, &mut cx, body, Mode::Managed),
            "data" => merge_blocks(cfg, &mut cx, body, Mode::Data),
            "outputs" => merge_outputs(cfg, &mut cx, &body),
            "backend" => merge_backend(cfg, &mut cx, &body),
            other => {
                let hint = suggest(other, SECTIONS.iter().copied())
                    .unwrap_or_else(|| format!("the sections are: {}", SECTIONS.join(", ")));
                cx.err(&[other], format!("unknown top-level section \"{other}\""))
                    .hint = Some(hint);
            }
        }
    }
}

fn section_map<'v>(cx: &mut FileCx, name: &str, body: &'v Value) -> Option<&'v Map> {
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

fn duplicate(cx: &mut FileCx, cfg: &Config, at: &[&str], what: &str, first_file: usize) {
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

fn to_expr(cx: &mut FileCx, at: &[&str], v: &Value) -> Option<Expr> {
    match Expr::from_value(v.clone()) {
        Ok(e) => Some(e),
        Err(msg) => {
            cx.err(at, msg);
            None
        }
    }
}

fn expr_map(cx: &mut FileCx, at: &[&str], m: &Map) -> BTreeMap<String, Expr> {
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

fn merge_providers(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "providers", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["providers", name.as_str()];
        if schema::providers::provider(name).is_none() {
            let known: Vec<&str> = schema::providers::PROVIDERS
                .iter()
                .map(|s| s.type_name)
                .collect();
            let hint = suggest(name, known.iter().copied())
                .unwrap_or_else(|| format!("known providers: {}", known.join(", ")));
            cx.err(&at, format!("unknown provider \"{name}\"")).hint = Some(hint);
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

fn merge_variables(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "variables", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["variables", name.as_str()];
        if !crate::value::is_ident(name) {
            cx.err(&at, format!("\"{name}\" is not a valid variable name"));
            continue;
        }
        if let Some(prev) = cfg.variables.get(name) {
            duplicate(cx, cfg, &at, &format!("variable \"{name}\""), prev.file);
            continue;
        }
        let mut var = Variable {
            name: name.clone(),
            file: cx.idx,
            default: None,
            sensitive: false,
            ty: None,
            description: None,
        };
        match v {
            Value::Null => {}
            Value::Map(fields) => {
                for (k, fv) in fields {
                    let fat = ["variables", name.as_str(), k.as_str()];
                    match (k.as_str(), fv) {
                        ("default", d) => var.default = Some(d.clone()),
                        ("sensitive", Value::Bool(b)) => var.sensitive = *b,
                        ("description", Value::String(s)) => var.description = Some(s.clone()),
                        ("type", Value::String(t)) => {
                            var.ty = Some(match t.as_str() {
                                "string" => VarType::String,
                                "number" => VarType::Number,
                                "bool" => VarType::Bool,
                                "list" => VarType::List,
                                "map" => VarType::Map,
                                _ => {
                                    cx.err(&fat, format!("unknown variable type \"{t}\"")).hint =
                                        Some("types: string, number, bool, list, map".into());
                                    continue;
                                }
                            })
                        }
                        ("sensitive" | "description" | "type", other) => {
                            cx.err(&fat, format!("wrong type: got a {}", other.kind()));
                        }
                        (other, _) => {
                            let keys = ["default", "sensitive", "type", "description"];
                            let hint = suggest(other, keys.iter().copied())
                                .unwrap_or_else(|| format!("valid keys: {}", keys.join(", ")));
                            cx.err(&fat, format!("unknown key \"{other}\" in a variable"))
                                .hint = Some(hint);
                        }
                    }
                }
            }
            other => {
                cx.err(
                    &at,
                    format!("a variable must be a mapping, not a {}", other.kind()),
                )
                .hint = Some(format!("write {name}: {{ default: … }}"));
                continue;
            }
        }
        cfg.variables.insert(name.clone(), var);
    }
}

fn merge_blocks(cfg: &mut Config, cx: &mut FileCx, body: Value, mode: Mode) {
    let section = if mode == Mode::Data {
        "data"
    } else {
        "resources"
    };
    if section_map(cx, section, &body).is_none() {
        return;
    }
    let Value::Map(m) = body else { return };
    for (key, v) in m {
        let key = &key;
        let at = [section, key.as_str()];
        let addr = match Address::parse(key) {
            Ok(a) if a.mode == Mode::Managed => match mode {
                Mode::Managed => a,
                Mode::Data => Address::data(&a.ty, &a.name),
            },
            Ok(_) => {
                cx.err(
                    &at,
                    format!("\"{key}\": write data sources under data: as <type>.<name>"),
                );
                continue;
            }
            Err(e) => {
                cx.err(&at, e);
                continue;
            }
        };
        let schema = match mode {
            Mode::Managed => schema::resource(&addr.ty),
            Mode::Data => schema::data_source(&addr.ty),
        };
        let Some(schema) = schema else {
            let kinds = if mode == Mode::Data {
                "data source"
            } else {
                "resource"
            };
            let known = schema::all()
                .filter(|s| (s.kind == schema::Kind::DataSource) == (mode == Mode::Data));
            let names: Vec<&str> = known.map(|s| s.type_name).collect();
            let hint = suggest(&addr.ty, names.iter().copied())
                .unwrap_or_else(|| format!("known {kinds} types: {}", names.join(", ")));
            cx.err(&at, format!("unknown {kinds} type \"{}\"", addr.ty))
                .hint = Some(hint);
            continue;
        };
        if let Some(prev) = cfg.resources.get(&addr) {
            duplicate(cx, cfg, &at, &addr.to_string(), prev.file);
            continue;
        }
        let fields = match v {
            Value::Map(f) => f,
            Value::Null => Map::new(),
            other => {
                cx.err(
                    &at,
                    format!(
                        "{addr} must be a mapping of arguments, not a {}",
                        other.kind()
                    ),
                );
                continue;
            }
        };
        let mut block = Block {
            addr: addr.clone(),
            file: cx.idx,
            schema,
            args: BTreeMap::new(),
            clone: None,
            depends_on: Vec::new(),
            lifecycle: Lifecycle::default(),
            timeouts: BTreeMap::new(),
            deps: Vec::new(),
        };
        for (k, fv) in fields {
            let fat = [section, key.as_str(), k.as_str()];
            match k.as_str() {
                "depends_on" => block.depends_on = parse_depends_on(cx, &fat, &fv),
                "lifecycle" if mode == Mode::Managed => {
                    block.lifecycle = parse_lifecycle(cx, &fat, &fv)
                }
                "timeouts" => block.timeouts = parse_timeouts(cx, &fat, &fv),
                "clone" if mode == Mode::Managed => {
                    if schema.clone.is_none() {
                        cx.err(&fat, format!("{} cannot be cloned", addr.ty));
                        continue;
                    }
                    match &fv {
                        Value::Map(cm) => block.clone = Some(expr_map(cx, &fat, cm)),
                        Value::String(_) | Value::Number(_) => {
                            if let Some(e) = to_expr(cx, &fat, &fv) {
                                block.clone = Some(BTreeMap::from([("source".to_string(), e)]));
                            }
                        }
                        other => {
                            cx.err(
                                &fat,
                                format!(
                                    "clone must be a mapping like {{ source: … }}, not a {}",
                                    other.kind()
                                ),
                            );
                        }
                    }
                }
                _ => match Expr::from_value(fv) {
                    Ok(e) => {
                        block.args.insert(k, e);
                    }
                    Err(msg) => {
                        cx.err(&fat, msg);
                    }
                },
            }
        }
        block.deps = block.compute_dependencies();
        cfg.resources.insert(addr, block);
    }
}

fn parse_depends_on(cx: &mut FileCx, at: &[&str], v: &Value) -> Vec<Address> {
    let items = match v {
        Value::List(items) => items.clone(),
        Value::String(_) => vec![v.clone()],
        other => {
            cx.err(
                at,
                format!(
                    "depends_on must be a list of addresses, not a {}",
                    other.kind()
                ),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let istr = i.to_string();
        let mut p = at.to_vec();
        p.push(&istr);
        match item.as_str().map(|s| {
            let s = s.trim();
            let s = s
                .strip_prefix("${")
                .and_then(|s| s.strip_suffix('}'))
                .unwrap_or(s);
            Address::parse(s)
        }) {
            Some(Ok(a)) => out.push(a),
            Some(Err(e)) => {
                cx.err(&p, e);
            }
            None => {
                cx.err(&p, "depends_on entries must be addresses such as type.name");
            }
        }
    }
    out
}

fn parse_lifecycle(cx: &mut FileCx, at: &[&str], v: &Value) -> Lifecycle {
    let mut lc = Lifecycle::default();
    let Value::Map(m) = v else {
        cx.err(
            at,
            format!("lifecycle must be a mapping, not a {}", v.kind()),
        );
        return lc;
    };
    for (k, fv) in m {
        let mut p = at.to_vec();
        p.push(k);
        match (k.as_str(), fv) {
            ("prevent_destroy", Value::Bool(b)) => lc.prevent_destroy = *b,
            ("create_before_destroy", Value::Bool(b)) => lc.create_before_destroy = *b,
            ("ignore_changes", Value::List(items)) => {
                for item in items {
                    match item.as_str() {
                        Some(s) => lc.ignore_changes.push(s.to_string()),
                        None => {
                            cx.err(&p, "ignore_changes must list attribute names");
                        }
                    }
                }
            }
            ("ignore_changes", Value::String(s)) if s == "all" => {
                lc.ignore_changes.push("all".into())
            }
            ("prevent_destroy" | "create_before_destroy", other) => {
                cx.err(
                    &p,
                    format!("expected true or false, got a {}", other.kind()),
                );
            }
            ("ignore_changes", other) => {
                cx.err(
                    &p,
                    format!("expected a list of attribute names, got a {}", other.kind()),
                );
            }
            (other, _) => {
                let keys = ["prevent_destroy", "create_before_destroy", "ignore_changes"];
                let hint = suggest(other, keys.iter().copied())
                    .unwrap_or_else(|| format!("valid keys: {}", keys.join(", ")));
                cx.err(&p, format!("unknown lifecycle key \"{other}\""))
                    .hint = Some(hint);
            }
        }
    }
    lc
}

fn parse_timeouts(
    cx: &mut FileCx,
    at: &[&str],
    v: &Value,
) -> BTreeMap<String, std::time::Duration> {
    let mut out = BTreeMap::new();
    let Value::Map(m) = v else {
        cx.err(
            at,
            format!(
                "timeouts must be a mapping like {{ create: 30m }}, not a {}",
                v.kind()
            ),
        );
        return out;
    };
    for (k, fv) in m {
        let mut p = at.to_vec();
        p.push(k);
        if !["create", "update", "delete", "read"].contains(&k.as_str()) {
            cx.err(&p, format!("unknown timeout \"{k}\"")).hint =
                Some("timeouts: create, update, delete, read".into());
            continue;
        }
        let text = match fv {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                cx.err(
                    &p,
                    format!("expected a duration such as 30m, got a {}", other.kind()),
                );
                continue;
            }
        };
        match parse_duration(&text) {
            Ok(d) => {
                out.insert(k.clone(), d);
            }
            Err(e) => {
                cx.err(&p, e);
            }
        }
    }
    out
}

fn merge_outputs(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    let Some(m) = section_map(cx, "outputs", body) else {
        return;
    };
    for (name, v) in m {
        let at = ["outputs", name.as_str()];
        if let Some(prev) = cfg.outputs.get(name) {
            duplicate(cx, cfg, &at, &format!("output \"{name}\""), prev.file);
            continue;
        }
        // The long form { value, sensitive, description } when the keys are exactly those.
        let long = match v {
            Value::Map(f)
                if f.contains_key("value")
                    && f.keys()
                        .all(|k| ["value", "sensitive", "description"].contains(&k.as_str())) =>
            {
                Some(f)
            }
            _ => None,
        };
        let (expr_v, sensitive, description) = match long {
            Some(f) => (
                f.get("value").cloned().unwrap_or_default(),
                output_flag(cx, name, f.get("sensitive")),
                output_description(cx, name, f.get("description")),
            ),
            None => (v.clone(), false, None),
        };
        if let Some(e) = to_expr(cx, &at, &expr_v) {
            cfg.outputs.insert(
                name.clone(),
                Output {
                    name: name.clone(),
                    file: cx.idx,
                    value: e,
                    sensitive,
                    description,
                },
            );
        }
    }
}

/// An output's `sensitive:` — true or false; anything else is an error (never "not sensitive").
fn output_flag(cx: &mut FileCx, name: &str, v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            output_field_error(cx, name, "sensitive", "true or false", other);
            true // kept secret until the config is fixed
        }
    }
}

fn output_description(cx: &mut FileCx, name: &str, v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            output_field_error(cx, name, "description", "a string", other);
            None
        }
    }
}

fn output_field_error(cx: &mut FileCx, name: &str, field: &str, want: &str, got: &Value) {
    let at = ["outputs", name, field];
    let d = cx.err(&at, format!("expected {want}, got a {}", got.kind()));
    d.attribute = Some(format!("outputs.{name}.{field}"));
}

fn merge_backend(cfg: &mut Config, cx: &mut FileCx, body: &Value) {
    if cfg.backend.is_some() {
        cx.err(&["backend"], "the backend is defined in more than one file");
        return;
    }
    let Value::Map(m) = body else {
        cx.err(
            &["backend"],
            "backend must be a mapping like { type: local }",
        );
        return;
    };
    let ty = m.get("type").and_then(Value::as_str).unwrap_or("");
    let extra = |cx: &mut FileCx, allowed: &[&str]| {
        for k in m.keys() {
            if k != "type" && !allowed.contains(&k.as_str()) {
                cx.err(&["backend", k], format!("unknown backend key \"{k}\""));
            }
        }
    };
    match ty {
        "local" => {
            extra(cx, &["path"]);
            cfg.backend = Some(Backend::Local {
                path: m.get("path").and_then(Value::as_str).map(PathBuf::from),
            });
        }
        "postgres" => {
            extra(cx, &["url"]);
            cfg.backend = Some(Backend::Postgres {
                url: m.get("url").and_then(Value::as_str).map(String::from),
            });
        }
        _ => {
            cx.err(
                &["backend", "type"],
                format!("unknown backend type \"{ty}\""),
            )
            .hint = Some("backend types: local, postgres".into());
        }
    }
}
