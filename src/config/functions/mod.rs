//! The function library of the config language (`${upper(var.name)}`): one module per group
//! of functions (collections, strings, encoding, numbers, conversions, file) and one dispatch
//! table here, name → arity, unknown policy, sensitivity rule and implementation.
//! `try` and `can` are not here: they are special forms of the evaluator, which must catch
//! the evaluation errors of their arguments.
//!
//! Invariants: no function panics on any input (sizes are bounded, numbers checked, text
//! decoded without `unwrap`); an unknown argument makes an unknown result unless the function
//! does not need it; a sensitive argument makes a sensitive result (`sensitive` marks,
//! `nonsensitive` unmarks); every error names the function and the 1-based argument and says
//! what was expected.

mod args;
mod collections;
mod conversions;
mod encoding;
mod file;
mod numbers;
mod strings;

use crate::value::Value;
use args::A;

/// One argument or result: a value (`Value::Unknown` = known only after apply) and whether it is sensitive.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub value: Value,
    pub sensitive: bool,
}

/// What a function may need from outside: the stack directory (for `file`).
pub struct FnCx<'a> {
    pub dir: &'a std::path::Path,
}

/// When an unknown argument makes the result unknown without calling the function.
#[derive(Clone, Copy)]
enum Unknowns {
    /// The function needs every part of every argument: anything unknown anywhere → unknown.
    Deep,
    /// An argument that is itself unknown → unknown; unknowns inside lists and maps are the
    /// function's to handle (e.g. `length` of a list with unknown elements is known).
    Shallow,
    /// The function decides (e.g. `lookup` does not need its default when the key exists).
    Own,
}

/// How the result's sensitivity follows from the arguments'.
#[derive(Clone, Copy)]
enum Marks {
    /// Sensitive when any argument is.
    Propagate,
    /// Always sensitive (`sensitive`).
    Mark,
    /// Never sensitive (`nonsensitive`).
    Unmark,
}

type Imp = fn(&A<'_>) -> Result<Value, String>;

struct Def {
    name: &'static str,
    min: usize,
    /// `None`: any number of arguments from `min` on.
    max: Option<usize>,
    unknowns: Unknowns,
    marks: Marks,
    imp: Imp,
}

const fn def(name: &'static str, min: usize, max: Option<usize>, u: Unknowns, imp: Imp) -> Def {
    Def {
        name,
        min,
        max,
        unknowns: u,
        marks: Marks::Propagate,
        imp,
    }
}

use Unknowns::{Deep, Own, Shallow};

/// The dispatch table: one entry per function, in the order of the docs.
static TABLE: &[Def] = &[
    def("length", 1, Some(1), Shallow, collections::length),
    def("lookup", 2, Some(3), Own, collections::lookup),
    def("merge", 0, None, Shallow, collections::merge),
    def("concat", 0, None, Shallow, collections::concat),
    def("flatten", 1, Some(1), Shallow, collections::flatten),
    def("keys", 1, Some(1), Shallow, collections::keys),
    def("values", 1, Some(1), Shallow, collections::values),
    def("contains", 2, Some(2), Deep, collections::contains),
    def("coalesce", 1, None, Own, collections::coalesce),
    def("zipmap", 2, Some(2), Shallow, collections::zipmap),
    def("distinct", 1, Some(1), Deep, collections::distinct),
    def("sort", 1, Some(1), Deep, collections::sort),
    def("join", 2, None, Deep, strings::join),
    def("split", 2, Some(2), Deep, strings::split),
    def("format", 1, None, Deep, strings::format),
    def("lower", 1, Some(1), Deep, strings::lower),
    def("upper", 1, Some(1), Deep, strings::upper),
    def("replace", 3, Some(3), Deep, strings::replace),
    def("trimspace", 1, Some(1), Deep, strings::trimspace),
    def("substr", 3, Some(3), Deep, strings::substr),
    def("startswith", 2, Some(2), Deep, strings::startswith),
    def("endswith", 2, Some(2), Deep, strings::endswith),
    def("tostring", 1, Some(1), Deep, conversions::tostring),
    def("tonumber", 1, Some(1), Deep, conversions::tonumber),
    def("tobool", 1, Some(1), Deep, conversions::tobool),
    def("tolist", 1, Some(1), Shallow, conversions::tolist),
    def("toset", 1, Some(1), Deep, conversions::toset),
    def("tomap", 1, Some(1), Shallow, conversions::tomap),
    def("jsonencode", 1, Some(1), Deep, encoding::jsonencode),
    def("jsondecode", 1, Some(1), Deep, encoding::jsondecode),
    def("yamlencode", 1, Some(1), Deep, encoding::yamlencode),
    def("base64encode", 1, Some(1), Deep, encoding::base64encode),
    def("base64decode", 1, Some(1), Deep, encoding::base64decode),
    def("sha256", 1, Some(1), Deep, encoding::sha256),
    def("min", 1, None, Deep, numbers::min),
    def("max", 1, None, Deep, numbers::max),
    def("abs", 1, Some(1), Deep, numbers::abs),
    def("range", 1, Some(3), Deep, numbers::range),
    Def {
        marks: Marks::Mark,
        ..def("sensitive", 1, Some(1), Own, conversions::identity)
    },
    Def {
        marks: Marks::Unmark,
        ..def("nonsensitive", 1, Some(1), Own, conversions::identity)
    },
    def("file", 1, Some(1), Deep, file::file),
];

/// Every function name (for "did you mean" and the docs).
pub fn names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| TABLE.iter().map(|d| d.name).collect())
}

/// How the function `name` treats unknown arguments (docs/functions.md says it for each):
/// `"deep"` — an unknown anywhere in an argument makes the result unknown; `"shallow"` — only
/// an argument that is itself unknown does; `"own"` — the function decides.
pub fn unknown_policy(name: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|d| d.name == name)
        .map(|d| match d.unknowns {
            Deep => "deep",
            Shallow => "shallow",
            Own => "own",
        })
}

/// Call the function `name` (every function of issue 15's list except `try` and `can`, which are
/// special forms of the evaluator because they catch evaluation errors of their arguments).
/// An unknown argument makes an unknown result unless the function does not need it; a sensitive
/// argument makes a sensitive result (`sensitive(x)` marks, `nonsensitive(x)` unmarks).
pub fn call(name: &str, args: Vec<Arg>, cx: &FnCx<'_>) -> Result<Arg, String> {
    let Some(d) = TABLE.iter().find(|d| d.name == name) else {
        return Err(format!("there is no function named \"{name}\""));
    };
    check_arity(d, args.len())?;
    let sensitive = match d.marks {
        Marks::Propagate => args.iter().any(|a| a.sensitive),
        Marks::Mark => true,
        Marks::Unmark => false,
    };
    let values: Vec<Value> = args.into_iter().map(|a| a.value).collect();
    let unknown = match d.unknowns {
        Deep => values.iter().any(Value::has_unknown),
        Shallow => values.iter().any(|v| matches!(v, Value::Unknown)),
        Own => false,
    };
    if unknown {
        return Ok(Arg {
            value: Value::Unknown,
            sensitive,
        });
    }
    let value = (d.imp)(&A {
        f: d.name,
        args: &values,
        cx,
    })?;
    Ok(Arg { value, sensitive })
}

fn check_arity(d: &Def, n: usize) -> Result<(), String> {
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    match d.max {
        Some(max) if d.min == max && n != max => Err(format!(
            "{}: expects {max} argument{}, got {n}",
            d.name,
            plural(max)
        )),
        Some(max) if n < d.min || n > max => Err(format!(
            "{}: expects {} to {max} arguments, got {n}",
            d.name, d.min
        )),
        None if n < d.min => Err(format!(
            "{}: expects at least {} argument{}, got {n}",
            d.name,
            d.min,
            plural(d.min)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
