//! A working directory whose stack runs against a standalone sandbox (`sandbox serve`), whose
//! request counters (`/_sandbox/stats`) say which API calls a command made.

use super::{Env, Run, Server};

pub struct Served {
    pub env: Env,
    _server: Server,
    pub url: String,
    /// The stack directory commands run in (`-C`).
    pub dir: &'static str,
}

impl Served {
    /// Serve a sandbox for `env`, whose stack is `dir`.
    pub fn start(env: Env, dir: &'static str) -> Served {
        let (server, url) = env.serve_sandbox(&[]);
        Served {
            env,
            _server: server,
            url,
            dir,
        }
    }

    /// `strata -C DIR args` against the sandbox, insisting on exit code `code`.
    pub fn run(&self, args: &[&str], code: i32) -> Run {
        let all = [&["-C", self.dir][..], args].concat();
        let sandbox = [("STRATA_SANDBOX_URL", self.url.as_str())];
        self.env.ok_with(&all, &sandbox, code)
    }

    /// The API calls counted since the last reset, by "METHOD path".
    pub fn calls(&self) -> serde_json::Map<String, serde_json::Value> {
        let text = strata::sandbox::admin_request(&self.url, "GET", "/_sandbox/stats")
            .expect("the sandbox's counters");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        v["requests"].as_object().cloned().unwrap_or_default()
    }

    pub fn reset(&self) {
        strata::sandbox::admin_request(&self.url, "DELETE", "/_sandbox/stats").expect("reset");
    }

    /// Calls that change something (anything but a GET).
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .keys()
            .filter(|k| !k.starts_with("GET "))
            .cloned()
            .collect()
    }
}
