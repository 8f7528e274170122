//! The Alibaba Cloud family end to end, through the real binary against the sandbox: gpdb
//! create and clone (from `latest` and from a named backup, waiting on the source's
//! asynchronous creation), DataWorks clone, SelectDB bind, their data sources, destroy; the
//! validation refusals; the seed's rules refused before any call; the documented API errors
//! reaching the user with their codes; drift, import and timeouts. Plus the wire itself: a
//! signed client against the sandbox's router (signature checks, IncorrectDBInstanceState,
//! ClusterNotSupport, DBInstanceLocked).

mod common;
use common::Env;

const PROVIDER: &str = "providers:\n  alicloud: { region: cn-hangzhou, endpoint: sandbox }\n";

fn stack(env: &Env, dir: &str, resources: &str) {
    env.write(
        &format!("{dir}/main.yaml"),
        &format!("{PROVIDER}resources:\n{resources}"),
    );
}

const WAREHOUSE: &str = "  alicloud_gpdb_instance.src:
    zone_id: cn-hangzhou-i
    engine_version: \"6.0\"
    instance_spec: 4C32G
    seg_node_num: 4
    storage_size: 100
    description: source-warehouse
";

#[test]
fn the_quickstart_applies_converges_and_destroys_exactly_what_it_made() {
    let env = Env::with_example("quickstart");
    let r = env.ok(&["-C", "quickstart", "plan"], 0);
    // each seed action is its own verb; the backup of a clone from latest is not known yet
    r.out_has("alicloud_gpdb_instance.warehouse_restore will be created\n  # (cloned from");
    r.out_has("alicloud_selectdb_cluster_binding.main will be created\n  # (made by binding)");
    r.out_has("alicloud_dataworks_data_source.holo_copy will be created\n  # (cloned from");
    let json = env.ok(&["-C", "quickstart", "plan", "--format", "json"], 0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let restore = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "alicloud_gpdb_instance.warehouse_restore")
        .unwrap();
    assert_eq!(restore["action"], "clone");
    assert_eq!(restore["change"]["after_unknown"]["backup_id"], true);
    assert_eq!(
        restore["depends_on"],
        serde_json::json!(["alicloud_gpdb_instance.warehouse"])
    );

    let r = env.ok(&common::APPLY, 0);
    r.out_has("1 bound");
    let instances = env.made_in("gpdb", "instance");
    assert_eq!(instances.len(), 2, "{instances:?}");
    assert_eq!(env.made_in("dataworks", "data_source").len(), 1);
    // the clone restored the source's newest snapshot
    let out = env.ok(&["-C", "quickstart", "output", "--json"], 0);
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let backup = outputs["restored_backup"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let st = env.state_json("quickstart");
    let source = st["resources"]["alicloud_gpdb_instance.warehouse"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let store = strata::sandbox::open_store(
        &env.path().join("state/sandbox.json"),
        &strata::families::sandbox(),
    );
    let restored_from = store
        .read(|w| {
            w.get(
                "gpdb/instance",
                outputs["restore_id"]["value"].as_str().unwrap(),
            )
            .unwrap()["restored_from"]
                .clone()
        })
        .unwrap();
    assert_eq!(restored_from["instance"], source.as_str());
    assert_eq!(restored_from["backup"], backup.as_str());
    let r = env.ok(&common::CHECK, 0);
    r.out_has("No changes.");
    // the binding is visible in the data source
    let r = env.ok(
        &[
            "-C",
            "quickstart",
            "state",
            "show",
            "data.alicloud_selectdb_instance.main",
        ],
        0,
    );
    r.out_has("selectdb-cn-7213cjv2ez-be2");

    env.ok(&common::DESTROY, 0);
    assert!(env.made_in("gpdb", "instance").is_empty());
    assert!(
        env.made_in("gpdb", "backup").is_empty(),
        "backups go with their instance"
    );
    assert!(env.made_in("dataworks", "data_source").is_empty());
    let bound = store
        .read(|w| {
            w.get("selectdb/instance", "selectdb-cn-7213cjv2ez")
                .unwrap()["clusters"][0]["ClusterBinding"]
                .clone()
        })
        .unwrap();
    assert_eq!(bound, "", "unbound");
}

#[test]
fn a_clone_waits_for_its_source_and_restores_through_restoring() {
    let env = Env::new();
    stack(
        &env,
        "s",
        &format!(
            "{WAREHOUSE}  alicloud_gpdb_instance.copy:
    clone: {{ source: \"${{alicloud_gpdb_instance.src.id}}\", backup: latest }}
    zone_id: cn-hangzhou-i
"
        ),
    );
    let r = env.ok_with(
        &["-C", "s", "apply", "--auto-approve"],
        &[("STRATA_SANDBOX", "async_ms=700")],
        0,
    );
    let src_done = r
        .stdout
        .find("alicloud_gpdb_instance.src: Creation complete")
        .unwrap();
    let clone_start = r
        .stdout
        .find("alicloud_gpdb_instance.copy: Cloning...")
        .unwrap();
    assert!(
        src_done < clone_start,
        "the clone waited for its source: {r:?}"
    );
    r.out_has("status Creating");
    r.out_has("status Restoring");
    // the target was made like its source
    let st = env.state_json("s");
    let copy = &st["resources"]["alicloud_gpdb_instance.copy"]["attributes"];
    assert_eq!(copy["storage_size"], 100);
    assert_eq!(copy["status"], "Running");
    // the restored tag (TagResources on an elastic storage instance) names the backup
    assert!(copy["backup_id"].is_string(), "{copy}");
    env.ok(&["-C", "s", "plan", "--detailed-exitcode"], 0);
}

#[test]
fn validate_refuses_what_the_apis_would_refuse() {
    let env = Env::new();
    stack(
        &env,
        "v",
        "  alicloud_dataworks_data_source.bad:
    clone: { source: 16036 }
    name: 1-not-a-name
  alicloud_dataworks_data_source.noenv:
    name: fresh
    project_id: 10001
    type: mysql
    connection_properties_mode: UrlMode
    connection_properties: { address: x }
  alicloud_gpdb_instance.g:
    zone_id: z
    engine_version: \"5.0\"
    instance_spec: 4C32G
    seg_node_num: 3
    storage_size: 20
  alicloud_selectdb_cluster_binding.b:
    instance_id: i
    cluster_id: c
",
    );
    let r = env.ok(&["-C", "v", "validate"], 1);
    let e = r.all();
    for needle in [
        "alicloud_dataworks_data_source.bad.name: \"1-not-a-name\"",
        "starts with a letter",
        "alicloud_dataworks_data_source.noenv.connection_properties: must contain the key \"envType\"",
        "alicloud_gpdb_instance.g.engine_version",
        "alicloud_gpdb_instance.g.seg_node_num: 3 is out of range",
        "alicloud_gpdb_instance.g.storage_size: 20 is out of range",
        "alicloud_selectdb_cluster_binding.b.cluster_id_bak: missing required argument",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in:\n{e}");
    }
}

#[test]
fn the_seed_rules_are_refused_before_any_call() {
    use strata::sandbox::alicloud::{gpdb, selectdb};
    let env = Env::new();
    let clone_of = |backup: &str| {
        format!(
            "  alicloud_gpdb_instance.c:
    clone: {{ source: {}, backup: \"{backup}\" }}
    zone_id: cn-hangzhou-i
",
            gpdb::SEED_INSTANCE
        )
    };
    for (backup, why) in [
        (
            gpdb::SEED_LOGICAL,
            "is a Logical backup: CloneDBInstance restores only snapshot backups",
        ),
        (gpdb::SEED_FAILED, "has status Failure"),
        (
            "9999999999",
            "is not a backup of instance gp-bp1seedwarehouse01",
        ),
    ] {
        stack(&env, "r", &clone_of(backup));
        let r = env.ok(&["-C", "r", "apply", "--auto-approve"], 1);
        assert!(r.all().contains(why), "{backup}: {r:?}");
        assert!(r.all().contains("alicloud_gpdb_instance.c"), "{r:?}");
        assert!(
            env.made_in("gpdb", "instance").is_empty(),
            "nothing was made for {backup}"
        );
    }
    // a named snapshot that is the source's is accepted
    stack(&env, "r", &clone_of(gpdb::SEED_SNAPSHOT));
    env.ok(&["-C", "r", "apply", "--auto-approve"], 0);
    env.ok(&["-C", "r", "destroy", "--auto-approve"], 0);

    let bind = |instance: &str, a: &str, b: &str| {
        format!(
            "  alicloud_selectdb_cluster_binding.b:
    instance_id: {instance}
    cluster_id: {instance}-{a}
    cluster_id_bak: {instance}-{b}
"
        )
    };
    for (instance, a, b, why) in [
        (selectdb::SINGLE_ZONE, "be", "be2", "is not zone-redundant"),
        (
            selectdb::MIXED_BILLING,
            "be",
            "be2",
            "must share a billing method",
        ),
        (
            selectdb::SEED_INSTANCE,
            "be",
            "be9",
            "has no cluster selectdb-cn-7213cjv2ez-be9",
        ),
    ] {
        stack(&env, "b", &bind(instance, a, b));
        let r = env.ok(&["-C", "b", "apply", "--auto-approve"], 1);
        assert!(r.all().contains(why), "{instance}: {r:?}");
        assert!(r.all().contains("RuleViolation"), "{r:?}");
    }
}

#[test]
fn a_self_binding_is_a_validate_error_once_both_clusters_are_known() {
    use strata::sandbox::alicloud::selectdb::SEED_INSTANCE;
    let env = Env::new();
    let bind = |a: &str, b: &str| {
        format!(
            "  alicloud_selectdb_cluster_binding.b:\n    instance_id: {SEED_INSTANCE}\n    \
             cluster_id: {a}\n    cluster_id_bak: {b}\n"
        )
    };
    let message = format!(
        "alicloud_selectdb_cluster_binding.b.cluster_id_bak: must differ from cluster_id \
         (both are \"{SEED_INSTANCE}-be\"): a binding needs two different clusters"
    );
    // both literal: validate (and so plan and apply) refuses it, at the attribute's line
    let be = format!("{SEED_INSTANCE}-be");
    stack(&env, "b", &bind(&be, &be));
    for cmd in ["validate", "plan"] {
        let r = env.ok(&["-C", "b", cmd], 1);
        r.err_has(&format!("Error: b/main.yaml:7: {message}"));
    }
    // references are unknown at validate time: no error until they are known (the data
    // source is read at plan time)
    let first = "${data.alicloud_selectdb_instance.i.clusters[0].id}";
    env.write(
        "b/main.yaml",
        &format!(
            "{PROVIDER}data:\n  alicloud_selectdb_instance.i: {{ id: {SEED_INSTANCE} }}\n\
             resources:\n{}",
            bind(&format!("\"{first}\""), &format!("\"{first}\""))
        ),
    );
    env.ok(&["-C", "b", "validate"], 0);
    let r = env.ok(&["-C", "b", "plan"], 1);
    r.err_has(&format!("Error: b/main.yaml:9: {message}"));
    assert!(
        !r.all().contains("RuleViolation"),
        "refused before any call: {r:?}"
    );
}

#[test]
fn documented_api_errors_reach_the_user_with_their_codes() {
    use strata::sandbox::alicloud::selectdb;
    let env = Env::new();
    for (resources, code) in [
        (
            "  alicloud_gpdb_instance.c:\n    clone: { source: gp-doesnotexist, backup: latest }\n    zone_id: z\n",
            "InvalidDBInstanceId.NotFound",
        ),
        (
            "  alicloud_dataworks_data_source.d:\n    clone: { source: 99999 }\n    name: copy_of_nothing\n",
            "DataSource.NotFound",
        ),
        (
            &format!("  alicloud_selectdb_cluster_binding.b:\n    instance_id: {0}\n    cluster_id: {0}-be\n    cluster_id_bak: {0}-be2\n", selectdb::LOCKED),
            "DBInstanceLocked",
        ),
        (
            "  alicloud_dataworks_data_source.d:\n    clone: { source: 16036 }\n    name: demo_holo_source\n",
            "ConnectionAlreadyExist",
        ),
    ] {
        stack(&env, "e", resources);
        let r = env.ok(&["-C", "e", "apply", "--auto-approve"], 1);
        assert!(r.all().contains(code), "{code}: {r:?}");
        assert!(r.all().contains("request id"), "the RequestId is shown: {r:?}");
    }
    // a data source naming an unknown instance
    env.write(
        "e/main.yaml",
        &format!("{PROVIDER}data:\n  alicloud_selectdb_instance.x: {{ id: selectdb-cn-nope }}\n"),
    );
    let r = env.ok(&["-C", "e", "plan"], 1);
    assert!(r.all().contains("InvalidDBInstanceId.NotFound"), "{r:?}");
}

#[test]
fn dataworks_create_update_and_clone_with_properties() {
    let env = Env::new();
    let text = |desc: &str| {
        format!(
            "  alicloud_dataworks_data_source.mysql:
    name: orders_db
    project_id: 10001
    type: mysql
    connection_properties_mode: UrlMode
    connection_properties: {{ envType: Dev, address: \"db:3306\" }}
    description: {desc}
  alicloud_dataworks_data_source.copy:
    clone: {{ source: \"${{alicloud_dataworks_data_source.mysql.id}}\" }}
    name: orders_db_copy
    connection_properties: {{ envType: Dev, address: \"replica:3306\" }}
"
        )
    };
    stack(&env, "d", &text("first"));
    env.ok(&["-C", "d", "apply", "--auto-approve"], 0);
    env.ok(&["-C", "d", "plan", "--detailed-exitcode"], 0);
    let st = env.state_json("d");
    let copy = &st["resources"]["alicloud_dataworks_data_source.copy"]["attributes"];
    assert_eq!(copy["connection_properties"]["address"], "replica:3306");
    assert_eq!(
        copy["project_id"], 10001,
        "a clone lives in its source's workspace"
    );
    stack(&env, "d", &text("second"));
    let r = env.ok(&["-C", "d", "apply", "--auto-approve"], 0);
    r.out_has("1 updated");
    env.ok(&["-C", "d", "plan", "--detailed-exitcode"], 0);
    env.ok(&["-C", "d", "destroy", "--auto-approve"], 0);
    assert!(env.made_in("dataworks", "data_source").is_empty());
}

#[test]
fn drift_import_and_timeouts() {
    let env = Env::new();
    stack(&env, "g", WAREHOUSE);
    env.ok(&["-C", "g", "apply", "--auto-approve"], 0);
    let id = env.state_json("g")["resources"]["alicloud_gpdb_instance.src"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // changed outside: planned back in place
    let store = strata::sandbox::open_store(
        &env.path().join("state/sandbox.json"),
        &strata::families::sandbox(),
    );
    store
        .write(|tx| {
            let mut d = tx.get("gpdb/instance", &id).unwrap().clone();
            d["description"] = "edited by hand".into();
            tx.put("gpdb/instance", &id, d);
        })
        .unwrap();
    let r = env.ok(&["-C", "g", "plan", "--detailed-exitcode"], 2);
    r.out_has("edited by hand");
    r.out_has("updated in-place");
    env.ok(&["-C", "g", "apply", "--auto-approve"], 0);
    // imported into another stack's address
    stack(&env, "h", &WAREHOUSE.replace(".src:", ".adopted:"));
    env.ok(
        &["-C", "h", "import", "alicloud_gpdb_instance.adopted", &id],
        0,
    );
    env.ok(&["-C", "h", "plan", "--detailed-exitcode"], 0);
    // deleted outside: reported, and planned for creation again
    env.ok(
        &["-C", "h", "state", "rm", "alicloud_gpdb_instance.adopted"],
        0,
    );
    store.write(|tx| tx.delete("gpdb/instance", &id)).unwrap();
    let r = env.ok(&["-C", "g", "plan"], 0);
    r.out_has("has been deleted");
    r.out_has("alicloud_gpdb_instance.src will be created");
    // a per-resource timeout on the asynchronous wait fails that resource only, naming the status
    stack(
        &env,
        "t",
        &format!(
            "{WAREHOUSE}    timeouts: {{ create: 1s }}
  alicloud_dataworks_data_source.other:
    clone: {{ source: 16036 }}
    name: unaffected
"
        ),
    );
    let r = env.ok_with(
        &["-C", "t", "apply", "--auto-approve"],
        &[("STRATA_SANDBOX", "async_ms=60000")],
        1,
    );
    assert!(r.all().contains("stuck in Creating"), "{r:?}");
    r.out_has("alicloud_dataworks_data_source.other: Clone complete");
    // the instance exists: recorded (tainted), never orphaned
    let st = env.state_json("t");
    assert!(
        st["resources"]["alicloud_gpdb_instance.src"]["id"].is_string(),
        "{st}"
    );
}

#[test]
fn per_product_endpoints_and_credentials_from_the_environment() {
    let server_dir = Env::new();
    let (mut server, url) = server_dir.serve_sandbox(&[]);
    let env = Env::new();
    env.write(
        "o/main.yaml",
        &format!(
            "providers:\n  alicloud:\n    region: cn-hangzhou\n    insecure_http: true # a standalone sandbox over http\n    endpoints:\n      gpdb: {url}\n      dataworks: {url}\n      selectdb: {url}\nresources:\n{WAREHOUSE}"
        ),
    );
    // no endpoint: sandbox, so credentials must come from somewhere
    let r = env.ok(&["-C", "o", "plan"], 1);
    r.err_has("ALIBABA_CLOUD_ACCESS_KEY_ID");
    let creds = [
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            strata::sandbox::alicloud::CREDENTIALS.key,
        ),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not the secret"),
    ];
    let r = env.ok_with(&["-C", "o", "apply", "--auto-approve"], &creds, 1);
    assert!(
        r.all().contains("SignatureDoesNotMatch"),
        "a wrong secret is refused: {r:?}"
    );
    let creds = [
        creds[0],
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            strata::sandbox::alicloud::CREDENTIALS.secret,
        ),
    ];
    env.ok_with(&["-C", "o", "apply", "--auto-approve"], &creds, 0);
    assert_eq!(
        server_dir.made_in("gpdb", "instance").len(),
        1,
        "made through the override"
    );
    // refresh lists the instances (one DescribeDBInstances), no describe per instance
    let admin =
        |method: &str| strata::sandbox::admin_request(&url, method, "/_sandbox/stats").unwrap();
    admin("DELETE");
    env.ok_with(&["-C", "o", "plan", "--detailed-exitcode"], &creds, 0);
    let stats: serde_json::Value = serde_json::from_str(&admin("GET")).unwrap();
    let calls = &stats["requests"];
    assert_eq!(calls["POST / gpdb:DescribeDBInstances"], 1, "{stats}");
    assert!(
        calls
            .get("POST / gpdb:DescribeDBInstanceAttribute")
            .is_none(),
        "{stats}"
    );
    env.ok_with(&["-C", "o", "destroy", "--auto-approve"], &creds, 0);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_bound_cluster_pair_belongs_to_one_stack() {
    use strata::sandbox::alicloud::selectdb::SEED_INSTANCE;
    let env = Env::new();
    let binding = |name: &str| {
        format!(
            "  alicloud_selectdb_cluster_binding.{name}:\n    instance_id: {SEED_INSTANCE}\n    \
             cluster_id: {SEED_INSTANCE}-be\n    cluster_id_bak: {SEED_INSTANCE}-be2\n"
        )
    };
    stack(&env, "one", &binding("main"));
    stack(&env, "two", &binding("copy"));
    env.ok(&["-C", "one", "apply", "--auto-approve"], 0);
    // the second stack is refused, with its address and the cluster's current peer
    let r = env.ok(&["-C", "two", "apply", "--auto-approve"], 1);
    for needle in [
        "alicloud_selectdb_cluster_binding.copy",
        &format!("cluster {SEED_INSTANCE}-be is already bound to {SEED_INSTANCE}-be2"),
    ] {
        assert!(r.stderr.contains(needle), "missing {needle:?}: {r:?}");
    }
    let st = env.state_json("two");
    assert!(
        st["resources"].as_object().is_none_or(|m| m.is_empty()),
        "{st}"
    );
    // destroying the second stack leaves the first one's binding alone
    env.ok(&["-C", "two", "destroy", "--auto-approve"], 0);
    env.ok(&["-C", "one", "plan", "--detailed-exitcode"], 0);
    env.ok(&["-C", "one", "destroy", "--auto-approve"], 0);
}

#[test]
fn sandbox_ls_lists_clusters_and_bindings_kept_inside_an_instance() {
    use strata::sandbox::alicloud::selectdb::SEED_INSTANCE;
    let env = Env::new();
    // named the other way round from the seed's order: the row keeps the config's order
    stack(
        &env,
        "b",
        &format!(
            "  alicloud_selectdb_cluster_binding.main:\n    instance_id: {SEED_INSTANCE}\n    \
             cluster_id: {SEED_INSTANCE}-be2\n    cluster_id_bak: {SEED_INSTANCE}-be\n"
        ),
    );
    let id = format!("{SEED_INSTANCE}/{SEED_INSTANCE}-be2/{SEED_INSTANCE}-be");
    let clusters = |env: &Env| env.made_in("selectdb", "cluster").len();
    let listed = env.sandbox();
    let seeded = |kind: &str| listed.iter().filter(|o| o["kind"] == kind).count();
    assert_eq!(seeded("cluster"), 8, "two clusters of each seeded instance");
    assert_eq!(seeded("cluster_binding"), 0);

    env.ok(&["-C", "b", "apply", "--auto-approve"], 0);
    assert_eq!(
        env.made_in("selectdb", "cluster_binding"),
        vec![(id.clone(), SEED_INSTANCE.to_string())]
    );
    let st = env.state_json("b");
    assert_eq!(
        st["resources"]["alicloud_selectdb_cluster_binding.main"]["id"],
        id.as_str(),
        "the row names the binding as the state does"
    );
    let r = env.ok(&["sandbox", "ls"], 0);
    let row = r
        .stdout
        .lines()
        .find(|l| l.contains("cluster_binding"))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells,
        ["selectdb", "cluster_binding", &id, SEED_INSTANCE, "bound"]
    );
    common::snapshot_settings().bind(|| insta::assert_snapshot!("sandbox_ls_bound", r.stdout));
    assert_eq!(clusters(&env), 0, "the clusters are the seed's");

    env.ok(&["-C", "b", "destroy", "--auto-approve"], 0);
    assert!(env.made_in("selectdb", "cluster_binding").is_empty());
    let r = env.ok(&["sandbox", "ls"], 0);
    assert!(!r.stdout.contains("cluster_binding"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("{SEED_INSTANCE}-be2")),
        "{}",
        r.stdout
    );
}

mod wire {
    use strata::providers::alicloud::client::{Product, RpcClient};
    use strata::sandbox::alicloud::{gpdb, selectdb};

    async fn sandbox() -> (String, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = strata::sandbox::open_store(
            &dir.path().join("sandbox.json"),
            &strata::families::sandbox(),
        );
        let spec = strata::sandbox::faults::FaultSpec::parse("async_ms=60000").unwrap();
        let app = strata::sandbox::server::router(store, spec, &strata::families::sandbox());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (format!("http://{addr}"), dir)
    }

    fn client(base: &str, product: Product, secret: &str) -> RpcClient {
        let url = base.to_string();
        RpcClient::new(
            product,
            "cn-hangzhou",
            &url,
            strata::sandbox::alicloud::CREDENTIALS.key,
            secret,
            2,
        )
        .unwrap()
    }

    /// CreateDBInstance of an instance of storage mode `mode`: its id.
    async fn create_instance(g: &RpcClient, mode: &str) -> String {
        let made = g
            .call(
                "CreateDBInstance",
                &[
                    ("RegionId", "cn-hangzhou".into()),
                    ("ZoneId", "cn-hangzhou-i".into()),
                    ("Engine", "gpdb".into()),
                    ("EngineVersion", "6.0".into()),
                    ("DBInstanceMode", mode.into()),
                    ("DBInstanceCategory", "HighAvailability".into()),
                    ("InstanceSpec", "4C32G".into()),
                    ("SegNodeNum", "4".into()),
                    ("SegStorageType", "cloud_essd".into()),
                    ("StorageSize", "50".into()),
                ],
                false,
            )
            .await
            .unwrap();
        made["DBInstanceId"].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn tag_resources_takes_the_resource_type_of_the_storage_mode() {
        let (base, _dir) = sandbox().await;
        let g = client(
            &base,
            Product::Gpdb,
            strata::sandbox::alicloud::CREDENTIALS.secret,
        );
        let elastic = create_instance(&g, "StorageElastic").await;
        let reserved = create_instance(&g, "Classic").await;
        let tag = |kind: &str, ids: &[&String]| {
            let mut p = vec![
                ("RegionId".to_string(), "cn-hangzhou".to_string()),
                ("ResourceType".to_string(), kind.to_string()),
                ("Tag.1.Key".to_string(), "team".to_string()),
                ("Tag.1.Value".to_string(), kind.to_string()),
            ];
            for (n, id) in ids.iter().enumerate() {
                p.push((format!("ResourceId.{}", n + 1), id.to_string()));
            }
            p
        };
        let call = |p: Vec<(String, String)>| {
            let g = &g;
            async move {
                let p: Vec<(&str, String)> =
                    p.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                g.call("TagResources", &p, true).await
            }
        };
        let team = |id: String| {
            let g = &g;
            async move {
                let d = g
                    .call("DescribeDBInstanceAttribute", &[("DBInstanceId", id)], true)
                    .await
                    .unwrap();
                let tags = d["Items"]["DBInstanceAttribute"][0]["Tags"]["Tag"].clone();
                tags.as_array()
                    .and_then(|a| a.iter().find(|t| t["Key"] == "team"))
                    .map(|t| t["Value"].as_str().unwrap().to_string())
            }
        };
        // the wrong type for the mode is refused, and nothing is tagged — not even the
        // instance of the list whose type it is
        for (kind, ids, refused) in [
            ("instance", vec![&elastic], &elastic),
            ("ALIYUN::GPDB::INSTANCE", vec![&reserved], &reserved),
            (
                "ALIYUN::GPDB::INSTANCE",
                vec![&elastic, &reserved],
                &reserved,
            ),
        ] {
            let e = call(tag(kind, &ids)).await.unwrap_err();
            assert_eq!(
                (e.code.as_str(), e.status),
                ("InvalidParameter", Some(400)),
                "{kind}"
            );
            assert!(
                e.message.contains(&format!(
                    "ResourceType \"{kind}\" is not valid for instance {refused}"
                )),
                "{}",
                e.message
            );
        }
        assert_eq!(team(elastic.clone()).await, None);
        assert_eq!(team(reserved.clone()).await, None);
        // the right one tags the instance
        call(tag("ALIYUN::GPDB::INSTANCE", &[&elastic]))
            .await
            .unwrap();
        call(tag("instance", &[&reserved])).await.unwrap();
        assert_eq!(
            team(elastic).await.as_deref(),
            Some("ALIYUN::GPDB::INSTANCE")
        );
        assert_eq!(team(reserved).await.as_deref(), Some("instance"));
    }

    #[tokio::test]
    async fn the_sandbox_checks_signatures_states_and_rules() {
        let (base, _dir) = sandbox().await;
        let sk = strata::sandbox::alicloud::CREDENTIALS.secret;
        // a wrong secret: the signature does not match
        let bad = client(&base, Product::Gpdb, "wrong");
        let e = bad
            .call(
                "DescribeDBInstanceAttribute",
                &[("DBInstanceId", gpdb::SEED_INSTANCE.into())],
                true,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        let g = client(&base, Product::Gpdb, sk);
        // CloneDBInstance into an instance still Creating
        let target = create_instance(&g, "StorageElastic").await;
        let e = g
            .call(
                "CloneDBInstance",
                &[
                    ("DBInstanceId", target),
                    ("SrcDbInstanceName", gpdb::SEED_INSTANCE.into()),
                    ("BackupId", gpdb::SEED_SNAPSHOT.into()),
                ],
                false,
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.status),
            ("IncorrectDBInstanceState", Some(403))
        );
        // SelectDB: a single-zone instance's clusters cannot be bound
        let s = client(&base, Product::SelectDb, sk);
        let params = |i: &str| {
            vec![
                ("DBInstanceId", i.to_string()),
                ("DBClusterId", format!("{i}-be")),
                ("DBClusterIdBak", format!("{i}-be2")),
                ("RegionId", "cn-hangzhou".to_string()),
            ]
        };
        // ... nor those of an instance mixing billing methods
        for (instance, code) in [
            (selectdb::SINGLE_ZONE, "ClusterNotSupport"),
            (selectdb::MIXED_BILLING, "InvalidChargeType.NotSupport"),
        ] {
            let e = s
                .call("CreateDBClusterBinding", &params(instance), false)
                .await
                .unwrap_err();
            assert_eq!(e.code, code, "{instance}");
        }
        let ok = s
            .call(
                "CreateDBClusterBinding",
                &params(selectdb::SEED_INSTANCE),
                false,
            )
            .await
            .unwrap();
        assert_eq!(ok["Data"]["DbInstanceId"], "6585");
        assert!(ok["RequestId"].is_string());
        // a bound cluster cannot be bound again, not even to the same peer (seed 004:
        // 403 IncorrectDBInstanceState)
        let mut swapped = params(selectdb::SEED_INSTANCE);
        let (be, be2) = (swapped[1].1.clone(), swapped[2].1.clone());
        (swapped[1].1, swapped[2].1) = (be2, be);
        for p in [params(selectdb::SEED_INSTANCE), swapped] {
            let e = s
                .call("CreateDBClusterBinding", &p, false)
                .await
                .unwrap_err();
            assert_eq!(
                (e.code.as_str(), e.status),
                ("IncorrectDBInstanceState", Some(403)),
                "{p:?}"
            );
            assert!(e.message.contains("is already bound to"), "{}", e.message);
        }
        // an action the product of the version sent does not have is not an API
        let wrong = RpcClient::new(
            Product::DataWorks,
            "cn-hangzhou",
            &base.to_string(),
            strata::sandbox::alicloud::CREDENTIALS.key,
            sk,
            1,
        )
        .unwrap();
        let e = wrong
            .call(
                "DescribeDBInstanceAttribute",
                &params(selectdb::SEED_INSTANCE)[..1],
                true,
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidApi.NotFound");
    }

    /// A V2 RPC request (the older SDKs' HMAC-SHA1 in the parameters) as `method` sends it:
    /// in the query string for GET, in a form body for POST. Signed with `secret` over every
    /// parameter, as §6b of API-FACTS.md says (the algorithm itself is proven on the published
    /// vectors beside the verifier; this drives the gateway's routing and parameter handling).
    async fn v2(
        base: &str,
        method: &str,
        params: &[(&str, &str)],
        secret: &str,
        at: time::OffsetDateTime,
    ) -> (u16, serde_json::Value) {
        let stamp = at
            .format(strata::sandbox::signature::v2rpc::TIMESTAMP)
            .unwrap();
        let nonce = uuid::Uuid::new_v4().to_string();
        let mut all: Vec<(String, String)> = [
            ("AccessKeyId", strata::sandbox::alicloud::CREDENTIALS.key),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce.as_str()),
            ("Timestamp", stamp.as_str()),
        ]
        .iter()
        .chain(params)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signature = strata::sandbox::signature::v2rpc::expected(method, &all, secret);
        all.push(("Signature".into(), signature));
        let client = reqwest::Client::new();
        let req = match method {
            "GET" => client.get(format!("{base}/")).query(&all),
            _ => client.post(format!("{base}/")).form(&all),
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    #[tokio::test]
    async fn v2_signed_requests_reach_each_product_at_the_root() {
        let (base, _dir) = sandbox().await;
        let secret = strata::sandbox::alicloud::CREDENTIALS.secret;
        let now = time::OffsetDateTime::now_utc();
        let gpdb = [
            ("Action", "DescribeDBInstanceAttribute"),
            ("Version", "2016-05-03"),
            ("DBInstanceId", gpdb::SEED_INSTANCE),
        ];
        let (status, body) = v2(&base, "GET", &gpdb, secret, now).await;
        assert_eq!(status, 200, "{body}");
        let item = &body["Items"]["DBInstanceAttribute"][0];
        assert_eq!(item["DBInstanceId"], gpdb::SEED_INSTANCE, "{body}");
        // the same action name in another product's version goes to that product
        let sel = [
            ("Action", "DescribeDBInstanceAttribute"),
            ("Version", "2023-05-22"),
            ("DBInstanceId", selectdb::SEED_INSTANCE),
            ("RegionId", "cn-hangzhou"),
        ];
        let (status, body) = v2(&base, "POST", &sel, secret, now).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["DBInstanceId"], selectdb::SEED_INSTANCE, "{body}");
        // a wrong secret, and a time stamp older than 31 minutes, are refused
        let (status, body) = v2(&base, "GET", &gpdb, "wrong", now).await;
        assert_eq!(
            (status, body["Code"].as_str()),
            (400, Some("SignatureDoesNotMatch"))
        );
        let old = now - time::Duration::minutes(40);
        let (status, body) = v2(&base, "POST", &gpdb, secret, old).await;
        assert_eq!(
            (status, body["Code"].as_str()),
            (400, Some("InvalidTimeStamp.Expired"))
        );
        // counted by product and action
        let stats: serde_json::Value = reqwest::get(format!("{base}/_sandbox/stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            stats["requests"]["GET / gpdb:DescribeDBInstanceAttribute"],
            2
        );
        assert_eq!(
            stats["requests"]["POST / selectdb:DescribeDBInstanceAttribute"],
            1
        );
    }

    #[tokio::test]
    async fn an_unsigned_request_at_the_root_is_missing_its_authorization() {
        let (base, _dir) = sandbox().await;
        let resp = reqwest::get(format!(
            "{base}/?Action=DescribeDBInstances&Version=2016-05-03"
        ))
        .await
        .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["Code"], "MissingAuthorization", "{body}");
        assert!(body["RequestId"].is_string());
    }
}
