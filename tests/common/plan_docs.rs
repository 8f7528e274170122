//! The plan documents the plan-JSON tests and the ecosystem suite read, each written to a
//! file: the quickstart's first plan (`plan --format json`), the quickstart applied and then
//! changed — an update (`copy_by_v31`'s description), a replacement forced by an attribute
//! (`base`'s datastore version), one forced by a moved clone source (`base_copy`, cloned from
//! `base`) and a delete (the DataWorks copy, removed from the config) — as `show --json` of its
//! saved plan, and the modules example's first plan.

use super::{repo, Env};
use std::path::PathBuf;

pub struct Documents {
    /// The quickstart's working directory (applied; its config changed).
    pub quickstart_env: Env,
    pub modules_env: Env,
    pub quickstart: PathBuf,
    /// `show --json` of the changed quickstart's saved plan.
    pub change: PathBuf,
    /// What `plan --format json --out FILE` printed for that plan.
    pub change_printed: String,
    /// The saved plan file.
    pub change_plan: PathBuf,
    pub modules: PathBuf,
}

/// The example file `examples/quickstart/NAME` with each `(from, to)` of `edits` made (each
/// must be there).
fn edited(name: &str, edits: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(repo().join("examples/quickstart").join(name)).unwrap();
    edits.iter().fold(text, |t, (from, to)| {
        assert!(
            t.contains(from),
            "examples/quickstart/{name} has no {from:?}"
        );
        t.replace(from, to)
    })
}

/// The quickstart's alicloud.yaml without the DataWorks copy.
fn without_dataworks_copy() -> String {
    let text = edited("alicloud.yaml", &[]);
    let from = text
        .find("  # A copy of the API example")
        .expect("the DataWorks block");
    let to = text.find("  # Bind the two").expect("the block after it");
    format!("{}{}", &text[..from], &text[to..])
}

/// Make the documents (the quickstart is applied on the embedded sandbox on the way).
pub fn make() -> Documents {
    let q = Env::with_example("quickstart");
    let json = ["-C", "quickstart", "plan", "--format", "json"];
    let quickstart = q.path().join("quickstart.json");
    std::fs::write(&quickstart, q.ok(&json, 0).stdout).unwrap();
    q.ok(&["-C", "quickstart", "apply", "--auto-approve"], 0);
    let main = edited(
        "main.yaml",
        &[
            ("version: \"8.0\"", "version: \"5.7\""),
            ("description: copy", "description: changed"),
        ],
    );
    q.write("quickstart/main.yaml", &main);
    q.write("quickstart/alicloud.yaml", &without_dataworks_copy());
    let change_plan = q.path().join("change.plan");
    let plan_file = change_plan.to_str().expect("a UTF-8 temporary path");
    let change_printed = q.ok(&[&json[..], &["--out", plan_file]].concat(), 0).stdout;
    let change = q.path().join("change.json");
    let shown = q.ok(&["-C", "quickstart", "show", "--json", plan_file], 0);
    std::fs::write(&change, shown.stdout).unwrap();
    let m = Env::with_example("modules");
    let modules = m.path().join("modules.json");
    let printed = m
        .ok(&["-C", "modules", "plan", "--format", "json"], 0)
        .stdout;
    std::fs::write(&modules, printed).unwrap();
    Documents {
        quickstart_env: q,
        modules_env: m,
        quickstart,
        change,
        change_printed,
        change_plan,
        modules,
    }
}

/// A document of [`make`], parsed.
pub fn read(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// The resource change of `doc` that `pick` chooses; panics, naming `what` and showing the
/// document, when none does.
pub fn change<'a>(
    doc: &'a serde_json::Value,
    what: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> &'a serde_json::Value {
    doc["resource_changes"]
        .as_array()
        .and_then(|rcs| rcs.iter().find(|rc| pick(rc)))
        .unwrap_or_else(|| panic!("no change {what} in {doc:#}"))
}

/// The resource change of `address` in `doc`.
pub fn change_of<'a>(doc: &'a serde_json::Value, address: &str) -> &'a serde_json::Value {
    change(doc, address, |rc| rc["address"] == address)
}
