//! Alibaba Cloud: one ACS3-signed RPC client for three products — AnalyticDB for PostgreSQL
//! instances (create, clone from a snapshot backup), DataWorks data sources (create, clone)
//! and SelectDB cluster bindings (bind) — and their data sources; and STS `AssumeRole` for
//! temporary credentials.

pub mod client;
pub mod dataworks;
pub mod gpdb;
pub mod selectdb;
pub mod signer;
pub mod sts;

pub use client::{Product, RpcClient};

use crate::providers::ProviderError;

/// Whether an error means "no such object".
pub fn is_not_found(e: &ProviderError) -> bool {
    matches!(
        e.code.as_str(),
        "InvalidDBInstanceId.NotFound" | "DataSource.NotFound" | "1000010005"
    )
}
