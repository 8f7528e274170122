//! Encoding functions: `jsonencode jsondecode yamlencode base64encode base64decode sha256`.
//!
//! Invariants: invalid JSON, YAML-unsafe values, invalid base64 and bytes that are not UTF-8
//! are errors naming the function, never panics; decoding depth is bounded by serde_json's
//! recursion limit.

use super::args::A;
use crate::value::Value;
use base64::Engine as _;
use sha2::Digest as _;

pub fn jsonencode(a: &A<'_>) -> Result<Value, String> {
    serde_json::to_string(&a.get(0)?.to_json())
        .map(Value::String)
        .map_err(|e| format!("{}: {e}", a.f))
}

pub fn jsondecode(a: &A<'_>) -> Result<Value, String> {
    let text = a.str(0)?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: argument 1 is not valid JSON: {e}", a.f))?;
    Ok(Value::from_json(&v))
}

pub fn yamlencode(a: &A<'_>) -> Result<Value, String> {
    serde_yaml::to_string(&a.get(0)?.to_json())
        .map(Value::String)
        .map_err(|e| format!("{}: {e}", a.f))
}

pub fn base64encode(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(a.str(0)?),
    ))
}

pub fn base64decode(a: &A<'_>) -> Result<Value, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(a.str(0)?.as_bytes())
        .map_err(|e| format!("{}: argument 1 is not valid base64: {e}", a.f))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| format!("{}: the decoded bytes are not valid UTF-8", a.f))
}

pub fn sha256(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::String(hex::encode(sha2::Sha256::digest(
        a.str(0)?.as_bytes(),
    ))))
}
