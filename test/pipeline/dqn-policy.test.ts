import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtariEnv } from '../../atari/env';
import { findRom } from '../../atari/roms';
import { initBackend } from '../../models/backend';
import { saveCheckpoint } from '../../models/checkpoint';
import { buildQNetwork, type QNetworkConfig } from '../../models/dqn';
import { byteStats } from '../../pipeline/atari-preprocessing';
import { chooseAction, loadDqnAgent, loadDqnPolicy, type DqnCheckpointMeta } from '../../pipeline/dqn-policy';
import { Prng } from '../../pipeline/prng';

const dir = mkdtempSync(join(tmpdir(), 'dqn-policy-test-'));
beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chooseAction', () => {
  it('is greedy at epsilon 0, uniform at epsilon 1, and follows softmax(Q/T) with a temperature', () => {
    const rng = new Prng(1);
    expect(chooseAction([0.1, 0.9, 0.3], rng, 0, 0)).toBe(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[chooseAction([0.1, 0.9, 0.3], rng, 1, 0)]++;
    counts.forEach((c) => expect(c / 3000).toBeGreaterThan(0.29));
    const soft = [0, 0];
    for (let i = 0; i < 4000; i++) soft[chooseAction([0, Math.log(3)], rng, 0, 1)]++;
    expect(soft[1] / 4000).toBeGreaterThan(0.72); // p = 3/4
    expect(soft[1] / 4000).toBeLessThan(0.78);
  });
});

const romDir = process.env.ATARI_ROM_DIR;
if (!romDir) console.warn('dqn-policy: ATARI_ROM_DIR is not set, skipping the Breakout policy test (point it at a folder with breakout.bin)');

describe.skipIf(!romDir)('loadDqnPolicy on Breakout (needs ATARI_ROM_DIR)', () => {
  it('presses FIRE at each life start, then acts like the agent on its RAM stack', async () => {
    const cfg: QNetworkConfig = { kind: 'mlp', inputShape: [128 * 2], numActions: 4, dueling: true, hidden: [32, 16], seed: 4 };
    const norm = byteStats([Uint8Array.from({ length: 128 }, (_, i) => i), Uint8Array.from({ length: 128 }, (_, i) => 255 - i)]);
    const meta: DqnCheckpointMeta = { kind: 'dqn', network: cfg, obs: 'ram', frameStack: 2, frameSize: 128, frameSkip: 4, byteNorm: norm };
    const ck = join(dir, 'ck');
    await saveCheckpoint(ck, { models: { model: buildQNetwork(cfg) }, meta });
    const policy = await loadDqnPolicy(ck);
    const twin = await loadDqnAgent(ck);
    expect(policy.name).toBe('dqn(epsilon=0)');
    const env = new AtariEnv(findRom('breakout').bytes, { frameSkip: 4, repeatActionProbability: 0 });
    const reset = env.reset({ seed: 0 });
    policy.reset?.(0);
    let lives = reset.info.lives;
    let fires = 0;
    let lifeStart = true;
    let afterFire = false;
    for (let step = 0; step < 400; step++) {
      const ram = Uint8Array.from(env.ale.getRAM());
      const a = policy.act({ screen: env.screenRGB(), ram, observation: null, lives, step, env });
      if (lifeStart) {
        expect(a).toBe(1);
        fires++;
        lifeStart = false;
        afterFire = true;
      } else if (afterFire) {
        twin.startLife(ram);
        expect(a).toBe(twin.actFromStack());
        afterFire = false;
      } else {
        expect(a).toBe(twin.act(ram));
      }
      const r = env.step(a);
      if (r.terminated) break;
      if (r.info.lives < lives) lifeStart = true;
      lives = r.info.lives;
    }
    expect(fires).toBeGreaterThanOrEqual(2);
  });
});
