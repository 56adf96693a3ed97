// Weights & Biases, in addition to metrics.jsonl, when WANDB_API_KEY is set or `--wandb` is given.
// `@wandb/sdk` is an optional dependency loaded at run time: when it is missing or fails to start,
// we print one line and the run goes on with metrics.jsonl alone.

export interface WandbSink {
  log(metrics: Record<string, unknown>, step?: number): void;
  finish(): Promise<void>;
}

export function wandbWanted(flag?: boolean): boolean {
  if (flag === false) return false;
  return flag === true || Boolean(process.env.WANDB_API_KEY);
}

interface WandbModule {
  init(opts: Record<string, unknown>): Promise<unknown> | unknown;
  log(data: Record<string, unknown>, opts?: Record<string, unknown>): void;
  finish(): Promise<void> | void;
}

export async function startWandb(opts: {
  project?: string;
  name: string;
  group?: string;
  config: unknown;
}): Promise<WandbSink | undefined> {
  let mod: WandbModule;
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const specifier = '@wandb/sdk';
    const imported = (await import(specifier)) as { default?: WandbModule } & WandbModule;
    mod = imported.default ?? imported;
  } catch {
    console.warn('wandb: @wandb/sdk is not installed (npm install @wandb/sdk); logging to metrics.jsonl only');
    return undefined;
  }
  try {
    await mod.init({
      project: opts.project ?? process.env.WANDB_PROJECT ?? 'neural-breakout',
      name: opts.name,
      group: opts.group,
      config: opts.config as Record<string, unknown>,
    });
  } catch (err) {
    console.warn(`wandb: could not start (${(err as Error).message}); logging to metrics.jsonl only`);
    return undefined;
  }
  let failed = false;
  return {
    log(metrics, step) {
      if (failed) return;
      try {
        // W&B wants numbers; drop strings and nested objects rather than fail.
        const numeric: Record<string, number> = {};
        for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) numeric[k] = v;
        mod.log(numeric, step === undefined ? undefined : { step });
      } catch (err) {
        failed = true;
        console.warn(`wandb: logging failed (${(err as Error).message}); continuing with metrics.jsonl only`);
      }
    },
    async finish() {
      try {
        await mod.finish();
      } catch {
        /* the run's own files are already complete */
      }
    },
  };
}
