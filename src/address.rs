//! Resource addresses: `<type>.<name>` for managed resources, `data.<type>.<name>` for data
//! sources, and one instance of a repeated block as Terraform writes it: `<type>.<name>[0]`
//! (`count`) or `<type>.<name>["key"]` (`for_each`); inside a module, the module path comes
//! first: `module.NAME.TYPE.NAME`, `module.NAME["key"].module.INNER.TYPE.NAME[0]`.
//! Invariants: `parse` and `Display` are inverses (a key is written as a JSON string, so any
//! text survives); the addresses of one block's instances sort together, after the block's
//! own address, integer keys in numeric order; the root module's addresses sort before any
//! module's, and a module instance's together.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Managed,
    Data,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// The module instance the object is in, outermost first (empty: the root module).
    pub module: Vec<Step>,
    pub mode: Mode,
    pub ty: String,
    pub name: String,
    /// The instance of a repeated block (`count` / `for_each`); `None` for a single block
    /// (and for a repeated block as a whole).
    pub key: Option<Key>,
}

/// One step of a module path: `module.NAME` or `module.NAME["key"]` (a repeated call).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Step {
    pub name: String,
    pub key: Option<Key>,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "module.{}", self.name)?;
        match &self.key {
            Some(k) => write!(f, "{k}"),
            None => Ok(()),
        }
    }
}

/// A module path as written: `module.a["k"].module.b` (empty for the root module).
pub fn module_text(path: &[Step]) -> String {
    let steps: Vec<String> = path.iter().map(Step::to_string).collect();
    steps.join(".")
}

/// Parse a module path (`module.a`, `module.a["k"].module.b`) — the whole text.
pub fn parse_module(s: &str) -> Result<Vec<Step>, String> {
    let (path, rest) = take_steps(s)?;
    match (path.is_empty(), rest) {
        (false, "") => Ok(path),
        _ => Err(format!(
            "\"{s}\" is not a module path: write module.NAME or module.NAME[\"key\"]"
        )),
    }
}

/// The leading `module.NAME[KEY].` steps of `s`, and what follows them.
fn take_steps(mut s: &str) -> Result<(Vec<Step>, &str), String> {
    let whole = s;
    let bad = || {
        format!(
            "\"{whole}\" is not an address: a module step is module.NAME or module.NAME[\"key\"]"
        )
    };
    let mut path = Vec::new();
    while let Some(rest) = s.strip_prefix("module.") {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = &rest[..end];
        if !valid_name(name) {
            return Err(bad());
        }
        let (key, after) = match rest[end..].strip_prefix('[') {
            Some(inner) => {
                let close = key_end(inner).ok_or_else(bad)?;
                (
                    Some(Key::parse(&inner[..close]).ok_or_else(bad)?),
                    &inner[close + 1..],
                )
            }
            None => (None, &rest[end..]),
        };
        path.push(Step {
            name: name.to_string(),
            key,
        });
        s = match after.strip_prefix('.') {
            Some(next) => next,
            None if after.is_empty() => after,
            None => return Err(bad()),
        };
    }
    Ok((path, s))
}

/// The index of the `]` closing a key that starts `inner` (a JSON string may hold `]`).
fn key_end(inner: &str) -> Option<usize> {
    if !inner.starts_with('"') {
        return inner.find(']');
    }
    let mut escaped = false;
    for (i, c) in inner.char_indices().skip(1) {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return inner[i + 1..].starts_with(']').then_some(i + 1),
            _ => {}
        }
    }
    None
}

fn valid_name(p: &str) -> bool {
    p.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// An instance key: `count.index` or `each.key` (in JSON a number or a string, as the
/// `index` of Terraform's plan JSON).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Index(usize),
    Name(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Index(i) => write!(f, "[{i}]"),
            Key::Name(k) => {
                let quoted = serde_json::to_string(k).map_err(|_| fmt::Error)?;
                write!(f, "[{quoted}]")
            }
        }
    }
}

impl Key {
    /// The key as a value (`count.index` is a number, `each.key` a string).
    pub fn value(&self) -> crate::value::Value {
        match self {
            Key::Index(i) => crate::value::Value::int(*i as i64),
            Key::Name(k) => crate::value::Value::str(k.clone()),
        }
    }

    /// The `index` of a change in plan JSON (a number or a string, as Terraform's).
    pub fn json(&self) -> serde_json::Value {
        match self {
            Key::Index(i) => serde_json::Value::from(*i),
            Key::Name(k) => serde_json::Value::from(k.clone()),
        }
    }

    /// Parse the bracketed suffix: `[0]` or `["key"]` (the text inside the brackets).
    fn parse(inner: &str) -> Option<Key> {
        if inner.starts_with('"') {
            return serde_json::from_str::<String>(inner).ok().map(Key::Name);
        }
        let digits = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| inner.parse().ok().map(Key::Index)).flatten()
    }
}

impl Address {
    pub fn managed(ty: &str, name: &str) -> Address {
        Address {
            module: Vec::new(),
            mode: Mode::Managed,
            ty: ty.to_string(),
            name: name.to_string(),
            key: None,
        }
    }

    pub fn data(ty: &str, name: &str) -> Address {
        Address {
            module: Vec::new(),
            mode: Mode::Data,
            ty: ty.to_string(),
            name: name.to_string(),
            key: None,
        }
    }

    /// The address of the block this is an instance of (itself when it has no key).
    pub fn block(&self) -> Address {
        Address {
            key: None,
            ..self.clone()
        }
    }

    /// Whether this is `block` or (when `block` has no key) one of its instances — without
    /// building an address.
    pub fn in_block(&self, block: &Address) -> bool {
        (block.key.is_none() || self.key == block.key)
            && self.mode == block.mode
            && self.ty == block.ty
            && self.name == block.name
            && self.module == block.module
    }

    /// The same object inside the module instance `path` (prefixed to its own module path).
    pub fn in_module(&self, path: &[Step]) -> Address {
        let mut module = path.to_vec();
        module.extend(self.module.iter().cloned());
        Address {
            module,
            ..self.clone()
        }
    }

    /// Whether this address is inside the module path `path` (or one of its instances, when
    /// a step of `path` has no key).
    pub fn within(&self, path: &[Step]) -> bool {
        self.module.len() >= path.len()
            && path
                .iter()
                .zip(&self.module)
                .all(|(p, m)| p.name == m.name && (p.key.is_none() || p.key == m.key))
    }

    /// The address of one instance of this block.
    pub fn instance(&self, key: Key) -> Address {
        Address {
            key: Some(key),
            ..self.clone()
        }
    }

    /// The provider family a type belongs to: the text before the first `_`.
    pub fn provider(&self) -> &str {
        provider_of(&self.ty)
    }

    pub fn is_data(&self) -> bool {
        self.mode == Mode::Data
    }

    /// Parse `type.name` or `data.type.name`, each optionally followed by an instance key
    /// (`[0]`, `["key"]`).
    pub fn parse(s: &str) -> Result<Address, String> {
        let (module, rest) = take_steps(s)?;
        let mut a = Address::parse_local(rest).map_err(|e| match module.is_empty() {
            true => e,
            false => format!(
                "\"{s}\" is not a resource address: after the module path write <type>.<name>"
            ),
        })?;
        a.module = module;
        Ok(a)
    }

    /// An address without a module path.
    fn parse_local(s: &str) -> Result<Address, String> {
        let Some(open) = s.find('[') else {
            return Address::parse_block(s);
        };
        let (block, rest) = s.split_at(open);
        let key = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .and_then(Key::parse)
            .ok_or_else(|| {
                format!(
                    "\"{s}\" is not a resource address: an instance key is written [0] or \
                     [\"key\"] at the end"
                )
            })?;
        Ok(Address::parse_block(block)?.instance(key))
    }

    fn parse_block(s: &str) -> Result<Address, String> {
        let parts: Vec<&str> = s.split('.').collect();
        let valid = valid_name;
        match parts.as_slice() {
            ["data", ty, name] if valid(ty) && valid(name) => Ok(Address::data(ty, name)),
            [ty, name] if *ty != "data" && *ty != "module" && valid(ty) && valid(name) => {
                Ok(Address::managed(ty, name))
            }
            _ => Err(format!(
                "\"{s}\" is not a resource address: write <type>.<name> (or data.<type>.<name>), \
                 using letters, digits, '_' and '-'"
            )),
        }
    }
}

pub fn provider_of(ty: &str) -> &str {
    ty.split('_').next().unwrap_or(ty)
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.module {
            write!(f, "{step}.")?;
        }
        if self.mode == Mode::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.ty, self.name)?;
        match &self.key {
            Some(k) => write!(f, "{k}"),
            None => Ok(()),
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let s = String::deserialize(d)?;
        Address::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let a = Address::parse("huaweicloud_rds_parameter_template.base").unwrap();
        assert_eq!(a.provider(), "huaweicloud");
        assert_eq!(a.to_string(), "huaweicloud_rds_parameter_template.base");
        let d = Address::parse("data.alicloud_gpdb_backups.b").unwrap();
        assert!(d.is_data());
        assert_eq!(d.to_string(), "data.alicloud_gpdb_backups.b");
        assert!(Address::parse("nodot").is_err());
        assert!(Address::parse("a.b.c").is_err());
        assert!(Address::parse("data.x").is_err());
        assert!(Address::parse("a. b").is_err());
    }

    #[test]
    fn instance_keys_round_trip_and_sort_together() {
        for text in [
            "t.n[0]",
            "t.n[12]",
            "t.n[\"a\"]",
            "data.t.n[\"x.y]\\\"z\"]",
            "t.n[\"\"]",
        ] {
            let a = Address::parse(text).unwrap();
            assert_eq!(a.to_string(), text);
            assert!(a.key.is_some());
            assert_eq!(a.block().to_string(), text[..text.find('[').unwrap()]);
        }
        for bad in [
            "t.n[",
            "t.n[]",
            "t.n[x]",
            "t.n[-1]",
            "t.n[0][1]",
            "t.n[\"a]",
            "t.n[0]x",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
        let mut v: Vec<Address> = ["t.n[10]", "t.o", "t.n[2]", "t.n", "t.n[\"b\"]"]
            .iter()
            .map(|s| Address::parse(s).unwrap())
            .collect();
        v.sort();
        let texts: Vec<String> = v.iter().map(|a| a.to_string()).collect();
        assert_eq!(texts, ["t.n", "t.n[2]", "t.n[10]", "t.n[\"b\"]", "t.o"]);
    }

    #[test]
    fn module_paths_round_trip_and_sort_after_the_root() {
        for text in [
            "module.a.t.n",
            "module.a[\"prod\"].t.n[0]",
            "module.a[2].module.b.data.t.n[\"x\"]",
            "module.a[\"x].y\\\"z\"].t.n",
        ] {
            let a = Address::parse(text).unwrap();
            assert_eq!(a.to_string(), text);
            assert!(!a.module.is_empty());
        }
        for bad in [
            "module.a",
            "module.a.",
            "module..t.n",
            "module.a[\"k\"]t.n",
            "module.a[x].t.n",
            "module.t",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
        let m = parse_module("module.a[\"k\"].module.b").unwrap();
        assert_eq!(module_text(&m), "module.a[\"k\"].module.b");
        let inner = Address::parse("module.a[\"k\"].module.b.t.n").unwrap();
        assert!(inner.within(&parse_module("module.a").unwrap()));
        assert!(!inner.within(&parse_module("module.a[\"j\"]").unwrap()));
        let mut v: Vec<Address> = ["module.a.t.n", "z.z", "module.a[\"k\"].t.n"]
            .iter()
            .map(|s| Address::parse(s).unwrap())
            .collect();
        v.sort();
        assert_eq!(v[0].to_string(), "z.z");
    }
}
