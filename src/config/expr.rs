//! Expressions in config values: literals, whole-string references (which keep the referenced
//! value's type), interpolated templates, and nested lists and maps of those.
//! Reference syntax: `${var.NAME}`, `${TYPE.NAME.ATTR…}`, `${data.TYPE.NAME.ATTR…}`, where the
//! attribute path may index lists (`[1]`) and maps (`["key"]`). `$${` writes a literal `${`.

use crate::address::Address;
use crate::value::{Path, PathSeg, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// A string that is exactly one reference: evaluates to the referenced value, any type.
    /// (Boxed: it is much larger than the other variants, and configs hold many of them.)
    Ref(Box<Ref>),
    /// A string mixing text and references: evaluates to a string.
    Template(Vec<Part>),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(String),
    Ref(Ref),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ref {
    pub target: Target,
    /// The attribute path below the target (for a variable: indexing into its value).
    pub path: Path,
    /// The reference as written, for messages.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Var(String),
    Object(Address),
}

impl Expr {
    /// Build an expression tree from a config value, parsing every string.
    pub fn from_value(v: Value) -> Result<Expr, String> {
        Ok(match v {
            Value::String(s) if s.contains("${") => parse_template(&s)?,
            Value::List(items) => Expr::List(
                items
                    .into_iter()
                    .map(Expr::from_value)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => Expr::Map(
                m.into_iter()
                    .map(|(k, v)| Ok((k, Expr::from_value(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => Expr::Literal(other),
        })
    }

    /// Every reference in the expression.
    pub fn refs(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Ref>) {
        match self {
            Expr::Literal(_) => {}
            Expr::Ref(r) => out.push(r),
            Expr::Template(parts) => out.extend(parts.iter().filter_map(|p| match p {
                Part::Ref(r) => Some(r),
                Part::Lit(_) => None,
            })),
            Expr::List(items) => items.iter().for_each(|e| e.collect_refs(out)),
            Expr::Map(m) => m.values().for_each(|e| e.collect_refs(out)),
        }
    }

    /// The literal value, when the expression has no references.
    pub fn literal(&self) -> Option<Value> {
        match self {
            Expr::Literal(v) => Some(v.clone()),
            Expr::List(items) => items
                .iter()
                .map(Expr::literal)
                .collect::<Option<Vec<_>>>()
                .map(Value::List),
            Expr::Map(m) => m
                .iter()
                .map(|(k, e)| Some((k.clone(), e.literal()?)))
                .collect::<Option<BTreeMap<_, _>>>()
                .map(Value::Map),
            _ => None,
        }
    }
}

/// Parse a string into a literal, a single reference, or a template.
pub fn parse_template(s: &str) -> Result<Expr, String> {
    if !s.contains("${") {
        return Ok(Expr::Literal(Value::str(s)));
    }
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find("${") {
        if pos > 0 && rest[..pos].ends_with('$') {
            // `$${` is an escaped literal `${`
            lit.push_str(&rest[..pos - 1]);
            lit.push_str("${");
            rest = &rest[pos + 2..];
            continue;
        }
        lit.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let end = find_close(after).ok_or_else(|| {
            format!("unterminated reference in \"{s}\": a \"${{\" has no closing \"}}\"")
        })?;
        let inner = after[..end].trim();
        let r = parse_ref(inner)?;
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(&mut lit)));
        }
        parts.push(Part::Ref(r));
        rest = &after[end + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(match parts.as_slice() {
        [Part::Ref(r)] => Expr::Ref(Box::new(r.clone())),
        [Part::Lit(l)] => Expr::Literal(Value::str(l.clone())),
        _ => Expr::Template(parts),
    })
}

/// The index of the `}` closing a reference, skipping braces inside quoted map keys.
fn find_close(s: &str) -> Option<usize> {
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if in_quote && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_quote = !in_quote,
            '}' if !in_quote => return Some(i),
            _ => {}
        }
        escaped = false;
    }
    None
}

/// Parse the inside of `${ … }`.
pub fn parse_ref(inner: &str) -> Result<Ref, String> {
    let segs = crate::value::parse_path_segments(inner)
        .map_err(|e| format!("invalid reference \"${{{inner}}}\": {e}"))?;
    let names: Vec<&str> = segs
        .iter()
        .map_while(|s| match s {
            PathSeg::Key(k) => Some(k.as_str()),
            PathSeg::Index(_) => None,
        })
        .collect();
    let bad = |why: &str| Err(format!("invalid reference \"${{{inner}}}\": {why}"));
    let (target, consumed) = match names.as_slice() {
        ["var", name, ..] => (Target::Var(name.to_string()), 2),
        ["var"] => return bad("write ${var.NAME}"),
        ["data", ty, name, ..] => (Target::Object(Address::data(ty, name)), 3),
        ["data", ..] => return bad("write ${data.TYPE.NAME.ATTRIBUTE}"),
        [ty, name, ..] => (Target::Object(Address::managed(ty, name)), 2),
        _ => {
            return bad("write ${var.NAME}, ${TYPE.NAME.ATTRIBUTE} or ${data.TYPE.NAME.ATTRIBUTE}")
        }
    };
    Ok(Ref {
        target,
        path: segs[consumed..].to_vec(),
        text: format!("${{{inner}}}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::key;

    #[test]
    fn literal_without_references() {
        assert_eq!(
            parse_template("plain").unwrap(),
            Expr::Literal(Value::str("plain"))
        );
    }

    #[test]
    fn whole_reference_keeps_type() {
        let e = parse_template("${data.alicloud_selectdb_instance.main.clusters[1].id}").unwrap();
        let Expr::Ref(r) = e else { panic!() };
        assert_eq!(
            r.target,
            Target::Object(Address::data("alicloud_selectdb_instance", "main"))
        );
        assert_eq!(r.path, vec![key("clusters"), PathSeg::Index(1), key("id")]);
    }

    #[test]
    fn template_with_text_and_map_key() {
        let e = parse_template(
            "v-${huaweicloud_rds_parameter_template.base.values[\"max_connections\"]}-x",
        )
        .unwrap();
        let Expr::Template(parts) = e else { panic!() };
        assert_eq!(parts.len(), 3);
        let Part::Ref(r) = &parts[1] else { panic!() };
        assert_eq!(r.path, vec![key("values"), key("max_connections")]);
    }

    #[test]
    fn variables_and_escapes() {
        let e = parse_template("${var.env}").unwrap();
        assert!(matches!(e, Expr::Ref(ref r) if r.target == Target::Var("env".into())));
        assert_eq!(
            parse_template("cost $${not.a.ref}").unwrap(),
            Expr::Literal(Value::str("cost ${not.a.ref}"))
        );
    }

    #[test]
    fn errors_are_clear() {
        assert!(parse_template("${var.x")
            .unwrap_err()
            .contains("unterminated"));
        assert!(parse_template("${}").is_err());
        assert!(parse_template("${var}").unwrap_err().contains("var.NAME"));
        assert!(parse_template("${onlyone}").is_err());
        assert!(parse_template("${a.b[x]}").is_err());
        assert!(parse_template("${a.b[\"x}").is_err());
    }
}
