//! Shared helpers for the end-to-end tests: a temporary working directory (holding `state/`
//! and the sandbox's world) and the real `strata` binary run inside it.
#![allow(dead_code)]

pub mod inventory;
pub mod plan_docs;
pub mod python;
pub mod served;

/// The provider block of the hand-written test stacks: Huawei Cloud in the sandbox, project `p`.
pub const HUAWEI: &str =
    "providers:\n  huaweicloud: { region: r, project_id: p, endpoint: sandbox }\n";

/// The same in the project the sandbox's seeded objects belong to.
pub const HUAWEI_SEEDED: &str = "providers:\n  huaweicloud: { region: r, project_id: 054e292c9880d4992f02c0196d3ea468, endpoint: sandbox }\n";

/// `apply` of the quickstart.
pub const APPLY: [&str; 4] = ["-C", "quickstart", "apply", "--auto-approve"];

/// `apply` of the quickstart with more arguments.
pub fn apply_with<'a>(more: &[&'a str]) -> Vec<&'a str> {
    [&APPLY[..], more].concat()
}

/// `destroy` of the quickstart.
pub const DESTROY: [&str; 4] = ["-C", "quickstart", "destroy", "--auto-approve"];

/// A plan of the quickstart whose exit code says whether anything would change (0: nothing).
pub const CHECK: [&str; 4] = ["-C", "quickstart", "plan", "--detailed-exitcode"];

/// `apply` of the quickstart, one operation at a time (so a checkpoint is reached in order).
pub const APPLY_SERIALLY: [&str; 6] = [
    "-C",
    "quickstart",
    "apply",
    "--auto-approve",
    "--parallelism",
    "1",
];

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Insist that stdout holds `needle` (the whole run is shown when it does not).
    #[track_caller]
    pub fn out_has(&self, needle: &str) -> &Run {
        self.holds("stdout", &self.stdout, needle)
    }

    /// Insist that stderr holds `needle` (the whole run is shown when it does not).
    #[track_caller]
    pub fn err_has(&self, needle: &str) -> &Run {
        self.holds("stderr", &self.stderr, needle)
    }

    #[track_caller]
    fn holds(&self, stream: &str, text: &str, needle: &str) -> &Run {
        assert!(
            text.contains(needle),
            "missing {needle:?} in {stream}\n{self:?}"
        );
        self
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_strata"))
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        match e.path().is_dir() {
            true => copy_tree(&e.path(), &dst.join(e.file_name())),
            false => drop(std::fs::copy(e.path(), dst.join(e.file_name())).unwrap()),
        }
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A working directory with `examples/<name>` copied to `./<name>`.
    pub fn with_example(name: &str) -> Env {
        Env::with_example_files(name, |_| true)
    }

    /// The quickstart's Huawei stack alone (`main.yaml`): the engine's own tests run on it,
    /// so they do not change each time a provider family adds its file to the quickstart.
    pub fn huawei_quickstart() -> Env {
        Env::with_example_files("quickstart", |f| f == "main.yaml")
    }

    fn with_example_files(name: &str, keep: impl Fn(&str) -> bool) -> Env {
        let env = Env::new();
        let src = repo().join("examples").join(name);
        let dst = env.path().join(name);
        std::fs::create_dir_all(&dst).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if e.path().is_file() && keep(&name.to_string_lossy()) {
                std::fs::copy(e.path(), dst.join(&name)).unwrap();
            } else if e.path().is_dir() && keep(&name.to_string_lossy()) {
                copy_tree(&e.path(), &dst.join(&name)); // a module, a variable file's folder
            }
        }
        env
    }

    /// The quickstart's Huawei stack, applied.
    pub fn applied_quickstart() -> Env {
        let env = Env::huawei_quickstart();
        env.ok(&APPLY, 0);
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Write the stack `dir/main.yaml`: a provider block (`HUAWEI`, `HUAWEI_SEEDED`), then `rest`.
    pub fn stack(&self, dir: &str, providers: &str, rest: &str) {
        self.write(&format!("{dir}/main.yaml"), &format!("{providers}{rest}"));
    }

    /// Write the stack `dir/main.yaml` of one MySQL parameter template, `db`, named `name`.
    pub fn one_template(&self, dir: &str, name: &str) {
        let db = format!("resources:\n  huaweicloud_rds_parameter_template.db:\n    name: {name}\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n");
        self.stack(dir, HUAWEI, &db);
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args).current_dir(self.path());
        // strata's own settings and every family's credential variables (the registration
        // list's): the developer's environment never reaches a test
        let credentials: Vec<&str> = strata::families::ALL
            .iter()
            .flat_map(|f| f.credentials.iter().flat_map(|s| s.env.iter().copied()))
            .collect();
        for (k, _) in std::env::vars() {
            if k.starts_with("STRATA_") || credentials.contains(&k.as_str()) {
                c.env_remove(k);
            }
        }
        c.env("NO_COLOR", "1");
        c.env("STRATA_RETRY_ATTEMPTS", "8");
        c
    }

    /// Start `strata args` with `envs`, its output going to `stdout` and `stderr`.
    pub fn spawn_with(
        &self,
        args: &[&str],
        envs: &[(&str, &str)],
        stdout: Stdio,
        stderr: Stdio,
    ) -> std::process::Child {
        let mut c = self.command(args);
        c.envs(envs.iter().copied()).stdout(stdout).stderr(stderr);
        c.spawn().expect("spawn strata")
    }

    pub fn run_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in envs {
            c.env(k, v);
        }
        Run::from(c.output().expect("run strata"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Run and insist on exit code `code`.
    pub fn ok(&self, args: &[&str], code: i32) -> Run {
        self.ok_with(args, &[], code)
    }

    /// Run with `envs` and insist on exit code `code`.
    pub fn ok_with(&self, args: &[&str], envs: &[(&str, &str)], code: i32) -> Run {
        let r = self.run_with(args, envs);
        assert_eq!(r.code, code, "strata {args:?}\n{r:?}");
        r
    }

    /// The sandbox's objects (`strata sandbox ls --json`).
    pub fn sandbox(&self) -> Vec<serde_json::Value> {
        let r = self.ok(&["sandbox", "ls", "--json"], 0);
        serde_json::from_str(&r.stdout).expect("sandbox ls --json is JSON")
    }

    /// Objects the sandbox holds beyond its seeds, by kind, as (id, name).
    pub fn made(&self, kind: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .sandbox()
            .into_iter()
            .filter(|o| o["kind"] == kind)
            .filter(|o| {
                !o["name"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("Default-")
            })
            .map(|o| {
                (
                    o["id"].as_str().unwrap_or_default().to_string(),
                    o["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }

    /// The names of what `made(kind)` lists, in name order.
    pub fn made_names(&self, kind: &str) -> Vec<String> {
        self.made(kind).into_iter().map(|(_, n)| n).collect()
    }

    /// Objects of one service's `kind` beyond the sandbox's seeds, as (id, name).
    pub fn made_in(&self, service: &str, kind: &str) -> Vec<(String, String)> {
        let seeds = seed_rows();
        let mut v: Vec<(String, String)> = self
            .sandbox()
            .into_iter()
            .filter(|o| o["service"] == service && o["kind"] == kind)
            .filter(|o| !seeds.contains(&row_key(o)))
            .map(|o| {
                (
                    o["id"].as_str().unwrap_or_default().to_string(),
                    o["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }

    pub fn state_json(&self, stack: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(&format!("state/{stack}.json"))).expect("state is JSON")
    }
}

/// Insist that `doc` matches docs/plan.schema.json (every violation is shown, with the
/// document).
#[track_caller]
pub fn assert_plan_schema(doc: &serde_json::Value) {
    let text = std::fs::read_to_string(repo().join("docs/plan.schema.json")).unwrap();
    let schema = serde_json::from_str(&text).expect("docs/plan.schema.json is JSON");
    let v = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "plan does not match docs/plan.schema.json:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

/// The quickstart config, for tests that edit it.
pub fn quickstart_text() -> String {
    std::fs::read_to_string(repo().join("examples/quickstart/main.yaml")).unwrap()
}

impl Env {
    /// Write the quickstart config with each `(from, to)` of `edits` replaced; returns the text.
    pub fn edit_quickstart(&self, edits: &[(&str, &str)]) -> String {
        let text = edits
            .iter()
            .fold(quickstart_text(), |t, (from, to)| t.replace(from, to));
        self.write("quickstart/main.yaml", &text);
        text
    }

    /// Set template `name`'s max_connections to `value` in the sandbox behind strata's back.
    pub fn drift(&self, name: &str, value: &str) {
        self.edit_outside(name, |d| d["values"]["max_connections"] = value.into());
    }

    /// Change a parameter template in the sandbox behind strata's back (drift).
    pub fn edit_outside(&self, name: &str, f: impl FnOnce(&mut serde_json::Value)) {
        let store = strata::sandbox::open_store(
            &self.path().join("state/sandbox.json"),
            &strata::families::sandbox(),
        );
        store
            .write(|tx| {
                let (id, mut doc) = tx
                    .world()
                    .list("rds/parameter_template")
                    .find(|(_, d)| d["name"] == name)
                    .map(|(i, d)| (i.clone(), d.clone()))
                    .expect("object exists");
                f(&mut doc);
                tx.put("rds/parameter_template", &id, doc);
            })
            .unwrap();
    }
}

/// What names one `sandbox ls --json` row: (service, kind, id).
pub fn row_key(o: &serde_json::Value) -> (String, String, String) {
    let text = |k: &str| o[k].as_str().unwrap_or_default().to_string();
    (text("service"), text("kind"), text("id"))
}

/// The rows `sandbox ls` lists for a new sandbox (its seeds, and what they hold), by
/// [`row_key`].
pub fn seed_rows() -> std::collections::BTreeSet<(String, String, String)> {
    let mut seeds = strata::sandbox::store::World::default();
    strata::families::seed(&mut seeds);
    strata::sandbox::rows(&seeds, &strata::families::sandbox())
        .into_iter()
        .map(|r| (r.service, r.kind, r.id))
        .collect()
}

/// Snapshot settings: random ids, timestamps and lineages replaced by placeholders.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"[0-9a-f]{32}pr\d\d", "[id]");
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", "[time]");
    s.add_filter(r"lineage `[0-9a-f-]{36}`", "lineage `[lineage]`");
    s.set_prepend_module_to_snapshot(false);
    s
}

impl Env {
    /// Start `strata args` with `envs` and return it paused at test checkpoint `checkpoint`
    /// (it waits there until killed).
    pub fn pause_at(
        &self,
        args: &[&str],
        envs: &[(&str, &str)],
        checkpoint: &str,
    ) -> std::process::Child {
        let marker = self.path().join("paused");
        let _ = std::fs::remove_file(&marker);
        let marker_text = marker.to_str().expect("a UTF-8 temporary path");
        let pausing = [
            ("STRATA_TEST_PAUSE_AT", checkpoint),
            ("STRATA_TEST_PAUSE_FILE", marker_text),
        ];
        let envs = [envs, &pausing[..]].concat();
        let mut child = self.spawn_with(args, &envs, Stdio::null(), Stdio::null());
        let start = std::time::Instant::now();
        while !marker.exists() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "strata never reached {checkpoint}"
            );
            if let Ok(Some(status)) = child.try_wait() {
                panic!("strata exited ({status}) before reaching {checkpoint}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child
    }

    /// Start `strata args` with `envs`, let it reach test checkpoint `checkpoint`, SIGKILL it.
    pub fn kill_at(&self, args: &[&str], envs: &[(&str, &str)], checkpoint: &str) -> u32 {
        let mut child = self.pause_at(args, envs, checkpoint);
        let pid = child.id();
        // While it runs, a local lock file names it.
        let lock = self.read("state/quickstart.json.lock");
        if let Ok(holder) = serde_json::from_str::<serde_json::Value>(&lock) {
            assert_eq!(holder["pid"], pid);
        }
        child.kill().expect("SIGKILL"); // std's kill is SIGKILL on unix
        child.wait().unwrap();
        pid
    }
}

impl Env {
    /// Start `strata sandbox serve` (its world under this directory) with `envs`: the
    /// process and the URL it printed.
    pub fn serve_sandbox(&self, envs: &[(&str, &str)]) -> (Server, String) {
        use std::io::BufRead;
        let mut c = self.command(&["sandbox", "serve", "--addr", "127.0.0.1:0"]);
        for (k, v) in envs {
            c.env(k, v);
        }
        let mut server = c
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn strata sandbox serve");
        let mut first = String::new();
        std::io::BufReader::new(server.stdout.take().expect("piped"))
            .read_line(&mut first)
            .expect("the banner");
        let url = first
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        (Server(server), url)
    }
}

/// A standalone sandbox process, killed when dropped (also when a test fails half-way, so it
/// never outlives the test holding its output pipe).
pub struct Server(pub std::process::Child);

impl std::ops::Deref for Server {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every file under `dir` (recursively), as (path, text), added to `out`: for tests that a
/// secret appears in no file.
pub fn files(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            let bytes = std::fs::read(&p).unwrap_or_default();
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

/// Run openssl in `dir`, insisting on success (test certificates).
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throw-away CA in `dir`: `ca.key` and `ca.crt` (valid two days).
pub fn make_ca(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=strata test CA",
        ],
    );
}

/// One plain HTTP/1.1 request to `host` (`127.0.0.1:PORT`), with an `Authtoken` header when
/// `token` is given: (status, body as text).
pub fn http_text(
    host: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let auth = token
        .map(|t| format!("Authtoken: {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let text = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (status, text.to_string())
}

/// `http_text` with the body read as JSON (`null` when it is not JSON).
pub fn http(
    host: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let (status, text) = http_text(host, method, path, token, body);
    (status, serde_json::from_str(&text).unwrap_or_default())
}
