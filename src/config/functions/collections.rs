//! Collection functions: `length lookup merge concat flatten keys values contains coalesce
//! zipmap distinct sort`, with Terraform's semantics over strata's values (a set is a list
//! without duplicates).
//!
//! Invariants: unknown elements make the result unknown only where the function must look at
//! them (`length` of a list with unknown elements is known, `flatten` of one is not); nesting
//! is bounded (`flatten` refuses more than `MAX_DEPTH` levels instead of overflowing the stack).

use super::args::{text_of, A};
use crate::value::{Map, Value};

/// The deepest nesting `flatten` follows.
const MAX_DEPTH: usize = 256;

pub fn length(a: &A<'_>) -> Result<Value, String> {
    let n = match a.get(0)? {
        Value::String(s) => s.chars().count(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        _ => return Err(a.wrong(0, "a string, a list or a map")),
    };
    Ok(Value::int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// `lookup(map, key, default)`: the default is needed only when the key is missing.
pub fn lookup(a: &A<'_>) -> Result<Value, String> {
    let (m, key) = (a.get(0)?, a.get(1)?);
    if matches!(m, Value::Unknown) || key.has_unknown() {
        return Ok(Value::Unknown);
    }
    let Value::Map(m) = m else {
        return Err(a.wrong(0, "a map"));
    };
    let key = a.str(1)?;
    if let Some(v) = m.get(&key) {
        return Ok(v.clone());
    }
    match a.args.get(2) {
        Some(default) => Ok(default.clone()),
        None => Err(format!(
            "{}: the map has no key \"{key}\" and no default (argument 3) is given",
            a.f
        )),
    }
}

/// `merge(maps…)`: later maps win; null arguments are skipped.
pub fn merge(a: &A<'_>) -> Result<Value, String> {
    let mut out = Map::new();
    for (i, v) in a.args.iter().enumerate() {
        match v {
            Value::Null => {}
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            _ => return Err(a.wrong(i, "a map")),
        }
    }
    Ok(Value::Map(out))
}

pub fn concat(a: &A<'_>) -> Result<Value, String> {
    let mut out = Vec::new();
    for i in 0..a.args.len() {
        out.extend(a.list(i)?.iter().cloned());
    }
    Ok(Value::List(out))
}

pub fn flatten(a: &A<'_>) -> Result<Value, String> {
    let mut out = Vec::new();
    let known = flatten_into(a, a.list(0)?, 0, &mut out)?;
    Ok(if known {
        Value::List(out)
    } else {
        Value::Unknown
    })
}

/// Appends the non-list elements of `l`, recursively; `false` when an unknown element (which
/// may be a list) makes the result unknown.
fn flatten_into(
    a: &A<'_>,
    l: &[Value],
    depth: usize,
    out: &mut Vec<Value>,
) -> Result<bool, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}: argument 1 is nested more than {MAX_DEPTH} levels deep",
            a.f
        ));
    }
    for v in l {
        match v {
            Value::Unknown => return Ok(false),
            Value::List(inner) => {
                if !flatten_into(a, inner, depth + 1, out)? {
                    return Ok(false);
                }
            }
            other => out.push(other.clone()),
        }
    }
    Ok(true)
}

pub fn keys(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::List(
        a.map(0)?.keys().cloned().map(Value::String).collect(),
    ))
}

pub fn values(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::List(a.map(0)?.values().cloned().collect()))
}

pub fn contains(a: &A<'_>) -> Result<Value, String> {
    let want = a.get(1)?;
    Ok(Value::Bool(a.list(0)?.iter().any(|v| same(v, want))))
}

/// Equality as Terraform sees it after conversion: `1` and `1.0` are the same number.
fn same(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Number(p), Value::Number(q)) => p.as_f64() == q.as_f64(),
        _ => x == y,
    }
}

/// `coalesce(values…)`: the first that is neither null nor an empty string; unknown when an
/// unknown value comes before it (it might be the one).
pub fn coalesce(a: &A<'_>) -> Result<Value, String> {
    for v in a.args {
        match v {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => return Ok(other.clone()),
        }
    }
    Err(format!("{}: no argument is non-null and non-empty", a.f))
}

/// `zipmap(keys, values)`: the keys must be known; the values may be unknown.
pub fn zipmap(a: &A<'_>) -> Result<Value, String> {
    let (ks, vs) = (a.list(0)?, a.list(1)?);
    if ks.iter().any(Value::has_unknown) {
        return Ok(Value::Unknown);
    }
    let ks = a.strings(0)?;
    if ks.len() != vs.len() {
        return Err(format!(
            "{}: argument 1 has {} keys but argument 2 has {} values",
            a.f,
            ks.len(),
            vs.len()
        ));
    }
    Ok(Value::Map(ks.into_iter().zip(vs.iter().cloned()).collect()))
}

pub fn distinct(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::List(distinct_of(a.list(0)?)))
}

/// The elements in first-seen order without repeats (compared by a canonical text, so a long
/// list costs `n log n`, not `n²`).
pub fn distinct_of(l: &[Value]) -> Vec<Value> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out: Vec<Value> = Vec::new();
    for v in l {
        if seen.insert(canonical(v)) {
            out.push(v.clone());
        }
    }
    out
}

/// A text equal for equal values (a number by its `f64`, so `1` and `1.0` are one).
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("n:{:?}", n.as_f64()),
        other => serde_json::to_string(&other.to_json()).unwrap_or_default(),
    }
}

/// `sort(list)`: strings in lexical order (numbers and bools become their text, as
/// Terraform converts the list to a list of strings).
pub fn sort(a: &A<'_>) -> Result<Value, String> {
    let l = a.list(0)?;
    let mut out = Vec::with_capacity(l.len());
    for (k, v) in l.iter().enumerate() {
        let Some(s) = text_of(v) else {
            let got = v.kind_with_article();
            return Err(format!(
                "{}: argument 1 must be a list of strings, its element [{k}] is {got}",
                a.f
            ));
        };
        out.push(s);
    }
    out.sort();
    Ok(Value::List(out.into_iter().map(Value::String).collect()))
}
