#!/usr/bin/env bash
# CUDA on a real GPU (run by hand on a machine with an NVIDIA GPU, nvcc, Node and PyTorch; it has
# never run: no GPU was lent to the sessions that wrote it — see targets/cuda/README.md):
#   1. writes the bench models (bench/cuda/models.ts: zoo models, fp16 GEMMs, ResNet 3×3 conv
#      layers at batch 8 in f32 and f16),
#   2. checks every model against onnxruntime with `tscc verify --target cuda:ARCH`, which builds
#      the artifact with nvcc (warnings are errors) and runs it on the GPU (f16 models at 1e-3),
#   3. times the GEMM and conv layers: `tscc compile`, the artifact's own Makefile, then
#      `tscc_run … REPEAT` (mean of REPEAT device-resident launches of the plan, each followed by a
#      device synchronize, after one warm-up) against PyTorch (cuBLAS / cuDNN, median of CUDA-event
#      timings, TF32 off), and prints the table.
# Usage: bench/cuda-device.sh [ARCH=sm_90] [GEMM_N=4096]   (WORK=DIR keeps the models and builds)
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-sm_90}
N=${2:-4096}
REPEAT=${REPEAT:-20}
WORK=${WORK:-$(mktemp -d /tmp/tscc-cuda-bench.XXXXXX)}
TSCC=(node bin/tscc.mjs)
command -v nvidia-smi >/dev/null && nvidia-smi -L || { echo "cuda-device.sh: no NVIDIA GPU (nvidia-smi)" >&2; exit 1; }
command -v nvcc >/dev/null || export PATH="$(ls -d /usr/local/cuda*/bin 2>/dev/null | head -1):$PATH"
command -v nvcc >/dev/null || { echo "cuda-device.sh: nvcc not found" >&2; exit 1; }
python3 -c 'import torch; assert torch.cuda.is_available()' || { echo "cuda-device.sh: PyTorch with CUDA is needed for the comparison" >&2; exit 1; }
npx tsx bench/cuda/models.ts "$WORK" --gemm "$N"

shape_args() { # --shape flags of a zoo model, from shapes.json
  node -e 'const s=require(process.argv[1])[process.argv[2]]||{};for(const[k,v]of Object.entries(s))process.stdout.write(` --shape ${k}=${v.join(",")}`)' "$WORK/shapes.json" "$1"
}

echo "== correctness: tscc verify --target cuda:$ARCH (on the GPU) against onnxruntime"
fail=0
for m in "$WORK"/zoo-*.onnx "$WORK"/conv-*.onnx "$WORK/gemm-f16-256.onnx"; do
  tol=1e-4
  case "$(basename "$m")" in *f16*) tol=1e-3 ;; esac
  # shellcheck disable=SC2046
  if ! "${TSCC[@]}" verify "$m" --target "cuda:$ARCH" --tol "$tol" $(shape_args "$(basename "$m")"); then fail=1; fi
done

echo "== timing (ms): tscc mean of $REPEAT launches, PyTorch median"
declare -A TSCC_MS
LAYERS=("gemm-f16-$N")
for c in 64x56 128x28 256x14 512x7; do LAYERS+=("conv-$c" "conv-f16-$c"); done
for name in "${LAYERS[@]}"; do
  dir="$WORK/$name"
  "${TSCC[@]}" compile "$WORK/$name.onnx" --target "cuda:$ARCH" -o "$dir" >/dev/null
  make -C "$dir" -s
  mkdir -p "$dir/in" "$dir/out"
  npx tsx bench/cuda/inputs.ts "$WORK/$name.onnx" "$dir/in"
  TSCC_MS[$name]=$("$dir/tscc_run" "$dir/weights.bin" "$dir/in" "$dir/out" "$REPEAT" | awk '/time_ms/ {print $2}')
done
declare -A TORCH_MS
while read -r name ms; do TORCH_MS[$name]=$ms; done < <(python3 bench/cuda/torch_bench.py "$N")

printf '%-18s %12s %12s %8s\n' layer tscc_ms torch_ms ratio
for name in "${LAYERS[@]}"; do
  t=${TSCC_MS[$name]:-nan} p=${TORCH_MS[$name]:-nan}
  printf '%-18s %12s %12s %8s\n' "$name" "$t" "$p" "$(awk -v a="$t" -v b="$p" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "-" }')"
done
echo "(ratio = torch / tscc: 1.00 means as fast as cuBLAS/cuDNN; targets after tuning: GEMM ≥ 0.80, conv ≥ 0.90)"
exit $fail
