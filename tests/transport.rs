//! The transport settings of provider blocks, through the real binary: a plain-http endpoint
//! is refused (validate and apply, with file, line and attribute) before a single byte leaves
//! the process unless `insecure_http: true` says otherwise (then with a warning); TLS
//! certificate failures are final after one attempt and say what is wrong and how to trust a
//! CA (`ca_file`); `max_concurrency` is bounded.

mod common;
use common::Env;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A TCP listener on 127.0.0.1 counting the connections it gets and the bytes they send;
/// each connection is closed after its first read.
struct Listener {
    addr: String,
    connections: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Listener {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let bytes = Arc::new(AtomicUsize::new(0));
        let (c, b) = (connections.clone(), bytes.clone());
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(30)));
                let mut buf = [0u8; 4096];
                if let Ok(n) = s.read(&mut buf) {
                    b.fetch_add(n, Ordering::SeqCst);
                }
            }
        });
        Listener {
            addr,
            connections,
            bytes,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn bytes(&self) -> usize {
        self.bytes.load(Ordering::SeqCst)
    }
}

const CV_CREDS: [(&str, &str); 3] = [
    ("COMMVAULT_USERNAME", "admin"),
    ("COMMVAULT_PASSWORD", "the-real-password"),
    ("STRATA_VAR_sa_password", "sa-secret"),
];

/// A Commvault stack against `endpoint`, with `extra` settings in its provider block.
fn commvault_stack(endpoint: &str, extra: &str) -> String {
    format!(
        "providers:\n  commvault:\n    endpoint: \"{endpoint}\"\n{extra}variables:\n  \
         sa_password: {{ sensitive: true }}\nresources:\n  \
         commvault_postgresql_instance.db:\n    instance_name: \"db[ap-south-1]\"\n    \
         client_name: alibaba-prod\n    version: \"14\"\n    plan_name: Server plan\n    \
         maintenance_db: postgres\n    endpoint: pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432\n    \
         sa_user: {{ user_name: postgres, password: \"${{var.sa_password}}\" }}\n"
    )
}

#[test]
fn a_plain_http_endpoint_is_refused_before_any_byte_is_sent() {
    let server = Listener::start();
    let env = Env::new();
    let url = format!("http://{}/commandcenter/api", server.addr);
    env.write("s/main.yaml", &commvault_stack(&url, ""));
    for args in [
        &["-C", "s", "validate"][..],
        &["-C", "s", "plan"],
        &["-C", "s", "apply", "--auto-approve"],
    ] {
        let r = env.run_with(args, &CV_CREDS);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        for needle in [
            "main.yaml:3",
            "endpoint",
            &format!("\"{url}\" is plain http: the credentials would be sent unencrypted"),
            "insecure_http: true",
        ] {
            assert!(
                r.stderr.contains(needle),
                "{args:?}: missing {needle:?}: {r:?}"
            );
        }
    }
    assert_eq!(server.connections(), 0, "nothing reached the server");

    // allowed explicitly: a warning, and then the login does go out
    env.write(
        "s/main.yaml",
        &commvault_stack(&url, "    insecure_http: true\n"),
    );
    let r = env.run_with(&["-C", "s", "validate"], &CV_CREDS);
    assert_eq!(r.code, 0, "{r:?}");
    let mut envs = CV_CREDS.to_vec();
    envs.push(("STRATA_RETRY_ATTEMPTS", "1"));
    let r = env.run_with(&["-C", "s", "apply", "--auto-approve"], &envs);
    assert_eq!(r.code, 1, "the listener answers nothing: {r:?}");
    assert!(
        r.stderr.contains(&format!(
            "warning: providers.commvault: \"{url}\" is plain http (insecure_http: true): \
             credentials are sent unencrypted"
        )),
        "{r:?}"
    );
    assert!(server.bytes() > 0, "the request was sent");
    assert!(!r.all().contains("the-real-password"), "{r:?}");
}

#[test]
fn max_concurrency_out_of_range_is_a_validate_error() {
    let env = Env::new();
    for n in ["-1", "0", "257", "100000000000"] {
        env.write(
            "s/main.yaml",
            &format!(
                "providers:\n  huaweicloud:\n    region: r\n    project_id: p\n    \
                 endpoint: sandbox\n    max_concurrency: {n}\nresources:\n  \
                 huaweicloud_rds_parameter_template.t:\n    name: t\n    \
                 datastore: {{ type: MySQL, version: \"8.0\" }}\n"
            ),
        );
        for args in [&["-C", "s", "validate"][..], &["-C", "s", "plan"]] {
            let r = env.run(args);
            assert_eq!(r.code, 1, "{n} {args:?}: {r:?}");
            assert!(!r.stderr.contains("panicked"), "{r:?}");
            for needle in [
                "main.yaml:6",
                "max_concurrency",
                &format!("{n} is out of range: must be 1–256"),
            ] {
                assert!(
                    r.stderr.contains(needle),
                    "{n} {args:?}: missing {needle:?}: {r:?}"
                );
            }
        }
    }
    // the bounds themselves are fine
    for n in ["1", "256"] {
        let text = env.read("s/main.yaml");
        let line = text
            .lines()
            .find(|l| l.contains("max_concurrency"))
            .unwrap();
        env.write(
            "s/main.yaml",
            &text.replace(line, &format!("    max_concurrency: {n}")),
        );
        env.ok(&["-C", "s", "plan"], 0);
    }
}
