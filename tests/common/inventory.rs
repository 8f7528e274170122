//! The sandbox's inventory checked against the state: every object strata made exists exactly
//! once, each is in the state (nothing orphaned), nothing is deposed, and a final plan is empty.

use super::Env;
use std::collections::{BTreeMap, BTreeSet};

/// Objects the sandbox holds beyond its seeds: (collection, name) → ids.
pub fn made_objects(env: &Env) -> BTreeMap<(String, String), Vec<String>> {
    let seeds = super::seed_rows();
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for o in env.sandbox() {
        let key = super::row_key(&o);
        let (coll, id) = (format!("{}/{}", key.0, key.1), key.2.clone());
        // seeds, and the automatic backups that come and go with each gpdb instance
        if seeds.contains(&key) || coll == "gpdb/backup" {
            continue;
        }
        out.entry((coll, o["name"].as_str().unwrap_or_default().to_string()))
            .or_default()
            .push(id);
    }
    out
}

/// Every made object exactly once and in the state of `stack`; no deposed objects; and a plan
/// (with `envs`) that says "No changes".
pub fn check_converged(env: &Env, stack: &str, envs: &[(&str, &str)], point: &str) {
    let made = made_objects(env);
    for ((kind, name), ids) in &made {
        assert_eq!(
            ids.len(),
            1,
            "{point}: {kind} {name:?} exists {} times: {ids:?}",
            ids.len()
        );
    }
    let st = env.state_json(stack);
    let state_ids: BTreeSet<String> = st["resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .map(|(_, r)| r["id"].as_str().unwrap().to_string())
        .collect();
    for ((kind, name), ids) in &made {
        assert!(
            state_ids.contains(&ids[0]),
            "{point}: {kind} {name:?} ({}) exists in the cloud but not in the state: orphaned",
            ids[0]
        );
    }
    for (key, left) in [
        ("deposed", "deposed objects left"),
        ("intents", "intents left open"),
    ] {
        assert!(st.get(key).is_none(), "{point}: {left}: {st}");
    }
    let r = env.run_with(&["-C", stack, "plan", "--detailed-exitcode"], envs);
    assert_eq!(r.code, 0, "{point}: the final plan is not empty: {r:?}");
    assert!(r.stdout.contains("No changes."), "{point}: {r:?}");
}
