//! Type conversions: `tostring tonumber tobool tolist toset tomap`, and the identity behind
//! `sensitive` / `nonsensitive` (whose marking is the dispatch table's).
//!
//! Invariants: a conversion Terraform refuses is an error naming what was given; `null`
//! converts to `null`; a set is a list without duplicates, strings in lexical order.

use super::args::{number, number_of, text_of, A};
use super::collections::distinct_of;
use crate::value::Value;

pub fn tostring(a: &A<'_>) -> Result<Value, String> {
    match a.get(0)? {
        Value::Null => Ok(Value::Null),
        v => text_of(v)
            .map(Value::String)
            .ok_or_else(|| a.wrong(0, "a string, a number or a bool")),
    }
}

pub fn tonumber(a: &A<'_>) -> Result<Value, String> {
    match a.get(0)? {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(n.clone())),
        v @ Value::String(_) => match number_of(v) {
            Some(x) => number(a.f, x),
            None => Err(a.wrong(0, "a number or a string of a number")),
        },
        _ => Err(a.wrong(0, "a number or a string of a number")),
    }
}

pub fn tobool(a: &A<'_>) -> Result<Value, String> {
    match a.get(0)? {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" => Ok(Value::Bool(false)),
        _ => Err(a.wrong(0, "a bool or the string \"true\" or \"false\"")),
    }
}

pub fn tolist(a: &A<'_>) -> Result<Value, String> {
    match a.get(0)? {
        Value::Null => Ok(Value::Null),
        Value::List(l) => Ok(Value::List(l.clone())),
        _ => Err(a.wrong(0, "a list or a set")),
    }
}

pub fn toset(a: &A<'_>) -> Result<Value, String> {
    match a.get(0)? {
        Value::Null => Ok(Value::Null),
        Value::List(l) => {
            let mut out = distinct_of(l);
            if out.iter().all(|v| matches!(v, Value::String(_))) {
                out.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
            }
            Ok(Value::List(out))
        }
        _ => Err(a.wrong(0, "a list or a set")),
    }
}

pub fn tomap(a: &A<'_>) -> Result<Value, String> {
    match a.get(0)? {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => Ok(Value::Map(m.clone())),
        _ => Err(a.wrong(0, "a map or an object")),
    }
}

/// The argument unchanged (`sensitive`, `nonsensitive`: only the mark changes).
pub fn identity(a: &A<'_>) -> Result<Value, String> {
    Ok(a.get(0)?.clone())
}
