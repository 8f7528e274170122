//! An intent: written to the journal before a mutating call, closed by the entry that
//! records the call's outcome. Its key identifies what the call makes (natural key, clone
//! source, or the object's id) and how to record it if a reconcile adopts it (dependencies,
//! sensitive paths). The key's on-disk form is a map with the fields `natural`, `clone`,
//! `dependencies`, `sensitive` and, for updates and deletes, `id`; it must stay readable.

use crate::address::Address;
use crate::state::journal::Entry;
use crate::state::{sensitive, OpenIntent, ResourceState};
use crate::value::{parse_path, path_string, Map, Path, Value};
use crate::verb::IntentAction;

/// What identifies the object an intent's call makes or changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntentKey {
    /// The natural key (withheld as a fingerprint when it holds a secret).
    pub natural: Value,
    /// The evaluated `clone:` block (`null` when not cloning).
    pub clone: Value,
    pub dependencies: Vec<Address>,
    pub sensitive: Vec<Path>,
    /// The object's id, for an update or a delete.
    pub id: Option<String>,
}

impl IntentKey {
    /// The key of a create: its natural key is withheld (kept only as a fingerprint) when
    /// it holds a sensitive value of `args`.
    pub fn making(
        natural: Value,
        args: &Map,
        clone: Option<&Map>,
        dependencies: &[Address],
        sensitive: &[Path],
        fkey: &[u8],
    ) -> IntentKey {
        let args = Value::Map(args.clone());
        IntentKey {
            natural: sensitive::withhold(natural, &args, sensitive, fkey),
            clone: clone.cloned().map(Value::Map).unwrap_or_default(),
            dependencies: dependencies.to_vec(),
            sensitive: sensitive.to_vec(),
            id: None,
        }
    }

    /// The key of an update or a delete of the object `id`.
    pub fn of_object(id: &str, dependencies: &[Address], sensitive: &[Path]) -> IntentKey {
        IntentKey {
            id: Some(id.to_string()),
            dependencies: dependencies.to_vec(),
            sensitive: sensitive.to_vec(),
            ..IntentKey::default()
        }
    }

    /// The journal's form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("natural".into(), self.natural.clone());
        m.insert("clone".into(), self.clone.clone());
        let deps = self.dependencies.iter().map(|a| Value::str(a.to_string()));
        m.insert("dependencies".into(), Value::List(deps.collect()));
        let paths = self.sensitive.iter().map(|p| Value::str(path_string(p)));
        m.insert("sensitive".into(), Value::List(paths.collect()));
        if let Some(id) = &self.id {
            m.insert("id".into(), Value::str(id));
        }
        Value::Map(m)
    }

    /// Read the journal's form (missing or malformed fields read as empty).
    pub fn of_value(key: &Value) -> IntentKey {
        let list = |k: &str| key.get(k).and_then(Value::as_list).cloned();
        let strings = |k: &str| {
            list(k)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect::<Vec<_>>()
        };
        IntentKey {
            natural: key.get("natural").cloned().unwrap_or_default(),
            clone: key.get("clone").cloned().unwrap_or_default(),
            dependencies: strings("dependencies")
                .iter()
                .filter_map(|s| Address::parse(s).ok())
                .collect(),
            sensitive: strings("sensitive")
                .iter()
                .filter_map(|s| parse_path(s))
                .collect(),
            id: key.get("id").and_then(Value::as_str).map(String::from),
        }
    }
}

/// One intent, and the journal entries that open and close it.
#[derive(Debug, Clone)]
pub struct Intent {
    pub id: String,
    pub addr: Address,
    pub action: IntentAction,
    pub key: IntentKey,
    /// The client token sent with a create (empty for updates and deletes).
    pub token: String,
}

impl Intent {
    /// A new intent with a fresh id (and a fresh client token when the call makes an object).
    pub fn new(addr: &Address, action: IntentAction, key: IntentKey) -> Intent {
        let token = if action.verb().makes() {
            uuid::Uuid::new_v4().simple().to_string()
        } else {
            String::new()
        };
        Intent {
            id: uuid::Uuid::new_v4().to_string(),
            addr: addr.clone(),
            action,
            key,
            token,
        }
    }

    /// An intent the state holds open.
    pub fn of_open(i: &OpenIntent) -> Intent {
        Intent {
            id: i.id.clone(),
            addr: i.addr.clone(),
            action: i.action,
            key: IntentKey::of_value(&i.key),
            token: i.token.clone(),
        }
    }

    /// The entry that opens it (journaled before the call).
    pub fn open(&self) -> Entry {
        Entry::Intent {
            id: self.id.clone(),
            addr: self.addr.clone(),
            action: self.action,
            key: self.key.to_value(),
            token: self.token.clone(),
        }
    }

    /// Closes it without a change: the call failed for certain, or never took effect.
    pub fn settle(&self) -> Entry {
        Entry::Settle {
            intent: self.id.clone(),
        }
    }

    /// Closes it with the object the call made or changed.
    pub fn put(&self, resource: ResourceState) -> Entry {
        Entry::Put {
            addr: self.addr.clone(),
            resource,
            intent: Some(self.id.clone()),
        }
    }

    /// Closes a delete: the object (or the deposed object of the key's id) is gone.
    pub fn removed(&self) -> Entry {
        let intent = Some(self.id.clone());
        let addr = self.addr.clone();
        match self.action {
            IntentAction::DeleteDeposed => Entry::RemoveDeposed {
                addr,
                id: self.key.id.clone().unwrap_or_default(),
                intent,
            },
            _ => Entry::Remove { addr, intent },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key's journal form is the one written before it was typed, and reads back.
    #[test]
    fn a_key_round_trips_through_its_journal_form() {
        let key = IntentKey {
            natural: Value::str("n"),
            clone: Value::Null,
            dependencies: vec![Address::managed("t", "a")],
            sensitive: vec![parse_path("password").unwrap()],
            id: Some("x1".into()),
        };
        let v = key.to_value();
        let json = serde_json::to_string(&v.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"clone":null,"dependencies":["t.a"],"id":"x1","natural":"n","sensitive":["password"]}"#
        );
        assert_eq!(IntentKey::of_value(&v), key);
    }
}
