#!/usr/bin/env bash
# Evaluation of the 3+1D study by hand (replica 1 of the L-CNN and replica 2 of the CNN were
# not trained in this session): the commands the workflow's evaluate/summarize/plots rules run.
set -euo pipefail
source /work/main/.venv/bin/activate
export PYTHONPATH=/work/wt-4d/src
R=results-paper
SEED=$(python - <<'PY'
import zlib
print(zlib.crc32("20260101/evaluate/su2_4d_4x8x8x8".encode()) & 0x7FFFFFFF)
PY
)
TESTS="$R/datasets/gauge/su2_4d_4x8x8x8/test.h5 $R/datasets/gauge/su2_4d_6x8x8x8/test.h5 $R/datasets/gauge/su2_4d_8x16x16x16/test.h5"
FLAGS="--train-set $R/datasets/gauge/su2_4d_4x8x8x8/train.h5 --batch-size 4 --gauge-configs 4 --alphas 0.001,0.01,0.1,1.0 --adversarial-steps 20 --adversarial-lr 0.05 --seed $SEED --device auto --threads 2 --force --no-progress"
mkdir -p $R/evaluation/su2_4d_4x8x8x8 $R/plots/su2_4d_4x8x8x8 $R/logs/evaluate $R/benchmarks/evaluate
for exp in ${EXPS:-su2_4d_W2x2_cnn su2_4d_W2x2_W2x2-small}; do
  /usr/bin/time -f "%e" -o $R/benchmarks/evaluate/$exp.time python -m latticeml evaluate --models $R/train/$exp/r*/model.pt --test $TESTS \
    --out $R/evaluation/$exp.csv --predictions $R/evaluation/${exp}_predictions.csv $FLAGS > $R/logs/evaluate/$exp.log 2>&1
done
[ -n "${ONLY_EVAL:-}" ] && exit 0
python -m latticeml summarize --evaluations $R/evaluation/su2_4d_W2x2_W2x2-small.csv $R/evaluation/su2_4d_W2x2_cnn.csv \
  --out $R/evaluation/su2_4d_4x8x8x8/summary.csv --merged $R/evaluation/su2_4d_4x8x8x8/evaluation.csv \
  --predictions $R/evaluation/su2_4d_W2x2_W2x2-small_predictions.csv $R/evaluation/su2_4d_W2x2_cnn_predictions.csv \
  --best-predictions $R/evaluation/su2_4d_4x8x8x8/predictions_best.csv --markdown $R/evaluation/su2_4d_4x8x8x8/summary.md \
  --failure-ratio 0.5 --force
python -m latticeml plot --evaluation $R/evaluation/su2_4d_4x8x8x8/evaluation.csv --predictions $R/evaluation/su2_4d_4x8x8x8/predictions_best.csv \
  --metrics $R/train/su2_4d_W2x2_W2x2-small/r*/metrics.csv $R/train/su2_4d_W2x2_cnn/r*/metrics.csv --out-dir $R/plots/su2_4d_4x8x8x8 --force
