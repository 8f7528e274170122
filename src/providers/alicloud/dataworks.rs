//! `alicloud_dataworks_data_source` on the 2024-05-18 API: create (CreateDataSource), clone
//! (CloneDataSource, then UpdateDataSource when the config sets connection properties or a
//! description), read (GetDataSource; `DataSource.NotFound` means gone), update
//! (UpdateDataSource), delete (DeleteDataSource). A data source is found again after a lost
//! response by its natural key: workspace and name (ListDataSources).

use super::{is_not_found, RpcClient};
use crate::providers::fields::{self, Conv, Field};
use crate::providers::{
    api_str, arg_str, gone_is_deleted, CallCx, CreateRequest, Created, Found, ProviderError,
    ResourceDriver, Result,
};
use crate::schema::alicloud::DATAWORKS_DATA_SOURCE;
use crate::schema::Schema;
use crate::state::Made;
use crate::value::{Map, Value};
use async_trait::async_trait;
use reqwest::Method;
use serde_json::Value as Json;
use std::sync::Arc;

pub struct DataSource {
    pub client: Arc<RpcClient>,
}

/// The data source's one field table: each attribute, the CreateDataSource /
/// UpdateDataSource parameter that sets it, and the GetDataSource field it is read from.
const FIELDS: &[Field] = &[
    Field::sent("project_id", "ProjectId", "ProjectId").conv(Conv::Int),
    Field::sent("name", "Name", "Name"),
    Field::sent("type", "Type", "Type"),
    Field::sent(
        "connection_properties_mode",
        "ConnectionPropertiesMode",
        "ConnectionPropertiesMode",
    ),
    // a map of strings in the config, JSON text on the wire
    Field::sent(
        "connection_properties",
        "ConnectionProperties",
        "ConnectionProperties",
    )
    .conv(Conv::JsonText),
    Field::sent("description", "Description", "Description"),
    Field::computed("id", "Id"),
    Field::computed("qualified_name", "QualifiedName"),
    Field::computed("create_time", "CreateTime"),
];

fn attributes(d: &Json) -> Map {
    fields::read(FIELDS, d)
}

/// `attr`'s parameter name.
fn param_of(attr: &'static str) -> &'static str {
    fields::param_name(FIELDS, attr)
}

/// `connection_properties` as the JSON text the API takes.
fn properties_text(args: &Map) -> Option<String> {
    fields::param(FIELDS, args, "connection_properties").map(|(_, v)| v)
}

impl DataSource {
    async fn get(&self, id: &str) -> Result<Option<Json>> {
        match self
            .client
            .call_with(
                Method::GET,
                "GetDataSource",
                &[("Id", id.to_string())],
                &[],
                true,
            )
            .await
        {
            Ok(b) => Ok(Some(b["DataSource"].clone())),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn read_attrs(&self, id: &str) -> Result<Map> {
        let d = self.get(id).await?.ok_or_else(|| {
            ProviderError::vanished("DataSource.NotFound", &format!("data source {id}"), "call")
        })?;
        Ok(attributes(&d))
    }

    /// UpdateDataSource with the config's values over the current ones.
    async fn put(&self, id: &str, current: &Map, args: &Map) -> Result<()> {
        let merged = |k: &str| {
            args.get(k)
                .filter(|v| !v.is_null())
                .or_else(|| current.get(k))
                .cloned()
                .unwrap_or_default()
        };
        let mut params = vec![
            ("Id", id.to_string()),
            (
                param_of("project_id"),
                merged("project_id").scalar_text().unwrap_or_default(),
            ),
            (
                param_of("connection_properties"),
                properties_text(args)
                    .or_else(|| properties_text(current))
                    .unwrap_or_else(|| "{}".into()),
            ),
        ];
        if let Some(mode) = merged("connection_properties_mode").as_str() {
            params.push((param_of("connection_properties_mode"), mode.to_string()));
        }
        if let Some(d) = args.get("description").and_then(Value::as_str) {
            params.push((param_of("description"), d.to_string()));
        }
        self.client.call("UpdateDataSource", &params, true).await?;
        Ok(())
    }

    /// The workspace and name a create would use (a clone's workspace is its source's).
    async fn place(&self, args: &Map, clone: Option<&Map>) -> Result<(String, String)> {
        let name = arg_str(args, "name")?.to_string();
        if let Some(project) = args.get("project_id").and_then(Value::scalar_text) {
            if !project.is_empty() {
                return Ok((project, name));
            }
        }
        let source = clone
            .map(|c| arg_str(c, "source"))
            .transpose()?
            .unwrap_or("");
        let src = self.get(source).await?.ok_or_else(|| {
            ProviderError::new(
                "DataSource.NotFound",
                format!("clone source data source {source} does not exist"),
            )
        })?;
        Ok((src["ProjectId"].to_string(), name))
    }
}

/// The `Id` a CreateDataSource or CloneDataSource (`action`) answered.
fn new_id(resp: &serde_json::Value, action: &str) -> Result<String> {
    api_str(&resp["Id"])
        .scalar_text()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::new("BadResponse", format!("{action} returned no Id")))
}

#[async_trait]
impl ResourceDriver for DataSource {
    fn schema(&self) -> &'static Schema {
        &DATAWORKS_DATA_SOURCE
    }

    async fn create(&self, _cx: &CallCx<'_>, req: &CreateRequest<'_>) -> Result<Created> {
        let name = arg_str(req.args, "name")?.to_string();
        let (id, made) = if let Some(clone) = req.clone {
            let source = clone
                .get("source")
                .and_then(Value::scalar_text)
                .unwrap_or_default();
            let resp = self
                .client
                .call(
                    "CloneDataSource",
                    &[("Id", source), ("CloneDataSourceName", name)],
                    false,
                )
                .await?;
            let id = new_id(&resp, "CloneDataSource")?;
            let wants_change = [
                "connection_properties",
                "connection_properties_mode",
                "description",
            ]
            .iter()
            .any(|k| req.args.get(*k).is_some_and(|v| !v.is_null()));
            if wants_change {
                let current = self.read_attrs(&id).await.map_err(|e| e.with_made(&id))?;
                self.put(&id, &current, req.args)
                    .await
                    .map_err(|e| e.with_made(&id))?;
            }
            (id, Made::cloned_from(clone))
        } else {
            let mut params = vec![
                (
                    param_of("project_id"),
                    req.args
                        .get("project_id")
                        .and_then(Value::scalar_text)
                        .unwrap_or_default(),
                ),
                (param_of("name"), name),
                (param_of("type"), arg_str(req.args, "type")?.to_string()),
                (
                    param_of("connection_properties_mode"),
                    arg_str(req.args, "connection_properties_mode")?.to_string(),
                ),
                (
                    param_of("connection_properties"),
                    properties_text(req.args).unwrap_or_else(|| "{}".into()),
                ),
            ];
            if let Some(d) = req.args.get("description").and_then(Value::as_str) {
                params.push((param_of("description"), d.to_string()));
            }
            let resp = self.client.call("CreateDataSource", &params, false).await?;
            let id = new_id(&resp, "CreateDataSource")?;
            (id, Made::Created)
        };
        let attributes = self.read_attrs(&id).await.map_err(|e| e.with_made(&id))?;
        Ok(Created {
            id,
            attributes,
            made,
        })
    }

    async fn read(&self, _cx: &CallCx<'_>, id: &str, _prior: &Map) -> Result<Option<Map>> {
        Ok(self.get(id).await?.map(|d| attributes(&d)))
    }

    async fn update(&self, _cx: &CallCx<'_>, id: &str, prior: &Map, args: &Map) -> Result<Map> {
        self.put(id, prior, args).await?;
        self.read_attrs(id).await
    }

    async fn delete(&self, _cx: &CallCx<'_>, id: &str, _prior: &Map) -> Result<()> {
        let r = self
            .client
            .call_with(
                Method::GET,
                "DeleteDataSource",
                &[("Id", id.to_string())],
                &[],
                true,
            )
            .await;
        gone_is_deleted(r, is_not_found)
    }

    fn natural_key(&self, args: &Map, clone: Option<&Map>) -> Value {
        let mut k = Map::new();
        k.insert("name".into(), args.get("name").cloned().unwrap_or_default());
        k.insert(
            "project_id".into(),
            args.get("project_id").cloned().unwrap_or_default(),
        );
        k.insert(
            "source".into(),
            clone
                .and_then(|c| c.get("source"))
                .cloned()
                .unwrap_or_default(),
        );
        Value::Map(k)
    }

    async fn find(&self, _cx: &CallCx<'_>, key: &Value, _token: &str) -> Result<Option<Found>> {
        let (Some(args), source) = (key.as_map(), key.get("source")) else {
            return Ok(None);
        };
        let clone = source.filter(|s| !s.is_null()).map(|s| {
            let mut m = Map::new();
            m.insert("source".into(), s.clone());
            m
        });
        let (project, name) = match self.place(args, clone.as_ref()).await {
            Ok(p) => p,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let resp = self
            .client
            .call_with(
                Method::GET,
                "ListDataSources",
                &[
                    ("ProjectId", project),
                    ("Name", name.clone()),
                    ("PageSize", "100".into()),
                ],
                &[],
                true,
            )
            .await?;
        let found = resp["PagingInfo"]["DataSources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| g["Name"].as_str() == Some(name.as_str()))
            .flat_map(|g| g["DataSource"].as_array().cloned().unwrap_or_default())
            .find_map(|d| api_str(&d["Id"]).scalar_text());
        Ok(found.map(Found::complete))
    }
}
