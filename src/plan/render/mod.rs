//! Plan renderings: text for people (Terraform's style), JSON for machines (DESIGN.md's
//! contract, readable by tools built for `terraform show -json`).

pub mod json;
pub mod style;
pub mod text;
