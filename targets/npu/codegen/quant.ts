// Dynamic int8 activation scales: before an int8 layer each core streams the activation through the
// vector unit's vec.amax, leaving max|x| in a scale register; vec.quant divides by it (×127) and
// vec.mvout multiplies it back. No calibration data, no clipping of outliers.
import type { Emitter } from './emitter.ts';

const CHUNK = 4096;

/** Scans a 2-D strided f16 view (counts/strides innermost first) into scale register `reg`. */
export function emitAmax(e: Emitter, core: number, reg: number, addr: number, n: readonly number[], s: readonly number[]): void {
  const inner = n[0], outer = n[1] ?? 1, si = s[0], so = s[1] ?? 0;
  const mark = e.spadMark(core);
  if (inner <= CHUNK) {
    const rows = Math.max(1, Math.min(outer, Math.floor(CHUNK / inner)));
    const buf = e.spad(core, rows * inner * 2);
    for (let r = 0; r < outer; r += rows) {
      const rn = Math.min(rows, outer - r);
      e.load(core, 'f16', addr + r * so * 2, buf, [inner, rn], [si, so]);
      e.amax(core, reg, buf, rn, inner, r === 0);
    }
  } else {
    const buf = e.spad(core, CHUNK * 2);
    let first = true;
    for (let r = 0; r < outer; r++) {
      for (let c = 0; c < inner; c += CHUNK) {
        const cn = Math.min(CHUNK, inner - c);
        e.load(core, 'f16', addr + (r * so + c * si) * 2, buf, [cn], [si]);
        e.amax(core, reg, buf, 1, cn, first);
        first = false;
      }
    }
  }
  e.spadRelease(core, mark);
}
