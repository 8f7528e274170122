//! The operators of the expression language on known values: arithmetic, comparison and logic.
//! Invariants: operands are never `Value::Unknown` here (the evaluator decides unknown results
//! first); no operator panics or overflows silently (an integer overflow falls back to a
//! float; division by zero and non-finite results are errors); messages name the operator and
//! the kinds of the operands, never their values (they may be sensitive).

use super::expr::{BinOp, UnOp};
use crate::value::Value;

pub fn unary(op: UnOp, v: &Value) -> Result<Value, String> {
    match (op, v) {
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnOp::Neg, Value::Number(n)) => match n.as_i64().and_then(i64::checked_neg) {
            Some(i) => Ok(Value::int(i)),
            None => float(-n.as_f64().unwrap_or(f64::NAN)),
        },
        (UnOp::Not, v) => Err(format!("operator !: needs a bool, got a {}", v.kind())),
        (UnOp::Neg, v) => Err(format!("operator -: needs a number, got a {}", v.kind())),
    }
}

pub fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, String> {
    use BinOp::*;
    match op {
        Eq => Ok(Value::Bool(equal(a, b))),
        NotEq => Ok(Value::Bool(!equal(a, b))),
        And | Or => match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => {
                Ok(Value::Bool(if op == And { *x && *y } else { *x || *y }))
            }
            _ => Err(kinds(op, "bools", a, b)),
        },
        _ => {
            let (Value::Number(x), Value::Number(y)) = (a, b) else {
                return Err(kinds(op, "numbers", a, b));
            };
            arith(op, x, y)
        }
    }
}

fn kinds(op: BinOp, want: &str, a: &Value, b: &Value) -> String {
    format!(
        "operator {}: needs two {want}, got a {} and a {}",
        symbol(op),
        a.kind(),
        b.kind()
    )
}

pub fn symbol(op: BinOp) -> &'static str {
    use BinOp::*;
    match op {
        Eq => "==",
        NotEq => "!=",
        Less => "<",
        LessEq => "<=",
        Greater => ">",
        GreaterEq => ">=",
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Mod => "%",
        And => "&&",
        Or => "||",
    }
}

fn arith(op: BinOp, x: &serde_json::Number, y: &serde_json::Number) -> Result<Value, String> {
    use BinOp::*;
    let (fx, fy) = (
        x.as_f64().unwrap_or(f64::NAN),
        y.as_f64().unwrap_or(f64::NAN),
    );
    let ints = x.as_i64().zip(y.as_i64());
    let exact = |f: fn(i64, i64) -> Option<i64>| ints.and_then(|(a, b)| f(a, b));
    let zero = || Err(format!("operator {}: division by zero", symbol(op)));
    match op {
        Less => Ok(Value::Bool(fx < fy)),
        LessEq => Ok(Value::Bool(fx <= fy)),
        Greater => Ok(Value::Bool(fx > fy)),
        GreaterEq => Ok(Value::Bool(fx >= fy)),
        Add => exact(i64::checked_add).map_or_else(|| float(fx + fy), |i| Ok(Value::int(i))),
        Sub => exact(i64::checked_sub).map_or_else(|| float(fx - fy), |i| Ok(Value::int(i))),
        Mul => exact(i64::checked_mul).map_or_else(|| float(fx * fy), |i| Ok(Value::int(i))),
        Div if fy == 0.0 => zero(),
        Div => match ints {
            Some((a, b)) if a.checked_rem(b) == Some(0) => Ok(Value::int(a / b)),
            _ => float(fx / fy),
        },
        Mod if fy == 0.0 => zero(),
        Mod => exact(i64::checked_rem).map_or_else(|| float(fx % fy), |i| Ok(Value::int(i))),
        Eq | NotEq | And | Or => Err(format!("operator {}: not arithmetic", symbol(op))),
    }
}

/// A float result as a number value: whole numbers that fit exactly become integers.
fn float(f: f64) -> Result<Value, String> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        return Ok(Value::int(f as i64));
    }
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "the result is not a finite number".to_string())
}

/// Equality, comparing numbers by value (`1 == 1.0`).
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && equal(va, vb))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: i64) -> Value {
        Value::int(i)
    }

    #[test]
    fn arithmetic_keeps_integers_and_never_overflows() {
        assert_eq!(binary(BinOp::Add, &n(2), &n(3)).unwrap(), n(5));
        assert_eq!(binary(BinOp::Div, &n(6), &n(3)).unwrap(), n(2));
        assert_eq!(
            binary(BinOp::Div, &n(7), &n(2)).unwrap().to_json(),
            serde_json::json!(3.5)
        );
        assert_eq!(binary(BinOp::Mod, &n(7), &n(3)).unwrap(), n(1));
        assert!(binary(BinOp::Div, &n(1), &n(0))
            .unwrap_err()
            .contains("zero"));
        assert!(binary(BinOp::Mod, &n(1), &n(0)).is_err());
        assert!(binary(BinOp::Add, &n(i64::MAX), &n(1)).is_ok());
        assert!(binary(BinOp::Mul, &n(i64::MAX), &n(i64::MAX)).is_ok());
        assert!(binary(BinOp::Div, &n(i64::MIN), &n(-1)).is_ok());
        assert!(binary(BinOp::Mod, &n(i64::MIN), &n(-1)).is_ok());
        assert!(unary(UnOp::Neg, &n(i64::MIN)).is_ok());
        assert_eq!(unary(UnOp::Neg, &n(4)).unwrap(), n(-4));
    }

    #[test]
    fn comparison_logic_and_kinds() {
        assert_eq!(
            binary(BinOp::Less, &n(1), &n(2)).unwrap(),
            Value::Bool(true)
        );
        assert!(equal(&n(1), &Value::from_json(&serde_json::json!(1.0))));
        assert_eq!(
            binary(BinOp::Eq, &Value::str("a"), &n(1)).unwrap(),
            Value::Bool(false)
        );
        let t = Value::Bool(true);
        let f = Value::Bool(false);
        assert_eq!(binary(BinOp::And, &t, &f).unwrap(), f);
        assert_eq!(binary(BinOp::Or, &t, &f).unwrap(), t);
        assert_eq!(unary(UnOp::Not, &t).unwrap(), f);
        let e = binary(BinOp::Add, &Value::str("secret"), &n(1)).unwrap_err();
        assert!(
            e.contains("a string and a number") && !e.contains("secret"),
            "{e}"
        );
        assert!(binary(BinOp::And, &t, &n(1)).is_err());
        assert!(unary(UnOp::Not, &n(1)).is_err());
    }
}
