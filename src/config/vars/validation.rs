//! A variable's `validation:` rules: `{ condition: "${…}", error_message: "…" }`. The
//! condition is an expression (`config::parse`) that may refer only to the variable itself
//! (`${var.NAME}`) and to functions; it is checked when the config is loaded
//! ([`check_condition`]) and evaluated (`config::eval`) once the variable's value is known
//! ([`run`]), before anything is planned.
//!
//! Invariants: a rule is evaluated against a scope holding that one variable and nothing
//! else; an unknown value (validate without a value) skips the rule; a sensitive variable's
//! value never appears in what a rule reports (only its own error_message, written in the
//! config).

use super::VarValue;
use crate::address::Address;
use crate::config::eval::{self, ObjectView, Scope};
use crate::config::expr::{Expr, Target};
use crate::value::Value;
use std::path::Path;

/// One validation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub condition: Expr,
    pub error_message: String,
}

/// What a rule says of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The condition holds, or the value is not known yet.
    Pass,
    /// The condition is false: the rule's error_message.
    Fail(String),
    /// The condition is not true or false, or failed to evaluate: why.
    Broken(String),
}

/// Check a condition when the config is loaded: it refers to `var.NAME` (of the variable
/// `name`) and functions only, and is not a literal other than true or false.
pub fn check_condition(name: &str, e: &Expr) -> Result<(), String> {
    for r in e.refs() {
        match &r.target {
            Target::Var(v) if v == name => {}
            _ => {
                return Err(format!(
                    "the condition may refer only to var.{name} (and call functions), not to {}",
                    r.text
                ))
            }
        }
    }
    match e.literal() {
        Some(Value::Bool(_)) | None => Ok(()),
        Some(v) => Err(format!(
            "the condition must be true or false, not a {} (write an expression, e.g. \"${{length(var.{name}) > 0}}\")",
            v.kind()
        )),
    }
}

/// The scope of a condition: the one variable it checks.
struct One<'a> {
    name: &'a str,
    value: &'a VarValue,
    dir: &'a Path,
}

impl Scope for One<'_> {
    fn var(&self, name: &str) -> Option<&VarValue> {
        (name == self.name).then_some(self.value)
    }

    fn object(&self, _: &Address) -> Option<ObjectView<'_>> {
        None
    }

    fn dir(&self) -> &Path {
        self.dir
    }
}

/// Evaluate a rule for the variable `name` of value `value` (`dir`: the stack directory,
/// for functions that read files).
pub fn run(rule: &Rule, name: &str, value: &VarValue, dir: &Path) -> Outcome {
    if value.value.has_unknown() {
        return Outcome::Pass;
    }
    let scope = One { name, value, dir };
    match eval::eval(&rule.condition, &scope) {
        Ok(ev) => match ev.value {
            Value::Bool(true) | Value::Unknown => Outcome::Pass,
            Value::Bool(false) => Outcome::Fail(rule.error_message.clone()),
            other => Outcome::Broken(format!(
                "the condition must be true or false, but it is a {}",
                other.kind()
            )),
        },
        Err(_) if value.sensitive => Outcome::Broken(
            "the condition cannot be evaluated (the value is sensitive: details withheld)".into(),
        ),
        Err(e) => Outcome::Broken(format!("the condition cannot be evaluated: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(cond: &str) -> Rule {
        Rule {
            condition: Expr::from_value(Value::str(cond)).unwrap(),
            error_message: "bad".into(),
        }
    }

    fn var(v: Value, sensitive: bool) -> VarValue {
        VarValue {
            value: v,
            sensitive,
        }
    }

    #[test]
    fn conditions_refer_to_their_variable_only() {
        let e = |s: &str| Expr::from_value(Value::str(s)).unwrap();
        assert!(check_condition("env", &e("${contains([\"a\", \"b\"], var.env)}")).is_ok());
        assert!(check_condition("env", &e("${true}")).is_ok());
        let err = check_condition("env", &e("${var.other == \"x\"}")).unwrap_err();
        assert!(err.contains("only to var.env"), "{err}");
        assert!(err.contains("not to ${var.other}"), "{err}");
        let err = check_condition(
            "env",
            &e("${huaweicloud_rds_parameter_template.a.id != \"\"}"),
        )
        .unwrap_err();
        assert!(
            err.contains("not to ${huaweicloud_rds_parameter_template.a.id}"),
            "{err}"
        );
        let err = check_condition("env", &e("var.env is set")).unwrap_err();
        assert!(err.contains("true or false, not a string"), "{err}");
    }

    #[test]
    fn rules_pass_fail_or_break() {
        let dir = Path::new(".");
        let r = rule("${length(var.n) > 2}");
        assert_eq!(
            run(&r, "n", &var(Value::str("abc"), false), dir),
            Outcome::Pass
        );
        assert_eq!(
            run(&r, "n", &var(Value::str("ab"), false), dir),
            Outcome::Fail("bad".into())
        );
        assert_eq!(
            run(&r, "n", &var(Value::Unknown, false), dir),
            Outcome::Pass
        );
        let sensitive = run(&r, "n", &var(Value::str("ab"), true), dir);
        assert_eq!(sensitive, Outcome::Fail("bad".into()));
        let Outcome::Broken(why) = run(&rule("${var.n}"), "n", &var(Value::int(1), false), dir)
        else {
            panic!("a number is not a condition")
        };
        assert!(why.contains("true or false, but it is a number"), "{why}");
        let broken = rule("${tonumber(var.n) > 1}");
        let Outcome::Broken(why) = run(&broken, "n", &var(Value::str("s3cr3t"), true), dir) else {
            panic!("tonumber fails")
        };
        assert!(!why.contains("s3cr3t"), "{why}");
    }
}
