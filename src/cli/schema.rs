//! `strata schema`: every resource type, data source and provider with its arguments, as
//! text, or as the JSON Schema of the whole config language (`--json`) for editors.

use super::{CmdResult, EXIT_OK};
use crate::schema::{self, Kind, Mode, Replace};

pub fn run(json: bool) -> CmdResult {
    if json {
        let s = crate::config::jsonschema::config_schema();
        outln!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    let all = schema::all().chain(schema::providers::PROVIDERS.iter().copied());
    for s in all {
        let kind = match s.kind {
            Kind::Resource => "resource",
            Kind::DataSource => "data source",
            Kind::Provider => "provider",
        };
        outln!("{kind} {}: {}", s.type_name, s.description);
        if let Some(clone) = s.clone {
            let names: Vec<&str> = clone.iter().map(|a| a.name).collect();
            outln!("  clone: {{ {} }}", names.join(", "));
        }
        for a in s.attrs {
            let mode = match a.mode {
                Mode::Required => "required",
                Mode::RequiredForCreate => "required unless cloned",
                Mode::Optional => "optional",
                Mode::Computed => "computed",
                Mode::OptionalComputed => "optional, computed",
            };
            let mut notes = vec![mode.to_string(), a.ty.describe()];
            match a.replace {
                Replace::InPlace => {}
                Replace::Always(why) => notes.push(format!("changing it replaces ({why})")),
                Replace::When(_, why) => notes.push(format!("some changes replace ({why})")),
            }
            if a.sensitive {
                notes.push("sensitive".into());
            }
            let doc = if a.description.is_empty() {
                String::new()
            } else {
                format!(" — {}", a.description)
            };
            outln!("  {:24} {}{doc}", a.name, notes.join(", "));
        }
        outln!();
    }
    Ok(EXIT_OK)
}
