// One predicted frame on two cores (Node only): the main thread decodes the top band of cell rows and
// a worker thread, with its own WebAssembly backend and a copy of the weights, the bottom band, each
// through play/fast-decoder.ts (a band plus the halo its convolutions need, so the pixels are the
// whole decoder's). Single-threaded WebAssembly leaves the second core idle otherwise.
//
// The threads meet through shared memory, not messages: the main thread writes a request (reset,
// push or predict) and the frames, wakes the worker with Atomics.notify, does its own half, then
// Atomics.wait-s for the worker's half, so NeuralGame.step stays synchronous. A pushed frame waits
// until the next predict, where both threads take it in (in parallel, as the rest).
import type { LatentActionConfig, LatentActionModel } from '../models/latent-action';
import { startTsWorker } from '../models/ts-worker';
import { allCellRows, type CellRows, FastDecoder, type FrameDecoder } from './fast-decoder';

/**
 * Slots of the control array. PUSH_FIRST: a predict request whose frame-buffer slot 0 holds a frame to
 * push first; FAILED: the byte length of the worker's error message (0: none).
 */
const REQUEST = 0, OP = 1, CODE = 2, PUSH_FIRST = 3, DONE = 4, FAILED = 5;
const CONTROL_SLOTS = 6;
const ERROR_BYTES = 1024;
const Op = { Reset: 1, Push: 2, Predict: 3, Exit: 4 } as const;

/** What the worker gets at start (split-decoder-worker.ts). */
export interface SplitWorkerData {
  config: LatentActionConfig;
  /** LatentActionModel.namedWeights() as plain arrays (the codebook included). */
  weights: { name: string; shape: number[]; values: Float32Array }[];
  band: CellRows;
  control: SharedArrayBuffer;
  /** K class frames in (reset, push), the predicted frame out. */
  frames: SharedArrayBuffer;
  /** The worker's error message, UTF-8. */
  error: SharedArrayBuffer;
}

/** Longest wait for the worker's half before giving up (a dead worker must not hang the game). */
const TIMEOUT_MS = 10_000;

export class SplitDecoder implements FrameDecoder {
  private readonly control: Int32Array;
  private readonly frames: Uint8Array;
  private readonly error: Uint8Array;
  private readonly pixels: number;
  /** Frame pixels from here on are the worker's. */
  private readonly workerFrom: number;
  private request = 0;
  /** A pushed frame neither band has taken in yet (it also waits in the shared buffer). */
  private pending: Uint8Array | null = null;
  private closed = false;

  private constructor(private readonly local: FastDecoder, data: SplitWorkerData) {
    this.control = new Int32Array(data.control);
    this.frames = new Uint8Array(data.frames);
    this.error = new Uint8Array(data.error);
    this.pixels = data.config.height * data.config.width;
    this.workerFrom = local.pixelRange()[1];
  }

  /** Whether a model can be split (the fused decoder's layout and at least two band rows each). */
  static supports(model: LatentActionModel): boolean {
    return FastDecoder.supports(model) && allCellRows(model).to >= 4;
  }

  /** Starts the worker (it loads its backend and weights) and resolves once it is ready. */
  static async start(model: LatentActionModel): Promise<SplitDecoder> {
    if (!SplitDecoder.supports(model)) throw new Error('SplitDecoder: the model has no fused-decoder layout');
    const cfg = model.config;
    const rows = allCellRows(model).to;
    // About half each; the bottom band (ball, paddle) changes most between frames, so its pushes cost
    // more and the worker gets two rows fewer (measured fastest on two cores).
    const cut = 2 * Math.ceil(rows / 4);
    const named = model.namedWeights();
    const data: SplitWorkerData = {
      config: cfg,
      weights: named.map(({ name, tensor }) => ({ name, shape: tensor.shape, values: tensor.dataSync() as Float32Array })),
      band: { from: cut, to: rows },
      control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
      frames: new SharedArrayBuffer(cfg.contextFrames * cfg.height * cfg.width),
      error: new SharedArrayBuffer(ERROR_BYTES),
    };
    named.find((n) => n.name === 'vq/codebook')?.tensor.dispose(); // made for the list; the others are the model's
    const worker = startTsWorker(new URL('./split-decoder-worker.ts', import.meta.url), data);
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`split decoder worker: ${m.error}`))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`split decoder worker exited (code ${code}) before it was ready`)));
    });
    worker.unref();
    return new SplitDecoder(new FastDecoder(model, { from: 0, to: cut }), data);
  }

  reset(frames: readonly Uint8Array[]): void {
    this.pending = null;
    frames.forEach((f, i) => this.frames.set(f, i * this.pixels));
    this.send(Op.Reset);
    this.alongside(() => this.local.reset(frames));
  }

  push(frame: Uint8Array): void {
    if (this.pending) this.takeInPending();
    this.frames.set(frame);
    this.pending = frame.slice();
  }

  predict(code: number): Uint8Array {
    const pending = this.pending;
    this.send(Op.Predict, code, pending !== null);
    this.pending = null;
    const out = this.alongside(() => {
      if (pending) this.local.push(pending);
      return this.local.predict(code, new Uint8Array(this.pixels));
    });
    // The worker wrote its band into the shared frame; ours is in `out`.
    out.set(this.frames.subarray(this.workerFrom, this.pixels), this.workerFrom);
    return out;
  }

  /** Both bands take in the pending frame now (a second push before a predict). */
  private takeInPending(): void {
    const pending = this.pending!;
    this.pending = null;
    this.send(Op.Push);
    this.alongside(() => this.local.push(pending));
  }

  /** Our half of a request sent to the worker, then the wait for its half (ours failing first). */
  private alongside<T>(local: () => T): T {
    let result: T;
    try {
      result = local();
    } catch (err) {
      try { this.wait(); } catch { /* the worker's error: ours came first */ }
      throw err;
    }
    this.wait();
    return result;
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.send(Op.Exit);
    this.local.dispose();
  }

  private send(op: number, code = 0, pushFirst = false): void {
    if (this.closed && op !== Op.Exit) throw new Error('SplitDecoder: used after dispose()');
    this.control[OP] = op;
    this.control[CODE] = code;
    this.control[PUSH_FIRST] = pushFirst ? 1 : 0;
    Atomics.store(this.control, REQUEST, ++this.request);
    Atomics.notify(this.control, REQUEST);
  }

  private wait(): void {
    const deadline = Date.now() + TIMEOUT_MS;
    while (Atomics.load(this.control, DONE) !== this.request) {
      if (Date.now() > deadline) throw new Error('SplitDecoder: the worker did not answer in 10 s');
      Atomics.wait(this.control, DONE, Atomics.load(this.control, DONE), 100);
    }
    const failed = Atomics.load(this.control, FAILED);
    if (failed) {
      Atomics.store(this.control, FAILED, 0);
      throw new Error(`split decoder worker: ${new TextDecoder().decode(this.error.slice(0, failed))}`);
    }
  }
}

/** The worker's side: mirror every request on its band until Exit (the thread has nothing else to do, so it blocks between requests). */
export function serveBand(data: SplitWorkerData, decoder: FastDecoder): void {
  const control = new Int32Array(data.control);
  const frames = new Uint8Array(data.frames);
  const { height, width, contextFrames } = data.config;
  const pixels = height * width;
  let seen = 0;
  for (;;) {
    Atomics.wait(control, REQUEST, seen);
    seen = Atomics.load(control, REQUEST);
    const op = control[OP];
    if (op === Op.Exit) break;
    try {
      if (op === Op.Reset) decoder.reset(Array.from({ length: contextFrames }, (_, i) => frames.slice(i * pixels, (i + 1) * pixels)));
      if (op === Op.Push || (op === Op.Predict && control[PUSH_FIRST])) decoder.push(frames.subarray(0, pixels)); // push copies it
      if (op === Op.Predict) decoder.predict(control[CODE], frames.subarray(0, pixels));
    } catch (err) {
      const msg = new TextEncoder().encode(String((err as Error)?.message ?? err)).subarray(0, ERROR_BYTES);
      new Uint8Array(data.error).set(msg);
      Atomics.store(control, FAILED, Math.max(1, msg.length));
    }
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
  decoder.dispose();
}
