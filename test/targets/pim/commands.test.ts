// The command set's encodings: text ⇄ binary round trips on generated streams, and fuzzed bytes and
// text are either a valid stream (that re-encodes identically) or rejected with a coded PimError.
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../../models/builder.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { rng } from '../../../src/runtime/random.ts';
import { cmd, decodeStream, encodeStream, parseStream, printStream, type Stream } from '../../../targets/pim/commands.ts';
import { compileKernel } from '../../../targets/pim/codegen/program.ts';
import { PimError } from '../../../targets/pim/errors.ts';
import { getPreset } from '../../../targets/pim/presets.ts';

function generated(): Stream[] {
  const b = new OnnxBuilder({ opset: 17 });
  b.output(b.op('Gemm', [b.input('x', 'f32', [2, 300]), b.input('w', 'f32', [300, 70]), b.input('c', 'f32', [70])]));
  b.output(b.op('Mul', [b.input('a', 'f32', [900]), b.input('d', 'f32', [900])]));
  b.output(b.op('MatMul', [b.input('v', 'f32', [1, 1100]), b.input('m', 'f32', [1100, 40])]));
  const g = loadOnnxBytes(b.toBytes()).graph;
  const out: Stream[] = [];
  for (const preset of ['hbm3', 'hbm2', 'aim']) {
    for (const [i, node] of g.nodes.entries()) {
      out.push(...compileKernel(getPreset(preset), node, `k${i}`, { fmt: i ? 'bf16' : 'fp16', rowBase: 5 }).streams);
    }
  }
  return out;
}

const STREAMS = generated();

function expectPimError(f: () => unknown, code?: string): PimError {
  try { f(); } catch (e) {
    expect(e, String(e)).toBeInstanceOf(PimError);
    if (code) expect((e as PimError).pimCode).toBe(code);
    return e as PimError;
  }
  throw new Error('expected a PimError');
}

describe('round trip', () => {
  it('every generated stream: binary → stream → binary and text → stream → text are identities', () => {
    expect(STREAMS.length).toBeGreaterThan(30);
    for (const s of STREAMS) {
      const bin = encodeStream(s), text = printStream(s);
      expect(decodeStream(bin)).toEqual(s);
      expect(parseStream(text)).toEqual(s);
      expect(encodeStream(parseStream(text))).toEqual(bin);
      expect(printStream(decodeStream(bin))).toBe(text);
    }
  });
  it('uses every command the generators emit', () => {
    const ops = new Set(STREAMS.flatMap((s) => s.commands.map((c) => c.op)));
    for (const op of ['ACTAB', 'PREAB', 'WR', 'RD', 'WRGB', 'MACAB', 'MULAB', 'SETACC', 'CLRACC', 'RDACC', 'SYNC']) expect(ops).toContain(op);
  });
});

describe('rejections with coded errors', () => {
  const s = STREAMS[0];
  const bin = encodeStream(s);
  const patch = (at: number, v: number) => { const b = bin.slice(); b[at] = v; return b; };
  it('targeted corruptions', () => {
    expectPimError(() => decodeStream(patch(0, 0x41)), 'PIM_MAGIC');
    expectPimError(() => decodeStream(patch(4, 9)), 'PIM_MAGIC');
    expectPimError(() => decodeStream(bin.subarray(0, bin.length - 3)), 'PIM_TRUNCATED');
    expectPimError(() => decodeStream(bin.subarray(0, 7)), 'PIM_TRUNCATED');
    expectPimError(() => decodeStream(patch(16, 0x77)), 'PIM_OPCODE');
    const first = s.commands[0];
    expect(first.op).not.toBe('ACT'); // its bank field is unused, so a bank there is an error
    expectPimError(() => decodeStream(patch(17, 3)), 'PIM_FIELD');
    expectPimError(() => encodeStream({ ...s, commands: [cmd('MACAB', { col: 32 })] }), 'PIM_FIELD');
    expectPimError(() => encodeStream({ ...s, commands: [cmd('ACT', { bank: 16 })] }), 'PIM_FIELD');
    expectPimError(() => encodeStream({ ...s, commands: [cmd('RDACC', { addr: 6 })] }), 'PIM_FIELD');
    expectPimError(() => parseStream('.stream preset=hbm3 fmt=fp16 pc=0\n+0 MACAB col=1 slot=2\n'), 'PIM_SYNTAX');
    expectPimError(() => parseStream('.stream preset=hbm3 fmt=fp16 pc=0\n+0 FOO col=1\n'), 'PIM_OPCODE');
    expectPimError(() => parseStream('.stream preset=hbm3 fmt=fp16 pc=0\n+0 PREAB bank=1\n'), 'PIM_FIELD');
    expectPimError(() => parseStream('.stream preset=hbm9 fmt=fp16 pc=0\n'), 'PIM_FIELD');
    expectPimError(() => parseStream('.stream preset=hbm3 fmt=fp16 pc=99\n'), 'PIM_FIELD');
    expectPimError(() => parseStream('+0 PREAB\n'), 'PIM_SYNTAX');
  });
  it('fuzzed binary streams are valid and canonical, or rejected with a PimError', () => {
    const r = rng(42);
    let rejected = 0, accepted = 0;
    for (let i = 0; i < 1500; i++) {
      const src = STREAMS[Math.floor(r() * STREAMS.length)];
      const b = encodeStream(src).slice(0, 16 + 16 * 40);
      new DataView(b.buffer).setUint32(12, (b.length - 16) / 16, true);
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const bytes = r() < 0.1 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      try {
        const d = decodeStream(bytes);
        expect(encodeStream(d)).toEqual(bytes);
        accepted++;
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(PimError);
        expect((e as PimError).code).toBe('E_PARSE');
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(10);
  });
  it('fuzzed text streams parse to valid streams or are rejected with a PimError', () => {
    const r = rng(7);
    const lines = printStream(STREAMS[1]).split('\n').slice(0, 60);
    const junk = ['MACAB', 'col=', 'row=99999', 'acc=200', '+', '=', ' ', 'x', '9', 'slot=1', 'WRGB', 'bank=3'];
    let rejected = 0;
    for (let i = 0; i < 800; i++) {
      const l = lines.slice();
      const at = 1 + Math.floor(r() * (l.length - 1));
      const pos = Math.floor(r() * (l[at].length + 1));
      l[at] = r() < 0.5 ? l[at].slice(0, pos) + junk[Math.floor(r() * junk.length)] + l[at].slice(pos) : l[at].slice(0, pos) + l[at].slice(pos + 1 + Math.floor(r() * 4));
      try {
        const s = parseStream(l.join('\n'));
        expect(parseStream(printStream(s))).toEqual(s);
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(PimError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(250);
  });
});
