// `npm run bench:env [-- --json] [--runs N] [--frames N] [--rom PATH]`
// Emulator speed for Breakout with random actions and frame skip 1: frames/s with and without reading
// the RGB screen after every frame, and the cost of one cloneState + restoreState. Medians of several runs.
// Bar (issue 2): >= 5,500 frames/s with the screen, clone + restore < 20 microseconds.
import { Ale } from '../atari/ale';
import { AtariEnv } from '../atari/env';
import { findRom } from '../atari/roms';

interface Options {
  json: boolean;
  runs: number;
  frames: number;
  clones: number;
  rom?: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { json: false, runs: 5, frames: 20_000, clones: 20_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) fail(`${a} needs a positive integer`);
      return n;
    };
    if (a === '--json') opts.json = true;
    else if (a === '--runs') opts.runs = count();
    else if (a === '--frames') opts.frames = count();
    else if (a === '--clones') opts.clones = count();
    else if (a === '--rom') opts.rom = value();
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench:env -- [--json] [--runs 5] [--frames 20000] [--clones 20000] [--rom PATH]');
      process.exit(0);
    } else fail(`unknown option ${a} (see --help)`);
  }
  return opts;
}

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** xorshift32: the benchmark's own action stream, cheap and the same every run. */
function actionStream(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

interface Rate {
  /** Per wall-clock second: the figure that counts. */
  wall: number;
  /** Per second of this process's CPU time: what the code would do on an idle core (the machine is shared). */
  cpu: number;
}

function timed(n: number, fn: () => void): Rate {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return { wall: (n * 1000) / wallMs, cpu: (n * 1000) / Math.max(cpuMs, 1e-3) };
}

/** Frames per second of `frames` random-action frames (resetting at game over). */
function runFrames(ale: Ale, frames: number, readScreen: boolean, seed: number): Rate {
  const actions = ale.getMinimalActionSet();
  const next = actionStream(seed);
  const screen = new Uint8Array(210 * 160 * 3);
  ale.resetGame();
  return timed(frames, () => {
    for (let i = 0; i < frames; i++) {
      ale.act(actions[next() % actions.length]);
      if (readScreen) ale.getScreenRGB(screen);
      if (ale.gameOver()) ale.resetGame();
    }
  });
}

/** Microseconds per cloneState() + restoreState() pair, from a state in the middle of a game. */
function runClones(ale: Ale, n: number): Rate {
  ale.resetGame();
  for (let i = 0; i < 300; i++) ale.act(i % 50 === 0 ? 1 : i % 3 === 0 ? 3 : 0);
  const rate = timed(n, () => {
    for (let i = 0; i < n; i++) ale.restoreState(ale.cloneState());
  });
  // As microseconds per pair.
  return { wall: 1e6 / rate.wall, cpu: 1e6 / rate.cpu };
}

/** Frames per second through AtariEnv.step (RGB observations, frame skip 1, sticky 0.25). */
function runEnv(rom: Uint8Array, frames: number, seed: number): Rate {
  const env = new AtariEnv(rom, { frameSkip: 1 });
  env.reset({ seed });
  const next = actionStream(seed);
  return timed(frames, () => {
    for (let i = 0; i < frames; i++) {
      const r = env.step(next() % env.numActions);
      if (r.terminated || r.truncated) env.reset();
    }
  });
}

/** ", load average N on C cores" when the OS tells (a busy machine makes wall-clock figures low). */
function loadAverage(): string {
  const os = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:os') as
    | typeof import('node:os')
    | undefined;
  if (!os) return '';
  return `; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores during this run`;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  let rom;
  try {
    rom = findRom('breakout', { romPath: opts.rom });
  } catch (err) {
    fail((err as Error).message);
  }
  const ale = new Ale(rom.bytes, { randomSeed: 0, frameSkip: 1 });
  // Warm up the JIT on every path before measuring.
  runFrames(ale, 3000, true, 99);
  runFrames(ale, 3000, false, 98);
  runClones(ale, 3000);

  const screen: Rate[] = [];
  const noScreen: Rate[] = [];
  const clones: Rate[] = [];
  const envFps: Rate[] = [];
  for (let r = 0; r < opts.runs; r++) {
    // Interleave the variants so machine noise (other jobs on a shared machine) hits them alike.
    screen.push(runFrames(ale, opts.frames, true, r + 1));
    noScreen.push(runFrames(ale, opts.frames, false, r + 1));
    clones.push(runClones(ale, opts.clones));
    envFps.push(runEnv(rom.bytes, Math.floor(opts.frames / 2), r + 1));
  }

  const rows: [string, Rate[], string, string][] = [
    ['frames/s, RGB screen read every frame', screen, 'fps', '>= 5500'],
    ['frames/s, no screen read', noScreen, 'fps', ''],
    ['AtariEnv.step frames/s (RGB obs, sticky 0.25)', envFps, 'fps', ''],
    ['cloneState + restoreState', clones, 'µs', '< 20'],
  ];
  const fmt = (x: number, unit: string) => (unit === 'µs' ? x.toFixed(2) : Math.round(x).toString());
  const load = loadAverage();
  console.log(`Breakout, random actions, frame skip 1; ${opts.runs} runs of ${opts.frames} frames (${opts.clones} clone+restore pairs); Node ${process.version}`);
  console.log(
    `Wall-clock figures are the result; "per CPU-second" divides by this process's CPU time instead, which is what an idle core would give${load}.`,
  );
  console.log('');
  console.log(`| measure | median | min | max | per CPU-second (median) | unit | bar |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | --- | --- |`);
  for (const [name, xs, unit, bar] of rows) {
    const wall = xs.map((x) => x.wall);
    const cpu = median(xs.map((x) => x.cpu));
    console.log(
      `| ${name} | ${fmt(median(wall), unit)} | ${fmt(Math.min(...wall), unit)} | ${fmt(Math.max(...wall), unit)} | ${fmt(cpu, unit)} | ${unit} | ${bar} |`,
    );
  }
  if (opts.json) {
    console.log(
      JSON.stringify({
        fps_screen: Math.round(median(screen.map((x) => x.wall))),
        fps_no_screen: Math.round(median(noScreen.map((x) => x.wall))),
        clone_restore_us: Number(median(clones.map((x) => x.wall)).toFixed(3)),
      }),
    );
  }
}

main();
