// The neural environment in Node: loads the shipped world model, action map and start frames from
// disk and returns a NeuralGame (play/neural-core.ts), which has the same reset/step(action) shape as
// AtariEnv. Action indices are Breakout's minimal set: 0 NOOP, 1 FIRE, 2 RIGHT, 3 LEFT.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionToCode } from '../models/action-map';
import { CheckpointError } from '../models/checkpoint';
import { loadActionMap } from '../pipeline/action-map';
import { DEFAULT_BALL_HEAD, DEFAULT_PADDLE_HEAD, headDir, paddleHeadDirFor, WorldModel } from '../pipeline/world-model';
import { NeuralGame } from './neural-core';
import { loadStartFrames, START_FRAMES_DIR } from './start-frames';

export { ACTION_NAMES, NeuralGame, type NeuralStepResult } from './neural-core';

export const WORLD_MODEL_DIR = 'checkpoints/world-model';
export const ACTION_MAP_DIR = 'checkpoints/action-map';

export interface NeuralEnvOptions {
  worldModel?: string;
  actionMap?: string;
  /** Ball head checkpoint (models/ball-head.ts): default checkpoints/ball-head where it exists; "none" = the decoder alone. */
  ballHead?: string;
  /** Paddle head checkpoint (models/paddle-head.ts): default checkpoints/paddle-head where it exists and was trained on this world model; "none" = the decoder alone. */
  paddleHead?: string;
  startFrames?: string;
  /** 0 = most likely code; > 0 samples codes with this temperature. */
  temperature?: number;
  seed?: number;
  /** The serve rule: only FIRE serves a new ball (NeuralGameOptions.serveRule). Default true. */
  serveRule?: boolean;
}

/** The action map of a checkpoint folder (an MLP from stage 4, or a fixed code table), checked against the world model. */
export async function loadCodeMap(dir: string, codebookSize: number): Promise<ActionToCode> {
  const map = await loadActionMap(dir);
  if (map.codebookSize !== codebookSize) throw new CheckpointError(`action map ${dir}: ${map.codebookSize} codes, the world model has ${codebookSize}`);
  return map;
}

export interface LoadedNeuralEnv {
  game: NeuralGame;
  worldModel: WorldModel;
  /** One line naming what was loaded (for status lines and logs). */
  description: string;
}

/** World model + action map + start frames from disk, ready to reset(). */
export async function loadNeuralEnv(opts: NeuralEnvOptions = {}): Promise<LoadedNeuralEnv> {
  const wmDir = opts.worldModel ?? WORLD_MODEL_DIR;
  const amDir = opts.actionMap ?? ACTION_MAP_DIR;
  const sfDir = opts.startFrames ?? START_FRAMES_DIR;
  if (!existsSync(join(wmDir, 'checkpoint.json'))) {
    throw new CheckpointError(`world model not found: ${wmDir}/checkpoint.json (train one with npm run stage:train-latent, or pass --world-model DIR)`);
  }
  if (!existsSync(join(amDir, 'checkpoint.json'))) {
    throw new CheckpointError(`action map not found: ${amDir}/checkpoint.json (train one with npm run stage:train-action-map, or pass --action-map DIR)`);
  }
  const bhDir = headDir(opts.ballHead ?? DEFAULT_BALL_HEAD);
  const phDir = paddleHeadDirFor(opts.paddleHead ?? DEFAULT_PADDLE_HEAD, wmDir);
  const worldModel = await WorldModel.load(wmDir, { ballHead: bhDir, paddleHead: phDir });
  const codeMap = await loadCodeMap(amDir, worldModel.codebookSize);
  const starts = await loadStartFrames(sfDir);
  const game = new NeuralGame(worldModel.model, codeMap, starts, { temperature: opts.temperature, seed: opts.seed, serveRule: opts.serveRule, heads: worldModel.heads });
  const cfg = worldModel.config;
  return {
    game,
    worldModel,
    description: `world model ${wmDir} (K=${cfg.contextFrames}, ${cfg.codebookSize} codes)${bhDir ? `, ball head ${bhDir}` : ''}${phDir ? `, paddle head ${phDir}` : ''}, action map ${amDir}, ${starts.length} starts`,
  };
}
