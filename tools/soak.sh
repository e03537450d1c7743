#!/usr/bin/env bash
# Flake hunt (issue 15 §7): runs the test tiers of the given projects again and again under CPU
# load until RUNS runs in a row are green (or MAX runs were made), and prints one line per run.
#
#   bash tools/soak.sh [--runs 10] [--max 20] [--load 2] [--projects a,b,c]
#
#   --runs N      green runs in a row wanted (default 10)
#   --max M       give up after M runs (default 2×N); every loop here is bounded
#   --load K      K busy loops (each `timeout`-bounded to the soak's length) run beside the tests
#   --projects    nx projects (default: every project, as `npm test`)
#
# Run it in a clean clone (`git clone -q . DIR && cd DIR && bash tools/soak.sh …`) when others
# edit the working tree: every run rebuilds what changed, so uncommitted edits would be soaked too.
# Runs as CI does (`CI=true`: nothing from the nx cache). Each run's full output is kept in $SOAK_DIR (default a temporary directory) as run-<i>.log;
# a failing run's failures (the runner's "Failures:" list) are printed. Exit 0 when the streak
# was reached. The busy loops are started and killed by their own PIDs.
set -u
runs=10 max= load=2 projects=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --max) max=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --projects) projects=$2; shift 2 ;;
    *) echo "soak: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$runs$load${max:-0}" in *[!0-9]*) echo "soak: --runs, --max and --load take whole numbers" >&2; exit 2 ;; esac
max=${max:-$((runs * 2))}
root=$(cd "$(dirname "$0")/.." && pwd)
node=$root/node_modules/.bin/node; [ -x "$node" ] || node=node
dir=${SOAK_DIR:-$(mktemp -d -t metallb-ts-soak.XXXXXX)}
mkdir -p "$dir"
pids=()
stop_load() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; pids=(); }
trap 'stop_load' EXIT
trap 'stop_load; echo "soak: stopped (the run in progress finishes on its own)"; exit 130' INT TERM
for _ in $(seq 1 "$load"); do
  timeout $((max * 1800)) sh -c 'while :; do :; done' &
  pids+=($!)
done
echo "soak: ${runs} green runs in a row wanted, at most ${max} runs, ${load} busy loops, logs in ${dir}"
streak=0
for i in $(seq 1 "$max"); do
  t0=$(date +%s)
  if [ -n "$projects" ]; then args=(--projects "$projects"); else args=(); fi
  (cd "$root" && CI=${CI:-true} "$node" tools/run-tests.mjs "${args[@]}") > "$dir/run-$i.log" 2>&1
  rc=$?
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$dir/run-$i.log" | tail -1)
  la=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "run $i: exit $rc, $((  $(date +%s) - t0 )) s, ${summary:-no summary}, load ${la}"
  if [ "$rc" = 0 ]; then
    streak=$((streak + 1))
  else
    streak=0
    sed -n '/^Failures:/,/^[0-9]* passed/p' "$dir/run-$i.log" | sed 's/^/    /'
  fi
  if [ "$streak" -ge "$runs" ]; then echo "soak: ${runs} green runs in a row"; exit 0; fi
done
echo "soak: no streak of ${runs} green runs within ${max} runs"
exit 1
