//! Values as Terraform's plan JSON writes them: `after` / `values` with unknowns left out
//! (dropped from objects, `null` in lists, as Terraform's `omitUnknowns`), the
//! `after_unknown` mirror (`true` where unknown, known scalars left out of objects, `false`
//! in lists), and the `*_sensitive` / `sensitive_values` mirror (`true` where sensitive).
//!
//! Invariants: a value at or under a sensitive path is written as `null`, whatever the value
//! handed in holds (the plan masks secrets already; this is the second lock); every
//! sensitive path is marked `true` in the sensitivity mirror, even where the value is absent.

use crate::value::{Path, PathSeg, Value};
use serde_json::{json, Map, Value as J};

/// A path as a JSON array of keys and indexes (`replace_paths`, `relevant_attributes`).
pub fn path_json(p: &[PathSeg]) -> J {
    J::Array(
        p.iter()
            .map(|s| match s {
                PathSeg::Key(k) => J::String(k.clone()),
                PathSeg::Index(i) => json!(i),
            })
            .collect(),
    )
}

/// `v` with unknowns left out and secrets as `null` (see the header).
pub fn known(v: &Value, sensitive: &[Path]) -> J {
    known_at(v, sensitive, &mut Vec::new())
}

fn known_at(v: &Value, sensitive: &[Path], at: &mut Path) -> J {
    if sensitive.iter().any(|s| at.starts_with(s)) {
        return J::Null;
    }
    match v {
        Value::Map(m) => {
            let mut out = Map::new();
            for (k, item) in m.iter().filter(|(_, i)| !matches!(i, Value::Unknown)) {
                at.push(PathSeg::Key(k.clone()));
                out.insert(k.clone(), known_at(item, sensitive, at));
                at.pop();
            }
            J::Object(out)
        }
        Value::List(l) => {
            let mut out = Vec::with_capacity(l.len());
            for (i, item) in l.iter().enumerate() {
                at.push(PathSeg::Index(i));
                out.push(known_at(item, sensitive, at));
                at.pop();
            }
            J::Array(out)
        }
        other => other.to_json(),
    }
}

/// Terraform's `after_unknown` of `v`.
pub fn unknown(v: &Value) -> J {
    shape(v, &|leaf| matches!(leaf, Value::Unknown))
}

/// The mirror of `v`'s lists and objects, each other value `leaf(value)`, objects without
/// their `false` entries (Terraform's `unknownAsBool` / `SensitiveAsBool` shape).
fn shape(v: &Value, leaf: &dyn Fn(&Value) -> bool) -> J {
    match v {
        Value::List(l) => J::Array(l.iter().map(|i| shape(i, leaf)).collect()),
        Value::Map(m) => J::Object(
            m.iter()
                .map(|(k, item)| (k.clone(), shape(item, leaf)))
                .filter(|(_, b)| *b != J::Bool(false))
                .collect(),
        ),
        other => J::Bool(leaf(other)),
    }
}

/// Terraform's sensitivity mirror of `v` (`before_sensitive`, `sensitive_values`, …): `false`
/// when there is no value.
pub fn sensitive(v: Option<&Value>, paths: &[Path]) -> J {
    let Some(v) = v else { return J::Bool(false) };
    if paths.iter().any(Vec::is_empty) {
        return J::Bool(true);
    }
    let mut out = shape(v, &|_| false);
    for p in paths {
        mark(&mut out, p);
    }
    out
}

/// Set `true` at `path` in a sensitivity mirror, making objects on the way where the value
/// had none (a secret below a null or unknown value is still marked).
fn mark(tree: &mut J, path: &[PathSeg]) {
    let Some((first, rest)) = path.split_first() else {
        *tree = J::Bool(true);
        return;
    };
    if *tree == J::Bool(true) {
        return;
    }
    let next = match (first, &mut *tree) {
        (PathSeg::Index(i), J::Array(items)) if *i < items.len() => &mut items[*i],
        (seg, node) => {
            if !node.is_object() {
                *node = J::Object(Map::new());
            }
            let k = match seg {
                PathSeg::Key(k) => k.clone(),
                PathSeg::Index(i) => i.to_string(),
            };
            let obj = node.as_object_mut().expect("made an object above");
            obj.entry(k).or_insert(J::Bool(false))
        }
    };
    mark(next, rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::key;

    fn v(j: J) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn unknowns_are_left_out_of_objects_and_null_in_lists() {
        let mut val = v(json!({"a": 1, "l": [1, 2], "m": {"k": "x"}}));
        val.set_at(&[key("id")], Value::Unknown);
        val.set_at(&[key("l"), PathSeg::Index(1)], Value::Unknown);
        val.set_at(&[key("m"), key("u")], Value::Unknown);
        assert_eq!(
            known(&val, &[]),
            json!({"a": 1, "l": [1, null], "m": {"k": "x"}})
        );
        assert_eq!(
            unknown(&val),
            json!({"id": true, "l": [false, true], "m": {"u": true}})
        );
    }

    #[test]
    fn secrets_are_null_and_marked_even_below_a_missing_value() {
        let val = v(json!({"sa": {"user": "u", "password": "pw"}, "l": ["x"], "n": null}));
        let paths = [
            vec![key("sa"), key("password")],
            vec![key("n"), key("deep")],
        ];
        assert_eq!(
            known(&val, &paths),
            json!({"sa": {"user": "u", "password": null}, "l": ["x"], "n": null})
        );
        assert_eq!(
            sensitive(Some(&val), &paths),
            json!({"sa": {"password": true}, "l": [false], "n": {"deep": true}})
        );
        assert_eq!(sensitive(None, &paths), json!(false));
        assert_eq!(sensitive(Some(&val), &[vec![]]), json!(true));
    }
}
