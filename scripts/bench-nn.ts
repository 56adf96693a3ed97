// npm run bench:nn -- [--backends wasm,cpu] [--nets dqn-nature] [--steps 10] [--replicas 2] [--json] [--profile]
//
// Median milliseconds per training step (forward + backward + Adam on random data) and per
// inference call, for the reference networks of ../shared/peer-bench.md and the project's own
// networks, on each available backend. Add a network: export a BenchNetSpec and list it in NETWORKS
// (scripts/bench-nn-nets.ts). With --replicas N a training step is shared data-parallel by the main
// thread and N-1 worker threads (models/data-parallel.ts), as `stage:train-latent --workers N` trains.
import * as tf from '@tensorflow/tfjs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initBackend, type BackendPreference } from '../models/backend';
import type { BenchNetSpec } from '../models/reference-nets';
import { DataParallel } from '../models/data-parallel';
import { createReplica, NETWORKS } from './bench-nn-nets';

/** PyTorch CPU on this kind of machine (../shared/peer-bench.md), ms. */
const PYTORCH_MS: Record<string, number> = {
  'dqn-nature-b32': 56, 'dqn-nature-b128': 68, 'vqvae-small-b32': 235, 'dqn-nature-b1': 0.7,
};

interface Timing {
  ms: number; // median wall-clock
  cpuMs: number; // median CPU time of this process (user + system): steadier when other work shares the cores
  n: number; // timed repetitions
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `fn` warmup times, then up to `steps` timed times or until `maxS` seconds are spent. CPU time
 * is the whole process's, worker threads included.
 */
async function timeIt(fn: () => void | Promise<void>, steps: number, warmup: number, maxS: number): Promise<Timing> {
  const start = performance.now();
  for (let i = 0; i < warmup && performance.now() - start < maxS * 1000; i++) {
    const c = process.cpuUsage();
    await fn();
    const ms = performance.now() - start;
    if (i === 0 && ms > maxS * 1000) {
      // One call already exceeds the budget (the pure-JS cpu backend): report that call alone.
      const d = process.cpuUsage(c);
      return { ms, cpuMs: (d.user + d.system) / 1000, n: 1 };
    }
  }
  const times: number[] = [];
  const cpu: number[] = [];
  const timedStart = performance.now();
  while (times.length < steps && (times.length === 0 || performance.now() - timedStart < maxS * 1000)) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { ms: median(times), cpuMs: median(cpu), n: times.length };
}

async function trainStep(spec: BenchNetSpec, batch: number, o: Opts): Promise<Timing> {
  const net = spec.build();
  const opt = tf.train.adam(1e-4);
  const data = net.makeBatch(batch);
  const step = () => {
    const cost = opt.minimize(() => net.loss(data), true, net.variables);
    cost?.dataSync(); // the loss is read back, as a training loop logging it would
    cost?.dispose();
  };
  try {
    if (o.profile) await profile(`${spec.name}-b${batch} train`, step);
    return await timeIt(step, o.steps, o.warmup, o.maxS);
  } finally {
    tf.dispose(data);
    opt.dispose();
    net.dispose();
  }
}

/** The same step shared by `o.replicas` threads, each on batch/replicas samples. */
async function parallelTrainStep(spec: BenchNetSpec, batch: number, backend: BackendPreference, o: Opts): Promise<Timing> {
  const options = { net: spec.name, batch: Math.ceil(batch / o.replicas), replicas: o.replicas };
  const replica = createReplica(options);
  const dp = await DataParallel.start(replica, { module: new URL('./bench-nn-nets.ts', import.meta.url), options }, o.replicas, backend);
  const opt = tf.train.adam(1e-4);
  const shards = Array.from({ length: o.replicas }, () => null);
  const step = async () => {
    const { grads } = await dp.gradients(shards);
    opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(Object.values(grads));
  };
  try {
    return await timeIt(step, o.steps, o.warmup, o.maxS);
  } finally {
    await dp.close();
    opt.dispose();
    replica.dispose();
  }
}

async function forward(spec: BenchNetSpec, batch: number, o: Opts): Promise<Timing> {
  const net = spec.build();
  const data = net.makeBatch(batch);
  const call = () => tf.tidy(() => net.predict(data)).dataSync();
  try {
    if (o.profile) await profile(`${spec.name}-b${batch} forward`, call);
    return await timeIt(() => {
      const out = tf.tidy(() => net.predict(data));
      out.dataSync();
      out.dispose();
    }, Math.max(o.steps, 50), o.warmup + 5, o.maxS);
  } finally {
    tf.dispose(data);
    net.dispose();
  }
}

/** Prints the kernels that took the most time in one call of `fn` (after one warm call). */
async function profile(label: string, fn: () => void): Promise<void> {
  fn();
  const info = await tf.profile(fn);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b.ms, 0);
  const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
  console.log(`profile ${label}: ${total.toFixed(1)} ms in kernels`);
  for (const [name, e] of top) console.log(`  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms  ${e.calls} calls`);
}

interface Opts {
  steps: number;
  replicas: number;
  warmup: number;
  maxS: number;
  profile: boolean;
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('bench:nn')
    .options({
      backends: {
        type: 'string', default: 'auto',
        describe: 'comma list of tensorflow,wasm,cpu; auto = every backend that loads except the pure-JS cpu',
      },
      nets: { type: 'string', default: '', describe: 'comma list of network names to run (default: all)' },
      steps: { type: 'number', default: 10, describe: 'timed training steps per network (median reported)' },
      replicas: { type: 'number', default: 1, describe: 'threads sharing each training step (data parallel; wasm and cpu backends)' },
      warmup: { type: 'number', default: 3, describe: 'untimed steps first' },
      'max-s': {
        type: 'number', default: 60,
        describe: 'stop timing one measurement after this many seconds (caps the ~35 s/step cpu backend)',
      },
      json: { type: 'boolean', default: false, describe: 'end with one JSON line per backend (the last is the primary)' },
      profile: { type: 'boolean', default: false, describe: 'print the slowest kernels of one step per network' },
      'cpu-max-gmac': {
        type: 'number', default: 1,
        describe: 'on the pure-JS cpu backend, skip training steps above this many GMAC (dqn-nature-b32 is 0.9, ~35 s)',
      },
      calibrate: { type: 'boolean', default: true, describe: 'first time a plain matmul, to show how loaded the machine is' },
    })
    .strict()
    .help()
    .parseAsync();
  if (!Number.isInteger(argv.replicas) || argv.replicas < 1) {
    console.error(`--replicas ${argv.replicas}: expected a whole number >= 1`);
    process.exit(2);
  }
  const o: Opts = { steps: argv.steps, replicas: argv.replicas, warmup: argv.warmup, maxS: argv['max-s'], profile: argv.profile };
  const wanted = argv.nets ? argv.nets.split(',').map((s) => s.trim()) : null;
  const nets = NETWORKS.filter((n) => wanted == null || wanted.includes(n.name));
  if (wanted != null && nets.length !== wanted.length) {
    console.error(`unknown network in --nets (known: ${NETWORKS.map((n) => n.name).join(', ')})`);
    process.exit(2);
  }
  let backends: BackendPreference[];
  if (argv.backends === 'auto') {
    backends = [];
    const native = await initBackend('auto', { log: () => {} });
    if (native.name === 'tensorflow') backends.push('tensorflow');
    backends.push('wasm');
  } else {
    backends = argv.backends.split(',').map((s) => s.trim()) as BackendPreference[];
  }

  if (argv.calibrate) {
    // How fast is this machine right now? A plain 1024^3 matmul on wasm (XNNPACK, no kernels of ours).
    await initBackend('wasm', { log: () => {} });
    const [a, b] = [tf.randomNormal([1024, 1024]), tf.randomNormal([1024, 1024])];
    const t = await timeIt(() => void tf.tidy(() => tf.matMul(a, b)).dataSync(), 10, 2, o.maxS);
    tf.dispose([a, b]);
    console.log(
      `calibration: wasm 1024^3 matmul ${fmt(t.ms)} ms wall (${(1024 ** 3 / t.ms / 1e6).toFixed(1)} GMAC/s), ` +
        `${fmt(t.cpuMs)} ms cpu (${(1024 ** 3 / t.cpuMs / 1e6).toFixed(1)} GMAC/s); wall >> cpu means other processes share the cores`,
    );
  }
  const results: Array<{ backend: string; train_ms: Record<string, number>; forward_ms: Record<string, number> }> = [];
  const rows: string[][] = [];
  for (const pref of backends) {
    const info = await initBackend(pref);
    const res = { backend: info.name, train_ms: {} as Record<string, number>, forward_ms: {} as Record<string, number> };
    for (const spec of nets) {
      for (const b of spec.trainBatches) {
        const key = `${spec.name}-b${b}`;
        const gmac = (3 * spec.forwardMacs * b) / 1e9;
        if (info.name === 'cpu' && gmac > argv['cpu-max-gmac']) {
          rows.push([info.name, key, 'train', 'skipped', '', '', '', `> --cpu-max-gmac`]);
          continue;
        }
        const parallel = o.replicas > 1 && info.name !== 'tensorflow'; // native TensorFlow uses every core itself
        const t = parallel ? await parallelTrainStep(spec, b, pref, o) : await trainStep(spec, b, o);
        res.train_ms[key] = round(t.ms);
        const gmacs = (3 * spec.forwardMacs * b) / (t.cpuMs * 1e6);
        rows.push([info.name, key, parallel ? `train x${o.replicas}` : 'train', fmt(t.ms), fmt(t.cpuMs), String(t.n), gmacs.toFixed(1), ratio(key, t.ms)]);
      }
      for (const b of spec.forwardBatches) {
        const key = `${spec.name}-b${b}`;
        const t = await forward(spec, b, o);
        res.forward_ms[key] = round(t.ms);
        const gmacs = (spec.forwardMacs * b) / (t.cpuMs * 1e6);
        rows.push([info.name, key, 'forward', fmt(t.ms), fmt(t.cpuMs), String(t.n), gmacs.toFixed(1), ratio(key, t.ms)]);
      }
    }
    results.push(res);
  }
  printTable(['backend', 'network', 'pass', 'median ms', 'cpu ms', 'n', 'GMAC/s (cpu)', 'vs PyTorch'], rows);
  if (argv.json) {
    // The primary backend (what `auto` picks) last.
    for (const r of [...results].reverse()) console.log(JSON.stringify(r));
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(ms >= 10 ? 1 : 2));
const ratio = (key: string, ms: number) => (PYTORCH_MS[key] ? `${(ms / PYTORCH_MS[key]).toFixed(1)}x` : '');

function printTable(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`| ${w.map((x, i) => (i < 3 ? '-'.repeat(x) : '-'.repeat(x - 1) + ':')).join(' | ')} |`);
  for (const r of rows) console.log(line(r));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
