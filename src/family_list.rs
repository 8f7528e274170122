//! THE list of provider families: the one line a new family adds. Every list of families in
//! the code is derived from it — the schema layer's (`schema::all`, `schema::providers::
//! PROVIDERS`) and the registration values (`families::ALL`) — so no family is listed twice.
//!
//! Each name `f` must have `schema::f` (`SCHEMAS`, `PROVIDER`) and `families::f` (`FAMILY`).
//! This module is beneath every layer and imports nothing: it is only names.

/// Calls macro `$then!` with the families' module names, in the order `strata schema` and the
/// JSON Schema list them.
macro_rules! with_families {
    ($then:ident) => {
        $then!(alicloud, huaweicloud, commvault);
    };
}

pub(crate) use with_families;
