//! Why a node of the apply failed, typed from the driver to the summary: a driver's
//! [`ProviderError`] keeps the API's code, request id and retryability all the way to the
//! human summary lines and the `--json` summary's `failures`.
//!
//! Invariant: a failure that came from a cloud API is never turned into text before it is
//! rendered; [`Failure::to_json`] and `Display` are the only places it becomes text.

use crate::providers::ProviderError;
use crate::verb::Verb;
use std::fmt;

/// What went wrong in one node.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// A driver call failed.
    Provider(Box<ProviderError>),
    /// A create failed after the object `id` was made: it is recorded in state as tainted.
    Tainted {
        error: Box<ProviderError>,
        id: String,
    },
    /// Not an API failure: the state journal, a disagreement with the plan, an evaluation.
    Other(String),
}

/// A node's error, with the operation it happened in (`create`, `delete` …) once known.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub op: Option<Verb>,
    pub cause: Cause,
}

impl Error {
    /// The same error, as a failure of the operation `op` ("create failed: …").
    pub fn during(self, op: Verb) -> Error {
        Error {
            op: Some(op),
            ..self
        }
    }

    /// The message as the human summary shows it, and the API's `code`, `request_id` and
    /// `retryable` (`null` when the failure did not come from an API call).
    pub fn to_json(&self) -> serde_json::Value {
        let api = self.provider();
        serde_json::json!({
            "message": self.to_string(),
            "code": api.map(|e| e.code.as_str()),
            "request_id": api.and_then(|e| e.request_id.as_deref()),
            "retryable": api.map(|e| e.retryable),
        })
    }

    /// The API's error, when the failure came from one.
    pub fn provider(&self) -> Option<&ProviderError> {
        match &self.cause {
            Cause::Provider(e) | Cause::Tainted { error: e, .. } => Some(e.as_ref()),
            Cause::Other(_) => None,
        }
    }
}

impl From<Cause> for Error {
    fn from(cause: Cause) -> Error {
        Error { op: None, cause }
    }
}

impl From<ProviderError> for Error {
    fn from(e: ProviderError) -> Error {
        Cause::Provider(Box::new(e)).into()
    }
}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Cause::Other(s).into()
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Error {
        Cause::Other(s.to_string()).into()
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Provider(e) => write!(f, "{e}"),
            Cause::Tainted { error, id } => write!(
                f,
                "{error} (the object {id} exists; it is recorded in state as tainted and the \
                 next plan replaces it)"
            ),
            Cause::Other(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Some(op) => write!(f, "{op} failed: {}", self.cause),
            None => write!(f, "{}", self.cause),
        }
    }
}

/// A failed node (or a failure of the run itself: `plan`, `outputs`, `executor`) for the
/// summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub address: String,
    pub error: Error,
}

impl Failure {
    pub fn new(address: impl Into<String>, error: impl Into<Error>) -> Failure {
        Failure {
            address: address.into(),
            error: error.into(),
        }
    }

    /// The `--json` summary's entry: the address and [`Error::to_json`].
    pub fn to_json(&self) -> serde_json::Value {
        let mut j = self.error.to_json();
        j["address"] = serde_json::json!(self.address);
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> ProviderError {
        ProviderError {
            request_id: Some("R-1".into()),
            retryable: true,
            ..ProviderError::new("DBS.200005", "Internal server error.")
        }
    }

    #[test]
    fn the_message_keeps_the_summary_wording() {
        let e = Error::from(api()).during(Verb::Create);
        assert_eq!(
            e.to_string(),
            "create failed: DBS.200005: Internal server error. (request id R-1)"
        );
        let e = Error::from("the state journal is gone");
        assert_eq!(e.to_string(), "the state journal is gone");
        let tainted = Error::from(Cause::Tainted {
            error: Box::new(api()),
            id: "i-1".into(),
        });
        assert!(tainted.to_string().contains("the object i-1 exists"));
    }

    #[test]
    fn the_json_entry_carries_the_api_code_request_id_and_retryability() {
        let j = Failure::new("a.b", Error::from(api()).during(Verb::Delete)).to_json();
        assert_eq!(j["code"], "DBS.200005");
        assert_eq!(j["request_id"], "R-1");
        assert_eq!(j["retryable"], true);
        assert_eq!(j["address"], "a.b");
        let j = Failure::new("plan", "a cycle").to_json();
        assert!(j["code"].is_null() && j["request_id"].is_null() && j["retryable"].is_null());
        assert_eq!(j["message"], "a cycle");
    }
}
