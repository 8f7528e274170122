//! The provider interface: one driver per resource type and per data source, each calling its
//! cloud's real API over HTTP. One module per family (`huaweicloud`, `alicloud`, `commvault`;
//! each registered in `crate::families`), the set-up they share (`client_settings`,
//! `registry`, the field tables of `fields`, the signing credentials of `credentials`) and
//! the endpoint resolver they are handed (`endpoints`). Drivers get fully known arguments; the executor owns ordering and state, the
//! transport (`http::with_retry`, inside each client) is the one layer that retries calls.

pub mod alicloud;
pub mod client_settings;
pub mod commvault;
pub mod credentials;
pub mod endpoints;
pub mod fields;
pub mod http;
pub mod huaweicloud;
pub mod registry;
pub mod signing;
pub mod wait;

use crate::address::Address;
use crate::schema::Schema;
use crate::state::Made;
use crate::value::{Map, Value};
use async_trait::async_trait;
use std::fmt;
use std::time::Duration;

pub use registry::Providers;

/// What went wrong with a call, with the API's own code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    /// The API's error code (`DBS.200001`, `InvalidDBInstanceId.NotFound`, …) or strata's
    /// own (`Timeout`, `ConnectionError`, `RuleViolation`).
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub status: Option<u16>,
    /// Worth trying again (throttling, 5xx, connection trouble).
    pub retryable: bool,
    /// The call may have taken effect even though it failed (5xx or a lost response to a
    /// non-idempotent call): look for what it made before trying again.
    pub ambiguous: bool,
    /// The id of an object that exists although the operation failed part-way (e.g. a copy
    /// made, then setting its values refused): it is recorded in state, never orphaned.
    pub made_id: Option<String>,
}

impl ProviderError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ProviderError {
        ProviderError {
            code: code.into(),
            message: message.into(),
            request_id: None,
            status: None,
            retryable: false,
            ambiguous: false,
            made_id: None,
        }
    }

    /// Mark that the object `id` exists despite this failure.
    pub fn with_made(mut self, id: &str) -> ProviderError {
        self.made_id = Some(id.to_string());
        self
    }

    /// Refused by strata before any call, because a documented rule is broken.
    pub fn rule(message: impl Into<String>) -> ProviderError {
        ProviderError::new("RuleViolation", message)
    }

    pub fn timeout(message: impl Into<String>) -> ProviderError {
        ProviderError::new("Timeout", message)
    }

    /// `what` was not there when read back right after `call` made or changed it; `code` is
    /// the API's not-found code.
    pub fn vanished(code: &str, what: &str, call: &str) -> ProviderError {
        ProviderError::new(code, format!("{what} vanished right after the {call}"))
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        let mut extra = Vec::new();
        if let Some(s) = self.status {
            extra.push(format!("HTTP {s}"));
        }
        if let Some(r) = &self.request_id {
            extra.push(format!("request id {r}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

pub type Result<T> = std::result::Result<T, ProviderError>;

/// Status reports from long waits (`Creating`, `Restoring` …), for progress display.
pub trait Progress: Send + Sync {
    fn status(&self, addr: &Address, status: &str);
}

pub struct NoProgress;
impl Progress for NoProgress {
    fn status(&self, _: &Address, _: &str) {}
}

/// Context of one driver call.
pub struct CallCx<'a> {
    pub addr: &'a Address,
    /// Deadline for asynchronous waits of this operation.
    pub timeout: Duration,
    pub progress: &'a dyn Progress,
}

impl CallCx<'_> {
    pub fn status(&self, s: &str) {
        self.progress.status(self.addr, s);
    }
}

/// Everything a create / clone / bind needs.
pub struct CreateRequest<'a> {
    pub args: &'a Map,
    /// The evaluated `clone:` block, when the object is cloned.
    pub clone: Option<&'a Map>,
    /// Idempotency token for APIs that take one.
    pub token: &'a str,
}

/// What a create / clone / bind made.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub id: String,
    /// All attributes: the arguments as the cloud holds them, plus computed ones.
    pub attributes: Map,
    pub made: Made,
}

pub type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Run futures at most `parallelism` at a time, results in order.
pub async fn run_all<T>(futs: Vec<BoxFut<'_, T>>, parallelism: usize) -> Vec<T> {
    use futures::stream::{self, StreamExt};
    stream::iter(futs)
        .buffered(parallelism.max(1))
        .collect()
        .await
}

/// The answers of a batch read: those a list gave (`Some`), the rest (`None`) read one by
/// one with `read`, `parallelism` at a time, in the items' order.
pub async fn fill_in<'a, 'b>(
    items: &'a [ReadItem<'b>],
    listed: Vec<Option<Result<Option<Map>>>>,
    read: impl Fn(&'a ReadItem<'b>) -> BoxFut<'a, Result<Option<Map>>>,
    parallelism: usize,
) -> Vec<Result<Option<Map>>> {
    let to_read: Vec<usize> = (0..listed.len()).filter(|&i| listed[i].is_none()).collect();
    let futs = to_read.iter().map(|&i| read(&items[i])).collect();
    let mut out = listed;
    for (i, r) in to_read.into_iter().zip(run_all(futs, parallelism).await) {
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(ProviderError::new("Internal", "a read was lost"))))
        .collect()
}

/// One object to read in a batch.
pub struct ReadItem<'a> {
    pub addr: &'a Address,
    pub id: &'a str,
    pub prior: &'a Map,
}

/// What `find` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub id: String,
    pub complete: bool,
}

impl Found {
    pub fn complete(id: impl Into<String>) -> Found {
        Found {
            id: id.into(),
            complete: true,
        }
    }
}

#[async_trait]
pub trait ResourceDriver: Send + Sync {
    fn schema(&self) -> &'static Schema;

    async fn create(&self, cx: &CallCx<'_>, req: &CreateRequest<'_>) -> Result<Created>;

    /// Current attributes, or `None` when the object no longer exists.
    async fn read(&self, cx: &CallCx<'_>, id: &str, prior: &Map) -> Result<Option<Map>>;

    async fn update(&self, cx: &CallCx<'_>, id: &str, prior: &Map, args: &Map) -> Result<Map>;

    /// Delete; an object already gone counts as deleted.
    async fn delete(&self, cx: &CallCx<'_>, id: &str, prior: &Map) -> Result<()>;

    /// What identifies the object a create would make, without its id (a name, a
    /// target and source, a binding pair). Recorded in intents.
    fn natural_key(&self, args: &Map, clone: Option<&Map>) -> Value;

    /// The object a create with this natural key (or token) made, if it exists: used to adopt
    /// the result of a call whose outcome was lost (crash, 5xx). `complete` is false when a
    /// multi-step action (e.g. create, then restore) did not finish: it is adopted as tainted.
    async fn find(&self, cx: &CallCx<'_>, key: &Value, token: &str) -> Result<Option<Found>>;

    /// Finish an object `find` found unfinished (`Found::complete` false) after a create's
    /// answer was lost: the steps the create takes after making it (wait until it runs,
    /// restore a clone …). The default has nothing left to do and reads the object.
    async fn finish(&self, cx: &CallCx<'_>, id: &str, req: &CreateRequest<'_>) -> Result<Created> {
        let attributes = self.read(cx, id, req.args).await?.ok_or_else(|| {
            ProviderError::new("NotFound", format!("{id} vanished while being finished"))
        })?;
        Ok(Created {
            id: id.to_string(),
            attributes,
            made: Made::Created,
        })
    }

    /// Read many objects at once (refresh). The default reads them one by one, `parallelism`
    /// at a time; drivers whose API lists objects override it to make far fewer calls.
    async fn read_many(
        &self,
        items: &[ReadItem<'_>],
        parallelism: usize,
    ) -> Vec<Result<Option<Map>>> {
        let mut futs: Vec<BoxFut<'_, Result<Option<Map>>>> = Vec::with_capacity(items.len());
        for it in items {
            futs.push(Box::pin(async move {
                let cx = CallCx {
                    addr: it.addr,
                    timeout: Duration::from_secs(300),
                    progress: &NoProgress,
                };
                self.read(&cx, it.id, it.prior).await
            }));
        }
        run_all(futs, parallelism).await
    }

    /// Read an existing object by id, for `import`.
    async fn import(&self, cx: &CallCx<'_>, id: &str) -> Result<Option<Map>> {
        self.read(cx, id, &Map::new()).await
    }
}

#[async_trait]
pub trait DataDriver: Send + Sync {
    fn schema(&self) -> &'static Schema;
    async fn read(&self, cx: &CallCx<'_>, args: &Map) -> Result<Map>;
}

/// The result of a delete, where "it does not exist" counts as deleted.
pub fn gone_is_deleted<T>(r: Result<T>, not_found: impl Fn(&ProviderError) -> bool) -> Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A JSON string (or number) from an API as an attribute: empty or missing is `null`.
pub fn api_str(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::String(s) if s.is_empty() => Value::Null,
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Number(n) => Value::str(n.to_string()),
        _ => Value::Null,
    }
}

/// Read a string attribute, or fail with a clear message.
pub fn arg_str<'a>(args: &'a Map, name: &str) -> Result<&'a str> {
    args.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::rule(format!("argument \"{name}\" is missing")))
}
