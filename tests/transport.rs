//! The transport settings of provider blocks, through the real binary: a plain-http endpoint
//! is refused (validate and apply, with file, line and attribute) before a single byte leaves
//! the process unless `insecure_http: true` says otherwise (then with a warning); TLS
//! certificate failures are final after one attempt and say what is wrong and how to trust a
//! CA (`ca_file`); `max_concurrency` is bounded.

mod common;
use common::{openssl, Env};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A TCP listener on 127.0.0.1 counting the connections it gets and the bytes they send;
/// each connection is closed after its first read.
struct Listener {
    addr: String,
    connections: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
    /// What arrived (the first read of each connection).
    received: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Listener {
    fn start() -> Listener {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let bytes = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, b, r) = (connections.clone(), bytes.clone(), received.clone());
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(30)));
                let mut buf = [0u8; 4096];
                if let Ok(n) = s.read(&mut buf) {
                    b.fetch_add(n, Ordering::SeqCst);
                    r.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            }
        });
        Listener {
            addr,
            connections,
            bytes,
            received,
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
fn credentials_from_the_environment_never_go_to_a_sandbox() {
    use base64::Engine;
    let server = Listener::start();
    let env = Env::new();
    env.write("s/main.yaml", &commvault_stack("sandbox", ""));
    let mut envs = CV_CREDS.to_vec();
    let url = format!("http://{}", server.addr);
    envs.push(("STRATA_SANDBOX_URL", &url));
    envs.push(("STRATA_RETRY_ATTEMPTS", "1"));
    let r = env.run_with(&["-C", "s", "apply", "--auto-approve"], &envs);
    assert_eq!(r.code, 1, "the listener answers nothing: {r:?}");
    let got = String::from_utf8_lossy(&server.received.lock().unwrap()).into_owned();
    assert!(got.contains("POST /commandcenter/api/Login"), "{got}");
    let b64 = base64::engine::general_purpose::STANDARD.encode("the-real-password");
    assert!(
        !got.contains("the-real-password") && !got.contains(&b64),
        "{got}"
    );
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
    env.ok_with(&["-C", "s", "validate"], &CV_CREDS, 0);
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

/// In `dir`: a CA (`ca.crt`) and, signed by it with one key (`leaf.key`), server certificates
/// for 127.0.0.1 (`ok.crt`), for another host (`other.crt`) and for 127.0.0.1 but expired in
/// 2020 (`expired.crt`).
fn make_certs(dir: &std::path::Path) {
    let cnf = "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n\
               serial = serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\n\
               [p]\ncommonName = supplied\n";
    std::fs::write(dir.join("ca.cnf"), cnf).unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    common::make_ca(dir);
    openssl(dir, &["genrsa", "-out", "leaf.key", "2048"]);
    for (name, san, dates) in [
        ("ok", "IP:127.0.0.1", ["-days", "2"]),
        ("other", "DNS:other.example", ["-days", "2"]),
        ("expired", "IP:127.0.0.1", ["-enddate", "20200102000000Z"]),
    ] {
        let csr = format!("{name}.csr");
        let crt = format!("{name}.crt");
        let ext = format!("subjectAltName={san}");
        let subject = format!("/CN=strata test {name}");
        openssl(
            dir,
            &[
                "req", "-new", "-key", "leaf.key", "-out", &csr, "-subj", &subject, "-addext", &ext,
            ],
        );
        let mut args = vec![
            "ca", "-batch", "-notext", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile",
            "ca.key", "-in", &csr, "-out", &crt,
        ];
        if dates[0] == "-enddate" {
            args.extend(["-startdate", "20200101000000Z"]);
        }
        args.extend(dates);
        openssl(dir, &args);
    }
}

/// An HTTPS front on 127.0.0.1 serving `cert` (key `leaf.key` beside it) and piping each
/// decrypted connection to `backend` (a standalone sandbox): its address and the number of
/// TCP connections it accepted.
fn tls_front(cert: &std::path::Path, backend: &str) -> (String, Arc<AtomicUsize>) {
    use pki_types::pem::PemObject;
    use tokio_rustls::rustls::{self, pki_types};
    let certs = pki_types::CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = pki_types::PrivateKeyDer::from_pem_file(cert.with_file_name("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (count, backend) = (accepted.clone(), backend.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((tcp, _)) = l.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut up) = tokio::net::TcpStream::connect(&backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                });
            }
        });
    });
    (addr, accepted)
}

/// A Huawei stack of one template against `endpoint`, with `extra` provider settings.
fn huawei_stack(endpoint: &str, extra: &str) -> String {
    format!(
        "providers:\n  huaweicloud:\n    region: r\n    project_id: p\n    \
         endpoint: \"{endpoint}\"\n{extra}resources:\n  \
         huaweicloud_rds_parameter_template.t:\n    name: tls\n    \
         datastore: {{ type: MySQL, version: \"8.0\" }}\n"
    )
}

const HW_CREDS: [(&str, &str); 2] = [
    ("HW_ACCESS_KEY", strata::sandbox::huawei::CREDENTIALS.key),
    ("HW_SECRET_KEY", strata::sandbox::huawei::CREDENTIALS.secret),
];

#[test]
fn tls_certificate_failures_are_final_named_and_fixed_by_ca_file() {
    let server_dir = Env::new();
    let (_server, url) = server_dir.serve_sandbox(&[]);
    let backend = url.trim_start_matches("http://").to_string();
    let env = Env::new();
    make_certs(env.path());
    let ca = env.path().join("ca.crt").display().to_string();
    let apply = |endpoint: &str, extra: &str| {
        env.write("s/main.yaml", &huawei_stack(endpoint, extra));
        env.run_with(&["-C", "s", "apply", "--auto-approve"], &HW_CREDS)
    };
    let with_ca = format!("    ca_file: \"{ca}\"\n");
    for (cert, extra, problem) in [
        (
            "ok",
            "",
            "TLSError: the server's certificate is not signed by a trusted CA (self-signed or \
             a private CA): to trust a private or self-signed CA, set ca_file: <its PEM file> \
             in the provider block",
        ),
        (
            "other",
            with_ca.as_str(),
            "TLSError: the server's certificate is for another host (wrong host): it names \
             other.example, not 127.0.0.1",
        ),
        (
            "expired",
            with_ca.as_str(),
            "TLSError: the server's certificate has expired",
        ),
    ] {
        let (front, accepted) = tls_front(&env.path().join(format!("{cert}.crt")), &backend);
        let r = apply(&format!("https://{front}"), extra);
        assert_eq!(r.code, 1, "{cert}: {r:?}");
        assert!(
            r.stderr.contains(problem),
            "{cert}: missing {problem:?}: {r:?}"
        );
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "{cert}: one attempt, no retries"
        );
    }
    assert!(server_dir.made("parameter_template").is_empty());

    // trusting the CA, the same server works
    let (front, _) = tls_front(&env.path().join("ok.crt"), &backend);
    let r = apply(&format!("https://{front}"), &with_ca);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(server_dir.made("parameter_template").len(), 1);

    // a ca_file that is missing or not PEM is a clear error
    std::fs::write(env.path().join("not.pem"), "hello\n").unwrap();
    for (file, problem) in [
        ("missing.pem", "cannot read"),
        ("not.pem", "holds no certificate"),
    ] {
        let path = env.path().join(file).display().to_string();
        let r = apply(
            &format!("https://{front}"),
            &format!("    ca_file: \"{path}\"\n"),
        );
        assert_eq!(r.code, 1, "{r:?}");
        r.err_has("providers.huaweicloud.ca_file: ");
        assert!(r.stderr.contains(problem), "{problem}: {r:?}");
        r.err_has(&path);
    }
}
