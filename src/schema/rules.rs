//! The documented value rules of the APIs (name patterns, lengths, forbidden characters,
//! enumerations, ranges), checked at validate time before any call is made.
//! Invariant: a message about a masked (sensitive) value shows nothing of it — not the value,
//! its offending characters, nor its length.

use crate::value::{Map, Value};
use regex::Regex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// The whole string must match `regex`; `what` says the rule in words.
    Pattern {
        regex: &'static str,
        what: &'static str,
    },
    /// Length in characters.
    Length {
        min: usize,
        max: usize,
    },
    /// None of these characters may appear.
    NoChars(&'static str),
    OneOf(&'static [&'static str]),
    OneOfIgnoreCase(&'static [&'static str]),
    Range {
        min: i64,
        max: i64,
        step: i64,
    },
    /// A map (or JSON object text) that must hold this key.
    HasKey(&'static str),
    /// A rule that applies only when the object is made by `clone:`.
    OnClone(&'static Rule),
    /// A rule that applies only when the object is created from scratch.
    OnCreate(&'static Rule),
    /// The value must differ from the argument `other` beside it, when both are known; `what`
    /// says why. A rule between two arguments: [`Rule::check_beside`] checks it, never
    /// [`Rule::check`], which sees one value only.
    DiffersFrom {
        other: &'static str,
        what: &'static str,
    },
}

/// The compiled regex of a schema pattern. Compiled once per pattern and kept for the life
/// of the process (patterns are static and few), so its match cache is shared too.
fn regex(pattern: &'static str) -> &'static Regex {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(pattern).or_insert_with(|| {
        Box::leak(Box::new(
            Regex::new(pattern).expect("schema patterns are valid"),
        ))
    })
}

/// A whole number from 1 up: an id.
pub const POSITIVE: Rule = Rule::Range {
    min: 1,
    max: i64::MAX,
    step: 1,
};

/// The message when the number `v` is outside `min..=max` or off the `step`s from `min`.
/// A number too large for an `i64` (or not whole) is out of range, never skipped.
fn out_of_range(v: &Value, (min, max, step): (i64, i64, i64), masked: bool) -> Option<String> {
    let Value::Number(num) = v else {
        return None; // not a number: the type check reports it
    };
    if let Some(n) = num.as_i64() {
        if n >= min && n <= max && (n - min) % step == 0 {
            return None;
        }
    }
    let steps = if step > 1 {
        format!(" in steps of {step}")
    } else {
        String::new()
    };
    let what = if masked {
        "the sensitive value".to_string()
    } else {
        num.to_string()
    };
    let bounds = if max == i64::MAX {
        format!("at least {min}")
    } else {
        format!("{min}–{max}")
    };
    Some(format!("{what} is out of range: must be {bounds}{steps}"))
}

/// How a value is named in a rule's message: quoted, or — when it is sensitive — not at all.
fn subject(s: &str, masked: bool) -> String {
    if masked {
        "the sensitive value".to_string()
    } else {
        format!("\"{s}\"")
    }
}

impl Rule {
    /// `Some(message)` when `v` breaks the rule. `masked`: the value is sensitive, and the
    /// message must not show it, nor any part or measure of it.
    pub fn check(&self, v: &Value, cloning: bool, masked: bool) -> Option<String> {
        match self {
            Rule::OnClone(r) => {
                return if cloning {
                    r.check(v, cloning, masked)
                } else {
                    None
                }
            }
            Rule::OnCreate(r) => {
                return if cloning {
                    None
                } else {
                    r.check(v, cloning, masked)
                }
            }
            Rule::HasKey(k) => {
                let has = match v {
                    Value::Map(m) => m.contains_key(*k),
                    Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
                        .ok()
                        .and_then(|j| j.get(*k).cloned())
                        .is_some(),
                    _ => true,
                };
                return (!has).then(|| format!("must contain the key \"{k}\""));
            }
            _ => {}
        }
        if let Rule::Range { min, max, step } = self {
            return out_of_range(v, (*min, *max, *step), masked);
        }
        self.check_text(v.as_str()?, masked)
    }

    /// A rule between two arguments: `Some(message)` when `v` breaks it, `args` being the
    /// arguments beside it. An unknown value on either side passes (it is checked again once
    /// known). `masked`: either value is sensitive, and the message must not show it.
    pub fn check_beside(&self, v: &Value, args: &Map, masked: bool) -> Option<String> {
        let Rule::DiffersFrom { other, what } = self else {
            return None;
        };
        let o = args.get(*other)?;
        if v.is_null() || v.has_unknown() || o.has_unknown() || v != o {
            return None;
        }
        let both = match v.scalar_text() {
            Some(s) if !masked => format!(" (both are {})", subject(&s, false)),
            _ => String::new(),
        };
        Some(format!("must differ from {other}{both}: {what}"))
    }

    /// The rules on text: `Some(message)` when `s` breaks this one.
    fn check_text(&self, s: &str, masked: bool) -> Option<String> {
        match self {
            Rule::Pattern { regex: r, what } => (!regex(r).is_match(s))
                .then(|| format!("{} is not valid: {what}", subject(s, masked))),
            Rule::Length { min, max } => {
                let n = s.chars().count();
                let bounds = format!("must be {min}–{max} characters");
                (n < *min || n > *max).then(|| match (masked, n < *min) {
                    (false, _) => format!("is {n} characters long: {bounds}"),
                    (true, true) => format!("the sensitive value is too short: {bounds}"),
                    (true, false) => format!("the sensitive value is too long: {bounds}"),
                })
            }
            Rule::NoChars(chars) => {
                let bad: Vec<char> = s.chars().filter(|c| chars.contains(*c)).collect();
                (!bad.is_empty()).then(|| {
                    let list: Vec<String> = chars.chars().map(|c| c.to_string()).collect();
                    let list = list.join(" ");
                    if masked {
                        return format!(
                            "the sensitive value contains characters that are not allowed: {list}"
                        );
                    }
                    format!(
                        "contains {}: these characters are not allowed: {list}",
                        bad.iter()
                            .map(|c| format!("'{c}'"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                })
            }
            Rule::OneOf(options) => (!options.contains(&s)).then(|| {
                format!(
                    "{} is not one of: {}",
                    subject(s, masked),
                    options.join(", ")
                )
            }),
            Rule::OneOfIgnoreCase(options) => (!options.iter().any(|o| o.eq_ignore_ascii_case(s)))
                .then(|| {
                    format!(
                        "{} is not one of: {}",
                        subject(s, masked),
                        options.join(", ")
                    )
                }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_messages_show_nothing_of_the_value() {
        let secret = "Zq7-Distinct_Pw-2931<";
        let rules = [
            Rule::Pattern {
                regex: "^[a-z]+$",
                what: "lower-case letters",
            },
            Rule::Length { min: 1, max: 4 },
            Rule::Length { min: 40, max: 64 },
            Rule::NoChars("<>"),
            Rule::OneOf(&["a", "b"]),
            Rule::OneOfIgnoreCase(&["a", "b"]),
            Rule::OnCreate(&Rule::OneOf(&["a"])),
        ];
        for r in &rules {
            let plain = r.check(&Value::str(secret), false, false).expect("broken");
            let masked = r.check(&Value::str(secret), false, true).expect("broken");
            assert!(masked.starts_with("the sensitive value "), "{masked}");
            assert!(
                !masked.contains("Zq7") && !masked.contains("21"),
                "{masked}"
            );
            assert!(!masked.contains("'<'"), "{masked}");
            assert_ne!(plain, masked);
        }
        let range = Rule::Range {
            min: 1,
            max: 10,
            step: 1,
        };
        let m = range.check(&Value::int(2931), false, true).unwrap();
        assert_eq!(m, "the sensitive value is out of range: must be 1–10");
    }

    #[test]
    fn rules_say_what_is_wrong() {
        let r = Rule::NoChars("!<>=&\"'");
        assert!(r.check(&Value::str("fine"), false, false).is_none());
        let m = r.check(&Value::str("a<b=c"), false, false).unwrap();
        assert!(m.contains("'<', '='"), "{m}");
        let len = Rule::Length { min: 1, max: 3 };
        assert!(len.check(&Value::str("abcd"), false, false).is_some());
        let range = Rule::Range {
            min: 4,
            max: 512,
            step: 4,
        };
        assert!(range.check(&Value::int(6), false, false).is_some());
        assert!(range.check(&Value::int(8), false, false).is_none());
        let onclone = Rule::OnClone(&Rule::Length { min: 1, max: 2 });
        assert!(onclone.check(&Value::str("abc"), false, false).is_none());
        assert!(onclone.check(&Value::str("abc"), true, false).is_some());
        let has = Rule::HasKey("envType");
        assert!(has
            .check(&Value::str("{\"envType\":\"Dev\"}"), false, false)
            .is_none());
        assert!(has.check(&Value::str("{}"), false, false).is_some());
    }

    #[test]
    fn differs_from_compares_known_values_beside_it() {
        let r = Rule::DiffersFrom {
            other: "a",
            what: "two are needed",
        };
        let args = |a: Value| Map::from([("a".to_string(), a)]);
        let m = r.check_beside(&Value::str("x"), &args(Value::str("x")), false);
        assert_eq!(
            m.as_deref(),
            Some("must differ from a (both are \"x\"): two are needed")
        );
        let m = r.check_beside(&Value::str("x"), &args(Value::str("x")), true);
        assert_eq!(m.as_deref(), Some("must differ from a: two are needed"));
        for (v, a) in [
            (Value::str("x"), Value::str("y")),
            (Value::str("x"), Value::Unknown),
            (Value::Unknown, Value::Unknown),
        ] {
            assert_eq!(r.check_beside(&v, &args(a), false), None);
        }
        assert_eq!(r.check_beside(&Value::str("x"), &Map::new(), false), None);
        // one value alone never breaks it
        assert_eq!(r.check(&Value::str("x"), false, false), None);
    }
}
