// The CPU emulation is honest about warp-level CUDA (tscc_emu.h, tscc_emu_warp.h): hand-written
// kernels (emu/warp.cu) that use shuffles, __syncwarp, __syncthreads, wmma and __dp4a correctly
// give the right answer, and the same kernels with a missing sync give a wrong one, while a mask
// that leaves lanes out, a divergent shuffle, a bad wmma leading dimension or pointer trap.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tscc-cuda-emu-'));
const x = Array.from({ length: 64 }, (_, i) => ((i * 37) % 11) - 5);

async function run(which: string): Promise<number[]> {
  const { stdout } = await exec(join(dir, 'warp'), [which]);
  return stdout.trim().split(/\s+/).map(Number);
}

async function trap(which: string): Promise<string> {
  const err = await exec(join(dir, 'warp'), [which]).then(() => undefined, (e: { stderr: string }) => e);
  expect(err, `${which} must trap`).toBeDefined();
  return err!.stderr;
}

describe('CUDA CPU emulation: warp-level operations', () => {
  beforeAll(async () => {
    const runtime = new URL('../../../targets/cuda/runtime/', import.meta.url).pathname;
    for (const h of ['tscc_cuda.h', 'tscc_emu.h', 'tscc_emu_warp.h']) copyFileSync(join(runtime, h), join(dir, h));
    copyFileSync(new URL('./emu/warp.cu', import.meta.url).pathname, join(dir, 'warp.cu'));
    await exec('g++', ['-O1', '-std=c++17', '-Wall', '-Werror', '-x', 'c++', 'warp.cu', '-o', 'warp'], { cwd: dir });
  }, 120_000);

  it('a butterfly of __shfl_xor_sync gives every lane its warp\'s sum', async () => {
    const got = await run('xor');
    const sums = [0, 1].map((w) => x.slice(32 * w, 32 * w + 32).reduce((s, v) => s + v, 0));
    expect(got).toEqual([...Array(32).fill(sums[0]), ...Array(32).fill(sums[1])]);
  });

  it('a mask without the calling lanes, or lanes that never reach the shuffle, trap', async () => {
    expect(await trap('xor-half-mask')).toContain('mask leaves out the calling lane');
    expect(await trap('divergent')).toContain('did not reach it');
  });

  it('shared memory exchanged within a warp needs __syncwarp, within a block __syncthreads', async () => {
    const rot = (n: number, by: number) => Array.from({ length: n }, (_, i) => x[(i + by) % n]);
    expect(await run('syncwarp')).toEqual(rot(32, 1));
    expect(await run('no-syncwarp')).not.toEqual(rot(32, 1));
    expect(await run('syncthreads')).toEqual(rot(64, 32));
    expect(await run('no-syncthreads')).not.toEqual(rot(64, 32));
    // a warp runs alone up to the block barrier: __syncwarp does not order two warps
    expect(await run('syncwarp-across-warps')).not.toEqual(rot(64, 32));
  });

  it('wmma m16n16k16: load (leading dimension), mma, store equal the product; bad ldm or alignment trap', async () => {
    const want = await run('mma-reference');
    expect(want.some((v) => v !== 0)).toBe(true);
    expect(await run('mma')).toEqual(want);
    expect(await trap('mma-bad-ldm')).toContain('ldm');
    expect(await trap('mma-misaligned')).toContain('aligned');
    // Fragment elements have no documented position: reading them as if they had one is wrong.
    expect(await run('mma-by-position')).not.toEqual(want);
  });

  it('16-byte vector loads and stores copy eight halves at a 16-byte aligned address, and trap at another', async () => {
    expect(await run('load16')).toEqual([9, 10, 11, 12, 13, 14, 15, 16]);
    expect(await trap('load16-misaligned')).toContain('not 16-byte aligned');
  });

  it('__dp4a: four signed byte products summed into c with 32-bit wrap-around', async () => {
    const bytes = (v: number) => [0, 1, 2, 3].map((i) => ((v >> (8 * i)) << 24) >> 24);
    const a = [0x01020304, 0xff80017f | 0, 0x7f7f7f7f, 0x80808080 | 0];
    const b = [0x05060708, 0x7f01ff80, 0x7f7f7f7f, 0x80808080 | 0];
    const c = [10, -3, 2147483647, 0];
    const want = a.map((ai, i) => (bytes(ai).reduce((s, v, k) => s + v * bytes(b[i])[k], 0) + c[i]) | 0);
    expect(await run('dp4a')).toEqual(want);
  });
});
