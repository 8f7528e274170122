//! Schemas of the `providers:` blocks, one per cloud family.

use super::Schema;

pub static PROVIDERS: &[&Schema] = &[
    &super::alicloud::PROVIDER,
    &super::huaweicloud::PROVIDER,
    &super::commvault::PROVIDER,
];

pub fn provider(name: &str) -> Option<&'static Schema> {
    PROVIDERS.iter().copied().find(|s| s.type_name == name)
}
