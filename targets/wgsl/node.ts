// WebGPU in Node: Dawn through the `webgpu` package. Here that runs on SwiftShader's Vulkan driver
// from Debian's chromium package unless VK_ICD_FILENAMES already names another driver; on a
// machine with a GPU and its Vulkan driver, unset it and the same code runs on the GPU.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TargetError } from '../../src/util/errors.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Sets the environment Dawn needs (before the first WebGPU instance is created). */
export function setupWebGpuEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  if (env.XDG_RUNTIME_DIR === undefined) env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'tscc-xdg-'));
}

export interface NodeGpu {
  readonly gpu: { requestAdapter(): Promise<unknown> };
  readonly adapter: { limits: Record<string, unknown>; info?: Record<string, string> };
}

let cached: Promise<NodeGpu> | undefined;

/** The process's WebGPU instance and adapter; fails naming what is missing. */
export function nodeGpu(): Promise<NodeGpu> {
  cached ??= (async () => {
    setupWebGpuEnv();
    let mod: { create: (flags: string[]) => NodeGpu['gpu']; globals: Record<string, unknown> };
    try {
      mod = await import('webgpu') as unknown as typeof mod;
    } catch (e) {
      throw new TargetError(`wgsl: the "webgpu" package (Dawn for Node) cannot be loaded: ${(e as Error).message}; run npm install webgpu`);
    }
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    const adapter = await gpu.requestAdapter() as NodeGpu['adapter'] | null;
    if (!adapter) {
      throw new TargetError(`wgsl: WebGPU found no adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}); install chromium and libvulkan1 for SwiftShader`);
    }
    return { gpu, adapter };
  })();
  cached.catch(() => { cached = undefined; });
  return cached;
}
