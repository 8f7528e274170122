//! The examples of the language reference, checked: every ```` ```strata-example ```` block of
//! `docs/expressions.md` and `docs/functions.md` is parsed (`config::parse`), evaluated
//! (`config::eval`) and its result compared with the one the page shows; every function of
//! `functions::names()` (and `try`, `can`) has a `### name` heading in `docs/functions.md`
//! with an example; every ```` ```yaml ```` block of `docs/expressions.md` is valid YAML whose
//! strings parse as expressions. A wrong example, or a new function without docs, fails here.
//!
//! An example block is: optional fixture lines (`# file NAME: "JSON string"` writes a file of
//! the stack directory; other `# ` lines are comments), the string value as YAML hands it to
//! strata (one or more lines), then `=> RESULT`, where RESULT is `error: TEXT` (the message
//! holds TEXT) or `[(sensitive)] JSON`, `(known after apply)` standing for an unknown value
//! anywhere in the JSON and `(sensitive at PATH, …)` for sensitive parts of the value.
//! Examples see the scope `scope()` builds, which both pages describe.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use strata::address::Address;
use strata::config::eval::{self, ObjectView, Scope};
use strata::config::vars::VarValue;
use strata::value::{path_string, Path as VPath, Value};

const UNKNOWN: &str = "(known after apply)";
/// What stands for an unknown value in the JSON compared.
const UNKNOWN_JSON: &str = "\u{1}unknown";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn page(name: &str) -> String {
    std::fs::read_to_string(repo().join("docs").join(name))
        .unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

#[derive(Debug)]
struct Example {
    /// docs/FILE:LINE of the block's first line.
    at: String,
    files: Vec<(String, String)>,
    expr: String,
    want: String,
}

/// The fenced blocks of `text` with the given info string: (line of the fence, body lines).
fn blocks(text: &str, info: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, Vec<String>)> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        match &mut cur {
            None if t.starts_with("```") && t[3..].trim() == info => cur = Some((n + 1, vec![])),
            None => {}
            Some(_) if t.starts_with("```") => out.extend(cur.take()),
            Some((_, body)) => body.push(line.to_string()),
        }
    }
    assert!(cur.is_none(), "an unclosed ```{info} block");
    out
}

fn examples(name: &str) -> Vec<Example> {
    let text = page(name);
    let mut out = Vec::new();
    for (line, body) in blocks(&text, "strata-example") {
        let at = format!("docs/{name}:{line}");
        let mut files = Vec::new();
        let mut expr = Vec::new();
        let mut want = None;
        for l in &body {
            if let Some(f) = l.strip_prefix("# file ") {
                let (fname, json) = f
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{at}: write `# file NAME: \"text\"`"));
                let content: String = serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("{at}: the file's text is not a JSON string: {e}"));
                files.push((fname.to_string(), content));
            } else if l.starts_with("# ") && expr.is_empty() {
            } else if let Some(w) = l.strip_prefix("=> ") {
                assert!(want.is_none(), "{at}: two results");
                want = Some(w.trim().to_string());
            } else {
                assert!(want.is_none(), "{at}: text after the result");
                expr.push(l.as_str());
            }
        }
        let want = want.unwrap_or_else(|| panic!("{at}: no `=> result` line"));
        assert!(!expr.is_empty(), "{at}: no expression");
        out.push(Example {
            at,
            files,
            expr: expr.join("\n"),
            want,
        });
    }
    out
}

/// The scope every example sees (described at the top of both pages).
struct DocScope {
    vars: BTreeMap<String, VarValue>,
    objects: BTreeMap<Address, Value>,
    dir: PathBuf,
}

impl Scope for DocScope {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.vars.get(name)
    }
    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        self.objects
            .get(addr)
            .map(|value| ObjectView::borrowed(value, &[]))
    }
    fn dir(&self) -> &Path {
        &self.dir
    }
}

fn scope(dir: &Path) -> DocScope {
    let var = |v: serde_json::Value, sensitive| VarValue {
        value: Value::from_json(&v),
        sensitive,
    };
    let vars = BTreeMap::from([
        ("env".to_string(), var(serde_json::json!("prod"), false)),
        (
            "zones".to_string(),
            var(serde_json::json!(["cn-hangzhou-h", "cn-hangzhou-i"]), false),
        ),
        (
            "password".to_string(),
            var(serde_json::json!("hunter2"), true),
        ),
    ]);
    let main = serde_json::json!({
        "id": "selectdb-cn-7213cjv2ez",
        "clusters": [
            { "id": "c-1", "zone_id": "cn-hangzhou-h", "status": "ACTIVATION" },
            { "id": "c-2", "zone_id": "cn-hangzhou-i", "status": "STOPPED" }
        ]
    });
    let objects = BTreeMap::from([
        (
            Address::managed("alicloud_gpdb_instance", "new"),
            Value::Unknown,
        ),
        (
            Address::data("alicloud_selectdb_instance", "main"),
            Value::from_json(&main),
        ),
    ]);
    DocScope {
        vars,
        objects,
        dir: dir.to_path_buf(),
    }
}

/// A value as the pages write it: JSON with unknowns as `UNKNOWN_JSON`.
fn shown(v: &Value) -> serde_json::Value {
    match v {
        Value::Unknown => serde_json::Value::String(UNKNOWN_JSON.into()),
        Value::List(l) => serde_json::Value::Array(l.iter().map(shown).collect()),
        Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), shown(v))).collect())
        }
        other => other.to_json(),
    }
}

fn render(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default().replace(
        &format!("\"{}\"", UNKNOWN_JSON.replace('\u{1}', "\\u0001")),
        UNKNOWN,
    )
}

fn sensitivity(paths: &[VPath]) -> String {
    if paths.is_empty() {
        return String::new();
    }
    if paths.iter().any(|p| p.is_empty()) {
        return "(sensitive) ".into();
    }
    let mut names: Vec<String> = paths.iter().map(|p| path_string(p)).collect();
    names.sort();
    names.dedup();
    format!("(sensitive at {}) ", names.join(", "))
}

/// The outcome of one example, written as its `=>` line would be.
fn outcome(ex: &Example) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in &ex.files {
        std::fs::write(dir.path().join(name), text).expect("fixture");
    }
    let result =
        strata::config::parse::template(&ex.expr).and_then(|e| eval::eval(&e, &scope(dir.path())));
    match result {
        Ok(r) => format!("{}{}", sensitivity(&r.sensitive), render(&shown(&r.value))),
        Err(e) => format!("error: {e}"),
    }
}

/// Whether `got` (an outcome) is what `want` (an `=>` line) says.
fn agrees(got: &str, want: &str) -> bool {
    if let Some(w) = want.strip_prefix("error: ") {
        return got.strip_prefix("error: ").is_some_and(|g| g.contains(w));
    }
    let split = |s: &str| -> (String, String) {
        match s.strip_prefix('(').and_then(|r| r.split_once(") ")) {
            Some((mark, rest)) if mark.starts_with("sensitive") => (mark.into(), rest.into()),
            _ => (String::new(), s.into()),
        }
    };
    let ((gm, gv), (wm, wv)) = (split(got), split(want));
    let json = |s: &str| {
        let s = s.replace(UNKNOWN, &format!("\"{}\"", "\\u0001unknown"));
        serde_json::from_str::<serde_json::Value>(&s).ok()
    };
    gm == wm && json(&wv).is_some() && json(&gv) == json(&wv)
}

fn check_page(name: &str) -> usize {
    let all = examples(name);
    let mut wrong = Vec::new();
    for ex in &all {
        let got = outcome(ex);
        if !agrees(&got, &ex.want) {
            wrong.push(format!(
                "{}: {}\n  documented: => {}\n  actual:     => {got}",
                ex.at, ex.expr, ex.want
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} examples disagree:\n{}",
        wrong.len(),
        all.len(),
        wrong.join("\n")
    );
    all.len()
}

#[test]
fn every_example_of_expressions_md_gives_what_it_shows() {
    assert!(check_page("expressions.md") >= 40);
}

#[test]
fn every_example_of_functions_md_gives_what_it_shows() {
    assert!(check_page("functions.md") >= 60);
}

/// One `### name` section of docs/functions.md.
#[derive(Default)]
struct Section {
    /// The expression lines of its examples.
    examples: Vec<String>,
    /// Its prose.
    text: String,
}

/// The `### name` sections of docs/functions.md, by name.
fn function_sections() -> BTreeMap<String, Section> {
    let text = page("functions.md");
    let mut out: BTreeMap<String, Section> = BTreeMap::new();
    let mut cur: Option<String> = None;
    let mut in_example = false;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            let name = h.trim().trim_matches('`').to_string();
            let fresh = out.insert(name.clone(), Section::default()).is_none();
            assert!(fresh, "### {name} twice");
            cur = Some(name);
            continue;
        }
        if line.starts_with("## ") {
            cur = None;
        }
        let Some(section) = cur.as_ref().and_then(|c| out.get_mut(c)) else {
            continue;
        };
        if line.trim() == "```strata-example" {
            in_example = true;
        } else if line.trim() == "```" {
            in_example = false;
        } else if !in_example {
            section.text.push_str(line);
            section.text.push('\n');
        } else if !line.starts_with("# ") && !line.starts_with("=> ") {
            section.examples.push(line.to_string());
        }
    }
    out
}

#[test]
fn every_function_is_documented_with_an_example() {
    let sections = function_sections();
    let names: Vec<&str> = strata::config::functions::names()
        .iter()
        .copied()
        .chain(["try", "can"])
        .collect();
    for name in &names {
        let Some(section) = sections.get(*name) else {
            panic!("docs/functions.md has no `### {name}` section");
        };
        let call = format!("{name}(");
        assert!(
            section.examples.iter().any(|e| e.contains(&call)),
            "docs/functions.md: `### {name}` has no example calling {name}(…)"
        );
        assert!(
            section.text.contains(&format!("`{name}(")),
            "docs/functions.md: `### {name}` does not give its signature `{name}(…)`"
        );
    }
    for documented in sections.keys() {
        assert!(
            names.contains(&documented.as_str()),
            "docs/functions.md documents `{documented}`, which is not a function"
        );
    }
}

/// The page says which functions look inside their arguments for unknowns and which decide
/// for themselves, as the dispatch table does.
#[test]
fn the_unknown_policy_of_each_function_is_the_documented_one() {
    let sections = function_sections();
    for name in strata::config::functions::names() {
        let policy = strata::config::functions::unknown_policy(name);
        let text = &sections[*name].text;
        assert_eq!(
            text.contains("*Looks inside*"),
            policy == Some("shallow"),
            "docs/functions.md: `### {name}` and the dispatch table ({policy:?}) disagree on \
             *Looks inside*"
        );
        if text.contains("*Needs only what it uses*") {
            assert_eq!(policy, Some("own"), "docs/functions.md: `### {name}`");
        }
    }
    assert_eq!(strata::config::functions::unknown_policy("nope"), None);
}

#[test]
fn every_yaml_block_of_expressions_md_loads_and_evaluates() {
    let text = page("expressions.md");
    let yaml = blocks(&text, "yaml");
    assert!(yaml.len() >= 2, "expected the YAML quoting examples");
    let dir = tempfile::tempdir().expect("temp dir");
    for (line, body) in yaml {
        let at = format!("docs/expressions.md:{line}");
        let doc: serde_json::Value = serde_yaml::from_str(&body.join("\n"))
            .unwrap_or_else(|e| panic!("{at}: not valid YAML: {e}"));
        let e = strata::config::expr::Expr::from_value(Value::from_json(&doc))
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        if let Err(e) = eval::eval(&e, &scope(dir.path())) {
            panic!("{at}: {e}");
        }
    }
}

#[test]
fn the_quoting_section_shows_what_yaml_does() {
    // the values of the quoting example, as YAML hands them to strata
    let text = page("expressions.md");
    let (_, body) = blocks(&text, "yaml")
        .into_iter()
        .find(|(_, b)| b.iter().any(|l| l.contains("label:")))
        .expect("the quoting example");
    let doc: serde_json::Value = serde_yaml::from_str(&body.join("\n")).expect("YAML");
    let out = &doc["outputs"];
    assert_eq!(out["label"], "${join(\" #\", var.zones)}");
    assert_eq!(
        out["owner"],
        "${var.env == \"prod\" ? \"it's ops\" : \"dev\"}"
    );
    assert_eq!(out["size"], out["size2"]);
    assert_eq!(
        out["long"],
        "${var.env == \"prod\"\n  ? \"production\"\n  : \"staging\"}"
    );
    // and the broken forms the page shows fail in YAML, as it says
    for (broken, says) in [
        (
            "name: ${var.env == \"prod\" ? \"big\" : \"small\"}",
            "mapping values are not allowed",
        ),
        (
            "values: { max_connections: ${1 + 1} }",
            "did not find expected ',' or '}'",
        ),
    ] {
        assert!(text.contains(broken), "the page no longer shows {broken}");
        let e = serde_yaml::from_str::<serde_json::Value>(broken).unwrap_err();
        assert!(e.to_string().contains(says), "{broken}: {e}");
    }
    let cut: serde_json::Value = serde_yaml::from_str("label: ${join(\" #\", var.zones)}").unwrap();
    assert_eq!(cut["label"], "${join(\"", "a ' #' starts a comment");
}

#[test]
fn the_checker_sees_a_wrong_example() {
    let ex = |expr: &str, want: &str| Example {
        at: "test".into(),
        files: vec![],
        expr: expr.into(),
        want: want.into(),
    };
    let right = ex("${upper(\"abc\")}", "\"ABC\"");
    assert!(agrees(&outcome(&right), &right.want));
    for (expr, want) in [
        ("${upper(\"abc\")}", "\"abc\""),
        ("${upper(\"abc\")}", "(sensitive) \"ABC\""),
        ("${upper(var.password)}", "\"HUNTER2\""),
        ("${1 + 2}", "\"3\""),
        ("${1 + 2}", "error: 3"),
        ("${alicloud_gpdb_instance.new.id}", "null"),
        ("${1 / 0}", "error: overflow"),
    ] {
        let e = ex(expr, want);
        assert!(!agrees(&outcome(&e), want), "{expr} => {want}");
    }
    let u = ex(
        "${[1, alicloud_gpdb_instance.new.id]}",
        "[1, (known after apply)]",
    );
    assert!(agrees(&outcome(&u), &u.want), "{}", outcome(&u));
    let s = ex(
        "${[1, var.password]}",
        "(sensitive at [1]) [1, \"hunter2\"]",
    );
    assert!(agrees(&outcome(&s), &s.want), "{}", outcome(&s));
}

/// GitHub's anchor of a heading: lower case, spaces to `-`, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn the_links_of_both_pages_lead_somewhere() {
    let mine = ["expressions.md", "functions.md"];
    let anchors = |name: &str| -> Vec<String> {
        page(name)
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .map(|h| slug(h.trim_start_matches('#')))
            .collect()
    };
    let link = regex::Regex::new(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)").expect("regex");
    for name in mine {
        for c in link.captures_iter(&page(name)) {
            let file = c.get(1).map_or("", |m| m.as_str());
            if file.starts_with("http") {
                continue;
            }
            let target = if file.is_empty() { name } else { file };
            assert!(
                repo().join("docs").join(target).exists(),
                "docs/{name}: a link to {target}, which does not exist"
            );
            let checked = mine.contains(&target) || target == "language.md";
            if let (Some(anchor), true) = (c.get(2), checked) {
                assert!(
                    anchors(target).contains(&anchor.as_str().to_string()),
                    "docs/{name}: a link to {target}#{}, which has no such heading",
                    anchor.as_str()
                );
            }
        }
    }
    assert_eq!(slug(" `for` expressions"), "for-expressions");
}
