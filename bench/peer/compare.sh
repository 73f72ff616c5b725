#!/usr/bin/env bash
# Runs drillsim and its SimPy peer on drill D4 (Shahe whole site lost) with the same
# parameters, prints trials per second of each and the speed ratio, and checks that
# the two agree on the recovery-time median.
#
# Usage: bench/peer/compare.sh [--runs N] [--simpy-runs M] [--seed S] [--repeat K]
#                              [--tolerance PCT]
#   --runs N         drillsim runs (default 100000)
#   --simpy-runs M   SimPy runs (default: the same N)
#   --seed S         seed given to both (default 1); their random streams differ, so
#                    the medians are two estimates of the same quantity
#   --repeat K       run each tool K times, alternating, and keep the fastest
#                    (default 3; the machine may be shared, timings are noisy)
#   --tolerance PCT  largest accepted gap between the medians, in % (default 3)
#
# Exit: 0 the medians agree; 1 they differ by more than the tolerance; 2 usage;
# anything else: a step failed (venv, build, a run), with its message on stderr.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

runs=100000
simpy_runs=""
seed=1
repeat=3
tolerance=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
        --simpy-runs) simpy_runs="${2:?--simpy-runs needs a value}"; shift 2 ;;
        --seed) seed="${2:?--seed needs a value}"; shift 2 ;;
        --repeat) repeat="${2:?--repeat needs a value}"; shift 2 ;;
        --tolerance) tolerance="${2:?--tolerance needs a value}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
simpy_runs="${simpy_runs:-$runs}"
for value in "$runs" "$simpy_runs" "$seed" "$repeat"; do
    [[ "$value" =~ ^[0-9]+$ ]] || { echo "compare.sh: '$value' is not a whole number" >&2; exit 2; }
done
(( runs >= 1 && simpy_runs >= 1 && repeat >= 1 )) || { echo "compare.sh: runs and repeat must be at least 1" >&2; exit 2; }
[[ "$tolerance" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compare.sh: bad tolerance '$tolerance'" >&2; exit 2; }

peer_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$peer_dir/../.." && pwd)"
venv="$peer_dir/.venv"
drill="drills/d4-shahe-site-lost.toml"
cd "$repo"

# (a) the peer's virtual environment
if ! "$venv/bin/python" -c 'import simpy' >/dev/null 2>&1; then
    echo "== creating $venv and installing $peer_dir/requirements.txt" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$peer_dir/requirements.txt"
fi
py="$venv/bin/python"

# (b) drillsim, release build
echo "== cargo build --release" >&2
cargo build --release
drillsim="$repo/target/release/drillsim"

tmp="$(mktemp -d /tmp/drillsim-peer.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

# timed OUT CMD...: runs CMD with its stdout in OUT; prints "seconds exit-code",
# measured on a monotonic clock around the whole process
timed() {
    "$py" -c '
import subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    start = time.monotonic()
    code = subprocess.call(sys.argv[2:], stdout=out)
    print(f"{time.monotonic() - start:.6f} {code}")
' "$@"
}

faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# (c) drillsim on D4 and (d) the SimPy peer on the same topology file and seed,
# alternating, K times each; the fastest run of each is kept
d_seconds="" s_seconds=""
for ((k = 1; k <= repeat; k++)); do
    echo "== [$k/$repeat] drillsim: $runs runs of D4, seed $seed" >&2
    read -r sec code < <(timed "$tmp/drillsim.out" \
        "$drillsim" run "$drill" --runs "$runs" --seed "$seed" --out "$tmp/reports-$k" -q)
    case "$code" in
        0) ;;
        1) echo "note: drillsim ran, but an expectation of D4 did not hold (see its report)" >&2 ;;
        *) echo "compare.sh: drillsim failed with exit code $code" >&2; exit "$code" ;;
    esac
    if [[ -z "$d_seconds" ]] || faster "$sec" "$d_seconds"; then
        d_seconds="$sec"
    fi

    echo "== [$k/$repeat] SimPy peer: $simpy_runs runs, seed $seed" >&2
    read -r sec code < <(timed "$tmp/simpy-$k.json" \
        "$py" "$peer_dir/whole_site_loss.py" --runs "$simpy_runs" --seed "$seed" \
        --topology "$repo/topologies/tenpay.toml")
    if [[ "$code" != 0 ]]; then
        echo "compare.sh: the SimPy peer failed with exit code $code" >&2
        exit "$code"
    fi
    if [[ -z "$s_seconds" ]] || faster "$sec" "$s_seconds"; then
        s_seconds="$sec"
        cp "$tmp/simpy-$k.json" "$tmp/simpy.json"
    fi
done

# (e) the table and (f) the check of the medians
"$py" - "$tmp/reports-1/D4/report.json" "$tmp/simpy.json" \
    "$runs" "$d_seconds" "$simpy_runs" "$s_seconds" "$tolerance" "$repeat" <<'EOF'
import json, sys

report, peer = (json.load(open(p)) for p in sys.argv[1:3])
d_runs, d_sec, s_runs, s_sec = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
tolerance, repeat = float(sys.argv[7]), int(sys.argv[8])

d_rec, s_rec = report["recovery_time_s"], peer["recovery_time_s"]
d_tps, s_tps = d_runs / d_sec, s_runs / s_sec
rows = [
    ("tool", "runs", "seconds", "trials/s", "recovery P50", "recovery P95"),
    ("drillsim " + report["version"], f"{d_runs:,}", f"{d_sec:.3f}", f"{d_tps:,.0f}",
     f"{d_rec['p50']:.1f} s", f"{d_rec['p95']:.1f} s"),
    ("SimPy " + peer["simpy_version"], f"{s_runs:,}", f"{s_sec:.3f}", f"{s_tps:,.0f}",
     f"{s_rec['p50']:.1f} s", f"{s_rec['p95']:.1f} s"),
]
widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
print()
for n, row in enumerate(rows):
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    if n == 0:
        print("  ".join("-" * w for w in widths))
print()
print(f"drillsim / SimPy speed: {d_tps / s_tps:.2f}x")
print(f"  seconds: each whole command on a monotonic clock, fastest of {repeat};"
      " drillsim's include parsing and report writing, SimPy's the interpreter's start-up")
loop_tps = peer["trials_per_second"]
print(f"SimPy trial loop alone: {peer['seconds']:.3f} s, {loop_tps:,.0f} trials/s;"
      f" drillsim / SimPy loop: {d_tps / loop_tps:.2f}x")
print("note: the two draw from different random streams (ChaCha8, Mersenne Twister):"
      " their medians are two estimates of the same quantity")
if d_runs != s_runs:
    print(f"note: SimPy ran {s_runs:,} trials and drillsim {d_runs:,}")
gap50 = abs(s_rec["p50"] - d_rec["p50"]) / d_rec["p50"] * 100
gap95 = abs(s_rec["p95"] - d_rec["p95"]) / d_rec["p95"] * 100
print(f"recovery P50 gap: {gap50:.2f} % (tolerance {tolerance:g} %); P95 gap: {gap95:.2f} % (not checked)")
if gap50 > tolerance:
    print(f"FAIL: the recovery-time medians differ by {gap50:.2f} %, more than {tolerance:g} %")
    sys.exit(1)
print("OK: drillsim and the SimPy peer agree on the recovery-time median")
EOF
