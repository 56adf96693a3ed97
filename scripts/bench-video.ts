// Video benchmarks: lossless codecs on Breakout-like frames (size, encode and decode speed, bit
// exactness), and the recording reader's throughput on a 100-episode recording.
//   npx tsx scripts/bench-video.ts [--episodes 100] [--steps 1000] [--dir data/bench-video] [--reps 3] [--real] [--no-codecs]
//     [--recording DIR]
// --real also records and reads real-game episodes (needs ATARI_ROM_DIR); --recording DIR times the reader
// on an existing recording only (e.g. the 100 episodes of stage:record). Prints medians of 3 runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { findFfmpeg } from '../pipeline/ffmpeg';
import type { GameSetup } from '../pipeline/record';
import { recordStage } from '../pipeline/record';
import { listRecording, readRecording } from '../pipeline/recording';
import { FakeBreakoutEnv } from '../test/pipeline/fake-env';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const EPISODES = Number(arg('episodes', '100'));
const STEPS = Number(arg('steps', '1000'));
const DIR = arg('dir', 'data/bench-video');
const REAL = args.includes('--real');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const REPS = Number(arg('reps', '3'));
/** CPU seconds of finished child processes (ffmpeg), from /proc/self/stat (cutime + cstime). */
function childCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}
/** CPU seconds of this process plus its finished children. */
function totalCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6 + childCpu();
}
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Follows the ball (fake env RAM: 0 paddle x, 1 ball x): long episodes that break bricks. */
const follower = {
  name: 'follower',
  act: (o: { ram: Uint8Array; step: number }) => {
    const [paddle, ball] = [o.ram[0]!, o.ram[1]!];
    if (ball === 0) return 1;
    if (ball > paddle + 10) return 2;
    if (ball < paddle + 4) return 3;
    return o.step % 7 === 0 ? 2 : 0;
  },
};

function fakeGame(): GameSetup {
  return { env: new FakeBreakoutEnv({ maxLives: 5 }), romMd5: 'fake', actionSet: [0, 1, 3, 4], actionNames: ['NOOP', 'FIRE', 'RIGHT', 'LEFT'] };
}

async function codecTable(): Promise<void> {
  const ff = findFfmpeg().path;
  const env = new FakeBreakoutEnv({ maxLives: 5 });
  env.reset({ seed: 1 });
  const frames: Uint8Array[] = [env.screenRGB()];
  for (let i = 0; frames.length < 2000; i++) {
    const ram = env.ale.getRAM();
    const r = env.step(follower.act({ ram, step: i }));
    frames.push(env.screenRGB());
    if (r.terminated) env.reset({ seed: i });
  }
  const raw = join(DIR, 'frames.rgb');
  writeFileSync(raw, Buffer.concat(frames.map((f) => Buffer.from(f))));
  const rawMd5 = createHash('md5').update(Buffer.concat(frames.map((f) => Buffer.from(f)))).digest('hex');
  const codecs: [string, string[], string][] = [
    ['ffv1 (mkv)', ['-c:v', 'ffv1', '-level', '3', '-threads', '1'], 'mkv'],
    ['png (mkv)', ['-c:v', 'png'], 'mkv'],
    ['utvideo (mkv)', ['-c:v', 'utvideo'], 'mkv'],
    ['x264rgb qp0 ultrafast (mkv)', ['-c:v', 'libx264rgb', '-qp', '0', '-preset', 'ultrafast', '-threads', '1'], 'mkv'],
    ['x264rgb qp0 medium (mkv) [chosen]', ['-c:v', 'libx264rgb', '-qp', '0', '-preset', 'medium', '-threads', '1'], 'mkv'],
  ];
  console.log(`\nLossless codecs, ${frames.length} Breakout-like frames (160x210 RGB), ffmpeg ${findFfmpeg().version}, medians of ${REPS}`);
  console.log('frames/s per CPU core = frames / CPU seconds of ffmpeg (independent of other load); wall = frames / elapsed');
  console.log('| codec | bytes/frame | encode frames/s per core | decode frames/s per core (1 thread) | decode wall frames/s | bit-exact |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const [name, opts, ext] of codecs) {
    const out = join(DIR, `codec.${ext}`);
    const enc: number[] = [];
    const dec: number[] = [];
    const decWall: number[] = [];
    let exact = false;
    for (let rep = 0; rep < REPS; rep++) {
      let c = childCpu();
      execFileSync(ff, ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '160x210', '-framerate', '15', '-i', raw, ...opts, out]);
      enc.push(frames.length / (childCpu() - c));
      c = childCpu();
      const t = performance.now();
      const r = spawnSync(ff, ['-v', 'error', '-threads', '1', '-i', out, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 });
      decWall.push(frames.length / ((performance.now() - t) / 1000));
      dec.push(frames.length / (childCpu() - c));
      exact = createHash('md5').update(r.stdout).digest('hex') === rawMd5;
    }
    console.log(`| ${name} | ${(statSync(out).size / frames.length).toFixed(0)} | ${median(enc).toFixed(0)} | ${median(dec).toFixed(0)} | ${median(decWall).toFixed(0)} | ${exact ? 'yes' : 'NO'} |`);
  }
}

async function readerTable(dir: string, label: string): Promise<void> {
  const episodes = listRecording(dir);
  const total = episodes.reduce((s, e) => s + e.sidecar.frames, 0);
  console.log(`\nReader (readRecording, batches of 64) on ${label}: ${episodes.length} episodes, ${total} frames, medians of ${REPS}`);
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${cpus().length} cores`);
  console.log('| decoders in parallel | wall frames/s | CPU s per 1000 frames (node + ffmpeg) | frames/s if given all cores |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const concurrency of [1, 2]) {
    const rates: number[] = [];
    const cpu: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const c = totalCpu();
      const t = performance.now();
      let n = 0;
      for await (const b of readRecording(episodes, { concurrency, batchSize: 64 })) n += b.count;
      if (n !== total) throw new Error(`read ${n} frames, expected ${total}`);
      rates.push(n / ((performance.now() - t) / 1000));
      cpu.push(((totalCpu() - c) / n) * 1000);
    }
    const perK = median(cpu);
    console.log(`| ${concurrency} | ${median(rates).toFixed(0)} | ${perK.toFixed(3)} | ${((cpus().length * 1000) / perK).toFixed(0)} |`);
  }
}

async function main(): Promise<void> {
  const recording = arg('recording', '');
  if (recording) return readerTable(recording, recording);
  mkdirSync(DIR, { recursive: true });
  if (!args.includes('--no-codecs')) await codecTable();
  const synth = join(DIR, `synthetic-${EPISODES}x${STEPS}`);
  if (!existsSync(join(synth, 'summary.json'))) {
    rmSync(synth, { recursive: true, force: true });
    const t = performance.now();
    const s = await recordStage(
      { policy: 'dqn', episodes: EPISODES, maxSteps: STEPS, out: synth, preview: false },
      { makeGame: fakeGame, makeDqn: async () => follower, stream: quiet(), handleSignals: false },
    );
    console.log(`\nrecorded synthetic recording: ${s.episodes} episodes, ${s.frames} frames, ${(s.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  await readerTable(synth, 'a synthetic recording of Breakout-like frames');
  if (REAL) {
    const real = join(DIR, 'real-random-20');
    if (!existsSync(join(real, 'summary.json'))) {
      rmSync(real, { recursive: true, force: true });
      await recordStage({ policy: 'random', episodes: 20, out: real, preview: false }, { stream: quiet(), handleSignals: false });
    }
    await readerTable(real, 'real Breakout episodes (random agent)');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
