//! Small shared helpers: time formatting, secret redaction, crash-test checkpoints (compiled
//! in only with the `test-hooks` feature, which only the tests enable).

/// Now, as RFC 3339 UTC (`2026-11-22T10:00:00Z`).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Replaces every known secret in text with `(sensitive value)`: applied to every line that
/// reports errors or progress, so an API echoing an input never leaks it — in the clear or
/// base64-encoded, as some APIs take passwords (Commvault).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        use base64::Engine;
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.len() >= 3)
            .flat_map(|s| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
                [s, b64]
            })
            .collect();
        // longest first, so a secret containing another is replaced whole
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn redact(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "(sensitive value)");
            }
        }
        out
    }
}

/// Hand a large value to the operating system instead of dropping it: at the end of a command
/// the process exits anyway, and freeing big plans and configs one node at a time costs more
/// than building them. Only for values whose drop does nothing else (no locks, no files).
pub fn leak_at_exit<T>(v: T) {
    std::mem::forget(v);
}

/// Test hook for crash tests: when `STRATA_TEST_PAUSE_AT` names this checkpoint, announce it
/// by creating the file `STRATA_TEST_PAUSE_FILE` and wait there until killed — or, when
/// `STRATA_TEST_PAUSE_MS` is set, for that many milliseconds (a race window held open). Compiled only
/// with the `test-hooks` feature, which only the tests enable; off otherwise (one environment
/// look-up).
#[cfg(feature = "test-hooks")]
pub fn checkpoint(name: &str) {
    let Ok(at) = std::env::var("STRATA_TEST_PAUSE_AT") else {
        return;
    };
    if at != name {
        return;
    }
    if let Ok(f) = std::env::var("STRATA_TEST_PAUSE_FILE") {
        let _ = std::fs::write(f, name);
    }
    let ms = std::env::var("STRATA_TEST_PAUSE_MS").ok();
    match ms.and_then(|m| m.parse::<u64>().ok()) {
        Some(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
        None => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
    }
}

/// Without the `test-hooks` feature (every build but the tests'), checkpoints do nothing and
/// the variables are never read.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub fn checkpoint(_name: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_longest_first() {
        let r = Redactor::new(vec![
            "abc".to_string(),
            "abcdef".to_string(),
            "x".to_string(),
        ]);
        assert_eq!(
            r.redact("pw=abcdef, x=abc"),
            "pw=(sensitive value), x=(sensitive value)"
        );
        assert_eq!(r.redact("b64=YWJjZGVm"), "b64=(sensitive value)");
    }
}
