//! Unit tests of the function library: for every function a normal case, an error case, and
//! unknown and sensitive arguments; hostile inputs that must not panic.

use super::{call, names, Arg, FnCx};
use crate::value::Value;
use serde_json::json;

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j)
}

fn k(j: serde_json::Value) -> Arg {
    Arg {
        value: v(j),
        sensitive: false,
    }
}

fn secret(j: serde_json::Value) -> Arg {
    Arg {
        value: v(j),
        sensitive: true,
    }
}

fn unknown() -> Arg {
    Arg {
        value: Value::Unknown,
        sensitive: false,
    }
}

fn run(name: &str, args: Vec<Arg>) -> Result<Arg, String> {
    call(
        name,
        args,
        &FnCx {
            dir: std::path::Path::new("."),
        },
    )
}

/// The value of a call that must succeed without sensitivity.
fn ok(name: &str, args: Vec<Arg>) -> Value {
    let r = run(name, args).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!r.sensitive, "{name}: unexpectedly sensitive");
    r.value
}

fn err(name: &str, args: Vec<Arg>) -> String {
    match run(name, args) {
        Ok(r) => panic!("{name}: expected an error, got {:?}", r.value),
        Err(e) => {
            assert!(e.starts_with(&format!("{name}: ")), "{e}");
            e
        }
    }
}

/// A call with one unknown argument (at `at`, the others as given) is unknown.
fn unknown_at(name: &str, mut args: Vec<Arg>, at: usize) {
    args[at] = unknown();
    assert_eq!(
        run(name, args).map(|a| a.value),
        Ok(Value::Unknown),
        "{name}"
    );
}

/// A call with one sensitive argument is sensitive and otherwise the same.
fn sensitive_at(name: &str, args: Vec<Arg>, at: usize) {
    let plain = run(name, args.clone()).map(|a| a.value);
    let mut marked = args;
    marked[at].sensitive = true;
    let r = run(name, marked).expect("a result");
    assert!(r.sensitive, "{name}: not sensitive");
    assert_eq!(Ok(r.value), plain, "{name}");
}

/// The four checks of one function: the normal case, unknown and sensitive arguments.
fn all(name: &str, args: Vec<Arg>, want: serde_json::Value) {
    assert_eq!(ok(name, args.clone()), v(want), "{name}");
    for i in 0..args.len() {
        unknown_at(name, args.clone(), i);
        sensitive_at(name, args.clone(), i);
    }
}

#[test]
fn every_name_is_callable_and_listed_once() {
    let mut seen = std::collections::BTreeSet::new();
    for n in names() {
        assert!(seen.insert(*n), "{n} listed twice");
    }
    assert_eq!(names().len(), 41);
    assert!(!names().contains(&"try") && !names().contains(&"can"));
}

#[test]
fn an_unknown_function_and_wrong_arity_are_errors() {
    assert_eq!(
        run("nope", vec![]).unwrap_err(),
        "there is no function named \"nope\""
    );
    assert_eq!(err("upper", vec![]), "upper: expects 1 argument, got 0");
    assert_eq!(
        err("lookup", vec![k(json!({}))]),
        "lookup: expects 2 to 3 arguments, got 1"
    );
    assert_eq!(
        err("join", vec![k(json!(","))]),
        "join: expects at least 2 arguments, got 1"
    );
}

#[test]
fn length() {
    all("length", vec![k(json!([1, 2, 3]))], json!(3));
    assert_eq!(ok("length", vec![k(json!("héllo"))]), Value::int(5));
    assert_eq!(ok("length", vec![k(json!({"a": 1}))]), Value::int(1));
    let with_unknown = Arg {
        value: Value::List(vec![Value::Unknown, Value::int(1)]),
        sensitive: false,
    };
    assert_eq!(ok("length", vec![with_unknown]), Value::int(2));
    assert_eq!(
        err("length", vec![k(json!(5))]),
        "length: argument 1 must be a string, a list or a map, got a number"
    );
}

#[test]
fn lookup() {
    all("lookup", vec![k(json!({"a": 1})), k(json!("a"))], json!(1));
    assert_eq!(
        ok(
            "lookup",
            vec![k(json!({"a": 1})), k(json!("b")), k(json!(0))]
        ),
        Value::int(0)
    );
    // The default is not needed when the key exists: an unknown default leaves the result known.
    assert_eq!(
        ok("lookup", vec![k(json!({"a": 1})), k(json!("a")), unknown()]),
        Value::int(1)
    );
    assert_eq!(
        ok("lookup", vec![k(json!({})), k(json!("a")), unknown()]),
        Value::Unknown
    );
    unknown_at(
        "lookup",
        vec![k(json!({"a": 1})), k(json!("a")), k(json!(0))],
        0,
    );
    unknown_at(
        "lookup",
        vec![k(json!({"a": 1})), k(json!("a")), k(json!(0))],
        1,
    );
    assert!(err("lookup", vec![k(json!({})), k(json!("a"))]).contains("no key \"a\""));
    assert_eq!(
        err("lookup", vec![k(json!([])), k(json!("a"))]),
        "lookup: argument 1 must be a map, got a list"
    );
}

#[test]
fn merge_and_concat() {
    all(
        "merge",
        vec![k(json!({"a": 1, "b": 1})), k(json!({"b": 2}))],
        json!({"a": 1, "b": 2}),
    );
    assert_eq!(ok("merge", vec![]), v(json!({})));
    assert_eq!(
        ok("merge", vec![k(json!(null)), k(json!({"a": 1}))]),
        v(json!({"a": 1}))
    );
    assert_eq!(
        err("merge", vec![k(json!({})), k(json!(1))]),
        "merge: argument 2 must be a map, got a number"
    );
    all(
        "concat",
        vec![k(json!([1])), k(json!([2, 3]))],
        json!([1, 2, 3]),
    );
    assert_eq!(
        err("concat", vec![k(json!("x"))]),
        "concat: argument 1 must be a list, got a string"
    );
}

#[test]
fn flatten() {
    all(
        "flatten",
        vec![k(json!([[1, [2]], [], 3]))],
        json!([1, 2, 3]),
    );
    let inner_unknown = Arg {
        value: Value::List(vec![Value::List(vec![Value::Unknown])]),
        sensitive: false,
    };
    assert_eq!(ok("flatten", vec![inner_unknown]), Value::Unknown);
    assert_eq!(
        err("flatten", vec![k(json!({}))]),
        "flatten: argument 1 must be a list, got a map"
    );
    let mut deep = Value::List(vec![]);
    for _ in 0..300 {
        deep = Value::List(vec![deep]);
    }
    let e = err(
        "flatten",
        vec![Arg {
            value: deep,
            sensitive: false,
        }],
    );
    assert!(e.contains("nested more than"), "{e}");
}

#[test]
fn keys_values_contains() {
    all("keys", vec![k(json!({"b": 1, "a": 2}))], json!(["a", "b"]));
    all("values", vec![k(json!({"b": 1, "a": 2}))], json!([2, 1]));
    assert_eq!(
        err("keys", vec![k(json!([]))]),
        "keys: argument 1 must be a map, got a list"
    );
    assert_eq!(
        err("values", vec![k(json!("x"))]),
        "values: argument 1 must be a map, got a string"
    );
    all(
        "contains",
        vec![k(json!(["a", "b"])), k(json!("b"))],
        json!(true),
    );
    assert_eq!(
        ok("contains", vec![k(json!([1.0])), k(json!(1))]),
        Value::Bool(true)
    );
    assert_eq!(
        ok("contains", vec![k(json!([])), k(json!(1))]),
        Value::Bool(false)
    );
    let partly = Arg {
        value: Value::List(vec![Value::Unknown]),
        sensitive: false,
    };
    assert_eq!(ok("contains", vec![partly, k(json!(1))]), Value::Unknown);
    assert_eq!(
        err("contains", vec![k(json!(1)), k(json!(1))]),
        "contains: argument 1 must be a list, got a number"
    );
}

#[test]
fn coalesce() {
    assert_eq!(
        ok(
            "coalesce",
            vec![k(json!(null)), k(json!("")), k(json!("a"))]
        ),
        v(json!("a"))
    );
    assert_eq!(
        ok("coalesce", vec![k(json!("a")), unknown()]),
        v(json!("a"))
    );
    assert_eq!(
        ok("coalesce", vec![k(json!(null)), unknown(), k(json!("a"))]),
        Value::Unknown
    );
    sensitive_at("coalesce", vec![k(json!(null)), k(json!("a"))], 0);
    assert_eq!(
        err("coalesce", vec![k(json!(null))]),
        "coalesce: no argument is non-null and non-empty"
    );
}

#[test]
fn zipmap_distinct_sort() {
    all(
        "zipmap",
        vec![k(json!(["a", "b"])), k(json!([1, 2]))],
        json!({"a": 1, "b": 2}),
    );
    let vals = Arg {
        value: Value::List(vec![Value::Unknown]),
        sensitive: false,
    };
    assert_eq!(
        ok("zipmap", vec![k(json!(["a"])), vals]),
        Value::Map([("a".into(), Value::Unknown)].into())
    );
    let keys = Arg {
        value: Value::List(vec![Value::Unknown]),
        sensitive: false,
    };
    assert_eq!(ok("zipmap", vec![keys, k(json!([1]))]), Value::Unknown);
    assert!(
        err("zipmap", vec![k(json!(["a"])), k(json!([]))]).contains("1 keys but argument 2 has 0")
    );
    all(
        "distinct",
        vec![k(json!(["b", "a", "b", 1, 1.0]))],
        json!(["b", "a", 1]),
    );
    assert_eq!(
        err("distinct", vec![k(json!("x"))]),
        "distinct: argument 1 must be a list, got a string"
    );
    all(
        "sort",
        vec![k(json!(["b", "a", 3]))],
        json!(["3", "a", "b"]),
    );
    assert_eq!(
        err("sort", vec![k(json!(["a", [1]]))]),
        "sort: argument 1 must be a list of strings, its element [1] is a list"
    );
}

#[test]
fn a_long_distinct_is_not_quadratic() {
    let l: Vec<serde_json::Value> = (0..200_000).map(|i| json!(i % 1000)).collect();
    let out = ok("distinct", vec![k(json!(l))]);
    assert_eq!(out.as_list().map(Vec::len), Some(1000));
}

#[test]
fn join_and_split() {
    all(
        "join",
        vec![k(json!("-")), k(json!(["a", 1])), k(json!([true]))],
        json!("a-1-true"),
    );
    assert_eq!(
        err("join", vec![k(json!(",")), k(json!(5))]),
        "join: argument 2 must be a list, got a number"
    );
    assert_eq!(
        err("join", vec![k(json!(",")), k(json!([null]))]),
        "join: argument 2 must be a list of strings, its element [0] is null"
    );
    all(
        "split",
        vec![k(json!(",")), k(json!("a,b,,c"))],
        json!(["a", "b", "", "c"]),
    );
    assert_eq!(
        ok("split", vec![k(json!("")), k(json!("hé"))]),
        v(json!(["h", "é"]))
    );
    assert_eq!(
        ok("split", vec![k(json!(",")), k(json!(""))]),
        v(json!([""]))
    );
    assert_eq!(
        err("split", vec![k(json!([])), k(json!(""))]),
        "split: argument 1 must be a string, got a list"
    );
}

#[test]
fn a_huge_join_is_refused() {
    let big = "x".repeat(1 << 20);
    let parts: Vec<serde_json::Value> = (0..100).map(|_| json!("y")).collect();
    let e = err("join", vec![k(json!(big)), k(json!(parts))]);
    assert!(e.contains("longer than"), "{e}");
}

#[test]
fn format() {
    all(
        "format",
        vec![
            k(json!("%s-%d %v %q %t 100%%")),
            k(json!("a")),
            k(json!(3)),
            k(json!([1])),
            k(json!("q\"")),
            k(json!(true)),
        ],
        json!("a-3 [1] \"q\\\"\" true 100%"),
    );
    assert_eq!(
        ok("format", vec![k(json!("%f")), k(json!(1.5))]),
        v(json!("1.500000"))
    );
    assert_eq!(
        ok("format", vec![k(json!("%v")), k(json!("s"))]),
        v(json!("s"))
    );
    assert_eq!(
        err("format", vec![k(json!("%d")), k(json!(1.5))]),
        "format: argument 2 must be a whole number, got a number"
    );
    assert!(err("format", vec![k(json!("%s"))]).contains("argument 2 is missing"));
    assert!(err("format", vec![k(json!("x")), k(json!(1))]).contains("too many arguments"));
    assert!(err("format", vec![k(json!("%x")), k(json!(1))]).contains("unsupported verb %x"));
    assert!(err("format", vec![k(json!("50%"))]).contains("lone"));
}

#[test]
fn format_flags_width_and_precision() {
    let f = |spec: &str, x: serde_json::Value| ok("format", vec![k(json!(spec)), k(x)]);
    assert_eq!(f("db-%02d", json!(7)), v(json!("db-07")));
    assert_eq!(f("%05d", json!(-3)), v(json!("-0003")));
    assert_eq!(f("%+d", json!(3)), v(json!("+3")));
    assert_eq!(f("%.2f", json!(1.23456)), v(json!("1.23")));
    assert_eq!(f("%6.1f|", json!(2.25)), v(json!("   2.2|")));
    assert_eq!(f("%-5s|", json!("ab")), v(json!("ab   |")));
    assert_eq!(f("%5s|", json!("ab")), v(json!("   ab|")));
    assert_eq!(f("%.3s", json!("abcdef")), v(json!("abc")));
    assert_eq!(f("%05s", json!("ab")), v(json!("   ab")));
    assert_eq!(f("%3d%%", json!(50)), v(json!(" 50%")));
    // a width past the limit is an error, not a huge allocation
    let e = err(
        "format",
        vec![k(json!("%99999999999999999999d")), k(json!(1))],
    );
    assert!(e.contains("larger than"), "{e}");
    assert!(err("format", vec![k(json!("%-"))]).contains("lone"));
}

#[test]
fn lower_upper_trimspace() {
    all("lower", vec![k(json!("AbÇ"))], json!("abç"));
    all("upper", vec![k(json!("abç"))], json!("ABÇ"));
    all("trimspace", vec![k(json!("\t a b \n"))], json!("a b"));
    assert_eq!(ok("upper", vec![k(json!(5))]), v(json!("5")));
    assert_eq!(
        err("lower", vec![k(json!({}))]),
        "lower: argument 1 must be a string, got a map"
    );
    assert_eq!(
        err("upper", vec![k(json!(null))]),
        "upper: argument 1 must be a string, got null"
    );
    assert_eq!(
        err("trimspace", vec![k(json!([]))]),
        "trimspace: argument 1 must be a string, got a list"
    );
}

#[test]
fn replace() {
    all(
        "replace",
        vec![k(json!("a-b-c")), k(json!("-")), k(json!("+"))],
        json!("a+b+c"),
    );
    assert_eq!(
        ok(
            "replace",
            vec![k(json!("a1b22")), k(json!("/[0-9]+/")), k(json!("#"))]
        ),
        v(json!("a#b#"))
    );
    assert_eq!(
        ok(
            "replace",
            vec![k(json!("ab")), k(json!("/(a)(b)/")), k(json!("$2$1"))]
        ),
        v(json!("ba"))
    );
    assert_eq!(
        ok(
            "replace",
            vec![k(json!("a/b")), k(json!("/")), k(json!("|"))]
        ),
        v(json!("a|b"))
    );
    assert!(err(
        "replace",
        vec![k(json!("a")), k(json!("/(/")), k(json!(""))]
    )
    .contains("not a valid regular expression"));
    let big = "x".repeat(1 << 20);
    let e = err(
        "replace",
        vec![k(json!(big.clone())), k(json!("")), k(json!(big))],
    );
    assert!(e.contains("longer than"), "{e}");
}

#[test]
fn substr() {
    all(
        "substr",
        vec![k(json!("hello")), k(json!(1)), k(json!(3))],
        json!("ell"),
    );
    assert_eq!(
        ok(
            "substr",
            vec![k(json!("héllo")), k(json!(-3)), k(json!(-1))]
        ),
        v(json!("llo"))
    );
    assert_eq!(
        ok(
            "substr",
            vec![k(json!("abc")), k(json!(i64::MAX)), k(json!(i64::MAX))]
        ),
        v(json!(""))
    );
    assert_eq!(
        ok(
            "substr",
            vec![k(json!("abc")), k(json!(i64::MIN)), k(json!(2))]
        ),
        v(json!("ab"))
    );
    assert_eq!(
        ok(
            "substr",
            vec![k(json!("abc")), k(json!(1)), k(json!(1e300))]
        )
        .kind(),
        "string"
    );
    assert!(err("substr", vec![k(json!("abc")), k(json!(0)), k(json!(-2))]).contains("argument 3"));
    assert!(
        err("substr", vec![k(json!("abc")), k(json!(0.5)), k(json!(1))])
            .contains("argument 2 must be a whole number")
    );
}

#[test]
fn startswith_endswith() {
    all(
        "startswith",
        vec![k(json!("hello")), k(json!("he"))],
        json!(true),
    );
    all(
        "endswith",
        vec![k(json!("hello")), k(json!("he"))],
        json!(false),
    );
    assert_eq!(
        err("startswith", vec![k(json!([])), k(json!("a"))]),
        "startswith: argument 1 must be a string, got a list"
    );
    assert_eq!(
        err("endswith", vec![k(json!("a")), k(json!({}))]),
        "endswith: argument 2 must be a string, got a map"
    );
}

#[test]
fn conversions() {
    all("tostring", vec![k(json!(1.5))], json!("1.5"));
    assert_eq!(ok("tostring", vec![k(json!(null))]), Value::Null);
    assert_eq!(
        err("tostring", vec![k(json!([]))]),
        "tostring: argument 1 must be a string, a number or a bool, got a list"
    );
    all("tonumber", vec![k(json!("42"))], json!(42));
    assert_eq!(ok("tonumber", vec![k(json!("1.25"))]), v(json!(1.25)));
    assert!(err("tonumber", vec![k(json!("NaN"))]).contains("argument 1 must be a number"));
    assert!(err("tonumber", vec![k(json!("1e999"))]).contains("argument 1 must be a number"));
    all("tobool", vec![k(json!("true"))], json!(true));
    assert!(err("tobool", vec![k(json!("yes"))]).contains("argument 1 must be a bool"));
    all("tolist", vec![k(json!([1, "a"]))], json!([1, "a"]));
    assert!(err("tolist", vec![k(json!({}))]).starts_with("tolist: argument 1 must be a list"));
    all("toset", vec![k(json!(["b", "a", "b"]))], json!(["a", "b"]));
    assert!(err("toset", vec![k(json!("a"))]).starts_with("toset: argument 1 must be a list"));
    all("tomap", vec![k(json!({"a": 1}))], json!({"a": 1}));
    assert!(err("tomap", vec![k(json!([]))]).starts_with("tomap: argument 1 must be a map"));
    let partly = Arg {
        value: Value::List(vec![Value::Unknown]),
        sensitive: false,
    };
    assert_eq!(
        ok("tolist", vec![partly.clone()]),
        Value::List(vec![Value::Unknown])
    );
    assert_eq!(ok("toset", vec![partly]), Value::Unknown);
}

#[test]
fn sensitive_and_nonsensitive() {
    let r = run("sensitive", vec![k(json!("pw"))]).expect("a result");
    assert_eq!(r, secret(json!("pw")));
    let r = run("nonsensitive", vec![secret(json!("pw"))]).expect("a result");
    assert_eq!(r, k(json!("pw")));
    // Unknown values pass through with the mark changed.
    let r = run("sensitive", vec![unknown()]).expect("a result");
    assert_eq!(
        r,
        Arg {
            value: Value::Unknown,
            sensitive: true
        }
    );
    let r = run(
        "nonsensitive",
        vec![Arg {
            value: Value::Unknown,
            sensitive: true,
        }],
    )
    .expect("a result");
    assert_eq!(r, unknown());
    assert_eq!(
        err("sensitive", vec![]),
        "sensitive: expects 1 argument, got 0"
    );
    // A sensitive value stays sensitive through another function.
    let r = run("upper", vec![secret(json!("pw"))]).expect("a result");
    assert_eq!(r, secret(json!("PW")));
}

#[test]
fn json_and_yaml() {
    all(
        "jsonencode",
        vec![k(json!({"b": [1, "x"], "a": null}))],
        json!("{\"a\":null,\"b\":[1,\"x\"]}"),
    );
    all(
        "jsondecode",
        vec![k(json!("{\"a\":[1,true]}"))],
        json!({"a": [1, true]}),
    );
    assert!(err("jsondecode", vec![k(json!("{"))]).contains("not valid JSON"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(err("jsondecode", vec![k(json!(deep))]).contains("not valid JSON"));
    assert_eq!(
        err("jsonencode", vec![]),
        "jsonencode: expects 1 argument, got 0"
    );
    all("yamlencode", vec![k(json!({"a": [1]}))], json!("a:\n- 1\n"));
    assert_eq!(
        err("yamlencode", vec![]),
        "yamlencode: expects 1 argument, got 0"
    );
}

#[test]
fn base64_and_sha256() {
    all("base64encode", vec![k(json!("héllo"))], json!("aMOpbGxv"));
    all("base64decode", vec![k(json!("aMOpbGxv"))], json!("héllo"));
    assert!(err("base64decode", vec![k(json!("!!"))]).contains("not valid base64"));
    assert!(err("base64decode", vec![k(json!("/w=="))]).contains("not valid UTF-8"));
    all(
        "sha256",
        vec![k(json!("abc"))],
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    );
    assert_eq!(
        err("sha256", vec![k(json!([]))]),
        "sha256: argument 1 must be a string, got a list"
    );
}

#[test]
fn min_max_abs() {
    all(
        "min",
        vec![k(json!(3)), k(json!(1.5)), k(json!(2))],
        json!(1.5),
    );
    all(
        "max",
        vec![k(json!(3)), k(json!(1.5)), k(json!("7"))],
        json!(7),
    );
    assert_eq!(
        err("min", vec![k(json!(1)), k(json!("x"))]),
        "min: argument 2 must be a number, got a string"
    );
    assert_eq!(
        err("max", vec![]),
        "max: expects at least 1 argument, got 0"
    );
    all("abs", vec![k(json!(-4))], json!(4));
    assert_eq!(ok("abs", vec![k(json!(-2.5))]), v(json!(2.5)));
    assert_eq!(ok("abs", vec![k(json!(i64::MIN))]).kind(), "number");
    assert_eq!(
        err("abs", vec![k(json!(true))]),
        "abs: argument 1 must be a number, got a bool"
    );
}

#[test]
fn range() {
    all("range", vec![k(json!(3))], json!([0, 1, 2]));
    all("range", vec![k(json!(1)), k(json!(4))], json!([1, 2, 3]));
    all(
        "range",
        vec![k(json!(0)), k(json!(1)), k(json!(0.25))],
        json!([0, 0.25, 0.5, 0.75]),
    );
    assert_eq!(
        ok("range", vec![k(json!(3)), k(json!(0))]),
        v(json!([3, 2, 1]))
    );
    assert_eq!(
        ok("range", vec![k(json!(0)), k(json!(3)), k(json!(-1))]),
        v(json!([]))
    );
    assert!(err("range", vec![k(json!(0)), k(json!(3)), k(json!(0))]).contains("must not be zero"));
    assert!(err("range", vec![k(json!(1e18))]).contains("more than 1024"));
    assert!(
        err("range", vec![k(json!(0)), k(json!(1)), k(json!(1e-300))]).contains("more than 1024")
    );
    assert_eq!(
        ok("range", vec![k(json!(1024))]).as_list().map(Vec::len),
        Some(1024)
    );
    assert_eq!(
        err("range", vec![]),
        "range: expects 1 to 3 arguments, got 0"
    );
}

fn in_dir(dir: &std::path::Path, path: &str) -> Result<Arg, String> {
    call("file", vec![k(json!(path))], &FnCx { dir })
}

#[test]
fn file_reads_inside_the_stack_directory_only() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(stack.join("sub")).expect("dirs");
    std::fs::write(stack.join("sub/a.txt"), "hello\n").expect("a file");
    std::fs::write(tmp.path().join("outside.txt"), "secret").expect("a file");
    assert_eq!(
        in_dir(&stack, "sub/a.txt").map(|a| a.value),
        Ok(v(json!("hello\n")))
    );
    assert_eq!(
        in_dir(&stack, "./sub/a.txt").map(|a| a.value),
        Ok(v(json!("hello\n")))
    );
    assert!(in_dir(&stack, "../outside.txt")
        .unwrap_err()
        .contains("leaves the stack directory"));
    assert!(in_dir(&stack, "sub/../../outside.txt")
        .unwrap_err()
        .contains("leaves"));
    let abs = tmp.path().join("outside.txt");
    assert!(in_dir(&stack, &abs.display().to_string())
        .unwrap_err()
        .contains("relative"));
    std::os::unix::fs::symlink(tmp.path().join("outside.txt"), stack.join("link")).expect("a link");
    assert!(in_dir(&stack, "link")
        .unwrap_err()
        .contains("leads outside"));
    assert!(in_dir(&stack, "missing")
        .unwrap_err()
        .starts_with("file: cannot read \"missing\""));
    assert!(in_dir(&stack, "sub")
        .unwrap_err()
        .contains("not a regular file"));
    assert!(in_dir(&stack, "").unwrap_err().contains("relative"));
}

#[test]
fn file_refuses_big_binary_and_fifo_files() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let big = std::fs::File::create(tmp.path().join("big")).expect("a file");
    big.set_len(super::file::MAX_FILE + 1).expect("a length");
    assert!(in_dir(tmp.path(), "big")
        .unwrap_err()
        .contains("larger than"));
    std::fs::write(tmp.path().join("bin"), [0xff, 0xfe]).expect("a file");
    assert!(in_dir(tmp.path(), "bin")
        .unwrap_err()
        .contains("not valid UTF-8"));
    let fifo = tmp.path().join("fifo");
    let c = std::ffi::CString::new(fifo.display().to_string()).expect("a path");
    // SAFETY: mkfifo reads a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    assert!(in_dir(tmp.path(), "fifo")
        .unwrap_err()
        .contains("not a regular file"));
    // Unknown and sensitive paths.
    let dir = FnCx { dir: tmp.path() };
    assert_eq!(
        call("file", vec![unknown()], &dir).map(|a| a.value),
        Ok(Value::Unknown)
    );
    std::fs::write(tmp.path().join("t"), "x").expect("a file");
    assert!(call("file", vec![secret(json!("t"))], &dir).is_ok_and(|a| a.sensitive));
}

/// Hostile inputs: every function with every kind of value, one to three arguments, never
/// panics (errors are fine).
#[test]
fn no_function_panics_on_any_kind_of_argument() {
    let kinds = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("/(/"),
        json!("%"),
        json!([]),
        json!([null, [1], {"a": "b"}]),
        json!({"": null}),
    ];
    let mut kinds: Vec<Arg> = kinds.into_iter().map(k).collect();
    kinds.push(unknown());
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let cx = FnCx { dir: tmp.path() };
    for name in names() {
        for x in &kinds {
            let _ = call(name, vec![x.clone()], &cx);
            for y in &kinds {
                let _ = call(name, vec![x.clone(), y.clone()], &cx);
                for z in &kinds {
                    let _ = call(name, vec![x.clone(), y.clone(), z.clone()], &cx);
                }
            }
        }
    }
}
