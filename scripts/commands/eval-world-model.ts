// `npm run eval:world-model`: the world model's yardstick on real trajectories (issue 6).
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, initBackend, type BackendPreference } from '../../models/backend';
import { recordCheckpointEval } from '../../models/checkpoint';
import { UserError } from '../../pipeline/errors';
import { evalWorldModel, formatEvalTable, loadActionToCode, type EvalMode, type EvalWorldModelResult } from '../../pipeline/eval-world-model';
import { timestampName } from '../../pipeline/run';
import { loadTrajectory } from '../../pipeline/trajectory';
import { ballHeadOption, headDir, paddleHeadDirFor, paddleHeadOption, WorldModel } from '../../pipeline/world-model';
import { writeJsonAtomic } from '../../pipeline/atomic';
import { checkFlags } from './argv';

interface Args {
  checkpoint: string;
  trajectory: string[];
  horizon: number;
  stride: number;
  mode: string;
  'action-map': string;
  'serve-rule': boolean;
  out?: string;
  json?: boolean;
  'write-meta': boolean;
  batch: number;
  'keep-bias'?: number;
  'ball-head': string;
  'paddle-head': string;
  backend: string;
}

export const evalWorldModelCommand: CommandModule<object, Args> = {
  command: 'eval-world-model',
  describe: 'Score the world model on real trajectories: PSNR vs copying, dynamic-pixel accuracy, paddle/ball errors, ΔtPSNR',
  builder: (yargs) =>
    yargs
      .option('checkpoint', { type: 'string', default: 'checkpoints/world-model', describe: 'World model checkpoint folder' })
      .option('trajectory', {
        type: 'string', array: true,
        default: ['../shared/wm-eval-sample/traj-tracker', '../shared/wm-eval-sample/traj-held'],
        describe: 'Trajectory folders (frame-KKKK.png + meta.json) or recorded episodes (.json sidecar or video)',
      })
      .option('horizon', { type: 'number', default: 30, describe: 'Frames predicted autoregressively from each start' })
      .option('stride', { type: 'number', default: 10, describe: 'Steps between start indices' })
      .option('mode', { type: 'string', choices: ['reconstruct', 'act'], default: 'reconstruct', describe: 'Codes from the encoder on the real frames, or from the real actions through the action map' })
      .option('action-map', { type: 'string', default: 'checkpoints/action-map', describe: 'Action map checkpoint (for --mode act)' })
      .option('serve-rule', { type: 'boolean', default: true, describe: "In act mode, the players' serve rule: only FIRE serves a new ball (--no-serve-rule: the map alone)" })
      .option('out', { type: 'string', describe: 'Folder for predicted frames (DIR/<trajectory>/start-SSSS/pred-HHH.png); default data/eval/world-model-<time>' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as one JSON line at the end' })
      .option('write-meta', { type: 'boolean', default: false, describe: "Record the figures in the checkpoint's checkpoint.json (--mode act: the action map's too)" })
      .option('batch', { type: 'number', default: 8, describe: 'Starts predicted together' })
      .option('keep-bias', { type: 'number', describe: "Predict with this keep bias instead of the checkpoint's (to choose one; see README)" })
      .option('ball-head', ballHeadOption)
      .option('paddle-head', paddleHeadOption)
      .option('backend', { type: 'string', choices: BACKEND_CHOICES, default: 'auto', describe: 'TensorFlow.js backend' }),
  handler: async (args) => {
    checkFlags([
      ['--horizon', args.horizon, Number.isInteger(args.horizon) && args.horizon >= 1],
      ['--stride', args.stride, Number.isInteger(args.stride) && args.stride >= 1],
      ['--batch', args.batch, Number.isInteger(args.batch) && args.batch >= 1],
      ['--keep-bias', args['keep-bias'], args['keep-bias'] === undefined || Number.isFinite(args['keep-bias'])],
    ]);
    if (args['write-meta'] && args['keep-bias'] !== undefined) throw new UserError("--write-meta records the checkpoint's own figures: drop --keep-bias");
    const log = args.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
    await initBackend(args.backend as BackendPreference, { log });
    const ballHead = headDir(args['ball-head']);
    const paddleHead = paddleHeadDirFor(args['paddle-head'], args.checkpoint);
    const wm = await WorldModel.load(args.checkpoint, { keepBias: args['keep-bias'], ballHead, paddleHead });
    const mode = args.mode as EvalMode;
    const actionMap = mode === 'act' ? await loadActionToCode(args['action-map']) : undefined;
    const out = args.out ?? join('data', 'eval', `world-model-${timestampName()}`);
    const results: EvalWorldModelResult[] = [];
    for (const path of args.trajectory) {
      const traj = await loadTrajectory(path);
      const name = path.replace(/\/+$/, '').split('/').pop()!.replace(/\.json$/, '');
      const r = await evalWorldModel(wm, traj, { horizon: args.horizon, stride: args.stride, mode, actionMap, serveRule: args['serve-rule'], outDir: join(out, name), batch: args.batch });
      results.push(r);
      log(formatEvalTable(r));
      log('');
    }
    writeJsonAtomic(join(out, 'results.json'), { checkpoint: args.checkpoint, ballHead: ballHead ?? null, paddleHead: paddleHead ?? null, mode, serveRule: args['serve-rule'], horizon: args.horizon, stride: args.stride, results });
    log(`predicted frames and results.json in ${out}`);
    if (args['write-meta']) {
      const figures = { results, ballHead: ballHead ?? null, paddleHead: paddleHead ?? null, serveRule: args['serve-rule'], command: ['npm', 'run', 'eval:world-model', '--', ...process.argv.slice(3)], at: new Date().toISOString() };
      recordCheckpointEval(args.checkpoint, figures, mode);
      if (mode === 'act') recordCheckpointEval(args['action-map'], figures, mode);
    }
    if (args.json) console.log(JSON.stringify({ checkpoint: args.checkpoint, mode, results }));
  },
};
