#!/usr/bin/env bash
# CUDA on a real GPU (run by hand on a machine with an NVIDIA GPU, nvcc, Node and PyTorch; no GPU
# was lent to the sessions that wrote it, so only its dry mode has run — see targets/cuda/README.md):
#   1. writes the bench models (bench/cuda/models.ts: zoo models, fp16 GEMMs, ResNet 3×3 conv
#      layers at batch BATCH in f32 and f16),
#   2. checks every model against onnxruntime with `tscc verify --target cuda:ARCH`, which builds
#      the artifact with nvcc (warnings are errors) and runs it on the GPU (f16 models at 1e-3),
#   3. times the GEMM and conv layers: `tscc compile`, the artifact's own Makefile, then
#      `tscc_run … REPEAT` (mean of REPEAT device-resident launches of the plan, each followed by a
#      device synchronize, after one warm-up) against PyTorch (cuBLAS / cuDNN, median of CUDA-event
#      timings, TF32 off), and prints the table.
# Dry mode (--dry or DRY=1; no GPU, no PyTorch needed) runs every step that does not need a GPU, so
# the script can be checked anywhere nvcc is installed: GEMM_N defaults to 256 and BATCH to 1, step 2
# runs on the CPU emulation (tscc verify picks it when nvidia-smi lists no GPU), step 3 compiles
# and links every timed layer with nvcc for ARCH and times one launch of the same artifact built
# for the CPU emulation (`make emu`: a check of the output format, not a speed), and the PyTorch
# script only checks its arguments and prints its output lines without timings.
# Usage: bench/cuda-device.sh [--dry] [ARCH=sm_90] [GEMM_N=4096]
#   env: REPEAT=20, BATCH=8, WORK=DIR (keeps the models and builds), DRY=1,
#        ONLY='glob …' (only the models/layers whose name, e.g. conv-f16-64x56, matches a glob)
set -euo pipefail
cd "$(dirname "$0")/.."
DRY=${DRY:-0}
[[ $DRY == 0 ]] && DRY=
pos=()
for a in "$@"; do
  case $a in
    --dry) DRY=1 ;;
    -*) echo "usage: bench/cuda-device.sh [--dry] [ARCH] [GEMM_N]" >&2; exit 1 ;;
    *) pos+=("$a") ;;
  esac
done
ARCH=${pos[0]:-sm_90}
N=${pos[1]:-${GEMM_N:-$([[ -n $DRY ]] && echo 256 || echo 4096)}}
BATCH=${BATCH:-$([[ -n $DRY ]] && echo 1 || echo 8)}
REPEAT=${REPEAT:-20}
WORK=${WORK:-$(mktemp -d /tmp/tscc-cuda-bench.XXXXXX)}
mkdir -p "$WORK" && WORK=$(cd "$WORK" && pwd)
read -ra PATTERNS <<< "${ONLY:-*}"
TSCC=(node bin/tscc.mjs)

keep() { # is this model/layer name selected by ONLY?
  local p
  for p in "${PATTERNS[@]}"; do [[ $1 == $p ]] && return 0; done
  return 1
}

if [[ -n $DRY ]]; then
  echo "== dry run: no GPU timing; correctness on $(command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 && echo 'the GPU' || echo 'the CPU emulation')"
else
  command -v nvidia-smi >/dev/null && nvidia-smi -L || { echo "cuda-device.sh: no NVIDIA GPU (nvidia-smi); DRY=1 checks the script without one" >&2; exit 1; }
fi
command -v nvcc >/dev/null || export PATH="$(ls -d /usr/local/cuda*/bin 2>/dev/null | head -1):$PATH"
command -v nvcc >/dev/null || { echo "cuda-device.sh: nvcc not found" >&2; exit 1; }
if [[ -z $DRY ]]; then
  python3 -c 'import torch; assert torch.cuda.is_available()' || { echo "cuda-device.sh: PyTorch with CUDA is needed for the comparison" >&2; exit 1; }
fi
npx tsx bench/cuda/models.ts "$WORK" --gemm "$N" --batch "$BATCH"

shape_args() { # --shape flags of a zoo model, from shapes.json
  node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))[process.argv[2]]||{};for(const[k,v]of Object.entries(s))process.stdout.write(` --shape ${k}=${v.join(",")}`)' "$WORK/shapes.json" "$1"
}

echo "== correctness: tscc verify --target cuda:$ARCH against onnxruntime"
fail=0
for m in "$WORK"/zoo-*.onnx "$WORK"/conv-*.onnx "$WORK/gemm-f16-256.onnx"; do
  keep "$(basename "$m" .onnx)" || continue
  tol=1e-4
  case "$(basename "$m")" in *f16*) tol=1e-3 ;; esac
  # shellcheck disable=SC2046
  if ! "${TSCC[@]}" verify "$m" --target "cuda:$ARCH" --tol "$tol" $(shape_args "$(basename "$m")"); then
    echo "FAIL verify $(basename "$m")" >&2
    fail=1
  fi
done

LAYERS=()
for name in "gemm-f16-$N" conv-{,f16-}{64x56,128x28,256x14,512x7}; do keep "$name" && LAYERS+=("$name"); done
declare -A TSCC_MS TORCH_MS

time_layer() { # compile, build and time one layer; prints its time_ms (errexit is off in callers' `if`)
  local name=$1 dir="$WORK/$1" exe
  # stdout is the time: everything else goes to stderr
  "${TSCC[@]}" compile "$WORK/$name.onnx" --target "cuda:$ARCH" -o "$dir" >&2 || return 1
  make -C "$dir" -s >&2 || return 1
  mkdir -p "$dir/in" "$dir/out"
  npx tsx bench/cuda/inputs.ts "$WORK/$name.onnx" "$dir/in" >&2 || return 1
  exe="$dir/tscc_run"
  if [[ -n $DRY ]]; then make -C "$dir" -s emu >&2 || return 1; exe="$dir/tscc_run_emu"; fi
  "$exe" "$dir/weights.bin" "$dir/in" "$dir/out" "$REPEAT" > "$dir/time.txt" || return 1
  awk '/^time_ms [0-9.]+$/ {print $2; n++} END {exit (n != 1)}' "$dir/time.txt"
}

[[ -n $DRY ]] && REPEAT=1
echo "== timing (ms): tscc mean of $REPEAT launches$([[ -n $DRY ]] && echo ' on the CPU emulation (dry run: not a GPU time)'), PyTorch median"
for name in "${LAYERS[@]}"; do
  if ms=$(time_layer "$name"); then TSCC_MS[$name]=$ms; else echo "FAIL timing $name" >&2; fail=1; fi
done

if [[ ${#LAYERS[@]} -gt 0 ]]; then
  python3 bench/cuda/torch_bench.py --batch "$BATCH" ${DRY:+--dry} "${LAYERS[@]}" > "$WORK/torch.txt" || { echo "FAIL torch_bench.py" >&2; fail=1; }
  while read -r name ms; do TORCH_MS[$name]=$ms; done < "$WORK/torch.txt"
fi

printf '%-18s %12s %12s %8s\n' layer tscc_ms torch_ms ratio
for name in "${LAYERS[@]}"; do
  t=${TSCC_MS[$name]:-nan} p=${TORCH_MS[$name]:-missing}
  # every layer must come back from torch_bench.py under the same name (nan: dry run, not timed)
  [[ $p == missing ]] && { echo "FAIL torch_bench.py printed no line for $name" >&2; fail=1; }
  printf '%-18s %12s %12s %8s\n' "$name" "$t" "$p" "$(awk -v a="$t" -v b="$p" 'BEGIN { num = "^[0-9]*[.]?[0-9]+([eE][-+]?[0-9]+)?$"; if (a ~ num && b ~ num && a > 0 && b > 0) printf "%.2f", b / a; else print "-" }')"
done
if [[ -n $DRY ]]; then
  echo "(dry run: tscc_ms is one launch on the CPU emulation and torch_ms is not measured; no GPU number here)"
else
  echo "(ratio = torch / tscc: 1.00 means as fast as cuBLAS/cuDNN; targets after tuning: GEMM ≥ 0.80, conv ≥ 0.90)"
fi
[[ $fail == 0 ]] && echo "cuda-device.sh: all steps passed" || echo "cuda-device.sh: some steps FAILED" >&2
exit $fail
