#!/usr/bin/env bash
# The committed searches (docs/results/search/<study>/), run on one 2-core machine beside other
# work. Datasets: the PRL-protocol 8x8 SU(2) sets (config/lcnn-su2-2d.yaml) and the scalar
# protocol-A 60x4 sets (config/scalar-2d.yaml). Usage: run.sh GAUGE_DATA_DIR SCALAR_DATA_DIR OUT
set -euo pipefail
G=$1; S=$2; OUT=$3
run() {  # name space target data-dir trials timeout epochs limit [extra flags]
  local name=$1 space=$2 target=$3 data=$4 trials=$5 timeout=$6 epochs=$7 limit=$8; shift 8
  latticeml search run --space "config/search/$space" --train "$data/train.h5" \
    --val "$data/val.h5" --target "$target" --out "$OUT/$name" --study-name "$name" \
    --n-trials "$trials" --timeout "$timeout" --epochs "$epochs" --patience 2 \
    --train-limit "$limit" --threads 1 --device cpu --seed 1 --no-progress \
    --summary "$OUT/$name/worker0.json" "$@" > "$OUT/$name.log" 2>&1
  latticeml search export --out "$OUT/$name" --study-name "$name" --figures >> "$OUT/$name.log" 2>&1
}
case "${4:-all}" in
  cnn_W2x2|all) run cnn_W2x2 cnn-paper.yaml W_2x2 "$G" 200 7800 6 1000 --batch-size 32 ;;&
  cnn_W1x2|all) run cnn_W1x2 cnn-paper.yaml W_1x2 "$G" 200 7800 6 500 --batch-size 32 ;;&
  # the presets W2x2-small/-medium and W4x4-small/-medium run first as reference trials
  lcnn_W2x2|all) run lcnn_W2x2 lcnn.yaml W_2x2 "$G" 40 900 8 1000 --batch-size 20 \
    --enqueue '{layers: 2, channels_0: 2, channels_1: 2, kernel_sizes_0: 2, kernel_sizes_1: 2, lr: 0.01}' \
    --enqueue '{layers: 2, channels_0: 4, channels_1: 4, kernel_sizes_0: 3, kernel_sizes_1: 3, lr: 0.01}' ;;&
  lcnn_W4x4|all) run lcnn_W4x4 lcnn.yaml W_4x4 "$G" 30 900 8 1000 --batch-size 20 \
    --enqueue '{layers: 4, channels_0: 2, channels_1: 2, channels_2: 2, channels_3: 2, kernel_sizes_0: 2, kernel_sizes_1: 2, kernel_sizes_2: 3, kernel_sizes_3: 3, lr: 0.01}' \
    --enqueue '{layers: 4, channels_0: 4, channels_1: 4, channels_2: 4, channels_3: 4, kernel_sizes_0: 3, kernel_sizes_1: 3, kernel_sizes_2: 4, kernel_sizes_3: 4, lr: 0.01}' ;;&
  eq_n|all) run eq_n eq.yaml n "$S" 20 420 8 800 --batch-size 32 ;;&
  st_n|all) run st_n st.yaml n "$S" 20 420 8 800 --batch-size 32 ;;&
  fl_n|all) run fl_n fl.yaml n "$S" 20 420 8 800 --batch-size 32 ;;&
  eq_phi2|all) run eq_phi2 eq.yaml phi2 "$S" 20 420 8 800 --batch-size 32 ;;&
  st_phi2|all) run st_phi2 st.yaml phi2 "$S" 20 420 8 800 --batch-size 32 ;;&
  fl_phi2|all) run fl_phi2 fl.yaml phi2 "$S" 20 420 8 800 --batch-size 32 ;;&
  *) ;;
esac
