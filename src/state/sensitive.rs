//! Sensitive values: replaced by `null` wherever attributes are shown or stored, with a keyed
//! fingerprint kept so a changed secret is still detected.

use crate::state::fingerprint;
use crate::value::{path_string, Path, Value};
use std::collections::BTreeMap;

/// Null out `paths` in `attrs`; returns the fingerprints of the values that were there
/// (by path text). Paths holding nothing are skipped.
pub fn mask(attrs: &mut Value, paths: &[Path], key: &[u8]) -> BTreeMap<String, String> {
    let mut fps = BTreeMap::new();
    for p in paths {
        let Some(v) = attrs.at(p) else { continue };
        if v.is_null() || matches!(v, Value::Unknown) {
            continue;
        }
        fps.insert(path_string(p), fingerprint(key, v));
        attrs.set_at(p, Value::Null);
    }
    fps
}

const WITHHELD: &str = "withheld";

/// What to journal in place of `v` (an intent's natural key) when it holds one of the
/// sensitive values of `args` at `paths` (whole, or inside a longer string): its keyed
/// fingerprint only, under `withheld`. Otherwise `v` itself.
pub fn withhold(v: Value, args: &Value, paths: &[Path], key: &[u8]) -> Value {
    let secrets: Vec<&Value> = paths
        .iter()
        .filter_map(|p| args.at(p))
        .filter(|s| !s.is_null())
        .collect();
    if !holds_any(&v, &secrets) {
        return v;
    }
    let mut m = crate::value::Map::new();
    m.insert(WITHHELD.into(), Value::str(fingerprint(key, &v)));
    Value::Map(m)
}

/// The fingerprint a withheld value was journaled as, if it was.
pub fn withheld(v: &Value) -> Option<&str> {
    v.get(WITHHELD).and_then(Value::as_str)
}

fn holds_any(v: &Value, secrets: &[&Value]) -> bool {
    let mut leaves = Vec::new();
    for s in secrets {
        scalars(s, &mut leaves);
    }
    let mut mine = Vec::new();
    scalars(v, &mut mine);
    mine.iter().any(|leaf| {
        leaves.iter().any(|secret| match (leaf, secret) {
            (Value::String(a), Value::String(b)) => !b.is_empty() && a.contains(b.as_str()),
            _ => leaf == secret,
        })
    })
}

/// Every scalar inside a value.
fn scalars<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Map(m) => m.values().for_each(|x| scalars(x, out)),
        Value::List(l) => l.iter().for_each(|x| scalars(x, out)),
        Value::Null | Value::Unknown => {}
        _ => out.push(v),
    }
}

/// Paths (as text) whose fingerprints differ between two fingerprint maps.
pub fn changed(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether `path` is, or lies under, one of `sensitive`.
pub fn is_sensitive(path: &[crate::value::PathSeg], sensitive: &[Path]) -> bool {
    sensitive.iter().any(|s| path.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::key;

    #[test]
    fn masks_and_fingerprints() {
        let mut v = Value::from_json(&serde_json::json!({"sa": {"password": "pw", "user": "u"}}));
        let fps = mask(&mut v, &[vec![key("sa"), key("password")]], b"k");
        assert_eq!(v.at(&[key("sa"), key("password")]), Some(&Value::Null));
        assert!(fps["sa.password"].starts_with("hmac-sha256:"));
        assert!(!fps["sa.password"].contains("pw"));
        let mut w = Value::from_json(&serde_json::json!({"sa": {"password": "other"}}));
        let fps2 = mask(&mut w, &[vec![key("sa"), key("password")]], b"k");
        assert_eq!(changed(&fps, &fps2), vec!["sa.password".to_string()]);
    }
}
