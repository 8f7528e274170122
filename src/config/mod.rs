//! The config language: YAML files of one directory merged into one stack of providers,
//! variables, locals, resources, data sources, outputs and a backend.
//! `scan` bounds and checks a file's YAML before `load` parses it; the language's own keys
//! are one table, `keys`, from which `sections` merges them, `format` orders them and
//! `jsonschema` describes them; `validate` checks everything against the schemas; `eval`
//! computes values.

pub mod eval;
pub mod evaluate;
pub mod expr;
pub mod format;
pub mod functions;
pub mod imports;
pub mod jsonschema;
pub mod keys;
#[cfg(test)]
mod keys_tests;
mod lines;
pub mod locals;
pub mod modules;
pub mod moves;
pub use lines::scalar_region;
pub mod instances;
pub(crate) mod load;
pub mod ops;
pub mod parse;
pub mod scan;
pub mod secrets;
mod sections;
pub mod validate;
pub mod vars;

pub use load::{load, load_sources, read_source, yaml_files};
pub use locals::{Local, Node};

use crate::address::Address;
use crate::schema::Schema;
use crate::value::Value;
use expr::Expr;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// One config file, kept for line look-ups in diagnostics (and carried by saved plans).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct SourceFile {
    /// The path as shown to users (relative to the working directory where possible).
    pub path: PathBuf,
    pub text: String,
    /// The module directory the file belongs to, relative to the stack directory (see
    /// `modules::dir_key`); empty for the stack's own files.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The dependency graph (of resources, data sources and locals), built on first use.
    pub graph: std::sync::OnceLock<std::sync::Arc<crate::graph::Graph<Node>>>,
    pub dir: PathBuf,
    pub stack: String,
    pub files: Vec<SourceFile>,
    pub providers: BTreeMap<String, ProviderBlock>,
    pub variables: BTreeMap<String, Variable>,
    /// The `locals:` section, by name (shared with the scopes that evaluate them).
    pub locals: std::sync::Arc<BTreeMap<String, Local>>,
    /// Managed resources and data sources, by address.
    pub resources: BTreeMap<Address, Block>,
    pub outputs: BTreeMap<String, Output>,
    pub backend: Option<Backend>,
    /// The `modules:` section: the calls, by name (inlined into `resources` and `locals` by
    /// `modules::expand` once the variables are known).
    pub modules: BTreeMap<String, modules::ModuleCall>,
    /// Every module directory the stack uses, parsed once, by `modules::dir_key` (the root
    /// config only).
    pub module_defs: BTreeMap<String, modules::ModuleDef>,
    /// The module directory this config is (empty for the stack itself).
    pub module_key: String,
    /// The `import:` entries, in file order.
    pub imports: Vec<imports::Import>,
    /// The `moved:` entries, in file order.
    pub moved: Vec<moves::Moved>,
    /// The `removed:` entries, in file order.
    pub removed: Vec<moves::Removed>,
}

#[derive(Debug, Clone)]
pub struct ProviderBlock {
    pub name: String,
    pub file: usize,
    pub args: BTreeMap<String, Expr>,
}

/// A variable's type constraint (`type:`), see `vars::types`.
pub type VarType = vars::Type;

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub file: usize,
    pub default: Option<Value>,
    pub sensitive: bool,
    pub ty: Option<VarType>,
    pub description: Option<String>,
    /// `validation:` rules, checked once the value is known (`vars::validation`).
    pub validation: Vec<vars::Rule>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: Vec<String>,
}

/// A resource or data-source block.
#[derive(Debug, Clone)]
pub struct Block {
    pub addr: Address,
    pub file: usize,
    pub schema: &'static Schema,
    pub args: BTreeMap<String, Expr>,
    pub clone: Option<BTreeMap<String, Expr>>,
    pub depends_on: Vec<Address>,
    pub lifecycle: Lifecycle,
    pub timeouts: BTreeMap<String, Duration>,
    /// `count:` or `for_each:`: the block makes one object per instance.
    pub repeat: Option<Repeat>,
    /// `provider:` — the provider configuration (`alicloud.dr`) as written; `None`: the
    /// family's default configuration (see [`Config::provider_config`]).
    pub provider: Option<String>,
    /// Every address this block refers to or depends on, directly or through the locals it
    /// uses (computed once, when loaded).
    pub deps: Vec<Address>,
}

/// How a repeated block makes its instances.
#[derive(Debug, Clone, PartialEq)]
pub enum Repeat {
    /// `count: N`: instances `[0]` … `[N-1]`, with `count.index`.
    Count(Expr),
    /// `for_each:` a map or a set of strings: instances `["key"]`, with `each.key` and
    /// `each.value`.
    ForEach(Expr),
}

impl Repeat {
    pub fn expr(&self) -> &Expr {
        match self {
            Repeat::Count(e) | Repeat::ForEach(e) => e,
        }
    }

    /// The meta-argument's name.
    pub fn key(&self) -> &'static str {
        match self {
            Repeat::Count(_) => "count",
            Repeat::ForEach(_) => "for_each",
        }
    }
}

impl Block {
    /// Every address this block refers to or depends on (without duplicates).
    pub fn dependencies(&self) -> Vec<Address> {
        self.deps.clone()
    }

    /// Collect the dependencies from the references and `depends_on` (done at load; the
    /// objects of the locals the block uses are added by `Config::link_locals`).
    pub fn compute_dependencies(&self) -> Vec<Address> {
        let mut out: Vec<Address> = self.depends_on.clone();
        let exprs = self
            .args
            .values()
            .chain(self.clone.iter().flat_map(|c| c.values()))
            .chain(self.repeat.iter().map(Repeat::expr));
        for e in exprs {
            for r in e.refs() {
                if let expr::Target::Object(a) = &r.target {
                    out.push(a.clone());
                }
            }
        }
        out.sort();
        out.dedup();
        out.retain(|a| *a != self.addr);
        out
    }

    /// One instance of this block: the same block at the instance's address, itself not
    /// repeated (its `count` / `for_each`, which may be large, is not copied into each).
    pub fn instance(&self, key: crate::address::Key) -> Block {
        Block {
            addr: self.addr.instance(key),
            file: self.file,
            schema: self.schema,
            args: self.args.clone(),
            clone: self.clone.clone(),
            depends_on: self.depends_on.clone(),
            lifecycle: self.lifecycle.clone(),
            timeouts: self.timeouts.clone(),
            provider: self.provider.clone(),
            repeat: None,
            deps: self.deps.clone(),
        }
    }

    /// The YAML key path of this block, for diagnostics.
    pub fn yaml_path(&self) -> Vec<String> {
        let section = if self.addr.is_data() {
            "data"
        } else {
            "resources"
        };
        vec![
            section.to_string(),
            format!("{}.{}", self.addr.ty, self.addr.name),
        ]
    }

    /// The timeout of an operation: the block's `timeouts:` entry for it (`create`, `update`,
    /// `delete`, `read`), else the schema's (a read or an import takes the create timeout).
    pub fn timeout(&self, verb: crate::verb::Verb) -> Duration {
        let key = verb.timeout_key();
        if let Some(d) = self.timeouts.get(key) {
            return *d;
        }
        let t = &self.schema.timeouts;
        Duration::from_secs(match verb {
            crate::verb::Verb::Delete => t.delete_s,
            crate::verb::Verb::Update => t.update_s,
            _ => t.create_s,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub file: usize,
    pub value: Expr,
    pub sensitive: bool,
    pub description: Option<String>,
}

/// The `backend:` block: where the state lives (`state::place`).
pub use crate::state::place::Configured as Backend;

impl Config {
    /// The graph of resources, data sources and locals, from references and `depends_on`
    /// (built once per config, on first use, and shared by validation and planning).
    pub fn dependency_graph(&self) -> std::sync::Arc<crate::graph::Graph<Node>> {
        self.graph
            .get_or_init(|| std::sync::Arc::new(crate::graph::Graph::build(self.graph_nodes())))
            .clone()
    }

    /// The block an address (or one instance of it) belongs to.
    pub fn block_of(&self, addr: &Address) -> Option<&Block> {
        match addr.key {
            None => self.resources.get(addr),
            Some(_) => self.resources.get(&addr.block()),
        }
    }

    /// The provider configuration that manages `addr` in this config: its block's
    /// `provider:`, else the family's default (`alicloud`); `None` when no block has it.
    pub fn provider_config(&self, addr: &Address) -> Option<String> {
        let b = self.block_of(addr)?;
        Some(
            b.provider
                .clone()
                .unwrap_or_else(|| addr.provider().to_string()),
        )
    }

    pub fn file_path(&self, idx: usize) -> PathBuf {
        self.files
            .get(idx)
            .map(|f| f.path.clone())
            .unwrap_or_default()
    }

    /// The objects the outputs refer to, directly or through locals (they must be read back
    /// after apply).
    pub fn output_refs(&self) -> impl Iterator<Item = &Address> + '_ {
        self.outputs
            .values()
            .flat_map(|o| self.expr_objects(&o.value))
    }

    /// Resolve the `yaml_path` of each diagnostic to a file line.
    pub fn resolve_lines(&self, diags: &mut crate::diag::Diagnostics) {
        lines::resolve(&self.files, diags);
    }
}

/// The longest timeout accepted (longer ones would overflow deadlines, and no cloud
/// operation takes more than a month).
pub const MAX_DURATION: Duration = Duration::from_secs(720 * 3600);

/// Parse durations such as `90s`, `10m`, `1h30m` or a plain number of seconds, at most
/// [`MAX_DURATION`].
/// The directory `file(…)` reads from: the stack directory, or the working directory when
/// none is known (an empty path).
pub fn stack_dir(dir: &std::path::Path) -> &std::path::Path {
    if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let too_long = || format!("\"{s}\" is too long: a timeout may be at most 720h (30 days)");
    let not_a_duration = || format!("\"{s}\" is not a duration: write e.g. 90s, 10m or 1h30m");
    let max = MAX_DURATION.as_secs();
    let mut total = 0u64;
    let mut num = String::new();
    // a plain number is seconds
    let units = if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        format!("{s}s")
    } else {
        s.to_string()
    };
    for c in units.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        if num.is_empty() {
            return Err(not_a_duration());
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("\"{s}\" is not a duration: units are s, m and h")),
        };
        // digits only, so a failed parse means a number too large for u64
        let n: u64 = num.parse().map_err(|_| too_long())?;
        num.clear();
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .filter(|t| *t <= max)
            .ok_or_else(too_long)?;
    }
    if !num.is_empty() || total == 0 {
        return Err(not_a_duration());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("10m5").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(parse_duration("720h").unwrap(), MAX_DURATION);
        for long in [
            "721h",
            "18446744073709551615h",
            "18446744073709551615",
            "9".repeat(30).as_str(),
        ] {
            let e = parse_duration(long).unwrap_err();
            assert!(e.contains("is too long"), "{long}: {e}");
        }
    }
}
