//! What the state records about an object a driver returned: the one place a state record is
//! built from driver output (a create, an adopted object, an import, a re-read after a failed
//! update). Secrets are masked and kept only as keyed fingerprints.
//!
//! Invariant: a record's attributes always hold its `id` (references and the planner's state
//! fallback read it from there).

use crate::address::Address;
use crate::state::{sensitive, Made, Object, ResourceState};
use crate::value::{Map, Path, Value};

/// What a driver returned about one object.
pub struct Returned {
    pub id: String,
    pub attributes: Map,
    pub made: Made,
    /// Made but not finished: the next plan replaces it.
    pub tainted: bool,
}

/// How a record's secrets are masked.
pub struct Masking<'a> {
    /// The sensitive paths (the schema's, and those derived from sensitive variables).
    pub paths: &'a [Path],
    /// The arguments sent, whose secrets the cloud may not return: fingerprinted too.
    pub desired: Option<&'a Map>,
    pub fkey: &'a [u8],
}

/// The state record of `returned` at `addr`, made through the provider configuration
/// `provider` (`alicloud`, `alicloud.dr`), which the record keeps.
pub fn record(
    addr: &Address,
    returned: Returned,
    masking: &Masking<'_>,
    dependencies: Vec<Address>,
    provider: String,
) -> ResourceState {
    let mut attrs = returned.attributes;
    attrs
        .entry("id".to_string())
        .or_insert_with(|| Value::str(&returned.id));
    let mut masked = Value::Map(attrs);
    let mut fps = sensitive::mask(&mut masked, masking.paths, masking.fkey);
    if let Some(desired) = masking.desired {
        let mut desired = Value::Map(desired.clone());
        fps.extend(sensitive::mask(&mut desired, masking.paths, masking.fkey));
    }
    let object = Object {
        id: returned.id,
        attributes: masked,
        made: returned.made,
        sensitive: fps,
    };
    let mut r = ResourceState::new(addr, object, dependencies);
    r.tainted = returned.tainted;
    r.provider = provider;
    r
}

/// `prior` as re-read from the cloud: its attributes replaced by `attrs` (masked), keeping the
/// fingerprints of secrets the cloud does not return.
pub fn reread(prior: &ResourceState, attrs: Map, paths: &[Path], fkey: &[u8]) -> ResourceState {
    let mut masked = Value::Map(attrs);
    let mut fps = sensitive::mask(&mut masked, paths, fkey);
    for (k, v) in &prior.sensitive {
        fps.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let mut r = prior.clone();
    r.attributes = masked;
    r.sensitive = fps;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_path;

    /// A secret the cloud returns is masked; one it does not return is fingerprinted from the
    /// arguments sent; the id is always in the attributes.
    #[test]
    fn a_record_masks_secrets_and_holds_its_id() {
        let addr = Address::managed("t", "a");
        let paths = vec![
            parse_path("password").unwrap(),
            parse_path("token").unwrap(),
        ];
        let returned = Returned {
            id: "x1".into(),
            attributes: Map::from([("password".to_string(), Value::str("secret-p"))]),
            made: Made::Created,
            tainted: true,
        };
        let desired = Map::from([("token".to_string(), Value::str("secret-t"))]);
        let masking = Masking {
            paths: &paths,
            desired: Some(&desired),
            fkey: b"k",
        };
        let r = record(
            &addr,
            returned,
            &masking,
            vec![],
            addr.provider().to_string(),
        );
        assert_eq!(r.attributes.get("id"), Some(&Value::str("x1")));
        assert_eq!(r.attributes.get("password"), Some(&Value::Null));
        assert!(r.sensitive.contains_key("password") && r.sensitive.contains_key("token"));
        assert!(r.tainted);
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("secret-"), "{text}");
    }
}
