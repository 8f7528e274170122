//! Evaluating expressions against a scope of variable values and object attributes.
//! Unknown inputs give unknown results; values derived from sensitive inputs are marked
//! sensitive (by attribute path) so they are never rendered or stored.

use super::expr::{Expr, Part, Ref, Target};
use super::vars::VarValue;
use crate::address::Address;
use crate::value::{path_string, Map, Path, PathSeg, Value};
use std::collections::BTreeMap;

/// An object's attributes as seen by references.
pub struct ObjectView<'a> {
    pub value: &'a Value,
    pub sensitive: &'a [Path],
}

pub trait Scope {
    fn var(&self, name: &str) -> Option<&VarValue>;
    /// `None`: the object is not in scope (an error at plan time). Objects whose attributes
    /// are not known yet return a view of `Value::Unknown`.
    fn object(&self, addr: &Address) -> Option<ObjectView<'_>>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    pub value: Value,
    /// Paths within `value` that are sensitive.
    pub sensitive: Vec<Path>,
}

/// Evaluate a map of argument expressions. Errors come back per argument name.
pub fn eval_args(
    args: &BTreeMap<String, Expr>,
    scope: &dyn Scope,
) -> Result<Evaluated, Vec<(String, String)>> {
    let mut out = Map::new();
    let mut sensitive = Vec::new();
    let mut errors = Vec::new();
    for (name, e) in args {
        let mut path = vec![PathSeg::Key(name.clone())];
        match eval_into(e, scope, &mut path, &mut sensitive) {
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(msg) => errors.push((name.clone(), msg)),
        }
    }
    if errors.is_empty() {
        Ok(Evaluated {
            value: Value::Map(out),
            sensitive,
        })
    } else {
        Err(errors)
    }
}

pub fn eval(e: &Expr, scope: &dyn Scope) -> Result<Evaluated, String> {
    let mut sensitive = Vec::new();
    let value = eval_into(e, scope, &mut Vec::new(), &mut sensitive)?;
    Ok(Evaluated { value, sensitive })
}

fn eval_into(
    e: &Expr,
    scope: &dyn Scope,
    path: &mut Path,
    sensitive: &mut Vec<Path>,
) -> Result<Value, String> {
    match e {
        Expr::Literal(v) => Ok(v.clone()),
        Expr::Ref(r) => {
            let (v, sens) = resolve(r, scope)?;
            for s in sens {
                let mut p = path.clone();
                p.extend(s);
                sensitive.push(p);
            }
            Ok(v)
        }
        Expr::Template(parts) => {
            let mut out = String::new();
            let mut unknown = false;
            let mut is_sensitive = false;
            for part in parts {
                match part {
                    Part::Lit(s) => out.push_str(s),
                    Part::Ref(r) => {
                        let (v, sens) = resolve(r, scope)?;
                        is_sensitive |= !sens.is_empty();
                        match v {
                            Value::Unknown => unknown = true,
                            v => match v.scalar_text() {
                                Some(t) => out.push_str(&t),
                                None if v.has_unknown() => unknown = true,
                                None => {
                                    return Err(format!(
                                        "{} is a {}; only strings, numbers and bools can be \
                                         placed inside text (reference one element instead)",
                                        r.text,
                                        v.kind()
                                    ))
                                }
                            },
                        }
                    }
                }
            }
            if is_sensitive {
                sensitive.push(path.clone());
            }
            Ok(if unknown {
                Value::Unknown
            } else {
                Value::String(out)
            })
        }
        Expr::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                let v = eval_into(item, scope, path, sensitive);
                path.pop();
                out.push(v?);
            }
            Ok(Value::List(out))
        }
        Expr::Map(m) => {
            let mut out = Map::new();
            for (k, item) in m {
                path.push(PathSeg::Key(k.clone()));
                let v = eval_into(item, scope, path, sensitive);
                path.pop();
                out.insert(k.clone(), v?);
            }
            Ok(Value::Map(out))
        }
    }
}

/// Resolve one reference: its value and the sensitive paths within it.
fn resolve(r: &Ref, scope: &dyn Scope) -> Result<(Value, Vec<Path>), String> {
    match &r.target {
        Target::Var(name) => {
            let var = scope
                .var(name)
                .ok_or_else(|| format!("{}: no variable named \"{name}\"", r.text))?;
            let v = index(&var.value, &r.path, r)?;
            Ok((v, if var.sensitive { vec![vec![]] } else { vec![] }))
        }
        Target::Object(addr) => {
            let obj = scope
                .object(addr)
                .ok_or_else(|| format!("{}: {addr} is not declared", r.text))?;
            let v = index(obj.value, &r.path, r)?;
            let mut sens = Vec::new();
            for s in obj.sensitive {
                if s.starts_with(&r.path) {
                    sens.push(s[r.path.len()..].to_vec());
                } else if r.path.starts_with(s) {
                    sens.push(vec![]);
                }
            }
            Ok((v, sens))
        }
    }
}

fn index(v: &Value, path: &[PathSeg], r: &Ref) -> Result<Value, String> {
    let mut cur = v;
    for (i, seg) in path.iter().enumerate() {
        cur = match (cur, seg) {
            (Value::Unknown, _) => return Ok(Value::Unknown),
            (Value::Map(m), PathSeg::Key(k)) => match m.get(k) {
                Some(v) => v,
                None => return Ok(Value::Null),
            },
            (Value::List(l), PathSeg::Index(n)) => l.get(*n).ok_or_else(|| {
                format!(
                    "{}: index [{n}] is out of range ({} has {} element{})",
                    r.text,
                    path_string(&path[..i]),
                    l.len(),
                    if l.len() == 1 { "" } else { "s" }
                )
            })?,
            (Value::Null, _) => return Ok(Value::Null),
            (other, seg) => {
                let what = match seg {
                    PathSeg::Key(k) => format!("attribute \"{k}\""),
                    PathSeg::Index(n) => format!("index [{n}]"),
                };
                return Err(format!(
                    "{}: cannot take {what} of a {}",
                    r.text,
                    other.kind()
                ));
            }
        };
    }
    Ok(cur.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::expr::parse_template;
    use crate::value::key;
    use std::collections::HashMap;

    struct S {
        vars: HashMap<String, VarValue>,
        objs: HashMap<Address, (Value, Vec<Path>)>,
    }
    impl Scope for S {
        fn var(&self, name: &str) -> Option<&VarValue> {
            self.vars.get(name)
        }
        fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
            self.objs.get(addr).map(|(v, s)| ObjectView {
                value: v,
                sensitive: s,
            })
        }
    }

    fn scope() -> S {
        let mut vars = HashMap::new();
        vars.insert(
            "env".into(),
            VarValue {
                value: Value::str("prod"),
                sensitive: false,
            },
        );
        vars.insert(
            "pw".into(),
            VarValue {
                value: Value::str("hunter2"),
                sensitive: true,
            },
        );
        let mut objs = HashMap::new();
        let obj = Value::from_json(&serde_json::json!({
            "id": "t1", "values": {"max_connections": "10"}, "clusters": [{"id": "c0"}, {"id": "c1"}],
            "size": 4
        }));
        objs.insert(Address::managed("t", "a"), (obj, vec![]));
        objs.insert(Address::managed("t", "u"), (Value::Unknown, vec![]));
        S { vars, objs }
    }

    fn ev(s: &str) -> Result<Evaluated, String> {
        eval(&parse_template(s).unwrap(), &scope())
    }

    #[test]
    fn whole_references_keep_their_type() {
        assert_eq!(ev("${t.a.size}").unwrap().value, Value::int(4));
        assert_eq!(ev("${t.a.clusters[1].id}").unwrap().value, Value::str("c1"));
        assert_eq!(
            ev("${t.a.values[\"max_connections\"]}").unwrap().value,
            Value::str("10")
        );
    }

    #[test]
    fn interpolation_and_unknowns() {
        assert_eq!(
            ev("x-${var.env}-${t.a.size}").unwrap().value,
            Value::str("x-prod-4")
        );
        assert_eq!(ev("x-${t.u.id}").unwrap().value, Value::Unknown);
        assert_eq!(ev("${t.u.id}").unwrap().value, Value::Unknown);
    }

    #[test]
    fn sensitivity_follows_references() {
        let e = ev("p=${var.pw}").unwrap();
        assert_eq!(e.sensitive, vec![Vec::<PathSeg>::new()]);
        let mut args = BTreeMap::new();
        args.insert(
            "sa".to_string(),
            Expr::Map(BTreeMap::from([(
                "password".to_string(),
                parse_template("${var.pw}").unwrap(),
            )])),
        );
        let r = eval_args(&args, &scope()).unwrap();
        assert_eq!(r.sensitive, vec![vec![key("sa"), key("password")]]);
    }

    #[test]
    fn errors_name_the_reference() {
        let e = ev("${t.a.clusters[5].id}").unwrap_err();
        assert!(
            e.contains("out of range") && e.contains("${t.a.clusters[5].id}"),
            "{e}"
        );
        assert!(ev("x${t.a.clusters}").unwrap_err().contains("list"));
        assert!(ev("${t.a.size.x}").unwrap_err().contains("cannot take"));
        assert!(ev("${var.nope}").unwrap_err().contains("nope"));
    }
}
