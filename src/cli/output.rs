//! `strata output`: the stack's outputs from the state (sensitive ones are never printed).

use super::workspace::Workspace;
use super::{Cli, CmdResult, Failure, EXIT_OK};
use crate::plan::render::style::Painter;
use crate::state::State;

fn text(v: &crate::value::Value) -> String {
    match v {
        crate::value::Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => serde_json::to_string_pretty(&other.to_json()).unwrap_or_default(),
    }
}

pub fn print_outputs(state: &State, p: &Painter) {
    if state.outputs.is_empty() {
        return;
    }
    outln!("\n{}\n", p.green(&p.bold("Outputs:")));
    for (name, o) in &state.outputs {
        if o.sensitive {
            outln!("{name} = <sensitive>");
        } else {
            outln!("{name} = {}", text(&o.value));
        }
    }
}

pub async fn run(cli: &Cli, name: Option<&str>, json: bool) -> CmdResult {
    let ws = Workspace::state_only(cli)?;
    let state = ws.backend.load().await?.state;
    match name {
        Some(n) => {
            let o = state.outputs.get(n).ok_or_else(|| {
                let hint = crate::schema::suggest(n, state.outputs.keys().map(String::as_str))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_else(|| {
                        " (strata output lists them; outputs appear after an apply)".into()
                    });
                Failure::new(format!("no output named \"{n}\" in the state{hint}"))
            })?;
            if o.sensitive {
                return Err(Failure::new(format!(
                    "output \"{n}\" is sensitive: strata never stores or prints its value"
                )));
            }
            if json {
                outln!(
                    "{}",
                    serde_json::to_string(&o.value.to_json()).unwrap_or_default()
                );
            } else if let Some(s) = o.value.as_str() {
                outln!("{s}");
            } else {
                outln!("{}", text(&o.value));
            }
        }
        None if json => {
            let m: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({
                            "sensitive": o.sensitive,
                            "value": if o.sensitive { serde_json::Value::Null } else { o.value.to_json() },
                        }),
                    )
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
        }
        None => {
            for (k, o) in &state.outputs {
                if o.sensitive {
                    outln!("{k} = <sensitive>");
                } else {
                    outln!("{k} = {}", text(&o.value));
                }
            }
        }
    }
    Ok(EXIT_OK)
}
