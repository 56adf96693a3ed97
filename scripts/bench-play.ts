// npm run bench:play -- [--steps 300] [--backend wasm] [--world-model DIR] [--ball-head DIR|none] [--paddle-head DIR|none] [--random-init] [--json]
//
// Milliseconds per predicted frame of the neural game, as the players run it: one NeuralGame.step
// (action -> code, decoder forward, argmax, read back, RGB) on Node with the WebAssembly backend by
// default. Prints median and p95 of wall-clock time and of this process's CPU time (steadier when
// other work shares the cores). The bar: p95 < 15 ms (4x headroom over 15 steps/s).
// With --json the last line is {"p50_ms": N, "p95_ms": N} (wall clock).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BACKEND_CHOICES, type BackendPreference, initBackend } from '../models/backend';
import { DEFAULT_LATENT_ACTION_CONFIG, LatentActionModel } from '../models/latent-action';
import { TableActionMap } from '../models/action-map';
import { NeuralGame } from '../play/neural-core';
import { loadNeuralEnv } from '../play/neural-env';
import { ballHeadOption, paddleHeadOption } from '../pipeline/world-model';
import { loadStartFrames } from '../play/start-frames';
import { headlessPolicy } from '../play/play-neural';

const args = yargs(hideBin(process.argv))
  .option('steps', { type: 'number', default: 300, describe: 'Timed steps' })
  .option('warmup', { type: 'number', default: 20, describe: 'Untimed steps first' })
  .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: 'wasm', describe: 'TensorFlow.js backend' })
  .option('world-model', { type: 'string', default: 'checkpoints/world-model', describe: 'World model checkpoint folder' })
  .option('action-map', { type: 'string', default: 'checkpoints/action-map', describe: 'Action map checkpoint folder' })
  .option('ball-head', ballHeadOption)
  .option('paddle-head', paddleHeadOption)
  .option('random-init', { type: 'boolean', default: false, describe: 'Bench a randomly initialised model of the default config (no checkpoint needed)' })
  .option('json', { type: 'boolean', default: false, describe: 'Last line: {"p50_ms": N, "p95_ms": N}' })
  .strict()
  .help()
  .parseSync();

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

async function main(): Promise<void> {
  const backend = await initBackend(args.backend as BackendPreference, { log: () => {} });
  let game: NeuralGame;
  let what: string;
  if (args.randomInit) {
    const model = new LatentActionModel(DEFAULT_LATENT_ACTION_CONFIG, 1);
    const n = model.config.codebookSize;
    const table = Array.from({ length: 4 }, (_, a) => Array.from({ length: n }, (_, k) => (k === a ? 1 : 0)));
    game = new NeuralGame(model, new TableActionMap(table), await loadStartFrames());
    what = 'random-init default config';
  } else {
    const env = await loadNeuralEnv({ worldModel: args.worldModel, actionMap: args.actionMap, ballHead: args.ballHead, paddleHead: args.paddleHead });
    game = env.game;
    what = env.description;
  }
  const policy = headlessPolicy('held', 1);
  game.reset({ seed: 0 });
  for (let t = 0; t < args.warmup; t++) game.step(policy(t));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let t = 0; t < args.steps; t++) {
    if (t % 100 === 0) game.reset({ seed: t });
    const c = process.cpuUsage();
    const t0 = performance.now();
    game.step(policy(t));
    wall.push(performance.now() - t0);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const macs = LatentActionModel.decoderMacs(game.model.config) / 1e6;
  console.log(`bench:play  ${what}`);
  console.log(`backend ${backend.name} (${backend.threads} thread${backend.threads === 1 ? '' : 's'}), decoder ${macs.toFixed(0)} M multiply-adds per frame, ${args.steps} steps`);
  console.log('');
  console.log('              p50 ms   p95 ms');
  console.log(`wall clock  ${quantile(wall, 0.5).toFixed(2).padStart(7)}  ${quantile(wall, 0.95).toFixed(2).padStart(7)}`);
  console.log(`cpu time    ${quantile(cpu, 0.5).toFixed(2).padStart(7)}  ${quantile(cpu, 0.95).toFixed(2).padStart(7)}`);
  console.log(`bar: p95 < 15 ms -> ${quantile(wall, 0.95) < 15 ? 'met' : 'NOT met'}`);
  if (args.json) console.log(JSON.stringify({ p50_ms: +quantile(wall, 0.5).toFixed(3), p95_ms: +quantile(wall, 0.95).toFixed(3) }));
  game.dispose();
}

main().catch((err: unknown) => {
  console.error((err as { userFacing?: boolean }).userFacing ? `error: ${(err as Error).message}` : err);
  process.exit(1);
});
