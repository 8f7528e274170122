//! The language's own keys, in one table: the top-level sections (`locals:` among them), a
//! variable's keys (and those of its validation rules), the meta-arguments of a resource or
//! data block (`count`, `for_each`, `clone`, `depends_on`, `lifecycle`,
//! `timeouts`), an output's keys and the backend's. For each: its name, its type and its doc
//! line. The loader (`config::load`) takes the keys it accepts and their types from here, the
//! formatter (`config::format`) its key order, the JSON Schema (`config::jsonschema`) its
//! properties, and the fuzz tests their vocabulary.
//!
//! Invariants: a key is listed once, in its canonical (formatter) order; a `null` value means
//! "not given" (for a variable's `default:` it is the default `null`); [`check`] is the only place a key's value is
//! type-checked, so the loader and the JSON Schema cannot disagree on what a key takes.

use crate::value::Value;

/// What a key takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `true` or `false`.
    Bool,
    /// Any text.
    Str,
    /// Text starting with one of these prefixes (a URL's scheme).
    Url(&'static [&'static str]),
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A duration such as `90s`, `10m` or `1h30m` (or a whole number of seconds), at most
    /// [`super::MAX_DURATION`].
    Duration,
    /// Any value, or an expression (`${…}`).
    Any,
    /// `count:` — a whole number ≥ 0, or an expression.
    Count,
    /// `for_each:` — a mapping, a list of strings (a set), or an expression.
    ForEach,
    /// A list of addresses (or one address).
    Addresses,
    /// One object's or block's address, written plainly: `type.name`, `type.name[0]`,
    /// `type.name["k"]`, `module.m.type.name`.
    Address,
    /// A list of the block's attribute names, or `all`.
    AttrNames,
    /// A mapping of the keys of a table.
    Table(&'static Table),
    /// A list of mappings of the keys of a table (`validation:`).
    List(&'static Table),
    /// A type constraint such as `list(string)` (`config::vars::types`).
    Type,
    /// A condition: an expression (`${…}`) that is true or false.
    Condition,
    /// `clone:` — a mapping of the type's clone arguments, or the source's id.
    Clone,
    /// A mapping of provider names to provider blocks (their keys are in `schema::providers`).
    Providers,
    /// A mapping of names to blocks of a table (`variables:`).
    Named(&'static Table),
    /// A mapping of names to values or expressions (`locals:`).
    Locals,
    /// A mapping of `<type>.<name>` to resource blocks.
    Resources,
    /// A mapping of `<type>.<name>` to data-source blocks.
    DataSources,
    /// A mapping of names to outputs: an expression, or a mapping of [`OUTPUT`]'s keys.
    Outputs,
    /// The backend: one of [`BACKENDS`], chosen by its `type:`.
    Backend,
    /// A mapping of names to module calls: [`MODULE`]'s keys beside the module's inputs.
    Modules,
}

/// One key of the language.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub doc: &'static str,
    /// Only in resource blocks (never in a data source's).
    pub resources_only: bool,
    /// Written after the block's arguments (the meta-arguments `depends_on`, `lifecycle`,
    /// `timeouts`), not before them (`clone`).
    pub after_arguments: bool,
    /// Must be given (in a [`Kind::List`] item).
    pub required: bool,
}

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        doc,
        resources_only: false,
        after_arguments: false,
        required: false,
    }
}

impl Key {
    const fn resources_only(self) -> Key {
        Key {
            resources_only: true,
            ..self
        }
    }

    const fn after_arguments(self) -> Key {
        Key {
            after_arguments: true,
            ..self
        }
    }

    const fn required(self) -> Key {
        Key {
            required: true,
            ..self
        }
    }
}

/// The keys of one kind of mapping, and what the mapping is called in messages.
#[derive(Debug, PartialEq)]
pub struct Table {
    /// "a variable", "lifecycle", …: as in `unknown key "x" in a variable`.
    pub what: &'static str,
    pub keys: &'static [Key],
}

impl Table {
    pub fn get(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().map(|k| k.name)
    }
}

/// The top-level sections, in the order `strata fmt` writes them.
#[rustfmt::skip]
pub static TOP: Table = Table {
    what: "the top level",
    keys: &[
        key("providers", Kind::Providers, "the provider blocks, by family (FAMILY) or alias (FAMILY.ALIAS)"),
        key("variables", Kind::Named(&VARIABLE), "the stack's input variables"),
        key("locals", Kind::Locals, "named values and expressions, used as ${local.NAME}"),
        key("backend", Kind::Backend, "where the state is kept"),
        key("resources", Kind::Resources, "managed objects, by <type>.<name>"),
        key("data", Kind::DataSources, "data sources, by <type>.<name>"),
        key("outputs", Kind::Outputs, "values shown after apply and by `strata output`"),
        key("modules", Kind::Modules, "calls of local modules, by name: { source: ./path, INPUT: value … }"),
        key("import", Kind::List(&IMPORT), "existing objects to adopt into the state when the plan is applied"),
        key("moved", Kind::List(&MOVED), "objects whose address changed: [ { from: ADDR, to: ADDR } ], moved in state without an API call"),
        key("removed", Kind::List(&REMOVED), "objects no longer in the config: [ { from: ADDR, lifecycle: { destroy: false } } ] forgets them"),
    ],
};

/// One entry of `moved:`.
#[rustfmt::skip]
pub static MOVED: Table = Table {
    what: "a moved entry",
    keys: &[
        key("from", Kind::Address, "the address the object had (type.name, type.name[0], module.m.type.name …)").required(),
        key("to", Kind::Address, "the address it has now").required(),
    ],
};

/// One entry of `removed:`.
#[rustfmt::skip]
pub static REMOVED: Table = Table {
    what: "a removed entry",
    keys: &[
        key("from", Kind::Address, "the address of the object (or block) no longer in the config").required(),
        key("lifecycle", Kind::Table(&REMOVED_LIFECYCLE), "whether the object is destroyed or forgotten"),
    ],
};

/// `lifecycle:` of a `removed:` entry.
#[rustfmt::skip]
pub static REMOVED_LIFECYCLE: Table = Table {
    what: "a removed entry's lifecycle",
    keys: &[
        key("destroy", Kind::Bool, "destroy the object (true, the default) or only forget it (false: no API call)"),
    ],
};

/// The meta-arguments of a module call, beside the module's input variables.
#[rustfmt::skip]
pub static MODULE: Table = Table {
    what: "a module call",
    keys: &[
        key("source", Kind::Str, "the module's directory, relative to this file (./path or ../path)").required(),
        key("count", Kind::Count, "call the module this many times, module.NAME[0] to [N-1]"),
        key("for_each", Kind::ForEach, "call the module once per key of a map or string of a set"),
        key("providers", Kind::Any, "provider configurations passed in: { alicloud: alicloud.dr }"),
        key("depends_on", Kind::Addresses, "addresses every object of the module waits for")
        .after_arguments(),
    ],
};

/// One entry of `import:`.
#[rustfmt::skip]
pub static IMPORT: Table = Table {
    what: "an import entry",
    keys: &[
        key("for_each", Kind::ForEach, "one import per key of a map or string of a set (each.key, each.value in to and id)"),
        key("to", Kind::Str, "the address to import into, e.g. alicloud_gpdb_instance.main or T.N[\"${each.key}\"]").required(),
        key("id", Kind::Any, "the object's id in the cloud").required(),
    ],
};

/// A variable's keys.
#[rustfmt::skip]
pub static VARIABLE: Table = Table {
    what: "a variable",
    keys: &[
        key("default", Kind::Any, "the value when none is given"),
        key("type", Kind::Type, "the value's type: string, number, bool, list(T), set(T), map(T), object({…}) or any"),
        key("sensitive", Kind::Bool, "never shown, logged or stored"),
        key("description", Kind::Str, "what the variable is for"),
        key("validation", Kind::List(&VALIDATION), "rules the value must meet, checked before planning"),
    ],
};

/// One rule of a variable's `validation:`.
#[rustfmt::skip]
pub static VALIDATION: Table = Table {
    what: "a validation rule",
    keys: &[
        key("condition", Kind::Condition, "an expression of the variable (${var.NAME}) that must be true").required(),
        key("error_message", Kind::Str, "the error shown when the condition is false").required(),
    ],
};

/// The meta-arguments of a resource or data block, beside the type's own arguments.
#[rustfmt::skip]
pub static BLOCK: Table = Table {
    what: "a block",
    keys: &[
        key("count", Kind::Count, "make this many instances, [0] to [N-1] (count.index in each)"),
        key("for_each", Kind::ForEach, "make one instance per key of a map or string of a set (each.key, each.value)"),
        key("clone", Kind::Clone, "make this object by cloning another (strata's clone action)")
        .resources_only(),
        key("provider", Kind::Str, "the provider configuration: FAMILY.ALIAS (default: the family's own block)"),
        key("depends_on", Kind::Addresses, "addresses this one waits for, besides those it refers to")
        .after_arguments(),
        key("lifecycle", Kind::Table(&LIFECYCLE), "how changes to this object are made")
        .resources_only()
        .after_arguments(),
        key("timeouts", Kind::Table(&TIMEOUTS), "how long each operation may take")
        .after_arguments(),
    ],
};

/// `lifecycle:` of a resource block.
#[rustfmt::skip]
pub static LIFECYCLE: Table = Table {
    what: "lifecycle",
    keys: &[
        key("prevent_destroy", Kind::Bool, "refuse any plan that would destroy or replace it"),
        key("create_before_destroy", Kind::Bool, "make the replacement before destroying the old object"),
        key("ignore_changes", Kind::AttrNames, "attributes whose changes are not planned (or all)"),
    ],
};

/// `timeouts:` of a block.
#[rustfmt::skip]
pub static TIMEOUTS: Table = Table {
    what: "timeouts",
    keys: &[
        key("create", Kind::Duration, "how long a create (or clone) may take"),
        key("update", Kind::Duration, "how long an update may take"),
        key("delete", Kind::Duration, "how long a delete may take"),
        key("read", Kind::Duration, "how long a read may take"),
    ],
};

/// An output's keys (the long form; the short form is the value alone).
#[rustfmt::skip]
pub static OUTPUT: Table = Table {
    what: "an output",
    keys: &[
        key("value", Kind::Any, "the value shown"),
        key("sensitive", Kind::Bool, "never shown (`strata output NAME` prints it)"),
        key("description", Kind::Str, "what the output is"),
    ],
};

/// The backends, by their `type:`.
pub static BACKENDS: &[(&str, &Table)] = &[("local", &LOCAL), ("postgres", &POSTGRES)];

/// The `local` backend's keys.
#[rustfmt::skip]
pub static LOCAL: Table = Table {
    what: "the backend",
    keys: &[
        key("type", Kind::OneOf(&["local"]), "the state in a local file"),
        key("path", Kind::Str, "the state file (default: state/<stack directory>.json)"),
    ],
};

/// The `postgres` backend's keys.
#[rustfmt::skip]
pub static POSTGRES: Table = Table {
    what: "the backend",
    keys: &[
        key("type", Kind::OneOf(&["postgres"]), "the state in PostgreSQL"),
        key("url", Kind::Url(&["postgres://", "postgresql://"]), "the database URL"),
    ],
};

/// Every table, for tests that walk them all.
pub fn tables() -> [&'static Table; 14] {
    [
        &TOP,
        &MOVED,
        &REMOVED,
        &REMOVED_LIFECYCLE,
        &MODULE,
        &IMPORT,
        &VARIABLE,
        &VALIDATION,
        &BLOCK,
        &LIFECYCLE,
        &TIMEOUTS,
        &OUTPUT,
        &LOCAL,
        &POSTGRES,
    ]
}

/// What a value of `kind` is, for "expected …" messages.
pub fn expected(kind: &Kind) -> String {
    match kind {
        Kind::Bool => "true or false".into(),
        Kind::Str => "a string".into(),
        Kind::Url(schemes) => format!("a URL starting with {}", schemes.join(" or ")),
        Kind::OneOf(words) => format!("one of {}", words.join(", ")),
        Kind::Duration => "a duration such as 30m".into(),
        Kind::Any => "a value".into(),
        Kind::Count => "a whole number ≥ 0 or an expression".into(),
        Kind::ForEach => "a mapping, a list of strings or an expression".into(),
        Kind::Addresses => "a list of addresses".into(),
        Kind::Address => "an address such as type.name".into(),
        Kind::AttrNames => "a list of attribute names".into(),
        Kind::Clone => "a mapping like { source: … }".into(),
        Kind::List(_) => "a list of mappings".into(),
        Kind::Type => "a type such as string, list(string) or map(number)".into(),
        Kind::Condition => "an expression that is true or false, written \"${…}\"".into(),
        Kind::Table(_)
        | Kind::Providers
        | Kind::Named(_)
        | Kind::Locals
        | Kind::Resources
        | Kind::DataSources
        | Kind::Outputs
        | Kind::Modules
        | Kind::Backend => "a mapping".into(),
    }
}

/// Check a scalar key's value against its kind: `Err` is the message (never naming the
/// value when it is not a word the language defines). Collections are checked by the loader,
/// which walks into them; `null` (not given) always passes.
pub fn check(kind: &Kind, v: &Value) -> Result<(), String> {
    let wrong = || Err(format!("expected {}, got a {}", expected(kind), v.kind()));
    match (kind, v) {
        (_, Value::Null) | (Kind::Any, _) => Ok(()),
        (Kind::Bool, Value::Bool(_)) | (Kind::Str, Value::String(_)) => Ok(()),
        (Kind::Url(schemes), Value::String(s)) => match schemes.iter().any(|p| s.starts_with(p)) {
            true => Ok(()),
            false => Err(format!("expected {}", expected(kind))),
        },
        (Kind::OneOf(words), Value::String(s)) => match words.contains(&s.as_str()) {
            true => Ok(()),
            false => Err(format!("\"{s}\" is not {}", expected(kind))),
        },
        (Kind::Duration, Value::String(s)) => super::parse_duration(s).map(|_| ()),
        (Kind::Address, Value::String(s)) => crate::address::Address::parse(s).map(|_| ()),
        (Kind::Duration, Value::Number(n)) => super::parse_duration(&n.to_string()).map(|_| ()),
        (Kind::Addresses, Value::List(_) | Value::String(_))
        | (Kind::AttrNames, Value::List(_))
        | (Kind::Clone, Value::Map(_) | Value::String(_) | Value::Number(_)) => Ok(()),
        (Kind::AttrNames, Value::String(s)) if s == "all" => Ok(()),
        (Kind::Count, Value::Number(n)) => match n.as_u64() {
            Some(_) => Ok(()),
            None => Err(format!("count must be a whole number ≥ 0, got {n}")),
        },
        (Kind::Count | Kind::ForEach, Value::String(s)) if s.contains("${") => Ok(()),
        (Kind::ForEach, Value::Map(_) | Value::List(_)) => Ok(()),
        (Kind::List(_), Value::List(_)) | (Kind::Condition, Value::String(_) | Value::Bool(_)) => {
            Ok(())
        }
        (Kind::Type, Value::String(s)) => super::vars::types::parse(s)
            .map(|_| ())
            .map_err(|e| format!("\"{s}\" is not a type: {e}")),
        (
            Kind::Table(_)
            | Kind::Providers
            | Kind::Named(_)
            | Kind::Locals
            | Kind::Resources
            | Kind::DataSources
            | Kind::Outputs
            | Kind::Modules
            | Kind::Backend,
            Value::Map(_),
        ) => Ok(()),
        _ => wrong(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_lists_a_key_once() {
        for t in tables() {
            let mut names: Vec<&str> = t.names().collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(names.len(), n, "{}", t.what);
            assert!(t.keys.iter().all(|k| !k.doc.is_empty()), "{}", t.what);
        }
    }

    #[test]
    fn values_are_checked_by_kind() {
        let s = |x: &str| Value::String(x.into());
        assert!(check(&Kind::Bool, &Value::Bool(true)).is_ok());
        assert!(check(&Kind::Bool, &Value::Null).is_ok());
        assert_eq!(
            check(&Kind::Bool, &s("maybe")).unwrap_err(),
            "expected true or false, got a string"
        );
        assert!(check(&Kind::Duration, &s("10m")).is_ok());
        assert!(check(&Kind::Duration, &s("0s")).is_err());
        assert!(check(&Kind::AttrNames, &s("all")).is_ok());
        assert!(check(&Kind::AttrNames, &s("name")).is_err());
        assert!(check(&Kind::Type, &s("map(list(string))")).is_ok());
        assert_eq!(
            check(&Kind::Type, &s("float")).unwrap_err(),
            "\"float\" is not a type: unknown type \"float\" at column 1: the types are: string, number, bool, any, list, set, map, object"
        );
        assert!(check(&Kind::List(&VALIDATION), &s("x")).is_err());
        assert!(check(&Kind::Condition, &Value::Bool(true)).is_ok());
        let url = Kind::Url(&["postgres://"]);
        assert!(check(&url, &s("postgres://h/db")).is_ok());
        assert!(check(&url, &s("mysql://h/db")).is_err());
    }
}
