//! The command line: parsing (`parse`, over the definitions in `args`), colour choice,
//! dispatch to one module per command, and the mapping of outcomes to exit codes (0 ok, 1 an
//! error — a usage error included, 2 changes present with `plan --detailed-exitcode`, 3
//! `fmt --check` found unformatted files, 130 interrupted).

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
mod args;
mod dashes;
mod fmt;
mod graph;
mod import;
mod init;
mod output;
mod parse;
mod plan;
mod refresh;
mod sandbox;
mod schema;
mod show;
mod state;
mod unlock;
mod validate;
mod version;
pub mod workspace;

pub use args::*;

use crate::plan::render::style::Painter;
use std::io::IsTerminal;

pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_CHANGES: i32 = 2;
/// `fmt --check`: a file is not formatted (Terraform's `fmt -check` code).
pub const EXIT_UNFORMATTED: i32 = 3;
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
    let cli = match parse::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(usage) => return parse::report(&usage),
    };
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            errln!("Error: -chdir {}: {e}", dir.display());
            return EXIT_ERROR;
        }
    }
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
            input: _,
        } => refresh::run(cli, vars, lock, *parallelism, p).await,
        Command::Show { plan_file, json } => show::run(cli, plan_file.as_deref(), *json, p).await,
        Command::State(s) => state::run(cli, s, p).await,
        Command::Import {
            address,
            id,
            vars,
            lock,
            input: _,
        } => import::run(cli, address, id, vars, lock, p).await,
        Command::Output { name, json, raw } => {
            let how = output::How::of(*json, *raw);
            output::run(cli, name.as_deref(), how).await
        }
        Command::Graph { format } => graph::run(cli, *format, p).await,
        Command::Schema { json } => schema::run(*json),
        Command::Fmt { check, diff } => fmt::run(cli, *check, *diff, p),
        Command::Init { dir, provider, .. } => {
            init::run(cli, dir.as_deref(), provider.as_deref()).await
        }
        Command::Version { json } => version::run(*json),
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
