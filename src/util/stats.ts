// Small statistics shared by the measurers, the tuner and the benches.

/** The median of a list (the upper one of the middle two for an even count); the input is not changed. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}
