//! The temporary credentials the sandbox issues — Alibaba Cloud STS `AssumeRole`'s and Huawei
//! IAM's security tokens —, and the gateways' check of a request signed with one. Each is a
//! document of its [`Kind`]'s collection, under its key id: what it was issued for, when it
//! expires (`status_after` turns it `Expired` then, for `sandbox ls`), and SHA-256 hashes of
//! its secret and of its security token — never either in the clear, like the Commvault SA
//! password. The secret is derived from the key id with the sandbox's own key
//! (HMAC-SHA256), so a gateway can recompute it to verify a signature; the token is random,
//! recognised by its hash.
//!
//! Invariant: a temporary key is accepted only with its own token and only before it
//! expires; what is wrong is told apart ([`Refusal`]) so that each gateway answers with its
//! own documented code.

use super::faults::FaultSpec;
use super::signature::{hmac_sha256_hex, same, sha256_hex};
use super::store::{now_ms, Store, Tx, World};
use base64::Engine;
use rand::Rng;
use serde_json::{json, Value};

/// One cloud's temporary credentials: where they are kept and what they look like.
pub struct Kind {
    /// The world's collection (`sts/credential`).
    pub coll: &'static str,
    /// How a key id starts (`STS.`; empty for Huawei's, which look like any AK).
    pub key_prefix: &'static str,
    /// How a token starts (Alibaba's `CAIS…`), after which comes base64.
    pub token_prefix: &'static str,
}

/// Alibaba Cloud STS: key ids `STS.…` and tokens `CAIS…`, as the STS API reference shows them.
pub const ALIBABA: Kind = Kind {
    coll: "sts/credential",
    key_prefix: "STS.",
    token_prefix: "CAIS",
};

/// Huawei IAM: a 20-character AK like a permanent one, and a base64 security token.
pub const HUAWEI: Kind = Kind {
    coll: "iam/securitytoken",
    key_prefix: "",
    token_prefix: "",
};

/// The sandbox's own key, from which each temporary secret is derived.
const DERIVATION_KEY: &str = "strata-sandbox-temporary-credentials";

/// Temporary credentials just issued: the only time the secret and token exist in the clear.
pub struct Issued {
    pub key: String,
    pub secret: String,
    pub token: String,
    /// When they expire (ms since the epoch, a whole second as the APIs print it).
    pub expires_ms: u64,
}

/// What is wrong with a request's temporary credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such temporary key.
    Unknown,
    /// The key is temporary but no token came with it.
    MissingToken,
    /// The token is not a token at all.
    Malformed,
    /// The token is another key's.
    Mismatch,
    /// The key and token expired.
    Expired,
}

/// The secret of temporary key `key`: derived, never stored.
pub fn derived_secret(key: &str) -> String {
    hmac_sha256_hex(DERIVATION_KEY, key)[..40].to_string()
}

/// How long credentials asked for `requested_s` seconds live: that, or `sts_ttl_ms` when
/// shorter (`STRATA_SANDBOX`, for tests of expiry and renewal).
pub fn lifetime_ms(requested_s: u64, spec: &FaultSpec) -> u64 {
    let asked = requested_s.saturating_mul(1000);
    spec.sts_ttl_ms.map_or(asked, |cap| asked.min(cap))
}

/// Issue temporary credentials of `kind` living `lifetime_ms`, recording `about` (the role, the
/// session) in their document; expired ones a day old are forgotten.
pub fn issue(tx: &mut Tx, kind: &Kind, lifetime_ms: u64, about: Value) -> Issued {
    forget_old(tx, kind);
    let key = format!("{}{}", kind.key_prefix, random_key());
    let secret = derived_secret(&key);
    let mut bytes = [0u8; 96];
    rand::rng().fill(&mut bytes[..]);
    let token = format!(
        "{}{}",
        kind.token_prefix,
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    let expires_ms = (now_ms() + lifetime_ms) / 1000 * 1000;
    let mut doc = json!({
        "status": "Active",
        "status_after": {"at": expires_ms, "status": "Expired"},
        "expires": expires_ms,
        "secret_sha256": sha256_hex(secret.as_bytes()),
        "token_sha256": sha256_hex(token.as_bytes()),
    });
    if let (Some(d), Value::Object(more)) = (doc.as_object_mut(), about) {
        d.extend(more);
    }
    tx.put(kind.coll, &key, doc);
    Issued {
        key,
        secret,
        token,
        expires_ms,
    }
}

/// 20 uppercase letters and digits, as access key ids are.
fn random_key() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut r = rand::rng();
    (0..20)
        .map(|_| CHARS[r.random_range(0..CHARS.len())] as char)
        .collect()
}

fn forget_old(tx: &mut Tx, kind: &Kind) {
    let day_ago = now_ms().saturating_sub(24 * 3600 * 1000);
    let old: Vec<String> = tx
        .world()
        .list(kind.coll)
        .filter(|(_, d)| d["expires"].as_u64().is_some_and(|e| e < day_ago))
        .map(|(id, _)| id.clone())
        .collect();
    for id in old {
        tx.delete(kind.coll, &id);
    }
}

/// Whether `key` has the look of a temporary key of `kind` (for a kind whose keys have one).
pub fn looks_temporary(kind: &Kind, key: &str) -> bool {
    !kind.key_prefix.is_empty() && key.starts_with(kind.key_prefix)
}

/// The document of temporary key `key`, if the sandbox issued it.
pub fn find<'a>(w: &'a World, kind: &Kind, key: &str) -> Option<&'a Value> {
    w.get(kind.coll, key)
}

/// [`secret`] of temporary key `key`, looked up in `store`'s world (`Unknown` when it never
/// issued it); the outer error is the store's.
pub fn lookup(
    store: &Store,
    kind: &Kind,
    key: &str,
    token: Option<&str>,
) -> Result<Result<String, Refusal>, String> {
    store.read(|w| match find(w, kind, key) {
        Some(doc) => secret(kind, key, doc, token),
        None => Err(Refusal::Unknown),
    })
}

/// The secret to verify a request signed by temporary key `key` sent with `token` — its
/// document `doc` —, or why the request is refused: a missing, malformed or foreign token
/// first, then expiry.
pub fn secret(kind: &Kind, key: &str, doc: &Value, token: Option<&str>) -> Result<String, Refusal> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(Refusal::MissingToken)?;
    if !well_formed(kind, token) {
        return Err(Refusal::Malformed);
    }
    let hash = doc["token_sha256"].as_str().unwrap_or_default();
    if !same(hash, &sha256_hex(token.as_bytes())) {
        return Err(Refusal::Mismatch);
    }
    if doc["expires"].as_u64().is_none_or(|e| now_ms() >= e) {
        return Err(Refusal::Expired);
    }
    let secret = derived_secret(key);
    let recorded = doc["secret_sha256"].as_str().unwrap_or_default();
    if !same(recorded, &sha256_hex(secret.as_bytes())) {
        return Err(Refusal::Unknown);
    }
    Ok(secret)
}

/// The kind's prefix, then base64.
fn well_formed(kind: &Kind, token: &str) -> bool {
    token.strip_prefix(kind.token_prefix).is_some_and(|rest| {
        !rest.is_empty()
            && base64::engine::general_purpose::STANDARD
                .decode(rest)
                .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("w.json"), |_| {});
        (dir, s)
    }

    #[test]
    fn a_temporary_key_works_only_with_its_own_token_until_it_expires() {
        let (_dir, s) = store();
        let spec = FaultSpec::default();
        let a = s
            .write(|tx| issue(tx, &ALIBABA, lifetime_ms(900, &spec), json!({"name": "ci"})))
            .unwrap();
        let b = s
            .write(|tx| issue(tx, &ALIBABA, lifetime_ms(900, &spec), json!({})))
            .unwrap();
        assert!(a.key.starts_with("STS.") && a.token.starts_with("CAIS"));
        assert!(looks_temporary(&ALIBABA, &a.key));
        let check = |key: &str, token: Option<&str>| lookup(&s, &ALIBABA, key, token).unwrap();
        assert_eq!(check(&a.key, Some(&a.token)), Ok(a.secret.clone()));
        assert_eq!(check(&a.key, None), Err(Refusal::MissingToken));
        assert_eq!(check(&a.key, Some("CAIS%%%")), Err(Refusal::Malformed));
        assert_eq!(check(&a.key, Some(&b.token)), Err(Refusal::Mismatch));
        assert_eq!(
            check("STS.NOTISSUED", Some(&a.token)),
            Err(Refusal::Unknown)
        );
        // the world keeps hashes only
        let world = s
            .read(|w| serde_json::to_string(&w.colls).unwrap())
            .unwrap();
        assert!(!world.contains(&a.secret) && !world.contains(&a.token));
        assert!(world.contains("\"name\":\"ci\""));
        // capped by sts_ttl_ms, in whole seconds
        let brief = FaultSpec {
            sts_ttl_ms: Some(1),
            ..FaultSpec::default()
        };
        let gone = s
            .write(|tx| issue(tx, &ALIBABA, lifetime_ms(900, &brief), json!({})))
            .unwrap();
        assert_eq!(gone.expires_ms % 1000, 0);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(check(&gone.key, Some(&gone.token)), Err(Refusal::Expired));
    }
}
