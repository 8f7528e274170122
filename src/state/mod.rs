//! State: what strata has made, by address (type, provider, id, attributes, how it was made,
//! direct dependencies, fingerprints of sensitive values), with lineage and serial.
//! Backends keep a snapshot plus an append-only journal of steps and intents.

pub mod backend;
pub mod journal;
pub mod local;
pub mod lock;
pub mod place;
pub mod postgres;
pub mod sensitive;
pub mod snapshot;

use crate::address::{Address, Mode};
use crate::value::Value;
use crate::verb::{IntentAction, Verb};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub version: u32,
    pub lineage: String,
    pub serial: u64,
    pub stack: String,
    /// The stack directory (canonical path) this state belongs to: a state recorded for
    /// another directory that still exists is refused (`backend::check_directory`). Absent in
    /// states written before it was recorded; every write records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// Key for fingerprints of sensitive values (so a changed secret is detected without the
    /// secret ever being stored). `STRATA_FINGERPRINT_KEY` overrides it.
    #[serde(default)]
    pub fingerprint_key: String,
    #[serde(default)]
    pub resources: BTreeMap<Address, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// Objects replaced under create_before_destroy that still wait to be deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
    /// Intents whose call may have been sent but whose outcome is not recorded. They are part
    /// of the state, so a fold keeps them: only reconciling (or the call's result) closes one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intents: Vec<OpenIntent>,
}

/// An intent whose call may or may not have happened: reconciled on the next run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenIntent {
    pub id: String,
    pub addr: Address,
    pub action: IntentAction,
    pub key: Value,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Deposed {
    pub addr: Address,
    pub resource: ResourceState,
}

/// How an object came to be.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "how", rename_all = "lowercase")]
pub enum Made {
    Created,
    Cloned { from: Value },
    Bound,
    Read,
    Imported,
}

impl Made {
    /// How an object made by `verb` is recorded (`from`: the clone source of a clone).
    pub fn by(verb: Verb, from: Value) -> Made {
        match verb {
            Verb::Clone => Made::Cloned { from },
            Verb::Bind => Made::Bound,
            Verb::Read => Made::Read,
            Verb::Import => Made::Imported,
            Verb::Create | Verb::Update | Verb::Delete => Made::Created,
        }
    }

    /// Cloned as the `clone:` block `from` says.
    pub fn cloned_from(from: &crate::value::Map) -> Made {
        Made::Cloned {
            from: Value::Map(from.clone()),
        }
    }

    /// The verb that made the object.
    pub fn verb(&self) -> Verb {
        match self {
            Made::Created => Verb::Create,
            Made::Cloned { .. } => Verb::Clone,
            Made::Bound => Verb::Bind,
            Made::Read => Verb::Read,
            Made::Imported => Verb::Import,
        }
    }
}

/// One object in the cloud.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Object {
    pub id: String,
    pub attributes: Value,
    pub made: Made,
    /// Sensitive attribute paths → keyed fingerprints. The attributes hold `null` there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive: BTreeMap<String, String>,
}

impl Object {
    /// An object created with nothing recorded of it but its id (the backends' tests store
    /// such records: what a backend keeps does not depend on the attributes).
    pub fn created(id: &str) -> Object {
        Object {
            id: id.into(),
            attributes: Value::Null,
            made: Made::Created,
            sensitive: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResourceState {
    #[serde(rename = "type")]
    pub ty: String,
    pub provider: String,
    pub mode: Mode,
    pub id: String,
    pub attributes: Value,
    pub made: Made,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive: BTreeMap<String, String>,
    /// Direct dependencies only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Address>,
    /// Made, but not finished (a create that failed part-way, or an interrupted multi-step
    /// action): the next plan replaces it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tainted: bool,
}

impl ResourceState {
    pub fn new(addr: &Address, obj: Object, dependencies: Vec<Address>) -> ResourceState {
        ResourceState {
            ty: addr.ty.clone(),
            provider: addr.provider().to_string(),
            mode: addr.mode,
            id: obj.id,
            attributes: obj.attributes,
            made: obj.made,
            sensitive: obj.sensitive,
            dependencies,
            tainted: false,
        }
    }

    pub fn object(&self) -> Object {
        Object {
            id: self.id.clone(),
            attributes: self.attributes.clone(),
            made: self.made.clone(),
            sensitive: self.sensitive.clone(),
        }
    }

    pub fn set_object(&mut self, obj: Object) {
        self.id = obj.id;
        self.attributes = obj.attributes;
        self.made = obj.made;
        self.sensitive = obj.sensitive;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputState {
    /// `null` for a sensitive output: its value is never stored, only its fingerprint.
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl OutputState {
    /// How an output of `state` is stored: a sensitive one as its keyed fingerprint only.
    pub fn of(state: &State, v: Value, sensitive: bool) -> OutputState {
        if sensitive {
            OutputState {
                fingerprint: Some(fingerprint(&state.fingerprint_key(), &v)),
                value: Value::Null,
                sensitive: true,
            }
        } else {
            OutputState {
                value: v,
                sensitive: false,
                fingerprint: None,
            }
        }
    }
}

impl State {
    pub fn new(stack: &str) -> State {
        State {
            version: STATE_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            directory: None,
            fingerprint_key: hex::encode(rand::random::<[u8; 32]>()),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            deposed: Vec::new(),
            intents: Vec::new(),
        }
    }

    /// The state's identity without its objects: what a journal header needs.
    pub fn header(&self) -> State {
        State {
            version: self.version,
            lineage: self.lineage.clone(),
            serial: self.serial,
            stack: self.stack.clone(),
            directory: self.directory.clone(),
            fingerprint_key: self.fingerprint_key.clone(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            deposed: Vec::new(),
            intents: Vec::new(),
        }
    }

    /// Apply one journal entry.
    pub fn apply(&mut self, e: &journal::Entry) {
        use journal::Entry;
        if let Some(closed) = e.closes() {
            self.intents.retain(|i| i.id != closed);
        }
        match e {
            Entry::Intent {
                id,
                addr,
                action,
                key,
                token,
            } => self.intents.push(OpenIntent {
                id: id.clone(),
                addr: addr.clone(),
                action: *action,
                key: key.clone(),
                token: token.clone(),
            }),
            Entry::Settle { .. } => {}
            Entry::Put { addr, resource, .. } => {
                self.resources.insert(addr.clone(), resource.clone());
            }
            Entry::Remove { addr, .. } => {
                self.resources.remove(addr);
            }
            Entry::Depose { addr } => {
                if let Some(r) = self.resources.remove(addr) {
                    self.deposed.push(Deposed {
                        addr: addr.clone(),
                        resource: r,
                    });
                }
            }
            Entry::RemoveDeposed { addr, id, .. } => {
                self.deposed
                    .retain(|d| !(&d.addr == addr && &d.resource.id == id));
            }
            Entry::Move { from, to } => {
                if let Some(mut r) = self.resources.remove(from) {
                    r.ty = to.ty.clone();
                    self.resources.insert(to.clone(), r);
                    // what depended on the object depends on it at its new address
                    for other in self.resources.values_mut() {
                        for d in other.dependencies.iter_mut().filter(|d| *d == from) {
                            *d = to.clone();
                        }
                    }
                }
            }
            Entry::Outputs { outputs } => self.outputs = outputs.clone(),
        }
    }

    pub fn fingerprint_key(&self) -> Vec<u8> {
        if let Ok(k) = std::env::var("STRATA_FINGERPRINT_KEY") {
            if !k.is_empty() {
                return k.into_bytes();
            }
        }
        self.fingerprint_key.clone().into_bytes()
    }
}

/// Keyed fingerprint of a sensitive value: HMAC-SHA256 over its canonical JSON.
pub fn fingerprint(key: &[u8], v: &Value) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(serde_json::to_string(v).unwrap_or_default().as_bytes());
    format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
}

/// Errors of the state layer.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

pub fn io_err(path: &std::path::Path, source: std::io::Error) -> StateError {
    StateError::Io {
        path: path.display().to_string(),
        source,
    }
}
