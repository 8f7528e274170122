//! The attribute value model shared by config, plan and state: JSON-like data plus `Unknown`
//! ("known after apply"), and attribute paths (`values["max_connections"]`, `clusters[1].id`).

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// An attribute value. Maps keep their keys sorted so renderings and state files are stable.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Not known until apply (a computed attribute, or something derived from one).
    Unknown,
}

pub type Map = BTreeMap<String, Value>;

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(i: i64) -> Value {
        Value::Number(i.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&Vec<Value>> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// True when this value, or anything inside it, is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(l) => l.iter().any(Value::has_unknown),
            Value::Map(m) => m.values().any(Value::has_unknown),
            _ => false,
        }
    }

    /// The value as text when it is a scalar (used by string interpolation).
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => Some(String::new()),
            _ => None,
        }
    }

    /// A short name of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Unknown => "unknown",
        }
    }

    /// The kind with its article, for messages: "a number", "null", "an unknown value".
    pub fn kind_with_article(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
            Value::Unknown => "an unknown value",
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Follow a path; `None` when a step does not exist.
    pub fn at(&self, path: &[PathSeg]) -> Option<&Value> {
        let mut cur = self;
        for seg in path {
            cur = match (seg, cur) {
                (_, Value::Unknown) => return Some(&Value::Unknown),
                (PathSeg::Key(k), Value::Map(m)) => m.get(k)?,
                (PathSeg::Index(i), Value::List(l)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Set the value at `path`, creating maps on the way. Lists must already be long enough.
    pub fn set_at(&mut self, path: &[PathSeg], v: Value) {
        let Some((first, rest)) = path.split_first() else {
            *self = v;
            return;
        };
        match first {
            PathSeg::Key(k) => {
                if !matches!(self, Value::Map(_)) {
                    *self = Value::Map(Map::new());
                }
                if let Value::Map(m) = self {
                    m.entry(k.clone()).or_default().set_at(rest, v);
                }
            }
            PathSeg::Index(i) => {
                if let Value::List(l) = self {
                    if let Some(slot) = l.get_mut(*i) {
                        slot.set_at(rest, v);
                    }
                }
            }
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.clone()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(i.into())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null | Value::Unknown => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
                Ok(Value::Number(i.into()))
            }
            fn visit_u64<E>(self, i: u64) -> Result<Value, E> {
                Ok(Value::Number(i.into()))
            }
            fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| E::custom("a number that is not finite"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element()? {
                    out.push(v);
                }
                Ok(Value::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut out = Map::new();
                while let Some((k, v)) = a.next_entry::<Key, Value>()? {
                    out.insert(k.0, v);
                }
                Ok(Value::Map(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A map key: any scalar, as text (YAML allows `1: x` and `true: y`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct K;
        impl Visitor<'_> for K {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a plain string key")
            }
            fn visit_str<E>(self, s: &str) -> Result<Key, E> {
                Ok(Key(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Key, E> {
                Ok(Key(s))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Key, E> {
                Ok(Key(i.to_string()))
            }
            fn visit_u64<E>(self, i: u64) -> Result<Key, E> {
                Ok(Key(i.to_string()))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Key, E> {
                Ok(Key(f.to_string()))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Key, E> {
                Ok(Key(b.to_string()))
            }
        }
        d.deserialize_any(K)
    }
}

/// One step of an attribute path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<PathSeg>;

/// Render a path as users write it: `sa_user.password`, `values["max connections"]`, `clusters[1]`.
pub fn path_string(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            PathSeg::Key(k) if is_ident(k) => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Key(k) => {
                out.push_str(&format!("[{}]", serde_json::Value::String(k.clone())));
            }
            PathSeg::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

/// Parse `a.b["c"][0]` back into a path (the inverse of [`path_string`]).
pub fn parse_path(s: &str) -> Option<Path> {
    parse_path_segments(s).ok()
}

/// Parse `a.b["c"][0].d` into path segments.
pub fn parse_path_segments(s: &str) -> Result<Path, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let ident = |i: &mut usize| -> Option<String> {
        let start = *i;
        while *i < chars.len()
            && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_' || chars[*i] == '-')
        {
            *i += 1;
        }
        (*i > start).then(|| chars[start..*i].iter().collect())
    };
    if s.trim().is_empty() {
        return Err("empty reference".into());
    }
    match ident(&mut i) {
        Some(name) => out.push(PathSeg::Key(name)),
        None => return Err(format!("expected a name at \"{s}\"")),
    }
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                match ident(&mut i) {
                    Some(name) => out.push(PathSeg::Key(name)),
                    None => return Err("expected a name after '.'".into()),
                }
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'"') {
                    i += 1;
                    let mut key = String::new();
                    loop {
                        match chars.get(i) {
                            None => return Err("unterminated string in [\"…\"]".into()),
                            Some('\\') => {
                                if let Some(c) = chars.get(i + 1) {
                                    key.push(*c);
                                }
                                i += 2;
                            }
                            Some('"') => {
                                i += 1;
                                break;
                            }
                            Some(c) => {
                                key.push(*c);
                                i += 1;
                            }
                        }
                    }
                    out.push(PathSeg::Key(key));
                } else {
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    let digits: String = chars[start..i].iter().collect();
                    let n = digits
                        .parse()
                        .map_err(|_| "expected a number or a \"key\" inside [ ]".to_string())?;
                    out.push(PathSeg::Index(n));
                }
                if chars.get(i) != Some(&']') {
                    return Err("expected ']'".into());
                }
                i += 1;
            }
            c => return Err(format!("unexpected '{c}'")),
        }
    }
    Ok(out)
}

pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let p = vec![key("values"), key("max connections"), PathSeg::Index(2)];
        let s = path_string(&p);
        assert_eq!(s, "values[\"max connections\"][2]");
        assert_eq!(parse_path(&s).unwrap(), p);
        assert_eq!(
            path_string(&[key("sa_user"), key("password")]),
            "sa_user.password"
        );
    }

    #[test]
    fn nested_unknowns_are_found() {
        let mut m = Map::new();
        m.insert("id".into(), Value::Unknown);
        m.insert("name".into(), Value::str("x"));
        assert!(Value::Map(m).has_unknown());
    }

    #[test]
    fn set_at_creates_maps() {
        let mut v = Value::Null;
        v.set_at(&[key("a"), key("b")], Value::int(1));
        assert_eq!(v.at(&[key("a"), key("b")]), Some(&Value::int(1)));
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [1, "x", true, null], "b": {"c": 2.5}});
        assert_eq!(Value::from_json(&j).to_json(), j);
        let v: Value = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(serde_json::to_value(&v).unwrap(), j);
    }
}

/// A lossless serde encoding for values that may be unknown (saved plans): `Unknown` is written
/// as `{"$strata": "unknown"}` instead of `null`. Use with `#[serde(with = "...")]`.
pub mod tagged {
    use super::Value;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    const TAG: &str = "$strata";

    fn encode(v: &Value) -> serde_json::Value {
        match v {
            Value::Unknown => serde_json::json!({ TAG: "unknown" }),
            Value::List(l) => serde_json::Value::Array(l.iter().map(encode).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), encode(v))).collect())
            }
            other => other.to_json(),
        }
    }

    fn decode(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Object(o) if o.len() == 1 && o.get(TAG).is_some() => Value::Unknown,
            serde_json::Value::Object(o) => {
                Value::Map(o.iter().map(|(k, v)| (k.clone(), decode(v))).collect())
            }
            serde_json::Value::Array(a) => Value::List(a.iter().map(decode).collect()),
            other => Value::from_json(other),
        }
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
            v.as_ref().map(encode).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
            let j = Option::<serde_json::Value>::deserialize(d)?;
            Ok(j.as_ref().map(decode))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn unknown_survives_a_round_trip() {
            let mut m = crate::value::Map::new();
            m.insert("id".into(), Value::Unknown);
            m.insert("l".into(), Value::List(vec![Value::Unknown, Value::int(1)]));
            let v = Value::Map(m);
            assert_eq!(decode(&encode(&v)), v);
        }
    }
}
