//! Evaluating expressions against a scope of variable values, local values and object
//! attributes. Unknown inputs give unknown results; values derived from sensitive inputs are
//! marked sensitive (by attribute path) so they are never rendered or stored.

use super::expr::{Call, Expr, For, InstanceRef, Part, Ref, Target};
use super::functions;
use super::instances::Each;
use super::ops;
use super::vars::VarValue;
use crate::address::Address;
use crate::value::{path_string, Map, Path, PathSeg, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// An object's attributes as seen by references (borrowed from the scope, or built for a
/// repeated block: the map or list of its instances).
pub struct ObjectView<'a> {
    pub value: Cow<'a, Value>,
    pub sensitive: Cow<'a, [Path]>,
}

impl<'a> ObjectView<'a> {
    pub fn borrowed(value: &'a Value, sensitive: &'a [Path]) -> ObjectView<'a> {
        ObjectView {
            value: Cow::Borrowed(value),
            sensitive: Cow::Borrowed(sensitive),
        }
    }
}

pub trait Scope {
    fn var(&self, name: &str) -> Option<&VarValue>;
    /// The instance being evaluated (`each`, `count`), in a repeated block.
    fn instance(&self) -> Option<&Each> {
        None
    }
    /// `None`: the object is not in scope (an error at plan time). Objects whose attributes
    /// are not known yet return a view of `Value::Unknown`.
    fn object(&self, addr: &Address) -> Option<ObjectView<'_>>;
    /// The value of `local.NAME` (each scope evaluates a local once, against itself: see
    /// `config::locals::LocalValues`); `None`: no such local in this scope; `Err`: the local's
    /// own expression failed.
    fn local(&self, name: &str) -> Option<Result<ObjectView<'_>, String>> {
        let _ = name;
        None
    }
    /// The stack directory, for functions that read files (`file`).
    fn dir(&self) -> &std::path::Path {
        std::path::Path::new(".")
    }
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
    let mut cx = Cx {
        scope,
        locals: Vec::new(),
    };
    let (v, sens) = cx.ev(e)?;
    for s in sens {
        let mut p = path.clone();
        p.extend(s);
        sensitive.push(p);
    }
    Ok(v)
}

/// A value and the paths within it that are sensitive (`[]` = the whole value).
type Sv = (Value, Vec<Path>);

fn whole(v: Value, sensitive: bool) -> Sv {
    (v, if sensitive { vec![vec![]] } else { vec![] })
}

/// The sensitive paths below `seg` of a value with sensitive paths `paths`.
fn narrow(paths: &[Path], seg: &PathSeg) -> Vec<Path> {
    let mut out = Vec::new();
    for p in paths {
        match p.split_first() {
            None => return vec![vec![]],
            Some((first, rest)) if first == seg => out.push(rest.to_vec()),
            Some(_) => {}
        }
    }
    out
}

fn prefixed(paths: Vec<Path>, seg: PathSeg) -> impl Iterator<Item = Path> {
    paths.into_iter().map(move |mut p| {
        p.insert(0, seg.clone());
        p
    })
}

/// One evaluation: the scope and the names bound by enclosing `for` expressions.
struct Cx<'a> {
    scope: &'a dyn Scope,
    locals: Vec<(String, Sv)>,
}

impl Cx<'_> {
    fn ev(&mut self, e: &Expr) -> Result<Sv, String> {
        match e {
            Expr::Literal(v) => Ok((v.clone(), vec![])),
            Expr::Ref(r) => resolve(r, self.scope),
            Expr::Local(name) => self
                .locals
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, sv)| sv.clone())
                .ok_or_else(|| format!("\"{name}\" is not bound here")),
            Expr::Template(parts) => self.template(parts),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut sens = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let (v, s) = self.ev(item)?;
                    sens.extend(prefixed(s, PathSeg::Index(i)));
                    out.push(v);
                }
                Ok((Value::List(out), sens))
            }
            Expr::Map(m) => {
                let mut out = Map::new();
                let mut sens = Vec::new();
                for (k, item) in m {
                    let (v, s) = self.ev(item)?;
                    sens.extend(prefixed(s, PathSeg::Key(k.clone())));
                    out.insert(k.clone(), v);
                }
                Ok((Value::Map(out), sens))
            }
            Expr::Object(kvs) => self.object(kvs),
            Expr::Unary(op, x) => {
                let (v, s) = self.ev(x)?;
                if v.has_unknown() {
                    return Ok(whole(Value::Unknown, !s.is_empty()));
                }
                Ok(whole(ops::unary(*op, &v)?, !s.is_empty()))
            }
            Expr::Binary(op, b) => {
                let (x, sx) = self.ev(&b.0)?;
                let (y, sy) = self.ev(&b.1)?;
                let sens = !sx.is_empty() || !sy.is_empty();
                if x.has_unknown() || y.has_unknown() {
                    return Ok(whole(Value::Unknown, sens));
                }
                Ok(whole(ops::binary(*op, &x, &y)?, sens))
            }
            Expr::Cond(c) => self.cond(c),
            Expr::Call(c) => self.call(c),
            Expr::Attr(x, name) => {
                let sv = self.ev(x)?;
                step(sv, &PathSeg::Key(name.clone()))
            }
            Expr::Index(b) => self.index(b),
            Expr::For(f) => self.for_expr(f),
        }
    }

    fn template(&mut self, parts: &[Part]) -> Result<Sv, String> {
        let mut out = String::new();
        let mut unknown = false;
        let mut is_sensitive = false;
        for part in parts {
            let e = match part {
                Part::Lit(s) => {
                    out.push_str(s);
                    continue;
                }
                Part::Expr(e) => e,
            };
            let (v, sens) = self.ev(e)?;
            is_sensitive |= !sens.is_empty();
            match v.scalar_text() {
                Some(t) => out.push_str(&t),
                None if v.has_unknown() => unknown = true,
                None => {
                    let what = match e {
                        Expr::Ref(r) => r.text.clone(),
                        _ => "the value inside ${…}".to_string(),
                    };
                    return Err(format!(
                        "{what} is a {}; only strings, numbers and bools can be \
                         placed inside text (reference one element instead)",
                        v.kind()
                    ));
                }
            }
        }
        let v = if unknown {
            Value::Unknown
        } else {
            Value::String(out)
        };
        Ok(whole(v, is_sensitive))
    }

    fn object(&mut self, kvs: &[(Expr, Expr)]) -> Result<Sv, String> {
        let mut out = Map::new();
        let mut sens = Vec::new();
        let mut unknown = false;
        for (k, item) in kvs {
            let (key, ks) = self.ev(k)?;
            let (v, s) = self.ev(item)?;
            if !ks.is_empty() {
                sens.push(vec![]);
            }
            let key = match key {
                Value::Unknown => {
                    unknown = true;
                    if !s.is_empty() {
                        sens.push(vec![]);
                    }
                    continue;
                }
                key => key_text(&key, "an object key")?,
            };
            sens.extend(prefixed(s, PathSeg::Key(key.clone())));
            out.insert(key, v);
        }
        if unknown {
            return Ok(whole(Value::Unknown, !sens.is_empty()));
        }
        Ok((Value::Map(out), sens))
    }

    fn cond(&mut self, c: &(Expr, Expr, Expr)) -> Result<Sv, String> {
        let (test, ts) = self.ev(&c.0)?;
        let chosen = match test {
            Value::Bool(b) => b,
            // either branch may be chosen: the result is sensitive if either is
            Value::Unknown => {
                let sensitive = !ts.is_empty() || self.any_sensitive([&c.1, &c.2]);
                return Ok(whole(Value::Unknown, sensitive));
            }
            other => {
                return Err(format!(
                    "the condition of \"? :\" must be a bool, got a {}",
                    other.kind()
                ))
            }
        };
        let (v, mut s) = self.ev(if chosen { &c.1 } else { &c.2 })?;
        if !ts.is_empty() {
            s.push(vec![]);
        }
        Ok((v, s))
    }

    /// Whether any of `exprs` evaluates to something sensitive (errors count as not).
    fn any_sensitive<'e>(&mut self, exprs: impl IntoIterator<Item = &'e Expr>) -> bool {
        exprs
            .into_iter()
            .any(|e| self.ev(e).is_ok_and(|(_, s)| !s.is_empty()))
    }

    fn index(&mut self, b: &(Expr, Expr)) -> Result<Sv, String> {
        let sv = self.ev(&b.0)?;
        let (i, is) = self.ev(&b.1)?;
        let seg = match &i {
            Value::Unknown => return Ok(whole(Value::Unknown, true_if(&sv.1, &is))),
            Value::Number(n) if matches!(sv.0, Value::Map(_)) => PathSeg::Key(n.to_string()),
            // a list's index, or an index into a value that has none (`step` says so)
            Value::Number(n) => match n.as_u64().and_then(|n| usize::try_from(n).ok()) {
                Some(n) => PathSeg::Index(n),
                None => return Err(format!("an index must be a whole number ≥ 0, got {n}")),
            },
            // a string of digits indexes a list, as Terraform converts it
            Value::String(s) => match (&sv.0, s.parse::<usize>()) {
                (Value::List(_), Ok(n)) => PathSeg::Index(n),
                _ => PathSeg::Key(s.clone()),
            },
            other => {
                return Err(format!(
                    "an index must be a number or a string, got a {}",
                    other.kind()
                ))
            }
        };
        let (v, mut s) = step(sv, &seg)?;
        if !is.is_empty() {
            s.push(vec![]);
        }
        Ok((v, s))
    }
}

impl Cx<'_> {
    fn call(&mut self, c: &Call) -> Result<Sv, String> {
        match c.name.as_str() {
            "try" => return self.try_(c),
            "can" => return self.can(c),
            _ => {}
        }
        let mut args = Vec::with_capacity(c.args.len());
        for (i, a) in c.args.iter().enumerate() {
            let (value, s) = self.ev(a)?;
            let sensitive = !s.is_empty();
            if c.expand && i + 1 == c.args.len() {
                match value {
                    Value::List(items) => args.extend(
                        items
                            .into_iter()
                            .map(|value| functions::Arg { value, sensitive }),
                    ),
                    Value::Unknown => return Ok(whole(Value::Unknown, sensitive)),
                    other => {
                        return Err(format!(
                            "{}: the argument before \"...\" must be a list, got a {}",
                            c.name,
                            other.kind()
                        ))
                    }
                }
            } else {
                args.push(functions::Arg { value, sensitive });
            }
        }
        let cx = functions::FnCx {
            dir: self.scope.dir(),
        };
        let r = functions::call(&c.name, args, &cx)?;
        Ok(whole(r.value, r.sensitive))
    }

    /// `try(a, b, …)`: the first argument that evaluates without an error; unknown when that
    /// argument is not known yet (it may still fail at apply). An argument that failed on a
    /// sensitive value makes the result sensitive (which one was chosen says something).
    fn try_(&mut self, c: &Call) -> Result<Sv, String> {
        let mut last = None;
        let mut failed_on_secret = false;
        for a in &c.args {
            match self.ev(a) {
                Ok((v, mut s)) => {
                    if failed_on_secret {
                        s.push(vec![]);
                    }
                    return Ok((v, s));
                }
                Err(e) => {
                    failed_on_secret |= self.refs_sensitive(a);
                    last = Some(e);
                }
            }
        }
        Err(match last {
            Some(e) => format!("try: no argument succeeded; the last failed with: {e}"),
            None => "try: needs at least one argument".to_string(),
        })
    }

    /// `can(e)`: whether `e` evaluates without an error (unknown while `e` is unknown);
    /// sensitive when `e` is, or when it failed on a sensitive value.
    fn can(&mut self, c: &Call) -> Result<Sv, String> {
        let [a] = c.args.as_slice() else {
            return Err(format!("can: takes 1 argument, got {}", c.args.len()));
        };
        Ok(match self.ev(a) {
            Ok((Value::Unknown, s)) => whole(Value::Unknown, !s.is_empty()),
            Ok((_, s)) => whole(Value::Bool(true), !s.is_empty()),
            Err(_) => whole(Value::Bool(false), self.refs_sensitive(a)),
        })
    }

    /// Whether a reference in `e` is to something sensitive.
    fn refs_sensitive(&self, e: &Expr) -> bool {
        e.refs()
            .into_iter()
            .any(|r| resolve(r, self.scope).is_ok_and(|(_, s)| !s.is_empty()))
    }

    /// The elements a `for` or splat iterates: (key or index, value, sensitive paths).
    fn items(f: &For, (coll, sens): Sv) -> Result<Vec<(Value, Sv)>, String> {
        let items = match coll {
            Value::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    let s = narrow(&sens, &PathSeg::Index(i));
                    (Value::int(i as i64), (v, s))
                })
                .collect(),
            Value::Null if f.splat => Vec::new(),
            Value::Map(m) if !f.splat => m
                .into_iter()
                .map(|(k, v)| {
                    let s = narrow(&sens, &PathSeg::Key(k.clone()));
                    (Value::String(k), (v, s))
                })
                .collect(),
            other if f.splat => vec![(Value::int(0), (other, sens))],
            other => {
                return Err(format!(
                    "a for expression needs a list or a map, got a {}",
                    other.kind()
                ))
            }
        };
        Ok(items)
    }

    fn for_expr(&mut self, f: &For) -> Result<Sv, String> {
        let (coll, sens) = self.ev(&f.collection)?;
        let depth = self.locals.len();
        let r = if coll == Value::Unknown {
            // the elements are not known: the result is sensitive if the collection is, or
            // if the body is for an unknown element
            let sensitive = !sens.is_empty() || self.body_sensitive(f, sens);
            Ok(whole(Value::Unknown, sensitive))
        } else {
            Self::items(f, (coll, sens)).and_then(|items| self.for_body(f, items))
        };
        self.locals.truncate(depth);
        r
    }

    /// Whether the body of `f` is sensitive for an unknown element.
    fn body_sensitive(&mut self, f: &For, sens: Vec<Path>) -> bool {
        if let Some(kv) = &f.key_var {
            self.locals.push((kv.clone(), (Value::Unknown, vec![])));
        }
        self.locals
            .push((f.value_var.clone(), (Value::Unknown, sens)));
        let parts = [Some(&f.value), f.key.as_ref(), f.cond.as_ref()];
        self.any_sensitive(parts.into_iter().flatten())
    }

    fn for_body(&mut self, f: &For, items: Vec<(Value, Sv)>) -> Result<Sv, String> {
        let depth = self.locals.len();
        let mut list = Vec::new();
        let mut map: Map = Map::new();
        let mut sens = Vec::new();
        let mut unknown = false;
        // a sensitive condition decides which elements there are: the whole result is sensitive
        let mut filtered_by_secret = false;
        for (k, v) in items {
            self.locals.truncate(depth);
            if let Some(kv) = &f.key_var {
                self.locals.push((kv.clone(), (k, vec![])));
            }
            self.locals.push((f.value_var.clone(), v));
            if let Some(c) = &f.cond {
                let (test, cs) = self.ev(c)?;
                filtered_by_secret |= !cs.is_empty();
                match test {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    Value::Unknown => {
                        unknown = true;
                        if self.any_sensitive([&f.value]) {
                            sens.push(vec![]);
                        }
                        continue;
                    }
                    other => {
                        return Err(format!(
                            "the \"if\" of a for expression must be a bool, got a {}",
                            other.kind()
                        ))
                    }
                }
            }
            let (value, s) = self.ev(&f.value)?;
            let Some(ke) = &f.key else {
                sens.extend(prefixed(s, PathSeg::Index(list.len())));
                list.push(value);
                continue;
            };
            let key = match self.ev(ke)? {
                (Value::Unknown, ks) => {
                    unknown = true;
                    if !ks.is_empty() || !s.is_empty() {
                        sens.push(vec![]);
                    }
                    continue;
                }
                (key, ks) => {
                    if !ks.is_empty() {
                        sens.push(vec![]);
                    }
                    key_text(&key, "the key of a for expression")?
                }
            };
            sens.extend(prefixed(s, PathSeg::Key(key.clone())));
            insert_key(&mut map, key, value, f.grouping)?;
        }
        if filtered_by_secret {
            sens.push(vec![]);
        }
        if unknown {
            return Ok(whole(Value::Unknown, !sens.is_empty()));
        }
        if f.key.is_some() {
            if f.grouping {
                sens = regroup(sens);
            }
            Ok((Value::Map(map), sens))
        } else {
            Ok((Value::List(list), sens))
        }
    }
}

fn insert_key(map: &mut Map, key: String, value: Value, grouping: bool) -> Result<(), String> {
    if grouping {
        if let Value::List(l) = map.entry(key).or_insert_with(|| Value::List(vec![])) {
            l.push(value);
        }
        return Ok(());
    }
    if map.contains_key(&key) {
        return Err(format!(
            "the for expression makes the key \"{key}\" twice (write \"...\" after the value to group them)"
        ));
    }
    map.insert(key, value);
    Ok(())
}

/// Grouped values: a sensitive element makes its whole group sensitive.
fn regroup(sens: Vec<Path>) -> Vec<Path> {
    sens.into_iter()
        .map(|p| p.into_iter().take(1).collect())
        .collect()
}

fn true_if(a: &[Path], b: &[Path]) -> bool {
    !a.is_empty() || !b.is_empty()
}

/// The text of a key: a string, or a number or bool written as one.
fn key_text(v: &Value, what: &str) -> Result<String, String> {
    v.scalar_text()
        .ok_or_else(|| format!("{what} must be a string, got a {}", v.kind()))
}

/// One attribute or index step into a computed value.
fn step((v, sens): Sv, seg: &PathSeg) -> Result<Sv, String> {
    let narrowed = narrow(&sens, seg);
    let out = match (&v, seg) {
        (Value::Unknown, _) => Value::Unknown,
        (Value::Null, _) => Value::Null,
        (Value::Map(m), PathSeg::Key(k)) => m.get(k).cloned().unwrap_or(Value::Null),
        (Value::List(l), PathSeg::Index(n)) => l.get(*n).cloned().ok_or_else(|| {
            format!(
                "index [{n}] is out of range (the list has {} element{})",
                l.len(),
                if l.len() == 1 { "" } else { "s" }
            )
        })?,
        (other, seg) => {
            let what = match seg {
                PathSeg::Key(k) => format!("attribute \"{k}\""),
                PathSeg::Index(n) => format!("index [{n}]"),
            };
            return Err(format!("cannot take {what} of a {}", other.kind()));
        }
    };
    Ok((out, narrowed))
}

/// Resolve one reference: its value and the sensitive paths within it.
fn resolve(r: &Ref, scope: &dyn Scope) -> Result<Sv, String> {
    match &r.target {
        Target::Var(name) => {
            let var = scope
                .var(name)
                .ok_or_else(|| format!("{}: no variable named \"{name}\"", r.text))?;
            let v = index(&var.value, &r.path, r)?;
            Ok((v, if var.sensitive { vec![vec![]] } else { vec![] }))
        }
        Target::Instance(which) => {
            let each = scope.instance().ok_or_else(|| outside_instance(*which))?;
            let (v, sensitive) = each.get(*which).map_err(|e| format!("{}: {e}", r.text))?;
            let v = index(&v, &r.path, r)?;
            Ok((v, if sensitive { vec![vec![]] } else { vec![] }))
        }
        Target::Local(name) => match scope.local(name) {
            None => Err(format!("{}: no local named \"{name}\"", r.text)),
            Some(Err(e)) => Err(format!("{}: {e}", r.text)),
            Some(Ok(view)) => viewed(&view, r),
        },
        Target::Object(addr) => {
            let obj = scope
                .object(addr)
                .ok_or_else(|| format!("{}: {addr} is not declared", r.text))?;
            viewed(&obj, r)
        }
    }
}

fn outside_instance(which: InstanceRef) -> String {
    let (name, meta) = match which {
        InstanceRef::CountIndex => ("count.index", "count"),
        _ => (which.text(), "for_each"),
    };
    format!("${{{name}}} can only be used in a block with {meta}")
}

/// The value at a reference's path below an object or local, with its sensitive paths.
fn viewed(obj: &ObjectView<'_>, r: &Ref) -> Result<Sv, String> {
    let v = index(&obj.value, &r.path, r)?;
    let mut sens = Vec::new();
    for s in obj.sensitive.iter() {
        if s.starts_with(&r.path) {
            sens.push(s[r.path.len()..].to_vec());
        } else if r.path.starts_with(s) {
            sens.push(vec![]);
        }
    }
    Ok((v, sens))
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
                let list = match path_string(&path[..i]) {
                    p if p.is_empty() => "the list".to_string(),
                    p => p,
                };
                format!(
                    "{}: index [{n}] is out of range ({list} has {} element{})",
                    r.text,
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
            self.objs.get(addr).map(|(v, s)| ObjectView::borrowed(v, s))
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
        vars.insert(
            "zones".into(),
            VarValue {
                value: Value::from_json(&serde_json::json!(["z1", "z2"])),
                sensitive: false,
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
    fn computed_indexes() {
        // an unknown or null value indexed by a number: unknown, null (never "must be ≥ 0")
        assert_eq!(ev("${(t.u.ids)[0]}").unwrap().value, Value::Unknown);
        assert_eq!(ev("${null[0]}").unwrap().value, Value::Null);
        let e = ev("${\"abc\"[0]}").unwrap_err();
        assert!(e.contains("cannot take index [0] of a string"), "{e}");
        assert!(ev("${[1, 2][-1]}").unwrap_err().contains("whole number"));
        // a string of digits indexes a list; a number indexes a map by its text
        assert_eq!(ev("${[1, 2][\"1\"]}").unwrap().value, Value::int(2));
        assert_eq!(ev("${{\"1\" = 5}[1]}").unwrap().value, Value::int(5));
        let e = ev("${var.zones[5]}").unwrap_err();
        assert!(e.contains("(the list has 2 elements)"), "{e}");
    }

    /// Whether the whole of `s`'s value is sensitive.
    fn secret(s: &str) -> bool {
        ev(s).unwrap().sensitive.iter().any(|p| p.is_empty())
    }

    #[test]
    fn unknown_results_keep_the_sensitivity_of_what_flows_into_them() {
        // a conditional whose test is unknown: sensitive if either branch is
        assert!(secret("${t.u.id == \"\" ? var.pw : \"x\"}"));
        assert!(secret("${t.u.id == \"\" ? \"x\" : var.pw}"));
        assert!(!secret("${t.u.id == \"\" ? \"x\" : \"y\"}"));
        // an unknown branch that would fail is not an error
        assert_eq!(
            ev("${t.u.id == \"\" ? [][0] : 1}").unwrap().value,
            Value::Unknown
        );
        // a for over an unknown collection: sensitive if it, or the body, is
        assert!(secret("${[for x in sensitive(t.u.ids) : x]}"));
        assert!(secret("${[for x in t.u.ids : \"${x}${var.pw}\"]}"));
        assert!(!secret("${[for x in t.u.ids : upper(x)]}"));
        // unknown keys and conditions keep the values' sensitivity
        assert!(secret("${{for x in [1] : t.u.id => var.pw}}"));
        assert!(secret("${[for x in [1] : var.pw if t.u.id == x]}"));
        assert!(secret("${{(t.u.id) = var.pw}}"));
    }

    #[test]
    fn a_sensitive_filter_makes_the_whole_result_sensitive() {
        // which elements remain says something about the secret
        let r = ev("${[for x in [\"hunter2\", \"b\"] : 1 if x == var.pw]}").unwrap();
        assert_eq!(r.value.to_json(), serde_json::json!([1]));
        assert!(
            r.sensitive.iter().any(|p| p.is_empty()),
            "{:?}",
            r.sensitive
        );
        assert!(!secret("${[for x in [\"a\", \"b\"] : x if x == var.env]}"));
    }

    #[test]
    fn try_and_can_say_nothing_about_a_secret_unmarked() {
        // whether a secret converts is something about the secret
        assert!(secret("${can(tonumber(var.pw))}"));
        assert_eq!(
            ev("${can(tonumber(var.pw))}").unwrap().value,
            Value::Bool(false)
        );
        assert!(secret("${can(var.pw)}"));
        assert!(secret("${try(tonumber(var.pw), 0)}"));
        assert!(!secret("${can(tonumber(var.env))}"));
        assert!(!secret("${try(tonumber(var.env), 0)}"));
        assert!(!secret("${try(0, tonumber(var.pw))}"));
        assert_eq!(ev("${can(t.u.id)}").unwrap().value, Value::Unknown);
    }

    #[test]
    fn splats() {
        let j = |s: &str| ev(s).unwrap().value.to_json();
        assert_eq!(j("${t.a.clusters[*].id}"), serde_json::json!(["c0", "c1"]));
        assert_eq!(j("${t.a.clusters.*.id}"), serde_json::json!(["c0", "c1"]));
        // `.*` takes only the attribute steps after it: the index picks one result
        assert_eq!(j("${t.a.clusters.*.id[1]}"), serde_json::json!("c1"));
        // `[*]` takes every step: the index applies to each element's id
        let e = ev("${t.a.clusters[*].id[1]}").unwrap_err();
        assert!(e.contains("cannot take index [1] of a string"), "{e}");
        assert_eq!(j("${null[*]}"), serde_json::json!([]));
        assert_eq!(j("${\"a\"[*]}"), serde_json::json!(["a"]));
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
