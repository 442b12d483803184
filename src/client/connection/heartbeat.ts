/**
 * Heartbeats (spec 4.2.7, RabbitMQ's heartbeat guide): send a heartbeat frame when nothing has
 * been written for interval/2; treat the peer as dead after two intervals with nothing read.
 *
 * Deadlines are measured in elapsed time, not counted timer ticks: a timer that fires late
 * (event-loop stall) must neither skip a send nor declare a peer dead that was only unread. Before
 * declaring death the check waits one setImmediate, so data that arrived during a stall is
 * processed first (the poll phase runs between timers and check).
 * @packageDocumentation
 */

/** What the heartbeat needs from its connection. */
export interface HeartbeatHost {
  /** ms timestamp of the last byte read. */
  lastRead(): number;
  /** ms timestamp of the last byte written. */
  lastWrite(): number;
  /** Write one heartbeat frame now. */
  sendHeartbeat(): void;
  /** The peer has been silent for two intervals. */
  onHeartbeatTimeout(silentMs: number): void;
}

/** Monotonic milliseconds. */
export const now = (): number => performance.now();

/** Runs the two deadlines of one connection. `stop()` leaves no timers behind. */
export class Heartbeat {
  private readonly sendEvery: number;
  private readonly deadAfter: number;
  private sendTimer: NodeJS.Timeout | undefined;
  private readTimer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly host: HeartbeatHost, intervalSeconds: number) {
    this.sendEvery = (intervalSeconds * 1000) / 2;
    this.deadAfter = intervalSeconds * 2000;
    this.armSend(this.sendEvery);
    this.armRead(this.deadAfter);
  }

  private armSend(ms: number): void {
    this.sendTimer = setTimeout(() => this.checkSend(), Math.max(1, ms));
    this.sendTimer.unref();
  }

  private armRead(ms: number): void {
    this.readTimer = setTimeout(() => this.checkRead(), Math.max(1, ms));
    this.readTimer.unref();
  }

  private checkSend(): void {
    if (this.stopped) return;
    const idle = now() - this.host.lastWrite();
    if (idle >= this.sendEvery - 1) {
      this.host.sendHeartbeat();
      this.armSend(this.sendEvery);
    } else {
      this.armSend(this.sendEvery - idle);
    }
  }

  private checkRead(): void {
    if (this.stopped) return;
    const silent = now() - this.host.lastRead();
    if (silent < this.deadAfter) {
      this.armRead(this.deadAfter - silent);
      return;
    }
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      if (this.stopped) return;
      const stillSilent = now() - this.host.lastRead();
      if (stillSilent >= this.deadAfter) this.host.onHeartbeatTimeout(stillSilent);
      else this.armRead(this.deadAfter - stillSilent);
    });
  }

  /** Clear every timer. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.sendTimer);
    clearTimeout(this.readTimer);
    if (this.immediate) clearImmediate(this.immediate);
  }
}
