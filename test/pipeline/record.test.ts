// Stage 2 on a small fake game (fast, always runs) and on the real game when ATARI_ROM_DIR is set:
// the decoded video must equal, bit for bit, the screens of replaying the recorded actions.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RandomPolicy, type Policy } from '../../pipeline/policy';
import { makeRealGame, planEpisodes, recordStage, removeIncomplete, type GameSetup, type RecordConfig } from '../../pipeline/record';
import { episodeFrames, listRecording, readRecording, readSidecar } from '../../pipeline/recording';
import { readAllFrames } from '../../pipeline/video';
import { FakeBreakoutEnv } from './fake-env';

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });
const fakeGame = (): GameSetup => ({
  env: new FakeBreakoutEnv({ maxLives: 3 }),
  romMd5: 'fake',
  actionSet: [0, 1, 3, 4],
  actionNames: ['NOOP', 'FIRE', 'RIGHT', 'LEFT'],
});
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const fresh = () => join(mkdtempSync(join(tmpdir(), 'rec-')), 'out');
/** A stand-in "DQN": always moves right, so its episodes are distinguishable from random ones. */
const rightPolicy = async (): Promise<Policy> => ({ name: 'fake-dqn', act: (o) => (o.step % 30 === 0 ? 1 : 2) });

describe('planEpisodes', () => {
  it('makes exactly the requested share random, reproducibly, with distinct seeds', () => {
    const plan = planEpisodes({ episodes: 100, policy: 'mixed', percentRandom: 15, seed: 3 });
    expect(plan.filter((p) => p.policy === 'random')).toHaveLength(15);
    expect(planEpisodes({ episodes: 100, policy: 'mixed', percentRandom: 15, seed: 3 })).toEqual(plan);
    expect(new Set(plan.map((p) => p.seed)).size).toBe(100);
    expect(planEpisodes({ episodes: 5, policy: 'random', percentRandom: 0, seed: 0 }).every((p) => p.policy === 'random')).toBe(true);
    expect(planEpisodes({ episodes: 5, policy: 'dqn', percentRandom: 50, seed: 0 }).every((p) => p.policy === 'dqn')).toBe(true);
    // The scripted players play every episode, whatever --percent-random says.
    expect(planEpisodes({ episodes: 5, policy: 'tracker', percentRandom: 50, seed: 0 }).map((p) => p.policy)).toEqual(new Array(5).fill('tracker'));
    expect(planEpisodes({ episodes: 5, policy: 'steady-tracker', percentRandom: 50, seed: 0 }).map((p) => p.policy)).toEqual(new Array(5).fill('steady-tracker'));
    expect(planEpisodes({ episodes: 5, policy: 'held', percentRandom: 50, seed: 0 }).map((p) => p.policy)).toEqual(new Array(5).fill('held'));
  });
});

describe('stage:record on a fake game', () => {
  it('writes video, preview and sidecar per episode, a manifest, and frames that replay exactly', async () => {
    const out = fresh();
    const cfg: Partial<RecordConfig> = { policy: 'mixed', percentRandom: 50, episodes: 2, out, maxSteps: 120, seed: 1 };
    const summary = await recordStage(cfg, { makeGame: fakeGame, makeDqn: rightPolicy, stream: quiet(), handleSignals: false });
    expect(summary.episodes).toBe(2);
    const files = readdirSync(out).sort();
    for (const stem of ['episode-00001', 'episode-00002']) {
      for (const ext of ['.mkv', '.preview.mp4', '.json']) expect(files).toContain(stem + ext);
    }
    for (const f of ['config.json', 'run.json', 'metrics.jsonl', 'summary.json', 'manifest.json']) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);

    const episodes = listRecording(out);
    expect(episodes.map((e) => e.sidecar.policy).sort()).toEqual(['fake-dqn', 'random']);
    for (const ep of episodes) {
      const s = ep.sidecar;
      expect(s.frames).toBe(s.steps + 1);
      expect(s.lives).toHaveLength(s.frames);
      expect(s.rewards).toHaveLength(s.steps);
      expect(s.steps).toBeLessThanOrEqual(120);
      expect(s.terminated || s.truncated).toBe(true);
      expect(s.stepTerminated.at(-1) || s.stepTruncated.at(-1)).toBe(true);
      // Replay the actions on a fresh game with the same seed: every frame must match the video.
      const env = fakeGame().env;
      env.reset({ seed: s.seed });
      const expected = [env.screenRGB()];
      for (const a of s.actions) {
        env.step(a);
        expected.push(env.screenRGB());
      }
      const decoded = await readAllFrames(ep.videoPath, { expectFrames: s.frames });
      expect(decoded.length).toBe(expected.length);
      decoded.forEach((f, k) => expect(same(f, expected[k]!), `${s.episode} frame ${k}`).toBe(true));
      // Range reads through the sidecar helper.
      const mid = await readAllFrames(ep.videoPath, { from: 10, to: 13, fps: s.fps });
      mid.forEach((f, i) => expect(same(f, expected[10 + i]!)).toBe(true));
      let n = 0;
      for await (const f of episodeFrames(ep, { from: s.frames - 2 })) expect(same(f, expected[s.frames - 2 + n++]!)).toBe(true);
      expect(n).toBe(2);
    }

    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.totals.episodes).toBe(2);
    expect(manifest.totals.steps).toBe(summary.steps);
    const hist = manifest.actionHistogram as Record<string, number>;
    expect(Object.values(hist).reduce((a, b) => a + b, 0)).toBe(summary.steps);
    expect(manifest.episodes.map((e: { score: number }) => e.score)).toEqual(episodes.map((e) => e.sidecar.score));

    // The whole recording streams back in batches.
    let frames = 0;
    for await (const b of readRecording(out, { concurrency: 2, batchSize: 50 })) frames += b.count;
    expect(frames).toBe(summary.frames);
  });

  it('stops cleanly: only complete episodes remain, and --resume finishes the rest', async () => {
    const out = fresh();
    let calls = 0;
    // A player that never serves: every episode runs exactly maxSteps (100) steps, and stop() is
    // polled once per step, so this stops in the middle of the second episode.
    const stop = () => ++calls > 150;
    const idle = async (): Promise<Policy> => ({ name: 'idle', act: () => 0 });
    const cfg: Partial<RecordConfig> = { policy: 'dqn', episodes: 3, out, maxSteps: 100, seed: 2 };
    const first = await recordStage(cfg, { makeGame: fakeGame, makeDqn: idle, stream: quiet(), handleSignals: false, stop });
    expect(first.interrupted).toBe(true);
    const kept = listRecording(out).map((e) => e.sidecar.episode);
    expect(kept).toEqual([1]);
    const files = readdirSync(out);
    expect(files.filter((f) => f.startsWith('episode-')).length).toBe(kept.length * 3);
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);

    const second = await recordStage({ ...cfg, resume: true }, { makeGame: fakeGame, makeDqn: idle, stream: quiet(), handleSignals: false });
    expect(second.interrupted).toBe(false);
    expect(listRecording(out).map((e) => e.sidecar.episode)).toEqual([1, 2, 3]);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).totals.episodes).toBe(3);
  });

  it('rejects bad input with one-line user-facing errors', async () => {
    const deps = { makeGame: fakeGame, stream: quiet(), handleSignals: false };
    await expect(recordStage({ policy: 'greedy' as never, out: fresh() }, deps)).rejects.toMatchObject({ userFacing: true, message: expect.stringMatching(/--policy must be one of random, dqn, mixed/) });
    const noCkpt = fresh();
    await expect(recordStage({ policy: 'dqn', checkpoint: '/nonexistent/dqn', out: noCkpt }, deps)).rejects.toMatchObject({
      userFacing: true,
      message: expect.stringMatching(/checkpoint not found: \/nonexistent\/dqn.*--policy random/),
    });
    expect(existsSync(noCkpt)).toBe(false);
    // A player that fails mid-recording: the error surfaces and no folder is left behind.
    const failing = fresh();
    const broken = async (): Promise<Policy> => ({ name: 'broken', act: (o) => (o.step < 5 ? 0 : 99) });
    await expect(recordStage({ policy: 'dqn', episodes: 1, out: failing }, { ...deps, makeDqn: broken })).rejects.toThrow(/chose action 99/);
    expect(existsSync(failing)).toBe(false);
    const file = join(mkdtempSync(join(tmpdir(), 'rec-')), 'a-file');
    writeFileSync(file, 'x');
    await expect(recordStage({ policy: 'random', episodes: 1, out: join(file, 'sub') }, deps)).rejects.toMatchObject({ userFacing: true, message: expect.stringMatching(/cannot create run folder/) });
    const used = fresh();
    await recordStage({ policy: 'random', episodes: 1, maxSteps: 5, out: used }, deps);
    await expect(recordStage({ policy: 'random', episodes: 1, out: used }, deps)).rejects.toThrow(/already exists .*--resume/);
    expect(() => readSidecar(join(used, 'manifest.json'))).toThrow(/not an episode sidecar/);
  });

  it('removeIncomplete deletes videos without sidecars and temporaries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rec-'));
    for (const f of ['episode-00001.mkv', 'episode-00001.json', 'episode-00002.mkv', '.episode-00003.mkv.partial-1', 'config.json']) writeFileSync(join(dir, f), '');
    expect(removeIncomplete(dir).sort()).toEqual(['.episode-00003.mkv.partial-1', 'episode-00002.mkv']);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'episode-00001.json', 'episode-00001.mkv']);
  });
});

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('test/pipeline/record.test.ts: real-game recording test skipped; set ATARI_ROM_DIR to the folder holding breakout.bin');

describe.skipIf(!romDir)('stage:record on the real game (ATARI_ROM_DIR)', () => {
  it('records a short random episode whose video equals replaying its actions in the emulator', async () => {
    const out = fresh();
    const summary = await recordStage({ policy: 'random', episodes: 1, maxSteps: 80, seed: 7, out, preview: false }, { stream: quiet(), handleSignals: false });
    expect(summary.episodes).toBe(1);
    const [ep] = listRecording(out);
    const s = ep!.sidecar;
    expect(s.romMd5).toBe('f34f08e5eb96e500e851a80be3277a56');
    expect(s.actionNames).toEqual(['NOOP', 'FIRE', 'RIGHT', 'LEFT']);
    expect(existsSync(join(out, 'episode-00001.preview.mp4'))).toBe(false);
    const { env } = makeRealGame({ frameSkip: s.settings.frameSkip, sticky: s.settings.repeatActionProbability });
    env.reset({ seed: s.seed });
    const decoded = await readAllFrames(ep!.videoPath, { expectFrames: s.frames });
    expect(same(decoded[0]!, env.screenRGB())).toBe(true);
    let changed = 0;
    s.actions.forEach((a, k) => {
      const r = env.step(a);
      expect(r.reward).toBe(s.rewards[k]);
      expect(r.info.lives).toBe(s.lives[k + 1]);
      const screen = env.screenRGB();
      expect(same(decoded[k + 1]!, screen), `frame ${k + 1}`).toBe(true);
      if (!same(decoded[k + 1]!, decoded[k]!)) changed++;
    });
    // The episode shows motion (not a frozen screen that would match trivially).
    expect(changed).toBeGreaterThan(20);
    // And the same seed gives the same random actions: recording is reproducible.
    const again = new RandomPolicy(4, 0);
    again.reset(s.seed);
    expect(s.actions.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => again.act()));
  });
});
