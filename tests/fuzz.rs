//! Property tests (proptest) throwing arbitrary input at the two loaders users feed: the
//! config (`validate`) and the state (snapshot and journal). Nothing may panic; every failure
//! is a clear error naming the file; a damaged state is never taken for an empty one.
//! `PROPTEST_CASES` bounds the time (default here: 256 cases per property).

use proptest::prelude::*;
use strata::config::{self, keys, vars};
use strata::state::backend::Backend;
use strata::state::local::LocalBackend;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

/// Load and validate a directory holding one file with `bytes`.
fn validate_bytes(bytes: &[u8]) -> strata::diag::Diagnostics {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), bytes).unwrap();
    let (cfg, mut diags) = config::load(dir.path());
    let (values, vd) = vars::resolve(&cfg, &[], &|_| None, vars::Missing::Unknown);
    diags.extend(vd);
    diags.extend(config::validate::validate(
        &cfg,
        &values,
        config::validate::Depth::Full,
    ));
    cfg.resolve_lines(&mut diags);
    diags
}

/// YAML built from strata's own vocabulary (the language's keys come from `config::keys`), so
/// the generator reaches deep into validation.
fn yamlish() -> impl Strategy<Value = String> {
    // the language's own keys from its table, then a resource type's and a provider's
    let mut words: Vec<&'static str> = keys::tables().iter().flat_map(|t| t.names()).collect();
    words.extend([
        "huaweicloud",
        "huaweicloud_rds_parameter_template.a",
        "huaweicloud_rds_parameter_template.b",
        "data.x.y",
        "name",
        "datastore",
        "version",
        "values",
        "source",
        "region",
        "project_id",
        "endpoint",
    ]);
    words.sort_unstable();
    words.dedup();
    let key = prop::sample::select(words);
    let scalar = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        "[a-zA-Z0-9 _.<>&!-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        prop::sample::select(vec![
            "\"${var.env}\"",
            "\"${huaweicloud_rds_parameter_template.a.id}\"",
            "\"${data.x.y.z[3][\\\"k\\\"]}\"",
            "\"${\"",
            "\"$${x}\"",
            "\"${a.b.c[}\"",
            "MySQL",
            "\"8.0\"",
            "10m",
            "[huaweicloud_rds_parameter_template.b]",
        ])
        .prop_map(String::from),
    ];
    let leaf = scalar.boxed();
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key.clone(), inner), 0..5).prop_map(|kv| {
                let body: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
}

fn assert_clear(diags: &strata::diag::Diagnostics) {
    for d in &diags.0 {
        assert!(!d.message.is_empty());
        assert!(d.file.is_some(), "a problem without a file: {d}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn validate_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        assert_clear(&validate_bytes(&bytes));
    }

    #[test]
    fn validate_never_panics_on_yaml(doc in yamlish()) {
        assert_clear(&validate_bytes(doc.as_bytes()));
    }

    #[test]
    fn the_state_loader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..4096), journal in prop::collection::vec(any::<u8>(), 0..1024)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(dir.path().join("s.json.journal"), &journal).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        if let Err(e) = rt.block_on(LocalBackend::new(path, "s").load()) {
            let msg = e.to_string();
            prop_assert!(msg.contains("s.json"), "the error names the file: {}", msg);
        }
    }

    #[test]
    fn any_single_byte_change_of_a_state_is_detected(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let b = LocalBackend::new(path.clone(), "s");
        let mut st = rt.block_on(b.load()).unwrap().state;
        st.outputs.insert("o".into(), strata::state::OutputState { value: "v".into(), sensitive: false, fingerprint: None });
        rt.block_on(b.persist(&mut st)).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        std::fs::write(&path, &bytes).unwrap();
        match rt.block_on(LocalBackend::new(path, "s").load()) {
            Err(e) => prop_assert!(e.to_string().contains("s.json")),
            // a change the checksum cannot see must not change what was loaded
            Ok(loaded) => prop_assert_eq!(loaded.state, st),
        }
    }
}
