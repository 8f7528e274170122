//! What every command needs, gathered from the command line: the config (loaded and
//! validated, diagnostics printed), variable values, the state backend (`state::place`
//! chooses it), the sandbox connector and the providers (`families::providers_for`); the
//! reconcile → refresh → plan sequence itself is the library's (`plan::prepared::prepare`).

use super::{Cli, Failure, LockArgs, PlanningArgs, VarArgs};
use crate::address::Address;
use crate::config::vars::{self, Missing, VarFile, Vars};
use crate::config::{self, Config};
use crate::diag::{Diagnostics, Severity};
pub use crate::plan::prepared::Prepared;
use crate::plan::prepared::{self, PrepareError};
use crate::plan::render::style::Painter;
use crate::plan::saved::Saved;
use crate::plan::Options;
use crate::providers::Providers;
use crate::sandbox::Connector;
use crate::state::backend::{Backend, Loaded, LockGuard};
use crate::state::journal::Entry;
use crate::state::place::{Given, Stack};
use crate::state::State;
use crate::util::Redactor;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub struct Workspace {
    pub cfg: Arc<Config>,
    pub vars: Vars,
    pub backend: Arc<dyn Backend>,
    pub sandbox: Connector,
    pub redactor: Redactor,
}

/// Print diagnostics to stderr.
pub fn print_diags(diags: &Diagnostics, redactor: &Redactor) {
    let p = super::painter(false, std::io::stderr().is_terminal());
    for d in &diags.0 {
        let text = redactor.redact(&d.to_string());
        let (label, rest) = text.split_once(": ").unwrap_or(("", &text));
        let label = match d.severity {
            Severity::Error => p.red(&p.bold(&format!("{label}:"))),
            Severity::Warning => p.yellow(&p.bold(&format!("{label}:"))),
        };
        errln!("{label} {rest}");
    }
}

fn secrets(vars: &Vars) -> Vec<String> {
    vars.values()
        .filter(|v| v.sensitive)
        .filter_map(|v| v.value.scalar_text())
        .collect()
}

/// What the command line gives variables.
struct GivenValues {
    /// `--var` assignments, in order.
    assignments: Vec<(String, String)>,
    /// For each assignment, how many `--var-file`s come before it.
    files_before: Vec<usize>,
    /// The variable files: the stack directory's, then `--var-file`'s.
    files: Vec<VarFile>,
    /// The problems reading them.
    diags: Diagnostics,
}

fn given_values(cli: &Cli, var_args: &VarArgs) -> GivenValues {
    let mut diags = Diagnostics::default();
    let assignments = match vars::parse_assignments(&var_args.vars) {
        Ok(a) => a,
        Err(e) => {
            diags.push(crate::diag::Diagnostic::error(e));
            Vec::new()
        }
    };
    let (files, fdiags) = vars::files::gather(&cli.dir, &var_args.var_files);
    diags.extend(fdiags);
    GivenValues {
        assignments,
        files_before: var_args.files_before.clone(),
        files,
        diags,
    }
}

/// The variable values of `cfg` from its defaults, the environment, the variable files and
/// `--var` (`config::vars`): values, where each came from, and every problem.
fn resolve_vars(cfg: &Config, given: GivenValues, missing: Missing) -> vars::Resolved {
    let env = |k: &str| std::env::var(k).ok();
    let g = vars::Given {
        files: &given.files,
        cli: &given.assignments,
        files_before: &given.files_before,
        env: &env,
    };
    let mut resolved = vars::resolve_given(cfg, &g, missing);
    let mut diags = given.diags;
    diags.extend(std::mem::take(&mut resolved.diags));
    resolved.diags = diags;
    resolved
}

/// Load the config in `cli.dir` and validate it. `Err(diagnostics)` when anything is wrong.
pub fn load_config(
    cli: &Cli,
    var_args: &VarArgs,
    missing: Missing,
    depth: config::validate::Depth,
) -> Result<(Config, Vars, Diagnostics), Box<(Config, Diagnostics)>> {
    let (mut cfg, mut diags) = config::load(&cli.dir);
    let resolved = resolve_vars(&cfg, given_values(cli, var_args), missing);
    diags.extend(resolved.diags);
    let values = resolved.vars;
    config::modules::expand(&mut cfg, &values, &mut diags);
    if !cfg.files.is_empty() {
        diags.extend(config::validate::validate(&cfg, &values, depth));
    }
    cfg.resolve_lines(&mut diags);
    diags.sort();
    if diags.has_errors() {
        return Err(Box::new((cfg, diags)));
    }
    Ok((cfg, values, diags))
}

pub use crate::state::place::{Opened, Place};

/// `--backend-config KEY=VALUE` settings.
fn backend_config(cli: &Cli, key: &str) -> Result<Option<String>, Failure> {
    let mut found = None;
    for item in &cli.backend_config {
        match item.split_once('=') {
            Some((k, v)) if k.trim() == key => found = Some(v.to_string()),
            Some((k, _)) if ["url", "path"].contains(&k.trim()) => {}
            _ => {
                return Err(Failure::new(format!(
                "--backend-config \"{item}\": write --backend-config url=postgres://… or path=FILE"
            )))
            }
        }
    }
    Ok(found)
}

/// The state's place (`state::place::choose`) from `--state`, `--backend-config`,
/// `STRATA_PG_URL` and the config's `backend:` block.
pub fn place(cli: &Cli, cfg: &Config) -> Result<Place, Failure> {
    let given = Given {
        state_file: cli.state.clone(),
        url: backend_config(cli, "url")?,
        path: backend_config(cli, "path")?.map(PathBuf::from),
        env_url: std::env::var("STRATA_PG_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    };
    let (place, note) = crate::state::place::choose(&given, cfg.backend.as_ref(), &stack(cfg))?;
    if let Some(note) = note {
        errln!("Note: {note}");
    }
    Ok(place)
}

fn stack(cfg: &Config) -> Stack<'_> {
    Stack {
        name: &cfg.stack,
        dir: &cfg.dir,
    }
}

/// Open the backend at a place for the stack of `cfg` (`state::place::open`).
pub fn open_backend(place: &Place, cfg: &Config) -> Result<Opened, Failure> {
    Ok(crate::state::place::open(place, &stack(cfg))?)
}

/// Lock the state for `op` (waiting as `--lock-timeout` says) and load it, noting a dead
/// holder's lock that was cleared and what loading noticed (a replayed journal, …). The lock
/// is held until the guard is dropped.
pub async fn lock_and_load(
    backend: &dyn Backend,
    op: &str,
    lock: &LockArgs,
    p: &Painter,
) -> Result<(Box<dyn LockGuard>, Loaded), Failure> {
    let guard = backend.lock(op, lock_wait(lock, p)?).await?;
    if let Some(c) = guard.cleared() {
        errln!("{} {c}", p.yellow("Note:"));
    }
    let loaded = backend.load().await?;
    print_notes(&loaded, p);
    Ok((guard, loaded))
}

/// How long to wait for the state's lock (`--lock-timeout`). A command that writes the state
/// always takes its lock: `--lock=false` is accepted, as Terraform's pipelines pass it, and
/// noted — without the lock, a run beside another could lose the record of what it made in
/// the cloud (docs/safety.md).
pub fn lock_wait(l: &LockArgs, p: &Painter) -> Result<Duration, Failure> {
    if !l.lock {
        errln!(
            "{} --lock=false: strata still locks the state while writing it (without the lock, \
             a run beside another could lose the record of what it made in the cloud)",
            p.yellow("Note:")
        );
    }
    lock_timeout(l)
}

fn lock_timeout(l: &LockArgs) -> Result<Duration, Failure> {
    config::parse_duration(&l.lock_timeout)
        .or_else(|e| {
            if l.lock_timeout.trim() == "0" || l.lock_timeout.trim() == "0s" {
                Ok(Duration::ZERO)
            } else {
                Err(e)
            }
        })
        .map_err(|e| Failure::new(format!("--lock-timeout: {e}")))
}

impl PlanningArgs {
    /// The planning options the flags give, the addresses checked against `cfg`.
    pub fn options(&self, cfg: &Config) -> Result<Options, Failure> {
        if self.refresh_only && !self.refresh {
            return Err(Failure::new(
                "--refresh-only plans what refresh finds: it cannot be used with --refresh=false",
            ));
        }
        Ok(Options {
            destroy: self.destroy,
            refresh: self.refresh,
            refresh_only: self.refresh_only,
            targets: parse_addrs(&self.target, "--target", cfg)?,
            replace: parse_addrs(&self.replace, "--replace", cfg)?,
            excludes: parse_addrs(&self.exclude, "--exclude", cfg)?,
        })
    }
}

/// The addresses of `--target`-like flags: an address, or a module path (`module.NAME`,
/// `module.NAME["key"]`) standing for every block of the config inside it.
pub fn parse_addrs(list: &[String], flag: &str, cfg: &Config) -> Result<Vec<Address>, Failure> {
    let mut out = Vec::new();
    for s in list {
        let fail = |e: String| Failure::new(format!("{flag}: {e}"));
        let Ok(path) = crate::address::parse_module(s) else {
            out.push(Address::parse(s).map_err(fail)?);
            continue;
        };
        let inside: Vec<Address> = cfg
            .resources
            .keys()
            .filter(|a| a.within(&path))
            .cloned()
            .collect();
        if inside.is_empty() {
            return Err(fail(format!(
                "the configuration has no module instance {s}"
            )));
        }
        out.extend(inside);
    }
    Ok(out)
}

/// The working directory's config, read only for its stack name and backend (it may be
/// absent: the stack is then named after the directory).
pub fn here_config(cli: &Cli) -> Config {
    let (cfg, _) = config::load(&cli.dir);
    if cfg.stack.is_empty() {
        Config {
            stack: config::validate::stack_name(&cli.dir),
            ..cfg
        }
    } else {
        cfg
    }
}

/// The local backend for a config (or the error saying why the backend is unavailable).
pub fn backend(cli: &Cli, cfg: &Config) -> Result<Opened, Failure> {
    open_backend(&place(cli, cfg)?, cfg)
}

impl Workspace {
    /// Load, validate (printing every diagnostic) and open the backend.
    pub fn open(cli: &Cli, var_args: &VarArgs, missing: Missing) -> Result<Workspace, Failure> {
        // Values are checked by the planner (all of them, every problem reported).
        let depth = config::validate::Depth::Structure;
        let (cfg, values, diags) = match load_config(cli, var_args, missing, depth) {
            Ok(v) => v,
            Err(failed) => {
                print_diags(&failed.1, &Redactor::default());
                return Err(Failure::quiet(super::EXIT_ERROR));
            }
        };
        let ws = Workspace::assemble(cli, cfg, values)?;
        print_diags(&diags, &ws.redactor);
        Ok(ws)
    }

    /// The workspace of a loaded config and its variable values: the backend it names, and
    /// a redactor for every secret (sensitive variables, a backend password).
    fn assemble(cli: &Cli, cfg: Config, values: Vars) -> Result<Workspace, Failure> {
        let opened = backend(cli, &cfg)?;
        Ok(Workspace::assemble_with(cfg, values, opened))
    }

    fn assemble_with(cfg: Config, values: Vars, (backend, pw): Opened) -> Workspace {
        let redactor = Redactor::new(secrets(&values).into_iter().chain(pw));
        Workspace {
            cfg: Arc::new(cfg),
            vars: values,
            backend,
            sandbox: Connector::new(crate::sandbox::default_path(), crate::families::sandbox()),
            redactor,
        }
    }

    /// The workspace a saved plan was made in: its own config files and variable values, with
    /// the state backend `opened` from the working directory's config, never one the file
    /// names. Sensitive variables are not in the file: they come from --var, STRATA_VAR_ or a
    /// variable file again (`Saved::values`, checked by `Saved::check_sensitive`).
    pub fn from_saved(
        cli: &Cli,
        saved: &Saved,
        var_args: &VarArgs,
        here: &Config,
        opened: Opened,
    ) -> Result<Workspace, Failure> {
        let (mut cfg, diags) =
            config::load_sources(&saved.config_dir, &saved.plan.stack, saved.files.clone());
        if diags.has_errors() {
            print_diags(&diags, &Redactor::default());
            return Err(Failure::new("the saved plan's configuration does not load"));
        }
        saved.restore_defaults(&mut cfg, here);
        let assignments = vars::parse_assignments(&var_args.vars).map_err(Failure::new)?;
        for (k, _) in &assignments {
            if cfg.variables.get(k).is_some_and(|v| !v.sensitive) {
                return Err(Failure::new(format!(
                    "--var {k}: a saved plan fixes the values of non-sensitive variables; make a new plan to change it"
                )));
            }
        }
        let given = given_values(cli, var_args);
        saved
            .check_fixed(&cfg, &given.files)
            .map_err(Failure::new)?;
        // only the sensitive values are taken from what is given now
        let resolved = resolve_vars(&Saved::sensitive_only(&cfg), given, Missing::Unknown);
        if resolved.diags.has_errors() {
            print_diags(&resolved.diags, &Redactor::new(secrets(&resolved.vars)));
            return Err(Failure::quiet(super::EXIT_ERROR));
        }
        let values = saved.values(&cfg, &resolved.vars).map_err(Failure::new)?;
        let mut diags = crate::diag::Diagnostics::default();
        config::modules::expand(&mut cfg, &values, &mut diags);
        if diags.has_errors() {
            print_diags(&diags, &Redactor::new(secrets(&values)));
            return Err(Failure::new("the saved plan's modules do not expand"));
        }
        Ok(Workspace::assemble_with(cfg, values, opened))
    }

    /// For commands that read or edit the state without planning: the config is read only
    /// for the stack name and backend, and may be absent.
    pub fn state_only(cli: &Cli) -> Result<Workspace, Failure> {
        Workspace::assemble(cli, here_config(cli), Vars::new())
    }

    /// Reconcile the state's open intents (`plan::prepared::reconcile`).
    pub async fn reconcile(
        &self,
        state: &mut State,
        providers: &Providers,
    ) -> Result<(Vec<Entry>, Vec<String>), Failure> {
        prepared::reconcile(&self.cfg, &self.vars, state, providers)
            .await
            .map_err(|e| Failure::new(self.redactor.redact(&e)))
    }

    /// Providers for every family the config and the state use.
    pub async fn providers(&self, state: &State) -> Result<Providers, Failure> {
        crate::families::providers_for(&self.cfg, &self.vars, state, &self.sandbox)
            .await
            .map_err(Failure::new)
    }

    /// Reconcile open intents, refresh (unless disabled) and plan (`plan::prepared::prepare`),
    /// printing the planner's diagnostics.
    pub async fn prepare(
        &self,
        loaded: Loaded,
        options: Options,
        parallelism: usize,
    ) -> Result<Prepared, Failure> {
        self.prepare_with(loaded, options, parallelism, false).await
    }

    /// `prepare`, reading import targets that have no configuration when `generate_config`
    /// (`plan --generate-config-out`).
    pub async fn prepare_with(
        &self,
        loaded: Loaded,
        options: Options,
        parallelism: usize,
        generate_config: bool,
    ) -> Result<Prepared, Failure> {
        let input = prepared::PrepareInput {
            cfg: &self.cfg,
            vars: &self.vars,
            providers: self.providers(&loaded.state).await?,
            loaded,
            options,
            parallelism,
            generate_config,
        };
        prepared::prepare(input).await.map_err(|e| match e {
            PrepareError::Failed(m) => Failure::new(self.redactor.redact(&m)),
            PrepareError::Invalid(diags) => {
                print_diags(&diags, &self.redactor);
                Failure::quiet(super::EXIT_ERROR)
            }
        })
    }
}

pub fn print_notes(loaded: &Loaded, p: &Painter) {
    for n in &loaded.notes {
        errln!("{} {n}", p.yellow("Note:"));
    }
}
