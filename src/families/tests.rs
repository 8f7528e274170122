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
    let names: BTreeSet<(&str, &str)> = catalogue
        .services
        .iter()
        .map(|s| (s.family, s.name))
        .collect();
    assert_eq!(names.len(), catalogue.services.len());
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
