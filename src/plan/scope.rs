//! The evaluation scope of plan and apply: variable values plus every object's attributes
//! (known from state, planned with unknowns, or filled in as apply completes).

use crate::address::Address;
use crate::config::eval::{ObjectView, Scope};
use crate::config::vars::{VarValue, Vars};
use crate::value::{Path, Value};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Obj {
    pub value: Value,
    pub sensitive: Vec<Path>,
}

#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub vars: Vars,
    pub objects: HashMap<Address, Obj>,
}

impl Objects {
    pub fn new(vars: Vars) -> Objects {
        Objects {
            vars,
            objects: HashMap::new(),
        }
    }

    pub fn set(&mut self, addr: Address, value: Value, sensitive: Vec<Path>) {
        self.objects.insert(addr, Obj { value, sensitive });
    }
}

impl Scope for Objects {
    fn var(&self, name: &str) -> Option<&VarValue> {
        self.vars.get(name)
    }

    fn object(&self, addr: &Address) -> Option<ObjectView<'_>> {
        self.objects.get(addr).map(|o| ObjectView {
            value: &o.value,
            sensitive: &o.sensitive,
        })
    }
}
