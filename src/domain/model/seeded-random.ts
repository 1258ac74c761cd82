/**
 * Seeded batch order and replay selection: xoroshiro128+ from pure-rand, as the data split uses, so the
 * same seed gives the same order on every machine (tfjs shuffles with Math.random, which cannot be seeded).
 */
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';

/** Mixes a base seed with a stream number (epoch, purpose) so each gets its own independent sequence. */
export function deriveSeed(seed: number, stream: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
}

/** 0..n-1 in a seeded random order (Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rng = xoroshiro128plus(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = unsafeUniformIntDistribution(0, i, rng);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
