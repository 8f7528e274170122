//! The registration list yields every schema exactly once, and every family's sandbox
//! services are mounted under distinct prefixes (its starter is checked in `cli::init`).

use super::*;
use std::collections::BTreeSet;

#[test]
fn every_schema_once_and_every_provider_schema_from_the_list() {
    let mut seen = BTreeSet::new();
    for f in ALL {
        for s in f.schemas {
            assert!(
                seen.insert((s.type_name, format!("{:?}", s.kind))),
                "{} is registered twice",
                s.type_name
            );
            assert_eq!(
                s.type_name.split('_').next(),
                Some(f.name()),
                "{} is not named after its family",
                s.type_name
            );
        }
    }
    let listed: BTreeSet<_> = crate::schema::all()
        .map(|s| (s.type_name, format!("{:?}", s.kind)))
        .collect();
    assert_eq!(seen, listed, "schema::all() is the families' schemas");
    assert_eq!(crate::schema::all().count(), listed.len());
    let providers: Vec<&str> = crate::schema::providers::PROVIDERS
        .iter()
        .map(|s| s.type_name)
        .collect();
    let names: Vec<&str> = ALL.iter().map(|f| f.name()).collect();
    assert_eq!(providers, names);
}

#[test]
fn sandbox_services_are_distinct_and_belong_to_their_family() {
    let catalogue = sandbox();
    let prefixes: BTreeSet<String> = catalogue.services.iter().map(|s| s.prefix()).collect();
    assert_eq!(prefixes.len(), catalogue.services.len());
    for f in ALL {
        assert!(!f.sandbox.is_empty(), "{} has no sandbox service", f.name());
        for s in f.sandbox {
            assert_eq!(s.family, f.name());
            assert!(catalogue.service(f.name(), s.name).is_some());
        }
        assert!(!f.credentials.is_empty());
        assert!(configurer(f.name()).is_some());
    }
    let mut w = World::default();
    seed(&mut w);
    assert!(!w.colls.is_empty());
}

/// The code lines (comments left out) of every `.rs` file under `src/<dir>`, with its path.
fn code_lines(dir: &str) -> Vec<(String, String)> {
    fn walk(p: &std::path::Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for line in text.lines() {
                    let code = line.split("//").next().unwrap_or_default();
                    out.push((path.display().to_string(), code.to_string()));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(dir),
        &mut out,
    );
    assert!(!out.is_empty(), "src/{dir} has no code");
    out
}

/// Architecture invariants of the providers/sandbox boundary: providers never import the
/// sandbox or the families; the sandbox never imports the clients or the families, and its
/// services never import its server; the schema layer never imports the families.
#[test]
fn no_upward_imports_between_providers_sandbox_and_families() {
    let forbidden: &[(&str, &[&str])] = &[
        ("providers", &["crate::sandbox", "crate::families"]),
        ("sandbox", &["crate::providers", "crate::families"]),
        (
            "schema",
            &["crate::families", "crate::sandbox", "crate::providers"],
        ),
    ];
    for (dir, words) in forbidden {
        for (file, code) in code_lines(dir) {
            for w in *words {
                assert!(!code.contains(w), "{file} uses {w}: {code}");
            }
        }
    }
    for (file, code) in code_lines("sandbox") {
        let server = file.ends_with("sandbox/server.rs") || file.ends_with("sandbox/mod.rs");
        assert!(
            server || !code.contains("server::"),
            "{file} imports the sandbox's server: {code}"
        );
    }
}
