# PyTorch (cuBLAS / cuDNN) timings of the layers bench/cuda-device.sh times with tscc.
#   python3 bench/cuda/torch_bench.py [--batch 8] [--reps 50] [--dry] LAYER...
# LAYER is a name bench/cuda/models.ts writes: gemm-f16-N (N×N·N×N MatMul), conv-CxHW (f32) or
# conv-f16-CxHW (C→C 3×3 convolution, padding 1, + bias + Relu, input BATCH×C×HW×HW). Prints one
# "LAYER <ms>" line per layer, in order (median of CUDA-event timings after 5 warm-ups). TF32 is off,
# so the f32 convolutions compare like for like with tscc's f32 SIMT kernels; the f16 ones use
# cuDNN's tensor-core kernels. --dry (bench/cuda-device.sh --dry, no GPU) parses the layers and
# prints "LAYER nan" lines without importing torch's CUDA side, saying on stderr whether PyTorch is
# installed. A name it does not know is an error (exit 2), so the script and the bench agree on names.
import argparse
import re
import sys


def parse_layer(name, batch):
    """(kind, dtype, shapes) of a layer name: ('gemm', 'f16', (n,)) or ('conv', 'f32'|'f16', (batch, c, hw))."""
    m = re.fullmatch(r'gemm-f16-(\d+)', name)
    if m:
        return 'gemm', 'f16', (int(m.group(1)),)
    m = re.fullmatch(r'conv-(f16-)?(\d+)x(\d+)', name)
    if m:
        return 'conv', 'f16' if m.group(1) else 'f32', (batch, int(m.group(2)), int(m.group(3)))
    raise ValueError(f'torch_bench.py: unknown layer "{name}" (expected gemm-f16-N, conv-CxHW or conv-f16-CxHW)')


def bench(torch, fn, reps):
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def layer_fn(torch, kind, dtype, shape):
    """A closure running the layer once on the GPU (its tensors made here, outside the timing)."""
    dt = torch.float16 if dtype == 'f16' else torch.float32
    if kind == 'gemm':
        (n,) = shape
        a = torch.randn(n, n, device='cuda', dtype=dt)
        b = torch.randn(n, n, device='cuda', dtype=dt)
        return lambda: a @ b
    batch, c, hw = shape
    x = torch.randn(batch, c, hw, hw, device='cuda', dtype=dt)
    conv = torch.nn.Conv2d(c, c, 3, padding=1).cuda().to(dt)
    def run():
        with torch.no_grad():
            return torch.relu(conv(x))
    return run


def main(argv):
    p = argparse.ArgumentParser(description='PyTorch timings of the tscc CUDA bench layers')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--reps', type=int, default=50)
    p.add_argument('--dry', action='store_true')
    p.add_argument('layers', nargs='+')
    a = p.parse_args(argv)
    try:
        layers = [(name, parse_layer(name, a.batch)) for name in a.layers]
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    if a.dry:
        try:
            import torch
            have = f'PyTorch {torch.__version__} is installed'
        except ImportError:
            have = 'PyTorch is not installed'
        print(f'torch_bench.py: dry run ({have}): {len(layers)} layers parsed, nothing timed', file=sys.stderr)
        for name, _ in layers:
            print(f'{name} nan')
        return 0
    import torch
    if not torch.cuda.is_available():
        print('torch_bench.py: PyTorch sees no CUDA device', file=sys.stderr)
        return 1
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    for name, (kind, dtype, shape) in layers:
        print(f'{name} {bench(torch, layer_fn(torch, kind, dtype, shape), a.reps):.4f}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
