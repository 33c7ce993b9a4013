/**
 * Dense symmetric solves for the bss_eval projections: Cholesky first (the Gram matrices are
 * symmetric positive definite unless references are linearly dependent), LU with partial pivoting
 * (what numpy.linalg.solve uses) when Cholesky meets a non-positive pivot. Row-major Float64Array.
 */

export interface Factorization {
  solve(b: Float64Array): Float64Array;
}

/** In-place lower Cholesky factor (upper triangle left as is). Returns false if not positive definite. */
function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j];
      let k = 0;
      // Unrolled dot product of rows i and j (both contiguous): the hot loop of the whole metric.
      for (; k + 4 <= j; k += 4) {
        s -= a[ri + k] * a[rj + k] + a[ri + k + 1] * a[rj + k + 1] + a[ri + k + 2] * a[rj + k + 2] + a[ri + k + 3] * a[rj + k + 3];
      }
      for (; k < j; k++) s -= a[ri + k] * a[rj + k];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return false;
        a[ri + i] = Math.sqrt(s);
      } else {
        a[ri + j] = s / a[rj + j];
      }
    }
  }
  return true;
}

function luInPlace(a: Float64Array, n: number): Int32Array | null {
  const piv = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    piv[k] = p;
    if (best === 0) return null;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
    }
    const d = a[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] /= d);
      if (f === 0) continue;
      const ri = i * n, rk = k * n;
      for (let j = k + 1; j < n; j++) a[ri + j] -= f * a[rk + j];
    }
  }
  return piv;
}

/** Factor the symmetric matrix `a` (n x n, row-major); `a` is consumed. Null when it is singular. */
export function factorSymmetric(a: Float64Array, n: number): Factorization | null {
  const copy = Float64Array.from(a);
  if (choleskyInPlace(a, n)) {
    const l = a;
    return {
      solve(b) {
        const y = Float64Array.from(b);
        for (let i = 0; i < n; i++) {
          let s = y[i];
          const ri = i * n;
          for (let k = 0; k < i; k++) s -= l[ri + k] * y[k];
          y[i] = s / l[ri + i];
        }
        for (let i = n - 1; i >= 0; i--) {
          let s = y[i];
          for (let k = i + 1; k < n; k++) s -= l[k * n + i] * y[k];
          y[i] = s / l[i * n + i];
        }
        return y;
      },
    };
  }
  const piv = luInPlace(copy, n);
  if (!piv) return null;
  const lu = copy;
  return {
    solve(b) {
      const y = Float64Array.from(b);
      for (let k = 0; k < n; k++) {
        const p = piv[k];
        if (p !== k) {
          const t = y[k];
          y[k] = y[p];
          y[p] = t;
        }
      }
      for (let i = 0; i < n; i++) {
        let s = y[i];
        const ri = i * n;
        for (let k = 0; k < i; k++) s -= lu[ri + k] * y[k];
        y[i] = s;
      }
      for (let i = n - 1; i >= 0; i--) {
        let s = y[i];
        const ri = i * n;
        for (let k = i + 1; k < n; k++) s -= lu[ri + k] * y[k];
        y[i] = s / lu[ri + i];
      }
      return y;
    },
  };
}
