//! strata's entry point: parse the command line, run the command, exit with its code.

fn main() {
    std::process::exit(strata::cli::main());
}
