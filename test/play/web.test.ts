// The web player: the local server, and the page itself driven in headless Chromium (Debian's
// `chromium` package through playwright-core): it loads, the canvas changes after a key press, and
// the neural paddle moves the way the arrow key says.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRom } from '../../atari/roms';
import { initBackend } from '../../models/backend';
import { classesToRgb } from '../../pipeline/frame-classes';
import { LEFT, type NeuralGame, RIGHT } from '../../play/neural-core';
import { ACTION_MAP_DIR, loadNeuralEnv, WORLD_MODEL_DIR } from '../../play/neural-env';
import { type PlayServer, startPlayServer } from '../../play/server';
import { DEFAULT_BALL_HEAD, DEFAULT_PADDLE_HEAD, headDir, paddleHeadDirFor } from '../../pipeline/world-model';
import { START_FRAMES_DIR } from '../../play/start-frames';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// The shipped model (override with PLAY_TEST_WORLD_MODEL / PLAY_TEST_ACTION_MAP).
const WM = process.env.PLAY_TEST_WORLD_MODEL ?? WORLD_MODEL_DIR;
const AM = process.env.PLAY_TEST_ACTION_MAP ?? ACTION_MAP_DIR;
const BH = headDir(DEFAULT_BALL_HEAD) ?? null;
const PH = paddleHeadDirFor(DEFAULT_PADDLE_HEAD, WM) ?? null;
const hasModel = existsSync(join(WM, 'checkpoint.json')) && existsSync(join(AM, 'checkpoint.json'));

if (!hasChromium) console.warn(`web player browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
if (!hasModel) console.warn(`web player tests skipped: no shipped model at ${WM} and ${AM}`);

function romOrNull(): Uint8Array | null {
  if (!process.env.ATARI_ROM_DIR) return null;
  try {
    return findRom('breakout', { searchAlePy: false }).bytes;
  } catch {
    return null;
  }
}

describe.skipIf(!hasModel)('play server', () => {
  let server: PlayServer;
  beforeAll(async () => {
    server = await startPlayServer({ worldModel: WM, actionMap: AM, ballHead: BH, paddleHead: PH, startFrames: START_FRAMES_DIR, rom: null, fps: 15, temperature: 0, port: 0 });
  });
  afterAll(async () => server?.close());

  it('serves the page, the bundle, the wasm binaries and the checkpoints, and nothing outside them', async () => {
    const get = (p: string) => fetch(new URL(p, server.url));
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<canvas id="neural"');
    const js = await get('/client.js');
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(100_000);
    const cfg = (await (await get('/config.json')).json()) as { rom: string | null; fps: number };
    expect(cfg).toMatchObject({ rom: null, fps: 15 });
    const wasm = await get('/tfjs-wasm/tfjs-backend-wasm-simd.wasm');
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
    expect((await get('/ckpt/world-model/checkpoint.json')).status).toBe(200);
    expect((await get('/ckpt/start-frames/index.json')).status).toBe(200);
    expect((await get('/ckpt/world-model/..%2f..%2fpackage.json')).status).toBe(404);
    expect((await get('/rom')).status).toBe(404);
  });
});

describe.skipIf(!hasChromium || !hasModel)('web player in headless Chromium', () => {
  let server: PlayServer;
  let nodeGame: NeuralGame;
  let userDataDir: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;

  beforeAll(async () => {
    server = await startPlayServer({ worldModel: WM, actionMap: AM, ballHead: BH, paddleHead: PH, startFrames: START_FRAMES_DIR, rom: romOrNull(), fps: 15, temperature: 0, port: 0 });
    await initBackend('wasm', { log: () => {} });
    nodeGame = (await loadNeuralEnv({ worldModel: WM, actionMap: AM, temperature: 0 })).game;
    const { chromium } = await import('playwright-core');
    userDataDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    nodeGame?.dispose();
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  // What the page must do: run, turn the arrow keys into the game's actions, and draw what the shipped
  // model predicts for them (checked against the same model in Node). Whether the model moves the paddle
  // the way the key says is the model's quality, measured by eval:world-model --mode act.
  it('loads, turns keys into actions, and draws what the model predicts for them', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e: Error) => errors.push(e.message));
    // Start 0 of the shipped start frames is the screen just after reset: the paddle has room both ways.
    await page.goto(`${server.url}?seed=0&start=0&fps=15`);
    await page.waitForFunction(() => {
      const s = (window as unknown as { neuralBreakout?: { ready: boolean; error: string | null; steps: number } }).neuralBreakout;
      return s && (s.error !== null || (s.ready && s.steps >= 3));
    }, undefined, { timeout: 90_000 });
    const state = await page.evaluate(() => (window as unknown as { neuralBreakout: unknown }).neuralBreakout);
    expect(state).toMatchObject({ error: null, ready: true });
    console.log('web player test: page running on', (state as { backend: string; decoder: string }).backend, (state as { decoder: string }).decoder);
    expect(errors).toEqual([]);

    // The neural canvas, its paddle x (mean column of the red (200,72,72) pixels in rows 189-192), and
    // the page's episode so far (start frames + actions), read in one go so no step falls in between.
    const look = () =>
      page.evaluate(() => {
        const canvas = document.getElementById('neural') as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, 160, 210).data;
        const rgb: number[] = [];
        for (let i = 0; i < d.length; i += 4) rgb.push(d[i], d[i + 1], d[i + 2]);
        const ep = (window as unknown as { neuralBreakout: { episode: () => { context: Uint8Array[]; actions: number[] } } }).neuralBreakout.episode();
        return { rgb, context: ep.context.map((f) => Array.from(f)), actions: [...ep.actions] };
      }) as Promise<{ rgb: number[]; context: number[][]; actions: number[] }>;
    const paddleX = (rgb: ArrayLike<number>): number | null => {
      let sum = 0, n = 0;
      for (let y = 189; y <= 192; y++) {
        for (let x = 8; x < 152; x++) {
          const i = (y * 160 + x) * 3;
          if (rgb[i] === 200 && rgb[i + 1] === 72 && rgb[i + 2] === 72) { sum += x; n++; }
        }
      }
      return n ? sum / n : null;
    };
    const steps = () => page.evaluate(() => (window as unknown as { neuralBreakout: { steps: number } }).neuralBreakout.steps) as Promise<number>;
    const waitSteps = async (n: number) => {
      const s0 = await steps();
      await page.waitForFunction((target: number) => (window as unknown as { neuralBreakout: { steps: number } }).neuralBreakout.steps >= target, s0 + n, { timeout: 60_000 });
    };
    const hold = async (key: string, n: number) => {
      await page.keyboard.down(key);
      await waitSteps(n);
      await page.keyboard.up(key);
      await waitSteps(1); // the step that saw the key finishes and is drawn
    };
    // The same episode through the same model in Node: the page must show the very same screen.
    const replay = (ep: { context: number[][]; actions: number[] }): Uint8Array => {
      const frames = ep.context.map((c) => classesToRgb(Uint8Array.from(c)));
      nodeGame.resetFrom({ name: 'page', frames });
      let obs = frames[frames.length - 1];
      for (const a of ep.actions) obs = nodeGame.step(a).observation;
      return obs;
    };
    const expectSameScreen = (page: { rgb: number[] }, node: Uint8Array, what: string) => {
      let same = 0;
      for (let p = 0; p < node.length; p += 3) if (page.rgb[p] === node[p] && page.rgb[p + 1] === node[p + 1] && page.rgb[p + 2] === node[p + 2]) same++;
      expect(same / (node.length / 3), `${what}: share of pixels equal to the Node replay`).toBeGreaterThan(0.999);
      expect(paddleX(page.rgb), `${what}: paddle x`).toBe(paddleX(node));
    };

    const before = await look();
    await hold('ArrowLeft', 2);
    const left = await look();
    expect(left.rgb).not.toEqual(before.rgb); // the canvas changed after the key press
    expect(left.actions).toContain(LEFT); // the key became the game's LEFT ...
    expect(left.actions).not.toContain(RIGHT);
    expectSameScreen(left, replay(left), 'after LEFT'); // ... and the page ran the model on it as Node does

    await page.keyboard.press('r');
    await waitSteps(2);
    await hold('ArrowRight', 2);
    const right = await look();
    expect(right.actions).toContain(RIGHT);
    expect(right.actions).not.toContain(LEFT); // R started a new episode
    expectSameScreen(right, replay(right), 'after R, RIGHT');

    const realShown = await page.evaluate(() => !(document.getElementById('real-box') as HTMLElement).hidden);
    if (realShown) {
      // With a ROM the real game runs beside it on our emulator, driven by the same keys.
      await page.keyboard.press('r');
      await waitSteps(2);
      const realScreen = () => page.evaluate(() => {
        const d = (document.getElementById('real') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 160, 210).data;
        const rgb: number[] = [];
        for (let i = 0; i < d.length; i += 4) rgb.push(d[i], d[i + 1], d[i + 2]);
        return rgb;
      }) as Promise<number[]>;
      const r0 = paddleX(await realScreen());
      await hold('ArrowLeft', 2);
      const r1 = paddleX(await realScreen());
      expect(r0, 'real paddle after restart').not.toBeNull();
      expect(r1!).toBeLessThan(r0! - 6);
    } else {
      console.warn('web player test: no ROM (ATARI_ROM_DIR), the real game beside the neural one was not exercised');
    }
  });
});
