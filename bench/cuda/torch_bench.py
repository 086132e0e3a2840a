# PyTorch (cuBLAS / cuDNN) timings of the layers bench/cuda-device.sh times with tscc.
#   python3 bench/cuda/torch_bench.py GEMM_N
# prints "gemm-f16-N <ms>", "conv-CxHW <ms>" (f32) and "conv-f16-CxHW <ms>" lines (median of
# CUDA-event timings). TF32 is off, so the f32 convolutions compare like for like with tscc's
# f32 SIMT kernels; the f16 ones use cuDNN's tensor-core kernels.
import sys
import torch

def bench(fn, reps=50):
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

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
a = torch.randn(n, n, device='cuda', dtype=torch.float16)
b = torch.randn(n, n, device='cuda', dtype=torch.float16)
print(f'gemm-f16-{n} {bench(lambda: a @ b):.4f}')
for c, hw in [(64, 56), (128, 28), (256, 14), (512, 7)]:
    for dtype, tag in [(torch.float32, ''), (torch.float16, 'f16-')]:
        x = torch.randn(8, c, hw, hw, device='cuda', dtype=dtype)
        conv = torch.nn.Conv2d(c, c, 3, padding=1).cuda().to(dtype)
        with torch.no_grad():
            print(f'conv-{tag}{c}x{hw} {bench(lambda: torch.relu(conv(x))):.4f}')
