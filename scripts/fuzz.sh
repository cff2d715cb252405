#!/usr/bin/env bash
# Runs the libFuzzer harnesses built in build/fuzz/ (make fuzz-build), one at
# a time (one process each: the machine may be shared).
#   scripts/fuzz.sh run SECONDS NAME...  each for SECONDS over its committed
#       seeds (fuzz/corpus/NAME, read-only) and build/fuzz/corpus-NAME, where
#       new inputs go; crashes land in build/fuzz/artifacts/.
#   scripts/fuzz.sh ci SECONDS NAME...   each over its committed seeds once
#       (-runs=0: every seed must pass), then SECONDS of fuzzing from them
#       into a scratch directory; fails on the first crash, leak or UB.
#   scripts/fuzz.sh cpu CPU_SECONDS NAME...  as run, in chunks of 600 s, until
#       each harness has had CPU_SECONDS of CPU time (user + system): on a
#       shared machine wall time says little. Prints the CPU per harness.
# Prints libFuzzer's final stats per harness; exit status 1 on any finding.
set -u
mode=$1 secs=$2; shift 2
cd "$(dirname "$0")/.."
mkdir -p build/fuzz/artifacts
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Sets CPU to the children's CPU seconds so far (user + system), from
# bash's `times`, which must run in this shell: a pipe or $(...) would ask
# a fresh subshell, whose children have used nothing.
children_cpu() {
    times >build/fuzz/.times
    CPU=$(tail -1 build/fuzz/.times |
        awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t }')
}
if [ "$mode" = cpu ]; then
    for n in "$@"; do
        children_cpu
        start=$CPU used=0
        while [ "$used" -lt "$secs" ]; do
            "$0" run "${FUZZ_CHUNK:-600}" "$n" || exit 1
            children_cpu
            used=$((CPU - start))
        done
        echo "fuzz: $n: ${used} CPU-seconds"
    done
    exit 0
fi
fail=0
for n in "$@"; do
    bin=build/fuzz/$n seeds=fuzz/corpus/$n
    opts=(-print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$n- -max_len=65536)
    [ -f fuzz/$n.dict ] && opts+=(-dict=fuzz/$n.dict)
    log=build/fuzz/$n.log
    if [ "$mode" = ci ]; then
        if ! "$bin" "${opts[@]}" -runs=0 "$seeds" >"$log" 2>&1; then
            echo "fuzz: $n: a committed seed fails (see $log)" >&2; tail -40 "$log" >&2
            fail=1; continue
        fi
        scratch=$(mktemp -d)
        "$bin" "${opts[@]}" -max_total_time="$secs" "$scratch" "$seeds" >>"$log" 2>&1
        rc=$?
        rm -rf "$scratch"
    else
        mkdir -p build/fuzz/corpus-$n
        "$bin" "${opts[@]}" -max_total_time="$secs" build/fuzz/corpus-$n "$seeds" >"$log" 2>&1
        rc=$?
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    done_line=$(grep -E '^Done [0-9]+ runs in' "$log" | tail -1)
    echo "fuzz: $n: rc=$rc execs=${execs:-?} ${done_line}"
    if [ "$rc" != 0 ]; then
        tail -60 "$log" >&2
        fail=1
    fi
done
exit $fail
