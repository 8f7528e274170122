//! Variable type constraints (`type:`): `string number bool any list(T) set(T) map(T)
//! object({NAME = T, ...})`, `optional(T)` / `optional(T, DEFAULT)` for an object's
//! attributes, and the bare `list`, `set` and `map` meaning `list(any)` and so on. They are
//! parsed from their text when the config is loaded, and a value is converted to one as
//! Terraform does it: a number or a bool to a string, a string to a number or a bool
//! (`"true"` / `"false"`), a set as a list sorted with duplicates removed; an object keeps
//! exactly its attributes (one missing is an error unless optional, one extra is an error).
//!
//! Invariants: parsing never panics on any text, and its errors name the column; a
//! conversion reports every problem with its path inside the value and shows no value of a
//! sensitive variable (only kinds); `null` and unknown values convert to themselves.

use crate::value::{is_ident, Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Number,
    Bool,
    Any,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Attr>),
}

/// One attribute of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub ty: Type,
    /// `optional(T)`: the attribute may be left out (it is then `default`, or null).
    pub optional: bool,
    pub default: Option<Value>,
}

/// The type words, for "did you mean" and the JSON Schema.
pub const NAMES: &[&str] = &[
    "string", "number", "bool", "any", "list", "set", "map", "object",
];

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Any => f.write_str("any"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(attrs) => {
                let parts: Vec<String> = attrs
                    .iter()
                    .map(|(name, a)| match (a.optional, &a.default) {
                        (false, _) => format!("{name} = {}", a.ty),
                        (true, None) => format!("{name} = optional({})", a.ty),
                        (true, Some(d)) => format!("{name} = optional({}, {})", a.ty, d.to_json()),
                    })
                    .collect();
                write!(f, "object({{{}}})", parts.join(", "))
            }
        }
    }
}

// ---- parsing ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("\"{s}\""),
            Tok::Str(s) => format!("the string {}", serde_json::Value::String(s.clone())),
            Tok::Num(n) => format!("the number {n}"),
            Tok::Punct(c) => format!("\"{c}\""),
            Tok::End => "the end".into(),
        }
    }
}

/// The tokens of a type's text, each with its column (1-based, in characters).
fn lex(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_-".contains(chars[i])) {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), col));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ".eE".contains(chars[i])
                    || ("+-".contains(chars[i]) && "eE".contains(chars[i - 1])))
            {
                i += 1;
            }
            out.push((Tok::Num(chars[start..i].iter().collect()), col));
        } else if c == '"' {
            let (s, next) =
                string(&chars, i).ok_or(format!("an unclosed string at column {col}"))?;
            out.push((Tok::Str(s), col));
            i = next;
        } else if "(){}[]=,:".contains(c) {
            out.push((Tok::Punct(c), col));
            i += 1;
        } else {
            return Err(format!("unexpected \"{c}\" at column {col}"));
        }
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

/// A double-quoted string starting at `chars[at]`: its text and the index after it.
fn string(chars: &[char], at: usize) -> Option<(String, usize)> {
    let mut s = String::new();
    let mut i = at + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Some((s, i + 1)),
            '\\' => {
                i += 1;
                s.push(match chars.get(i)? {
                    'n' => '\n',
                    't' => '\t',
                    other => *other,
                });
            }
            c => s.push(c),
        }
        i += 1;
    }
    None
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

/// Parse a type constraint's text.
pub fn parse(text: &str) -> Result<Type, String> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
    };
    if p.peek() == &Tok::End {
        return Err("the type is empty: write e.g. string, list(string) or map(number)".into());
    }
    let ty = p.ty()?;
    match p.peek() {
        Tok::End => Ok(ty),
        other => Err(format!(
            "unexpected {} at column {} after the type",
            other.describe(),
            p.col()
        )),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::End, |t| &t.0)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(0, |t| t.1)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos = (self.pos + 1).min(self.toks.len());
        t
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == &Tok::Punct(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), String> {
        if self.eat(c) {
            return Ok(());
        }
        Err(format!(
            "expected \"{c}\" {what} at column {}, found {}",
            self.col(),
            self.peek().describe()
        ))
    }

    fn ty(&mut self) -> Result<Type, String> {
        let col = self.col();
        let name = match self.next() {
            Tok::Ident(name) => name,
            other => {
                return Err(format!(
                    "expected a type at column {col}, found {}",
                    other.describe()
                ))
            }
        };
        let ty = match name.as_str() {
            "string" => Type::String,
            "number" => Type::Number,
            "bool" => Type::Bool,
            "any" => Type::Any,
            "list" | "set" | "map" => {
                let elem = if self.eat('(') {
                    let t = self.ty()?;
                    self.expect(')', &format!("closing {name}("))?;
                    t
                } else {
                    Type::Any
                };
                match name.as_str() {
                    "list" => Type::List(Box::new(elem)),
                    "set" => Type::Set(Box::new(elem)),
                    _ => Type::Map(Box::new(elem)),
                }
            }
            "object" => self.object(col)?,
            "optional" => {
                return Err(format!(
                    "optional(…) at column {col} is allowed only for an attribute of an object type"
                ))
            }
            other => {
                let hint = crate::schema::suggest(other, NAMES.iter().copied())
                    .unwrap_or_else(|| format!("the types are: {}", NAMES.join(", ")));
                return Err(format!("unknown type \"{other}\" at column {col}: {hint}"));
            }
        };
        if matches!(ty, Type::String | Type::Number | Type::Bool | Type::Any)
            && self.peek() == &Tok::Punct('(')
        {
            return Err(format!(
                "{name} at column {col} takes no element type (list(T), set(T) and map(T) do)"
            ));
        }
        Ok(ty)
    }

    /// `object({ name = T, other = optional(T, DEFAULT) })`, after the word `object`.
    fn object(&mut self, col: usize) -> Result<Type, String> {
        let example = "e.g. object({ name = string, size = optional(number) })";
        if !self.eat('(') || !self.eat('{') {
            return Err(format!(
                "object at column {col} needs its attributes: {example}"
            ));
        }
        let mut attrs = BTreeMap::new();
        while !self.eat('}') {
            let key_col = self.col();
            let name = match self.next() {
                Tok::Ident(s) | Tok::Str(s) => s,
                other => {
                    return Err(format!(
                        "expected an attribute name or \"}}\" at column {key_col}, found {}",
                        other.describe()
                    ))
                }
            };
            if !self.eat('=') {
                self.expect(':', &format!("after the attribute \"{name}\""))?;
            }
            let attr = self.attr()?;
            if attrs.insert(name.clone(), attr).is_some() {
                return Err(format!(
                    "the attribute \"{name}\" is given twice in the object type (column {key_col})"
                ));
            }
            self.eat(',');
        }
        self.expect(')', "closing object(")?;
        Ok(Type::Object(attrs))
    }

    /// An attribute's type: `T` or `optional(T)` / `optional(T, DEFAULT)`.
    fn attr(&mut self) -> Result<Attr, String> {
        if self.peek() != &Tok::Ident("optional".into()) {
            let ty = self.ty()?;
            return Ok(Attr {
                ty,
                optional: false,
                default: None,
            });
        }
        self.next();
        self.expect('(', "after optional")?;
        let ty = self.ty()?;
        let mut default = None;
        if self.eat(',') {
            let col = self.col();
            let v = self.literal()?;
            let v = convert(&v, &ty, false).map_err(|problems| {
                let first = problems.first().map(|p| p.render("")).unwrap_or_default();
                format!("the default at column {col} is not a {ty}: {first}")
            })?;
            default = Some(v);
        }
        self.expect(')', "closing optional(")?;
        Ok(Attr {
            ty,
            optional: true,
            default,
        })
    }

    /// A literal default: a number, a string, true, false, null, a list or a mapping of them.
    fn literal(&mut self) -> Result<Value, String> {
        let col = self.col();
        match self.next() {
            Tok::Str(s) => Ok(Value::String(s)),
            Tok::Num(n) => number(&n).ok_or(format!("\"{n}\" at column {col} is not a number")),
            Tok::Ident(w) if w == "true" || w == "false" => Ok(Value::Bool(w == "true")),
            Tok::Ident(w) if w == "null" => Ok(Value::Null),
            Tok::Punct('[') => {
                let mut items = Vec::new();
                while !self.eat(']') {
                    items.push(self.literal()?);
                    if !self.eat(',') {
                        self.expect(']', "closing the list")?;
                        break;
                    }
                }
                Ok(Value::List(items))
            }
            Tok::Punct('{') => {
                let mut m = Map::new();
                while !self.eat('}') {
                    let key = match self.next() {
                        Tok::Ident(s) | Tok::Str(s) => s,
                        other => {
                            return Err(format!(
                                "expected a key at column {}, found {}",
                                self.col(),
                                other.describe()
                            ))
                        }
                    };
                    if !self.eat('=') {
                        self.expect(':', "after the key")?;
                    }
                    m.insert(key, self.literal()?);
                    self.eat(',');
                }
                Ok(Value::Map(m))
            }
            other => Err(format!(
                "expected a default value at column {col}, found {}",
                other.describe()
            )),
        }
    }
}

/// A number written as text: a whole number when it is one, else a finite float.
pub fn number(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::int(i));
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(Value::Number(u.into()));
    }
    if !t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.') {
        return None; // "inf", "NaN"
    }
    t.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

// ---- conversion ----

/// One step of a path inside a variable's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// An object type's attribute: `.name`.
    Attr(String),
    /// A map's key: `["key"]`.
    Key(String),
    Index(usize),
}

/// A value that does not convert: where inside it, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: Vec<Seg>,
    pub message: String,
}

impl Problem {
    /// `NAME["a"].size: message` (the message alone at the top of the value).
    pub fn render(&self, name: &str) -> String {
        if self.path.is_empty() {
            return self.message.clone();
        }
        format!("{}: {}", path_text(name, &self.path), self.message)
    }

    /// The path as YAML keys (list indexes as numbers), to find its line in a file.
    pub fn yaml_path(&self) -> Vec<String> {
        self.path
            .iter()
            .map(|s| match s {
                Seg::Attr(k) | Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect()
    }
}

/// `teams["a"].size`: a value's name and a path inside it, as users write it.
pub fn path_text(name: &str, path: &[Seg]) -> String {
    let mut out = name.to_string();
    for seg in path {
        match seg {
            Seg::Attr(a) if is_ident(a) => {
                out.push('.');
                out.push_str(a);
            }
            Seg::Attr(k) | Seg::Key(k) => {
                out.push_str(&format!("[{}]", serde_json::Value::String(k.clone())));
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Convert `v` to `ty`. `sensitive`: the messages name kinds only, never the value.
pub fn convert(v: &Value, ty: &Type, sensitive: bool) -> Result<Value, Vec<Problem>> {
    let mut cx = Cx {
        path: Vec::new(),
        problems: Vec::new(),
        sensitive,
    };
    let out = cx.conv(v, ty);
    if cx.problems.is_empty() {
        Ok(out)
    } else {
        Err(cx.problems)
    }
}

/// Convert text given on the command line or in the environment: taken as a string for
/// `string`, `number`, `bool` and `any` (and converted), parsed as YAML (flow syntax such
/// as `[a, b]` or `{k: v}`) for the collection types.
pub fn convert_text(text: &str, ty: Option<&Type>, sensitive: bool) -> Result<Value, Vec<Problem>> {
    let Some(ty) = ty else {
        return Ok(Value::str(text));
    };
    if matches!(ty, Type::String | Type::Number | Type::Bool | Type::Any) {
        return convert(&Value::str(text), ty, sensitive);
    }
    let shown = if sensitive {
        "the sensitive value".to_string()
    } else {
        format!("\"{text}\"")
    };
    let fail = |detail: String| {
        vec![Problem {
            path: Vec::new(),
            message: match sensitive {
                true => format!("cannot parse {shown} as a {ty}"),
                false => format!("cannot parse {shown} as a {ty}: {detail}"),
            },
        }]
    };
    let y: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| fail(e.to_string()))?;
    let v = crate::config::load::from_yaml(&y).map_err(fail)?;
    let example = match ty {
        Type::List(_) | Type::Set(_) => "[a, b]",
        _ => "{k: v}",
    };
    convert(&v, ty, sensitive).map_err(|mut problems| {
        if let [p] = problems.as_mut_slice() {
            if p.path.is_empty() && !matches!(v, Value::List(_) | Value::Map(_)) {
                p.message = format!("expected a {ty}, e.g. {example}");
            }
        }
        problems
    })
}

struct Cx {
    path: Vec<Seg>,
    problems: Vec<Problem>,
    sensitive: bool,
}

impl Cx {
    fn fail(&mut self, message: String) -> Value {
        self.problems.push(Problem {
            path: self.path.clone(),
            message,
        });
        Value::Null
    }

    fn wrong(&mut self, expected: &str, v: &Value) -> Value {
        self.fail(format!(
            "expected {expected}, got {}",
            v.kind_with_article()
        ))
    }

    fn shown(&self, s: &str) -> String {
        match self.sensitive {
            true => "the sensitive value".into(),
            false => format!("{}", serde_json::Value::String(s.to_string())),
        }
    }

    fn at(&mut self, seg: Seg, v: &Value, ty: &Type) -> Value {
        self.path.push(seg);
        let out = self.conv(v, ty);
        self.path.pop();
        out
    }

    fn conv(&mut self, v: &Value, ty: &Type) -> Value {
        if matches!(v, Value::Null | Value::Unknown) {
            return v.clone();
        }
        match (ty, v) {
            (Type::Any, _)
            | (Type::String, Value::String(_))
            | (Type::Number, Value::Number(_))
            | (Type::Bool, Value::Bool(_)) => v.clone(),
            (Type::String, Value::Number(n)) => Value::String(n.to_string()),
            (Type::String, Value::Bool(b)) => Value::String(b.to_string()),
            (Type::String, _) => self.wrong("a string", v),
            (Type::Number, Value::String(s)) => match number(s) {
                Some(n) => n,
                None => self.fail(format!("{} is not a number", self.shown(s))),
            },
            (Type::Number, _) => self.wrong("a number", v),
            (Type::Bool, Value::String(s)) => match s.trim() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => self.fail(format!("{} is not true or false", self.shown(s))),
            },
            (Type::Bool, _) => self.wrong("true or false", v),
            (Type::List(t), Value::List(items)) => Value::List(self.items(items, t)),
            (Type::List(_), _) => self.wrong("a list", v),
            (Type::Set(t), Value::List(items)) => Value::List(set_of(self.items(items, t))),
            (Type::Set(_), _) => self.wrong("a set (written as a list)", v),
            (Type::Map(t), Value::Map(m)) => Value::Map(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.at(Seg::Key(k.clone()), x, t)))
                    .collect(),
            ),
            (Type::Map(_), _) => self.wrong("a map", v),
            (Type::Object(attrs), Value::Map(m)) => self.object(m, attrs),
            (Type::Object(_), _) => self.wrong("an object (a mapping)", v),
        }
    }

    fn items(&mut self, items: &[Value], t: &Type) -> Vec<Value> {
        items
            .iter()
            .enumerate()
            .map(|(i, x)| self.at(Seg::Index(i), x, t))
            .collect()
    }

    fn object(&mut self, m: &Map, attrs: &BTreeMap<String, Attr>) -> Value {
        let mut out = Map::new();
        for (name, a) in attrs {
            match m.get(name) {
                Some(x) => {
                    let v = self.at(Seg::Attr(name.clone()), x, &a.ty);
                    out.insert(name.clone(), v);
                }
                None if a.optional => {
                    out.insert(name.clone(), a.default.clone().unwrap_or(Value::Null));
                }
                None => {
                    self.fail(format!("the attribute \"{name}\" is missing"));
                }
            }
        }
        for k in m.keys().filter(|k| !attrs.contains_key(*k)) {
            let hint = crate::schema::suggest(k, attrs.keys().map(String::as_str))
                .map(|h| format!(": {h}"))
                .unwrap_or_else(|| {
                    let names: Vec<&str> = attrs.keys().map(String::as_str).collect();
                    format!(" (the attributes are: {})", names.join(", "))
                });
            self.fail(format!("unexpected attribute \"{k}\"{hint}"));
        }
        Value::Map(out)
    }
}

/// A set's elements: sorted (strings lexically, numbers by value), duplicates removed.
fn set_of(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(order);
    items.dedup();
    items
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::List(_) => 4,
        Value::Map(_) => 5,
        Value::Unknown => 6,
    }
}

fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| a.to_json().to_string().cmp(&b.to_json().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn parses_every_type_and_prints_it_back() {
        for (text, shown) in [
            ("string", "string"),
            (" number ", "number"),
            ("bool", "bool"),
            ("any", "any"),
            ("list", "list(any)"),
            ("map", "map(any)"),
            ("set", "set(any)"),
            ("list(string)", "list(string)"),
            ("set( number )", "set(number)"),
            ("map(list(bool))", "map(list(bool))"),
            (
                "object({ name = string, size = optional(number) })",
                "object({name = string, size = optional(number)})",
            ),
            (
                "map(object({size: number, tags = optional(list(string), []), \"x y\" = bool}))",
                "map(object({size = number, tags = optional(list(string), []), x y = bool}))",
            ),
            (
                "object({\n  a = string\n  b = optional(number, 3)\n})",
                "object({a = string, b = optional(number, 3)})",
            ),
        ] {
            let t = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(t.to_string(), shown, "{text}");
        }
        let t = parse("object({ a = optional(string, 5) })").unwrap();
        let Type::Object(attrs) = t else { panic!() };
        assert_eq!(attrs["a"].default, Some(Value::str("5")), "converted");
    }

    #[test]
    fn bad_types_are_named_with_their_column() {
        for (text, msg) in [
            ("", "the type is empty"),
            (
                "lsit(string)",
                "unknown type \"lsit\" at column 1: did you mean \"list\"?",
            ),
            (
                "list(strin)",
                "unknown type \"strin\" at column 6: did you mean \"string\"?",
            ),
            (
                "float",
                "unknown type \"float\" at column 1: the types are: string",
            ),
            (
                "list(string",
                "expected \")\" closing list( at column 12, found the end",
            ),
            ("string(x)", "string at column 1 takes no element type"),
            ("object", "object at column 1 needs its attributes"),
            ("object({a = string, a = number})", "\"a\" is given twice"),
            (
                "optional(string)",
                "allowed only for an attribute of an object type",
            ),
            ("list(optional(string))", "allowed only for an attribute"),
            (
                "map(string) x",
                "unexpected \"x\" at column 13 after the type",
            ),
            ("list(#)", "unexpected \"#\" at column 6"),
            (
                "object({a = optional(number, \"x\")})",
                "the default at column 30 is not a number",
            ),
            ("object({a = \"x})", "an unclosed string at column 13"),
            ("object({1 = string})", "expected an attribute name"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(msg), "{text}: {e}");
        }
    }

    #[test]
    fn parsing_never_panics() {
        let pieces = [
            "list", "(", ")", "{", "}", "object", "optional", "=", ",", "\"", "1", "-", "[", "]",
            ":", "string", " ", "e",
        ];
        // every string of up to four pieces
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}")))
                .collect();
            for t in &texts {
                let _ = parse(t);
            }
        }
    }

    #[test]
    fn converts_as_terraform_does() {
        let ok = |v: &str, t: &str| convert(&yaml(v), &parse(t).unwrap(), false).unwrap();
        assert_eq!(ok("5", "string"), Value::str("5"));
        assert_eq!(ok("1.5", "string"), Value::str("1.5"));
        assert_eq!(ok("true", "string"), Value::str("true"));
        assert_eq!(ok("\"42\"", "number"), Value::int(42));
        assert_eq!(ok("\" 2.5 \"", "number"), yaml("2.5"));
        assert_eq!(ok("\"false\"", "bool"), Value::Bool(false));
        assert_eq!(ok("[b, a, b, \"1\"]", "set(string)"), yaml("[\"1\", a, b]"));
        assert_eq!(ok("[10, 9, \"10\"]", "set(number)"), yaml("[9, 10]"));
        assert_eq!(ok("[1, x]", "list"), yaml("[1, x]"));
        assert_eq!(ok("{a: 1}", "map(string)"), yaml("{a: \"1\"}"));
        assert_eq!(ok("null", "list(string)"), Value::Null);
        assert_eq!(
            ok(
                "{name: x}",
                "object({name = string, size = optional(number), n = optional(number, 2)})"
            ),
            yaml("{name: x, size: null, n: 2}")
        );
        assert_eq!(
            convert(&Value::Unknown, &Type::Number, false).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn problems_name_their_path_and_never_a_sensitive_value() {
        let t = parse("map(object({size = number, tags = list(string)}))").unwrap();
        let v =
            yaml("{a: {size: big, tags: x}, b: {size: 1, tags: [t], colour: red}, c: {tags: []}}");
        let problems = convert(&v, &t, false).unwrap_err();
        let shown: Vec<String> = problems.iter().map(|p| p.render("teams")).collect();
        assert_eq!(
            shown,
            [
                "teams[\"a\"].size: \"big\" is not a number",
                "teams[\"a\"].tags: expected a list, got a string",
                "teams[\"b\"]: unexpected attribute \"colour\" (the attributes are: size, tags)",
                "teams[\"c\"]: the attribute \"size\" is missing",
            ]
        );
        assert_eq!(problems[0].yaml_path(), ["a", "size"]);
        let secret = convert(&yaml("{a: {size: hunter2, tags: []}}"), &t, true).unwrap_err();
        assert_eq!(
            secret[0].render("t"),
            "t[\"a\"].size: the sensitive value is not a number"
        );
        let e = convert(
            &yaml("[1]"),
            &parse("object({sizes = number})").unwrap(),
            false,
        );
        assert_eq!(
            e.unwrap_err()[0].message,
            "expected an object (a mapping), got a list"
        );
        let e = convert(
            &yaml("{sise: 1}"),
            &parse("object({size = number})").unwrap(),
            false,
        );
        let messages: Vec<String> = e.unwrap_err().into_iter().map(|p| p.message).collect();
        assert!(messages.contains(&"unexpected attribute \"sise\": did you mean \"size\"?".into()));
    }

    #[test]
    fn text_from_the_command_line() {
        let t = |s: &str| parse(s).unwrap();
        assert_eq!(convert_text("x", None, false).unwrap(), Value::str("x"));
        assert_eq!(
            convert_text("7", Some(&t("number")), false).unwrap(),
            Value::int(7)
        );
        assert_eq!(
            convert_text("[a, b]", Some(&t("list(string)")), false).unwrap(),
            yaml("[a, b]")
        );
        assert_eq!(
            convert_text("{size: \"3\"}", Some(&t("object({size=number})")), false).unwrap(),
            yaml("{size: 3}")
        );
        let e = convert_text("x", Some(&t("list(string)")), false).unwrap_err();
        assert_eq!(e[0].message, "expected a list(string), e.g. [a, b]");
        let e = convert_text("[a", Some(&t("list")), true).unwrap_err();
        assert_eq!(
            e[0].message,
            "cannot parse the sensitive value as a list(any)"
        );
        let e = convert_text("abc", Some(&t("number")), false).unwrap_err();
        assert_eq!(e[0].message, "\"abc\" is not a number");
    }
}
