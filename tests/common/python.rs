//! Python programs the tests drive: virtual environments that `tests/python/venv.sh` makes
//! from a pinned requirements file of `tests/python/` (once per test binary and name; the
//! script itself locks against other binaries), and running a program in one, bounded in
//! time, with its output kept in a log file.
//!
//! Invariant: when a virtual environment cannot be made (no Python, no network to the index),
//! [`venv`] fails the test under `CI=true` and otherwise prints a loud warning to the
//! process's stderr and returns `None`, and the caller passes without running.

use super::repo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A suite of tests that runs Python programs from one virtual environment.
pub struct Suite {
    /// The virtual environment's name (`target/pyenv/NAME`).
    pub venv: &'static str,
    /// Its requirements file, in `tests/python/`.
    pub requirements: &'static str,
    /// The suite, as its warnings name it: "THE VENDOR SDK CONFORMANCE SUITE".
    pub title: &'static str,
    /// What the environment holds: "the official SDKs".
    pub holds: &'static str,
}

impl Suite {
    pub const fn new(
        venv: &'static str,
        requirements: &'static str,
        title: &'static str,
        holds: &'static str,
    ) -> Suite {
        Suite {
            venv,
            requirements,
            title,
            holds,
        }
    }
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Run `tests/python/venv.sh`: the virtual environment's directory, or why it failed.
fn make(suite: &Suite) -> Result<PathBuf, String> {
    let script = repo().join("tests/python/venv.sh");
    let requirements = repo().join("tests/python").join(suite.requirements);
    let out = Command::new("bash")
        .arg(&script)
        .arg(suite.venv)
        .arg(&requirements)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().last() {
        Some(dir) if out.status.success() => Ok(PathBuf::from(dir)),
        _ => Err(format!(
            "{} exited {}:\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// The suite's virtual environment, made once per test binary; `None`, after a loud
/// warning, when it cannot be made outside CI (see the module's invariant).
pub fn venv(suite: &Suite) -> Option<PathBuf> {
    static MADE: Mutex<BTreeMap<&'static str, Result<PathBuf, String>>> =
        Mutex::new(BTreeMap::new());
    let made = {
        let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
        made.entry(suite.venv)
            .or_insert_with(|| make(suite))
            .clone()
    };
    match made {
        Ok(dir) => Some(dir),
        Err(why) if in_ci() => panic!(
            "\n\n!!!!! {} CANNOT RUN: the Python virtual environment with {} could not be made \
             (CI=true, so this fails) !!!!!\n{why}\n",
            suite.title, suite.holds
        ),
        Err(why) => {
            // straight to the process's stderr: the test harness captures `eprintln!` of a
            // passing test, and this warning must be seen
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!! WARNING: {} DID NOT RUN !!!!!\n\
                 the Python virtual environment with {} could not be made:\n{why}\n\
                 (under CI=true this is a failure)\n",
                suite.title,
                suite.holds
            );
            None
        }
    }
}

/// Run `program` with its stdout and stderr going to the file `log`, stopping it after
/// `timeout`: its exit status and everything it printed. Panics (with the output) when it
/// did not finish in time.
pub fn run_logged(
    mut program: Command,
    log: &Path,
    what: &str,
    timeout: Duration,
) -> (ExitStatus, String) {
    let mut child = program
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(log).expect("the log file"))
        .stderr(Stdio::from(
            std::fs::File::options()
                .append(true)
                .open(log)
                .expect("the log file"),
        ))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the program") {
            break Some(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = std::fs::read_to_string(log).unwrap_or_default();
    match status {
        Some(status) => (status, output),
        None => panic!("{what} did not finish in {timeout:?}:\n{output}"),
    }
}
