//! The PostgreSQL backend against a real PostgreSQL 15 started for each test: apply / plan /
//! destroy through it, the tables and their schema version, two applies on one stack (one
//! waits or fails cleanly), two stacks at once, kill-mid-way recovery, force-unlock,
//! saved-plan staleness, migration to and from a file, and TLS. What every backend promises
//! (compare-and-swap on serial among it) is checked by the suite in tests/backends.rs.

mod common;
#[path = "common/pg.rs"]
mod pg;

use common::Env;
use pg::Pg;
use std::time::{Duration, Instant};

fn with_pg(env: &Env, pg: &Pg, args: &[&str], code: i32) -> common::Run {
    with_url(env, &pg.url(), args, code)
}

fn with_url(env: &Env, url: &str, args: &[&str], code: i32) -> common::Run {
    let r = env.run_with(args, &[("STRATA_PG_URL", url)]);
    assert_eq!(r.code, code, "strata {args:?}\n{r:?}");
    r
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn scalar_i64(pg: &Pg, sql: &str) -> i64 {
    pg.client().await.query_one(sql, &[]).await.unwrap().get(0)
}

#[test]
fn lifecycle_through_postgres() {
    let pg = Pg::start();
    let env = Env::huawei_quickstart();
    let r = with_pg(&env, &pg, &common::APPLY, 0);
    r.out_has("Apply complete!");
    assert!(
        !env.path().join("state/quickstart.json").exists(),
        "no local state file"
    );
    with_pg(&env, &pg, &common::CHECK, 0);
    let rt = rt();
    for (sql, want, why) in [
        (
            "SELECT max(version)::bigint FROM strata_schema",
            1,
            "schema version",
        ),
        (
            "SELECT serial FROM strata_state WHERE stack = 'quickstart'",
            1,
            "serial",
        ),
        ("SELECT count(*) FROM strata_journal", 0, "folded"),
        ("SELECT count(*) FROM strata_lock", 0, "released"),
    ] {
        assert_eq!(rt.block_on(scalar_i64(&pg, sql)), want, "{why}: {sql}");
    }
    // state subcommands, refresh, output, show
    let r = with_pg(&env, &pg, &["-C", "quickstart", "state", "list"], 0);
    assert_eq!(r.stdout.lines().count(), 4, "{r:?}");
    with_pg(
        &env,
        &pg,
        &[
            "-C",
            "quickstart",
            "state",
            "show",
            "huaweicloud_rds_parameter_template.base",
        ],
        0,
    );
    with_pg(&env, &pg, &["-C", "quickstart", "refresh"], 0);
    let r = with_pg(&env, &pg, &["-C", "quickstart", "output", "seed_engine"], 0);
    assert_eq!(r.stdout.trim(), "sqlserver");
    // moved away and back: two new versions
    for (from, to) in [("copy_by_v31", "moved"), ("moved", "copy_by_v31")] {
        let from = format!("huaweicloud_rds_parameter_template.{from}");
        let to = format!("huaweicloud_rds_parameter_template.{to}");
        with_pg(
            &env,
            &pg,
            &["-C", "quickstart", "state", "mv", &from, &to],
            0,
        );
    }
    assert!(
        rt.block_on(scalar_i64(
            &pg,
            "SELECT count(*) FROM strata_state_history WHERE stack = 'quickstart'"
        )) >= 2,
        "previous versions kept"
    );
    let r = with_pg(&env, &pg, &common::DESTROY, 0);
    r.out_has("3 destroyed");
    assert!(env.made("parameter_template").is_empty());
    // the same stack name from a config's backend block, the URL given on the command line
    env.write("quickstart/backend.yaml", "backend: { type: postgres }\n");
    env.ok(
        &[
            "-C",
            "quickstart",
            "plan",
            "--backend-config",
            &format!("url={}", pg.url()),
        ],
        0,
    );
    let r = env.ok(&["-C", "quickstart", "plan"], 1);
    r.err_has("backend: postgres needs a URL");
}

#[test]
fn a_stack_of_another_directory_with_the_same_name_is_refused() {
    let pg = Pg::start();
    let env = Env::new();
    for (dir, name) in [
        ("envs/staging/db", "staging-db"),
        ("envs/prod/db", "prod-db"),
    ] {
        env.one_template(dir, name);
    }
    with_pg(
        &env,
        &pg,
        &["-C", "envs/staging/db", "apply", "--auto-approve"],
        0,
    );
    // both are stack "db" in one database: the second is refused, not planned as a rename
    let r = with_pg(&env, &pg, &["-C", "envs/prod/db", "plan"], 1);
    r.err_has("is the state of the stack in");
    r.err_has("envs/staging/db");
    r.err_has("envs/prod/db");
    assert_eq!(env.made_names("parameter_template"), ["staging-db"]);
}

/// The stack's advisory-lock keys, as `state::postgres` derives them.
fn lock_keys(stack: &str) -> (i32, i32) {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("strata:{stack}").as_bytes());
    (0x5354_5241, i32::from_be_bytes([h[0], h[1], h[2], h[3]]))
}

#[test]
fn a_lock_held_with_no_holder_row_is_waited_for_not_refused() {
    let pg = Pg::start();
    let env = Env::huawei_quickstart();
    let apply = ["-C", "quickstart", "apply", "--auto-approve"];
    with_pg(&env, &pg, &apply, 0);
    let rt = rt();
    rt.block_on(async {
        // A finishing holder's session still holds the lock, its row already deleted.
        let c = pg.client().await;
        let (class, key) = lock_keys("quickstart");
        c.execute("SELECT pg_advisory_lock($1, $2)", &[&class, &key])
            .await
            .unwrap();
        let mut child = env.spawn_with(
            &apply,
            &[("STRATA_PG_URL", &pg.url())],
            std::process::Stdio::piped(),
            std::process::Stdio::piped(),
        );
        // Release it only once strata has tried for it (and, before the fix, failed). A
        // session shows only its latest query: after a try comes the read of the holder row,
        // which only a waiting lock loop makes, and then a pause, so either one proves a try.
        loop {
            let tried: i64 = c
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() \
                     AND (query LIKE 'SELECT pg_try_advisory_lock%' \
                          OR query LIKE 'SELECT info FROM strata_lock%')",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if tried > 0 || child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        c.execute("SELECT pg_advisory_unlock($1, $2)", &[&class, &key])
            .await
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let r = common::Run::from(out);
        assert_eq!(r.code, 0, "{r:?}");
        r.out_has("No changes.");
    });
}

#[test]
fn a_command_right_after_another_finds_the_lock_free() {
    let pg = Pg::start();
    let env = Env::huawei_quickstart();
    for _ in 0..3 {
        with_pg(&env, &pg, &common::APPLY, 0);
    }
    let rt = rt();
    let held: i64 = rt.block_on(scalar_i64(
        &pg,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1398035009",
    ));
    assert_eq!(held, 0, "every command released its lock before it exited");
}

#[test]
fn two_applies_on_one_stack_and_two_stacks_at_once() {
    let pg = Pg::start();
    let env = Env::huawei_quickstart();
    env.stack(
        "second",
        common::HUAWEI,
        "resources:\n  huaweicloud_rds_parameter_template.other:\n    name: other\n    datastore: { type: MySQL, version: \"8.0\" }\n",
    );
    let slow = "latency_ms=250,seed=2";
    let first = env
        .command(&common::APPLY)
        .env("STRATA_PG_URL", pg.url())
        // slow enough that it still holds the lock when the second apply starts, even on a
        // busy machine
        .env("STRATA_SANDBOX", "latency_ms=1000,seed=2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let rt = rt();
    let start = Instant::now();
    // The stack's session lock (not the schema migration's transaction lock, objid 0) is
    // held, and its holder is named.
    let held =
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid <> 0";
    while rt.block_on(scalar_i64(&pg, held)) == 0
        || rt.block_on(scalar_i64(&pg, "SELECT count(*) FROM strata_lock")) == 0
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first apply never locked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = env.ok_with(
        &common::APPLY,
        &[("STRATA_PG_URL", &pg.url()), ("STRATA_SANDBOX", slow)],
        1,
    );
    assert!(
        r.stderr.contains(&format!("locked by pid {}", first.id())),
        "names the holder: {r:?}"
    );
    r.err_has("operation: apply");
    // another stack is not blocked
    env.ok_with(
        &["-C", "second", "apply", "--auto-approve"],
        &[("STRATA_PG_URL", &pg.url()), ("STRATA_SANDBOX", slow)],
        0,
    );
    // a waiter gets the lock when the first is done
    let r = env.ok_with(
        &common::apply_with(&["--lock-timeout", "60s"]),
        &[("STRATA_PG_URL", &pg.url()), ("STRATA_SANDBOX", slow)],
        0,
    );
    r.out_has("No changes.");
    assert!(first.wait_with_output().unwrap().status.success());
    assert_eq!(env.made("parameter_template").len(), 4);
}

fn kill_at(env: &Env, pg: &Pg, checkpoint: &str) {
    let args = common::APPLY_SERIALLY;
    env.kill_at(&args, &[("STRATA_PG_URL", &pg.url())], checkpoint);
}

#[test]
fn killed_applies_recover_from_the_postgres_journal() {
    let pg = Pg::start();
    for checkpoint in ["call_returned", "before_fold", "intent_written"] {
        let env = Env::huawei_quickstart();
        kill_at(&env, &pg, checkpoint);
        let r = with_pg(&env, &pg, &common::APPLY, 0);
        assert!(
            r.stderr.contains("found and cleared a stale lock"),
            "{checkpoint}: the dead holder's lock: {r:?}"
        );
        let names: Vec<String> = env.made_names("parameter_template");
        assert_eq!(
            names,
            ["base-staging", "base-staging-copy", "copy_by_v31"],
            "{checkpoint}"
        );
        with_pg(&env, &pg, &common::CHECK, 0);
        with_pg(&env, &pg, &common::DESTROY, 0);
    }
}

#[test]
fn force_unlock_ends_a_hung_holder() {
    let pg = Pg::start();
    let env = Env::huawei_quickstart();
    let mut hung = env.pause_at(
        &common::APPLY,
        &[("STRATA_PG_URL", &pg.url())],
        "intent_written",
    );
    let r = with_pg(&env, &pg, &common::APPLY, 1);
    let id = r
        .stderr
        .split("lock ID ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("the message gives the lock ID")
        .to_string();
    with_pg(
        &env,
        &pg,
        &["-C", "quickstart", "force-unlock", "not-the-id"],
        1,
    );
    let r = with_pg(&env, &pg, &["-C", "quickstart", "force-unlock", &id], 0);
    r.out_has("has been ended");
    with_pg(&env, &pg, &common::APPLY, 0);
    hung.kill().unwrap();
    hung.wait().unwrap();
    with_pg(&env, &pg, &common::CHECK, 0);
}

/// (A writer that lost the race overwriting nothing is in the backend suite, tests/backends.rs.)
#[test]
fn a_schema_newer_than_this_strata_is_refused() {
    use strata::state::backend::Backend;
    use strata::state::postgres::PgBackend;
    let pg = Pg::start();
    let rt = rt();
    rt.block_on(async {
        let a = PgBackend::new(&pg.url(), "race").unwrap();
        let mut st = a.load().await.unwrap().state;
        a.persist(&mut st).await.unwrap();
        // a newer schema than this strata knows is refused
        pg.client()
            .await
            .execute("INSERT INTO strata_schema (version) VALUES (99)", &[])
            .await
            .unwrap();
        let err = PgBackend::new(&pg.url(), "race")
            .unwrap()
            .load()
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("newer than this strata knows"), "{err}");
    });
}

#[test]
fn saved_plans_go_stale_in_postgres_too() {
    let pg = Pg::start();
    let env = Env::huawei_quickstart();
    with_pg(
        &env,
        &pg,
        &["-C", "quickstart", "plan", "--out", "p.json"],
        0,
    );
    with_pg(&env, &pg, &["-C", "quickstart", "apply", "p.json"], 0);
    let r = with_pg(&env, &pg, &["-C", "quickstart", "apply", "p.json"], 1);
    r.err_has("stale plan: the state moved from serial 1");
}

#[test]
fn migrate_to_postgres_and_back() {
    let pg = Pg::start();
    let env = Env::applied_quickstart();
    let r = env.ok(
        &["-C", "quickstart", "state", "migrate", "--to", &pg.url()],
        0,
    );
    r.out_has("identical");
    with_pg(&env, &pg, &common::CHECK, 0);
    // a second migration into the same place is refused
    let r = env.ok(
        &["-C", "quickstart", "state", "migrate", "--to", &pg.url()],
        1,
    );
    r.err_has("refusing to overwrite");
    // and back to a file
    let r = with_pg(
        &env,
        &pg,
        &[
            "-C",
            "quickstart",
            "state",
            "migrate",
            "--to",
            "state/back.json",
        ],
        0,
    );
    r.out_has("identical");
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "--state",
            "state/back.json",
            "plan",
            "--detailed-exitcode",
        ],
        0,
    );
    assert!(r.stdout.contains("No changes."));
    let a = env.state_json("quickstart");
    let b: serde_json::Value = serde_json::from_str(&env.read("state/back.json")).unwrap();
    assert_eq!(a["lineage"], b["lineage"]);
    assert_eq!(a["resources"], b["resources"]);
}

#[test]
fn tls_as_the_url_asks() {
    let pg = Pg::tls();
    let env = Env::huawei_quickstart();
    let ca = pg.ca.clone().unwrap();
    // the server refuses unencrypted connections; require encrypts
    let r = env.ok_with(
        &["-C", "quickstart", "state", "list"],
        &[("STRATA_PG_URL", &pg.url_with("sslmode=disable"))],
        1,
    );
    r.err_has("cannot connect to PostgreSQL");
    with_url(&env, &pg.url_with("sslmode=require"), &common::APPLY, 0);
    // verify-full with the CA: the certificate is checked, and good
    let verified = pg.url_with(&format!("sslmode=verify-full&sslrootcert={}", ca.display()));
    with_url(&env, &verified, &common::CHECK, 0);
    // verify-full against the public roots: this CA is unknown, so it is refused
    let r = env.ok_with(
        &["-C", "quickstart", "state", "list"],
        &[("STRATA_PG_URL", &pg.url_with("sslmode=verify-full"))],
        1,
    );
    assert!(r.stderr.to_lowercase().contains("certificate"), "{r:?}");
}
