// Progress of long work: a bar with rate and ETA on a terminal; on a pipe or log file, one plain
// line every `intervalSec` seconds. Extra fields (say, mean return) ride along on both.
import type { WriteStream } from 'node:tty';

export interface ProgressOptions {
  /** Total units, when known (enables the bar and ETA). */
  total?: number;
  label?: string;
  /** Unit name for the rate, e.g. 'ep' → "3.2 ep/s". */
  unit?: string;
  /** Where to draw (default stderr, so stdout stays clean for --json output). */
  stream?: NodeJS.WritableStream;
  /** Seconds between plain lines when the stream is not a terminal (default 10). */
  intervalSec?: number;
  /** Count already done when starting (a resumed run): the rate counts only new work. */
  initial?: number;
}

export type ProgressFields = Record<string, string | number | undefined>;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export class Progress {
  private done: number;
  private fields: ProgressFields = {};
  private readonly start = Date.now();
  private readonly initial: number;
  private lastDraw = 0;
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private finished = false;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.initial = opts.initial ?? 0;
    this.done = this.initial;
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean((this.stream as WriteStream).isTTY);
  }

  /** Add `n` units done and update the extra fields. */
  tick(n = 1, fields?: ProgressFields): void {
    this.update(this.done + n, fields);
  }

  /** Set the count done and update the extra fields. */
  update(done: number, fields?: ProgressFields): void {
    this.done = done;
    if (fields) this.fields = { ...this.fields, ...fields };
    const now = Date.now();
    const every = this.tty ? 100 : (this.opts.intervalSec ?? 10) * 1000;
    if (now - this.lastDraw >= every) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  /** Units per second since start (new work only). */
  rate(): number {
    const sec = (Date.now() - this.start) / 1000;
    return sec > 0 ? (this.done - this.initial) / sec : 0;
  }

  /** The current status line, without bar (also used for plain output). */
  line(): string {
    const { total, label, unit = 'it' } = this.opts;
    const rate = this.rate();
    const parts: string[] = [];
    if (label) parts.push(label);
    parts.push(total !== undefined ? `${this.done}/${total}` : `${this.done}`);
    parts.push(`${formatNumber(rate)} ${unit}/s`);
    parts.push(`elapsed ${formatDuration((Date.now() - this.start) / 1000)}`);
    if (total !== undefined && rate > 0) parts.push(`ETA ${formatDuration((total - this.done) / rate)}`);
    for (const [k, v] of Object.entries(this.fields)) {
      if (v === undefined) continue;
      parts.push(`${k} ${typeof v === 'number' ? formatNumber(v) : v}`);
    }
    return parts.join(' | ');
  }

  private draw(final: boolean): void {
    if (this.tty) {
      const { total } = this.opts;
      let bar = '';
      if (total !== undefined && total > 0) {
        const width = 24;
        const filled = Math.max(0, Math.min(width, Math.round((this.done / total) * width)));
        bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
      }
      const cols = (this.stream as WriteStream).columns ?? 120;
      this.stream.write(`\r\x1b[2K${(bar + this.line()).slice(0, cols - 1)}${final ? '\n' : ''}`);
    } else {
      this.stream.write(`${this.line()}\n`);
    }
  }

  /** Print a message without garbling the bar. */
  log(message: string): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
    this.stream.write(`${message}\n`);
    if (this.tty && !this.finished) this.draw(false);
  }

  /** Draw the final state and end the line. */
  finish(fields?: ProgressFields): void {
    if (this.finished) return;
    if (fields) this.fields = { ...this.fields, ...fields };
    this.finished = true;
    this.draw(true);
  }
}

/**
 * Ctrl-C (SIGINT) and SIGTERM: the first runs `handler` once (say, write a final checkpoint, remove
 * partial files), then exits with code 130; a second signal exits at once. Returns a function that
 * removes the handlers (call it when the work ends normally). `onForceExit` (synchronous) runs
 * before the immediate exit on the second signal, e.g. to delete partial files.
 * With `exit: false` the process is not exited after the handler: the caller's loop sees its own
 * stop flag and winds down.
 */
export function onInterrupt(
  handler: () => void | Promise<void>,
  opts: { exit?: boolean; quiet?: boolean; onForceExit?: () => void } = {},
): () => void {
  let calls = 0;
  const listener = (signal: NodeJS.Signals): void => {
    calls++;
    if (calls > 1) {
      process.stderr.write(`\n${signal} again: exiting now\n`);
      try {
        opts.onForceExit?.();
      } finally {
        process.exit(130);
      }
    }
    if (!opts.quiet) process.stderr.write(`\n${signal}: finishing cleanly (press Ctrl-C again to exit at once)\n`);
    Promise.resolve()
      .then(handler)
      .catch((err: unknown) => process.stderr.write(`error while stopping: ${(err as Error).message}\n`))
      .finally(() => {
        if (opts.exit !== false) process.exit(130);
      });
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
