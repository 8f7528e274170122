//! The arguments of one function call and their checked readers: each reader names the
//! function and the 1-based argument in its error and says what was expected, converting as
//! Terraform does (a number or bool where a string is wanted becomes its text, a string of
//! digits where a number is wanted becomes the number).
//!
//! Invariant: a reader never panics; an index past the arguments is an error, not a panic.

use super::FnCx;
use crate::value::{Map, Value};

/// One call's arguments (known at the top level unless the function's policy is `Own`).
pub struct A<'a> {
    /// The function's name, for errors.
    pub f: &'static str,
    pub args: &'a [Value],
    pub cx: &'a FnCx<'a>,
}

/// A scalar's text where a string is wanted (`None` for null, lists, maps and unknowns).
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number from a value where a number is wanted (`None` when it is not one).
pub fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// A number value: whole numbers as integers, others as floats; infinities and NaN refused.
pub fn number(f: &str, x: f64) -> Result<Value, String> {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        return Ok(Value::int(x as i64));
    }
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| format!("{f}: the result is not a finite number"))
}

impl A<'_> {
    /// The argument at 0-based index `i`.
    pub fn get(&self, i: usize) -> Result<&Value, String> {
        self.args
            .get(i)
            .ok_or_else(|| format!("{}: argument {} is missing", self.f, i + 1))
    }

    /// An error about argument `i` (0-based): "f: argument 2 must be WANT, got a number".
    pub fn wrong(&self, i: usize, want: &str) -> String {
        let got = self
            .args
            .get(i)
            .map(Value::kind_with_article)
            .unwrap_or("nothing");
        format!("{}: argument {} must be {want}, got {got}", self.f, i + 1)
    }

    pub fn str(&self, i: usize) -> Result<String, String> {
        text_of(self.get(i)?).ok_or_else(|| self.wrong(i, "a string"))
    }

    pub fn num(&self, i: usize) -> Result<f64, String> {
        number_of(self.get(i)?).ok_or_else(|| self.wrong(i, "a number"))
    }

    /// A whole number as an `i64`, beyond its range clamped to its ends (for offsets).
    pub fn int(&self, i: usize) -> Result<i64, String> {
        if let Value::Number(n) = self.get(i)? {
            if let Some(x) = n.as_i64() {
                return Ok(x);
            }
        }
        let x = self.num(i)?;
        if x.fract() != 0.0 {
            return Err(self.wrong(i, "a whole number"));
        }
        Ok(x as i64) // `as` saturates: 1e300 is i64::MAX
    }

    pub fn list(&self, i: usize) -> Result<&[Value], String> {
        match self.get(i)? {
            Value::List(l) => Ok(l),
            _ => Err(self.wrong(i, "a list")),
        }
    }

    pub fn map(&self, i: usize) -> Result<&Map, String> {
        match self.get(i)? {
            Value::Map(m) => Ok(m),
            _ => Err(self.wrong(i, "a map")),
        }
    }

    /// A list whose elements are strings (numbers and bools become their text).
    pub fn strings(&self, i: usize) -> Result<Vec<String>, String> {
        self.list(i)?
            .iter()
            .enumerate()
            .map(|(k, v)| {
                text_of(v).ok_or_else(|| {
                    let (f, n, got) = (self.f, i + 1, v.kind_with_article());
                    format!(
                        "{f}: argument {n} must be a list of strings, its element [{k}] is {got}"
                    )
                })
            })
            .collect()
    }
}
