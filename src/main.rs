//! strata's entry point: parse the command line, run the command, exit with its code.

/// mimalloc: strata allocates many small values (attribute maps); it is markedly faster here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(strata::cli::main());
}
