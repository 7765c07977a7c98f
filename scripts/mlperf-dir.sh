# Sourced by the benchmark scripts: MLPERF is the folder of the MLPerf Tiny .tflite models, as
# the tests find it: $EDGERUN_MLPERF_DIR, else ../shared/models/mlperf-tiny next to the
# repository, else /work/shared/models/mlperf-tiny; empty when none exists.
MLPERF=${EDGERUN_MLPERF_DIR:-}
if [ -z "$MLPERF" ]; then
  for candidate in ../shared/models/mlperf-tiny /work/shared/models/mlperf-tiny; do
    if [ -d "$candidate" ]; then MLPERF=$candidate; break; fi
  done
fi
if [ -z "$MLPERF" ]; then
  echo "note: no MLPerf Tiny models (set EDGERUN_MLPERF_DIR); their rows are left out" >&2
fi
