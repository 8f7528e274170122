//! Field-mapping tables: each driver lists its schema attributes once, with the request
//! parameter that sets each (create and update) and the response field it is read from (a
//! key, or a JSON pointer such as `/instance/instanceName`), and the converter where the
//! types differ. Create, update and read all go through the driver's one table, so a name
//! that differs between request and response (gpdb's `VPCId` / `VpcId`) is written once,
//! side by side.
//!
//! Invariant: a table maps names and converts values only; what an operation sends (required
//! arguments, defaults, merges with the current object) stays in the driver's code, which asks
//! the table for the names. Attributes the API does not hold in one field (tags, nested
//! objects built from several fields) are computed beside the table.

use super::api_str;
use crate::value::{Map, Value};
use serde_json::Value as Json;

/// How a value travels between an attribute and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// Text (a number in the response is taken as its text); empty or missing is `null`.
    Text,
    /// An integer; a numeric string in the response is parsed. Sent as its text.
    Int,
    /// A map of strings, sent as JSON text and read from a JSON object (values as text;
    /// missing is an empty map).
    JsonText,
}

/// One attribute of a driver's table.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub attr: &'static str,
    /// The request parameter (or JSON body key) that sets it; `None`: computed.
    pub param: Option<&'static str>,
    /// The response field it is read from; `None`: not in the response.
    pub read: Option<&'static str>,
    pub conv: Conv,
}

impl Field {
    /// Sent as `param`, read back from `read`.
    pub const fn sent(attr: &'static str, param: &'static str, read: &'static str) -> Field {
        Field {
            attr,
            param: Some(param),
            read: Some(read),
            conv: Conv::Text,
        }
    }

    /// Set by the cloud only: read from `read`.
    pub const fn computed(attr: &'static str, read: &'static str) -> Field {
        Field {
            attr,
            param: None,
            read: Some(read),
            conv: Conv::Text,
        }
    }

    /// Sent as `param`, never read from a response (the driver knows it otherwise).
    pub const fn param_only(attr: &'static str, param: &'static str) -> Field {
        Field {
            attr,
            param: Some(param),
            read: None,
            conv: Conv::Text,
        }
    }

    /// Sent and read under the same name (or JSON pointer).
    pub const fn same(attr: &'static str, name: &'static str) -> Field {
        Field::sent(attr, name, name)
    }

    pub const fn conv(mut self, conv: Conv) -> Field {
        self.conv = conv;
        self
    }

    /// The value as the API takes it; `None` for a null (unset) value.
    pub fn encode(&self, v: &Value) -> Option<String> {
        match (v, self.conv) {
            (Value::Null | Value::Unknown, _) => None,
            (v, Conv::JsonText) => Some(v.to_json().to_string()),
            (v, _) => v.scalar_text(),
        }
    }

    /// The value as a JSON body holds it (an integer as a number); `None` for a null value.
    pub fn encode_json(&self, v: &Value) -> Option<Json> {
        match (v, self.conv) {
            (Value::Null | Value::Unknown, _) => None,
            (v, Conv::Int) => v.as_i64().map(Json::from),
            (v, _) => self.encode(v).map(Json::String),
        }
    }

    /// The attribute from a response `item`.
    pub fn decode(&self, item: &Json) -> Value {
        let v = match self.read {
            Some(p) if p.starts_with('/') => item.pointer(p).unwrap_or(&Json::Null),
            Some(k) => &item[k],
            None => &Json::Null,
        };
        match self.conv {
            Conv::Text => api_str(v),
            Conv::Int => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .map(Value::int)
                .unwrap_or(Value::Null),
            Conv::JsonText => Value::Map(text_map(v)),
        }
    }
}

/// A JSON object as a map of strings (non-string values as their JSON text).
fn text_map(v: &Json) -> Map {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let text = v
                        .as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), Value::str(text))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The field of `attr`. Tables are the drivers' own constants, so a missing name is a bug the
/// driver's unit tests catch; it still answers (an unsendable, unreadable field) instead of
/// panicking.
pub fn field(table: &[Field], attr: &'static str) -> Field {
    table
        .iter()
        .find(|f| f.attr == attr)
        .copied()
        .unwrap_or(Field {
            attr,
            param: None,
            read: None,
            conv: Conv::Text,
        })
}

/// The request parameter of `attr` (its attribute name when the table sends it under none).
pub fn param_name(table: &[Field], attr: &'static str) -> &'static str {
    field(table, attr).param.unwrap_or(attr)
}

/// `attr`'s parameter and value from `args`, when the argument is set.
pub fn param(table: &[Field], args: &Map, attr: &'static str) -> Option<(&'static str, String)> {
    let f = field(table, attr);
    Some((f.param?, f.encode(args.get(attr)?)?))
}

/// Every parameter of the table that `args` sets, in the table's order.
pub fn params(table: &[Field], args: &Map) -> Vec<(&'static str, String)> {
    table
        .iter()
        .filter_map(|f| param(table, args, f.attr))
        .collect()
}

/// Set `value` at the JSON pointer `at` of `body`, making the objects on the way (in the
/// order they are first set, so a table in the API's documented order gives its body).
pub fn set_json(body: &mut Json, at: &str, value: Json) {
    let mut cur = body;
    for key in at.trim_start_matches('/').split('/') {
        if !cur.is_object() {
            *cur = Json::Object(Default::default());
        }
        let Json::Object(m) = cur else { return };
        cur = m.entry(key.to_string()).or_insert(Json::Null);
    }
    *cur = value;
}

/// Every attribute the table reads, from a response `item`.
pub fn read(table: &[Field], item: &Json) -> Map {
    table
        .iter()
        .filter(|f| f.read.is_some())
        .map(|f| (f.attr.to_string(), f.decode(item)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLE: &[Field] = &[
        Field::sent("vpc_id", "VPCId", "VpcId"),
        Field::sent("nodes", "SegNodeNum", "SegNodeNum").conv(Conv::Int),
        Field::sent("props", "Props", "/Inner/Props").conv(Conv::JsonText),
        Field::computed("id", "Id"),
    ];

    #[test]
    fn one_table_sends_and_reads_each_attribute() {
        let args = Map::from([
            ("vpc_id".to_string(), Value::str("vpc-1")),
            ("nodes".to_string(), Value::int(4)),
            ("id".to_string(), Value::str("ignored: computed")),
        ]);
        assert_eq!(
            params(TABLE, &args),
            [("VPCId", "vpc-1".to_string()), ("SegNodeNum", "4".into())]
        );
        assert_eq!(param_name(TABLE, "vpc_id"), "VPCId");
        let item = json!({"VpcId": "vpc-1", "SegNodeNum": "4", "Id": 7,
            "Inner": {"Props": {"a": "x", "n": 1}}});
        let m = read(TABLE, &item);
        assert_eq!(m["vpc_id"], Value::str("vpc-1"));
        assert_eq!(m["nodes"], Value::int(4));
        assert_eq!(m["id"], Value::str("7"));
        assert_eq!(m["props"].get("n"), Some(&Value::str("1")));
        assert_eq!(read(TABLE, &json!({}))["vpc_id"], Value::Null);
    }

    #[test]
    fn a_body_is_built_by_pointers_in_the_order_they_are_set() {
        let mut b = json!({});
        set_json(&mut b, "/a/x", json!(1));
        set_json(&mut b, "/b", json!("t"));
        set_json(&mut b, "/a/y", json!(2));
        assert_eq!(b.to_string(), r#"{"a":{"x":1,"y":2},"b":"t"}"#);
        let f = Field::same("n", "/a/x").conv(Conv::Int);
        assert_eq!(f.encode_json(&Value::int(3)), Some(json!(3)));
        assert_eq!(f.encode_json(&Value::Null), None);
    }
}
