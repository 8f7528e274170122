#!/usr/bin/env bash
# Run strata's benchmark suite side by side with Terraform (see BENCHMARKS.md and
# benches/strata_bench.rs for the options). Results: target/strata-bench/results.md.
#   benches/run.sh                                   # N = 100, 1,000, 10,000; three shapes; 3 runs
#   benches/run.sh --sizes 100,1000 --runs 1         # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --bench strata_bench -- "$@"
