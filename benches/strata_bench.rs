//! strata's benchmark suite, side by side with Terraform (BENCHMARKS.md): stacks of N resources
//! in four shapes (flat, layered, chain, and for_each: the flat stack as one block with
//! `for_each` over N keys) generated for both tools; for each, `validate`, `plan`
//! on an empty state, `apply` (parallelism 10), `plan` with full state and no change (with and
//! without refresh), wall time, CPU and peak memory, medians of several runs, the ratio per pair;
//! the calls a no-change refresh makes; and apply against the physical bound
//! max(critical path, total calls × latency / P) with sandbox latency.
//!
//!   cargo bench --bench strata_bench -- [--sizes 100,1000,10000]
//!       [--shapes flat,layered,chain,for_each]
//!       [--runs 3] [--no-terraform] [--tf-apply-max 1000] [--tf-chain-max 1000]
//!       [--no-physical] [--out FILE]
//!
//! strata talks to a standalone sandbox process (as it would to a cloud), with zero latency
//! unless stated. Terraform runs with TF_IN_AUTOMATION=1, -input=false, plans written with -out
//! and applied from the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LAYERS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Flat,
    Layered,
    Chain,
    /// The flat stack written as one block with `for_each` over N keys.
    ForEach,
}

impl Shape {
    fn name(&self) -> &'static str {
        match self {
            Shape::Flat => "flat",
            Shape::Layered => "layered",
            Shape::Chain => "chain",
            Shape::ForEach => "for_each",
        }
    }
}

struct Opts {
    sizes: Vec<usize>,
    shapes: Vec<Shape>,
    runs: usize,
    terraform: bool,
    tf_apply_max: usize,
    tf_chain_max: usize,
    physical: bool,
    out: PathBuf,
    work: PathBuf,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        sizes: vec![100, 1000, 10000],
        shapes: vec![Shape::Flat, Shape::Layered, Shape::Chain],
        runs: 3,
        terraform: true,
        tf_apply_max: 1000,
        tf_chain_max: 1000,
        physical: true,
        out: PathBuf::from("target/strata-bench/results.md"),
        work: PathBuf::from("target/strata-bench"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let next = |i: usize| args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--sizes" => {
                o.sizes = next(i)
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                i += 1;
            }
            "--shapes" => {
                o.shapes = next(i)
                    .split(',')
                    .filter_map(|s| match s.trim() {
                        "flat" => Some(Shape::Flat),
                        "layered" => Some(Shape::Layered),
                        "chain" => Some(Shape::Chain),
                        "for_each" => Some(Shape::ForEach),
                        _ => None,
                    })
                    .collect();
                i += 1;
            }
            "--runs" => {
                o.runs = next(i).parse().unwrap_or(3).max(1);
                i += 1;
            }
            "--tf-apply-max" => {
                o.tf_apply_max = next(i).parse().unwrap_or(1000);
                i += 1;
            }
            "--tf-chain-max" => {
                o.tf_chain_max = next(i).parse().unwrap_or(1000);
                i += 1;
            }
            "--out" => {
                o.out = PathBuf::from(next(i));
                i += 1;
            }
            "--no-terraform" => o.terraform = false,
            "--no-physical" => o.physical = false,
            "--bench" => {} // passed by cargo bench
            other => eprintln!("strata-bench: ignoring argument {other}"),
        }
        i += 1;
    }
    if o.terraform && Command::new("terraform").arg("version").output().is_err() {
        eprintln!("strata-bench: terraform is not installed: measuring strata only");
        o.terraform = false;
    }
    o
}

/// Wall time, user CPU and peak resident memory of one command.
#[derive(Clone, Copy, Debug, Default)]
struct Measure {
    wall: f64,
    cpu: f64,
    rss_mb: f64,
    code: i32,
}

// The child is reaped by wait4 (which also gives its resource usage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn measure(mut cmd: Command) -> Measure {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    if code != 0 && code != 2 {
        let mut err = String::new();
        if let Some(mut e) = child.stderr {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        panic!("{cmd:?} failed ({code}):\n{err}");
    }
    let cpu = usage.ru_utime.tv_sec as f64 + usage.ru_utime.tv_usec as f64 / 1e6;
    Measure {
        wall,
        cpu,
        rss_mb: usage.ru_maxrss as f64 / 1024.0,
        code,
    }
}

fn median(mut v: Vec<Measure>) -> Measure {
    v.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    let mid = v[v.len() / 2];
    Measure {
        rss_mb: v.iter().map(|m| m.rss_mb).fold(0.0, f64::max),
        ..mid
    }
}

/// The edges of a shape: for node i, the nodes it references (one or two).
fn parents(shape: Shape, n: usize, i: usize) -> Vec<usize> {
    match shape {
        Shape::Flat | Shape::ForEach => vec![],
        Shape::Chain => {
            if i == 0 {
                vec![]
            } else {
                vec![i - 1]
            }
        }
        Shape::Layered => {
            let per = (n / LAYERS).max(1);
            let (layer, j) = (i / per, i % per);
            if layer == 0 {
                vec![]
            } else {
                vec![(layer - 1) * per + j, (layer - 1) * per + (j + 1) % per]
            }
        }
    }
}

fn strata_config(shape: Shape, n: usize, max_concurrency: usize) -> String {
    let mut s = format!(
        "providers:\n  huaweicloud: {{ region: ap-southeast-1, project_id: bench, endpoint: sandbox, max_concurrency: {max_concurrency} }}\nresources:\n"
    );
    if shape == Shape::ForEach {
        s.push_str("  huaweicloud_rds_parameter_template.r:\n    for_each:\n");
        for i in 0..n {
            let _ = writeln!(s, "      r{i}: {}", 100 + i % 1000);
        }
        s.push_str(
            "    name: ${each.key}\n    description: \"resource ${each.key}\"\n    datastore: { type: MySQL, version: \"8.0\" }\n    values: { max_connections: \"${each.value}\" }\n",
        );
        return s;
    }
    for i in 0..n {
        let ps = parents(shape, n, i);
        let _ = writeln!(s, "  huaweicloud_rds_parameter_template.r{i}:");
        match ps.as_slice() {
            [] => {
                let _ = write!(
                    s,
                    "    name: r{i}\n    description: \"resource {i}\"\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n    values: {{ max_connections: \"{}\" }}\n",
                    100 + i % 1000
                );
            }
            [p, rest @ ..] => {
                let _ = write!(
                    s,
                    "    clone: {{ source: \"${{huaweicloud_rds_parameter_template.r{p}.id}}\" }}\n    name: r{i}\n"
                );
                if let Some(q) = rest.first() {
                    let _ = writeln!(
                        s,
                        "    description: \"after ${{huaweicloud_rds_parameter_template.r{q}.name}}\""
                    );
                }
            }
        }
    }
    s
}

fn terraform_config(shape: Shape, n: usize) -> String {
    let mut s = String::new();
    if shape == Shape::ForEach {
        s.push_str("locals {\n  items = {\n");
        for i in 0..n {
            let _ = writeln!(s, "    r{i} = {}", 100 + i % 1000);
        }
        s.push_str(
            "  }\n}\nresource \"terraform_data\" \"r\" {\n  for_each = local.items\n  input = {\n    name = each.key\n    description = \"resource ${each.key}\"\n    size = each.value\n    values = { max_connections = tostring(each.value) }\n  }\n}\n",
        );
        return s;
    }
    for i in 0..n {
        let ps = parents(shape, n, i);
        let refs = match ps.as_slice() {
            [] => String::new(),
            [p] => format!("    parent = terraform_data.r{p}.id\n"),
            [p, q, ..] => format!(
                "    parent = terraform_data.r{p}.id\n    after  = terraform_data.r{q}.output.name\n"
            ),
        };
        let _ = write!(
            s,
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    name = \"r{i}\"\n    description = \"resource {i}\"\n    size = {}\n    values = {{ max_connections = \"{}\" }}\n{refs}  }}\n}}\n",
            100 + i % 1000,
            100 + i % 1000
        );
    }
    s
}

fn strata_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_strata"))
}

/// A standalone sandbox (the "cloud") for one run; stopped when dropped.
struct Sandbox {
    child: std::process::Child,
    url: String,
}

impl Sandbox {
    fn start(dir: &Path, faults: &str) -> Sandbox {
        std::fs::create_dir_all(dir).unwrap();
        let mut child = Command::new(strata_bin())
            .args(["sandbox", "serve", "--addr", "127.0.0.1:0"])
            .current_dir(dir)
            .env("STRATA_SANDBOX", faults)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        Sandbox { child, url }
    }

    fn http(&self, method: &str, path: &str) -> String {
        strata::sandbox::admin_request(&self.url, method, path).unwrap_or_default()
    }

    fn reset_stats(&self) {
        self.http("DELETE", "/_sandbox/stats");
    }

    fn calls(&self) -> u64 {
        let body = self.http("GET", "/_sandbox/stats");
        let j: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        j["total"].as_u64().unwrap_or(0)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strata(dir: &Path, sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut c = Command::new(strata_bin());
    c.args(["-C", "stack"]).args(args).current_dir(dir);
    c.env("STRATA_SANDBOX_URL", &sandbox.url)
        .env("NO_COLOR", "1");
    c
}

fn tf(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("terraform");
    c.args(args).current_dir(dir);
    c.env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
    c
}

/// One row of results: a command at one shape and size.
#[derive(Default, Clone)]
struct Row {
    strata: Option<Measure>,
    terraform: Option<Measure>,
    note: String,
}

type Results = BTreeMap<(Shape, usize, &'static str), Row>;

const COMMANDS: &[&str] = &[
    "validate",
    "plan (empty state)",
    "apply (parallelism 10)",
    "plan, no change (refresh)",
    "plan, no change (no refresh)",
];

fn bench_strata(o: &Opts, shape: Shape, n: usize, results: &mut Results, extra: &mut Vec<String>) {
    let mut per_cmd: Vec<Vec<Measure>> = vec![Vec::new(); COMMANDS.len()];
    let mut state_size = 0;
    let mut refresh_calls = 0;
    for run in 0..o.runs {
        let dir = o.work.join(format!("strata-{}-{n}-{run}", shape.name()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("stack")).unwrap();
        std::fs::write(dir.join("stack/main.yaml"), strata_config(shape, n, 64)).unwrap();
        let sb = Sandbox::start(&dir.join("cloud"), "latency_ms=0");
        per_cmd[0].push(measure(strata(&dir, &sb, &["validate"])));
        per_cmd[1].push(measure(strata(&dir, &sb, &["plan"])));
        per_cmd[2].push(measure(strata(
            &dir,
            &sb,
            &["apply", "--auto-approve", "--parallelism", "10"],
        )));
        // let the templates' update stamps settle (they have one-second resolution)
        std::thread::sleep(Duration::from_secs(3));
        sb.reset_stats();
        let m = measure(strata(&dir, &sb, &["plan", "--detailed-exitcode"]));
        assert_eq!(m.code, 0, "a no-change plan found changes");
        refresh_calls = sb.calls();
        per_cmd[3].push(m);
        per_cmd[4].push(measure(strata(
            &dir,
            &sb,
            &["plan", "--refresh=false", "--detailed-exitcode"],
        )));
        state_size = std::fs::metadata(dir.join("state/stack.json"))
            .map(|m| m.len())
            .unwrap_or(0);
        let _ = std::fs::remove_dir_all(&dir);
    }
    for (i, ms) in per_cmd.into_iter().enumerate() {
        results.entry((shape, n, COMMANDS[i])).or_default().strata = Some(median(ms));
    }
    extra.push(format!(
        "| {} | {n} | {refresh_calls} | {:.1} MB |",
        shape.name(),
        state_size as f64 / 1e6
    ));
}

fn bench_terraform(o: &Opts, shape: Shape, n: usize, results: &mut Results) {
    if shape == Shape::Chain && n > o.tf_chain_max {
        for c in COMMANDS {
            results.entry((shape, n, c)).or_default().note = format!(
                "Terraform not run: a chain of {n} takes too long (chain 1,000 takes minutes)"
            );
        }
        return;
    }
    let apply = n <= o.tf_apply_max;
    let mut per_cmd: Vec<Vec<Measure>> = vec![Vec::new(); COMMANDS.len()];
    for run in 0..o.runs {
        let dir = o.work.join(format!("tf-{}-{n}-{run}", shape.name()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.tf"), terraform_config(shape, n)).unwrap();
        measure(tf(&dir, &["init", "-input=false"])); // not timed: caches warm
        per_cmd[0].push(measure(tf(&dir, &["validate"])));
        per_cmd[1].push(measure(tf(
            &dir,
            &["plan", "-input=false", "-out=plan.tfplan"],
        )));
        if apply {
            per_cmd[2].push(measure(tf(
                &dir,
                &["apply", "-input=false", "-parallelism=10", "plan.tfplan"],
            )));
            per_cmd[3].push(measure(tf(
                &dir,
                &["plan", "-input=false", "-detailed-exitcode"],
            )));
            per_cmd[4].push(measure(tf(
                &dir,
                &[
                    "plan",
                    "-input=false",
                    "-refresh=false",
                    "-detailed-exitcode",
                ],
            )));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    for (i, ms) in per_cmd.into_iter().enumerate() {
        let row = results.entry((shape, n, COMMANDS[i])).or_default();
        if ms.is_empty() {
            row.note = format!(
                "Terraform apply not run above {} (it grows with N²)",
                o.tf_apply_max
            );
        } else {
            row.terraform = Some(median(ms));
        }
    }
}

/// Apply a layered stack against sandbox latency, at parallelism `p`: wall time and the bound.
fn physical(o: &Opts, n: usize, p: usize) -> String {
    let latency = 50.0 / 1000.0;
    let dir = o.work.join(format!("physical-{n}-{p}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("stack")).unwrap();
    std::fs::write(
        dir.join("stack/main.yaml"),
        strata_config(Shape::Layered, n, p.max(16)),
    )
    .unwrap();
    let sb = Sandbox::start(&dir.join("cloud"), "latency_ms=50");
    let m = measure(strata(
        &dir,
        &sb,
        &["apply", "--auto-approve", "--parallelism", &p.to_string()],
    ));
    let calls = sb.calls() as f64;
    let per_node = calls / n as f64;
    // the longest dependency path has one node per layer
    let critical = LAYERS as f64 * per_node * latency;
    let throughput = calls * latency / p as f64;
    let bound = critical.max(throughput);
    let _ = std::fs::remove_dir_all(&dir);
    format!(
        "| layered | {n} | {p} | {calls:.0} | {critical:.2} s | {throughput:.2} s | {bound:.2} s | {:.2} s | {:.2}× |",
        m.wall,
        m.wall / bound
    )
}

fn fmt_s(m: &Option<Measure>) -> String {
    m.map(|m| format!("{:.3} s", m.wall))
        .unwrap_or_else(|| "—".into())
}

fn fmt_cpu(m: &Option<Measure>) -> String {
    m.map(|m| format!("{:.3} s", m.cpu))
        .unwrap_or_else(|| "—".into())
}

fn fmt_mb(m: &Option<Measure>) -> String {
    m.map(|m| format!("{:.0} MB", m.rss_mb))
        .unwrap_or_else(|| "—".into())
}

/// strata's for_each over N keys against the same N resources as literal blocks: time and
/// memory ratios per command (the target: within 1.2×).
fn for_each_vs_flat(o: &Opts, results: &Results, out: &mut String) {
    if !(o.shapes.contains(&Shape::ForEach) && o.shapes.contains(&Shape::Flat)) {
        return;
    }
    let _ = writeln!(
        out,
        "\n### strata: one `for_each` over N keys vs the same N literal blocks (target ≤ 1.2×)\n"
    );
    let _ = writeln!(
        out,
        "| N | command | literal blocks | for_each | time ratio | memory (literal / for_each) | memory ratio |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for &n in &o.sizes {
        for cmd in COMMANDS {
            let flat = results.get(&(Shape::Flat, n, cmd)).and_then(|r| r.strata);
            let each = results
                .get(&(Shape::ForEach, n, cmd))
                .and_then(|r| r.strata);
            let (Some(f), Some(e)) = (flat, each) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| {n} | {cmd} | {:.3} s | {:.3} s | {:.2}× | {:.0} / {:.0} MB | {:.2}× |",
                f.wall,
                e.wall,
                e.wall / f.wall,
                f.rss_mb,
                e.rss_mb,
                e.rss_mb / f.rss_mb
            );
        }
    }
}

fn main() {
    let o = parse_opts();
    std::fs::create_dir_all(&o.work).unwrap();
    let mut results = Results::new();
    let mut extra = Vec::new();
    let started = Instant::now();
    for &shape in &o.shapes {
        for &n in &o.sizes {
            eprintln!(
                "[{:>6.0}s] strata {} {n}",
                started.elapsed().as_secs_f64(),
                shape.name()
            );
            bench_strata(&o, shape, n, &mut results, &mut extra);
            if o.terraform {
                eprintln!(
                    "[{:>6.0}s] terraform {} {n}",
                    started.elapsed().as_secs_f64(),
                    shape.name()
                );
                bench_terraform(&o, shape, n, &mut results);
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## strata vs Terraform ({} run(s) each, medians; peak memory is the maximum)\n",
        o.runs
    );
    let _ = writeln!(
        out,
        "| shape | N | command | strata | Terraform | ratio | strata CPU | Terraform CPU | strata memory | Terraform memory |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for ((shape, n, cmd), row) in &results {
        let ratio = match (row.strata, row.terraform) {
            (Some(s), Some(t)) => format!("**{:.0}×**", t.wall / s.wall),
            _ => "—".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {n} | {cmd} | {} | {} | {ratio} | {} | {} | {} | {} |",
            shape.name(),
            fmt_s(&row.strata),
            if row.terraform.is_none() && !row.note.is_empty() {
                format!("— ({})", row.note)
            } else {
                fmt_s(&row.terraform)
            },
            fmt_cpu(&row.strata),
            fmt_cpu(&row.terraform),
            fmt_mb(&row.strata),
            fmt_mb(&row.terraform)
        );
    }
    // growth of time per resource between the two largest sizes
    let sizes: Vec<usize> = o.sizes.clone();
    if sizes.len() >= 2 {
        let (a, b) = (sizes[sizes.len() - 2], sizes[sizes.len() - 1]);
        let nlogn =
            (b as f64 * (b as f64).ln()) / (a as f64 * (a as f64).ln()) / (b as f64 / a as f64);
        let _ = writeln!(
            out,
            "\n### strata's time per resource from N = {a} to N = {b} (N log N allows ×{nlogn:.2})\n"
        );
        let _ = writeln!(
            out,
            "| shape | command | per resource at {a} | per resource at {b} | growth |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for &shape in &o.shapes {
            for cmd in COMMANDS {
                let (Some(ra), Some(rb)) =
                    (results.get(&(shape, a, cmd)), results.get(&(shape, b, cmd)))
                else {
                    continue;
                };
                let (Some(sa), Some(sb)) = (ra.strata, rb.strata) else {
                    continue;
                };
                let (pa, pb) = (sa.wall / a as f64 * 1e6, sb.wall / b as f64 * 1e6);
                let _ = writeln!(
                    out,
                    "| {} | {cmd} | {pa:.0} µs | {pb:.0} µs | ×{:.2} {} |",
                    shape.name(),
                    pb / pa,
                    if pb / pa <= nlogn { "✓" } else { "✗" }
                );
            }
        }
    }
    for_each_vs_flat(&o, &results, &mut out);
    let _ = writeln!(
        out,
        "\n### Calls made by a no-change `plan` (with refresh), and the state's size\n"
    );
    let _ = writeln!(out, "| shape | N | sandbox calls | state file |");
    let _ = writeln!(out, "|---|---|---|---|");
    for e in &extra {
        let _ = writeln!(out, "{e}");
    }
    if o.physical {
        eprintln!("[{:>6.0}s] physical bound", started.elapsed().as_secs_f64());
        let n = 1000;
        let _ = writeln!(
            out,
            "\n### Apply against the physical bound (sandbox latency 50 ms per call)\n\nbound = max(critical path, total calls × latency / P)\n"
        );
        let _ = writeln!(out, "| shape | N | P | calls | critical path | calls × latency / P | bound | strata | ratio |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for p in [10, 64] {
            let _ = writeln!(out, "{}", physical(&o, n, p));
        }
    }
    let _ = writeln!(
        out,
        "\nMeasured in {:.0} s on this machine.",
        started.elapsed().as_secs_f64()
    );
    print!("{out}");
    std::fs::write(&o.out, &out).unwrap();
    eprintln!("results written to {}", o.out.display());
}
