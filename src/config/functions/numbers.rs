//! Number functions: `min max abs range`. Numbers are `serde_json::Number`s, computed in
//! `f64`; whole results are integers again.
//!
//! Invariants: `range` makes at most `MAX_RANGE` elements (Terraform's limit) and refuses a
//! step of zero; no arithmetic overflows or panics.

use super::args::{number, A};
use crate::value::Value;

/// The most elements `range` makes.
pub const MAX_RANGE: usize = 1024;

/// The number among the arguments that `better` prefers to every other.
fn pick(a: &A<'_>, better: fn(f64, f64) -> bool) -> Result<Value, String> {
    let mut best = (a.num(0)?, 0);
    for i in 1..a.args.len() {
        let x = a.num(i)?;
        if better(x, best.0) {
            best = (x, i);
        }
    }
    number(a.f, best.0)
}

pub fn min(a: &A<'_>) -> Result<Value, String> {
    pick(a, |x, y| x < y)
}

pub fn max(a: &A<'_>) -> Result<Value, String> {
    pick(a, |x, y| x > y)
}

pub fn abs(a: &A<'_>) -> Result<Value, String> {
    if let Some(Value::Number(n)) = a.args.first() {
        if let Some(i) = n.as_i64() {
            if let Some(x) = i.checked_abs() {
                return Ok(Value::int(x));
            }
        }
    }
    number(a.f, a.num(0)?.abs())
}

/// `range(limit)`, `range(start, limit)`, `range(start, limit, step)`: from start up to (not
/// including) limit; the step defaults to 1, or -1 when start is above limit.
pub fn range(a: &A<'_>) -> Result<Value, String> {
    let (start, limit) = match a.args.len() {
        1 => (0.0, a.num(0)?),
        _ => (a.num(0)?, a.num(1)?),
    };
    let step = match a.args.len() {
        3 => a.num(2)?,
        _ if start > limit => -1.0,
        _ => 1.0,
    };
    if step == 0.0 {
        return Err(format!("{}: argument 3 (the step) must not be zero", a.f));
    }
    let mut out = Vec::new();
    for k in 0.. {
        let x = start + step * f64::from(k);
        let inside = if step > 0.0 { x < limit } else { x > limit };
        if !inside {
            break;
        }
        if out.len() == MAX_RANGE {
            return Err(format!("{}: more than {MAX_RANGE} elements", a.f));
        }
        out.push(number(a.f, x)?);
    }
    Ok(Value::List(out))
}
