#!/usr/bin/env bash
# Regenerates the benchmark table of README.md's "## Performance" section
# from the runtime bench's own output: the markdown block the bench prints
# between `<!-- ferrio-bench:begin -->` and `<!-- ferrio-bench:end -->`
# (commit, machine, date, every row) replaces the block between the same
# markers in README.md. Nothing else in the README changes.
#
# Usage:
#   crates/ferrio/benches/update_readme.sh             # run the bench (pinned with taskset), then update
#   crates/ferrio/benches/update_readme.sh OUTPUT.txt  # update from a saved bench output
#
# FERRIO_BENCH_CPU picks the CPU for taskset (default 1); FERRIO_BENCH_RUNS
# is passed on to the bench.
set -euo pipefail
cd "$(dirname "$0")/../../.."

if [ $# -ge 1 ]; then
  output="$1"
else
  output=$(mktemp)
  trap 'rm -f "$output"' EXIT
  pin=()
  if command -v taskset >/dev/null; then
    pin=(taskset -c "${FERRIO_BENCH_CPU:-1}")
  fi
  "${pin[@]}" cargo bench -p ferrio --bench runtime | tee "$output"
fi

python3 - "$output" README.md <<'EOF'
import sys

BEGIN, END = "<!-- ferrio-bench:begin -->", "<!-- ferrio-bench:end -->"
output_path, readme_path = sys.argv[1], sys.argv[2]

def block(text, where):
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"update_readme.sh: no {BEGIN} … {END} block in {where}")
    return start, end + len(END)

bench = open(output_path, encoding="utf-8").read()
start, end = block(bench, output_path)
table = bench[start:end]

readme = open(readme_path, encoding="utf-8").read()
section = readme.find("\n## Performance\n")
if section < 0:
    sys.exit("update_readme.sh: README.md has no '## Performance' section")
start, end = block(readme[section:], "README.md's Performance section")
readme = readme[: section + start] + table + readme[section + end :]
open(readme_path, "w", encoding="utf-8").write(readme)
print("README.md: Performance table updated", file=sys.stderr)
EOF
