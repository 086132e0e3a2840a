// How far the sequential fit's least-squares shift w' = w + w E (H̃ + λI)⁻¹ may move a layer's weights,
// chosen per layer by 2-fold validation over the calibration samples (FitOptions.validateShift).
//
// Why: the shift compensates the upstream error the quantized model feeds the layer, but it is a
// least-squares fit of m columns to the sampled patches, and PP-OCR det's deep layers see few of them
// (384 + 1 columns at 6×6 or 12×12: 576–2,304 patches from 16 pages) — there it fits the
// calibration pages' noise and loses end to end (det bf16: skipping the shift below 4 patches per
// column, FitOptions.minPatchesForShift, gained 0.4 dB held-out), while on PP-OCR cls the same rule
// cost 2.8 dB (its squeeze-excitation convs see 32 pooled vectors, and their shift generalizes). A
// patch count cannot tell the two apart; a held-back half of the samples can: fit the shift on one
// half for each candidate λ (or none), score it on the other half, both ways, keep the best.
//
// The score of weights v on moments (H̃, E) is Σ_rows v H̃ vᵀ − 2 (w E + w H̃) vᵀ — the validation
// half's Σ ‖w x − v x̃‖² up to a constant (Σ x x̃ᵀ = H̃ + E) — computed from moments alone.
import type { Moments } from './moments.ts';

/** Shift dampening candidates, as multiples of the GPTQ dampening (Infinity: no shift). */
export const SHIFT_DAMP_STEPS: readonly number[] = [1, 10, 100, Infinity];

/** Moments of two halves summed (the same patches as one pass over both, summed in another order). */
export function addMoments(a: Moments, b: Moments): Moments {
  const add = (x: Float64Array, y: Float64Array) => x.map((v, i) => v + y[i]);
  return {
    h: add(a.h, b.h), e: a.e && b.e ? add(a.e, b.e) : null,
    we: a.we && b.we ? a.we.map((r, i) => add(r, b.we![i])) : undefined, count: a.count + b.count,
  };
}

/**
 * The shift dampening (a multiple of `damp` from SHIFT_DAMP_STEPS; Infinity = no shift) whose shift,
 * fitted on one half and scored on the other, scores best summed over both ways. `shift(rows, we, h,
 * damp)` is the fit's own shift (weight-fit.ts), so the candidates are exactly what it would apply;
 * `weOf(half)` is w E per row on that half's moments.
 */
export function chooseShiftDamp(a: Moments, b: Moments, rows: readonly Float64Array[], m: number, damp: number,
  shift: (rows: readonly Float64Array[], we: readonly Float64Array[], h: Float64Array, damp: number) => Float64Array[],
  weOf: (half: Moments) => readonly Float64Array[]): number {
  const folds = [[a, b], [b, a]] as const;
  const we = new Map(folds.map(([t]) => [t, weOf(t)]));
  let best = Infinity, bestScore = Infinity;
  for (const step of SHIFT_DAMP_STEPS) {
    let s = 0;
    for (const [train, check] of folds) {
      const v = step === Infinity ? rows : shift(rows, we.get(train)!, train.h, damp * step);
      s += score(v, rows, we.get(check)!, check.h, m);
    }
    if (s < bestScore) { bestScore = s; best = step; }
  }
  return best === Infinity ? Infinity : damp * best;
}

/** Σ_rows v H vᵀ − 2 (w E + w H) vᵀ: Σ ‖w x − v x̃‖² on the moments' patches, up to a constant. */
function score(vs: readonly Float64Array[], ws: readonly Float64Array[], we: readonly Float64Array[], h: Float64Array, m: number): number {
  let s = 0;
  vs.forEach((v, r) => {
    const w = ws[r];
    for (let i = 0; i < m; i++) {
      let hv = 0, hw = 0;
      for (let j = 0; j < m; j++) { hv += h[i * m + j] * v[j]; hw += h[i * m + j] * w[j]; }
      s += v[i] * hv - 2 * v[i] * (we[r][i] + hw);
    }
  });
  return s;
}
