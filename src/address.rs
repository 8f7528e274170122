//! Resource addresses: `<type>.<name>` for managed resources, `data.<type>.<name>` for data sources.

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
    pub mode: Mode,
    pub ty: String,
    pub name: String,
}

impl Address {
    pub fn managed(ty: &str, name: &str) -> Address {
        Address {
            mode: Mode::Managed,
            ty: ty.to_string(),
            name: name.to_string(),
        }
    }

    pub fn data(ty: &str, name: &str) -> Address {
        Address {
            mode: Mode::Data,
            ty: ty.to_string(),
            name: name.to_string(),
        }
    }

    /// The provider family a type belongs to: the text before the first `_`.
    pub fn provider(&self) -> &str {
        provider_of(&self.ty)
    }

    pub fn is_data(&self) -> bool {
        self.mode == Mode::Data
    }

    /// Parse `type.name` or `data.type.name`.
    pub fn parse(s: &str) -> Result<Address, String> {
        let parts: Vec<&str> = s.split('.').collect();
        let valid = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match parts.as_slice() {
            ["data", ty, name] if valid(ty) && valid(name) => Ok(Address::data(ty, name)),
            [ty, name] if *ty != "data" && valid(ty) && valid(name) => {
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
        if self.mode == Mode::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.ty, self.name)
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
}
