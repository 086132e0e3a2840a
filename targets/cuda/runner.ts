// Builds and runs an artifact folder: with nvcc on a GPU when `nvidia-smi` lists one, otherwise with
// g++ on the CPU emulation of the same sources. Builds are cached by the hash of the files, so a
// model compiled twice builds once.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TargetError } from '../../src/util/errors.ts';
import { npyName, readNpy, writeNpy } from '../../src/runtime/npy.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import type { Artifact, RunOutput } from '../target.ts';
import type { CudaPayload } from './index.ts';

let gpuCache: boolean | undefined;

/** A GPU is usable when nvidia-smi runs and lists at least one device. */
export function hasGpu(): boolean {
  if (gpuCache === undefined) {
    const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
    gpuCache = r.status === 0 && /GPU \d/.test(r.stdout ?? '');
  }
  return gpuCache;
}

/** Compute capability of GPU 0 as `sm_XY`, from nvidia-smi (undefined when it cannot say). */
export function gpuArch(): string | undefined {
  const r = spawnSync('nvidia-smi', ['--query-gpu=compute_cap', '--format=csv,noheader'], { encoding: 'utf8' });
  const m = /^(\d+)\.(\d+)/.exec((r.stdout ?? '').trim());
  return r.status === 0 && m ? `sm_${m[1]}${m[2]}` : undefined;
}

/** nvcc on PATH or in the usual CUDA install folders. */
export function findNvcc(): string | undefined {
  const r = spawnSync('which', ['nvcc'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  const roots = ['/usr/local/cuda/bin'];
  try { for (const d of readdirSync('/usr/local')) if (d.startsWith('cuda-')) roots.push(`/usr/local/${d}/bin`); } catch { /* none */ }
  return roots.map((r) => join(r, 'nvcc')).find((p) => existsSync(p));
}

/**
 * Writes the files into `dir`, each through a temporary name and a rename: a build folder is shared by
 * every build of the same artifact (its name is the files' hash), and the emulation build and the nvcc
 * check of one artifact run at once — rewriting the Makefile in place truncated it under the other
 * build's `make` ("No rule to make target 'check'"). A rename swaps in a complete file; a reader of
 * the old one keeps its (identical) contents.
 */
export function writeFiles(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  for (const [rel, content] of files) {
    const path = join(dir, rel), tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  }
}

/** `make GOAL` in `dir`, asynchronously (the emulation build and the nvcc check can overlap). */
function make(dir: string, goal: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('make', ['-s', goal], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    p.stdout.on('data', (d) => { log += d; });
    p.stderr.on('data', (d) => { log += d; });
    p.on('error', (e) => reject(new TargetError(`cuda: cannot run make: ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new TargetError(`cuda: make ${goal} failed in ${dir}:\n${log.slice(0, 4000)}`))));
  });
}

/** Hash of an artifact's files: its build folder's name. */
function artifactKey(a: Artifact): string {
  const h = createHash('sha256');
  for (const [k, v] of [...a.files].sort(([x], [y]) => (x < y ? -1 : 1))) h.update(k).update(v);
  return h.digest('hex').slice(0, 24);
}

/** The folder holding this artifact's build of `goal` (written and built on first use). */
export async function buildArtifact(a: Artifact, goal: 'emu' | 'all' | 'check'): Promise<string> {
  const dir = join(tmpdir(), 'tscc-cuda', artifactKey(a));
  const stamp = join(dir, `.built-${goal}`);
  if (existsSync(stamp)) return dir;
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, a.files);
  const nvcc = goal === 'emu' ? undefined : findNvcc();
  if (goal !== 'emu' && !nvcc) throw new TargetError('cuda: nvcc was not found on PATH or under /usr/local/cuda*/bin');
  await make(dir, goal, nvcc ? { NVCC: nvcc } : {});
  writeFileSync(stamp, '');
  return dir;
}

function exec(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) reject(new TargetError(`cuda: ${file} failed: ${(stderr || String(err)).slice(0, 2000)}`));
      else resolve(stdout);
    });
  });
}

export async function runArtifact(a: Artifact, inputs: TensorMap, opts: { emulate?: boolean } = {}): Promise<RunOutput> {
  const payload = a.payload as CudaPayload;
  const gpu = !opts.emulate && hasGpu();
  const device = gpu ? gpuArch() : undefined;
  // sm_90 code does not load on an sm_80 device (and sm_90a-only features would not either way).
  if (device && Number(device.slice(3)) < Number(payload.arch.slice(3))) {
    throw new TargetError(`cuda: the GPU is ${device} but the artifact was compiled for ${payload.arch}; compile with --target cuda:${device === 'sm_80' || device === 'sm_90' ? device : 'sm_80'}`);
  }
  const dir = await buildArtifact(a, gpu ? 'all' : 'emu');
  const io = mkdtempSync(join(tmpdir(), 'tscc-cuda-run-'));
  try {
    mkdirSync(join(io, 'in'));
    mkdirSync(join(io, 'out'));
    for (const name of payload.inputs) {
      const t = inputs[name];
      if (!t) throw new TargetError(`cuda: no value for the model input "${name}"`);
      writeNpy(join(io, 'in', npyName(name)), t);
    }
    const exe = join(dir, gpu ? 'tscc_run' : 'tscc_run_emu');
    const t0 = performance.now();
    await exec(exe, [join(dir, 'weights.bin'), join(io, 'in'), join(io, 'out')]);
    const ms = performance.now() - t0;
    const outputs: TensorMap = {};
    for (const name of payload.outputs) outputs[name] = readNpy(join(io, 'out', npyName(name)));
    const how = gpu ? `CUDA on the GPU (nvcc -arch=${payload.arch})` : 'CPU emulation of the CUDA source (g++, tscc_emu.h)';
    return { outputs, ms, how };
  } finally {
    rmSync(io, { recursive: true, force: true });
  }
}
