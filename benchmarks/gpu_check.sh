#!/usr/bin/env bash
# xpnet's GPU check: does XPNET_BACKEND=cupy work, and how fast is it against PyTorch CUDA?
#
#   PYTHONPATH=. bash benchmarks/gpu_check.sh              # on a CUDA machine, < 8 minutes
#   bash benchmarks/gpu_check.sh --dry-run                 # the same steps on the CPU, < 1 min
#
# Run from the repository root. Needs Python with numpy, cupy (14, a visible GPU), PyTorch
# with CUDA and pytest; uses pytest-xdist when installed. Steps, each under a time limit
# (seconds, overridable: SMOKE_S, TEST_S, TRAIN_S, DIST_S, PATHS_S, BENCH_S):
#   1. smoke:  environment (env.json) and CuPy facts: cost per call, TF32 of 2-D and batched
#              products at each precision, copy bandwidth, host syncs (smoke.json)
#   2. tests:  the test suite with XPNET_BACKEND=cupy (pytest.log, junit.xml, tests.json)
#   3. train:  XPNET_BACKEND=cupy xpnet train, LeNet on digits (train.log)
#   4. distributed: mpiexec jobs of xpnet.distributed: NCCL on 1 rank, MPI on 2 (staged,
#              then CUDA-aware forced), xpnet train on 2 ranks against 1 (distributed.json)
#   5. paths: GPU-only code the tests cannot reach: pinned memory, empty_cache, 256 MiB
#              chunks under a small budget, bench --floor, resume, each conv formula's time
#              (paths.json)
#   6. bench:  xpnet-cupy vs PyTorch CUDA with TF32 off and on vs xpnet-numpy: conv2d, pooling,
#              batch norm, relu, cross-entropy, LeNet and ResNet steps (bench.json)
#   7. summary: the steps' status and issue 17's targets (summary.json, summary.md, printed)
# Everything lands in $OUT (default benchmarks/results/<date>-gpu-check; dry run: a folder
# under $TMPDIR). The dry run (--dry-run, or GPU_CHECK_DRY_RUN=1) runs the same steps on the
# strict backend (the CuPy emulator) against PyTorch on the CPU, with tiny sizes, a subset of
# the tests and short budgets; CI runs it (tests/test_gpu_check.py) so that the script cannot
# rot. Exit status: 0 if every step exited 0, else 1 (the summary is written either way).
set -u
if [ "${1:-}" = "--dry-run" ]; then
    GPU_CHECK_DRY_RUN=1
elif [ -n "${1:-}" ]; then
    echo "usage: bash benchmarks/gpu_check.sh [--dry-run]" >&2
    exit 2
fi
if [ ! -f xpnet/__init__.py ] || [ ! -f benchmarks/gpu_check.py ]; then
    echo "gpu_check.sh: run me from the xpnet repository root" >&2
    exit 2
fi
GPU_CHECK_DRY_RUN=${GPU_CHECK_DRY_RUN:-0}
PY=${PYTHON:-python3}
if [ "$GPU_CHECK_DRY_RUN" = 1 ]; then
    GPU_CHECK_BACKEND=strict
    GPU_CHECK_TORCH=cpu
    OUT=${OUT:-${TMPDIR:-/tmp}/xpnet-gpu-check-dry-run}
    SMOKE_S=${SMOKE_S:-60} TEST_S=${TEST_S:-60} TRAIN_S=${TRAIN_S:-60} BENCH_S=${BENCH_S:-60}
    DIST_S=${DIST_S:-60} PATHS_S=${PATHS_S:-60}
    PYTEST_TARGETS=${PYTEST_TARGETS:-xpnet/backends/_precision.py}  # its doctests
    TRAIN_ARGS=${TRAIN_ARGS:---epochs 1 --limit 64 --batch-size 32}
else
    GPU_CHECK_BACKEND=cupy
    GPU_CHECK_TORCH=cuda
    OUT=${OUT:-$PWD/benchmarks/results/$(date -u +%Y-%m-%d)-gpu-check}
    SMOKE_S=${SMOKE_S:-45} TEST_S=${TEST_S:-100} TRAIN_S=${TRAIN_S:-40} BENCH_S=${BENCH_S:-105}
    DIST_S=${DIST_S:-75} PATHS_S=${PATHS_S:-70}
    PYTEST_TARGETS=${PYTEST_TARGETS:-}
    TRAIN_ARGS=${TRAIN_ARGS:---epochs 3}
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
GPU_CHECK_OUT=$OUT
GPU_CHECK_COMMAND="bash benchmarks/gpu_check.sh${1:+ $1}"
export GPU_CHECK_DRY_RUN GPU_CHECK_BACKEND GPU_CHECK_TORCH GPU_CHECK_OUT GPU_CHECK_COMMAND
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
START=$(date +%s)
: > "$OUT/status.txt"
FAILED=0

# run_step NAME LIMIT_S LOG COMMAND...: run it under the time limit, record exit and seconds
run_step() {
    local name=$1 limit=$2 log=$3
    shift 3
    local begin=$(date +%s)
    echo "[$(( begin - START ))s] $name (<= ${limit}s) -> $log"
    timeout -s INT -k 15 "$limit" "$@" > "$OUT/$log" 2>&1
    local code=$?
    echo "$name $code $(( $(date +%s) - begin ))" >> "$OUT/status.txt"
    [ "$code" = 0 ] || { FAILED=1; echo "   $name exited $code (124: stopped at the time limit); see $OUT/$log"; }
}

run_step smoke "$SMOKE_S" smoke.log "$PY" benchmarks/gpu_check.py smoke

# not tests/test_gpu_check.py: it runs this script's dry run, a minute of CPU for nothing here
PYTEST_ARGS=(-q -p no:cacheprovider -rfE --tb=short --junitxml="$OUT/junit.xml"
             --ignore=tests/test_gpu_check.py)
if [ "$GPU_CHECK_DRY_RUN" != 1 ] && "$PY" -c "import xdist" 2>/dev/null; then
    PYTEST_ARGS+=(-n "${TEST_WORKERS:-8}")
fi
# shellcheck disable=SC2086  # PYTEST_TARGETS holds several words (paths and -k)
XPNET_BACKEND=$GPU_CHECK_BACKEND run_step tests "$TEST_S" pytest.log \
    "$PY" -m pytest "${PYTEST_ARGS[@]}" $PYTEST_TARGETS
"$PY" benchmarks/gpu_check.py tests "$OUT/junit.xml" >> "$OUT/pytest.log" 2>&1

# XPNET_BACKEND alone chooses the backend: the log's header must name it (the summary checks)
# shellcheck disable=SC2086  # TRAIN_ARGS holds several options
XPNET_BACKEND=$GPU_CHECK_BACKEND run_step train "$TRAIN_S" train.log \
    "$PY" -m xpnet train --no-progress $TRAIN_ARGS

# the jobs choose their engines; XPNET_BACKEND is their backend (mpiexec from the mpich wheel)
XPNET_BACKEND=$GPU_CHECK_BACKEND GPU_CHECK_BUDGET_S=$(( DIST_S - 10 )) run_step distributed \
    "$DIST_S" distributed.log "$PY" benchmarks/gpu_check_distributed.py

run_step paths "$PATHS_S" paths.log "$PY" benchmarks/gpu_check_paths.py

GPU_CHECK_BUDGET_S=$(( BENCH_S - 15 )) run_step bench "$BENCH_S" bench.log \
    "$PY" benchmarks/gpu_check.py bench

echo "[$(( $(date +%s) - START ))s] summary -> summary.md, summary.json"
"$PY" benchmarks/gpu_check.py summary || FAILED=1
echo "[$(( $(date +%s) - START ))s] done; files in $OUT"
exit $FAILED
