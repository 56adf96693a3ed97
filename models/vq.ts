// The codebook's learning rule, outside the gradient: exponential moving averages of how often each
// code is chosen and of the encoder outputs assigned to it (VQ-VAE-2 / "EMA codebook"), plus restarts
// of dead codes onto recent encoder outputs so every code keeps a meaning. Plain arrays: N*D is tiny.

export interface EmaCodebookOptions {
  size: number;
  dim: number;
  /** EMA decay per update. */
  decay: number;
  /** A code whose EMA share of assignments falls below this (relative to 1/N) is restarted. */
  deadShare: number;
}

export interface CodeUsage {
  /** Assignments per code in this batch. */
  counts: number[];
  /** exp(entropy) of the batch's code distribution: N when all codes are used equally, 1 when one is. */
  perplexity: number;
  /** Codes used at least once in this batch. */
  used: number;
}

export function codeUsage(codes: ArrayLike<number>, size: number): CodeUsage {
  const counts = new Array<number>(size).fill(0);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  let h = 0;
  for (const c of counts) if (c > 0) { const p = c / codes.length; h -= p * Math.log(p); }
  return { counts, perplexity: Math.exp(h), used: counts.filter((c) => c > 0).length };
}

export class EmaCodebook {
  readonly emaCounts: Float64Array;
  readonly emaSums: Float64Array;

  constructor(readonly opts: EmaCodebookOptions, readonly codebook: Float32Array) {
    if (codebook.length !== opts.size * opts.dim) throw new Error('EmaCodebook: codebook size mismatch');
    // Start as if each code had been chosen once, at its current position.
    this.emaCounts = new Float64Array(opts.size).fill(1);
    this.emaSums = Float64Array.from(codebook);
  }

  /** One EMA step from a batch of encoder outputs `z` [B*D] and their nearest codes. */
  update(z: Float32Array, codes: Int32Array): void {
    const { size, dim, decay } = this.opts;
    const counts = new Float64Array(size);
    const sums = new Float64Array(size * dim);
    for (let i = 0; i < codes.length; i++) {
      const k = codes[i];
      counts[k]++;
      for (let d = 0; d < dim; d++) sums[k * dim + d] += z[i * dim + d];
    }
    for (let k = 0; k < size; k++) {
      this.emaCounts[k] = decay * this.emaCounts[k] + (1 - decay) * counts[k];
      for (let d = 0; d < dim; d++) this.emaSums[k * dim + d] = decay * this.emaSums[k * dim + d] + (1 - decay) * sums[k * dim + d];
    }
    // Laplace smoothing keeps rarely used codes from dividing by ~0.
    const total = this.emaCounts.reduce((a, b) => a + b, 0);
    const eps = 1e-5;
    for (let k = 0; k < size; k++) {
      const n = ((this.emaCounts[k] + eps) / (total + size * eps)) * total;
      for (let d = 0; d < dim; d++) this.codebook[k * dim + d] = this.emaSums[k * dim + d] / n;
    }
  }

  /**
   * Move codes whose EMA share is below deadShare/N onto encoder outputs of this batch (chosen by
   * `random`, which returns [0,1)), preferring outputs far from their current code. Returns the restarted codes.
   */
  restartDead(z: Float32Array, codes: Int32Array, random: () => number): number[] {
    const { size, dim, deadShare } = this.opts;
    const total = this.emaCounts.reduce((a, b) => a + b, 0);
    const restarted: number[] = [];
    const batch = codes.length;
    if (batch === 0) return restarted;
    // Distance of each sample to its assigned code: the worst-served samples seed the new codes.
    const dist = new Float64Array(batch);
    for (let i = 0; i < batch; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) { const v = z[i * dim + d] - this.codebook[codes[i] * dim + d]; s += v * v; }
      dist[i] = s;
    }
    const order = Array.from({ length: batch }, (_, i) => i).sort((a, b) => dist[b] - dist[a]);
    let next = 0;
    for (let k = 0; k < size; k++) {
      if (this.emaCounts[k] / total >= deadShare / size) continue;
      // Take one of the worst-served samples (some randomness so two dead codes differ).
      const pick = order[Math.min(batch - 1, next + Math.floor(random() * Math.min(4, batch)))];
      next++;
      const mean = total / size;
      for (let d = 0; d < dim; d++) {
        const v = z[pick * dim + d] + 0.01 * (random() - 0.5);
        this.codebook[k * dim + d] = v;
        this.emaSums[k * dim + d] = v * mean;
      }
      this.emaCounts[k] = mean;
      restarted.push(k);
    }
    return restarted;
  }

  /** Replace the codebook (e.g. by k-means centres) and restart the averages from it. */
  reinit(centres: Float32Array, counts: number[]): void {
    this.codebook.set(centres);
    const total = counts.reduce((a, b) => a + b, 0);
    for (let k = 0; k < this.opts.size; k++) {
      const n = Math.max(1e-3, (counts[k] / Math.max(1, total)) * this.opts.size);
      this.emaCounts[k] = n;
      for (let d = 0; d < this.opts.dim; d++) this.emaSums[k * this.opts.dim + d] = centres[k * this.opts.dim + d] * n;
    }
  }

  /** State for a checkpoint (the codebook itself is saved with the model). */
  state(): { emaCounts: number[]; emaSums: number[] } {
    return { emaCounts: Array.from(this.emaCounts), emaSums: Array.from(this.emaSums) };
  }

  loadState(s: { emaCounts: number[]; emaSums: number[] }): void {
    if (s.emaCounts.length !== this.emaCounts.length || s.emaSums.length !== this.emaSums.length) throw new Error('EmaCodebook: state size mismatch');
    this.emaCounts.set(s.emaCounts);
    this.emaSums.set(s.emaSums);
  }
}

/**
 * k-means++ seeding and Lloyd iterations over `n` rows of `z` (n*dim): `k` centres (k*dim) and the
 * count of rows nearest each. Used to place the codebook on real encoder outputs.
 */
export function kmeans(z: Float32Array, dim: number, k: number, iterations: number, random: () => number): { centres: Float32Array; counts: number[] } {
  const n = z.length / dim;
  if (n < k) throw new Error(`kmeans: ${n} rows for ${k} centres`);
  const centres = new Float32Array(k * dim);
  const d2 = new Float64Array(n).fill(Infinity);
  const dist = (i: number, c: number) => { let s = 0; for (let d = 0; d < dim; d++) { const v = z[i * dim + d] - centres[c * dim + d]; s += v * v; } return s; };
  let pick = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centres.set(z.subarray(pick * dim, (pick + 1) * dim), c * dim);
    let total = 0;
    for (let i = 0; i < n; i++) { d2[i] = Math.min(d2[i], dist(i, c)); total += d2[i]; }
    let r = random() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) { r -= d2[i]; if (r <= 0) { pick = i; break; } }
  }
  const assign = new Int32Array(n);
  let counts = new Array<number>(k).fill(0);
  for (let it = 0; it < iterations; it++) {
    counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) {
      let best = 0, bestD = Infinity;
      for (let c = 0; c < k; c++) { const v = dist(i, c); if (v < bestD) { bestD = v; best = c; } }
      assign[i] = best; counts[best]++;
    }
    const sums = new Float64Array(k * dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) sums[assign[i] * dim + d] += z[i * dim + d];
    for (let c = 0; c < k; c++) if (counts[c] > 0) for (let d = 0; d < dim; d++) centres[c * dim + d] = sums[c * dim + d] / counts[c];
  }
  return { centres, counts };
}
