#!/usr/bin/env bash
# What the diagnostics hooks cost. Runs ferrio's `spawn_join` and `pingpong`
# workloads (benches/runtime) three ways and prints ferrio's medians side by
# side:
#   no hooks   built with --cfg ferrio_no_diagnostics (the hooks compiled out)
#   debug off  the normal build, debug mode off (what users run)
#   debug on   the normal build with FERRIO_DEBUG=1 (slow-poll checks and
#              per-task activity on every poll)
# Target: "debug off" within 2% of "no hooks".
#
# Usage: crates/ferrio/benches/diagnostics_overhead.sh   (FERRIO_BENCH_RUNS=11 by default)
set -euo pipefail
cd "$(dirname "$0")/../../.."
export FERRIO_BENCH_RUNS="${FERRIO_BENCH_RUNS:-11}"
workloads=(spawn_join pingpong)

# Prints "<workload> <ferrio milliseconds>" for each workload.
ferrio_ms() {
  cargo bench -q -p ferrio --bench runtime -- "${workloads[@]/#/=}" 2>/dev/null |
    awk -v list="${workloads[*]}" '
      BEGIN { n = split(list, w, " "); for (i = 1; i <= n; i++) want[w[i]] = 1 }
      { name = $1; sub(/[*†]+$/, "", name) }
      (name in want) && $3 == "ms" { print name, $2 }'
}

echo "building and running: no hooks (--cfg ferrio_no_diagnostics)..." >&2
nohooks=$(RUSTFLAGS="--cfg ferrio_no_diagnostics" CARGO_TARGET_DIR=target/nodiag ferrio_ms)
echo "running: hooks in, debug off..." >&2
off=$(FERRIO_DEBUG=0 ferrio_ms)
echo "running: debug on (FERRIO_DEBUG=1)..." >&2
on=$(FERRIO_DEBUG=1 ferrio_ms)

printf '%-12s %12s %22s %22s\n' workload "no hooks" "debug off (vs none)" "debug on (vs none)"
for w in "${workloads[@]}"; do
  a=$(awk -v w="$w" '$1 == w { print $2 }' <<<"$nohooks")
  b=$(awk -v w="$w" '$1 == w { print $2 }' <<<"$off")
  c=$(awk -v w="$w" '$1 == w { print $2 }' <<<"$on")
  awk -v w="$w" -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
    printf "%-12s %9.1f ms %11.1f ms (%+5.1f%%) %11.1f ms (%+5.1f%%)\n", w, a, b, 100 * (b - a) / a, c, 100 * (c - a) / a }'
done
