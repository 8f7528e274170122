//! `moved:` and `removed:` through the binary, against a standalone sandbox whose request
//! counters show what reached the API: a move (renamed, into and out of a module, between
//! plain, `count` and `for_each` addresses, a whole repeated block) is planned as a move and
//! applied by writing state only; a move plus a change is a move plus an update; conflicting
//! and chained moves, and moves onto an address state already has, are errors naming both
//! entries; a block that becomes repeated without a move is a loud replace; `removed:` with
//! `destroy: false` forgets the object (no API call), with `destroy: true` destroys it;
//! saved plans carry moves and forgets and a kill -9 after their journal write converges.

mod common;
use common::{Env, HUAWEI};

macro_rules! snap {
    ($name:expr, $text:expr) => {
        common::snapshot_settings().bind(|| insta::assert_snapshot!($name, $text))
    };
}

const T: &str = "huaweicloud_rds_parameter_template";
const DIR: &str = "s";

/// A template block named `name` (the API's name `api`), with optional meta-arguments.
fn template(name: &str, api: &str, meta: &str) -> String {
    format!(
        "  {T}.{name}:\n{meta}    name: {api}\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"
    )
}

/// The stack: resources, then any other sections.
fn write(env: &Env, resources: &str, rest: &str) {
    env.stack(DIR, HUAWEI, &format!("resources:\n{resources}{rest}"));
}

/// A working directory and a standalone sandbox whose counters the test reads.
type World = common::served::Served;

impl World {
    fn new() -> World {
        World::start(Env::new(), DIR)
    }

    fn apply(&self) -> common::Run {
        self.run(&["apply", "--auto-approve"], 0)
    }

    fn listed(&self) -> Vec<String> {
        let r = self.run(&["state", "list"], 0);
        r.stdout.lines().map(String::from).collect()
    }

    fn id(&self, addr: &str) -> String {
        let st = self.env.state_json(DIR);
        st["resources"][addr]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn plan_json(&self) -> serde_json::Value {
        let r = self.run(&["plan", "--format", "json"], 0);
        serde_json::from_str(&r.stdout).expect("plan JSON")
    }
}

/// The document matches docs/plan.schema.json.
fn assert_valid(doc: &serde_json::Value) {
    let text = std::fs::read_to_string(common::repo().join("docs/plan.schema.json")).unwrap();
    let schema = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{doc:#}");
}

/// The change of `addr` in a plan JSON document.
fn change<'a>(doc: &'a serde_json::Value, addr: &str) -> &'a serde_json::Value {
    doc["resource_changes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["address"] == addr))
        .unwrap_or_else(|| panic!("no change of {addr} in {doc:#}"))
}

#[test]
fn a_renamed_block_is_moved_in_state_without_an_api_call() {
    let w = World::new();
    write(&w.env, &template("a", "t-a", ""), "");
    w.apply();
    let id = w.id(&format!("{T}.a"));
    write(
        &w.env,
        &template("b", "t-a", ""),
        &format!("moved:\n  - {{ from: {T}.a, to: {T}.b }}\n"),
    );
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# {T}.a has moved to {T}.b"));
    r.out_has("0 to destroy, 1 to move.");
    snap!("moved_text", r.stdout);
    // strata graph draws what apply runs: no delete of a, no create of b
    let g = w.run(&["graph"], 0);
    assert!(!g.stdout.contains(&format!("{T}.a")), "{}", g.stdout);
    assert!(g.stdout.contains(&format!("{T}.b")), "{}", g.stdout);
    let md = w.run(&["plan", "--format", "markdown"], 0);
    md.out_has(&format!(
        "| `→` move | `{T}.b` | moved from `{T}.a` (state only) |"
    ));
    snap!("moved_markdown", md.stdout);
    let doc = w.plan_json();
    assert_valid(&doc);
    let c = change(&doc, &format!("{T}.b"));
    assert_eq!(c["previous_address"], format!("{T}.a"), "{c:#}");
    assert_eq!(
        c["change"]["actions"],
        serde_json::json!(["no-op"]),
        "{c:#}"
    );
    // an apply that is not approved moves nothing
    let r = w.run(&["apply"], 1);
    assert!(!r.stdout.contains("Apply complete"), "{r:?}");
    assert_eq!(w.listed(), [format!("{T}.a")]);
    w.reset();
    let r = w.run(&["apply", "--auto-approve", "--refresh=false"], 0);
    assert!(w.calls().is_empty(), "{:?}\n{r:?}", w.calls());
    assert_eq!(w.listed(), [format!("{T}.b")]);
    assert_eq!(w.id(&format!("{T}.b")), id);
    // applied: the entry now does nothing
    let r = w.run(&["plan", "--detailed-exitcode"], 0);
    r.out_has("No changes.");
}

#[test]
fn removed_with_destroy_false_forgets_the_object_without_an_api_call() {
    let w = World::new();
    let both = format!("{}{}", template("a", "t-a", ""), template("c", "t-c", ""));
    write(&w.env, &both, "");
    w.apply();
    // still configured: an error naming the block
    let entry = format!("removed:\n  - from: {T}.c\n    lifecycle: {{ destroy: false }}\n");
    write(&w.env, &both, &entry);
    let r = w.run(&["plan"], 1);
    r.err_has(&format!("removed: {T}.c is still in the configuration (at"));
    write(&w.env, &template("a", "t-a", ""), &entry);
    let r = w.run(&["plan"], 0);
    r.out_has(&format!(
        "# {T}.c will no longer be managed by strata, but will not be destroyed"
    ));
    r.out_has("# (destroy = false is set in the configuration)");
    r.out_has("0 to destroy, 1 to forget.");
    r.out_has("Some objects will no longer be managed by strata");
    snap!("moved_forget_text", r.stdout);
    let g = w.run(&["graph"], 0);
    assert!(!g.stdout.contains("destroy"), "{}", g.stdout);
    let md = w.run(&["plan", "--format", "markdown"], 0);
    snap!("moved_forget_markdown", md.stdout);
    let doc = w.plan_json();
    assert_valid(&doc);
    let c = change(&doc, &format!("{T}.c"));
    assert_eq!(
        c["change"]["actions"],
        serde_json::json!(["forget"]),
        "{c:#}"
    );
    w.reset();
    w.run(&["apply", "--auto-approve"], 0);
    assert!(w.writes().is_empty(), "{:?}", w.calls());
    assert_eq!(w.listed(), [format!("{T}.a")]);
    assert!(w
        .env
        .made_names("parameter_template")
        .contains(&"t-c".to_string()));
    w.run(&["plan", "--detailed-exitcode"], 0)
        .out_has("No changes.");
}

#[test]
fn removed_with_destroy_true_destroys_the_object() {
    let w = World::new();
    let both = format!("{}{}", template("a", "t-a", ""), template("c", "t-c", ""));
    write(&w.env, &both, "");
    w.apply();
    write(
        &w.env,
        &template("a", "t-a", ""),
        &format!("removed:\n  - {{ from: {T}.c }}\n"),
    );
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# {T}.c will be destroyed"));
    w.apply();
    assert!(!w
        .env
        .made_names("parameter_template")
        .contains(&"t-c".to_string()));
}

#[test]
fn moving_into_and_out_of_a_module_makes_no_api_call() {
    let w = World::new();
    write(&w.env, &template("a", "t-a", ""), "");
    w.apply();
    let id = w.id(&format!("{T}.a"));
    w.env.write(
        &format!("{DIR}/mod/main.yaml"),
        &format!("resources:\n{}", template("a", "t-a", "")),
    );
    w.env.stack(
        DIR,
        HUAWEI,
        &format!("modules:\n  m: {{ source: ./mod }}\nmoved:\n  - {{ from: {T}.a, to: module.m.{T}.a }}\n"),
    );
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# {T}.a has moved to module.m.{T}.a"));
    w.reset();
    w.run(&["apply", "--auto-approve", "--refresh=false"], 0);
    assert!(w.calls().is_empty(), "{:?}", w.calls());
    assert_eq!(w.listed(), [format!("module.m.{T}.a")]);
    assert_eq!(w.id(&format!("module.m.{T}.a")), id);
    // and out again, into a for_each instance
    write(
        &w.env,
        &template("a", "t-a", "    for_each: [k]\n"),
        &format!("moved:\n  - {{ from: module.m.{T}.a, to: '{T}.a[\"k\"]' }}\n"),
    );
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# module.m.{T}.a has moved to {T}.a[\"k\"]"));
    w.reset();
    w.run(&["apply", "--auto-approve", "--refresh=false"], 0);
    assert!(w.calls().is_empty(), "{:?}", w.calls());
    assert_eq!(w.id(&format!("{T}.a[\"k\"]")), id);
}

#[test]
fn plain_count_and_for_each_addresses_and_whole_blocks_move() {
    let w = World::new();
    let three = format!(
        "{}{}",
        template("a", "t-a", ""),
        template("b", "t-b-${count.index}", "    count: 2\n")
    );
    write(&w.env, &three, "");
    w.apply();
    let ids: Vec<String> = [format!("{T}.a"), format!("{T}.b[0]"), format!("{T}.b[1]")]
        .iter()
        .map(|a| w.id(a))
        .collect();
    // a -> a[0] (a gains count), the whole block b -> c
    let moved = format!(
        "{}{}",
        template("a", "t-a", "    count: 1\n"),
        template("c", "t-b-${count.index}", "    count: 2\n")
    );
    write(
        &w.env,
        &moved,
        &format!(
            "moved:\n  - {{ from: {T}.a, to: '{T}.a[0]' }}\n  - {{ from: {T}.b, to: {T}.c }}\n"
        ),
    );
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# {T}.a has moved to {T}.a[0]"));
    r.out_has(&format!("# {T}.b[0] has moved to {T}.c[0]"));
    r.out_has(&format!("# {T}.b[1] has moved to {T}.c[1]"));
    r.out_has("0 to destroy, 3 to move.");
    w.reset();
    w.run(&["apply", "--auto-approve"], 0);
    assert!(w.writes().is_empty(), "{:?}", w.calls());
    let now: Vec<String> = [
        format!("{T}.a[0]"),
        format!("{T}.c[0]"),
        format!("{T}.c[1]"),
    ]
    .iter()
    .map(|a| w.id(a))
    .collect();
    assert_eq!(now, ids);
}

#[test]
fn a_move_with_a_change_is_a_move_and_an_update() {
    let w = World::new();
    write(&w.env, &template("a", "t-a", ""), "");
    w.apply();
    let values = "    values: { max_connections: \"300\" }\n";
    write(
        &w.env,
        &template("b", "t-a", values),
        &format!("moved:\n  - {{ from: {T}.a, to: {T}.b }}\n"),
    );
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# {T}.b will be updated in-place"));
    r.out_has(&format!("# (moved from {T}.a)"));
    r.out_has("1 to update, 0 to replace, 0 to destroy, 1 to move.");
    snap!("moved_update_text", r.stdout);
    let md = w.run(&["plan", "--format", "markdown"], 0);
    snap!("moved_update_markdown", md.stdout);
    w.apply();
    assert_eq!(w.listed(), [format!("{T}.b")]);
    w.run(&["plan", "--detailed-exitcode"], 0)
        .out_has("No changes.");
}

#[test]
fn a_block_that_becomes_repeated_without_a_move_is_a_loud_replace() {
    let w = World::new();
    write(&w.env, &template("a", "t-a", ""), "");
    w.apply();
    write(&w.env, &template("a", "t-a", "    count: 1\n"), "");
    let r = w.run(&["plan"], 0);
    r.out_has(&format!("# {T}.a will be destroyed"));
    r.out_has(&format!("# {T}.a[0] will be created"));
    r.out_has(&format!(
        "Warning: {T}.a became repeated (count/for_each): this plan destroys {T}.a and creates {T}.a[0]; to keep the object, add moved: [ {{ from: {T}.a, to: {T}.a[0] }} ]"
    ));
    let md = w.run(&["plan", "--format", "markdown"], 0);
    md.out_has("> [!WARNING]\n> - ");
}

#[test]
fn conflicting_chained_and_occupied_moves_are_errors_naming_both_entries() {
    let w = World::new();
    let ab = format!("{}{}", template("a", "t-a", ""), template("b", "t-b", ""));
    write(&w.env, &ab, "");
    w.apply();
    let cd = format!("{}{}", template("c", "t-a", ""), template("d", "t-b", ""));
    let entries = format!(
        "moved:\n  - {{ from: {T}.a, to: {T}.c }}\n  - {{ from: {T}.a, to: {T}.d }}\n  - {{ from: {T}.b, to: {T}.c }}\n  - {{ from: {T}.c, to: {T}.e }}\n"
    );
    write(&w.env, &cd, &entries);
    let r = w.run(&["plan"], 1);
    r.err_has("Error: s/main.yaml:12: conflicting moved entries");
    r.err_has(&format!("(at s/main.yaml:11) both move {T}.a"));
    r.err_has(&format!("(at s/main.yaml:11) both move an object to {T}.c"));
    r.err_has("chain: one moves an object to where the other moves from");
    snap!("moved_conflicts", r.stderr);
    let v = w.run(&["validate"], 1);
    assert!(v.all().contains("conflicting moved entries"), "{v:?}");
    // onto an address the state already has
    write(
        &w.env,
        &template("b", "t-a", ""),
        &format!("moved:\n  - {{ from: {T}.a, to: {T}.b }}\n"),
    );
    let r = w.run(&["plan"], 1);
    r.err_has(&format!(
        "moved: cannot move {T}.a to {T}.b: the state already has an object at {T}.b"
    ));
    assert_eq!(w.listed(), [format!("{T}.a"), format!("{T}.b")]);
}

#[test]
fn saved_plans_carry_moves_and_forgets_and_go_stale() {
    let w = World::new();
    let both = format!("{}{}", template("a", "t-a", ""), template("c", "t-c", ""));
    write(&w.env, &both, "");
    w.apply();
    write(
        &w.env,
        &template("b", "t-a", ""),
        &format!(
            "moved:\n  - {{ from: {T}.a, to: {T}.b }}\nremoved:\n  - {{ from: {T}.c, lifecycle: {{ destroy: false }} }}\n"
        ),
    );
    w.run(&["plan", "--out", "p.plan"], 0);
    w.run(&["plan", "--out", "q.plan"], 0);
    let r = w.run(&["show", "p.plan"], 0);
    r.out_has(&format!("# {T}.a has moved to {T}.b"));
    w.reset();
    w.run(&["apply", "p.plan"], 0);
    assert!(w.writes().is_empty(), "{:?}", w.calls());
    assert_eq!(w.listed(), [format!("{T}.b")]);
    // the other plan was made before: stale
    let r = w.run(&["apply", "q.plan"], 1);
    r.err_has("stale plan");
    assert_eq!(w.listed(), [format!("{T}.b")]);
}

#[test]
fn a_kill_after_the_move_is_journaled_converges_without_duplicates() {
    let w = World::new();
    write(&w.env, &template("a", "t-a", ""), "");
    w.apply();
    let id = w.id(&format!("{T}.a"));
    // the move, and a create after it (whose intent gives a point to kill at)
    let next = format!("{}{}", template("b", "t-a", ""), template("n", "t-n", ""));
    write(
        &w.env,
        &next,
        &format!("moved:\n  - {{ from: {T}.a, to: {T}.b }}\n"),
    );
    let args = ["-C", DIR, "apply", "--auto-approve"];
    let envs = [("STRATA_SANDBOX_URL", w.url.as_str())];
    w.env.kill_at(&args, &envs, "moves_journaled");
    w.env.kill_at(&args, &envs, "intent_written");
    w.env.kill_at(&args, &envs, "before_fold");
    let r = w.apply();
    assert!(!r.stdout.contains("has moved"), "{r:?}");
    assert_eq!(w.listed(), [format!("{T}.b"), format!("{T}.n")]);
    assert_eq!(w.id(&format!("{T}.b")), id);
    assert_eq!(w.env.made_names("parameter_template"), ["t-a", "t-n"]);
    w.run(&["plan", "--detailed-exitcode"], 0)
        .out_has("No changes.");
}
