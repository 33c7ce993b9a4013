/** Mono mixdown as mir_eval and the models use it: the mean of the channels. */
export function toMono(channels: ArrayLike<number>[]): Float32Array {
  if (channels.length === 0) return new Float32Array(0);
  const n = channels[0].length;
  const out = new Float32Array(n);
  if (channels.length === 1) {
    for (let i = 0; i < n; i++) out[i] = channels[0][i];
    return out;
  }
  const inv = 1 / channels.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const c of channels) s += c[i];
    out[i] = s * inv;
  }
  return out;
}
