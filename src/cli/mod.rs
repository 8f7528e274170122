//! The command line: argument definitions (clap), colour choice, dispatch to one module per
//! command, and the mapping of outcomes to exit codes (0 ok, 1 error, 2 changes present with
//! `plan --detailed-exitcode`, 130 interrupted).

/// Print to stdout; a closed pipe (`strata plan | head`) is not an error worth a panic.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
/// Like `outln!`, without the newline.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let mut o = std::io::stdout();
        let _ = write!(o, $($t)*);
        let _ = o.flush();
    }};
}
/// Print to stderr, ignoring a closed pipe.
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

mod apply;
mod fmt;
mod graph;
mod import;
mod init;
mod output;
mod plan;
mod refresh;
mod sandbox;
mod schema;
mod show;
mod state;
mod unlock;
mod validate;
pub mod workspace;

use crate::plan::render::style::Painter;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_CHANGES: i32 = 2;
pub const EXIT_INTERRUPTED: i32 = 130;

/// A command's failure: what to print, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_ERROR,
            message: message.into(),
        }
    }
    /// Already reported (e.g. diagnostics printed): exit with `code` and say nothing more.
    pub fn quiet(code: i32) -> Failure {
        Failure {
            code,
            message: String::new(),
        }
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Failure {
        Failure::new(s)
    }
}

impl From<&str> for Failure {
    fn from(s: &str) -> Failure {
        Failure::new(s)
    }
}

impl From<crate::state::StateError> for Failure {
    fn from(e: crate::state::StateError) -> Failure {
        Failure::new(e.to_string())
    }
}

pub type CmdResult = Result<i32, Failure>;

const EXAMPLES: &str = "\
Examples:
  strata -C examples/quickstart validate
  strata -C examples/quickstart plan
  strata -C examples/quickstart apply --auto-approve
  strata -C examples/quickstart destroy --auto-approve
  strata sandbox ls --json";

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
    /// Read variable values from a YAML file of NAME: VALUE (repeatable, a later file wins;
    /// relative to the current directory)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
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
    /// How long to wait for a state lock held by another command (e.g. 30s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Save the plan to FILE, to apply exactly it later with `apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// With --format json: the document indented, for people (one line otherwise, as
    /// Terraform prints it)
    #[arg(long)]
    pub pretty: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Read every object from the cloud before planning (--refresh=false skips it)
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Plan only this address and what it depends on (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Plan to replace this object even if it has no changes (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Plan everything but this address and what depends on it (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    /// Write YAML blocks for `import:` targets with no configuration to FILE (refused if
    /// FILE exists)
    #[arg(long, value_name = "FILE")]
    pub generate_config_out: Option<PathBuf>,
    /// Plan to destroy everything in the state
    #[arg(long)]
    pub destroy: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Calls in flight at once while refreshing
    #[arg(long, default_value_t = 10, value_parser = parallelism)]
    pub parallelism: usize,
}

#[derive(Args, Debug, Clone)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out` (applied exactly, refused if the state moved since)
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    /// Apply without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Operations in flight at once
    #[arg(long, default_value_t = 10, value_parser = parallelism)]
    pub parallelism: usize,
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
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
    },
    /// Show the state, or a saved plan
    #[command(after_help = "Examples:\n  strata show\n  strata show --json")]
    Show {
        #[arg(value_name = "PLAN_FILE")]
        plan_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// With --json and a plan file: the document indented, for people (one line otherwise)
        #[arg(long, requires = "json")]
        pretty: bool,
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
    },
    /// Print outputs
    #[command(after_help = "Examples:\n  strata output\n  strata output restore_id --json")]
    Output {
        name: Option<String>,
        #[arg(long)]
        json: bool,
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
        /// Change nothing; exit 1 when a file is not formatted
        #[arg(long)]
        check: bool,
        /// Show the changes as a diff
        #[arg(long)]
        diff: bool,
    },
    /// Write a commented starter stack for a provider family
    #[command(after_help = "Example:\n  strata init mystack --provider huaweicloud")]
    Init {
        /// Where to write it (default: the -C directory)
        dir: Option<PathBuf>,
        #[arg(long, default_value = "huaweicloud")]
        provider: String,
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

/// Whether to colour output: a terminal, no NO_COLOR, no --no-color.
pub fn painter(no_color: bool, stream_is_terminal: bool) -> Painter {
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    Painter {
        color: !no_color && !no_color_env && !dumb && stream_is_terminal,
    }
}

/// Parse the command line and run; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let out = painter(cli.no_color, std::io::stdout().is_terminal());
    let err = painter(cli.no_color, std::io::stderr().is_terminal());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            errln!("Error: cannot start the runtime: {e}");
            return EXIT_ERROR;
        }
    };
    let result = runtime.block_on(async {
        crate::apply::signals::install();
        tokio::select! {
            r = dispatch(&cli, out) => r,
            _ = crate::apply::signals::cancelled() => Err(Failure {
                message: "Interrupted: stopped at a safe point (nothing is half-written; the state lock is released). Run the command again."
                    .into(),
                code: EXIT_INTERRUPTED,
            }),
        }
    });
    // Drop every task still running (the in-process sandbox server's among them) and wait,
    // briefly, for blocking work: a lock taken on a blocking thread just as an interrupt
    // cancelled the command is released (its file removed) before the process ends.
    runtime.shutdown_timeout(std::time::Duration::from_secs(3));
    match result {
        Ok(code) => code,
        Err(f) => {
            if !f.message.is_empty() {
                errln!("{} {}", err.red(&err.bold("Error:")), f.message);
            }
            f.code
        }
    }
}

async fn dispatch(cli: &Cli, p: Painter) -> CmdResult {
    match &cli.command {
        Command::Validate { json, vars } => validate::run(cli, *json, vars, p),
        Command::Plan(a) => plan::run(cli, a, p).await,
        Command::Apply(a) => apply::run_apply(cli, a, p).await,
        Command::Destroy(a) => apply::run_destroy(cli, a, p).await,
        Command::Refresh {
            vars,
            lock,
            parallelism,
        } => refresh::run(cli, vars, lock, *parallelism, p).await,
        Command::Show {
            plan_file,
            json,
            pretty,
        } => {
            let form = show::Form {
                json: *json,
                pretty: *pretty,
            };
            show::run(cli, plan_file.as_deref(), form, p).await
        }
        Command::State(s) => state::run(cli, s, p).await,
        Command::Import {
            address,
            id,
            vars,
            lock,
        } => import::run(cli, address, id, vars, lock, p).await,
        Command::Output { name, json } => output::run(cli, name.as_deref(), *json).await,
        Command::Graph { format } => graph::run(cli, *format, p).await,
        Command::Schema { json } => schema::run(*json),
        Command::Fmt { check, diff } => fmt::run(cli, *check, *diff, p),
        Command::Init { dir, provider } => init::run(dir.as_ref().unwrap_or(&cli.dir), provider),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "strata", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
        Command::ForceUnlock { lock_id } => unlock::run(cli, lock_id).await,
        Command::Sandbox(s) => sandbox::run(s).await,
    }
}
