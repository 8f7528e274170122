//! Terraform's single-dash spellings of long options (`-out=FILE`, `-var 'k=v'`,
//! `-auto-approve`, `-lock=false`, `-chdir=DIR`, …): an argument `-NAME` or `-NAME=VALUE`
//! whose NAME is a long option (or an alias of one) of the command being parsed — read from
//! clap's own definition, global options included — becomes `--NAME…` before clap sees it.
//! One rule for every option, no list of special cases.
//!
//! Invariants: the value of an option given as the next argument (`--var -x=1`, `-C -dir`)
//! is never rewritten, nor is anything after `--`; an argument that starts with one of the
//! command's short options (`-C`, `-Cdir`, `-h`) stays as it is; any other `-NAME` of two
//! letters or more is written `--NAME` whether the command has it or not, so that clap
//! reports an unknown one as the long option it was meant to be (`--bogus`, with clap's
//! suggestion), never as a cluster of short ones.

use clap::{Arg, Command};
use std::ffi::OsString;

/// What one argument is, read in the context of the (sub)command being parsed.
enum Seen<'c> {
    /// `--`: everything after it is an operand.
    EndOfOptions,
    /// An option, with its Terraform spelling rewritten when it had one; whether the next
    /// argument is its value.
    Option {
        rewritten: Option<String>,
        value_next: bool,
    },
    /// An operand; the subcommand it names, if any.
    Operand(Option<&'c Command>),
}

/// `args` (the program's name first) with every single-dash long option of `root`'s
/// commands written with two dashes. `root` must be built (`Command::build`), so that its
/// subcommands hold the global options.
pub fn rewrite(root: &Command, args: Vec<OsString>) -> Vec<OsString> {
    let mut args = args.into_iter();
    let mut out: Vec<OsString> = args.next().into_iter().collect();
    let mut cmd = root;
    let mut value_next = false;
    let mut operands_only = false;
    for arg in args {
        let text = match arg.to_str() {
            Some(t) if !value_next && !operands_only => t,
            _ => {
                value_next = false;
                out.push(arg);
                continue;
            }
        };
        match classify(cmd, text) {
            Seen::EndOfOptions => operands_only = true,
            Seen::Option {
                rewritten,
                value_next: v,
            } => {
                value_next = v;
                if let Some(r) = rewritten {
                    out.push(r.into());
                    continue;
                }
            }
            Seen::Operand(sub) => cmd = sub.unwrap_or(cmd),
        }
        out.push(arg);
    }
    out
}

fn classify<'c>(cmd: &'c Command, text: &str) -> Seen<'c> {
    if text == "--" {
        return Seen::EndOfOptions;
    }
    if let Some(body) = text.strip_prefix("--") {
        let (name, inline) = split(body);
        let value_next = !inline && long(cmd, name).is_some_and(needs_value);
        return Seen::Option {
            rewritten: None,
            value_next,
        };
    }
    let Some(body) = text.strip_prefix('-').filter(|b| !b.is_empty()) else {
        return Seen::Operand(cmd.find_subcommand(text));
    };
    let (name, inline) = split(body);
    let mut chars = body.chars();
    let first_short = chars.next().and_then(|c| short(cmd, c));
    let long_arg = long(cmd, name);
    if spells_a_long_name(name) && (long_arg.is_some() || first_short.is_none()) {
        return Seen::Option {
            rewritten: Some(format!("-{text}")),
            value_next: !inline && long_arg.is_some_and(needs_value),
        };
    }
    // short options: `-C DIR`, `-Cdir`
    Seen::Option {
        rewritten: None,
        value_next: chars.next().is_none() && first_short.is_some_and(needs_value),
    }
}

/// `NAME=VALUE` → (`NAME`, true); `NAME` → (`NAME`, false).
fn split(body: &str) -> (&str, bool) {
    match body.split_once('=') {
        Some((name, _)) => (name, true),
        None => (body, false),
    }
}

/// A long option's name: two characters or more, starting with a letter (so `-1` and `-C`
/// are never taken for one).
fn spells_a_long_name(name: &str) -> bool {
    name.len() >= 2 && name.starts_with(|c: char| c.is_ascii_alphabetic())
}

fn long<'c>(cmd: &'c Command, name: &str) -> Option<&'c Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
    })
}

fn short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| a.get_short() == Some(c))
}

/// Whether the option takes a value that may be the next argument (not an optional one,
/// such as `--refresh[=BOOL]`, which Terraform too writes only with `=`).
fn needs_value(a: &Arg) -> bool {
    a.get_action().takes_values() && a.get_num_args().is_some_and(|n| n.min_values() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn rewritten(args: &[&str]) -> Vec<String> {
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        let mut all = vec!["strata".to_string()];
        all.extend(args.iter().map(|s| s.to_string()));
        let out = rewrite(&cmd, all.into_iter().map(OsString::from).collect());
        out[1..]
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn terraform_spellings_become_long_options() {
        assert_eq!(
            rewritten(&[
                "-chdir=infra",
                "plan",
                "-out=tfplan",
                "-var",
                "k=v",
                "-var-file=prod.yaml",
                "-detailed-exitcode",
                "-input=false",
                "-lock-timeout=10s",
                "-no-color",
                "-refresh=false",
                "-parallelism=4",
            ]),
            [
                "--chdir=infra",
                "plan",
                "--out=tfplan",
                "--var",
                "k=v",
                "--var-file=prod.yaml",
                "--detailed-exitcode",
                "--input=false",
                "--lock-timeout=10s",
                "--no-color",
                "--refresh=false",
                "--parallelism=4",
            ]
        );
        assert_eq!(
            rewritten(&[
                "apply",
                "-auto-approve",
                "-json",
                "-target=a.b",
                "-replace=a.c"
            ]),
            [
                "apply",
                "--auto-approve",
                "--json",
                "--target=a.b",
                "--replace=a.c"
            ]
        );
        assert_eq!(rewritten(&["-help"]), ["--help"]);
        assert_eq!(rewritten(&["-version"]), ["--version"]);
        assert_eq!(
            rewritten(&["state", "pull", "-help"]),
            ["state", "pull", "--help"]
        );
    }

    #[test]
    fn values_operands_and_short_options_stay() {
        // the value of an option, whatever it looks like
        assert_eq!(
            rewritten(&["plan", "-var", "-out=x", "--target", "-json"]),
            ["plan", "--var", "-out=x", "--target", "-json"]
        );
        assert_eq!(rewritten(&["-C", "-json", "plan"]), ["-C", "-json", "plan"]);
        // after --, everything is an operand
        assert_eq!(
            rewritten(&["import", "--", "a.b", "-json"]),
            ["import", "--", "a.b", "-json"]
        );
        // short options and numbers are not long names
        assert_eq!(
            rewritten(&["-Cdir", "plan", "-h", "-1"]),
            ["-Cdir", "plan", "-h", "-1"]
        );
        // a name the command does not have is clap's to refuse, as the long option it is
        assert_eq!(rewritten(&["plan", "-bogus"]), ["plan", "--bogus"]);
        assert_eq!(
            rewritten(&["plan", "-auto-approve", "-x=1"]),
            ["plan", "--auto-approve", "-x=1"]
        );
        // an option's value is not a subcommand: `-C state plan` plans in ./state
        assert_eq!(
            rewritten(&["-C", "state", "plan", "-out=f"]),
            ["-C", "state", "plan", "--out=f"]
        );
    }
}
