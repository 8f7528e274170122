//! `commvault_postgresql_instance`: create (`POST /instance` with the seed's body: the SA
//! password base64-encoded), read (`GET /instance/{id}`), delete (`DELETE /instance/{id}`),
//! and `find` by client and instance name (`GET /instance?clientName=…`) to adopt what an
//! interrupted create made. There is no update: every change replaces the instance.

use super::client::id_text;
use super::CvClient;
use crate::providers::fields::{self, Conv, Field};
use crate::providers::{
    arg_str, CallCx, CreateRequest, Created, Found, ProviderError, ResourceDriver, Result,
};
use crate::schema::commvault::{CLOUD_DB_APPLICATION_ID, POSTGRESQL_INSTANCE};
use crate::schema::Schema;
use crate::state::Made;
use crate::value::{Map, Value};
use async_trait::async_trait;
use base64::Engine;
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

pub struct PostgresInstance {
    pub client: Arc<CvClient>,
}

/// Commvault's error code for "An instance by this name already exists.".
const DUPLICATE_NAME: &str = "3";

fn text(v: &serde_json::Value) -> Value {
    match v.as_str() {
        Some("") | None => Value::Null,
        Some(s) => Value::str(s),
    }
}

fn int(v: &serde_json::Value) -> Value {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .map(Value::int)
        .unwrap_or(Value::Null)
}

fn object<'a>(args: &'a Map, name: &str) -> Option<&'a Map> {
    args.get(name).and_then(Value::as_map)
}

/// The instance's one field table: each attribute's place in an `instanceProperties` entry
/// (a JSON pointer), the same in the `POST /instance` body and in a `GET` answer; in the
/// body's documented order (`MaintainenceDB` sic). `sa_user` (the password base64-encoded,
/// never read back), `ssl`, `id` and `subclient_id` are built beside it.
const FIELDS: &[Field] = &[
    Field::same("instance_name", "/instance/instanceName"),
    Field::same("application_id", "/instance/applicationId").conv(Conv::Int),
    Field::same("client_name", "/instance/clientName"),
    Field::same("version", "/version"),
    Field::same("maintenance_db", "/postGreSQLInstance/MaintainenceDB"),
    Field::same("endpoint", "/postGreSQLInstance/port"),
    Field::same("plan_name", "/planEntity/planName"),
    Field::computed("client_id", "/instance/clientId").conv(Conv::Int),
];

/// The `POST /instance` body, exactly as the API documents it.
pub fn create_body(args: &Map) -> Result<serde_json::Value> {
    let sa = object(args, "sa_user")
        .ok_or_else(|| ProviderError::rule("argument \"sa_user\" is missing"))?;
    let password = arg_str(sa, "password")?;
    let ssl = object(args, "ssl");
    let mut ssl_opt = json!({
        "sslEnabled": ssl.and_then(|s| s.get("enabled")).and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(ca) = ssl.and_then(|s| s.get("ca")).and_then(Value::as_str) {
        ssl_opt["sslCa"] = json!(ca);
    }
    let mut args = args.clone();
    if args.get("application_id").and_then(Value::as_i64).is_none() {
        args.insert("application_id".into(), Value::int(CLOUD_DB_APPLICATION_ID));
    }
    let mut props = json!({});
    for f in FIELDS {
        let Some(at) = f.param else { continue };
        let v = args.get(f.attr).and_then(|v| f.encode_json(v));
        let v =
            v.ok_or_else(|| ProviderError::rule(format!("argument \"{}\" is missing", f.attr)))?;
        fields::set_json(&mut props, at, v);
    }
    let pg = &mut props["postGreSQLInstance"];
    pg["SAUser"] = json!({
        "userName": arg_str(sa, "user_name")?,
        "password": base64::engine::general_purpose::STANDARD.encode(password.as_bytes()),
    });
    pg["cloudDBEngineType"] = json!("POSTGRESQL");
    pg["sslOpt"] = ssl_opt;
    props["dbEngine"] = json!("PostgreSQL");
    Ok(json!({ "instanceProperties": props }))
}

/// `ssl` as the config writes it: absent when off and without a CA (unless the config spelt
/// it out), otherwise the keys the config used plus any the cloud has set.
fn ssl_value(opt: &serde_json::Value, prior: Option<&Value>) -> Value {
    let enabled = opt["sslEnabled"].as_bool().unwrap_or(false);
    let ca = text(&opt["sslCa"]);
    let given = prior.and_then(Value::as_map);
    let had = |k: &str| given.is_some_and(|m| m.contains_key(k));
    let mut m = Map::new();
    if enabled || had("enabled") {
        m.insert("enabled".into(), Value::Bool(enabled));
    }
    if !ca.is_null() || had("ca") {
        m.insert("ca".into(), ca);
    }
    if m.is_empty() && given.is_none() {
        Value::Null
    } else {
        Value::Map(m)
    }
}

/// Attributes from one `instanceProperties` entry. The API never returns the SA password
/// (`null` here; state keeps its fingerprint) nor the subclient (kept from `prior`).
pub fn attributes(props: &serde_json::Value, prior: &Map) -> Map {
    let inst = &props["instance"];
    let pg = &props["postGreSQLInstance"];
    let mut sa = Map::new();
    sa.insert("user_name".into(), text(&pg["SAUser"]["userName"]));
    sa.insert("password".into(), Value::Null);
    let mut m = fields::read(FIELDS, props);
    m.insert(
        "id".into(),
        id_text(&inst["instanceId"])
            .map(Value::str)
            .unwrap_or_default(),
    );
    m.insert("sa_user".into(), Value::Map(sa));
    m.insert("ssl".into(), ssl_value(&pg["sslOpt"], prior.get("ssl")));
    m.insert(
        "subclient_id".into(),
        prior.get("subclient_id").cloned().unwrap_or_default(),
    );
    m
}

fn path(id: &str) -> String {
    let enc = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    format!("/instance/{enc}")
}

impl PostgresInstance {
    async fn get(&self, id: &str) -> Result<Option<serde_json::Value>> {
        match self.client.call(Method::GET, &path(id), None, true).await {
            Ok(b) => Ok(b["instanceProperties"]
                .as_array()
                .and_then(|a| a.first())
                .cloned()),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The instances of a client (`GET /instance?clientName=…`).
    async fn list(&self, client_name: &str) -> Result<Vec<serde_json::Value>> {
        let q =
            percent_encoding::utf8_percent_encode(client_name, percent_encoding::NON_ALPHANUMERIC);
        let body = self
            .client
            .call(
                Method::GET,
                &format!("/instance?clientName={q}"),
                None,
                true,
            )
            .await?;
        Ok(body["instanceProperties"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    async fn find_named(&self, client_name: &str, name: &str) -> Result<Option<String>> {
        Ok(self
            .list(client_name)
            .await?
            .iter()
            .find(|p| p["instance"]["instanceName"].as_str() == Some(name))
            .and_then(|p| id_text(&p["instance"]["instanceId"])))
    }

    /// After a refused create: Commvault's error answers may name an instance (`entity`), so
    /// look for one left behind; it is recorded (tainted) instead of orphaned. Not after a
    /// duplicate name: that instance was someone else's before the call.
    async fn left_behind(&self, args: &Map, e: ProviderError) -> ProviderError {
        if e.ambiguous || e.code == DUPLICATE_NAME || e.status == Some(409) {
            return e;
        }
        let (Ok(client), Ok(name)) = (arg_str(args, "client_name"), arg_str(args, "instance_name"))
        else {
            return e;
        };
        match self.find_named(client, name).await {
            Ok(Some(id)) => e.with_made(&id),
            _ => e,
        }
    }
}

#[async_trait]
impl ResourceDriver for PostgresInstance {
    fn schema(&self) -> &'static Schema {
        &POSTGRESQL_INSTANCE
    }

    async fn create(&self, _cx: &CallCx<'_>, req: &CreateRequest<'_>) -> Result<Created> {
        let body = create_body(req.args)?;
        let answer = match self
            .client
            .call(Method::POST, "/instance", Some(&body), false)
            .await
        {
            Ok(a) => a,
            Err(e) => return Err(self.left_behind(req.args, e).await),
        };
        let entity = &answer["response"]["entity"];
        let id = id_text(&entity["instanceId"])
            .filter(|i| i != "0")
            .ok_or_else(|| {
                ProviderError::new("BadResponse", "the create answer has no instanceId")
            })?;
        let props = self
            .get(&id)
            .await
            .map_err(|e| e.with_made(&id))?
            .ok_or_else(|| {
                ProviderError::vanished("NotFound", &format!("instance {id}"), "create")
                    .with_made(&id)
            })?;
        let mut prior = req.args.clone();
        prior.insert("subclient_id".into(), int(&entity["subclientId"]));
        let mut attributes = attributes(&props, &prior);
        if attributes["client_id"].is_null() {
            attributes.insert("client_id".into(), int(&entity["clientId"]));
        }
        Ok(Created {
            id,
            attributes,
            made: Made::Created,
        })
    }

    async fn read(&self, _cx: &CallCx<'_>, id: &str, prior: &Map) -> Result<Option<Map>> {
        Ok(self.get(id).await?.map(|p| attributes(&p, prior)))
    }

    async fn update(&self, _cx: &CallCx<'_>, _id: &str, _prior: &Map, _args: &Map) -> Result<Map> {
        Err(ProviderError::new(
            "NotUpdatable",
            "a Commvault PostgreSQL instance cannot be changed in place: it is replaced",
        ))
    }

    async fn delete(&self, _cx: &CallCx<'_>, id: &str, _prior: &Map) -> Result<()> {
        match self
            .client
            .call(Method::DELETE, &path(id), None, true)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.status == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn natural_key(&self, args: &Map, _clone: Option<&Map>) -> Value {
        let mut k = Map::new();
        for name in ["client_name", "instance_name"] {
            k.insert(name.into(), args.get(name).cloned().unwrap_or_default());
        }
        Value::Map(k)
    }

    async fn find(&self, _cx: &CallCx<'_>, key: &Value, _token: &str) -> Result<Option<Found>> {
        let client = key.get("client_name").and_then(Value::as_str);
        let name = key.get("instance_name").and_then(Value::as_str);
        let (Some(client), Some(name)) = (client, name) else {
            return Ok(None);
        };
        Ok(self.find_named(client, name).await?.map(Found::complete))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> Map {
        Value::from_json(&json!({
            "instance_name": "pgm-6gj1yy9fmpsm49d9[ap-south-1]", "client_name": "alibaba-prod",
            "version": "14", "plan_name": "Server plan", "maintenance_db": "postgres",
            "endpoint": "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
            "sa_user": {"user_name": "postgres", "password": "pw"}, "application_id": 125
        }))
        .as_map()
        .cloned()
        .unwrap()
    }

    #[test]
    fn the_body_is_the_seeds() {
        let b = create_body(&args()).unwrap();
        // compared as text: the keys in the documented order too
        assert_eq!(
            b.to_string(),
            json!({"instanceProperties": {
                "instance": {"instanceName": "pgm-6gj1yy9fmpsm49d9[ap-south-1]", "applicationId": 125, "clientName": "alibaba-prod"},
                "version": "14",
                "postGreSQLInstance": {
                    "MaintainenceDB": "postgres",
                    "port": "pgm-6gj1yy9fmpsm49d9.pg.rds.aliyuncs.com:5432",
                    "SAUser": {"userName": "postgres", "password": "cHc="},
                    "cloudDBEngineType": "POSTGRESQL",
                    "sslOpt": {"sslEnabled": false}
                },
                "planEntity": {"planName": "Server plan"},
                "dbEngine": "PostgreSQL"
            }})
            .to_string()
        );
    }

    #[test]
    fn attributes_round_trip_without_the_password() {
        let a = args();
        let props = json!({
            "instance": {"instanceId": 1060, "instanceName": a["instance_name"].to_json(),
                         "clientName": "alibaba-prod", "clientId": 444, "applicationId": 125},
            "version": "14", "planEntity": {"planName": "Server plan"},
            "postGreSQLInstance": {"MaintainenceDB": "postgres", "port": a["endpoint"].to_json(),
                "SAUser": {"userName": "postgres"}, "sslOpt": {"sslEnabled": false}}
        });
        let m = attributes(&props, &a);
        assert_eq!(m["id"], Value::str("1060"));
        assert_eq!(m["sa_user"].get("password"), Some(&Value::Null));
        assert_eq!(
            m["ssl"],
            Value::Null,
            "off and unset: absent, like the config"
        );
        for k in ["instance_name", "client_name", "version", "endpoint"] {
            assert_eq!(m[k], a[k], "{k}");
        }
        // the config spelt ssl out: the same keys come back
        let mut with_ssl = a.clone();
        with_ssl.insert("ssl".into(), Value::from_json(&json!({"enabled": false})));
        assert_eq!(
            attributes(&props, &with_ssl)["ssl"],
            Value::from_json(&json!({"enabled": false}))
        );
        // set outside: seen
        let mut on = props.clone();
        on["postGreSQLInstance"]["sslOpt"] = json!({"sslEnabled": true, "sslCa": "/ca.pem"});
        assert_eq!(
            attributes(&on, &a)["ssl"],
            Value::from_json(&json!({"enabled": true, "ca": "/ca.pem"}))
        );
    }
}
