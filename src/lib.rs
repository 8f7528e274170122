//! strata: a declarative plan/apply engine for managed-database resources across clouds.
//! Data flows config → graph → plan → apply → state; see ARCHITECTURE.md.

pub mod address;
pub mod apply;
pub mod cli;
pub mod config;
pub mod diag;
pub mod families;
mod family_list;
pub mod graph;
pub mod plan;
pub mod providers;
pub mod recovery;
pub mod sandbox;
pub mod schema;
pub mod state;
pub mod util;
pub mod value;
pub mod verb;
pub mod walk;
