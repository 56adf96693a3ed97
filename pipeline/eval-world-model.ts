// The world model's yardstick (issue 6): from each start index s of a real trajectory (every `stride`
// steps, once K context frames exist), predict H frames autoregressively from the real context frames,
// with codes inferred by the encoder from the real frames (`reconstruct`) or mapped from the real
// actions by the action map (`act`). Writes every predicted frame as DIR/start-SSSS/pred-HHH.png and
// scores horizons 1, 5, 10, 30 (pipeline/world-model-metrics.ts), plus ΔtPSNR at t=4 against random codes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classesToRgb, FRAME_HEIGHT, FRAME_WIDTH, rgbToClasses } from './frame-classes';
import { fieldBall } from './breakout-decode';
import { writePng } from './png';
import { Prng } from './prng';
import { crossesReset, type Trajectory } from './trajectory';
import { UserError } from './errors';
import { BALL_CLOCK_MAX, ballClockAfter, serveCode, type ActionToCode } from '../models/action-map';
import { loadActionMap } from './action-map';
import type { WorldModel } from './world-model';
import { deltaTPsnr, psnr, scoreFrame, summarizeHorizon, type FrameScores, type HorizonSummary } from './world-model-metrics';

/** Breakout's minimal action set as ALE ids; an action index is a position in this list. */
export const BREAKOUT_ACTION_SET = [0, 1, 3, 4] as const;

/** Minimal-set index of an ALE action id; UserError naming the source when it is not Breakout's. */
export function actionIndex(ale: number, where: string): number {
  const i = BREAKOUT_ACTION_SET.indexOf(ale as (typeof BREAKOUT_ACTION_SET)[number]);
  if (i < 0) throw new UserError(`${where}: action ${ale} is not in Breakout's minimal set (${BREAKOUT_ACTION_SET.join(', ')})`);
  return i;
}

/** Load an action map checkpoint (stage 4, pipeline/action-map.ts) as an ActionToCode. */
export async function loadActionToCode(dir: string): Promise<ActionToCode> {
  if (!existsSync(join(dir, 'checkpoint.json'))) throw new UserError(`action map not found: ${dir}/checkpoint.json (train one with npm run stage:train-action-map, or pass --action-map DIR)`);
  return loadActionMap(dir);
}

/** Actions of history an action map may look at (more than any map uses). */
const ACTION_HISTORY = 16;

/** The action at step t as an index into Breakout's minimal set. */
const actionAt = (traj: Trajectory, t: number): number => actionIndex(traj.actions[t], `${traj.source} step ${t}`);

/** The actions taken in the same game before step t (indices, oldest first, at most n). */
function previousActions(traj: Trajectory, t: number, n: number): number[] {
  const out: number[] = [];
  for (let k = t - 1; k >= 0 && out.length < n && !crossesReset(traj, k, t); k--) out.unshift(actionAt(traj, k));
  return out;
}

export type EvalMode = 'reconstruct' | 'act';

export interface EvalWorldModelOptions {
  horizon: number;
  stride: number;
  mode: EvalMode;
  actionMap?: ActionToCode;
  /** In act mode, the neural game's serve rule: only FIRE serves a new ball (serveCode). */
  serveRule: boolean;
  /** Where to write start-SSSS/pred-HHH.png (none when undefined). */
  outDir?: string;
  /** Horizons to report (those <= horizon). */
  report: number[];
  /** Step of the controllability check (Genie's ΔtPSNR at t = 4). */
  deltaT: number;
  seed: number;
  /** Starts decoded together. */
  batch: number;
}

export const DEFAULT_EVAL_OPTIONS: EvalWorldModelOptions = { horizon: 30, stride: 10, mode: 'reconstruct', serveRule: true, report: [1, 5, 10, 30], deltaT: 4, seed: 0, batch: 8 };

export interface EvalWorldModelResult {
  source: string;
  mode: EvalMode;
  starts: number;
  horizons: HorizonSummary[];
  /** PSNR at t = deltaT with the mode's codes minus with uniformly random codes (null if no start reaches t). */
  deltaTPsnr: number | null;
  deltaT: number;
  /** Codes used over all predicted steps (reconstruct: the encoder's codes of the real transitions). */
  codeCounts: number[];
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/** Start indices: the last real context frame s, with K frames of one game ending at s and s+1 existing. */
export function evalStarts(t: Pick<Trajectory, 'frames' | 'resets'>, contextFrames: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = contextFrames - 1; s + 1 < t.frames.length; s += stride) {
    if (crossesReset(t, s - contextFrames + 1, s)) continue;
    if (crossesReset(t, s, s + 1)) continue;
    out.push(s);
  }
  return out;
}

export async function evalWorldModel(wm: WorldModel, traj: Trajectory, options: Partial<EvalWorldModelOptions> = {}): Promise<EvalWorldModelResult> {
  const o = { ...DEFAULT_EVAL_OPTIONS, ...options };
  if (o.mode === 'act' && !o.actionMap) throw new UserError('--mode act needs an action map (--action-map DIR)');
  if (o.actionMap && o.actionMap.codebookSize !== wm.codebookSize) throw new UserError(`the action map has ${o.actionMap.codebookSize} codes, the world model ${wm.codebookSize}`);
  const K = wm.contextFrames;
  const classes = traj.frames.map((f) => rgbToClasses(f));
  const starts = evalStarts(traj, K, o.stride);
  // The action map's ball clock after each real frame (a reset starts a new game), then along each rollout.
  const realClock: number[] = [];
  classes.forEach((f, t) => realClock.push(ballClockAfter(t === 0 || traj.resets.includes(t) ? BALL_CLOCK_MAX : realClock[t - 1], f)));
  const perHorizon: FrameScores[][] = Array.from({ length: o.horizon }, () => []);
  const codeCounts = new Array<number>(wm.codebookSize).fill(0);
  const trueAtT: number[] = [], randomAtT: number[] = [];
  const rng = new Prng(o.seed);

  // How far each start may go: not past the end, not across a reset.
  const reach = (s: number): number => {
    let h = 0;
    while (h < o.horizon && s + h + 1 < traj.frames.length && !crossesReset(traj, s, s + h + 1)) h++;
    return h;
  };

  for (let b = 0; b < starts.length; b += o.batch) {
    const group = starts.slice(b, b + o.batch);
    const limits = group.map(reach);
    const contexts = group.map((s) => classes.slice(s - K + 1, s + 1));
    const clocks = group.map((s) => realClock[s]);
    const randomContexts = group.map((s) => classes.slice(s - K + 1, s + 1));
    const maxH = Math.max(...limits);
    for (let h = 1; h <= maxH; h++) {
      const live = group.map((_, i) => i).filter((i) => limits[i] >= h);
      // The code of step h for each live start, and its predicted frame.
      let codes: number[];
      let preds: Uint8Array[];
      if (o.mode === 'reconstruct') {
        const real = wm.inferCodes(live.map((i) => classes.slice(group[i] + h - K, group[i] + h)), live.map((i) => classes[group[i] + h]));
        codes = Array.from(real);
        preds = wm.predict(live.map((i) => contexts[i].slice(-K)), codes);
      } else {
        const steps = live.map((i) => {
          const t = group[i] + h - 1, action = actionAt(traj, t);
          return { action, probs: o.actionMap!.codeProbabilities(action, contexts[i].slice(-K), previousActions(traj, t, ACTION_HISTORY), clocks[i]) };
        });
        codes = steps.map(({ probs }) => argmax(probs));
        preds = wm.predict(live.map((i) => contexts[i].slice(-K)), codes);
        if (o.serveRule) {
          live.forEach((i, j) => {
            const frames = new Map([[codes[j], preds[j]]]);
            const frameOf = (c: number) => frames.get(c) ?? frames.set(c, wm.predict([contexts[i].slice(-K)], [c])[0]).get(c)!;
            codes[j] = serveCode(steps[j].action, clocks[i], steps[j].probs, codes[j], (c) => fieldBall(frameOf(c)));
            preds[j] = frameOf(codes[j]);
          });
        }
      }
      codes.forEach((c) => codeCounts[c]++);
      const doRandom = h <= o.deltaT;
      const randomPreds = doRandom ? wm.predict(live.map((i) => randomContexts[i].slice(-K)), live.map(() => rng.int(wm.codebookSize))) : [];
      for (let j = 0; j < live.length; j++) {
        const i = live[j], s = group[i];
        contexts[i].push(preds[j]);
        clocks[i] = ballClockAfter(clocks[i], preds[j]);
        const rgb = classesToRgb(preds[j]);
        const truth = traj.frames[s + h];
        perHorizon[h - 1].push(scoreFrame(rgb, truth, traj.frames[s]));
        if (o.outDir) await writePng(join(o.outDir, `start-${String(s).padStart(4, '0')}`, `pred-${String(h).padStart(3, '0')}.png`), rgb, FRAME_WIDTH, FRAME_HEIGHT);
        if (doRandom) {
          randomContexts[i].push(randomPreds[j]);
          if (h === o.deltaT) {
            trueAtT.push(psnr(rgb, truth));
            randomAtT.push(psnr(classesToRgb(randomPreds[j]), truth));
          }
        }
      }
    }
  }
  return {
    source: traj.source,
    mode: o.mode,
    starts: starts.length,
    horizons: o.report.filter((h) => h <= o.horizon && perHorizon[h - 1].length > 0).map((h) => summarizeHorizon(h, perHorizon[h - 1])),
    deltaTPsnr: deltaTPsnr(trueAtT, randomAtT),
    deltaT: o.deltaT,
    codeCounts,
  };
}

const fmt = (v: number | null, digits = 2): string => (v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** The result as a plain-text table. */
export function formatEvalTable(r: EvalWorldModelResult): string {
  const header = ['horizon', 'frames', 'PSNR dB', 'copy PSNR', 'dyn acc', 'paddle err', 'paddle med', 'ball err', 'ball<=4px'];
  const rows = r.horizons.map((h) => [
    String(h.horizon), String(h.frames), fmt(h.psnr), fmt(h.copyPsnr), fmt(h.dynamicAccuracy, 3),
    fmt(h.paddleErrorMean), fmt(h.paddleErrorMedian), fmt(h.ballErrorMean), fmt(h.ballWithin4, 3),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [
    `${r.source} (${r.mode}, ${r.starts} starts)`,
    line(header),
    ...rows.map(line),
    `ΔtPSNR at t=${r.deltaT} (${r.mode} codes vs random codes): ${fmt(r.deltaTPsnr)} dB; codes used: ${r.codeCounts.filter((c) => c > 0).length}/${r.codeCounts.length} [${r.codeCounts.join(' ')}]`,
  ].join('\n');
}
