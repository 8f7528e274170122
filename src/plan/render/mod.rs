//! Plan renderings: text for people (Terraform's style), markdown for pull requests, JSON for
//! machines (docs/plan-json.md's contract, readable by tools built for `terraform show -json`).

pub mod json;
pub mod markdown;
pub mod moves;
pub mod refresh_only;
pub mod style;
pub mod text;
