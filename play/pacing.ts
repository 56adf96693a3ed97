// Real-time pacing shared by the terminal players and the web page: a fixed-rate tick schedule and
// the measured tick rate. Pure (the caller passes the clock), so browser-safe and testable.

/** The tick rate measured over about one second, as shown in the status line. */
export class FpsCounter {
  private frames = 0;
  private shown = 0;

  constructor(private since: number) {}

  /** Counts one tick at `nowMs`; returns the rate last measured. */
  tick(nowMs: number): number {
    this.frames++;
    if (nowMs - this.since >= 1000) {
      this.shown = Math.round((this.frames * 1000) / (nowMs - this.since));
      this.frames = 0;
      this.since = nowMs;
    }
    return this.shown;
  }
}

/** A fixed-rate schedule; if it falls far behind (a suspended terminal), it starts counting afresh. */
export class FramePacer {
  private next: number;

  constructor(
    private readonly frameMs: number,
    nowMs: number,
  ) {
    this.next = nowMs;
  }

  /** Milliseconds to wait from `nowMs` until the next tick is due (0 when it is already late). */
  wait(nowMs: number): number {
    this.next += this.frameMs;
    const wait = this.next - nowMs;
    if (wait < -250) this.next = nowMs;
    return Math.max(0, wait);
  }
}
