//! Strata's error messages, reviewed as a set: every situation a user commonly meets, run
//! through the real binary, collected into one snapshot. Each message says what is wrong,
//! where (file and line, address, attribute, the API's code) and what to do.

mod common;
use common::Env;

const PROVIDER: &str = common::HUAWEI;
const ONE: &str = "resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t\n    datastore: { type: MySQL, version: \"8.0\" }\n";

#[test]
fn the_error_messages() {
    let env = Env::new();
    let mut out = String::new();
    let mut case = |title: &str, r: common::Run| {
        assert_ne!(r.code, 0, "{title}: {r:?}");
        out.push_str(&format!(
            "## {title} (exit {})\n{}\n",
            r.code,
            r.stderr.trim_end()
        ));
    };
    let write = |dir: &str, text: &str| env.write(&format!("{dir}/main.yaml"), text);

    write("syntax", "resources:\n  a.b: [\n");
    case("YAML syntax", env.run(&["-C", "syntax", "validate"]));
    case("no config", env.run(&["-C", "nowhere", "plan"]));
    write("argument", &format!("{PROVIDER}resources:\n  huaweicloud_rds_parameter_template.t:\n    nmae: t\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"));
    case("unknown argument", env.run(&["-C", "argument", "validate"]));
    write(
        "typo",
        &format!("{PROVIDER}resources:\n  huaweicloud_rds_parametr_template.t:\n    name: t\n"),
    );
    case("unknown type", env.run(&["-C", "typo", "validate"]));
    write("noprovider", ONE);
    case(
        "provider not configured",
        env.run(&["-C", "noprovider", "validate"]),
    );
    write("var", &format!("{PROVIDER}variables:\n  env: {{}}\nresources:\n  huaweicloud_rds_parameter_template.t:\n    name: t-${{var.env}}\n    datastore: {{ type: MySQL, version: \"8.0\" }}\n"));
    case("variable without a value", env.run(&["-C", "var", "plan"]));
    case(
        "--var for an undeclared variable",
        env.run(&["-C", "var", "plan", "--var", "evn=prod"]),
    );
    write("ok", &format!("{PROVIDER}{ONE}"));
    case(
        "--target that is not an address",
        env.run(&["-C", "ok", "plan", "--target", "t"]),
    );
    case("apply with no terminal", env.run(&["-C", "ok", "apply"]));
    case("unknown output", env.run(&["-C", "ok", "output", "nope"]));
    case(
        "state show of an unknown address",
        env.run(&[
            "-C",
            "ok",
            "state",
            "show",
            "huaweicloud_rds_parameter_template.x",
        ]),
    );
    case(
        "import into an address not in config",
        env.run(&[
            "-C",
            "ok",
            "import",
            "huaweicloud_rds_parameter_template.x",
            "id",
        ]),
    );
    case(
        "bad fault settings",
        env.run_with(
            &["-C", "ok", "plan"],
            &[("STRATA_SANDBOX", "fail_rate=lots")],
        ),
    );
    write(
        "creds",
        &format!(
            "providers:\n  huaweicloud: {{ region: r, project_id: p, endpoint: sandbox, access_key: SANDBOXHWAK0000000001, secret_key: wrong }}\n{ONE}"
        ),
    );
    case(
        "wrong credentials",
        env.run(&["-C", "creds", "apply", "--auto-approve"]),
    );
    write("api", &format!("{PROVIDER}resources:\n  huaweicloud_rds_parameter_template.t:\n    name: t\n    datastore: {{ type: MySQL, version: \"9.9\" }}\n"));
    case(
        "the API refuses a value",
        env.run(&["-C", "api", "apply", "--auto-approve"]),
    );
    env.ok(&["-C", "ok", "plan", "--out", "plan.json"], 0);
    env.ok(&["-C", "ok", "apply", "--auto-approve"], 0);
    case(
        "stale saved plan",
        env.run(&["-C", "ok", "apply", "plan.json"]),
    );
    std::fs::write(
        env.path().join("edited.json"),
        env.read("plan.json").replace("\"t\"", "\"u\""),
    )
    .unwrap();
    case(
        "edited saved plan",
        env.run(&["-C", "ok", "apply", "edited.json"]),
    );
    {
        let _held = strata::state::lock::acquire(
            &env.path().join("state/ok.json.lock"),
            "apply",
            std::time::Duration::ZERO,
        )
        .unwrap();
        case(
            "state locked",
            env.run(&["-C", "ok", "apply", "--auto-approve"]),
        );
    }
    case(
        "force-unlock with the wrong ID",
        env.run(&["-C", "ok", "force-unlock", "1234"]),
    );
    write(
        "protected",
        &format!("{PROVIDER}{ONE}").replace(
            "    name: t\n",
            "    name: t\n    lifecycle: { prevent_destroy: true }\n",
        ),
    );
    case(
        "the state of another stack directory",
        env.run(&["-C", "protected", "--state", "state/ok.json", "plan"]),
    );
    std::fs::remove_dir_all(env.path().join("ok")).unwrap();
    std::fs::rename(env.path().join("protected"), env.path().join("ok")).unwrap();
    env.ok(&["-C", "ok", "plan"], 0);
    case(
        "prevent_destroy",
        env.run(&["-C", "ok", "destroy", "--auto-approve"]),
    );
    let state = env.path().join("state/ok.json");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, &text[..text.len() / 2]).unwrap();
    case("damaged state", env.run(&["-C", "ok", "plan"]));
    write(
        "pg",
        &format!("{PROVIDER}{ONE}backend: {{ type: postgres }}\n"),
    );
    case(
        "postgres backend without a URL",
        env.run(&["-C", "pg", "plan"]),
    );

    let settings = {
        let mut s = common::snapshot_settings();
        s.add_filter(r"pid \d+", "pid [pid]");
        s.add_filter(r"host [^ ]+ \(", "host [host] (");
        s.add_filter(r"user: [^,]+,", "user: [user],");
        s.add_filter(r"since [0-9TZ:-]+", "since [time]");
        s.add_filter(r"lock ID [0-9a-f-]{36}", "lock ID [lock]");
        s.add_filter(r"lineage [0-9a-f-]{36}", "lineage [lineage]");
        s.add_filter(r"request id [0-9a-f]+", "request id [request]");
        s.add_filter(r"/[^ ]*/\.tmp[A-Za-z0-9]+", "[dir]");
        s
    };
    settings.bind(|| insta::assert_snapshot!("error_messages", out));
}
