//! What every command needs: the config (loaded and validated, diagnostics printed), variable
//! values, the state backend, the sandbox connector, the providers, and the shared
//! reconcile → refresh → plan sequence.

use super::{Cli, Failure, LockArgs, VarArgs};
use crate::address::Address;
use crate::config::vars::{self, Missing, Vars};
use crate::config::{self, Backend as BackendCfg, Config};
use crate::diag::{Diagnostics, Severity};
use crate::plan::diff::{self, PlanInput};
pub use crate::plan::prepared::Prepared;
use crate::plan::render::style::Painter;
use crate::plan::saved::Saved;
use crate::plan::{refresh, Options};
use crate::providers::Providers;
use crate::sandbox::Connector;
use crate::state::backend::{Backend, Loaded, LockGuard};
use crate::state::journal::Entry;
use crate::state::local::LocalBackend;
use crate::state::State;
use crate::util::Redactor;
use std::collections::BTreeSet;
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

/// Load the config in `cli.dir` and validate it. `Err(diagnostics)` when anything is wrong.
pub fn load_config(
    cli: &Cli,
    var_args: &VarArgs,
    missing: Missing,
    depth: config::validate::Depth,
) -> Result<(Config, Vars, Diagnostics), Box<(Config, Diagnostics)>> {
    let (cfg, mut diags) = config::load(&cli.dir);
    let assignments = match vars::parse_assignments(&var_args.vars) {
        Ok(a) => a,
        Err(e) => {
            diags.push(crate::diag::Diagnostic::error(e));
            Vec::new()
        }
    };
    let env = |k: &str| std::env::var(k).ok();
    let (values, vdiags) = vars::resolve(&cfg, &assignments, &env, missing);
    diags.extend(vdiags);
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

/// Where a stack's state lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    File(PathBuf),
    Postgres(String),
}

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

/// The state's place: `--state FILE`; else the config's `backend:` block (its URL from the
/// block, `--backend-config url=…` or `STRATA_PG_URL`); else `STRATA_PG_URL` or
/// `--backend-config url=…` alone select PostgreSQL; else the default file (`default_file`).
pub fn place(cli: &Cli, cfg: &Config) -> Result<Place, Failure> {
    if let Some(p) = &cli.state {
        return Ok(Place::File(p.clone()));
    }
    let flag_url = backend_config(cli, "url")?;
    let env_url = std::env::var("STRATA_PG_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let file = |configured: Option<&PathBuf>| -> Result<Place, Failure> {
        let given = backend_config(cli, "path")?
            .map(PathBuf::from)
            .or_else(|| configured.cloned());
        Ok(Place::File(match given {
            Some(p) => p,
            None => default_file(cfg)?,
        }))
    };
    match &cfg.backend {
        Some(BackendCfg::Postgres { url }) => flag_url
            .or_else(|| url.clone())
            .or(env_url)
            .map(Place::Postgres)
            .ok_or_else(|| {
                Failure::new(
                    "backend: postgres needs a URL: give url: in the block, STRATA_PG_URL, or --backend-config url=…",
                )
            }),
        Some(BackendCfg::Local { path }) => file(path.as_ref()),
        None => match flag_url.or(env_url) {
            Some(url) => Ok(Place::Postgres(url)),
            None => file(None),
        },
    }
}

/// The default state file, one per stack directory: `state/<the stack directory relative to
/// the current one>.json` — `state/<stack>.json` when run inside the stack directory or for
/// `-C <stack>`, `state/envs/prod/db.json` for `-C envs/prod/db` — or, for a stack outside
/// the current directory, `state/<stack>-<8 hex digits of its canonical path>.json`.
/// A state kept by stack name alone (`state/<stack>.json`, before states were kept per
/// directory) is moved there once, with a note.
fn default_file(cfg: &Config) -> Result<PathBuf, Failure> {
    use std::path::Component;
    let here = std::env::current_dir()
        .ok()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let dir = std::fs::canonicalize(&cfg.dir).unwrap_or_else(|_| match &here {
        Some(h) => h.join(&cfg.dir),
        None => cfg.dir.clone(),
    });
    let legacy = PathBuf::from("state").join(format!("{}.json", cfg.stack));
    let rel = here
        .as_deref()
        .and_then(|h| dir.strip_prefix(h).ok())
        .filter(|r| r.components().all(|c| matches!(c, Component::Normal(_))));
    let path = match rel {
        Some(rel) if rel.as_os_str().is_empty() => legacy.clone(),
        Some(rel) => {
            let mut name = rel.as_os_str().to_owned();
            name.push(".json");
            PathBuf::from("state").join(name)
        }
        None => {
            use sha2::Digest;
            let h = sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes());
            let key = hex::encode(&h[..4]);
            PathBuf::from("state").join(format!("{}-{key}.json", cfg.stack))
        }
    };
    if !cfg.dir.is_dir() {
        return Ok(path); // no stack there: nothing to migrate for it
    }
    if let Some(note) = crate::state::local::adopt_legacy(&legacy, &path)? {
        errln!("Note: {note}");
    }
    Ok(path)
}

/// Open the backend at a place for the stack of `cfg` (its name and directory, both recorded
/// and checked); the second value is a secret to keep out of messages.
pub fn open_backend(
    place: &Place,
    cfg: &Config,
) -> Result<(Arc<dyn Backend>, Option<String>), Failure> {
    let dir = crate::state::backend::canonical_dir(&cfg.dir);
    Ok(match place {
        Place::File(p) => (
            Arc::new(LocalBackend::new(p.clone(), &cfg.stack).for_directory(&dir)),
            None,
        ),
        Place::Postgres(url) => {
            let b = crate::state::postgres::PgBackend::new(url, &cfg.stack)?.for_directory(&dir);
            let pw = b.password();
            (Arc::new(b), pw)
        }
    })
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
    let guard = backend.lock(op, lock_timeout(lock)?).await?;
    if let Some(c) = guard.cleared() {
        errln!("{} {c}", p.yellow("Note:"));
    }
    let loaded = backend.load().await?;
    print_notes(&loaded, p);
    Ok((guard, loaded))
}

pub fn lock_timeout(l: &LockArgs) -> Result<Duration, Failure> {
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

pub fn parse_addrs(list: &[String], flag: &str) -> Result<Vec<Address>, Failure> {
    list.iter()
        .map(|s| Address::parse(s).map_err(|e| Failure::new(format!("{flag}: {e}"))))
        .collect()
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

/// An open backend, and a secret of it to keep out of messages (a database password).
pub type Opened = (Arc<dyn Backend>, Option<String>);

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
    /// names. Sensitive variables are not in the file: they come from --var / STRATA_VAR_ again.
    pub fn from_saved(
        saved: &Saved,
        var_args: &VarArgs,
        here: &Config,
        opened: Opened,
    ) -> Result<Workspace, Failure> {
        let (cfg, diags) =
            config::load_sources(&saved.config_dir, &saved.plan.stack, saved.files.clone());
        if diags.has_errors() {
            print_diags(&diags, &Redactor::default());
            return Err(Failure::new("the saved plan's configuration does not load"));
        }
        let assignments = vars::parse_assignments(&var_args.vars).map_err(Failure::new)?;
        for (k, _) in &assignments {
            if cfg.variables.get(k).is_some_and(|v| !v.sensitive) {
                return Err(Failure::new(format!(
                    "--var {k}: a saved plan fixes the values of non-sensitive variables; make a new plan to change it"
                )));
            }
        }
        let env = |k: &str| std::env::var(k).ok();
        let (resolved, _) = vars::resolve(&cfg, &assignments, &env, Missing::Unknown);
        let values = saved.values(&cfg, &resolved, here).map_err(Failure::new)?;
        Ok(Workspace::assemble_with(cfg, values, opened))
    }

    /// For commands that read or edit the state without planning: the config is read only
    /// for the stack name and backend, and may be absent.
    pub fn state_only(cli: &Cli) -> Result<Workspace, Failure> {
        Workspace::assemble(cli, here_config(cli), Vars::new())
    }

    /// Reconcile the state's open intents (see `recovery::reconcile`), recovering a withheld
    /// natural key from the configuration.
    pub async fn reconcile(
        &self,
        state: &mut State,
        providers: &Providers,
    ) -> Result<(Vec<Entry>, Vec<String>), Failure> {
        if state.intents.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let now = state.clone();
        let recover = |addr: &Address| self.natural_now(&now, providers, addr);
        crate::recovery::reconcile(state, providers, &recover)
            .await
            .map_err(|e| Failure::new(self.redactor.redact(&e)))
    }

    /// The natural key the configuration gives `addr` now, evaluated against `state`; `None`
    /// when it cannot be known yet.
    fn natural_now(
        &self,
        state: &State,
        providers: &Providers,
        addr: &Address,
    ) -> Option<crate::value::Value> {
        let block = self.cfg.resources.get(addr)?;
        let scope = crate::plan::scope::PlanScope::new(self.vars.clone(), state);
        let mut diags = crate::diag::Diagnostics::default();
        let mut ev = config::evaluate::evaluate(&self.cfg, block, &scope, &mut diags)?;
        if diags.has_errors() || ev.args.values().any(crate::value::Value::has_unknown) {
            return None;
        }
        block.schema.apply_defaults(&mut ev.args);
        let driver = providers.resource(&addr.ty).ok()?;
        Some(driver.natural_key(&ev.args, ev.clone.as_ref()))
    }

    /// Providers for every family the config and the state use.
    pub async fn providers(&self, state: &State) -> Result<Providers, Failure> {
        let mut families: BTreeSet<String> = self
            .cfg
            .resources
            .keys()
            .map(|a| a.provider().to_string())
            .collect();
        families.extend(state.resources.keys().map(|a| a.provider().to_string()));
        families.extend(state.deposed.iter().map(|d| d.addr.provider().to_string()));
        families.extend(state.intents.iter().map(|i| i.addr.provider().to_string()));
        Providers::configure(
            &self.cfg,
            &self.vars,
            &families,
            &self.sandbox,
            crate::families::configurer,
        )
        .await
        .map_err(Failure::new)
    }

    /// Reconcile open intents, refresh (unless disabled) and plan.
    pub async fn prepare(
        &self,
        loaded: Loaded,
        options: Options,
        parallelism: usize,
    ) -> Result<Prepared, Failure> {
        let providers = self.providers(&loaded.state).await?;
        let mut state = loaded.state;
        let base = state.header();
        let (mut entries, reconciled) = self.reconcile(&mut state, &providers).await?;
        let drift = if options.refresh {
            let (drift, more) = refresh::refresh(&mut state, &providers, parallelism)
                .await
                .map_err(|errs| Failure::new(self.redactor.redact(&errs.join("\n"))))?;
            entries.extend(more);
            drift
        } else {
            Vec::new()
        };
        for a in &options.replace {
            if !state.resources.contains_key(a) {
                return Err(Failure::new(format!(
                    "--replace {a}: there is no such object in the state"
                )));
            }
        }
        let input = PlanInput {
            cfg: &self.cfg,
            vars: &self.vars,
            state: &state,
            providers: Some(&providers),
            options: &options,
            drift,
            reconciled,
        };
        let plan = match diff::plan(&input).await {
            Ok(p) => p,
            Err(diags) => {
                print_diags(&diags, &self.redactor);
                return Err(Failure::quiet(super::EXIT_ERROR));
            }
        };
        Ok(Prepared {
            plan,
            entries,
            base,
            state,
            providers: Arc::new(providers),
            replayed: loaded.replayed,
        })
    }
}

pub fn print_notes(loaded: &Loaded, p: &Painter) {
    for n in &loaded.notes {
        errln!("{} {n}", p.yellow("Note:"));
    }
}
