//! A real PostgreSQL server for tests: `initdb` and `pg_ctl` (as the `postgres` user when the
//! tests run as root) on a temporary directory and a free port; stopped when dropped.
//! `tls()` makes it require TLS with a certificate signed by a throw-away CA.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pg {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    pub ca: Option<PathBuf>,
}

fn bin_dir() -> PathBuf {
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
    {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !p.is_empty() {
            let real = std::fs::canonicalize(&p).unwrap_or_else(|_| PathBuf::from(&p));
            return real.parent().unwrap().to_path_buf();
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
        .pop()
        .expect("PostgreSQL server binaries (initdb, pg_ctl) are installed")
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Run a PostgreSQL tool as the user that owns the data directory.
fn as_pg(bin: &Path, tool: &str, args: &[&str]) -> std::process::Output {
    let exe = bin.join(tool);
    let out = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&exe)
            .args(args)
            .output()
    } else {
        Command::new(&exe).args(args).output()
    };
    out.unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// Run a PostgreSQL tool on the data directory `data` (`-D data`, then `args`).
fn on_data(bin: &Path, tool: &str, data: &Path, args: &[&str]) -> std::process::Output {
    as_pg(
        bin,
        tool,
        &[&["-D", data.to_str().unwrap()][..], args].concat(),
    )
}

/// Insist that a tool's run succeeded; otherwise show its stderr, then `more`.
fn succeeded(out: &std::process::Output, what: &str, more: &str) {
    assert!(
        out.status.success(),
        "{what}: {}\n{more}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Pg {
    pub fn start() -> Pg {
        Pg::start_with(false)
    }

    pub fn tls() -> Pg {
        Pg::start_with(true)
    }

    fn start_with(tls: bool) -> Pg {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!(
            "strata-pg-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let data = dir.join("data");
        let args = ["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"];
        succeeded(&on_data(&bin, "initdb", &data, &args), "initdb", "");
        let mut ca = None;
        if tls {
            ca = Some(make_certs(&dir, &data));
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
            )
            .unwrap();
        }
        let port = free_port();
        let mut opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            dir.display()
        );
        if tls {
            opts.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
        }
        let log = dir.join("log");
        let args = ["-o", &opts, "-l", log.to_str().unwrap(), "-w", "start"];
        let out = on_data(&bin, "pg_ctl", &data, &args);
        succeeded(
            &out,
            "pg_ctl start",
            &std::fs::read_to_string(&log).unwrap_or_default(),
        );
        Pg { dir, port, bin, ca }
    }

    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    pub fn url_with(&self, query: &str) -> String {
        format!(
            "postgres://postgres@localhost:{}/postgres?{query}",
            self.port
        )
    }

    /// Run SQL through psql-free means: a client of our own.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (c, conn) = tokio_postgres::connect(
            &format!(
                "host=127.0.0.1 port={} user=postgres dbname=postgres",
                self.port
            ),
            tokio_postgres::NoTls,
        )
        .await
        .expect("connect to the test server");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        c
    }
}

/// A suffix no other server of this process has: two servers started in the same instant
/// (tests run in parallel threads) must not share a data directory.
fn rand_suffix() -> String {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}-{n}")
}

/// A CA and a server certificate for localhost / 127.0.0.1, made with openssl.
fn make_certs(dir: &Path, data: &Path) -> PathBuf {
    let run = |args: &[&str]| crate::common::openssl(dir, args);
    crate::common::make_ca(dir);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    for f in ["server.crt", "server.key"] {
        std::fs::copy(dir.join(f), data.join(f)).unwrap();
    }
    if is_root() {
        Command::new("chown")
            .args(["postgres:postgres"])
            .arg(data.join("server.crt"))
            .arg(data.join("server.key"))
            .status()
            .unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        data.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    dir.join("ca.crt")
}

impl Drop for Pg {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = on_data(&self.bin, "pg_ctl", &data, &["-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
