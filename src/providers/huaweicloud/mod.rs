//! Huawei Cloud: RDS v3 parameter templates ("configurations") through a signed client.

pub mod client;
pub mod signer;
pub mod template;

pub use client::RdsClient;
