#!/usr/bin/env bash
# Builds the cargo-fuzz targets (fuzz/fuzz_targets/*.rs) and runs each for SECONDS (default 15),
# one after the other, on one core, at low priority; prints libFuzzer's final stats line of each
# and a summary table. Exit 1 when a target crashed (the input is in fuzz/artifacts/<target>/).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Each target starts from its committed seeds (fuzz/corpus/<target>/seed-*) plus whatever earlier
# runs added there (not committed), with the dictionary fuzz/<target>.dict, else the one of the
# longest `_`-separated prefix of its name (scope_set -> scope.dict), else fuzz/http.dict.
#
# cargo-fuzz needs nightly-only compiler flags: the default toolchain with RUSTC_BOOTSTRAP=1,
# else a `nightly` one (IDPKIT_FUZZ_TOOLCHAIN=<name> picks one). Without cargo-fuzz (`cargo
# install cargo-fuzz --locked`) or such a toolchain this says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-15}
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: skipped, cargo-fuzz is not installed (cargo install cargo-fuzz --locked)"
  exit 0
fi
if [ -n "${IDPKIT_FUZZ_TOOLCHAIN:-}" ]; then
  fuzz=(cargo "+$IDPKIT_FUZZ_TOOLCHAIN" fuzz)
  toolchain="$IDPKIT_FUZZ_TOOLCHAIN"
elif RUSTC_BOOTSTRAP=1 rustc -Z help >/dev/null 2>&1; then
  # The toolchain the crate builds with, so the fuzz build shares its compiler.
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  toolchain="$(rustc --version) with RUSTC_BOOTSTRAP=1"
elif cargo +nightly --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
  toolchain="nightly"
else
  echo "fuzz: skipped, no nightly toolchain and this rustc refuses RUSTC_BOOTSTRAP"
  exit 0
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for file in fuzz/fuzz_targets/*.rs; do
    targets+=("$(basename "$file" .rs)")
  done
fi

dictionary() {
  local name=$1
  while :; do
    if [ -f "fuzz/$name.dict" ]; then
      echo "fuzz/$name.dict"
      return
    fi
    case "$name" in
      *_*) name=${name%_*} ;;
      *) break ;;
    esac
  done
  if [ -f fuzz/http.dict ]; then
    echo fuzz/http.dict
  fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $toolchain"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd fuzz && nice -n 10 "${fuzz[@]}" build) >"$log" 2>&1; then
  tail -n 40 "$log"
  echo "fuzz: the targets do not build"
  exit 1
fi

summary=()
crashed=0
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  args=(-max_total_time="$seconds" -print_final_stats=1)
  dict=$(dictionary "$target")
  if [ -n "$dict" ]; then
    args+=(-dict="../$dict")
  fi
  status=ok
  (cd fuzz && nice -n 10 "${fuzz[@]}" run "$target" -- "${args[@]}") >"$log" 2>&1 || status=CRASH
  # The last progress line: `#N DONE cov: .. ft: .. corp: n/size .. exec/s: ..` (or the line
  # before the crash).
  stats=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  if [ "$status" = CRASH ]; then
    crashed=1
    grep -E '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" || tail -n 20 "$log"
  fi
  printf '%-22s %-5s execs=%s %s\n' "$target" "$status" "$execs" "$stats"
  summary+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$target" "$execs" \
    "$(grep -Eo 'exec/s: [0-9]+' <<<"$stats" | grep -Eo '[0-9]+' || echo '?')" \
    "$(grep -Eo 'cov: [0-9]+' <<<"$stats" | grep -Eo '[0-9]+' || echo '?')" \
    "$(grep -Eo 'ft: [0-9]+' <<<"$stats" | grep -Eo '[0-9]+' || echo '?')" \
    "$(grep -Eo 'corp: [0-9]+' <<<"$stats" | grep -Eo '[0-9]+' || echo '?')" "$status")")
done

echo
echo "| target | executions | exec/s | cov | ft | corpus | result |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${summary[@]}"
if [ "$crashed" = 1 ]; then
  echo "fuzz: a target crashed; reproduce with: cd fuzz && cargo fuzz run <target> artifacts/<target>/<file>"
  exit 1
fi
