#!/usr/bin/env bash
# The test suite on a busy machine: runs `vitest run` N times in a row with K busy loops beside it (each
# a `node -e 'for(;;){}'` at normal priority) and prints each run's outcome and wall time. Usage:
#   bash scripts/busy-suite.sh [RUNS=10] [BUSY_LOOPS=2]
# Exits non-zero when any run failed. The suite is built once first (as `npm test` does).
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
loops=${2:-2}
npx tsc -b tsconfig.json || exit 1
pids=()
for ((i = 0; i < loops; i++)); do
  node -e 'for(;;){}' &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
failed=0
for ((r = 1; r <= runs; r++)); do
  log=$(mktemp)
  start=$(date +%s)
  if npx vitest run >"$log" 2>&1; then status=pass; else status=FAIL; failed=$((failed + 1)); fi
  end=$(date +%s)
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a -E '^ +Tests ' | tail -1 | tr -s ' ')
  echo "run $r/$runs: $status in $((end - start)) s with $loops busy loops ($summary)"
  if [[ $status == FAIL ]]; then grep -a -E 'FAIL|AssertionError|Error:' "$log" | sed 's/\x1b\[[0-9;]*m//g' | head -20; fi
  rm -f "$log"
done
echo "$((runs - failed)) of $runs runs passed"
((failed == 0))
