// Run folders: every stage writes into data/runs/<stage>-<timestamp or name>/ (ARCHITECTURE.md):
//   config.json    all options after defaults (exactly the object the stage passed in)
//   run.json       who made it: stage, command line, start time, git commit, and each resume
//   metrics.jsonl  one JSON object per logged step
//   summary.json   final figures
//   manifest.json  each input artifact by path and content hash (plus stage-specific fields)
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { writeJsonAtomic } from './atomic';
import { UserError } from './errors';
import { hashPath } from './hash';
import { startWandb, wandbWanted, type WandbSink } from './wandb';

export interface CreateRunOptions<C> {
  /** Stage name, e.g. 'train-dqn'; the folder is `<root>/<stage>-<name or timestamp>`. */
  stage: string;
  name?: string;
  root?: string;
  /** Use exactly this folder instead of `<root>/<stage>-...` (e.g. a recording's `--out`). */
  dir?: string;
  config: C;
  /** Also log to Weights & Biases (default: when WANDB_API_KEY is set). */
  wandb?: boolean;
  /** Allow an existing, non-empty folder (default false: refuse, to never mix two runs). */
  allowExisting?: boolean;
}

export interface ManifestInput {
  role: string;
  path: string;
}

export interface RunInfo {
  stage: string;
  createdAt: string;
  command: string[];
  cwd: string;
  node: string;
  gitCommit?: string;
  resumes: { at: string; command: string[] }[];
}

/** One line of metrics.jsonl: the caller's fields plus these. */
export interface MetricsLine {
  /** The caller's `step` if given, else the number of lines logged before this one. */
  step: number;
  /** ISO time of logging. */
  time: string;
  /** Seconds of run time, summed over resumes. */
  elapsed_s: number;
  [key: string]: unknown;
}

export class Run<C = unknown> {
  private lines: number;
  private elapsedBefore: number;
  private readonly started = Date.now();

  constructor(
    readonly dir: string,
    readonly stage: string,
    readonly config: C,
    private readonly wandb: WandbSink | undefined,
  ) {
    const previous = readMetrics(dir);
    this.lines = previous.length;
    const last = previous[previous.length - 1];
    this.elapsedBefore = typeof last?.elapsed_s === 'number' ? last.elapsed_s : 0;
  }

  /** Path of a file inside the run folder. */
  path(name: string): string {
    return join(this.dir, name);
  }

  elapsedSeconds(): number {
    return this.elapsedBefore + (Date.now() - this.started) / 1000;
  }

  /** Append one JSON line to metrics.jsonl (and to W&B when active). Returns the line written. */
  logMetrics(obj: Record<string, unknown>): MetricsLine {
    const step = typeof obj.step === 'number' ? obj.step : this.lines;
    const line: MetricsLine = {
      ...obj,
      step,
      time: new Date().toISOString(),
      elapsed_s: Math.round(this.elapsedSeconds() * 1000) / 1000,
    };
    appendFileSync(this.path('metrics.jsonl'), `${JSON.stringify(line)}\n`);
    this.lines++;
    this.wandb?.log(obj, step);
    return line;
  }

  writeSummary(obj: Record<string, unknown>): void {
    writeJsonAtomic(this.path('summary.json'), { ...obj, stage: this.stage, elapsed_s: this.elapsedSeconds(), writtenAt: new Date().toISOString() });
  }

  /**
   * Write manifest.json: each input by role, path (as given) and content hash (sha256 of a file;
   * for a folder, of its files' sorted relative paths and hashes). `extra` adds stage fields.
   */
  async writeManifest(inputs: ManifestInput[], extra: Record<string, unknown> = {}): Promise<void> {
    const hashed = [];
    for (const input of inputs) {
      if (!existsSync(input.path)) throw new UserError(`manifest: input ${input.role} not found at ${input.path}`);
      hashed.push({ role: input.role, path: input.path, ...(await hashPath(input.path)) });
    }
    writeJsonAtomic(this.path('manifest.json'), { stage: this.stage, writtenAt: new Date().toISOString(), inputs: hashed, ...extra });
  }

  /** Finish W&B (if any). metrics.jsonl needs no closing: each line is appended as it is logged. */
  async close(): Promise<void> {
    await this.wandb?.finish();
  }
}

/** `20261121-055311`: sortable, and safe in file names on every OS. */
export function timestampName(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function createRun<C>(opts: CreateRunOptions<C>): Promise<Run<C>> {
  const root = opts.root ?? 'data/runs';
  let dir = opts.dir ?? join(root, `${opts.stage}-${opts.name ?? timestampName()}`);
  if (!opts.dir && !opts.name) {
    // Two runs started in the same second get -2, -3...
    for (let i = 2; existsSync(dir) && readdirSync(dir).length > 0; i++) dir = join(root, `${opts.stage}-${timestampName()}-${i}`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0 && !opts.allowExisting) {
    throw new UserError(`run folder ${dir} already exists and is not empty: choose another --name/--out, or continue it with --resume ${dir}`);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create run folder ${dir}: ${(err as Error).message}`);
  }
  const info: RunInfo = {
    stage: opts.stage,
    createdAt: new Date().toISOString(),
    command: process.argv.slice(1).map((a) => (a.startsWith('/') ? relative(process.cwd(), a) || a : a)),
    cwd: process.cwd(),
    node: process.version,
    gitCommit: gitCommit(),
    resumes: [],
  };
  writeJsonAtomic(join(dir, 'config.json'), opts.config);
  writeJsonAtomic(join(dir, 'run.json'), info);
  const wandb = wandbWanted(opts.wandb) ? await startWandb({ name: basename(dir), group: opts.stage, config: opts.config }) : undefined;
  return new Run(dir, opts.stage, opts.config, wandb);
}

/** Reopen a run folder for `--resume`: reads config.json and records the resume in run.json. */
export async function openRun<C = unknown>(dir: string, opts: { wandb?: boolean } = {}): Promise<Run<C>> {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new UserError(`--resume ${dir}: not a run folder (expected ${configPath})`);
  let config: C;
  let info: RunInfo;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as C;
    const infoPath = join(dir, 'run.json');
    info = existsSync(infoPath)
      ? (JSON.parse(readFileSync(infoPath, 'utf8')) as RunInfo)
      : { stage: basename(resolve(dir)).split('-')[0] ?? 'unknown', createdAt: '', command: [], cwd: '', node: '', resumes: [] };
  } catch (err) {
    throw new UserError(`--resume ${dir}: config.json or run.json is not valid JSON (${(err as Error).message})`);
  }
  info.resumes = [...(info.resumes ?? []), { at: new Date().toISOString(), command: process.argv.slice(2) }];
  writeJsonAtomic(join(dir, 'run.json'), info);
  const wandb = wandbWanted(opts.wandb) ? await startWandb({ name: basename(dir), group: info.stage, config }) : undefined;
  return new Run(dir, info.stage, config, wandb);
}

/** All lines of a run's metrics.jsonl (a torn last line, from a crash mid-write, is skipped). */
export function readMetrics(dir: string): MetricsLine[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  const out: MetricsLine[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      /* torn line */
    }
  }
  return out;
}
