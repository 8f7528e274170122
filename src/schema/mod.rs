//! Resource-type schemas: attribute types, which arguments are required / optional / computed,
//! which changes force a replacement, which are sensitive, and the APIs' documented value rules.
//! One checker (`check`) serves validate, plan and apply; diff and rendering read the same data.

pub mod alicloud;
pub mod commvault;
pub mod huaweicloud;
pub mod providers;
mod rules;

pub use rules::Rule;

use crate::value::{key, Map, Path, PathSeg, Value};

/// The type of an attribute value.
#[derive(Debug, Clone, Copy)]
pub enum Type {
    String,
    Int,
    Bool,
    List(&'static Type),
    Map(&'static Type),
    Object(&'static [Attr]),
}

impl Type {
    pub fn describe(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Int => "integer".into(),
            Type::Bool => "bool".into(),
            Type::List(t) => format!("list of {}", t.describe()),
            Type::Map(t) => format!("map of {}", t.describe()),
            Type::Object(attrs) => format!(
                "object {{{}}}",
                attrs.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    /// Required when the resource is created from scratch; optional (taken from the source)
    /// when it is cloned.
    RequiredForCreate,
    Optional,
    /// Set by the cloud only.
    Computed,
    /// The user may set it; otherwise the cloud does.
    OptionalComputed,
}

#[derive(Debug, Clone, Copy)]
pub enum Default {
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

impl Default {
    pub fn value(&self) -> Value {
        match self {
            Default::Str(s) => Value::str(*s),
            Default::Int(i) => Value::int(*i),
            Default::Bool(b) => Value::Bool(*b),
        }
    }
}

/// When a change of an attribute cannot be made in place; the text says why (the API has no
/// operation that changes it, or the operation cannot do this change), in the plan's words.
#[derive(Debug, Clone, Copy)]
pub enum Replace {
    /// Changed in place (or, for a type with no update at all, by `Schema::updatable`).
    InPlace,
    /// Every change replaces the object.
    Always(&'static str),
    /// A change replaces the object when the test of (before, after) holds.
    When(fn(&Value, &Value) -> bool, &'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub mode: Mode,
    /// Whether (and why) a change of this argument cannot be made in place.
    pub replace: Replace,
    /// Never shown, logged or stored: state keeps a keyed fingerprint instead.
    pub sensitive: bool,
    /// A computed attribute that the cloud changes on every update (e.g. `updated`).
    pub volatile: bool,
    pub default: Option<Default>,
    pub rules: &'static [Rule],
    pub description: &'static str,
}

impl Attr {
    pub const fn new(name: &'static str, ty: Type, mode: Mode) -> Attr {
        Attr {
            name,
            ty,
            mode,
            replace: Replace::InPlace,
            sensitive: false,
            volatile: false,
            default: None,
            rules: &[],
            description: "",
        }
    }
    /// Every change of it replaces the object; `why` says why the API cannot change it in
    /// place (shown in plans).
    pub const fn force_new(mut self, why: &'static str) -> Attr {
        self.replace = Replace::Always(why);
        self
    }
    /// A change replaces the object when `test(before, after)` holds (e.g. shrinking what the
    /// API can only grow); other changes are made in place.
    pub const fn replace_when(
        mut self,
        test: fn(&Value, &Value) -> bool,
        why: &'static str,
    ) -> Attr {
        self.replace = Replace::When(test, why);
        self
    }
    /// Why a change of this attribute from `before` to `after` replaces the object, if it
    /// does. An unknown or missing side counts as a change that may replace.
    pub fn forces_replace(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> Option<&'static str> {
        match self.replace {
            Replace::InPlace => None,
            Replace::Always(why) => Some(why),
            Replace::When(test, why) => match (before, after) {
                (Some(b), Some(a)) if !a.has_unknown() && !b.has_unknown() => {
                    test(b, a).then_some(why)
                }
                _ => Some(why),
            },
        }
    }
    /// Whether some change of it can replace the object.
    pub fn may_replace(&self) -> bool {
        !matches!(self.replace, Replace::InPlace)
    }
    /// Whether every change of it replaces the object.
    pub fn always_replaces(&self) -> bool {
        matches!(self.replace, Replace::Always(_))
    }
    pub const fn sensitive(mut self) -> Attr {
        self.sensitive = true;
        self
    }
    pub const fn volatile(mut self) -> Attr {
        self.volatile = true;
        self
    }
    pub const fn default(mut self, d: Default) -> Attr {
        self.default = Some(d);
        self
    }
    pub const fn rules(mut self, r: &'static [Rule]) -> Attr {
        self.rules = r;
        self
    }
    pub const fn doc(mut self, d: &'static str) -> Attr {
        self.description = d;
        self
    }
    pub fn settable(&self) -> bool {
        self.mode != Mode::Computed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Resource,
    DataSource,
    Provider,
}

/// The action that makes a new object of a type (`Verb::Create` — or `Verb::Clone` when the
/// config says `clone:` — or `Verb::Bind` for a binding type): the one verb vocabulary.
pub use crate::verb::Verb;

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub create_s: u64,
    pub update_s: u64,
    pub delete_s: u64,
}

#[derive(Debug)]
pub struct Schema {
    pub type_name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub attrs: &'static [Attr],
    pub verb: Verb,
    /// Arguments of the `clone:` block, when the type can be cloned.
    pub clone: Option<&'static [Attr]>,
    /// Whether any argument can change in place (otherwise every change replaces).
    pub updatable: bool,
    /// Groups of arguments of which exactly one must be set (e.g. a look-up by id or name).
    pub exactly_one_of: &'static [&'static [&'static str]],
    pub timeouts: Timeouts,
}

impl Timeouts {
    /// The same deadline for every operation.
    pub const fn all(secs: u64) -> Timeouts {
        Timeouts {
            create_s: secs,
            update_s: secs,
            delete_s: secs,
        }
    }
}

impl Schema {
    /// A data source: read, never created; reads time out after five minutes.
    pub const fn data_source(
        type_name: &'static str,
        description: &'static str,
        attrs: &'static [Attr],
        exactly_one_of: &'static [&'static [&'static str]],
    ) -> Schema {
        Schema {
            type_name,
            kind: Kind::DataSource,
            description,
            attrs,
            verb: Verb::Create,
            clone: None,
            updatable: false,
            exactly_one_of,
            timeouts: Timeouts::all(300),
        }
    }

    /// The settings of a `providers:` block.
    pub const fn provider(
        type_name: &'static str,
        description: &'static str,
        attrs: &'static [Attr],
    ) -> Schema {
        Schema {
            type_name,
            kind: Kind::Provider,
            description,
            attrs,
            verb: Verb::Create,
            clone: None,
            updatable: false,
            exactly_one_of: &[],
            timeouts: Timeouts::all(0),
        }
    }

    pub fn attr(&self, name: &str) -> Option<&'static Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Paths of every sensitive attribute, nested objects included.
    pub fn sensitive_paths(&self) -> Vec<Path> {
        fn walk(attrs: &[Attr], prefix: &mut Path, out: &mut Vec<Path>) {
            for a in attrs {
                prefix.push(key(a.name));
                if a.sensitive {
                    out.push(prefix.clone());
                } else if let Type::Object(inner) = a.ty {
                    walk(inner, prefix, out);
                }
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        walk(self.attrs, &mut Vec::new(), &mut out);
        out
    }

    /// Fill in schema defaults for arguments the config leaves out.
    pub fn apply_defaults(&self, args: &mut Map) {
        for a in self.attrs {
            if let Some(d) = a.default {
                args.entry(a.name.to_string()).or_insert_with(|| d.value());
            }
        }
    }
}

/// A problem found by [`check`]: the attribute path and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: Path,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    fn new(path: &Path, message: impl Into<String>) -> Problem {
        Problem {
            path: path.clone(),
            message: message.into(),
            hint: None,
        }
    }
}

/// Check arguments against a schema, coercing scalars where users expect it (`"4"` for an
/// integer, `4` for a string). Unknown values pass: they are checked again once known.
/// `cloning` says whether the object is made by `clone:` (relaxing `RequiredForCreate`).
pub fn check(schema: &Schema, args: &mut Map, cloning: bool) -> Vec<Problem> {
    check_masked(schema, args, cloning, &[])
}

/// [`check`], where `sensitive` lists the paths (within `args`) of values derived from
/// sensitive inputs: like attributes the schema marks sensitive, their problems are described
/// without showing them.
pub fn check_masked(
    schema: &Schema,
    args: &mut Map,
    cloning: bool,
    sensitive: &[Path],
) -> Vec<Problem> {
    let mut problems = check_attrs(schema.attrs, args, cloning, sensitive);
    for group in schema.exactly_one_of {
        let set: Vec<&str> = group
            .iter()
            .copied()
            .filter(|n| args.get(*n).is_some_and(|v| !v.is_null()))
            .collect();
        if set.len() != 1 {
            let names = group.join(" or ");
            let msg = if set.is_empty() {
                format!("one of {names} is required")
            } else {
                format!("only one of {names} may be set (found {})", set.join(", "))
            };
            problems.push(Problem::new(&Vec::new(), msg));
        }
    }
    problems
}

/// Check a map of arguments against `attrs` (a schema's, or its `clone:` block's).
pub(crate) fn check_attrs(
    attrs: &[Attr],
    args: &mut Map,
    cloning: bool,
    sensitive: &[Path],
) -> Vec<Problem> {
    let mut c = Checker {
        cloning,
        sensitive,
        path: Vec::new(),
        problems: Vec::new(),
    };
    c.attrs(attrs, args, false);
    c.problems
}

/// One walk of [`check_attrs`]: where it is, and what it found.
struct Checker<'a> {
    cloning: bool,
    sensitive: &'a [Path],
    path: Path,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, message: impl Into<String>) -> &mut Problem {
        self.problems.push(Problem::new(&self.path, message));
        self.problems.last_mut().expect("just pushed")
    }

    /// Whether the value at the current path is, holds or is part of a sensitive value.
    fn sensitive_here(&self) -> bool {
        self.sensitive
            .iter()
            .any(|s| s.starts_with(&self.path) || self.path.starts_with(s))
    }

    fn attrs(&mut self, attrs: &[Attr], args: &mut Map, masked: bool) {
        for name in args.keys() {
            if attrs.iter().all(|a| a.name != name) {
                self.path.push(key(name));
                let hint = suggest(name, attrs.iter().filter(|a| a.settable()).map(|a| a.name))
                    .unwrap_or_else(|| {
                        format!(
                            "valid arguments here: {}",
                            attrs
                                .iter()
                                .filter(|a| a.settable())
                                .map(|a| a.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    });
                self.problem("unknown argument").hint = Some(hint);
                self.path.pop();
            }
        }
        for a in attrs {
            self.path.push(key(a.name));
            let present = args.get(a.name).is_some_and(|v| !v.is_null());
            match a.mode {
                Mode::Computed if present => {
                    self.problem("is computed by the cloud and cannot be set");
                }
                Mode::Required if !present => {
                    self.problem("missing required argument");
                }
                Mode::RequiredForCreate if !present && !self.cloning => {
                    self.problem("missing required argument").hint =
                        Some("it may be left out only when the resource is made by clone:".into());
                }
                _ => {}
            }
            if present && a.mode != Mode::Computed {
                if let Some(v) = args.get_mut(a.name) {
                    self.value(a, &a.ty, v, masked || a.sensitive, true);
                }
                self.beside(attrs, a, args, masked);
            }
            self.path.pop();
        }
    }

    /// The rules of `a` that compare it with the arguments beside it (its value checked and
    /// converted already). A message shows neither value when either is sensitive.
    fn beside(&mut self, attrs: &[Attr], a: &Attr, args: &Map, masked: bool) {
        let Some(v) = args.get(a.name) else { return };
        for rule in a.rules {
            let Rule::DiffersFrom { other, .. } = rule else {
                continue;
            };
            let mut other_path = self.path.clone();
            other_path.pop();
            other_path.push(key(other));
            let hidden = masked
                || a.sensitive
                || self.sensitive_here()
                || attrs.iter().any(|o| o.name == *other && o.sensitive)
                || self.sensitive.iter().any(|s| other_path.starts_with(s));
            if let Some(msg) = rule.check_beside(v, args, hidden) {
                self.problem(msg);
            }
        }
    }

    fn value(&mut self, attr: &Attr, ty: &Type, v: &mut Value, masked: bool, top: bool) {
        if matches!(v, Value::Unknown) {
            return;
        }
        let masked = masked || self.sensitive_here();
        match coerce(ty, v) {
            Err(_) if masked => {
                let msg = format!("expected {}, got a sensitive {}", ty.describe(), v.kind());
                self.problem(msg);
                return;
            }
            Err(msg) => {
                self.problem(msg);
                return;
            }
            Ok(Some(c)) => *v = c,
            Ok(None) => {}
        }
        match (ty, &mut *v) {
            (Type::List(inner), Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.path.push(PathSeg::Index(i));
                    self.value(attr, inner, item, masked, false);
                    self.path.pop();
                }
            }
            (Type::Map(inner), Value::Map(m)) => {
                for (k, item) in m.iter_mut() {
                    self.path.push(key(k));
                    self.value(attr, inner, item, masked, false);
                    self.path.pop();
                }
            }
            (Type::Object(inner), Value::Map(m)) => self.attrs(inner, m, masked),
            _ => {}
        }
        if top {
            for rule in attr.rules {
                if let Some(msg) = rule.check(v, self.cloning, masked) {
                    self.problem(msg);
                }
            }
        }
    }
}

/// Convert a value to `ty` where the conversion is unambiguous. `Ok(None)`: already right.
pub fn coerce(ty: &Type, v: &Value) -> Result<Option<Value>, String> {
    let wrong = || Err(format!("expected {}, got {}", ty.describe(), v.kind()));
    match (ty, v) {
        (_, Value::Unknown) => Ok(None),
        (Type::String, Value::String(_)) => Ok(None),
        (Type::String, Value::Number(n)) => Ok(Some(Value::String(n.to_string()))),
        (Type::String, Value::Bool(b)) => Ok(Some(Value::String(b.to_string()))),
        (Type::Int, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(None),
        (Type::Int, Value::Number(n)) => Err(format!("expected an integer, got {n}")),
        (Type::Int, Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Some(Value::int(i))),
            Err(_) => Err(format!("expected an integer, got \"{s}\"")),
        },
        (Type::Bool, Value::Bool(_)) => Ok(None),
        (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Some(Value::Bool(s == "true")))
        }
        (Type::List(_), Value::List(_)) => Ok(None),
        (Type::Map(_), Value::Map(_)) | (Type::Object(_), Value::Map(_)) => Ok(None),
        _ => wrong(),
    }
}

/// "did you mean …?" by edit distance.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let best = candidates
        .map(|c| (strsim(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)?;
    Some(format!("did you mean \"{}\"?", best.1))
}

fn strsim(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The schemas of each provider family, derived from the one list (`family_list`).
macro_rules! family_schemas {
    ($($family:ident),*) => {
        static FAMILIES: &[&[&Schema]] = &[$($family::SCHEMAS),*];
    };
}
crate::family_list::with_families!(family_schemas);

/// Every resource and data-source schema strata knows.
pub fn all() -> impl Iterator<Item = &'static Schema> {
    FAMILIES.iter().flat_map(|f| f.iter().copied())
}

/// The schema of an address: a data source's or a resource type's.
pub fn for_address(addr: &crate::address::Address) -> Option<&'static Schema> {
    if addr.is_data() {
        data_source(&addr.ty)
    } else {
        resource(&addr.ty)
    }
}

pub fn resource(ty: &str) -> Option<&'static Schema> {
    all().find(|s| s.kind == Kind::Resource && s.type_name == ty)
}

pub fn data_source(ty: &str) -> Option<&'static Schema> {
    all().find(|s| s.kind == Kind::DataSource && s.type_name == ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute of a set, nested ones (objects, lists of objects) too, with its path.
    fn every_attr(prefix: &str, attrs: &'static [Attr], out: &mut Vec<(String, &'static Attr)>) {
        for a in attrs {
            let path = format!("{prefix}.{}", a.name);
            let nested = match a.ty {
                Type::Object(inner) => Some(inner),
                Type::List(Type::Object(inner)) | Type::Map(Type::Object(inner)) => Some(*inner),
                _ => None,
            };
            if let Some(inner) = nested {
                every_attr(&path, inner, out);
            }
            out.push((path, a));
        }
    }

    #[test]
    fn every_attribute_says_what_it_is() {
        let mut attrs = Vec::new();
        for s in all().chain(providers::PROVIDERS.iter().copied()) {
            every_attr(s.type_name, s.attrs, &mut attrs);
            if let Some(clone) = s.clone {
                every_attr(&format!("{}.clone", s.type_name), clone, &mut attrs);
            }
            assert!(!s.description.is_empty(), "{}", s.type_name);
        }
        let missing: Vec<&str> = attrs
            .iter()
            .filter(|(_, a)| a.description.trim().is_empty())
            .map(|(p, _)| p.as_str())
            .collect();
        assert!(
            missing.is_empty(),
            "{} attributes without a description:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }

    fn map(j: serde_json::Value) -> Map {
        match Value::from_json(&j) {
            Value::Map(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn template_schema_reports_every_problem() {
        let s = resource("huaweicloud_rds_parameter_template").unwrap();
        let mut args = map(serde_json::json!({
            "name": "bad name!",
            "description": "a<b",
            "datastore": {"type": "Oracle"},
            "nmae": 1,
            "values": {"max_connections": 10}
        }));
        let problems = check(s, &mut args, false);
        let paths: Vec<String> = problems
            .iter()
            .map(|p| crate::value::path_string(&p.path))
            .collect();
        assert!(paths.contains(&"nmae".to_string()), "{problems:?}");
        assert!(paths.contains(&"name".to_string()));
        assert!(paths.contains(&"description".to_string()));
        assert!(paths.contains(&"datastore.type".to_string()));
        assert!(paths.contains(&"datastore.version".to_string()));
        let hint = problems
            .iter()
            .find(|p| p.path == vec![key("nmae")])
            .unwrap();
        assert_eq!(hint.hint.as_deref(), Some("did you mean \"name\"?"));
        // the integer value in the string map was coerced, not refused
        assert_eq!(
            args["values"].get("max_connections"),
            Some(&Value::str("10"))
        );
    }

    #[test]
    fn problems_of_sensitive_values_never_show_them() {
        static ATTRS: &[Attr] = &[
            Attr::new("secret", Type::String, Mode::Optional)
                .sensitive()
                .rules(&[Rule::OneOf(&["a"])]),
            Attr::new("count", Type::Int, Mode::Optional),
        ];
        let args = || map(serde_json::json!({"secret": "Zq7-1", "count": "Zq7-2"}));
        let messages = |sensitive: &[Path]| -> Vec<String> {
            let probs = check_attrs(ATTRS, &mut args(), false, sensitive);
            probs.into_iter().map(|p| p.message).collect()
        };
        // the schema's sensitive attribute is masked; a plain one shows its value…
        assert_eq!(
            messages(&[]),
            [
                "the sensitive value is not one of: a",
                "expected an integer, got \"Zq7-2\""
            ]
        );
        // …unless it derives from a sensitive input
        assert_eq!(
            messages(&[vec![key("count")]]),
            [
                "the sensitive value is not one of: a",
                "expected integer, got a sensitive string"
            ]
        );
    }

    #[test]
    fn clone_relaxes_required_for_create() {
        let s = resource("huaweicloud_rds_parameter_template").unwrap();
        let mut args = map(serde_json::json!({"name": "copy"}));
        assert!(check(s, &mut args, true).is_empty());
        assert_eq!(check(s, &mut args, false).len(), 1);
    }

    #[test]
    fn computed_cannot_be_set_and_unknown_passes() {
        let s = resource("huaweicloud_rds_parameter_template").unwrap();
        let mut args = map(serde_json::json!({"name": "x", "id": "abc"}));
        args.insert("description".into(), Value::Unknown);
        let p = check(s, &mut args, true);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("computed"));
    }

    #[test]
    fn a_replace_says_why_and_a_conditional_one_asks_its_test() {
        fn shrinks(before: &Value, after: &Value) -> bool {
            matches!((before.as_i64(), after.as_i64()), (Some(b), Some(a)) if a < b)
        }
        let grows =
            Attr::new("size", Type::Int, Mode::Optional).replace_when(shrinks, "it only grows");
        let (ten, five) = (Value::int(10), Value::int(5));
        assert_eq!(grows.forces_replace(Some(&five), Some(&ten)), None);
        assert_eq!(
            grows.forces_replace(Some(&ten), Some(&five)),
            Some("it only grows")
        );
        assert_eq!(
            grows.forces_replace(Some(&ten), Some(&Value::Unknown)),
            Some("it only grows")
        );
        assert!(grows.may_replace() && !grows.always_replaces());
        let fixed = Attr::new("zone", Type::String, Mode::Required).force_new("fixed");
        assert_eq!(fixed.forces_replace(Some(&ten), Some(&ten)), Some("fixed"));
        assert!(fixed.always_replaces());
        let free = Attr::new("d", Type::String, Mode::Optional);
        assert_eq!(free.forces_replace(Some(&ten), Some(&five)), None);
        assert!(!free.may_replace());
    }

    #[test]
    fn coercions() {
        assert_eq!(
            coerce(&Type::Int, &Value::str("4")).unwrap(),
            Some(Value::int(4))
        );
        assert!(coerce(&Type::Int, &Value::str("four")).is_err());
        assert!(coerce(&Type::String, &Value::List(vec![])).is_err());
    }

    #[test]
    fn data_source_needs_exactly_one_of_id_or_name() {
        let s = data_source("huaweicloud_rds_parameter_template").unwrap();
        assert_eq!(check(s, &mut Map::new(), false).len(), 1);
        let mut both = map(serde_json::json!({"id": "a", "name": "b"}));
        assert_eq!(check(s, &mut both, false).len(), 1);
    }
}
