import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../src/cli/main.ts';
import { parseNpy, encodeNpy } from '../../src/runtime/npy.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { compareTensors } from '../../src/runtime/compare.ts';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}

const dir = mkdtempSync(join(tmpdir(), 'tscc-tir-'));

describe('tscc with Tensor IR files', () => {
  it('inspect --emit tir prints every kernel, and the text parses back to the same text', async () => {
    const io = capture();
    expect(await main(['inspect', 'models/tiny-cnn.onnx', '--emit', 'tir'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text.match(/^func /gm)!.length).toBeGreaterThanOrEqual(10);
    writeFileSync(join(dir, 'k.tir'), text + '\n');
    const io2 = capture();
    expect(await main(['inspect', join(dir, 'k.tir')], io2)).toBe(0);
    expect(io2.stdout.join('\n')).toBe(text);
  });

  it('run K.tir --target ref executes one function on given and seeded inputs', async () => {
    // The first kernel of tiny-cnn is its Conv: feed it the model input and compare with the graph's Conv.
    const io = capture();
    await main(['inspect', 'models/tiny-cnn.onnx', '--emit', 'tir'], io);
    writeFileSync(join(dir, 'all.tir'), io.stdout.join('\n') + '\n');
    const m = loadOnnxFile('models/tiny-cnn.onnx');
    const conv = m.graph.nodes[0];
    const x = randomTensor('f32', [1, 3, 32, 32], 3);
    writeFileSync(join(dir, 'x.npy'), encodeNpy(x));
    writeFileSync(join(dir, 'w.npy'), encodeNpy(conv.inputs[1]!.constant!)); // weights are kernel inputs too
    let ref: ReturnType<typeof runGraph>[string] | undefined;
    runGraph(m.graph, { [m.graph.inputs[0].name]: x }, { onNode: (n, outs) => { if (n === conv) ref = outs[0]; } });
    const out = join(dir, 'o');
    const io2 = capture();
    expect(await main(['run', join(dir, 'all.tir'), '--func', 'Conv_1', '--input', `x=${join(dir, 'x.npy')}`, '--input', `w_0=${join(dir, 'w.npy')}`, '--out', out], io2)).toBe(0);
    const got = parseNpy(readFileSync(join(out, 'Conv_1_out.npy')));
    expect(compareTensors('conv', got, ref!, 1e-5).ok).toBe(true);
  });

  it('reports parse errors with line and column, exit 1', async () => {
    writeFileSync(join(dir, 'bad.tir'), 'func f(A: f32[4]) -> (B: f32[4]) {\n  for i in range(0, 4) {\n    B[i] = A[j];\n  }\n}\n');
    const io = capture();
    expect(await main(['inspect', join(dir, 'bad.tir')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/E_PARSE.*bad\.tir:3:\d+/);
  });
});
