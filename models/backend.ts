// Chooses and initialises the TensorFlow.js backend every command trains and runs on.
//
// auto: @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node (native TensorFlow; optional
// dependencies whose install downloads a native library, so they are often absent), then the
// WebAssembly backend with the project's training kernels (models/kernels), then plain JS `cpu`.
// The choice is printed once; callers record the returned BackendInfo in their config.json.
import * as tf from '@tensorflow/tfjs';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './kernels/index';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' (tfjs-node or tfjs-node-gpu), 'wasm' or 'cpu'. */
  name: string;
  /** Threads the backend computes with (for 'tensorflow': the machine's logical cores, TF's default). */
  threads: number;
  /** What was tried and what was chosen, one short line each (failed optional loads included). */
  notes: string[];
}

/** yargs option definition; commands spread it into their `.options({...})`. */
export const backendOption = {
  backend: {
    type: 'string',
    choices: BACKEND_CHOICES,
    default: 'auto',
    describe:
      'TensorFlow.js backend: auto = tfjs-node-gpu, else tfjs-node, else WebAssembly with our kernels, else pure JS cpu',
  },
} as const;

/** An error caused by the user's choice (e.g. --backend tensorflow where it is not installed). */
export class BackendUnavailableError extends Error {
  readonly userFacing = true;
}

export interface InitBackendOptions {
  /** Where the one-line notices go (default console.log); pass () => {} to silence. */
  log?: (line: string) => void;
}

let current: { preference: BackendPreference; info: BackendInfo } | null = null;

/** Initialises the backend once per process; later calls with the same preference return the same info. */
export async function initBackend(
  preference: BackendPreference = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(preference)) {
    throw new BackendUnavailableError(`unknown backend '${String(preference)}' (choose ${BACKEND_CHOICES.join(', ')})`);
  }
  if (current != null && current.preference === preference && tf.getBackend() === current.info.name) {
    return current.info;
  }
  const log = options.log ?? ((line: string) => console.log(line));
  const notes: string[] = [];
  let info: BackendInfo | null = null;

  if (preference === 'auto' || preference === 'tensorflow') {
    const failures: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      const failure = await tryNative(pkg);
      if (failure == null) {
        notes.push(`${pkg}: loaded`);
        info = { name: 'tensorflow', threads: logicalCores(), notes };
        break;
      }
      notes.push(`${pkg}: not available (${failure})`);
      failures.push(`${pkg}: ${failure}`);
    }
    if (info == null && preference === 'tensorflow') {
      throw new BackendUnavailableError(
        `backend tensorflow unavailable (${failures.join('; ')}); install @tensorflow/tfjs-node or use --backend wasm`,
      );
    }
    if (info == null) log(`backend: native TensorFlow unavailable (${failures.join('; ')})`);
  }
  if (info == null && (preference === 'auto' || preference === 'wasm')) {
    const failure = await tryWasm();
    if (failure == null) {
      const kernels = registerWasmTrainingKernels();
      notes.push(`wasm: our kernels ${kernels.join(', ')}`);
      info = { name: 'wasm', threads: tfWasm.getThreadsCount(), notes };
    } else {
      notes.push(`wasm: failed (${failure})`);
      if (preference === 'wasm') throw new BackendUnavailableError(`backend wasm could not start: ${failure}`);
      log(`backend: wasm could not start (${failure}); falling back to cpu`);
    }
  }
  if (info == null) {
    if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('backend cpu could not start');
    await tf.ready();
    notes.push('cpu: pure JavaScript (slow: about 35 s per Nature-DQN batch-32 step)');
    info = { name: 'cpu', threads: 1, notes };
  }
  log(`backend: ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'})`);
  current = { preference, info };
  return info;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

async function tryNative(pkg: string): Promise<string | null> {
  try {
    // Optional dependencies: usually simply absent where their native download failed.
    // A variable specifier keeps bundlers and the type checker from requiring the optional package.
    const spec = pkg;
    await import(/* @vite-ignore */ spec);
    if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend did not initialise';
    await tf.ready();
    return null;
  } catch (e) {
    const msg = firstLine(e);
    return /Cannot find (package|module)/.test(msg) && msg.includes(pkg) ? 'not installed' : msg;
  }
}

async function tryWasm(): Promise<string | null> {
  try {
    // Single-threaded: under Node the package's multi-threaded build cannot start its pthread
    // workers (they are created from Blob URLs), so tfjs picks the SIMD build.
    if (!(await tf.setBackend('wasm'))) return 'the wasm backend did not initialise';
    await tf.ready();
    return null;
  } catch (e) {
    return firstLine(e);
  }
}

function logicalCores(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}
