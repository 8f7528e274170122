//! Expressions in config values: literals, references, templates, nested lists and maps, and
//! the expression language inside `${ … }` (operators, conditionals, function calls, indexing,
//! attribute access, splats, `for` expressions), parsed by `config::parse` with hcl-rs.
//! A string that is exactly one `${…}` keeps the result's type; text around one makes a string.
//! Reference syntax: `${var.NAME}`, `${local.NAME}`, `${TYPE.NAME.ATTR…}`,
//! `${data.TYPE.NAME.ATTR…}`, where the attribute path may index lists (`[1]`) and maps
//! (`["key"]`). `$${` writes a literal `${`.
//! Invariant: `Expr::refs` finds every reference in every sub-expression (the dependency graph
//! is built from it).

use crate::address::Address;
use crate::value::{Path, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// A reference with its static attribute path: evaluates to the referenced value, any type.
    /// (Boxed: it is much larger than the other variants, and configs hold many of them.)
    Ref(Box<Ref>),
    /// A string mixing text and interpolations: evaluates to a string.
    Template(Vec<Part>),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
    /// An object constructor written inside `${…}`: `{ a = 1, (k) = v }`.
    Object(Vec<(Expr, Expr)>),
    /// A name bound by an enclosing `for` expression (or `*`, the element of a splat).
    Local(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<(Expr, Expr)>),
    /// `cond ? a : b`
    Cond(Box<(Expr, Expr, Expr)>),
    Call(Box<Call>),
    /// `e.name` on a computed value.
    Attr(Box<Expr>, String),
    /// `e[i]` on a computed value or with a computed index.
    Index(Box<(Expr, Expr)>),
    For(Box<For>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Expr>,
    /// `f(xs...)`: the last argument is a list spread into arguments.
    pub expand: bool,
}

/// `[for k, v in coll : value if cond]`, `{for k, v in coll : key => value...}`; a splat
/// `xs[*].a` is one too, with `splat` set (null is an empty list, a non-list a list of one).
#[derive(Clone, Debug, PartialEq)]
pub struct For {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// `Some` for the object form.
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    /// `...`: values of equal keys are grouped into lists.
    pub grouping: bool,
    pub splat: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(String),
    Expr(Expr),
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
    /// `local.NAME`: a named value of the `locals:` section (`config::locals`).
    Local(String),
    Object(Address),
    /// `each.key`, `each.value` or `count.index`: the instance of a repeated block.
    Instance(InstanceRef),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceRef {
    EachKey,
    EachValue,
    CountIndex,
}

impl InstanceRef {
    pub fn text(self) -> &'static str {
        match self {
            InstanceRef::EachKey => "each.key",
            InstanceRef::EachValue => "each.value",
            InstanceRef::CountIndex => "count.index",
        }
    }
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

    /// Every reference in the expression, in every sub-expression.
    pub fn refs(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Ref>) {
        match self {
            Expr::Literal(_) | Expr::Local(_) => {}
            Expr::Ref(r) => out.push(r),
            Expr::Template(parts) => parts.iter().for_each(|p| {
                if let Part::Expr(e) = p {
                    e.collect_refs(out)
                }
            }),
            Expr::List(items) => items.iter().for_each(|e| e.collect_refs(out)),
            Expr::Map(m) => m.values().for_each(|e| e.collect_refs(out)),
            Expr::Object(kvs) => kvs.iter().for_each(|(k, v)| {
                k.collect_refs(out);
                v.collect_refs(out);
            }),
            Expr::Unary(_, e) | Expr::Attr(e, _) => e.collect_refs(out),
            Expr::Binary(_, b) | Expr::Index(b) => {
                b.0.collect_refs(out);
                b.1.collect_refs(out);
            }
            Expr::Cond(c) => {
                c.0.collect_refs(out);
                c.1.collect_refs(out);
                c.2.collect_refs(out);
            }
            Expr::Call(c) => c.args.iter().for_each(|e| e.collect_refs(out)),
            Expr::For(f) => {
                f.collection.collect_refs(out);
                for e in [&f.key, &f.cond].into_iter().flatten() {
                    e.collect_refs(out);
                }
                f.value.collect_refs(out);
            }
        }
    }

    /// Call `f` on every reference (`Expr::Ref`) in every sub-expression; `f` may replace
    /// the reference with any expression.
    pub fn visit_refs_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        if matches!(self, Expr::Ref(_)) {
            return f(self);
        }
        for child in self.children_mut() {
            child.visit_refs_mut(f);
        }
    }

    fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Literal(_) | Expr::Local(_) | Expr::Ref(_) => Vec::new(),
            Expr::Template(parts) => parts
                .iter_mut()
                .filter_map(|p| match p {
                    Part::Expr(e) => Some(e),
                    Part::Lit(_) => None,
                })
                .collect(),
            Expr::List(items) => items.iter_mut().collect(),
            Expr::Map(m) => m.values_mut().collect(),
            Expr::Object(kvs) => kvs.iter_mut().flat_map(|(k, v)| [k, v]).collect(),
            Expr::Unary(_, e) | Expr::Attr(e, _) => vec![e.as_mut()],
            Expr::Binary(_, b) | Expr::Index(b) => vec![&mut b.0, &mut b.1],
            Expr::Cond(c) => vec![&mut c.0, &mut c.1, &mut c.2],
            Expr::Call(c) => c.args.iter_mut().collect(),
            Expr::For(f) => {
                let mut out = vec![&mut f.collection, &mut f.value];
                out.extend([&mut f.key, &mut f.cond].into_iter().flatten());
                out
            }
        }
    }

    /// The names of the locals the expression refers to, in every sub-expression.
    pub fn local_refs(&self) -> impl Iterator<Item = &str> {
        self.refs().into_iter().filter_map(|r| match &r.target {
            Target::Local(name) => Some(name.as_str()),
            _ => None,
        })
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

/// Parse a string into a literal, a single expression (keeping its type), or a template.
pub fn parse_template(s: &str) -> Result<Expr, String> {
    super::parse::template(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{key, PathSeg};

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
        let Part::Expr(Expr::Ref(r)) = &parts[1] else {
            panic!()
        };
        assert_eq!(r.path, vec![key("values"), key("max_connections")]);
    }

    #[test]
    fn variables_and_escapes() {
        let e = parse_template("${var.env}").unwrap();
        assert!(matches!(e, Expr::Ref(ref r) if r.target == Target::Var("env".into())));
        let e = parse_template("${local.teams[\"a\"].size}").unwrap();
        let Expr::Ref(r) = &e else { panic!() };
        assert_eq!(r.target, Target::Local("teams".into()));
        assert_eq!(r.path, vec![key("a"), key("size")]);
        assert_eq!(r.text, "${local.teams.a.size}");
        assert_eq!(e.local_refs().collect::<Vec<_>>(), ["teams"]);
        assert_eq!(
            parse_template("cost $${not.a.ref}").unwrap(),
            Expr::Literal(Value::str("cost ${not.a.ref}"))
        );
    }

    #[test]
    fn errors_are_clear() {
        let e = parse_template("${var.x").unwrap_err();
        assert!(e.contains("column 8") && e.contains("expected `}`"), "{e}");
        assert!(parse_template("${}").is_err());
        assert!(parse_template("${var}").unwrap_err().contains("var.NAME"));
        assert!(parse_template("${local}")
            .unwrap_err()
            .contains("local.NAME"));
        assert!(parse_template("${local[0]}")
            .unwrap_err()
            .contains("local.NAME"));
        assert!(parse_template("${onlyone}").is_err());
        assert!(parse_template("${a.b[x]}").is_err());
        assert!(parse_template("${a.b[\"x}").is_err());
        let e = parse_template("${var.x +}").unwrap_err();
        assert!(e.contains("syntax error") && e.contains("column"), "{e}");
        let e = parse_template("${lenght(var.x)}").unwrap_err();
        assert!(
            e.contains("unknown function") && e.contains("length"),
            "{e}"
        );
    }

    #[test]
    fn a_function_named_without_a_call_says_so() {
        let e = parse_template("${upper}").unwrap_err();
        assert!(e.contains("upper is a function: call it, upper(…)"), "{e}");
        let e = parse_template("${try}").unwrap_err();
        assert!(e.contains("try is a function"), "{e}");
    }

    #[test]
    fn reference_text_is_as_written() {
        let Expr::Ref(r) = parse_template("${ var.nope }").unwrap() else {
            panic!()
        };
        assert_eq!(r.text, "${var.nope}");
        let Expr::Ref(r) = parse_template("${t.a.clusters[5].id}").unwrap() else {
            panic!()
        };
        assert_eq!(r.text, "${t.a.clusters[5].id}");
    }

    #[test]
    fn refs_are_found_in_every_sub_expression() {
        let e = parse_template(
            "${var.a ? upper(t.b.x) : [for k, v in data.d.e.m : \"${k}${t.c.y}\" if v != var.f][0]}-${t.g.h[*].id}",
        )
        .unwrap();
        let mut texts: Vec<&str> = e.refs().iter().map(|r| r.text.as_str()).collect();
        texts.sort();
        assert_eq!(
            texts,
            vec![
                "${data.d.e.m}",
                "${t.b.x}",
                "${t.c.y}",
                "${t.g.h}",
                "${var.a}",
                "${var.f}"
            ]
        );
        // names bound by `for` are not references
        assert!(e.to_owned().refs().iter().all(|r| !r.text.contains("${k")));
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples = [
            "${",
            "${}",
            "${${}}",
            "$${",
            "${\"",
            "${[}",
            "${{}",
            "${(((((}",
            "${a[",
            "${a.*}",
            "${1e999999}",
            "${-9223372036854775808}",
            "${\"\\u{zz}\"}",
            "${for}",
            "${[for x in : x]}",
            "${a ? : b}",
            "${f(...)}",
            "%{ if true }x%{ endif }${1}",
            "${x}%{",
            "${\u{0}}",
            "${é.ü}",
            "${99999999999999999999999}",
            "${a[99999999999999999999999]}",
            "${heredoc <<EOT\nx\nEOT\n}",
        ];
        for s in samples {
            let _ = parse_template(s);
        }
        let deep = format!("${{{}1{}}}", "(".repeat(200), ")".repeat(200));
        let _ = parse_template(&deep);
    }
}
