// Dense symmetric positive-definite helpers for weight-rounding.ts and weight-fit.ts (row-major n×n
// Float64Arrays). The loops are arranged for speed (independent sums side by side, rows read
// contiguously), but every entry is the same sequence of operations as the textbook loop — the
// sum over k in increasing order — so the results are bit-identical to it.

/** Lower-triangular L with a = L Lᵀ. Throws when a is not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  // Column by column: L[i][j] = (a[i][j] − Σ_{k<j} L[i][k] L[j][k]) / L[j][j] for every row i > j
  // reads only finished columns, so four rows run side by side sharing the loads of row j.
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= l[rj + k] * l[rj + k];
    if (!(s > 0)) throw new Error(`cholesky: matrix not positive definite at ${j} (${s})`);
    const d = Math.sqrt(s);
    l[rj + j] = d;
    let i = j + 1;
    for (; i + 4 <= n; i += 4) {
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let s0 = a[r0 + j], s1 = a[r1 + j], s2 = a[r2 + j], s3 = a[r3 + j];
      for (let k = 0; k < j; k++) {
        const x = l[rj + k];
        s0 -= l[r0 + k] * x; s1 -= l[r1 + k] * x; s2 -= l[r2 + k] * x; s3 -= l[r3 + k] * x;
      }
      l[r0 + j] = s0 / d; l[r1 + j] = s1 / d; l[r2 + j] = s2 / d; l[r3 + j] = s3 / d;
    }
    for (; i < n; i++) {
      const ri = i * n;
      let s0 = a[ri + j];
      for (let k = 0; k < j; k++) s0 -= l[ri + k] * l[rj + k];
      l[ri + j] = s0 / d;
    }
  }
  return l;
}

/** (L Lᵀ)⁻¹ from the lower Cholesky factor L. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // Invert L (lower), then A⁻¹ = L⁻ᵀ L⁻¹. L⁻¹ is kept transposed (t[j][k] = L⁻¹[k][j], zero for
  // k < j) so both loops read rows.
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n, d = l[ri + i];
    t[ri + i] = 1 / d;
    // L⁻¹[i][j] = −Σ_{k=j}^{i−1} L[i][k] L⁻¹[k][j] / L[i][i]. Rows j..j+3 share the k loop from j:
    // the terms below a row's own start multiply a zero of t (adding ±0 leaves a sum unchanged).
    let j = 0;
    for (; j + 4 <= i; j += 4) {
      const t0 = j * n, t1 = t0 + n, t2 = t1 + n, t3 = t2 + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = j; k < i; k++) {
        const x = l[ri + k];
        s0 -= x * t[t0 + k]; s1 -= x * t[t1 + k]; s2 -= x * t[t2 + k]; s3 -= x * t[t3 + k];
      }
      t[t0 + i] = s0 / d; t[t1 + i] = s1 / d; t[t2 + i] = s2 / d; t[t3 + i] = s3 / d;
    }
    for (; j < i; j++) {
      const tj = j * n;
      let s = 0;
      for (let k = j; k < i; k++) s -= l[ri + k] * t[tj + k];
      t[tj + i] = s / d;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ti = i * n;
    let j = 0;
    for (; j + 4 <= i + 1; j += 4) {
      const t0 = j * n, t1 = t0 + n, t2 = t1 + n, t3 = t2 + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = i; k < n; k++) {
        const x = t[ti + k];
        s0 += x * t[t0 + k]; s1 += x * t[t1 + k]; s2 += x * t[t2 + k]; s3 += x * t[t3 + k];
      }
      inv[ti + j] = s0; inv[ti + j + 1] = s1; inv[ti + j + 2] = s2; inv[ti + j + 3] = s3;
      inv[t0 + i] = s0; inv[t1 + i] = s1; inv[t2 + i] = s2; inv[t3 + i] = s3;
    }
    for (; j <= i; j++) {
      const tj = j * n;
      let s = 0;
      for (let k = i; k < n; k++) s += t[ti + k] * t[tj + k];
      inv[ti + j] = s;
      inv[tj + i] = s;
    }
  }
  return inv;
}
