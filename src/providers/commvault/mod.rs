//! Commvault: PostgreSQL instances on Alibaba PaaS databases, registered for backup through
//! the Command Center REST API with token (`Authtoken`) sessions.

pub mod client;
pub mod instance;

pub use client::CvClient;
