//! The Commvault sandbox's answers in the shapes Commvault's own SDK (cvpysdk) reads, pinned
//! through plain HTTP so they hold without Python (`tests/sdk/test_commvault.py` drives the
//! same with cvpysdk itself): `GET /`, WhoAmI, RenewLoginToken, Logout, token expiry, clients,
//! agents, instances (`instanceActivityControl`), the unknown plan's `errorString`, and paths
//! in either case.

mod common;
use common::{http, http_text, Env, Server};
use serde_json::{json, Value};

const API: &str = "/commandcenter/api";
const EXPIRED: &str = "The session has expired or is not valid. Please log in again.";

/// A standalone sandbox whose tokens live `ttl_ms` idle: (its directory, process, HOST:PORT).
fn start(ttl_ms: u64) -> (Env, Server, String) {
    let dir = Env::new();
    let (server, url) = dir.serve_sandbox(&[("STRATA_SANDBOX", &format!("token_ttl_ms={ttl_ms}"))]);
    let host = url.trim_start_matches("http://").to_string();
    (dir, server, host)
}

fn call(host: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    http(host, method, &format!("{API}{path}"), token, body)
}

/// A login as cvpysdk sends it: the whole answer.
fn login(host: &str) -> Value {
    let body = json!({
        "mode": 4, "username": "admin", "password": "c2FuZGJveC1jb21tdmF1bHQtcGFzc3dvcmQ=",
        "deviceId": "sdk-host", "clientType": 30
    });
    let (status, answer) = call(host, "POST", "/Login", None, &body.to_string());
    assert_eq!(status, 200, "{answer}");
    answer
}

fn token(answer: &Value) -> String {
    answer["token"].as_str().unwrap().to_string()
}

fn renew(host: &str, session: &str) -> (u16, Value) {
    let body = json!({"sessionId": session, "deviceId": "sdk-host"}).to_string();
    call(host, "POST", "/RenewLoginToken", Some(session), &body)
}

fn who(host: &str, method: &str, path: &str, token: &str) -> (u16, Value) {
    call(host, method, path, Some(token), "")
}

#[test]
fn sessions_as_cvpysdk_drives_them() {
    let (_dir, _server, host) = start(1500);
    // the probe before any login, with and without the trailing slash, at either base
    for base in [API, "/webconsole/api"] {
        for path in ["/", ""] {
            let (status, text) = http_text(&host, "GET", &format!("{base}{path}"), None, "");
            assert_eq!((status, text.as_str()), (200, ""), "GET {base}{path}");
        }
    }
    let first = login(&host);
    let t1 = token(&first);
    assert!(t1.starts_with("QSDK "), "{first}");
    let me = json!({"user": {
        "userName": "admin", "userGUID": first["userGUID"], "userId": 1, "_type_": 13
    }});
    assert!(first["userGUID"].is_string(), "{first}");
    for (method, path) in [("POST", "/WhoAmI"), ("GET", "/WhoAmI"), ("POST", "/whoami")] {
        assert_eq!(
            who(&host, method, path, &t1),
            (200, me.clone()),
            "{method} {path}"
        );
    }
    let denied = (
        401,
        json!({"errorMessage": "Access Denied", "errorCode": 5}),
    );
    assert_eq!(call(&host, "POST", "/WhoAmI", None, ""), denied);

    // a renewal trades a live token for a new one; the old one has ended
    let (status, renewed) = renew(&host, &t1);
    assert_eq!(status, 200);
    assert_eq!(renewed["userName"], "admin", "{renewed}");
    let t2 = token(&renewed);
    assert!(t2.starts_with("QSDK ") && t2 != t1, "{renewed}");
    assert_eq!(who(&host, "POST", "/WhoAmI", &t1), denied);
    assert_eq!(who(&host, "POST", "/WhoAmI", &t2).0, 200);
    let refused = (
        200,
        json!({"error": {"errorCode": 5, "errLogMessage": EXPIRED}}),
    );
    assert_eq!(renew(&host, &t1), refused);
    // the session id may also be given without its prefix
    let (_, renewed) = renew(&host, t2.trim_start_matches("QSDK "));
    let t3 = token(&renewed);

    // a logout ends the token (the answer is plain text)
    let (status, text) = http_text(&host, "POST", &format!("{API}/Logout"), Some(&t3), "");
    assert_eq!((status, text.as_str()), (200, "User logged out"));
    assert_eq!(who(&host, "POST", "/WhoAmI", &t3), denied);

    // idle past its lifetime, a token is refused and cannot be renewed
    let t4 = token(&login(&host));
    std::thread::sleep(std::time::Duration::from_millis(1700));
    assert_eq!(renew(&host, &t4), refused);
    assert_eq!(who(&host, "POST", "/WhoAmI", &t4), denied);
}

#[test]
fn clients_and_agents_in_the_shapes_cvpysdk_reads() {
    let (_dir, _server, host) = start(60_000);
    let t = token(&login(&host));
    let t = Some(t.as_str());
    let prod = json!({"client": {"clientEntity": {
        "clientId": 444, "clientName": "alibaba-prod", "displayName": "alibaba-prod",
        "hostName": "alibaba-prod", "_type_": 3
    }}});
    let (status, all) = call(&host, "GET", "/Client", t, "");
    assert_eq!(status, 200);
    assert!(
        all["clientProperties"].as_array().unwrap().contains(&prod),
        "{all}"
    );
    assert_eq!(
        call(&host, "GET", "/Client?hiddenclients=true", t, ""),
        (200, all)
    );
    assert_eq!(
        call(&host, "GET", "/Client?PseudoClientType=VSPseudo", t, ""),
        (200, json!({"VSPseudoClientsList": []}))
    );

    let (status, one) = call(&host, "GET", "/Client/444", t, "");
    assert_eq!(status, 200, "{one}");
    let p = &one["clientProperties"][0];
    assert_eq!(p["client"]["clientEntity"], prod["client"]["clientEntity"]);
    for text in [
        "/client/osInfo/Type",
        "/client/osInfo/SubType",
        "/client/osInfo/OsDisplayInfo/ProcessorType",
        "/client/osInfo/OsDisplayInfo/OSName",
        "/client/TimeZone/TimeZoneName",
        "/client/versionInfo/version",
    ] {
        assert!(p.pointer(text).is_some_and(Value::is_string), "{text}: {p}");
    }
    assert!(p["client"]["cvdPort"].is_i64(), "{p}");
    for flag in [
        "/clientProps/activityControl/EnableDataRecovery",
        "/clientProps/activityControl/EnableDataManagement",
        "/clientProps/activityControl/EnableOnlineContentIndex",
        "/clientProps/EnableSnapBackups",
    ] {
        assert!(
            p.pointer(flag).is_some_and(Value::is_boolean),
            "{flag}: {p}"
        );
    }
    let options = &p["clientProps"]["clientActivityControl"]["activityControlOptions"];
    let kinds: Vec<i64> = options
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["activityType"].as_i64().unwrap())
        .collect();
    assert_eq!(kinds, [1, 2, 16], "{p}");
    assert!(options[0]["enableActivityType"].is_boolean(), "{p}");
    let missing = |id: &str| {
        (
            404,
            json!({"errorMessage": format!("Client [{id}] does not exist."), "errorCode": 2}),
        )
    };
    assert_eq!(call(&host, "GET", "/client/9999", t, ""), missing("9999"));
    assert_eq!(call(&host, "GET", "/Client/abc", t, ""), missing("abc"));

    let postgresql = json!({"agentProperties": [{
        "idaEntity": {
            "clientId": 444, "clientName": "alibaba-prod", "applicationId": 125,
            "appName": "PostgreSQL", "_type_": 4
        },
        "idaActivityControl": {"activityControlOptions": [
            {"activityType": 1, "enableAfterADelay": false, "enableActivityType": true},
            {"activityType": 2, "enableAfterADelay": false, "enableActivityType": true},
        ]},
    }]});
    for query in [
        "clientId=444",
        "clientId=444&applicationId=125&propertyLevel=30",
    ] {
        let got = call(&host, "GET", &format!("/Agent?{query}"), t, "");
        assert_eq!(got, (200, postgresql.clone()), "{query}");
    }
    assert_eq!(
        call(&host, "GET", "/agent?clientId=444&applicationId=33", t, ""),
        (200, json!({"agentProperties": []}))
    );
    assert_eq!(
        call(&host, "GET", "/Agent?clientId=9999", t, ""),
        missing("9999")
    );
    let (status, body) = call(&host, "GET", "/Agent", t, "");
    assert_eq!((status, &body["errorCode"]), (400, &json!(1)), "{body}");
    assert_eq!(
        call(&host, "GET", "/VSAClientAndClientGroupList", t, ""),
        (200, json!({"clients": []}))
    );
}

/// The documented Create Instance body for the seeded client.
fn create_body(name: &str, plan: &str) -> String {
    json!({"instanceProperties": {
        "instance": {"instanceName": name, "applicationId": 125, "clientName": "alibaba-prod"},
        "version": "14",
        "postGreSQLInstance": {
            "MaintainenceDB": "postgres", "port": "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
            "SAUser": {"userName": "postgres", "password": "c2Etc2VjcmV0"},
            "cloudDBEngineType": "POSTGRESQL", "sslOpt": {"sslEnabled": false}
        },
        "planEntity": {"planName": plan}, "dbEngine": "PostgreSQL"
    }})
    .to_string()
}

#[test]
fn instances_in_the_shapes_cvpysdk_reads() {
    let (_dir, _server, host) = start(60_000);
    let t = token(&login(&host));
    let t = Some(t.as_str());
    let name = "pgm-6gj1yy9fmpsm49d9[ap-south-1]";
    let (status, made) = call(
        &host,
        "POST",
        "/Instance",
        t,
        &create_body(name, "Server plan"),
    );
    assert_eq!(
        (status, &made["response"]["errorCode"]),
        (200, &json!(0)),
        "{made}"
    );
    let id = made["response"]["entity"]["instanceId"].as_i64().unwrap();

    let query = "association/entity/clientId=444&association/entity/applicationId=125";
    let (status, got) = call(&host, "GET", &format!("/Instance/{id}?{query}"), t, "");
    assert_eq!(status, 200, "{got}");
    let p = &got["instanceProperties"][0];
    assert_eq!(
        p["instance"],
        json!({
            "instanceId": id, "instanceName": name, "appName": "PostgreSQL",
            "applicationId": 125, "clientId": 444, "clientName": "alibaba-prod", "_type_": 5
        })
    );
    assert_eq!(
        p["instanceActivityControl"],
        json!({"activityControlOptions": [
            {"activityType": 1, "enableAfterADelay": false, "enableActivityType": true},
            {"activityType": 2, "enableAfterADelay": false, "enableActivityType": true},
        ]})
    );
    assert_eq!(
        p["postGreSQLInstance"]["SAUser"],
        json!({"userName": "postgres"})
    );
    let listed = |query: &str| {
        let (status, body) = call(&host, "GET", &format!("/instance?{query}"), t, "");
        assert_eq!(status, 200, "{body}");
        body["instanceProperties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["instance"]["instanceId"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("clientId=444&applicationId=125"), [id]);
    assert_eq!(listed("clientId=444&applicationId=33"), Vec::<i64>::new());
    assert_eq!(listed("clientId=445"), Vec::<i64>::new());

    // a refusal answered with 200 carries `errorString`, which cvpysdk reads
    let (status, no_plan) = call(
        &host,
        "POST",
        "/instance",
        t,
        &create_body("x", "Gold plan"),
    );
    assert_eq!(status, 200);
    let r = &no_plan["response"];
    assert_eq!(
        (&r["errorCode"], &r["errorString"]),
        (&json!(2), &json!("Plan [Gold plan] does not exist.")),
        "{no_plan}"
    );
    assert!(r.get("errorMessage").is_none(), "{no_plan}");

    let gone = call(&host, "DELETE", &format!("/Instance/{id}"), t, "");
    assert_eq!(gone, (200, json!({"response": [{"errorCode": 0}]})));
    let missing =
        json!({"errorMessage": format!("Instance [{id}] does not exist."), "errorCode": 2});
    assert_eq!(
        call(&host, "GET", &format!("/Instance/{id}"), t, ""),
        (404, missing)
    );
}
