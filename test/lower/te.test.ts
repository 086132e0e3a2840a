// The tensor-expression layer on its own: placeholders, computes that inline, reductions that become
// init + update nests, epilogues stored in place, and identifiers that stay valid Tensor IR names.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { add, call, f32, max, mul } from '../../src/ir/tensor/expr.ts';
import { runFunc } from '../../src/ir/tensor/interp/run.ts';
import { printFunc } from '../../src/ir/tensor/print.ts';
import { parseFunc } from '../../src/ir/tensor/text/parser.ts';
import { verifyFunc } from '../../src/ir/tensor/verify.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { buildFunc } from '../../src/lower/build.ts';
import { BufferNames, sanitize } from '../../src/lower/names.ts';
import { Te, reduce } from '../../src/lower/te.ts';

function matmulRelu(te: Te, M: number, K: number, N: number) {
  const a = te.placeholder('A', 'f32', [M, K]), b = te.placeholder('B', 'f32', [K, N]);
  const c = te.compute('C', [M, N], ([i, j]) => {
    const k = te.reduceAxis(K, 'k');
    return reduce('sum', [k], mul(a.at([i, k.v]), b.at([k.v, j])));
  });
  return te.compute('relu', [M, N], (ix) => max(c.at(ix), f32(0)));
}

describe('te', () => {
  it('a reduction with an element-wise epilogue is one nest over the output, no buffer in between', () => {
    const te = new Te();
    const func = buildFunc(te, 'mm', [{ tensor: matmulRelu(te, 3, 4, 5), name: 'Y', dtype: 'f32' }]);
    verifyFunc(func);
    expect(printFunc(func)).toBe([
      'func mm(A: f32[3, 4], B: f32[4, 5]) -> (Y: f32[3, 5]) {',
      '  for i0 in range(0, 3) {',
      '    for i1 in range(0, 5) {',
      '      Y[i0, i1] = 0.0;',
      '      for rk in range(0, 4) {',
      '        Y[i0, i1] = Y[i0, i1] + A[i0, rk] * B[rk, i1];',
      '      }',
      '      Y[i0, i1] = max(Y[i0, i1], 0.0);',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'));
    const A = randomTensor('f32', [3, 4], 1), B = randomTensor('f32', [4, 5], 2);
    const [Y] = runFunc(func, [A, B]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s = Math.fround(s + Math.fround(A.data[i * 4 + k] as number * (B.data[k * 5 + j] as number)));
        expect(Y.data[i * 5 + j]).toBe(Math.max(s, 0));
      }
    }
  });

  it('a reduction read at another index is materialized in a local buffer', () => {
    const te = new Te();
    const x = te.placeholder('x', 'f32', [4]);
    const total = te.compute('total', [], () => { const k = te.reduceAxis(4); return reduce('sum', [k], x.at([k.v])); });
    const share = te.compute('share', [4], ([i]) => mul(x.at([i]), total.at([])));
    const func = buildFunc(te, 'share', [{ tensor: share, name: 'y', dtype: 'f32' }]);
    verifyFunc(func);
    expect(printFunc(func)).toContain('alloc total: f32[] local {');
    const [y] = runFunc(func, [Tensor.fromNumbers('f32', [4], [1, 2, 3, 4])]);
    expect([...y.data]).toEqual([10, 20, 30, 40]);
  });

  it('outputs stored as another type are cast, and unused placeholders are not parameters', () => {
    const te = new Te();
    const x = te.placeholder('x', 'f32', [2]);
    te.placeholder('unused', 'f32', [2]);
    te.reserveOutput('y'); // the output keeps its name although a compute is called y too
    const y = te.compute('y', [2], ([i]) => call('floor', [add(x.at([i]), f32(0.5))]));
    const func = buildFunc(te, 'f', [{ tensor: y, name: 'y', dtype: 'i32' }]);
    expect(func.inputs.map((b) => b.name)).toEqual(['x']);
    expect(printFunc(func)).toContain('y[i0] = i32(floor(x[i0] + 0.5));');
    expect([...runFunc(func, [Tensor.fromNumbers('f32', [2], [1.2, 2.7])])[0].data]).toEqual([1, 3]);
  });
});

describe('names', () => {
  it('graph value names become identifiers that are not keywords, types or loop variables', () => {
    expect(sanitize('/layer1/conv/Conv_output_0')).toBe('layer1_conv_Conv_output_0');
    expect(sanitize('onnx::Add_7')).toBe('onnx_Add_7');
    expect(sanitize('0')).toBe('v0');
    expect(sanitize('f32')).toBe('f32_');
    expect(sanitize('exp')).toBe('exp_');
    expect(sanitize('i0')).toBe('i0_');
    expect(sanitize('')).toBe('v');
  });
  it('every name handed out in one function is unique, buffers and loop variables alike', () => {
    const n = new BufferNames();
    expect([n.take('x'), n.take('x'), n.takeVar('rk'), n.takeVar('rk'), n.take('rk')]).toEqual(['x', 'x_1', 'rk', 'rk_1', 'rk_2']);
  });
  it('odd value names print and parse back', () => {
    const te = new Te();
    const x = te.placeholder('input.1', 'f32', [2]);
    const func = buildFunc(te, 'f', [{ tensor: te.compute('y', [2], ([i]) => x.at([i])), name: 'for', dtype: 'f32' }]);
    const text = printFunc(func);
    expect(printFunc(parseFunc(text))).toBe(text);
  });
});
