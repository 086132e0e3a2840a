import { describe, expect, it } from 'vitest';
import { encodeNpy, npyName, parseNpy } from '../../src/runtime/npy.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { TsccError } from '../../src/util/errors.ts';
import type { DType } from '../../src/ir/graph/dtype.ts';

describe('.npy', () => {
  const dtypes: DType[] = ['f32', 'f64', 'f16', 'i64', 'i32', 'i16', 'i8', 'u8', 'u16', 'u32', 'u64', 'bool'];
  for (const d of dtypes) {
    it(`round-trips ${d}`, () => {
      const t = randomTensor(d, [2, 3, 5], 7, -50, 50);
      const back = parseNpy(encodeNpy(t));
      expect(back.dtype).toBe(d);
      expect(back.shape).toEqual([2, 3, 5]);
      expect(back.toNumbers()).toEqual(t.toNumbers());
    });
  }
  it('writes headers padded to 64 bytes, as NumPy does', () => {
    const bytes = encodeNpy(Tensor.fromNumbers('f32', [3], [1, 2, 3]));
    const headerLen = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLen))).toContain("'shape': (3,)");
  });
  it('reads Fortran-order and big-endian arrays', () => {
    const header = (descr: string, fortran: boolean, shape: string) => {
      let h = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
      h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
      const out = new Uint8Array(10 + h.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
      out.set(new TextEncoder().encode(h), 10);
      return out;
    };
    // 2x3 matrix [[1,2,3],[4,5,6]] stored column-major: 1 4 2 5 3 6
    const h = header('<i4', true, '(2, 3)');
    const data = new Int32Array([1, 4, 2, 5, 3, 6]);
    const f = new Uint8Array(h.length + 24); f.set(h); f.set(new Uint8Array(data.buffer), h.length);
    expect(parseNpy(f).toNumbers()).toEqual([1, 2, 3, 4, 5, 6]);
    const hb = header('>f4', false, '(2,)');
    const be = new Uint8Array(hb.length + 8); be.set(hb);
    new DataView(be.buffer).setFloat32(hb.length, 1.5, false); new DataView(be.buffer).setFloat32(hb.length + 4, -2, false);
    expect(parseNpy(be).toNumbers()).toEqual([1.5, -2]);
  });
  it('rejects bad files with coded errors', () => {
    for (const bad of [new Uint8Array(0), new TextEncoder().encode('hello world, not numpy'), encodeNpy(Tensor.fromNumbers('f32', [4], [1, 2, 3, 4])).subarray(0, 80)]) {
      expect(() => parseNpy(bad, 'x.npy')).toThrow(TsccError);
    }
  });
  it('maps output names to safe file names', () => {
    expect(npyName('softmax_0.tmp_0')).toBe('softmax_0.tmp_0.npy');
    expect(npyName('out/1:0')).toBe('out_1_0.npy');
  });
});
