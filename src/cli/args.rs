//! The command line's definition (clap): the global options, every command and its flags.
//! Terraform's single-dash spellings reach these through `cli::dashes`; what a flag means is
//! documented in docs/commands.md.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  strata -C examples/quickstart validate
  strata -C examples/quickstart plan
  strata -C examples/quickstart apply --auto-approve
  strata -C examples/quickstart destroy --auto-approve
  strata sandbox ls --json

Terraform's single-dash spellings are accepted too: strata -chdir=infra plan -out=tfplan";

#[derive(Parser, Debug)]
#[command(
    name = "strata",
    version,
    about = "Declarative plan/apply for managed-database resources across clouds",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// The config directory (every *.yaml / *.yml in it is one stack)
    #[arg(short = 'C', value_name = "DIR", default_value = ".", global = true)]
    pub dir: PathBuf,
    /// Switch to DIR before anything else (Terraform's -chdir): every relative path — -C, the
    /// state, variable and plan files, the sandbox's world — is then relative to DIR
    #[arg(long, value_name = "DIR", global = true)]
    pub chdir: Option<PathBuf>,
    /// The state file (default: state/<the stack directory relative to the current one>.json)
    #[arg(long, value_name = "FILE", global = true)]
    pub state: Option<PathBuf>,
    /// Backend settings: url=postgres://… (or STRATA_PG_URL), path=FILE (repeatable)
    #[arg(long, value_name = "KEY=VALUE", global = true)]
    pub backend_config: Vec<String>,
    /// Plain output without colour (NO_COLOR is honoured too)
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a variable: --var NAME=VALUE (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variable values from a YAML file of NAME: VALUE (repeatable; of the --var-file and
    /// --var flags the later wins; relative to the current directory)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// For each `--var`, how many `--var-file`s come before it on the command line (filled
    /// in by `cli::parse`: the later one wins, as in Terraform).
    #[arg(skip)]
    pub files_before: Vec<usize>,
}

/// The most operations `--parallelism` may allow in flight at once.
pub const MAX_PARALLELISM: usize = 256;

/// `--parallelism N`: 1–[`MAX_PARALLELISM`] (0 would start nothing; more only floods the APIs).
fn parallelism(s: &str) -> Result<usize, String> {
    let bounds = format!("must be 1–{MAX_PARALLELISM}");
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("\"{s}\" is not a whole number: {bounds}"))?;
    match n {
        1..=MAX_PARALLELISM => Ok(n),
        _ => Err(format!("{n} is out of range: {bounds}")),
    }
}

#[derive(Args, Debug, Clone)]
pub struct LockArgs {
    /// Accepted as Terraform's pipelines pass it, but a command that writes the state always
    /// holds its lock (without it, a run beside another could lose the record of what it
    /// made): --lock=false only says so
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub lock: bool,
    /// How long to wait for a state lock held by another command (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
}

impl Default for LockArgs {
    fn default() -> LockArgs {
        LockArgs {
            lock: true,
            lock_timeout: "0s".into(),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Ask on the terminal when an answer is needed (--input=false: never ask; apply and
    /// destroy then need --auto-approve). strata never asks for variable values
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

/// What a plan covers, for `plan` and `apply` alike.
#[derive(Args, Debug, Clone)]
pub struct PlanningArgs {
    /// Read every object from the cloud before planning (--refresh=false skips it)
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Plan only to record in the state what refresh finds in the cloud (changed or deleted
    /// outside strata) and the outputs' values: no object is created, changed or deleted
    #[arg(long, conflicts_with_all = ["destroy", "replace", "target", "exclude"])]
    pub refresh_only: bool,
    /// Plan only this address and what it depends on (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Plan to replace this object even if it has no changes (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Plan everything but this address and what depends on it (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    /// Destroy everything in the state (as `strata destroy`)
    #[arg(long, conflicts_with = "replace")]
    pub destroy: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Save the plan to FILE, to apply exactly it later with `apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Write YAML blocks for `import:` targets with no configuration to FILE (refused if
    /// FILE exists)
    #[arg(long, value_name = "FILE", conflicts_with = "refresh_only")]
    pub generate_config_out: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Calls in flight at once while refreshing
    #[arg(long, default_value_t = 10, value_parser = parallelism)]
    pub parallelism: usize,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out` (applied exactly, refused if the state moved since)
    #[arg(value_name = "PLAN_FILE", conflicts_with_all = ["destroy", "refresh_only"])]
    pub plan_file: Option<PathBuf>,
    /// Apply without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Operations in flight at once
    #[arg(long, default_value_t = 10, value_parser = parallelism)]
    pub parallelism: usize,
    #[command(flatten)]
    pub planning: PlanningArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Report as a stream of JSON events (one per line) instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct DestroyArgs {
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as a stream of JSON events (one per line) instead of text
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value_t = 10, value_parser = parallelism)]
    pub parallelism: usize,
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Text,
    /// Rendered with Graphviz's dot, when installed
    Svg,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check the config: syntax, references, types, required arguments, API rules, cycles
    #[command(after_help = "Example:\n  strata -C examples/quickstart validate --json")]
    Validate {
        /// Print the result as JSON
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        vars: VarArgs,
    },
    /// Show what apply would do
    #[command(
        after_help = "Examples:\n  strata plan\n  strata plan --format json --detailed-exitcode\n  strata plan --target huaweicloud_rds_parameter_template.base"
    )]
    Plan(PlanArgs),
    /// Make the changes the plan shows
    #[command(
        after_help = "Examples:\n  strata apply\n  strata apply --auto-approve --parallelism 32"
    )]
    Apply(ApplyArgs),
    /// Destroy everything this stack made
    #[command(after_help = "Example:\n  strata destroy --auto-approve")]
    Destroy(DestroyArgs),
    /// Read every object from the cloud and update the state (no changes are made)
    #[command(after_help = "Example:\n  strata refresh")]
    Refresh {
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        lock: LockArgs,
        #[arg(long, default_value_t = 10, value_parser = parallelism)]
        parallelism: usize,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Show the state, or a saved plan
    #[command(after_help = "Examples:\n  strata show\n  strata show --json")]
    Show {
        #[arg(value_name = "PLAN_FILE")]
        plan_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Inspect and edit the state
    #[command(subcommand)]
    State(StateCommand),
    /// Adopt an existing cloud object into the state, at an address the config declares
    #[command(
        after_help = "Example:\n  strata import huaweicloud_rds_parameter_template.base 0b6a3e8c1f1e4f58a2b0c8e5d7a9f3e1pr01"
    )]
    Import {
        /// The address in the config (type.name)
        address: String,
        /// The object's id in the cloud
        id: String,
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        lock: LockArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print outputs
    #[command(
        after_help = "Examples:\n  strata output\n  strata output --json\n  strata output -raw restore_id"
    )]
    Output {
        name: Option<String>,
        /// As JSON: every output with its value, type and sensitivity (one output: its value)
        #[arg(long, conflicts_with = "raw")]
        json: bool,
        /// One output's value as it is, with no quotes or newline (strings, numbers and
        /// booleans only; for scripts)
        #[arg(long, requires = "name")]
        raw: bool,
    },
    /// Print the executor's graph: the order apply would run the plan's changes in
    ///
    /// The nodes are what apply runs (creates, updates, reads, both halves of a replacement,
    /// deletes, deposed objects) with the edges apply waits on, numbered in the order
    /// `apply --parallelism 1` runs them; under create_before_destroy the old object is
    /// destroyed after its replacement and its dependents. Unchanged resources are shown
    /// unnumbered. The plan is made from config and state only (no cloud calls).
    #[command(
        after_help = "Examples:\n  strata graph | dot -Tsvg > graph.svg\n  strata graph --format text"
    )]
    Graph {
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Print the JSON Schema of the config language (for editors: completion and checks)
    #[command(
        after_help = "Examples:\n  strata schema --json > strata.schema.json\n  strata schema     (a readable list of every type and argument)"
    )]
    Schema {
        /// The JSON Schema (draft 2020-12) instead of the readable list
        #[arg(long)]
        json: bool,
    },
    /// Rewrite the config files in the canonical layout, keeping comments
    #[command(after_help = "Examples:\n  strata fmt\n  strata fmt --check --diff   (in CI)")]
    Fmt {
        /// Change nothing; exit 3 when a file is not formatted
        #[arg(long)]
        check: bool,
        /// Show the changes as a diff
        #[arg(long)]
        diff: bool,
    },
    /// Start a stack (a commented starter for a provider family), or check an existing one
    ///
    /// In a directory without a config, writes a starter stack. In a stack, changes nothing
    /// and checks what `terraform init` would prepare: the config loads, its provider
    /// families are built in, its modules are found, its state backend opens.
    #[command(
        after_help = "Examples:\n  strata init mystack --provider huaweicloud\n  strata -C mystack init -input=false   (in CI: checks the stack, exit 0)"
    )]
    Init {
        /// Where to write it (default: the -C directory)
        dir: Option<PathBuf>,
        /// The provider family of the starter (default: huaweicloud)
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print strata's version and platform
    #[command(after_help = "Examples:\n  strata version\n  strata version --json")]
    Version {
        /// As JSON (strata_version, platform, provider_families)
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions
    #[command(
        after_help = "Examples:\n  strata completions bash > ~/.local/share/bash-completion/completions/strata\n  strata completions zsh > \"${fpath[1]}/_strata\"\n  strata completions fish > ~/.config/fish/completions/strata.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Remove a state lock left by a holder strata cannot prove dead (e.g. on another host)
    #[command(after_help = "Example:\n  strata force-unlock 0b4c5d6e-…")]
    ForceUnlock {
        #[arg(value_name = "LOCK_ID")]
        lock_id: String,
    },
    /// The embedded simulated cloud
    #[command(subcommand)]
    Sandbox(SandboxCommand),
}

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List the addresses in the state
    #[command(after_help = "Example:\n  strata state list")]
    List,
    /// Show one object's attributes
    #[command(
        after_help = "Example:\n  strata state show huaweicloud_rds_parameter_template.base"
    )]
    Show { address: String },
    /// Print the state document (JSON) on stdout, as `terraform state pull`
    #[command(after_help = "Example:\n  strata state pull > backup.json")]
    Pull,
    /// Forget objects (they keep existing in the cloud)
    #[command(after_help = "Example:\n  strata state rm huaweicloud_rds_parameter_template.old")]
    Rm {
        #[arg(required = true)]
        addresses: Vec<String>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Copy the stack's state to another backend (a PostgreSQL URL or a file), verifying it
    #[command(
        after_help = "Examples:\n  strata state migrate --to postgres://strata@db.internal/strata?sslmode=verify-full\n  strata state migrate --to state/quickstart.json"
    )]
    Migrate {
        /// postgres://… or a file path
        #[arg(long, value_name = "URL|FILE")]
        to: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Move an object to another address (after renaming it in the config)
    #[command(
        after_help = "Example:\n  strata state mv huaweicloud_rds_parameter_template.a huaweicloud_rds_parameter_template.b"
    )]
    Mv {
        from: String,
        to: String,
        #[command(flatten)]
        lock: LockArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum SandboxCommand {
    /// Run the sandbox as a standalone HTTP server
    #[command(
        after_help = "Example:\n  strata sandbox serve --addr 127.0.0.1:8787\n  export STRATA_SANDBOX_URL=http://127.0.0.1:8787"
    )]
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: String,
    },
    /// List every object in the simulated cloud
    #[command(after_help = "Example:\n  strata sandbox ls --json")]
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Forget every object the sandbox holds (back to its seed objects)
    #[command(after_help = "Example:\n  strata sandbox reset")]
    Reset,
}

impl Command {
    /// The command's variable flags, when it takes them.
    pub fn vars_mut(&mut self) -> Option<&mut VarArgs> {
        match self {
            Command::Validate { vars, .. }
            | Command::Refresh { vars, .. }
            | Command::Import { vars, .. } => Some(vars),
            Command::Plan(a) => Some(&mut a.vars),
            Command::Apply(a) => Some(&mut a.vars),
            Command::Destroy(a) => Some(&mut a.vars),
            _ => None,
        }
    }
}
