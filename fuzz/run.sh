#!/usr/bin/env bash
# Fuzzes one or every loader and parser of drillsim for a while each:
#   fuzz/run.sh [TARGET...]     (default: topology drill duration percent)
# SECONDS_EACH (default 600) sets the time per target. Needs the nightly toolchain
# (`rustup toolchain install nightly`) and cargo-fuzz (`cargo install cargo-fuzz`).
# The bundled files and the bad-input corpus seed the fuzzer; what it finds is kept
# under fuzz/corpus/ and fuzz/artifacts/ (neither is committed).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${SECONDS_EACH:-600}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(topology drill duration percent)

for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    case "$target" in
        topology) cp topologies/*.toml tests/bad-inputs/topology-*.toml "$corpus"/ ;;
        drill) cp drills/*.toml tests/bad-inputs/drill-*.toml "$corpus"/ ;;
        duration) printf '30s' > "$corpus/s"; printf '1h30m' > "$corpus/hm" ;;
        percent) printf '35%%' > "$corpus/p"; printf '0.5 %%' > "$corpus/q" ;;
    esac
    echo "fuzzing $target for $seconds s"
    cargo +nightly fuzz run "$target" "$corpus" -- \
        -dict=fuzz/toml.dict -max_total_time="$seconds" -max_len=65536 -print_final_stats=1
done
