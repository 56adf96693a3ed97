// The web player: the local server, and the page itself driven in headless Chromium (Debian's
// `chromium` package through playwright-core): it loads, the canvas changes after a key press, and
// the neural paddle moves the way the arrow key says.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRom } from '../../atari/roms';
import { ACTION_MAP_DIR, WORLD_MODEL_DIR } from '../../play/neural-env';
import { type PlayServer, startPlayServer } from '../../play/server';
import { START_FRAMES_DIR } from '../../play/start-frames';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// The shipped model (override with PLAY_TEST_WORLD_MODEL / PLAY_TEST_ACTION_MAP).
const WM = process.env.PLAY_TEST_WORLD_MODEL ?? WORLD_MODEL_DIR;
const AM = process.env.PLAY_TEST_ACTION_MAP ?? ACTION_MAP_DIR;
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
    server = await startPlayServer({ worldModel: WM, actionMap: AM, startFrames: START_FRAMES_DIR, rom: null, fps: 15, temperature: 0, port: 0 });
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
  let userDataDir: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;

  beforeAll(async () => {
    server = await startPlayServer({ worldModel: WM, actionMap: AM, startFrames: START_FRAMES_DIR, rom: romOrNull(), fps: 15, temperature: 0, port: 0 });
    const { chromium } = await import('playwright-core');
    userDataDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('loads, changes the canvas after a key press, and moves the paddle the way the key says', async () => {
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

    // The canvas image and the paddle's x: mean column of the red (200,72,72) pixels in rows 189-192.
    const look = (id: string) =>
      page.evaluate((canvasId: string) => {
        const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, 160, 210).data;
        let sum = 0, n = 0, hash = 0;
        for (let i = 0; i < d.length; i += 4) hash = (Math.imul(hash, 31) + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
        for (let y = 189; y <= 192; y++) {
          for (let x = 8; x < 152; x++) {
            const i = (y * 160 + x) * 4;
            if (d[i] === 200 && d[i + 1] === 72 && d[i + 2] === 72) { sum += x; n++; }
          }
        }
        return { paddleX: n ? sum / n : null, hash };
      }, id) as Promise<{ paddleX: number | null; hash: number }>;
    const steps = () => page.evaluate(() => (window as unknown as { neuralBreakout: { steps: number } }).neuralBreakout.steps) as Promise<number>;
    const hold = async (key: string, n: number) => {
      const s0 = await steps();
      await page.keyboard.down(key);
      await page.waitForFunction((target: number) => (window as unknown as { neuralBreakout: { steps: number } }).neuralBreakout.steps >= target, s0 + n, { timeout: 60_000 });
      await page.keyboard.up(key);
      // Let the step that saw the key finish and be drawn.
      const s1 = await steps();
      await page.waitForFunction((target: number) => (window as unknown as { neuralBreakout: { steps: number } }).neuralBreakout.steps >= target, s1 + 1, { timeout: 60_000 });
    };

    // After reset the paddle sits right of centre (x 106.5 in the real game; it moves about 20 px per
    // step at frame skip 4). Each direction is tried from the start screen (R restarts), so a crude
    // model's drift after many open-loop steps does not decide the test.
    const waitSteps = async (n: number) => {
      const s0 = await steps();
      await page.waitForFunction((target: number) => (window as unknown as { neuralBreakout: { steps: number } }).neuralBreakout.steps >= target, s0 + n, { timeout: 60_000 });
    };
    const before = await look('neural');
    expect(before.paddleX, 'paddle on the start screen').not.toBeNull();
    await hold('ArrowLeft', 2);
    const left = await look('neural');
    expect(left.hash).not.toBe(before.hash); // the canvas changed after the key press
    expect(left.paddleX, `paddle after LEFT (step ${await steps()})`).not.toBeNull();
    expect(left.paddleX!).toBeLessThan(before.paddleX! - 6);

    await page.keyboard.press('r');
    await waitSteps(2);
    const again = await look('neural');
    expect(again.paddleX, `paddle after restart (step ${await steps()})`).not.toBeNull();
    expect(Math.abs(again.paddleX! - before.paddleX!)).toBeLessThan(3); // back at the start screen
    await hold('ArrowRight', 2);
    const right = await look('neural');
    expect(right.paddleX, `paddle after RIGHT (step ${await steps()})`).not.toBeNull();
    expect(right.paddleX!).toBeGreaterThan(again.paddleX! + 6);

    const realShown = await page.evaluate(() => !(document.getElementById('real-box') as HTMLElement).hidden);
    if (realShown) {
      // With a ROM the real game runs beside it on our emulator, driven by the same keys.
      await page.keyboard.press('r');
      await waitSteps(2);
      const r0 = await look('real');
      await hold('ArrowLeft', 2);
      const r1 = await look('real');
      expect(r0.paddleX, 'real paddle after restart').not.toBeNull();
      expect(r1.paddleX!).toBeLessThan(r0.paddleX! - 6);
    } else {
      console.warn('web player test: no ROM (ATARI_ROM_DIR), the real game beside the neural one was not exercised');
    }
  });
});
