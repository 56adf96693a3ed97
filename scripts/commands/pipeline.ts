// `npm run pipeline -- --preset tiny|full|ci`: every stage in order on a fresh run folder, then a
// headless neural game from the new model (proof that it plays) and the command to play it.
import { join, relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { backendOption, type BackendPreference, initBackend } from '../../models/backend';
import { PIPELINE_PRESETS, PRESETS, type PresetName, runPipeline } from '../../pipeline/pipeline';
import { loadNeuralEnv } from '../../play/neural-env';
import { recordNeuralGame } from '../../play/play-neural';
import { START_FRAMES_DIR } from '../../play/start-frames';

interface Args {
  preset: PresetName;
  out?: string;
  seed: number;
  rom?: string;
  'gif-steps': number;
  backend: string;
}

export const pipelineCommand: CommandModule<object, Args> = {
  command: 'pipeline',
  describe: 'Run every stage in order (train-dqn, record, train-latent, collect-pairs, train-action-map) on a fresh run folder, ending with a playable model',
  builder: (yargs) =>
    yargs
      .option('preset', {
        choices: PRESETS,
        default: 'tiny' as PresetName,
        describe: `Size of every stage: ${PRESETS.map((p) => `${p} = ${PIPELINE_PRESETS[p].description}`).join('; ')}`,
      })
      .option('out', { type: 'string', describe: 'Pipeline folder (default data/runs/pipeline-<preset>-<timestamp>); must not exist' })
      .option('seed', { type: 'number', default: 1, describe: 'Seed passed to every stage' })
      .option('rom', { type: 'string', describe: 'Breakout ROM file (default: ATARI_ROM_DIR, then an installed ale-py)' })
      .option('gif-steps', { type: 'number', default: 120, describe: 'Steps of the neural game written to neural-game.gif at the end' })
      .options(backendOption),
  handler: async (args) => {
    const backend = args.backend as BackendPreference;
    const r = await runPipeline({ preset: args.preset, out: args.out, seed: args.seed, backend, rom: args.rom });
    await initBackend(backend, { log: () => {} });
    const { game } = await loadNeuralEnv({ worldModel: r.worldModel, actionMap: r.actionMap, ballHead: r.ballHead, paddleHead: r.paddleHead, startFrames: START_FRAMES_DIR, seed: args.seed });
    const gif = join(r.dir, 'neural-game.gif');
    const g = await recordNeuralGame({ game, policy: 'held', steps: Math.max(1, args['gif-steps']), out: gif, seed: args.seed, fps: 15, scale: 2 });
    game.dispose();
    const rel = (p: string) => relative(process.cwd(), p) || p;
    console.log(`pipeline ${args.preset}: done in ${(r.seconds / 60).toFixed(1)} min`);
    for (const s of r.stages) console.log(`  ${s.stage.padEnd(17)} ${s.seconds.toFixed(0).padStart(6)} s  ${rel(s.dir)}`);
    console.log(`  neural game       ${g.frames} frames, model ${g.medianLatencyMs.toFixed(1)} ms/step: ${rel(gif)}`);
    console.log(`play it: npm run play -- --world-model ${rel(r.worldModel)} --ball-head ${rel(r.ballHead)} --paddle-head ${rel(r.paddleHead)} --action-map ${rel(r.actionMap)}`);
  },
};
