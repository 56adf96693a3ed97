// The web player: the neural game on a canvas, the world model running in the browser with
// TensorFlow.js (WebGL, else WebAssembly, else plain JS), loading the same checkpoint files as the
// terminal player. When a ROM is at hand (served by play/server.ts, or picked from disk) the real
// game runs beside it on our emulator (atari/ has no dependencies, so it runs here too).
// Bundled by esbuild (play/server.ts); the page is play/web/index.html.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { AtariEnv } from '../../atari/env';
import { checkRom } from '../../atari/roms';
import { BallHead } from '../../models/ball-head';
import { PaddleHead, type PaddleHeadConfig } from '../../models/paddle-head';
import { fetchCheckpointIndex, fetchModel, fetchTensorGroup } from '../../models/checkpoint-io';
import { type LatentActionConfig, latentActionFromWeights } from '../../models/latent-action';
import { dynamicAccuracy, psnr } from '../../pipeline/world-model-metrics';
import type { WebConfig } from './config';
import { type ActionToCode, fetchActionMap, isMlpActionMeta, tableActionMapFromMeta } from '../../models/action-map';
import { ACTION_NAMES, FIRE, LEFT, NeuralGame, NOOP, RIGHT, type StartFrames } from '../neural-core';
import { FpsCounter, FramePacer } from '../pacing';

/** State the page exposes for tests and curious users (window.neuralBreakout). */
interface PageState {
  ready: boolean;
  error: string | null;
  backend: string;
  steps: number;
  realSteps: number;
  decoder: string;
  lastLatencyMs: number;
  /** The episode so far: the class frames it started from and the actions taken (to replay it elsewhere). */
  episode: () => { context: Uint8Array[]; actions: number[] };
}

let episode: { context: Uint8Array[]; actions: number[] } = { context: [], actions: [] };
const state: PageState = { ready: false, error: null, backend: '', steps: 0, realSteps: 0, decoder: '', lastLatencyMs: 0, episode: () => episode };
(window as unknown as { neuralBreakout: PageState }).neuralBreakout = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $('status');
const twinEl = $('twin');

function setStatus(text: string, isError = false): void {
  statusEl.textContent = text;
  statusEl.className = isError ? 'error' : '';
}

/** The WebGL renderer's name, or null without WebGL. Software renderers (SwiftShader, llvmpipe) are slower than wasm here. */
function webglRenderer(): string | null {
  const gl = (document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function chooseBackend(wanted: string | null, wasmPath: string): Promise<string> {
  setWasmPaths(wasmPath);
  const renderer = wanted ? null : webglRenderer();
  const softwareGl = renderer !== null && /swiftshader|llvmpipe|software|basic render/i.test(renderer);
  // A GPU's WebGL first; without one (or with a software rasteriser, ~20x slower) WebAssembly.
  const order = wanted ? [wanted] : renderer && !softwareGl ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}

async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return (await res.json()) as T;
}

/** A PNG as 160x210 RGB bytes, through an offscreen canvas. */
async function loadPngRgb(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const bitmap = await createImageBitmap(await res.blob());
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  if (bitmap.width !== 160 || bitmap.height !== 210) throw new Error(`${url} is ${bitmap.width}x${bitmap.height}, expected 160x210`);
  const rgb = new Uint8Array(160 * 210 * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) { rgb[i] = rgba[j]; rgb[i + 1] = rgba[j + 1]; rgb[i + 2] = rgba[j + 2]; }
  return rgb;
}

async function loadStarts(base: string): Promise<StartFrames[]> {
  const index = await fetchJson<{ starts: { name: string; frames: string[] }[] }>(`${base}/index.json`);
  return Promise.all(index.starts.map(async (s) => ({ name: s.name, frames: await Promise.all(s.frames.map((f) => loadPngRgb(`${base}/${f}`))) })));
}

/** A head's network from its checkpoint folder, handed to `make` with its meta (as pipeline/world-model.ts loadHead does on disk). */
async function fetchHead<T>(base: string, make: (model: tf.LayersModel, meta: Record<string, unknown>) => T): Promise<T> {
  const [model, index] = await Promise.all([fetchModel(base), fetchCheckpointIndex(base)]);
  try {
    return make(model, index.meta);
  } finally {
    model.dispose();
  }
}

async function loadGame(cfg: WebConfig, seed: number): Promise<NeuralGame> {
  const wmIndex = await fetchCheckpointIndex(cfg.worldModel);
  const named = Object.fromEntries((await fetchTensorGroup(cfg.worldModel, 'weights')).map((t) => [t.name, t.tensor]));
  const model = latentActionFromWeights((wmIndex.meta.config ?? {}) as Partial<LatentActionConfig>, named);
  for (const t of Object.values(named)) t.dispose();
  const amIndex = await fetchCheckpointIndex(cfg.actionMap);
  // A trained MLP (stage 4) loads through its own fetch loader; a fixed code table comes from the meta.
  const codeMap: ActionToCode = isMlpActionMeta(amIndex.meta)
    ? await fetchActionMap(cfg.actionMap)
    : tableActionMapFromMeta(amIndex.meta, `action map ${cfg.actionMap}`);
  const heads = {
    ball: cfg.ballHead ? await fetchHead(cfg.ballHead, (m) => BallHead.fromModel(m)) : null,
    paddle: cfg.paddleHead ? await fetchHead(cfg.paddleHead, (m, meta) => PaddleHead.fromModel(m, meta.config as PaddleHeadConfig)) : null,
  };
  return new NeuralGame(model, codeMap, await loadStarts(cfg.startFrames), { temperature: cfg.temperature, seed, heads });
}

function draw(canvas: HTMLCanvasElement, rgb: Uint8Array, image: ImageData): void {
  const d = image.data;
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) { d[j] = rgb[i]; d[j + 1] = rgb[i + 1]; d[j + 2] = rgb[i + 2]; d[j + 3] = 255; }
  canvas.getContext('2d')?.putImageData(image, 0, 0);
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const cfg = await fetchJson<WebConfig>('config.json');
  const fps = Number(params.get('fps') ?? cfg.fps);
  let seed = Number(params.get('seed') ?? Date.now() % 100000);
  // ?start=N: always begin from start sequence N of the shipped start frames (tests use 0).
  const startIndex = params.get('start') === null ? undefined : Number(params.get('start'));
  setStatus('starting TensorFlow.js…');
  state.backend = await chooseBackend(params.get('backend'), cfg.wasmPath);
  setStatus(`loading the world model (${state.backend})…`);
  const game = await loadGame(cfg, seed);
  state.decoder = game.decoderPath;

  const neuralCanvas = $<HTMLCanvasElement>('neural');
  const realCanvas = $<HTMLCanvasElement>('real');
  const neuralImage = new ImageData(160, 210);
  const realImage = new ImageData(160, 210);

  let real: AtariEnv | null = null;
  let realFrame: Uint8Array | null = null;

  const reset = () => {
    if (real) {
      const frames = [real.reset({ seed }).observation];
      while (frames.length < game.contextFrames) frames.push(real.step(NOOP).observation);
      realFrame = frames[frames.length - 1];
      game.resetFrom({ name: `real seed ${seed}`, frames });
      draw(realCanvas, realFrame, realImage);
    } else {
      game.reset({ seed, start: startIndex });
    }
    seed++;
    episode = { context: game.contextClasses(), actions: [] };
    draw(neuralCanvas, game.screenRGB(), neuralImage);
    twinEl.textContent = '';
  };

  const attachRom = (bytes: Uint8Array, source: string) => {
    checkRom(bytes, 'breakout', source);
    real = new AtariEnv(bytes, { obsType: 'rgb', frameSkip: 4, repeatActionProbability: 0 });
    $('real-box').hidden = false;
    $('rom-picker').hidden = true;
    reset();
  };
  if (cfg.rom) {
    const res = await fetch(cfg.rom);
    if (res.ok) attachRom(new Uint8Array(await res.arrayBuffer()), 'the served ROM');
  }
  $<HTMLInputElement>('rom-file').addEventListener('change', async (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      attachRom(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (err) {
      setStatus((err as Error).message, true);
    }
  });
  if (!real) reset();

  const held = new Set<string>();
  let paused = false;
  let resetWanted = false;
  window.addEventListener('keydown', (e) => {
    if (['ArrowLeft', 'ArrowRight', ' ', 'Spacebar'].includes(e.key)) e.preventDefault();
    if (e.key === 'r' || e.key === 'R') resetWanted = true;
    else if (e.key === 'p' || e.key === 'P') paused = !paused;
    else held.add(e.key === 'Spacebar' ? ' ' : e.key);
  });
  window.addEventListener('keyup', (e) => held.delete(e.key === 'Spacebar' ? ' ' : e.key));
  window.addEventListener('blur', () => held.clear());

  const fpsCounter = new FpsCounter(performance.now());
  const pacer = new FramePacer(1000 / fps, performance.now());
  state.ready = true;
  const tick = () => {
    try {
      if (resetWanted) {
        resetWanted = false;
        reset();
      } else if (!paused) {
        const action = held.has(' ') ? FIRE : held.has('ArrowLeft') && !held.has('ArrowRight') ? LEFT : held.has('ArrowRight') && !held.has('ArrowLeft') ? RIGHT : NOOP;
        const r = game.step(action);
        episode.actions.push(action);
        state.steps++;
        state.lastLatencyMs = r.info.latencyMs;
        draw(neuralCanvas, r.observation, neuralImage);
        if (real && realFrame) {
          const previous = realFrame;
          const rr = real.step(action);
          realFrame = rr.observation;
          state.realSteps++;
          draw(realCanvas, realFrame, realImage);
          const acc = dynamicAccuracy(r.observation, realFrame, previous);
          twinEl.textContent = `real vs neural: PSNR ${psnr(r.observation, realFrame).toFixed(1)} dB  dynamic-pixel accuracy ${acc === null ? '-' : acc.toFixed(2)}`;
          if (rr.terminated || rr.truncated) resetWanted = true;
        }
        const fpsShown = fpsCounter.tick(performance.now());
        setStatus(`step ${r.info.step}  action ${ACTION_NAMES[action]}  model ${r.info.latencyMs.toFixed(1)} ms  ${fpsShown} fps  backend ${state.backend} (${state.decoder})${paused ? '  PAUSED' : ''}`);
      }
    } catch (err) {
      state.error = (err as Error).message;
      setStatus(`error: ${state.error}`, true);
      return;
    }
    setTimeout(tick, pacer.wait(performance.now()));
  };
  tick();
}

main().catch((err: unknown) => {
  state.error = err instanceof Error ? err.message : String(err);
  setStatus(`error: ${state.error}`, true);
  console.error(err);
});
