// Small kernels in the Tensor IR's text form, the "Before" side of the schedule golden tests. They
// are written by hand (not lowered) so that the goldens change only when a schedule step does.

export const MATMUL = `
func matmul(A: f32[8, 6], B: f32[6, 12]) -> (C: f32[8, 12]) {
  for i in range(0, 8) {
    for j in range(0, 12) {
      C[i, j] = 0.0;
      for k in range(0, 6) {
        C[i, j] = C[i, j] + A[i, k] * B[k, j];
      }
    }
  }
}`;

export const MATMUL_64 = `
func matmul64(A: f32[16, 16], B: f32[16, 16]) -> (C: f32[16, 16]) {
  for i in range(0, 16) {
    for j in range(0, 16) {
      C[i, j] = 0.0;
      for k in range(0, 16) {
        C[i, j] = C[i, j] + A[i, k] * B[k, j];
      }
    }
  }
}`;

/** Init and update in separate nests, so i, j, k form one perfect band. */
export const MATMUL_SPLIT_INIT = `
func matmul_nest(A: f32[4, 6], B: f32[6, 5]) -> (C: f32[4, 5]) {
  for i in range(0, 4) {
    for j in range(0, 5) {
      C[i, j] = 0.0;
    }
  }
  for i2 in range(0, 4) {
    for j2 in range(0, 5) {
      for k in range(0, 6) {
        C[i2, j2] = C[i2, j2] + A[i2, k] * B[k, j2];
      }
    }
  }
}`;

/** C = A · Bᵀ: B is indexed [n, k], which matmul_tile cannot take. */
export const MATMUL_BT = `
func matmul_bt(A: f32[4, 6], B: f32[5, 6]) -> (C: f32[4, 5]) {
  for i in range(0, 4) {
    for j in range(0, 5) {
      C[i, j] = 0.0;
      for k in range(0, 6) {
        C[i, j] = C[i, j] + A[i, k] * B[j, k];
      }
    }
  }
}`;

/** A row loop with a store outside its inner loop. */
export const ROWS = `
func rows(X: f32[4, 8]) -> (Y: f32[4, 8], S: f32[4]) {
  for i in range(0, 4) {
    S[i] = X[i, 0];
    for j in range(0, 8) {
      Y[i, j] = X[i, j] * 2.0;
    }
  }
}`;

export const ADD = `
func add(X: f32[6, 10], Y: f32[6, 10]) -> (Z: f32[6, 10]) {
  for i in range(0, 6) {
    for j in range(0, 10) {
      Z[i, j] = X[i, j] + Y[i, j];
    }
  }
}`;

/** Two element-wise stages through an intermediate. */
export const SCALE_ADD = `
func scale_add(X: f32[4, 8], Y: f32[4, 8]) -> (Z: f32[4, 8]) {
  alloc T: f32[4, 8] local {
    for i in range(0, 4) {
      for j in range(0, 8) {
        T[i, j] = X[i, j] * 2.0;
      }
    }
    for p in range(0, 4) {
      for q in range(0, 8) {
        Z[p, q] = T[p, q] + Y[p, q];
      }
    }
  }
}`;

export const SOFTMAX = `
func softmax(X: f32[2, 5]) -> (Y: f32[2, 5]) {
  alloc row_max: f32[2, 1] local {
    alloc row_sum: f32[2, 1] local {
      for i in range(0, 2) {
        row_max[i, 0] = -inf;
        for r in range(0, 5) {
          row_max[i, 0] = max(row_max[i, 0], X[i, r]);
        }
      }
      for i2 in range(0, 2) {
        row_sum[i2, 0] = 0.0;
        for r2 in range(0, 5) {
          row_sum[i2, 0] = row_sum[i2, 0] + exp(X[i2, r2] - row_max[i2, 0]);
        }
      }
      for i3 in range(0, 2) {
        for j in range(0, 5) {
          Y[i3, j] = exp(X[i3, j] - row_max[i3, 0]) / row_sum[i3, 0];
        }
      }
    }
  }
}`;

export const DOT = `
func dot(X: f32[4, 16], W: f32[16]) -> (Y: f32[4]) {
  for r in range(0, 4) {
    alloc lanes: f32[16] local {
      for l in range(0, 16) {
        lanes[l] = 0.0;
      }
      for l2 in range(0, 16) {
        lanes[l2] = lanes[l2] + X[r, l2] * W[l2];
      }
      Y[r] = 0.0;
      for l3 in range(0, 16) {
        Y[r] = Y[r] + lanes[l3];
      }
    }
  }
}`;

/** A 3×3 convolution with padding 1 and stride 2. */
export const CONV = `
func conv(X: f32[1, 2, 7, 7], W: f32[3, 2, 3, 3]) -> (Y: f32[1, 3, 4, 4]) {
  for m in range(0, 3) {
    for oh in range(0, 4) {
      for ow in range(0, 4) {
        Y[0, m, oh, ow] = 0.0;
        for c in range(0, 2) {
          for kh in range(0, 3) {
            for kw in range(0, 3) {
              Y[0, m, oh, ow] = Y[0, m, oh, ow] + select(oh * 2 + kh - 1 >= 0 && oh * 2 + kh - 1 < 7 && ow * 2 + kw - 1 >= 0 && ow * 2 + kw - 1 < 7, X[0, c, min(max(oh * 2 + kh - 1, 0), 6), min(max(ow * 2 + kw - 1, 0), 6)], 0.0) * W[m, c, kh, kw];
            }
          }
        }
      }
    }
  }
}`;
