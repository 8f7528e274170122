//! `huaweicloud_rds_parameter_template`: create (POST configurations), clone (POST …/copy,
//! then PUT the values), read (GET), update (PUT), delete (DELETE); and the data source of the
//! same name (look-up by id or name).

use super::RdsClient;
use crate::providers::fields::{self, Field};
use crate::providers::{
    arg_str, fill_in, gone_is_deleted, CallCx, CreateRequest, Created, DataDriver, Found,
    ProviderError, ReadItem, ResourceDriver, Result,
};
use crate::schema::huaweicloud::{ENGINES, TEMPLATE, TEMPLATE_DATA};
use crate::schema::Schema;
use crate::state::Made;
use crate::value::{Map, Value};
use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Template {
    pub client: Arc<RdsClient>,
}

pub struct TemplateData {
    pub client: Arc<RdsClient>,
}

fn is_not_found(e: &ProviderError) -> bool {
    e.status == Some(404)
}

/// The engine name as users write it (`mysql` → `MySQL`), keeping the config's own casing.
fn engine_name(api: &str, prior: Option<&Value>) -> String {
    if let Some(p) = prior.and_then(|d| d.get("type")).and_then(Value::as_str) {
        if p.eq_ignore_ascii_case(api) {
            return p.to_string();
        }
    }
    ENGINES
        .iter()
        .find(|e| e.eq_ignore_ascii_case(api))
        .map(|e| e.to_string())
        .unwrap_or_else(|| api.to_string())
}

/// The template's one field table for what maps one to one: the create / update body key
/// that sets each attribute and the field it is read from (in a GET body and in the list's
/// summaries alike). `datastore` (sent as an object, read from two fields) and `values` (a
/// list of parameters) are built beside it.
const FIELDS: &[Field] = &[
    Field::sent("name", "name", "name"),
    Field::sent("description", "description", "description"),
    Field::computed("id", "id"),
    Field::computed("datastore_name", "datastore_name"),
    Field::computed("datastore_version_name", "datastore_version_name"),
    Field::computed("created", "created"),
    Field::computed("updated", "updated"),
];

/// Attributes from a GET body; `values` holds the keys in `managed` only.
fn attributes(body: &serde_json::Value, managed: &[String], prior: &Map) -> Map {
    let mut m = fields::read(FIELDS, body);
    let ds_name = body["datastore_name"].as_str().unwrap_or_default();
    let ds_version = body["datastore_version_name"].as_str().unwrap_or_default();
    let mut ds = Map::new();
    ds.insert(
        "type".into(),
        Value::str(engine_name(ds_name, prior.get("datastore"))),
    );
    ds.insert("version".into(), Value::str(ds_version));
    m.insert("datastore".into(), Value::Map(ds));
    let current = parameter_values(body);
    let values: Map = managed
        .iter()
        .filter_map(|k| current.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    m.insert(
        "values".into(),
        if managed.is_empty() && prior.get("values").is_none_or(Value::is_null) {
            Value::Null
        } else {
            Value::Map(values)
        },
    );
    m
}

/// The body key of `attr`.
fn param(attr: &'static str) -> &'static str {
    fields::param_name(FIELDS, attr)
}

fn parameter_values(body: &serde_json::Value) -> Map {
    body["configuration_parameters"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .filter_map(|p| {
                    Some((
                        p["name"].as_str()?.to_string(),
                        Value::str(p["value"].as_str().unwrap_or_default()),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an API time stamp (`2022-10-31T08:24:06+0000`) is within the last few seconds.
fn recent(stamp: &str, now: time::OffsetDateTime) -> bool {
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
    );
    match time::OffsetDateTime::parse(stamp, &f) {
        Ok(t) => (now - t).whole_seconds() < 3,
        Err(_) => true, // unknown format: do not trust it
    }
}

fn managed_keys(args: &Map) -> Vec<String> {
    args.get("values")
        .and_then(Value::as_map)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn values_json(v: Option<&Value>) -> serde_json::Value {
    v.map(Value::to_json).unwrap_or_else(|| json!({}))
}

impl Template {
    async fn get(&self, id: &str) -> Result<Option<serde_json::Value>> {
        match self
            .client
            .call(Method::GET, &format!("/{id}"), None, true)
            .await
        {
            Ok(b) => Ok(Some(b)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// PUT a change; parameters the API ignored are an error naming them.
    async fn put(&self, id: &str, body: serde_json::Value) -> Result<()> {
        let resp = self
            .client
            .call(Method::PUT, &format!("/{id}"), Some(&body), true)
            .await?;
        let ignored: Vec<String> = resp["configuration"]["ignored_params"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if !ignored.is_empty() {
            return Err(ProviderError::new(
                "IgnoredParams",
                format!(
                    "the API ignored values for {}: they are not parameters of this engine \
                     version (the other changes were made)",
                    ignored.join(", ")
                ),
            ));
        }
        Ok(())
    }

    async fn read_attrs(&self, id: &str, args: &Map) -> Result<Map> {
        let body = self.get(id).await?.ok_or_else(|| {
            ProviderError::vanished("NotFound", &format!("template {id}"), "call")
        })?;
        Ok(attributes(&body, &managed_keys(args), args))
    }
}

#[async_trait]
impl ResourceDriver for Template {
    fn schema(&self) -> &'static Schema {
        &TEMPLATE
    }

    async fn create(&self, _cx: &CallCx<'_>, req: &CreateRequest<'_>) -> Result<Created> {
        let name = arg_str(req.args, "name")?;
        let description = req.args.get("description").and_then(Value::as_str);
        let values = req.args.get("values").and_then(Value::as_map);
        let (id, made) = if let Some(clone) = req.clone {
            let source = arg_str(clone, "source")?;
            let mut body = json!({ param("name"): name });
            if let Some(d) = description {
                body[param("description")] = json!(d);
            }
            let resp = self
                .client
                .call(Method::POST, &format!("/{source}/copy"), Some(&body), false)
                .await?;
            let id = resp["id"]
                .as_str()
                .ok_or_else(|| ProviderError::new("BadResponse", "the copy response has no id"))?
                .to_string();
            if values.is_some_and(|v| !v.is_empty()) {
                // The copy API takes no values: set them with a follow-up PUT.
                self.put(
                    &id,
                    json!({ "values": values_json(req.args.get("values")) }),
                )
                .await
                .map_err(|e| e.with_made(&id))?;
            }
            (id, Made::cloned_from(clone))
        } else {
            let ds = req.args.get("datastore").cloned().unwrap_or_default();
            let mut body = json!({
                param("name"): name,
                "datastore": {
                    "type": ds.get("type").and_then(Value::as_str).unwrap_or_default(),
                    "version": ds.get("version").and_then(Value::as_str).unwrap_or_default(),
                },
            });
            if let Some(d) = description {
                body[param("description")] = json!(d);
            }
            if values.is_some() {
                body["values"] = values_json(req.args.get("values"));
            }
            let resp = self
                .client
                .call(Method::POST, "", Some(&body), false)
                .await?;
            let id = resp["configuration"]["id"]
                .as_str()
                .ok_or_else(|| ProviderError::new("BadResponse", "the create response has no id"))?
                .to_string();
            (id, Made::Created)
        };
        let attributes = self
            .read_attrs(&id, req.args)
            .await
            .map_err(|e| e.with_made(&id))?;
        Ok(Created {
            id,
            attributes,
            made,
        })
    }

    async fn read(&self, _cx: &CallCx<'_>, id: &str, prior: &Map) -> Result<Option<Map>> {
        Ok(self
            .get(id)
            .await?
            .map(|b| attributes(&b, &managed_keys(prior), prior)))
    }

    /// As `read`, but an id the API does not know comes back as the API's own error (its
    /// code is what an import names).
    async fn import(&self, _cx: &CallCx<'_>, id: &str) -> Result<Option<Map>> {
        let b = self
            .client
            .call(Method::GET, &format!("/{id}"), None, true)
            .await?;
        Ok(Some(attributes(
            &b,
            &managed_keys(&Map::new()),
            &Map::new(),
        )))
    }

    async fn update(&self, _cx: &CallCx<'_>, id: &str, prior: &Map, args: &Map) -> Result<Map> {
        let mut body = serde_json::Map::new();
        for f in FIELDS.iter().filter(|f| f.param.is_some()) {
            if args.get(f.attr) != prior.get(f.attr) {
                let v = args.get(f.attr).and_then(Value::as_str).unwrap_or_default();
                body.insert(param(f.attr).into(), json!(v));
            }
        }
        let new_values = args.get("values").and_then(Value::as_map);
        let old_values = prior.get("values").and_then(Value::as_map);
        let changed: serde_json::Map<String, serde_json::Value> = new_values
            .map(|nv| {
                nv.iter()
                    .filter(|(k, v)| old_values.and_then(|o| o.get(*k)) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect()
            })
            .unwrap_or_default();
        if !changed.is_empty() {
            body.insert("values".into(), serde_json::Value::Object(changed));
        }
        if !body.is_empty() {
            self.put(id, serde_json::Value::Object(body)).await?;
        }
        self.read_attrs(id, args).await
    }

    async fn delete(&self, _cx: &CallCx<'_>, id: &str, _prior: &Map) -> Result<()> {
        let r = self
            .client
            .call(Method::DELETE, &format!("/{id}"), None, true)
            .await;
        gone_is_deleted(r, is_not_found)
    }

    /// One List call for the whole batch; a GET only for templates whose `updated` stamp
    /// moved since the state recorded it (or is too recent to trust: it has one-second
    /// resolution), since `values` are not in the list.
    async fn read_many(
        &self,
        items: &[ReadItem<'_>],
        parallelism: usize,
    ) -> Vec<Result<Option<Map>>> {
        let list = match self.client.call(Method::GET, "", None, true).await {
            Ok(l) => l,
            Err(e) => return items.iter().map(|_| Err(e.clone())).collect(),
        };
        let by_id: HashMap<&str, &serde_json::Value> = list["configurations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| Some((c["id"].as_str()?, c)))
                    .collect()
            })
            .unwrap_or_default();
        let now = time::OffsetDateTime::now_utc();
        let mut out: Vec<Option<Result<Option<Map>>>> = Vec::with_capacity(items.len());
        for it in items {
            let Some(sum) = by_id.get(it.id) else {
                out.push(Some(Ok(None)));
                continue;
            };
            let stamp = sum["updated"].as_str();
            let settled = stamp.is_some_and(|u| !recent(u, now));
            if settled && it.prior.get("updated").and_then(Value::as_str) == stamp {
                let mut attrs = it.prior.clone();
                attrs.extend(fields::read(FIELDS, sum));
                out.push(Some(Ok(Some(attrs))));
            } else {
                out.push(None);
            }
        }
        fill_in(
            items,
            out,
            |it| {
                Box::pin(async move {
                    Ok(self
                        .get(it.id)
                        .await?
                        .map(|b| attributes(&b, &managed_keys(it.prior), it.prior)))
                })
            },
            parallelism,
        )
        .await
    }

    fn natural_key(&self, args: &Map, _clone: Option<&Map>) -> Value {
        let mut k = Map::new();
        k.insert("name".into(), args.get("name").cloned().unwrap_or_default());
        Value::Map(k)
    }

    async fn find(&self, _cx: &CallCx<'_>, key: &Value, _token: &str) -> Result<Option<Found>> {
        let Some(name) = key.get("name").and_then(Value::as_str) else {
            return Ok(None);
        };
        let list = self.client.call(Method::GET, "", None, true).await?;
        Ok(list["configurations"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"].as_str() == Some(name)))
            .and_then(|c| c["id"].as_str().map(Found::complete)))
    }
}

#[async_trait]
impl DataDriver for TemplateData {
    fn schema(&self) -> &'static Schema {
        &TEMPLATE_DATA
    }

    async fn read(&self, _cx: &CallCx<'_>, args: &Map) -> Result<Map> {
        let list = self.client.call(Method::GET, "", None, true).await?;
        let items = list["configurations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let by_id = args.get("id").and_then(Value::as_str);
        let by_name = args.get("name").and_then(Value::as_str);
        let matches: Vec<&serde_json::Value> = items
            .iter()
            .filter(|c| match (by_id, by_name) {
                (Some(id), _) => c["id"].as_str() == Some(id),
                (None, Some(n)) => c["name"].as_str() == Some(n),
                _ => false,
            })
            .collect();
        let what = by_id
            .map(|i| format!("id {i}"))
            .or_else(|| by_name.map(|n| format!("name \"{n}\"")))
            .unwrap_or_default();
        let item = match matches.as_slice() {
            [one] => *one,
            [] => {
                let mut e = ProviderError::new(
                    "DBS.200002",
                    format!(
                        "no parameter template with {what} exists in project {}",
                        self.client.project_id
                    ),
                );
                e.status = Some(404);
                return Err(e);
            }
            _ => {
                return Err(ProviderError::new(
                    "Ambiguous",
                    format!(
                        "{} parameter templates have {what}: look it up by id",
                        matches.len()
                    ),
                ))
            }
        };
        let id = item["id"].as_str().unwrap_or_default();
        let body = self
            .client
            .call(Method::GET, &format!("/{id}"), None, true)
            .await?;
        // the resource's table, for the attributes the data source has
        let mut m = fields::read(FIELDS, &body);
        m.retain(|k, _| TEMPLATE_DATA.attr(k).is_some());
        m.insert("id".into(), Value::str(id));
        m.insert(
            "user_defined".into(),
            Value::Bool(item["user_defined"].as_bool().unwrap_or(true)),
        );
        m.insert("values".into(), Value::Map(parameter_values(&body)));
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_keep_config_casing_and_only_managed_values() {
        let body = json!({
            "id": "x", "name": "n", "description": "", "datastore_name": "mysql",
            "datastore_version_name": "5.7", "created": "c", "updated": "u",
            "configuration_parameters": [
                {"name": "max_connections", "value": "500"},
                {"name": "wait_timeout", "value": "28800"}
            ]
        });
        let mut prior = Map::new();
        prior.insert(
            "datastore".into(),
            Value::from_json(&json!({"type": "mysql", "version": "5.7"})),
        );
        let a = attributes(&body, &["max_connections".to_string()], &prior);
        assert_eq!(a["description"], Value::Null);
        assert_eq!(a["datastore"].get("type"), Some(&Value::str("mysql")));
        assert_eq!(
            a["values"],
            Value::from_json(&json!({"max_connections": "500"}))
        );
        let b = attributes(&body, &[], &Map::new());
        assert_eq!(b["datastore"].get("type"), Some(&Value::str("MySQL")));
        assert_eq!(b["values"], Value::Null);
    }
}
