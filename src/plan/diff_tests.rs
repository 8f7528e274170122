//! Unit tests of the planner: each kind of change, from config text and a hand-made state,
//! with no cloud involved (data sources are deferred without providers).

use super::diff::{plan, PlanInput};
use super::{Action, Options, Reason};
use crate::address::Address;
use crate::config::vars::{resolve, Missing};
use crate::state::{Made, Object, ResourceState, State};
use crate::value::{key, Value};

const BASE: &str = r#"
providers:
  huaweicloud: { region: r, project_id: p, endpoint: sandbox }
variables:
  secret: { sensitive: true, default: s3cret }
resources:
  huaweicloud_rds_parameter_template.a:
    name: a
    description: "d-${var.secret}"
    datastore: { type: MySQL, version: "8.0" }
    values: { max_connections: "10" }
  huaweicloud_rds_parameter_template.b:
    clone: { source: "${huaweicloud_rds_parameter_template.a.id}" }
    name: b
"#;

fn cfg(text: &str) -> (crate::config::Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), text).unwrap();
    let (c, d) = crate::config::load(dir.path());
    assert!(!d.has_errors(), "{d}");
    (c, dir)
}

fn addr(n: &str) -> Address {
    Address::managed("huaweicloud_rds_parameter_template", n)
}

/// A state holding what applying BASE makes.
fn applied(c: &crate::config::Config) -> State {
    let mut st = State::new("t");
    let k = st.fingerprint_key();
    let a_attrs = Value::from_json(&serde_json::json!({
        "id": "A1", "name": "a", "description": null,
        "datastore": {"type": "MySQL", "version": "8.0"}, "datastore_name": "mysql",
        "datastore_version_name": "8.0", "values": {"max_connections": "10"},
        "created": "t0", "updated": "t0"
    }));
    let mut sens = std::collections::BTreeMap::new();
    sens.insert(
        "description".to_string(),
        crate::state::fingerprint(&k, &Value::str("d-s3cret")),
    );
    st.resources.insert(
        addr("a"),
        ResourceState::new(
            &addr("a"),
            Object {
                id: "A1".into(),
                attributes: a_attrs,
                made: Made::Created,
                sensitive: sens,
            },
            vec![],
        ),
    );
    let b_attrs = Value::from_json(&serde_json::json!({
        "id": "B1", "name": "b", "description": null,
        "datastore": {"type": "MySQL", "version": "8.0"}, "datastore_name": "mysql",
        "datastore_version_name": "8.0", "values": null, "created": "t0", "updated": "t0"
    }));
    st.resources.insert(
        addr("b"),
        ResourceState::new(
            &addr("b"),
            Object {
                id: "B1".into(),
                attributes: b_attrs,
                made: Made::Cloned {
                    from: Value::from_json(&serde_json::json!({"source": "A1"})),
                },
                sensitive: Default::default(),
            },
            vec![addr("a")],
        ),
    );
    let _ = c;
    st
}

async fn run(
    text: &str,
    state: &State,
    options: Options,
) -> Result<super::Plan, crate::diag::Diagnostics> {
    let (c, _dir) = cfg(text);
    let (vars, _) = resolve(&c, &[], &|_| None, Missing::Error);
    plan(&PlanInput {
        cfg: &c,
        vars: &vars,
        state,
        providers: None,
        options: &options,
        drift: vec![],
        reconciled: vec![],
    })
    .await
}

/// The options of `plan -destroy`.
fn destroying() -> Options {
    Options {
        destroy: true,
        ..Options::default()
    }
}

fn action(p: &super::Plan, n: &str) -> Action {
    p.change(&addr(n)).map(|c| c.action).unwrap()
}

#[tokio::test]
async fn empty_state_creates_and_clones_with_unknowns() {
    let p = run(BASE, &State::new("t"), Options::default())
        .await
        .unwrap();
    assert_eq!(action(&p, "a"), Action::Create);
    assert_eq!(action(&p, "b"), Action::Clone);
    let b = p.change(&addr("b")).unwrap();
    assert_eq!(b.after.as_ref().unwrap().get("id"), Some(&Value::Unknown));
    assert_eq!(
        b.clone.as_ref().unwrap().get("source"),
        Some(&Value::Unknown)
    );
    // the secret is masked in the plan and its path marked sensitive
    let a = p.change(&addr("a")).unwrap();
    assert_eq!(
        a.after.as_ref().unwrap().get("description"),
        Some(&Value::Null)
    );
    assert!(a.after_sensitive.contains(&vec![key("description")]));
    assert!(p.has_changes());
}

#[tokio::test]
async fn applied_state_is_no_op() {
    let (c, _d) = cfg(BASE);
    let st = applied(&c);
    let p = run(BASE, &st, Options::default()).await.unwrap();
    assert_eq!(action(&p, "a"), Action::NoOp);
    assert_eq!(action(&p, "b"), Action::NoOp);
    assert!(!p.has_changes(), "{:?}", p.changes);
}

#[tokio::test]
async fn updates_replacements_and_secret_changes() {
    let (c, _d) = cfg(BASE);
    let st = applied(&c);
    let text = BASE.replace("\"10\"", "\"20\"");
    let p = run(&text, &st, Options::default()).await.unwrap();
    assert_eq!(action(&p, "a"), Action::Update);
    assert_eq!(action(&p, "b"), Action::NoOp);
    // a force-new argument replaces; the clone of it follows because its source moves
    let text = BASE.replace("version: \"8.0\"", "version: \"5.7\"");
    let p = run(&text, &st, Options::default()).await.unwrap();
    let a = p.change(&addr("a")).unwrap();
    assert_eq!(a.action, Action::Replace);
    assert_eq!(a.reason, Some(Reason::ReplaceBecauseCannotUpdate));
    assert_eq!(
        a.replace_paths().collect::<Vec<_>>(),
        [&vec![key("datastore")]]
    );
    let b = p.change(&addr("b")).unwrap();
    assert_eq!(b.action, Action::Replace);
    assert_eq!(b.replace_paths().collect::<Vec<_>>(), [&vec![key("clone")]]);
    // a changed secret is detected by its fingerprint alone
    let text = BASE.replace("default: s3cret", "default: other");
    let p = run(&text, &st, Options::default()).await.unwrap();
    assert_eq!(action(&p, "a"), Action::Update);
}

#[tokio::test]
async fn orphans_are_deleted_and_replace_can_be_requested() {
    let (c, _d) = cfg(BASE);
    let mut st = applied(&c);
    let mut orphan = st.resources[&addr("b")].clone();
    orphan.id = "Z1".into();
    st.resources.insert(addr("gone"), orphan);
    let p = run(
        BASE,
        &st,
        Options {
            replace: vec![addr("a")],
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let gone = p.change(&addr("gone")).unwrap();
    assert_eq!(gone.action, Action::Delete);
    assert_eq!(gone.reason, Some(Reason::DeleteBecauseNoResourceConfig));
    assert_eq!(
        p.change(&addr("a")).unwrap().reason,
        Some(Reason::ReplaceByRequest)
    );
}

#[tokio::test]
async fn prevent_destroy_fails_the_plan_and_ignore_changes_hides() {
    let (c, _d) = cfg(BASE);
    let st = applied(&c);
    let text = BASE.replace(
        "    name: a\n",
        "    name: a\n    lifecycle: { prevent_destroy: true }\n",
    );
    let p = run(&text, &st, destroying()).await.unwrap();
    assert_eq!(p.conflicts.len(), 1, "only the protected one conflicts");
    assert_eq!(p.conflicts[0].addr, addr("a"));
    let msg = &p.conflicts[0].message;
    assert!(
        msg.contains("prevent_destroy") && msg.contains("main.yaml:9"),
        "{msg}"
    );
    let text = BASE.replace("\"10\"", "\"20\"").replace(
        "    name: a\n",
        "    name: a\n    lifecycle: { ignore_changes: [values] }\n",
    );
    let p = run(&text, &st, Options::default()).await.unwrap();
    assert_eq!(action(&p, "a"), Action::NoOp);
}

#[tokio::test]
async fn destroy_and_targets() {
    let (c, _d) = cfg(BASE);
    let st = applied(&c);
    let p = run(BASE, &st, destroying()).await.unwrap();
    assert_eq!(action(&p, "a"), Action::Delete);
    assert_eq!(action(&p, "b"), Action::Delete);
    // targeting the clone plans its source too; targeting the source alone does not
    for (target, planned) in [("b", 2), ("a", 1)] {
        let options = Options {
            targets: vec![addr(target)],
            ..Options::default()
        };
        let p = run(BASE, &State::new("t"), options).await.unwrap();
        assert_eq!(p.changes.len(), planned, "--target {target}");
    }
}
