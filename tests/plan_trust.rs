//! Saved plans are safe to hand around, through the real binary: they hold no secret and
//! nothing to test guesses against offline (no key; fingerprints keyed by a key only the state
//! holds), and they are authenticated by a MAC keyed from the state, so a file edited anywhere
//! — its embedded config, its changes — with every checksum recomputed is refused by `show`
//! and `apply`, and nothing is made.

mod common;
use common::Env;
use sha2::{Digest, Sha256};

const SECRET: &str = "Zq7-Distinct_Pw-2931";

const STACK: &str = "providers:
  huaweicloud: { region: r, project_id: p, endpoint: sandbox }
variables:
  note: { sensitive: true }
resources:
  huaweicloud_rds_parameter_template.t:
    name: tpl-reviewed
    description: \"about ${var.note}\"
    datastore: { type: MySQL, version: \"8.0\" }
outputs:
  derived: \"pw=${var.note}\"
  quoted: \"{\\\"password\\\": \\\"${var.note}\\\"}\"
";

/// Every form of `secret` a careless writer could leave in a file.
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        secret.to_string(),
        serde_json::to_string(secret).unwrap(),
        b64.encode(secret),
        b64.encode(format!("pw={secret}")),
        hex::encode(Sha256::digest(secret.as_bytes())),
        hex::encode(Sha256::digest(
            serde_json::to_string(secret).unwrap().as_bytes(),
        )),
    ]
}

/// STACK in `s/`, planned to `p.json` with the secret given: the directory and the file's text.
fn planned() -> (Env, String) {
    let env = Env::new();
    env.write("s/main.yaml", STACK);
    env.ok_with(
        &["-C", "s", "plan", "--out", "p.json"],
        &[("STRATA_VAR_note", SECRET)],
        0,
    );
    let file = env.read("p.json");
    (env, file)
}

#[test]
fn a_saved_plan_holds_no_secret_and_nothing_to_guess_against() {
    let (env, file) = planned();
    for f in forms(SECRET) {
        assert!(!file.contains(&f), "the saved plan holds {f:?}");
    }
    // The state's key is not in the file: a fingerprint there cannot be tested offline.
    let key = env.state_json("s")["fingerprint_key"]
        .as_str()
        .expect("plan --out keeps the key in the state")
        .to_string();
    assert!(!file.contains(&key), "the saved plan holds the state's key");
    assert!(!file.contains("fingerprint_key"), "{file}");
    // Every string in the file tried as a key: none reproduces a fingerprint of the secret
    // (a dictionary attack with the right guess finds nothing to compare with).
    let doc: serde_json::Value = serde_json::from_str(&file).unwrap();
    let mut strings = Vec::new();
    collect_strings(&doc, &mut strings);
    let guesses = [SECRET, "wrong-1", "wrong-2"];
    for candidate in strings.iter().chain([&String::new()]) {
        for g in guesses {
            let fp =
                strata::state::fingerprint(candidate.as_bytes(), &strata::value::Value::str(g));
            assert!(
                !file.contains(&fp),
                "guess {g} checks out with key {candidate:?}"
            );
        }
    }
    // Outputs derived from the secret are planned as sensitive, without their value.
    let out = &doc["output_changes"]["derived"];
    assert_eq!(out["after_sensitive"], true, "{out}");
    assert_eq!(out["after"], serde_json::Value::Null, "{out}");
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// The file with `from` replaced by `to` everywhere and its MAC re-made with `key`.
fn forge(file: &str, from: &str, to: &str, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut doc: serde_json::Value = serde_json::from_str(&file.replace(from, to)).unwrap();
    doc.as_object_mut().unwrap().remove("mac");
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(&serde_json::to_vec(&doc).unwrap());
    doc["mac"] = format!("hmac-sha256:{}", hex::encode(m.finalize().into_bytes())).into();
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn an_edited_saved_plan_is_refused_by_show_and_apply_and_nothing_is_made() {
    let (env, file) = planned();
    let digest = hex::encode(Sha256::digest(file.as_bytes()));
    // Forged with every key an attacker holding the file could try.
    for key in [b"".as_slice(), digest.as_bytes(), b"strata saved plan mac"] {
        env.write("evil.json", &forge(&file, "tpl-reviewed", "tpl-EVIL", key));
        for args in [
            &["-C", "s", "show", "evil.json"][..],
            &["-C", "s", "apply", "evil.json"],
        ] {
            let r = env.run_with(args, &[("STRATA_VAR_note", SECRET)]);
            assert_eq!(r.code, 1, "{args:?}: {r:?}");
            r.err_has("does not authenticate");
            assert!(
                !r.stdout.contains("tpl-EVIL"),
                "show displayed the forgery: {r:?}"
            );
        }
    }
    // The file without its MAC, and one from another strata format, are refused too.
    let mut doc: serde_json::Value = serde_json::from_str(&file).unwrap();
    doc.as_object_mut().unwrap().remove("mac");
    env.write("nomac.json", &doc.to_string());
    let r = env.run_with(
        &["-C", "s", "apply", "nomac.json"],
        &[("STRATA_VAR_note", SECRET)],
    );
    assert!(r.code == 1 && r.stderr.contains("has no MAC"), "{r:?}");
    assert!(env.made_names("parameter_template").is_empty());
    // The real file applies exactly what it shows.
    let r = env.run_with(&["-C", "s", "show", "p.json"], &[]);
    assert!(r.code == 0 && r.stdout.contains("tpl-reviewed"), "{r:?}");
    env.ok_with(
        &["-C", "s", "apply", "p.json"],
        &[("STRATA_VAR_note", SECRET)],
        0,
    );
    assert_eq!(env.made_names("parameter_template"), ["tpl-reviewed"]);
}

#[test]
fn a_journal_never_holds_a_sensitive_natural_key_and_the_next_run_still_adopts() {
    let env = Env::new();
    env.write(
        "s/main.yaml",
        "providers:
  huaweicloud: { region: r, project_id: p, endpoint: sandbox }
variables:
  name: { sensitive: true }
resources:
  huaweicloud_rds_parameter_template.t:
    name: \"tpl-${var.name}\"
    datastore: { type: MySQL, version: \"8.0\" }
",
    );
    let envs = [("STRATA_VAR_name", SECRET)];
    env.kill_at(
        &["-C", "s", "apply", "--auto-approve"],
        &envs,
        "call_returned",
    );
    let journal = env.read("state/s.json.journal");
    assert!(journal.contains("\"op\":\"intent\""), "{journal}");
    for f in forms(SECRET) {
        assert!(!journal.contains(&f), "the journal holds {f:?}");
    }
    assert_eq!(env.made("parameter_template").len(), 1);
    // The name is recovered from the config (its fingerprint checked) and what the killed
    // run made is adopted, not made again.
    let r = env.ok_with(&["-C", "s", "apply", "--auto-approve"], &envs, 0);
    r.out_has("adopted");
    assert_eq!(env.made("parameter_template").len(), 1);
    let state = env.read("state/s.json");
    assert!(!state.contains(SECRET), "{state}");
}

#[test]
fn a_sensitive_default_is_withheld_from_a_saved_plan_and_taken_again_at_apply() {
    let env = Env::with_example("quickstart");
    let text = env.read("quickstart/commvault.yaml");
    let default = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("sa_password:"))
        .and_then(|rest| rest.split("default:").nth(1))
        .map(|d| {
            d.trim_matches(|c: char| " \"}".contains(c))
                .split('"')
                .next()
                .unwrap()
                .to_string()
        })
        .expect("the quickstart's sa_password has a default");
    assert!(default.len() >= 4, "{default}");
    env.ok(&["-C", "quickstart", "plan", "--out", "q.json"], 0);
    let file = env.read("q.json");
    for f in forms(&default) {
        assert!(!file.contains(&f), "the saved plan holds the default {f:?}");
    }
    let r = env.ok(&["-C", "quickstart", "apply", "q.json"], 0);
    r.out_has("Apply complete!");
    assert_eq!(env.made_in("commvault", "instance").len(), 1);
    // The same secret written elsewhere too: the plan cannot withhold it, and says so.
    env.write(
        "s/main.yaml",
        &STACK
            .replace(
                "note: { sensitive: true }",
                "note: { sensitive: true, default: Zq7-Distinct_Pw-2931 }",
            )
            .replace("tpl-reviewed", "Zq7-Distinct_Pw-2931"),
    );
    let r = env.ok(&["-C", "s", "plan", "--out", "s.json"], 1);
    r.err_has("also stands elsewhere in the config");
    assert!(!env.path().join("s.json").exists());
}

#[test]
fn a_secret_written_literally_is_not_carried_by_a_saved_plan() {
    let env = Env::new();
    // The access key pair of a provider block, written in clear (not through a variable).
    const PAIR: &str = "providers:\n  huaweicloud:\n    region: r\n    project_id: p\n    \
                        endpoint: sandbox\n    access_key: SANDBOXHWAK0000000001\n    \
                        secret_key: Literal-Secret-Key-8841\n";
    env.stack(
        "s",
        PAIR,
        "resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t\n    \
         datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    let r = env.ok(&["-C", "s", "plan", "--out", "s.json"], 1);
    r.err_has("provider huaweicloud: secret_key is sensitive but written literally");
    r.err_has("main.yaml");
    assert!(!r.all().contains("Literal-Secret-Key-8841"), "{r:?}");
    assert!(
        !env.path().join("s.json").exists(),
        "no plan file is written"
    );
    // planning without a file still works (and shows no secret)
    let r = env.ok(&["-C", "s", "plan"], 0);
    assert!(!r.all().contains("Literal-Secret-Key-8841"), "{r:?}");
}
