// The emitted artifact runs in a browser: headless Chromium (Debian's, WebGPU on its bundled
// SwiftShader) loads runtime.js from a localhost page, runs the plan and returns the outputs, which
// must match onnxruntime-node like the Node runner's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel, writeArtifact } from '../../../src/driver/compile.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { randomInputs } from '../../helpers/check.ts';

const PAGE = `<!doctype html><meta charset="utf-8"><title>tscc wgsl</title>
<script type="module">
  import { loadArtifact } from './runtime.js';
  window.runModel = async (inputs) => {
    const session = await loadArtifact(navigator.gpu, new URL('./', location.href));
    const feeds = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, new Float32Array(v)]));
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]));
  };
  window.pageReady = true;
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.html': 'text/html', '.wgsl': 'text/plain' };

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const rel = normalize(path === '/' ? 'index.html' : path.slice(1));
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    try {
      const body = rel === 'index.html' ? PAGE : readFileSync(join(dir, rel));
      res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${addr.port}/` });
  }));
}

describe('WGSL artifact in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscc-wgsl-browser-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tiny-cnn: the page loads runtime.js, runs the plan and matches onnxruntime', async () => {
    const bytes = readFileSync('models/tiny-cnn.onnx');
    const model = loadOnnxBytes(bytes);
    const compiled = await compileModel(model, { target: 'wgsl' });
    writeArtifact(dir, model, 'wgsl', compiled);
    const inputs = randomInputs(bytes);
    const ref = await runOrt(bytes, inputs, { optimization: 'disabled' });
    const { server, url } = await serve(dir);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true);
      const given = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
      const out = await page.evaluate(async (x) => (globalThis as unknown as { runModel: (i: unknown) => Promise<Record<string, { shape: number[]; data: number[] }>> }).runModel(x), given);
      expect(errors).toEqual([]);
      for (const [k, r] of Object.entries(ref)) {
        const got = new Tensor('f32', out[k].shape, Float32Array.from(out[k].data));
        const d = compareTensors(k, got, r, 1e-4);
        expect(d.ok, `output ${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
        expect(d.maxRef).toBeGreaterThan(0);
      }
    } finally {
      await browser.close();
      server.close();
    }
  }, 180_000);
});
