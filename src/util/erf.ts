// The error function, accurate to ~1e-15 (Abramowitz–Stegun 7.1.26 is only ~1e-7, too coarse to
// compare kernels at 1e-5). Shared by interpreters that must not depend on each other.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export function erf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (ax < 2.5) {
    // Maclaurin series: converges quickly for small |x|.
    let sum = x, term = x;
    const x2 = x * x;
    for (let k = 1; k < 100; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  // erfc by its continued fraction (Lentz) for large |x|, where the series cancels badly.
  let f = ax, C = ax, D = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    D = 1 / (ax + a * D);
    C = ax + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
}
