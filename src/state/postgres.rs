//! The PostgreSQL backend, for teams and CI: each stack's snapshot, its history and its
//! journal in tables strata creates and migrates itself (`strata_schema` records the version);
//! writes fold the journal with compare-and-swap on `serial` in one transaction, so a writer
//! that lost a race is told so and overwrites nothing; the lock is a session advisory lock
//! per stack, held on one dedicated connection for the whole command (it dies with the
//! process; it is released explicitly, and the answer awaited, when the command ends), with
//! the holder's details in `strata_lock` for whoever waits (a lock held with no holder row is
//! one starting or ending: waited for briefly, never reported as a failure at once). TLS
//! follows the URL's `sslmode` (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`,
//! `sslrootcert`). The state records its stack directory, checked on load as the local
//! backend does (`backend::check_directory`).

use super::backend::{check_directory, replay, Backend, Loaded, LockGuard};
use super::journal::{self, Entry};
use super::lock::LockInfo;
use super::snapshot;
use super::{State, StateError, STATE_VERSION};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use tokio_postgres::Client;

/// Schema migrations, in order; the version is the index + 1.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE strata_state (
        stack text PRIMARY KEY,
        lineage text NOT NULL,
        serial bigint NOT NULL,
        body text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE strata_state_history (
        stack text NOT NULL,
        serial bigint NOT NULL,
        body text NOT NULL,
        replaced_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stack, serial)
    );
    CREATE TABLE strata_journal (
        stack text NOT NULL,
        seq bigserial NOT NULL,
        lineage text NOT NULL,
        base_serial bigint NOT NULL,
        line text NOT NULL,
        PRIMARY KEY (stack, seq)
    );
    CREATE TABLE strata_lock (
        stack text PRIMARY KEY,
        lock_id text NOT NULL,
        info text NOT NULL,
        backend_pid integer NOT NULL
    );
"];

/// Previous snapshots kept per stack.
const HISTORY: i64 = 20;

/// Advisory-lock key space for strata (the first of the two 32-bit keys).
const LOCK_CLASS: i32 = 0x5354_5241; // "STRA"

/// How long a waiter keeps trying when the advisory lock is held but no holder row names
/// anyone: a holder that is just starting (its row not yet written) or just ending (its
/// session not yet gone) — either way a matter of moments, not a reason to fail.
const NAMELESS_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Disable,
    Prefer,
    /// Encrypted, the server's certificate not checked (libpq's `require`).
    Require,
    /// Encrypted, the certificate checked against the roots and the host name.
    Verify,
}

/// A connection URL split into what tokio-postgres understands and strata's TLS choice.
#[derive(Debug, Clone)]
pub struct PgUrl {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
    pub root_cert: Option<String>,
    /// The URL without its password, for messages.
    pub shown: String,
    pub password: Option<String>,
}

impl PgUrl {
    pub fn parse(url: &str) -> Result<PgUrl, StateError> {
        let bad =
            |why: String| StateError::Other(format!("the PostgreSQL URL is not valid: {why}"));
        let mut u = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if u.scheme() != "postgres" && u.scheme() != "postgresql" {
            return Err(bad(format!(
                "it starts with {}:// (write postgres://user:password@host:port/database)",
                u.scheme()
            )));
        }
        let mut tls = Tls::Prefer;
        let mut root_cert = None;
        let mut kept: Vec<(String, String)> = Vec::new();
        for (k, v) in u.query_pairs() {
            match k.as_ref() {
                "sslmode" => {
                    tls = match v.as_ref() {
                        "disable" => Tls::Disable,
                        "allow" | "prefer" => Tls::Prefer,
                        "require" => Tls::Require,
                        "verify-ca" | "verify-full" => Tls::Verify,
                        other => return Err(bad(format!("unknown sslmode \"{other}\""))),
                    }
                }
                "sslrootcert" => root_cert = Some(v.into_owned()),
                _ => kept.push((k.into_owned(), v.into_owned())),
            }
        }
        let mode = match tls {
            Tls::Disable => "disable",
            Tls::Prefer => "prefer",
            Tls::Require | Tls::Verify => "require",
        };
        kept.push(("sslmode".into(), mode.into()));
        u.query_pairs_mut().clear().extend_pairs(kept);
        let config: tokio_postgres::Config = u
            .as_str()
            .parse()
            .map_err(|e: tokio_postgres::Error| bad(e.to_string()))?;
        let password = u.password().map(String::from);
        let mut shown = u.clone();
        let _ = shown.set_password(None);
        shown.set_query(None);
        Ok(PgUrl {
            config,
            tls,
            root_cert,
            shown: shown.to_string(),
            password,
        })
    }

    /// Open a connection; its driver task runs on the current runtime.
    pub async fn connect(&self) -> Result<Client, StateError> {
        let fail = |e: tokio_postgres::Error| {
            StateError::Other(format!(
                "cannot connect to PostgreSQL at {}: {}",
                self.shown,
                pg_message(&e)
            ))
        };
        if self.tls == Tls::Disable {
            let (client, conn) = self
                .config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(fail)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            return Ok(client);
        }
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(self.rustls()?);
        let (client, conn) = self.config.connect(tls).await.map_err(fail)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }

    fn rustls(&self) -> Result<rustls::ClientConfig, StateError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| StateError::Other(format!("TLS: {e}")))?;
        let config = if self.tls == Tls::Verify {
            let mut roots = rustls::RootCertStore::empty();
            match &self.root_cert {
                Some(path) => {
                    use rustls::pki_types::{pem::PemObject, CertificateDer};
                    let certs = CertificateDer::pem_file_iter(path)
                        .map_err(|e| StateError::Other(format!("sslrootcert {path}: {e}")))?;
                    for c in certs {
                        let c =
                            c.map_err(|e| StateError::Other(format!("sslrootcert {path}: {e}")))?;
                        roots
                            .add(c)
                            .map_err(|e| StateError::Other(format!("sslrootcert {path}: {e}")))?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoChainCheck(provider)))
                .with_no_client_auth()
        };
        Ok(config)
    }
}

/// `sslmode=require` (and `prefer`): the channel is encrypted and the server's signature is
/// checked, but its certificate chain is not — libpq's documented meaning of these modes.
#[derive(Debug)]
struct NoChainCheck(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoChainCheck {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The server's own message where there is one.
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s = format!("{s}: {inner}");
                src = inner.source();
            }
            s
        }
    }
}

fn db_err(what: &str) -> impl Fn(tokio_postgres::Error) -> StateError + '_ {
    move |e| StateError::Other(format!("PostgreSQL: {what}: {}", pg_message(&e)))
}

/// The advisory-lock key of a stack.
fn lock_key(stack: &str) -> i32 {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("strata:{stack}").as_bytes());
    i32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// Create or migrate strata's tables.
async fn migrate(c: &mut Client) -> Result<(), StateError> {
    let tx = c.transaction().await.map_err(db_err("begin"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_CLASS])
        .await
        .map_err(db_err("migration lock"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS strata_schema (
            version integer NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(db_err("create strata_schema"))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM strata_schema", &[])
        .await
        .map_err(db_err("read the schema version"))?;
    let have: i32 = row.get(0);
    if have as usize > MIGRATIONS.len() {
        return Err(StateError::Other(format!(
            "the database holds strata tables at schema version {have}, newer than this strata knows ({}): upgrade strata",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(db_err("migrate the tables"))?;
        let v = (i + 1) as i32;
        tx.execute("INSERT INTO strata_schema (version) VALUES ($1)", &[&v])
            .await
            .map_err(db_err("record the schema version"))?;
    }
    tx.commit().await.map_err(db_err("commit the migration"))
}

pub struct PgBackend {
    url: PgUrl,
    stack: String,
    /// The stack directory (canonical), recorded in the state and checked on load.
    directory: Option<String>,
    client: OnceCell<tokio::sync::Mutex<Client>>,
}

impl PgBackend {
    pub fn new(url: &str, stack: &str) -> Result<PgBackend, StateError> {
        Ok(PgBackend {
            url: PgUrl::parse(url)?,
            stack: stack.to_string(),
            directory: None,
            client: OnceCell::new(),
        })
    }

    /// Record (and check) that the state belongs to the stack in `directory` (canonical).
    pub fn for_directory(mut self, directory: &str) -> PgBackend {
        self.directory = Some(directory.to_string());
        self
    }

    /// The URL's password, so it can be kept out of every message.
    pub fn password(&self) -> Option<String> {
        self.url.password.clone()
    }

    async fn client(&self) -> Result<tokio::sync::MutexGuard<'_, Client>, StateError> {
        let c = self
            .client
            .get_or_try_init(|| async {
                let mut c = self.url.connect().await?;
                migrate(&mut c).await?;
                Ok::<_, StateError>(tokio::sync::Mutex::new(c))
            })
            .await?;
        Ok(c.lock().await)
    }

    /// The stack's snapshot (checksum and version checked), if it has one.
    async fn read_snapshot(&self, c: &Client) -> Result<Option<State>, StateError> {
        let row = c
            .query_opt(
                "SELECT body FROM strata_state WHERE stack = $1",
                &[&self.stack],
            )
            .await
            .map_err(db_err("read the state"))?;
        let Some(r) = row else {
            return Ok(None);
        };
        let body: String = r.get(0);
        let path = std::path::PathBuf::from(format!("postgres:{}", self.stack));
        snapshot::require_checksum(&body, &path)
            .map_err(|_| self.corrupt("its checksum is missing or does not match"))?;
        let st: State = serde_json::from_str(&body)
            .map_err(|e| self.corrupt(&format!("it is not a state ({e})")))?;
        if st.version > STATE_VERSION {
            return Err(StateError::Other(format!(
                "the state of stack \"{}\" was written by a newer strata: upgrade strata",
                self.stack
            )));
        }
        Ok(Some(st))
    }

    /// The journal entries of a run that continued `state` and did not fold. Rows already
    /// folded (an older base serial) are skipped; a row of another lineage, or continuing a
    /// later serial, or failing its checksum, is damage: an error, never dropped.
    async fn read_journal(&self, c: &Client, state: &State) -> Result<Vec<Entry>, StateError> {
        let rows = c
            .query(
                "SELECT seq, lineage, base_serial, line FROM strata_journal WHERE stack = $1 ORDER BY seq",
                &[&self.stack],
            )
            .await
            .map_err(db_err("read the journal"))?;
        let mut entries = Vec::new();
        for r in rows {
            let (seq, lineage, base): (i64, String, i64) = (r.get(0), r.get(1), r.get(2));
            if base < state.serial as i64 {
                continue; // folded already
            }
            if lineage != state.lineage {
                return Err(self.corrupt(&format!(
                    "journal entry {seq} belongs to another state (lineage {lineage}, the \
                     snapshot's is {})",
                    state.lineage
                )));
            }
            if base > state.serial as i64 {
                return Err(self.corrupt(&format!(
                    "journal entry {seq} continues serial {base}, but the snapshot is at serial {}",
                    state.serial
                )));
            }
            entries.push(self.journal_entry(seq, r.get(3))?);
        }
        Ok(entries)
    }

    /// One journal row's entry, its checksum checked.
    fn journal_entry(&self, seq: i64, line: String) -> Result<Entry, StateError> {
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        let damaged = || self.corrupt(&format!("journal entry {seq} fails its checksum"));
        let parsed =
            journal::parse_lines::<Entry>(&bytes, std::path::Path::new("strata_journal"), 0)
                .map_err(|_| damaged())?;
        match (parsed.torn_tail, <[Entry; 1]>::try_from(parsed.entries)) {
            (false, Ok([entry])) => Ok(entry),
            _ => Err(damaged()),
        }
    }

    fn corrupt(&self, what: &str) -> StateError {
        StateError::Corrupt(format!(
            "the state of stack \"{}\" in PostgreSQL ({}) is damaged and was not used: {what}. \
             Earlier versions are in the table strata_state_history",
            self.stack, self.url.shown
        ))
    }
}

/// A held advisory lock and its dedicated connection.
struct PgLock {
    client: Option<Client>,
    stack: String,
    key: i32,
    id: String,
    cleared: Option<String>,
}

impl LockGuard for PgLock {
    fn id(&self) -> &str {
        &self.id
    }
    fn cleared(&self) -> Option<&str> {
        self.cleared.as_deref()
    }
}

impl Drop for PgLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        // Remove our holder row, then release the advisory lock and wait for the server's
        // answer, so the next command finds it free the moment this one exits (closing the
        // session would release it too, but only once the server notices).
        if let Ok(h) = tokio::runtime::Handle::try_current() {
            if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                let (stack, id, key) = (self.stack.clone(), self.id.clone(), self.key);
                tokio::task::block_in_place(|| {
                    h.block_on(async move {
                        let _ = client
                            .execute(
                                "DELETE FROM strata_lock WHERE stack = $1 AND lock_id = $2",
                                &[&stack, &id],
                            )
                            .await;
                        let _ = client
                            .execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_CLASS, &key])
                            .await;
                    })
                });
            }
        }
    }
}

#[async_trait]
impl Backend for PgBackend {
    fn describe(&self) -> String {
        format!(
            "stack \"{}\" in PostgreSQL at {}",
            self.stack, self.url.shown
        )
    }

    async fn lock(
        &self,
        operation: &str,
        wait: Duration,
    ) -> Result<Box<dyn LockGuard>, StateError> {
        // Tables first (on the data connection), then a session of its own for the lock.
        drop(self.client().await?);
        let client = self.url.connect().await?;
        let key = lock_key(&self.stack);
        let start = Instant::now();
        let deadline = start + wait;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_CLASS, &key])
                .await
                .map_err(db_err("take the lock"))?
                .get(0);
            let holder = client
                .query_opt(
                    "SELECT info FROM strata_lock WHERE stack = $1",
                    &[&self.stack],
                )
                .await
                .map_err(db_err("read the lock holder"))?
                .map(|r| r.get::<_, String>(0))
                .and_then(|s| serde_json::from_str::<LockInfo>(&s).ok());
            if got {
                let cleared = holder.map(|h| {
                    format!(
                        "found and cleared a stale lock left by {}: its database session has ended",
                        h.describe()
                    )
                });
                let info = LockInfo::new(operation);
                let text = serde_json::to_string(&info).unwrap_or_default();
                client
                    .execute(
                        "INSERT INTO strata_lock (stack, lock_id, info, backend_pid)
                         VALUES ($1, $2, $3, pg_backend_pid())
                         ON CONFLICT (stack) DO UPDATE
                         SET lock_id = excluded.lock_id, info = excluded.info, backend_pid = excluded.backend_pid",
                        &[&self.stack, &info.id, &text],
                    )
                    .await
                    .map_err(db_err("record the lock holder"))?;
                return Ok(Box::new(PgLock {
                    client: Some(client),
                    stack: self.stack.clone(),
                    key,
                    id: info.id,
                    cleared,
                }));
            }
            let nameless = holder.is_none() && start.elapsed() < NAMELESS_GRACE;
            if Instant::now() >= deadline && !nameless {
                return Err(super::lock::held(
                    &format!("the state of stack \"{}\"", self.stack),
                    holder.as_ref(),
                    wait,
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn load(&self) -> Result<Loaded, StateError> {
        let c = self.client().await?;
        let snapshot = self.read_snapshot(&c).await?;
        let exists = snapshot.is_some();
        let mut state = snapshot.unwrap_or_else(|| State {
            directory: self.directory.clone(),
            ..State::new(&self.stack)
        });
        let mut notes: Vec<String> = check_directory(
            &state,
            self.directory.as_deref(),
            &self.describe(),
            "In PostgreSQL a state is keyed by the stack's name (its directory's name): give \
                 one of the two directories another name, or keep this stack's state elsewhere \
                 with --state FILE",
        )?
        .into_iter()
        .collect();
        let entries = self.read_journal(&c, &state).await?;
        replay(&mut state, &entries);
        if !entries.is_empty() {
            notes.push(format!(
                "recovered {} step(s) from the journal of a run that did not finish",
                entries.len()
            ));
        }
        Ok(Loaded {
            state,
            exists: exists || !entries.is_empty(),
            replayed: entries.len(),
            notes,
        })
    }

    async fn append(&self, base: &State, entries: &[Entry]) -> Result<(), StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db_err("begin"))?;
        // The first write of a new stack records its identity (lineage, fingerprint key).
        if base.serial == 0 {
            let body = String::from_utf8(snapshot::encode(base)?).unwrap_or_default();
            tx.execute(
                "INSERT INTO strata_state (stack, lineage, serial, body) VALUES ($1, $2, 0, $3)
                 ON CONFLICT (stack) DO NOTHING",
                &[&self.stack, &base.lineage, &body],
            )
            .await
            .map_err(db_err("record the new state"))?;
        }
        let serial = base.serial as i64;
        for e in entries {
            let mut line = String::from_utf8(journal::line(e)?).unwrap_or_default();
            line.pop(); // the newline
            tx.execute(
                "INSERT INTO strata_journal (stack, lineage, base_serial, line) VALUES ($1, $2, $3, $4)",
                &[&self.stack, &base.lineage, &serial, &line],
            )
            .await
            .map_err(db_err("append to the journal"))?;
        }
        tx.commit().await.map_err(db_err("commit the journal"))
    }

    async fn persist(&self, state: &mut State) -> Result<(), StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(db_err("begin"))?;
        let current = tx
            .query_opt(
                "SELECT lineage, serial FROM strata_state WHERE stack = $1 FOR UPDATE",
                &[&self.stack],
            )
            .await
            .map_err(db_err("read the state"))?
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)));
        let base = state.serial as i64;
        match &current {
            Some((lineage, serial)) if *lineage != state.lineage || *serial != base => {
                return Err(StateError::Locked(format!(
                    "another writer changed the state of stack \"{}\" (it is now lineage {lineage}, \
                     serial {serial}; this command started from serial {base}): nothing was \
                     overwritten. Run the command again",
                    self.stack
                )));
            }
            None if base != 0 => {
                return Err(StateError::Locked(format!(
                    "the state of stack \"{}\" was removed while this command ran (it started \
                     from serial {base}): nothing was written",
                    self.stack
                )));
            }
            _ => {}
        }
        state.serial += 1;
        if self.directory.is_some() {
            state.directory = self.directory.clone();
        }
        let body = String::from_utf8(snapshot::encode(state)?).unwrap_or_default();
        let serial = state.serial as i64;
        if current.is_some() {
            tx.execute(
                "INSERT INTO strata_state_history (stack, serial, body)
                 SELECT stack, serial, body FROM strata_state WHERE stack = $1
                 ON CONFLICT DO NOTHING",
                &[&self.stack],
            )
            .await
            .map_err(db_err("keep the previous version"))?;
        }
        tx.execute(
            "INSERT INTO strata_state (stack, lineage, serial, body, updated_at)
             VALUES ($1, $2, $3, $4, now())
             ON CONFLICT (stack) DO UPDATE
             SET lineage = excluded.lineage, serial = excluded.serial, body = excluded.body, updated_at = now()",
            &[&self.stack, &state.lineage, &serial, &body],
        )
        .await
        .map_err(db_err("write the state"))?;
        tx.execute(
            "DELETE FROM strata_journal WHERE stack = $1 AND base_serial < $2",
            &[&self.stack, &serial],
        )
        .await
        .map_err(db_err("retire the journal"))?;
        tx.execute(
            "DELETE FROM strata_state_history WHERE stack = $1 AND serial <= $2",
            &[&self.stack, &(serial - HISTORY)],
        )
        .await
        .map_err(db_err("trim the history"))?;
        tx.commit().await.map_err(db_err("commit the state"))
    }

    async fn force_unlock(&self, id: &str) -> Result<String, StateError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT lock_id, info, backend_pid FROM strata_lock WHERE stack = $1",
                &[&self.stack],
            )
            .await
            .map_err(db_err("read the lock holder"))?
            .ok_or_else(|| {
                StateError::Other(format!(
                    "stack \"{}\" is not locked: nothing to unlock",
                    self.stack
                ))
            })?;
        let (lock_id, info, pid): (String, String, i32) = (row.get(0), row.get(1), row.get(2));
        if lock_id != id {
            return Err(StateError::Other(format!(
                "the lock ID is {lock_id}, not {id}: nothing was changed"
            )));
        }
        let who = serde_json::from_str::<LockInfo>(&info)
            .map(|i| i.describe())
            .unwrap_or(info);
        let key = lock_key(&self.stack);
        let live: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = $1
                 AND classid = $2::int::oid AND objid = $3::int::oid AND granted)",
                &[&pid, &LOCK_CLASS, &key],
            )
            .await
            .map_err(db_err("look for the holder's session"))?
            .get(0);
        let mut msg = format!("removed the lock held by {who}");
        if live {
            c.execute("SELECT pg_terminate_backend($1)", &[&pid])
                .await
                .map_err(db_err("end the holder's session"))?;
            msg.push_str(&format!(
                "; its database session (backend {pid}) was still open and has been ended"
            ));
        }
        c.execute(
            "DELETE FROM strata_lock WHERE stack = $1 AND lock_id = $2",
            &[&self.stack, &lock_id],
        )
        .await
        .map_err(db_err("remove the lock holder"))?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_tls_choices_and_hide_passwords() {
        let u = PgUrl::parse("postgres://me:s3cret@db.example:5433/strata?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x").unwrap();
        assert_eq!(u.tls, Tls::Verify);
        assert_eq!(u.root_cert.as_deref(), Some("/ca.pem"));
        assert_eq!(u.password.as_deref(), Some("s3cret"));
        assert!(!u.shown.contains("s3cret"), "{}", u.shown);
        assert_eq!(
            u.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(
            PgUrl::parse("postgres://h/db?sslmode=disable").unwrap().tls,
            Tls::Disable
        );
        assert_eq!(PgUrl::parse("postgres://h/db").unwrap().tls, Tls::Prefer);
        assert!(PgUrl::parse("postgres://h/db?sslmode=sometimes").is_err());
        assert!(PgUrl::parse("mysql://h/db").is_err());
        assert_ne!(lock_key("a"), lock_key("b"));
    }
}
