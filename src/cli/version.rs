//! `strata version [--json]`: the version and platform, in the shape of `terraform version`
//! (`strata_version` where Terraform writes `terraform_version`; the provider families are
//! built into the binary, so they carry no versions of their own).

use super::{CmdResult, EXIT_OK};

/// The platform as Terraform names it (Go's `GOOS_GOARCH`): `linux_amd64`, `darwin_arm64`.
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

pub fn document() -> serde_json::Value {
    let families: Vec<&str> = crate::families::ALL.iter().map(|f| f.name()).collect();
    serde_json::json!({
        "strata_version": env!("CARGO_PKG_VERSION"),
        "platform": platform(),
        "provider_families": families,
    })
}

pub fn run(json: bool) -> CmdResult {
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&document()).unwrap_or_default()
        );
    } else {
        outln!("strata v{}\non {}", env!("CARGO_PKG_VERSION"), platform());
    }
    Ok(EXIT_OK)
}
