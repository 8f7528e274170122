//! Repeated blocks (`count:`, `for_each:`): expanding a block into its instances, and the
//! scope one instance is evaluated in (`${each.key}`, `${each.value}`, `${count.index}`).
//!
//! Invariants:
//! - `expand` is the one place a block's `count` / `for_each` is evaluated and checked: a
//!   whole number from 0 to [`MAX_INSTANCES`]; a map, or a list of distinct strings (a set);
//!   never sensitive (instance keys are part of addresses, which are shown everywhere).
//! - A value known only after apply makes the block `Deferred`, never an error.
//! - Instances come in key order (`[0]`, `[1]`, … or the keys sorted), so plans are stable.

use super::eval::{eval, ObjectView, Scope};
use super::expr::InstanceRef;
use super::vars::VarValue;
use super::{Block, Config, Repeat};
use crate::address::{Address, Key};
use crate::diag::Diagnostic;
use crate::value::{PathSeg, Value};
use std::collections::BTreeSet;

/// The most instances one block may make (a bound on memory; a stack needing more should be
/// split).
pub const MAX_INSTANCES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatKind {
    Count,
    ForEach,
}

impl RepeatKind {
    pub fn of(r: &Repeat) -> RepeatKind {
        match r {
            Repeat::Count(_) => RepeatKind::Count,
            Repeat::ForEach(_) => RepeatKind::ForEach,
        }
    }
}

/// One instance as its expressions see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Each {
    pub kind: RepeatKind,
    /// `None` while the key is not known (validate evaluates a repeated block once, for any
    /// instance).
    pub key: Option<Key>,
    /// `each.value` (a set's element is its own value; `null` under `count`).
    pub value: Value,
    pub sensitive: bool,
}

impl Each {
    /// Any instance of a block of this kind: the key and value are unknown.
    pub fn unknown(kind: RepeatKind) -> Each {
        Each {
            kind,
            key: None,
            value: Value::Unknown,
            sensitive: false,
        }
    }

    /// The value of `each.key`, `each.value` or `count.index`, and whether it is sensitive.
    pub fn get(&self, which: InstanceRef) -> Result<(Value, bool), String> {
        let key = || self.key.as_ref().map(Key::value).unwrap_or(Value::Unknown);
        match (which, self.kind) {
            (InstanceRef::EachKey, RepeatKind::ForEach) => Ok((key(), false)),
            (InstanceRef::EachValue, RepeatKind::ForEach) => {
                Ok((self.value.clone(), self.sensitive))
            }
            (InstanceRef::CountIndex, RepeatKind::Count) => Ok((key(), false)),
            (InstanceRef::CountIndex, RepeatKind::ForEach) => {
                Err("this block uses for_each: write ${each.key} or ${each.value}".into())
            }
            (_, RepeatKind::Count) => Err("this block uses count: write ${count.index}".into()),
        }
    }
}

/// What a block makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Expansion {
    /// One object: the block has neither `count` nor `for_each`.
    Single,
    /// One object per instance, in key order.
    Instances(RepeatKind, Vec<Each>),
    /// `count` / `for_each` is known only after apply.
    Deferred(RepeatKind),
}

impl Expansion {
    /// The instance keys (empty for a single or deferred block).
    pub fn keys(&self) -> impl Iterator<Item = &Key> + '_ {
        let items = match self {
            Expansion::Instances(_, items) => items.as_slice(),
            _ => &[],
        };
        items.iter().filter_map(|e| e.key.as_ref())
    }
}

/// Evaluate a block's `count` / `for_each` in `scope`.
pub fn expand(cfg: &Config, b: &Block, scope: &dyn Scope) -> Result<Expansion, Box<Diagnostic>> {
    let Some(repeat) = &b.repeat else {
        return Ok(Expansion::Single);
    };
    let kind = RepeatKind::of(repeat);
    let fail = |msg: String| {
        let mut at = b.yaml_path();
        at.push(repeat.key().to_string());
        Box::new(
            Diagnostic::error(msg)
                .file(cfg.file_path(b.file))
                .at_owned(at)
                .address(b.addr.to_string())
                .attribute(repeat.key()),
        )
    };
    match evaluate_repeat(repeat, scope).map_err(fail)? {
        None => Ok(Expansion::Deferred(kind)),
        Some(items) => Ok(Expansion::Instances(kind, items)),
    }
}

/// The instances a `count` / `for_each` makes in `scope`: `None` while it is not known; an
/// error says what is wrong with its value.
pub fn evaluate_repeat(repeat: &Repeat, scope: &dyn Scope) -> Result<Option<Vec<Each>>, String> {
    let ev = eval(repeat.expr(), scope)?;
    if ev.sensitive.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "{} must not be sensitive: instance keys become part of addresses, which are \
             shown everywhere (wrap it in nonsensitive() if the keys are not secret)",
            repeat.key()
        ));
    }
    let items = match RepeatKind::of(repeat) {
        RepeatKind::Count => count(&ev.value),
        RepeatKind::ForEach => for_each(&ev.value, &ev.sensitive),
    }?;
    match items {
        Some(items) if items.len() > MAX_INSTANCES => Err(format!(
            "{} makes {} instances; at most {MAX_INSTANCES} are allowed per block",
            repeat.key(),
            items.len()
        )),
        other => Ok(other),
    }
}

/// The instances of a block by key (empty for a single block), for looking up one instance
/// at a time; an error names what is wrong.
pub fn by_key(
    cfg: &Config,
    b: &Block,
    scope: &dyn Scope,
) -> Result<std::collections::HashMap<Key, Each>, String> {
    match expand(cfg, b, scope).map_err(|d| d.to_string())? {
        Expansion::Single => Ok(Default::default()),
        Expansion::Deferred(_) => Err(format!("the instances of {} are not known yet", b.addr)),
        Expansion::Instances(_, items) => Ok(items
            .into_iter()
            .filter_map(|e| Some((e.key.clone()?, e)))
            .collect()),
    }
}

/// The block an address names, as that instance (with its `each`), or the block itself.
pub fn instance_of(
    b: &Block,
    addr: &Address,
    instances: &std::collections::HashMap<Key, Each>,
) -> Result<(Block, Option<Each>), String> {
    match (&addr.key, &b.repeat) {
        (None, None) => Ok((b.clone(), None)),
        (Some(k), Some(_)) => match instances.get(k) {
            Some(each) => Ok((b.instance(k.clone()), Some(each.clone()))),
            None => Err(format!("{addr} is not one of {}'s instances", b.addr)),
        },
        (None, Some(r)) => Err(format!(
            "{addr} uses {}: name one instance ({addr}[0] or {addr}[\"key\"])",
            r.key()
        )),
        (Some(_), None) => Err(format!(
            "{} has neither count nor for_each: write {} without a key",
            b.addr, b.addr
        )),
    }
}

/// The instances a `for_each` value makes (`None`: not known yet), for the `import:`
/// section's `for_each`, which no block carries.
pub fn for_each_items(
    v: &Value,
    sensitive: &[crate::value::Path],
) -> Result<Option<Vec<Each>>, String> {
    for_each(v, sensitive)
}

/// `count`'s instances; `None` when not known yet.
fn count(v: &Value) -> Result<Option<Vec<Each>>, String> {
    let n = match v {
        Value::Unknown => return Ok(None),
        Value::Number(n) => n,
        other => {
            return Err(format!(
                "count must be a whole number, got a {}",
                other.kind()
            ))
        }
    };
    let Some(n) = n.as_u64() else {
        return Err(format!("count must be a whole number ≥ 0, got {n}"));
    };
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > MAX_INSTANCES {
        return Err(format!(
            "count is {n}; at most {MAX_INSTANCES} instances are allowed per block"
        ));
    }
    Ok(Some(
        (0..n)
            .map(|i| Each {
                kind: RepeatKind::Count,
                key: Some(Key::Index(i)),
                value: Value::Null,
                sensitive: false,
            })
            .collect(),
    ))
}

/// `for_each`'s instances; `None` when a key is not known yet.
fn for_each(v: &Value, sensitive: &[crate::value::Path]) -> Result<Option<Vec<Each>>, String> {
    let named = |k: &str, value: Value, sensitive: bool| Each {
        kind: RepeatKind::ForEach,
        key: Some(Key::Name(k.to_string())),
        value,
        sensitive,
    };
    match v {
        Value::Unknown => Ok(None),
        Value::Map(m) => Ok(Some(
            m.iter()
                .map(|(k, value)| {
                    let seg = PathSeg::Key(k.clone());
                    let s = sensitive.iter().any(|p| p.first() == Some(&seg));
                    named(k, value.clone(), s)
                })
                .collect(),
        )),
        Value::List(items) => {
            if items.iter().any(Value::has_unknown) {
                return Ok(None);
            }
            let mut seen = BTreeSet::new();
            for item in items {
                let Value::String(s) = item else {
                    return Err(format!(
                        "for_each over a list holding a {}: for_each needs a map, or a set of \
                         strings (a list of distinct strings, or toset(…))",
                        item.kind()
                    ));
                };
                if !seen.insert(s.as_str()) {
                    return Err(format!(
                        "for_each has the key \"{s}\" twice: each key makes one instance \
                         (toset(…) drops duplicates)"
                    ));
                }
            }
            Ok(Some(
                seen.into_iter()
                    .map(|s| named(s, Value::str(s), false))
                    .collect(),
            ))
        }
        other => Err(format!(
            "for_each needs a map or a set of strings, got a {}",
            other.kind()
        )),
    }
}

/// The scope of one instance: everything the block's scope has, plus `each` / `count`.
pub struct InstanceScope<'a> {
    pub inner: &'a dyn Scope,
    pub each: &'a Each,
}

impl Scope for InstanceScope<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.inner.var(name)
    }

    fn instance(&self) -> Option<&Each> {
        Some(self.each)
    }

    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        self.inner.object(addr)
    }

    fn dir(&self) -> &std::path::Path {
        self.inner.dir()
    }

    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        self.inner.local(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(r: Result<Option<Vec<Each>>, String>) -> Vec<String> {
        r.unwrap()
            .unwrap()
            .iter()
            .map(|e| e.key.as_ref().unwrap().to_string())
            .collect()
    }

    #[test]
    fn count_makes_numbered_instances() {
        assert_eq!(keys(count(&Value::int(3))), ["[0]", "[1]", "[2]"]);
        assert!(keys(count(&Value::int(0))).is_empty());
        assert_eq!(count(&Value::Unknown).unwrap(), None);
        for bad in [json!(-1), json!(1.5), json!("2"), json!(1_000_000)] {
            assert!(count(&Value::from_json(&bad)).is_err(), "{bad}");
        }
        let e = count(&Value::from_json(&json!(-1))).unwrap_err();
        assert_eq!(e, "count must be a whole number ≥ 0, got -1");
    }

    #[test]
    fn for_each_over_maps_and_sets() {
        let m = Value::from_json(&json!({"b": 2, "a": {"x": 1}}));
        let items = for_each(&m, &[]).unwrap().unwrap();
        assert_eq!(items[0].key, Some(Key::Name("a".into())));
        assert_eq!(items[0].value, Value::from_json(&json!({"x": 1})));
        let set = Value::from_json(&json!(["y", "x"]));
        assert_eq!(keys(for_each(&set, &[])), ["[\"x\"]", "[\"y\"]"]);
        let with_unknown = Value::List(vec![Value::str("a"), Value::Unknown]);
        assert_eq!(for_each(&with_unknown, &[]).unwrap(), None);
        let dup = for_each(&Value::from_json(&json!(["a", "a"])), &[]).unwrap_err();
        assert!(dup.contains("\"a\" twice"), "{dup}");
        let list = for_each(&Value::from_json(&json!([1, 2])), &[]).unwrap_err();
        assert!(list.contains("over a list holding a number"), "{list}");
        assert!(for_each(&Value::str("x"), &[]).is_err());
    }

    #[test]
    fn sensitive_map_values_mark_only_their_instance() {
        let m = Value::from_json(&json!({"a": "pw", "b": "open"}));
        let items = for_each(&m, &[vec![PathSeg::Key("a".into())]])
            .unwrap()
            .unwrap();
        assert!(items[0].sensitive && !items[1].sensitive);
    }

    #[test]
    fn each_and_count_answer_only_in_their_kind_of_block() {
        let e = Each {
            kind: RepeatKind::ForEach,
            key: Some(Key::Name("k".into())),
            value: Value::int(1),
            sensitive: false,
        };
        assert_eq!(e.get(InstanceRef::EachKey).unwrap().0, Value::str("k"));
        assert_eq!(e.get(InstanceRef::EachValue).unwrap().0, Value::int(1));
        assert!(e.get(InstanceRef::CountIndex).is_err());
        let c = Each::unknown(RepeatKind::Count);
        assert_eq!(c.get(InstanceRef::CountIndex).unwrap().0, Value::Unknown);
        assert!(c.get(InstanceRef::EachKey).is_err());
    }
}
