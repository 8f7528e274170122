//! From the command line to a [`Cli`]: Terraform's single-dash spellings rewritten
//! (`cli::dashes`), clap's parse, and what clap's derive does not keep — where each `--var`
//! stands among the `--var-file`s, since the later of the two wins, as in Terraform.
//!
//! Invariant: a usage error exits 1, never clap's 2 (which `plan --detailed-exitcode` uses
//! for "changes present", so CI would read a typo as a plan with changes); `--help` and
//! `--version` print on stdout and exit 0.

use super::{Cli, EXIT_ERROR, EXIT_OK};
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use std::ffi::OsString;

/// Parse `args` (the program's name first).
pub fn parse(args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let mut cmd = Cli::command();
    cmd.build();
    let args = super::dashes::rewrite(&cmd, args);
    let matches = cmd.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let Some(vars) = cli.command.vars_mut() {
        vars.files_before = files_before(leaf(&matches));
    }
    Ok(cli)
}

/// Print what clap has to say (help, version, or the usage error) and give the exit code.
pub fn report(e: &clap::Error) -> i32 {
    let _ = e.print();
    if e.use_stderr() {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

/// The matches of the innermost subcommand.
fn leaf(mut m: &ArgMatches) -> &ArgMatches {
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

/// For each `--var`, how many `--var-file`s the command line gives before it.
fn files_before(m: &ArgMatches) -> Vec<usize> {
    let at = |id: &str| -> Vec<usize> {
        match m.try_contains_id(id) {
            Ok(true) => m.indices_of(id).map(|i| i.collect()).unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let files = at("var_files");
    at("vars")
        .iter()
        .map(|v| files.iter().filter(|f| *f < v).count())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Cli, clap::Error> {
        let all = std::iter::once("strata").chain(args.iter().copied());
        parse(all.map(OsString::from).collect())
    }

    #[test]
    fn usage_errors_exit_1_help_and_version_0() {
        for bad in [
            &["plan", "--bogus-flag"][..],
            &["plan", "-bogus"],
            &["nosuch"],
            &[],
            &["plan", "--parallelism", "0"],
        ] {
            let e = parsed(bad).expect_err("a usage error");
            assert!(e.use_stderr(), "{bad:?}");
        }
        for fine in [
            &["--help"][..],
            &["-help"],
            &["plan", "-help"],
            &["--version"],
        ] {
            let e = parsed(fine).expect_err("help or version");
            assert!(!e.use_stderr(), "{fine:?}");
        }
    }

    #[test]
    fn var_order_is_kept() {
        let cli = parsed(&[
            "plan",
            "--var",
            "a=1",
            "--var-file",
            "f.yaml",
            "-var=b=2",
            "--var-file=g.yaml",
            "--var",
            "c=3",
        ])
        .expect("parses");
        let crate::cli::Command::Plan(a) = cli.command else {
            panic!("plan")
        };
        assert_eq!(a.vars.vars, ["a=1", "b=2", "c=3"]);
        assert_eq!(a.vars.files_before, [0, 1, 2]);
    }
}
