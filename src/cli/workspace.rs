//! What every command needs: the config (loaded and validated, diagnostics printed), variable
//! values, the state backend, the sandbox connector, the providers, and the shared
//! reconcile → refresh → plan sequence.

use super::{Cli, Failure, LockArgs, VarArgs};
use crate::address::Address;
use crate::config::vars::{self, Missing, Vars};
use crate::config::{self, Backend as BackendCfg, Config};
use crate::diag::{Diagnostics, Severity};
use crate::plan::diff::{self, PlanInput};
use crate::plan::render::style::Painter;
use crate::plan::{refresh, Options, Plan};
use crate::providers::Providers;
use crate::sandbox::Connector;
use crate::state::backend::{Backend, Loaded};
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
        diags.extend(config::validate::validate(&cfg, &values));
    }
    cfg.resolve_lines(&mut diags);
    diags.sort();
    if diags.has_errors() {
        return Err(Box::new((cfg, diags)));
    }
    Ok((cfg, values, diags))
}

/// The state file: --state, else the config's local backend path, else state/<stack>.json.
pub fn state_path(cli: &Cli, cfg: &Config) -> Result<PathBuf, Failure> {
    if let Some(p) = &cli.state {
        return Ok(p.clone());
    }
    match &cfg.backend {
        Some(BackendCfg::Postgres { .. }) => Err(Failure::new(
            "the postgres backend is not available in this version yet; use the local backend \
             (omit backend:, or backend: { type: local })",
        )),
        Some(BackendCfg::Local { path: Some(p) }) => Ok(p.clone()),
        _ => Ok(PathBuf::from("state").join(format!("{}.json", cfg.stack))),
    }
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

impl Workspace {
    /// Load, validate (printing every diagnostic) and open the backend.
    pub fn open(cli: &Cli, var_args: &VarArgs, missing: Missing) -> Result<Workspace, Failure> {
        let (cfg, values, diags) = match load_config(cli, var_args, missing) {
            Ok(v) => v,
            Err(failed) => {
                print_diags(&failed.1, &Redactor::default());
                return Err(Failure::quiet(super::EXIT_ERROR));
            }
        };
        let redactor = Redactor::new(secrets(&values));
        print_diags(&diags, &redactor);
        let path = state_path(cli, &cfg)?;
        let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(path, &cfg.stack));
        Ok(Workspace {
            cfg: Arc::new(cfg),
            vars: values,
            backend,
            sandbox: Connector::new(crate::sandbox::default_path()),
            redactor,
        })
    }

    /// For commands that read or edit the state without planning: the config is read only
    /// for the stack name and backend, and may be absent.
    pub fn state_only(cli: &Cli) -> Result<Workspace, Failure> {
        let (cfg, _) = config::load(&cli.dir);
        let cfg = if cfg.stack.is_empty() {
            Config {
                stack: config::validate::stack_name(&cli.dir),
                ..cfg
            }
        } else {
            cfg
        };
        let path = state_path(cli, &cfg)?;
        Ok(Workspace {
            backend: Arc::new(LocalBackend::new(path, &cfg.stack)),
            cfg: Arc::new(cfg),
            vars: Vars::new(),
            sandbox: Connector::new(crate::sandbox::default_path()),
            redactor: Redactor::default(),
        })
    }

    /// Providers for every family the config and the state use.
    pub async fn providers(
        &self,
        state: &State,
        loaded: Option<&Loaded>,
    ) -> Result<Providers, Failure> {
        let mut families: BTreeSet<String> = self
            .cfg
            .resources
            .keys()
            .map(|a| a.provider().to_string())
            .collect();
        families.extend(state.resources.keys().map(|a| a.provider().to_string()));
        families.extend(state.deposed.iter().map(|d| d.addr.provider().to_string()));
        if let Some(l) = loaded {
            families.extend(l.open_intents.iter().map(|i| i.addr.provider().to_string()));
        }
        Providers::configure(&self.cfg, &self.vars, &families, &self.sandbox)
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
        let providers = self.providers(&loaded.state, Some(&loaded)).await?;
        let mut state = loaded.state;
        let base = state.clone();
        let (mut entries, reconciled) =
            refresh::reconcile(&mut state, &loaded.open_intents, &providers)
                .await
                .map_err(|e| Failure::new(self.redactor.redact(&e)))?;
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

pub struct Prepared {
    pub plan: Plan,
    /// Journal entries recording what reconcile and refresh found.
    pub entries: Vec<Entry>,
    /// The state as loaded (the journal's base).
    pub base: State,
    /// The state after reconcile and refresh.
    pub state: State,
    pub providers: Arc<Providers>,
    pub replayed: usize,
}

pub fn print_notes(loaded: &Loaded, p: &Painter) {
    for n in &loaded.notes {
        errln!("{} {n}", p.yellow("Note:"));
    }
}
