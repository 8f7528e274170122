//! Parsing strings with `${ … }` into `config::expr::Expr` trees: hcl-rs parses the string as
//! an HCL template (so `$${` is a literal `${`, and the expression syntax is Terraform's); this
//! module converts hcl-rs's tree into strata's own.
//! Invariants: a string that is exactly one `${…}` becomes that expression (keeping its type);
//! a reference keeps its static attribute path in `Ref::path` and its text as written in
//! `Ref::text`; names bound by `for` are `Expr::Local`, never references; template directives
//! (`%{…}`) are not part of strata's language, so `%{` is literal text; an unknown function is
//! an error at parse time with a "did you mean"; nothing here panics on any input.

use super::expr::{BinOp, Call, Expr, For, InstanceRef, Part, Ref, Target, UnOp};
use super::functions;
use crate::address::Address;
use crate::value::{PathSeg, Value};
use hcl::expr::{
    BinaryOperator, Expression, ObjectKey, TemplateExpr, TraversalOperator, UnaryOperator,
};
use hcl::template::{Element, Template};

/// Parse a string into a literal, a single expression, or a template.
pub fn template(s: &str) -> Result<Expr, String> {
    if !s.contains("${") {
        return Ok(Expr::Literal(Value::str(s)));
    }
    let escaped = s.replace("%{", "%%{");
    let t: Template = escaped.parse().map_err(|e| syntax_error(s, &e))?;
    convert_template(&t, &mut Vec::new())
}

fn syntax_error(s: &str, e: &hcl::Error) -> String {
    match e {
        hcl::Error::Parse(p) => {
            let loc = p.location();
            let where_ = if s.contains('\n') {
                format!("line {} column {}", loc.line(), loc.column())
            } else {
                format!("column {}", loc.column())
            };
            format!(
                "syntax error in \"{}\" at {where_}: {}",
                s.escape_debug(),
                p.message()
            )
        }
        other => format!("syntax error in \"{}\": {other}", s.escape_debug()),
    }
}

fn convert_template(t: &Template, bound: &mut Vec<String>) -> Result<Expr, String> {
    let mut parts: Vec<Part> = Vec::new();
    for el in t.elements() {
        match el {
            Element::Literal(l) => match parts.last_mut() {
                Some(Part::Lit(prev)) => prev.push_str(l),
                _ => parts.push(Part::Lit(l.clone())),
            },
            Element::Interpolation(i) => parts.push(Part::Expr(convert(&i.expr, bound)?)),
            Element::Directive(_) => {
                return Err("template directives (%{…}) are not supported".into())
            }
        }
    }
    Ok(match parts.len() {
        0 => Expr::Literal(Value::str("")),
        1 => match parts.remove(0) {
            Part::Expr(e) => e,
            Part::Lit(l) => Expr::Literal(Value::String(l)),
        },
        _ => Expr::Template(parts),
    })
}

/// Convert one hcl-rs expression; `bound` holds the names bound by enclosing `for`s.
fn convert(e: &Expression, bound: &mut Vec<String>) -> Result<Expr, String> {
    Ok(match e {
        Expression::Null => Expr::Literal(Value::Null),
        Expression::Bool(b) => Expr::Literal(Value::Bool(*b)),
        Expression::Number(n) => Expr::Literal(number(n)?),
        Expression::String(s) => Expr::Literal(Value::str(s.clone())),
        Expression::Array(items) => Expr::List(
            items
                .iter()
                .map(|i| convert(i, bound))
                .collect::<Result<_, _>>()?,
        ),
        Expression::Object(o) => {
            let mut kvs = Vec::with_capacity(o.len());
            for (k, v) in o {
                let k = match k {
                    ObjectKey::Identifier(id) => Expr::Literal(Value::str(id.as_str())),
                    ObjectKey::Expression(e) => convert(e, bound)?,
                    _ => return Err("this kind of object key is not supported".into()),
                };
                kvs.push((k, convert(v, bound)?));
            }
            Expr::Object(kvs)
        }
        Expression::TemplateExpr(t) => {
            let text = match t.as_ref() {
                TemplateExpr::QuotedString(s) => s.as_str(),
                TemplateExpr::Heredoc(h) => h.template.as_str(),
            };
            let parsed: Template = text.parse().map_err(|e| syntax_error(text, &e))?;
            match convert_template(&parsed, bound)? {
                // a quoted string is always a string, even `"${x}"`
                Expr::Literal(v) => Expr::Literal(v),
                Expr::Template(p) => Expr::Template(p),
                single => Expr::Template(vec![Part::Expr(single)]),
            }
        }
        Expression::Variable(v) => traversal(v.as_str(), &[], bound)?,
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(v) => traversal(v.as_str(), &t.operators, bound)?,
            other => {
                let base = convert(other, bound)?;
                steps(base, &t.operators, bound)?
            }
        },
        Expression::FuncCall(c) => call(c, bound)?,
        Expression::Parenthesis(inner) => convert(inner, bound)?,
        Expression::Conditional(c) => Expr::Cond(Box::new((
            convert(&c.cond_expr, bound)?,
            convert(&c.true_expr, bound)?,
            convert(&c.false_expr, bound)?,
        ))),
        Expression::Operation(op) => operation(op, bound)?,
        Expression::ForExpr(f) => for_expr(f, bound)?,
        _ => return Err("this kind of expression is not supported".into()),
    })
}

fn number(n: &hcl::Number) -> Result<Value, String> {
    if let Some(i) = n.as_i64() {
        return Ok(Value::int(i));
    }
    n.as_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| format!("the number {n} is out of range"))
}

fn operation(op: &hcl::expr::Operation, bound: &mut Vec<String>) -> Result<Expr, String> {
    Ok(match op {
        hcl::expr::Operation::Unary(u) => {
            let o = match u.operator {
                UnaryOperator::Neg => UnOp::Neg,
                UnaryOperator::Not => UnOp::Not,
            };
            Expr::Unary(o, Box::new(convert(&u.expr, bound)?))
        }
        hcl::expr::Operation::Binary(b) => {
            let o = match b.operator {
                BinaryOperator::Eq => BinOp::Eq,
                BinaryOperator::NotEq => BinOp::NotEq,
                BinaryOperator::Less => BinOp::Less,
                BinaryOperator::LessEq => BinOp::LessEq,
                BinaryOperator::Greater => BinOp::Greater,
                BinaryOperator::GreaterEq => BinOp::GreaterEq,
                BinaryOperator::Plus => BinOp::Add,
                BinaryOperator::Minus => BinOp::Sub,
                BinaryOperator::Mul => BinOp::Mul,
                BinaryOperator::Div => BinOp::Div,
                BinaryOperator::Mod => BinOp::Mod,
                BinaryOperator::And => BinOp::And,
                BinaryOperator::Or => BinOp::Or,
            };
            Expr::Binary(
                o,
                Box::new((convert(&b.lhs_expr, bound)?, convert(&b.rhs_expr, bound)?)),
            )
        }
    })
}

fn call(c: &hcl::expr::FuncCall, bound: &mut Vec<String>) -> Result<Expr, String> {
    let name = c.name.name.as_str();
    if !c.name.namespace.is_empty() {
        return Err(format!("namespaced function {} is not supported", c.name));
    }
    let special = matches!(name, "try" | "can");
    if !special && !functions::names().contains(&name) {
        let all = functions::names().iter().copied().chain(["try", "can"]);
        let hint = crate::schema::suggest(name, all)
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        return Err(format!("unknown function \"{name}\"{hint}"));
    }
    let args = c
        .args
        .iter()
        .map(|a| convert(a, bound))
        .collect::<Result<_, _>>()?;
    Ok(Expr::Call(Box::new(Call {
        name: name.to_string(),
        args,
        expand: c.expand_final,
    })))
}

fn for_expr(f: &hcl::expr::ForExpr, bound: &mut Vec<String>) -> Result<Expr, String> {
    let collection = convert(&f.collection_expr, bound)?;
    let depth = bound.len();
    bound.extend(f.key_var.iter().map(|k| k.to_string()));
    bound.push(f.value_var.to_string());
    let body = (|| {
        Ok::<_, String>((
            f.key_expr.as_ref().map(|k| convert(k, bound)).transpose()?,
            convert(&f.value_expr, bound)?,
            f.cond_expr
                .as_ref()
                .map(|c| convert(c, bound))
                .transpose()?,
        ))
    })();
    bound.truncate(depth);
    let (key, value, cond) = body?;
    Ok(Expr::For(Box::new(For {
        key_var: f.key_var.as_ref().map(|k| k.to_string()),
        value_var: f.value_var.to_string(),
        collection,
        key,
        value,
        cond,
        grouping: f.grouping,
        splat: false,
    })))
}

/// A static path segment: `.name`, `[0]` or `["key"]` with a literal index.
fn static_seg(op: &TraversalOperator) -> Option<PathSeg> {
    match op {
        TraversalOperator::GetAttr(id) => Some(PathSeg::Key(id.to_string())),
        TraversalOperator::LegacyIndex(n) => usize::try_from(*n).ok().map(PathSeg::Index),
        TraversalOperator::Index(Expression::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(PathSeg::Index),
        TraversalOperator::Index(Expression::String(s)) => Some(PathSeg::Key(s.clone())),
        _ => None,
    }
}

/// A traversal starting at the variable `root`: a `for` name, or a reference whose static
/// prefix becomes the `Ref`, followed by the remaining steps.
fn traversal(
    root: &str,
    ops: &[TraversalOperator],
    bound: &mut Vec<String>,
) -> Result<Expr, String> {
    if bound.iter().any(|b| b == root) {
        return steps(Expr::Local(root.to_string()), ops, bound);
    }
    let n_static = ops.iter().take_while(|o| static_seg(o).is_some()).count();
    let segs: Vec<PathSeg> = ops[..n_static].iter().filter_map(static_seg).collect();
    let names: Vec<&str> = segs
        .iter()
        .map_while(|s| match s {
            PathSeg::Key(k) => Some(k.as_str()),
            PathSeg::Index(_) => None,
        })
        .collect();
    let text = ref_text(root, &segs);
    let bad = |why: &str| Err(format!("invalid reference \"{text}\": {why}"));
    let (target, consumed) = match (root, names.as_slice()) {
        ("var", [name, ..]) => (Target::Var(name.to_string()), 1),
        ("var", _) => return bad("write ${var.NAME}"),
        ("each", ["key", ..]) => (Target::Instance(InstanceRef::EachKey), 1),
        ("each", ["value", ..]) => (Target::Instance(InstanceRef::EachValue), 1),
        ("each", _) => return bad("write ${each.key} or ${each.value}"),
        ("count", ["index", ..]) => (Target::Instance(InstanceRef::CountIndex), 1),
        ("count", _) => return bad("write ${count.index}"),
        ("local", [name, ..]) => (Target::Local(name.to_string()), 1),
        ("local", _) => return bad("write ${local.NAME}"),
        // a module's outputs: the value `config::modules` makes of them, by this name
        ("module", [name, ..]) => (Target::Local(format!("module.{name}")), 1),
        ("module", _) => return bad("write ${module.NAME.OUTPUT}"),
        ("data", [ty, name, ..]) => (Target::Object(Address::data(ty, name)), 2),
        ("data", _) => return bad("write ${data.TYPE.NAME.ATTRIBUTE}"),
        (ty, [name, ..]) => (Target::Object(Address::managed(ty, name)), 1),
        (f, []) if functions::names().contains(&f) || matches!(f, "try" | "can") => {
            return bad(&format!("{f} is a function: call it, {f}(…)"))
        }
        _ => {
            return bad(
                "write ${var.NAME}, ${local.NAME}, ${TYPE.NAME.ATTRIBUTE} or ${data.TYPE.NAME.ATTRIBUTE}",
            )
        }
    };
    let r = Ref {
        target,
        path: segs[consumed..].to_vec(),
        text,
    };
    steps(Expr::Ref(Box::new(r)), &ops[n_static..], bound)
}

/// `${root.a[0]["k"]}`, as the reference is written.
fn ref_text(root: &str, segs: &[PathSeg]) -> String {
    let mut s = format!("${{{root}");
    for seg in segs {
        match seg {
            PathSeg::Key(k) if is_ident(k) => {
                s.push('.');
                s.push_str(k);
            }
            PathSeg::Key(k) => s.push_str(&format!("[{k:?}]")),
            PathSeg::Index(n) => s.push_str(&format!("[{n}]")),
        }
    }
    s.push('}');
    s
}

fn is_ident(k: &str) -> bool {
    let mut c = k.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
        && c.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Apply traversal steps to `base`; a splat makes the rest apply to each element.
fn steps(
    mut base: Expr,
    ops: &[TraversalOperator],
    bound: &mut Vec<String>,
) -> Result<Expr, String> {
    for (i, op) in ops.iter().enumerate() {
        base = match op {
            TraversalOperator::GetAttr(id) => Expr::Attr(Box::new(base), id.to_string()),
            TraversalOperator::LegacyIndex(n) => {
                Expr::Index(Box::new((base, Expr::Literal(Value::Number((*n).into())))))
            }
            TraversalOperator::Index(e) => Expr::Index(Box::new((base, convert(e, bound)?))),
            TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                // `[*]` applies every later step to each element; `.*` only the attribute
                // steps right after it (`xs.*.id[0]` is the first id)
                let rest = &ops[i + 1..];
                let n = match op {
                    TraversalOperator::AttrSplat => rest
                        .iter()
                        .take_while(|o| matches!(o, TraversalOperator::GetAttr(_)))
                        .count(),
                    _ => rest.len(),
                };
                let each = steps(Expr::Local("*".into()), &rest[..n], bound)?;
                let splat = Expr::For(Box::new(For {
                    key_var: None,
                    value_var: "*".into(),
                    collection: base,
                    key: None,
                    value: each,
                    cond: None,
                    grouping: false,
                    splat: true,
                }));
                return steps(splat, &rest[n..], bound);
            }
        };
    }
    Ok(base)
}
