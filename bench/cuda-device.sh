#!/usr/bin/env bash
# CUDA on a real GPU (run by hand on a machine with an NVIDIA GPU, nvcc and PyTorch):
#   1. writes the bench models (zoo models, fp16 GEMM N³, ResNet 3×3 conv layers at batch 8),
#   2. compiles each with `tscc compile --target cuda:ARCH`, builds it with the artifact's Makefile
#      (nvcc, warnings are errors) and checks its outputs against onnxruntime (`tscc verify`),
#   3. times the GEMM and conv layers (tscc_run REPEAT: device-resident launches) against PyTorch
#      (cuBLAS / cuDNN) and prints the table.
# Usage: bench/cuda-device.sh [ARCH=sm_90] [GEMM_N=4096]
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-sm_90}
N=${2:-4096}
WORK=${WORK:-$(mktemp -d /tmp/tscc-cuda-bench.XXXXXX)}
command -v nvidia-smi >/dev/null && nvidia-smi -L || { echo "cuda-device.sh: no NVIDIA GPU (nvidia-smi)" >&2; exit 1; }
command -v nvcc >/dev/null || export PATH="$(ls -d /usr/local/cuda*/bin | head -1):$PATH"
command -v nvcc >/dev/null || { echo "cuda-device.sh: nvcc not found" >&2; exit 1; }
npx tsx bench/cuda/models.ts "$WORK" --gemm "$N"

shape_args() { # --shape flags of a zoo model, from shapes.json
  node -e 'const s=require(process.argv[1])[process.argv[2]]||{};for(const[k,v]of Object.entries(s))process.stdout.write(` --shape ${k}=${v.join(",")}`)' "$WORK/shapes.json" "$1"
}

echo "== correctness: tscc verify --target cuda:$ARCH (GPU) against onnxruntime"
fail=0
for m in "$WORK"/zoo-*.onnx "$WORK"/conv-*.onnx; do
  if ! npx tscc verify "$m" --target "cuda:$ARCH" $(shape_args "$(basename "$m")"); then fail=1; fi
done

echo "== timing (ms, median of device-resident launches)"
declare -A TSCC
for m in "$WORK/gemm-f16-$N.onnx" "$WORK"/conv-*.onnx; do
  name=$(basename "$m" .onnx)
  dir="$WORK/$name"
  npx tscc compile "$m" --target "cuda:$ARCH" -o "$dir" >/dev/null
  make -C "$dir" -s
  mkdir -p "$dir/in" "$dir/out"
  npx tsx bench/cuda/inputs.ts "$m" "$dir/in"
  TSCC[$name]=$("$dir/tscc_run" "$dir/weights.bin" "$dir/in" "$dir/out" 20 | awk '/time_ms/ {print $2}')
done
declare -A TORCH
while read -r name ms; do TORCH[$name]=$ms; done < <(python3 bench/cuda/torch_bench.py "$N")

printf '%-16s %12s %12s %8s\n' layer tscc_ms torch_ms ratio
for name in "gemm-f16-$N" conv-64x56 conv-128x28 conv-256x14 conv-512x7; do
  t=${TSCC[$name]:-nan} p=${TORCH[$name]:-nan}
  printf '%-16s %12s %12s %8s\n' "$name" "$t" "$p" "$(awk -v a="$t" -v b="$p" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')"
done
echo "(ratio = torch / tscc: 1.00 means as fast as cuBLAS/cuDNN)"
exit $fail
