/**
 * Setup file for every test file: a test fails when, while it ran, the process saw an
 * `uncaughtException`, an `unhandledRejection` or a `MaxListenersExceededWarning`; errors that
 * arrive after the last test fail the file in `afterAll`. Also exports
 * {@link expectNoLeakedHandles} for tests that must leave no socket or timer behind.
 */
import { createHook } from 'node:async_hooks';
import { afterAll, afterEach, beforeEach } from 'vitest';

/** What the process reported that a test did not handle. */
export interface GuardEvent {
  kind: 'uncaughtException' | 'unhandledRejection' | 'MaxListenersExceededWarning';
  error: unknown;
}

/** Fails a test or file with every event the guards recorded while it ran. */
export class TestGuardError extends Error {
  override readonly name = 'TestGuardError';
  constructor(readonly events: readonly GuardEvent[]) {
    super(`${events.length} unhandled event(s) in this test:\n${events.map(describeEvent).join('\n')}`);
  }
}

/** Sockets or timers still alive after a test that should have closed them all. */
export class LeakedHandlesError extends Error {
  override readonly name = 'LeakedHandlesError';
  constructor(
    /** How many of each kind are alive beyond the baseline. */
    readonly leaked: Readonly<Partial<HandleCounts>>,
    /** Where each live timer (baseline ones included) was created, when timers leaked. */
    readonly timerSites: readonly string[] = [],
  ) {
    const sites = timerSites.map((site, i) => `\nlive timer ${i + 1} created\n${site}`).join('');
    super(`leaked handles beyond the baseline: ${JSON.stringify(leaked)}${sites}`);
  }
}

interface GuardState {
  events: GuardEvent[];
  baseline: HandleCounts;
  timers: TrackedTimer[];
}

// One set of process listeners per process, even when the setup file is evaluated again.
const STATE_KEY = Symbol.for('amqp-wire.test-guards');
const holder = globalThis as { [STATE_KEY]?: GuardState };

function guardState(): GuardState {
  const existing = holder[STATE_KEY];
  if (existing !== undefined) return existing;
  const state: GuardState = { events: [], baseline: { TCPSocketWrap: 0, TLSWrap: 0, Timeout: 0 }, timers: [] };
  process.on('uncaughtException', (error) => state.events.push({ kind: 'uncaughtException', error }));
  process.on('unhandledRejection', (error) => state.events.push({ kind: 'unhandledRejection', error }));
  process.on('warning', (warning) => {
    if (warning.name === 'MaxListenersExceededWarning') {
      state.events.push({ kind: 'MaxListenersExceededWarning', error: warning });
    }
  });
  trackTimers(state.timers);
  holder[STATE_KEY] = state;
  return state;
}

const state = guardState();

function describeEvent(event: GuardEvent): string {
  const error = event.error;
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `- ${event.kind}: ${text}`;
}

/** Lets pending rejection and warning events (delivered on later ticks) reach the listeners. */
function settle(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

function failOnRecordedEvents(): void {
  if (state.events.length === 0) return;
  const events = state.events.splice(0);
  throw new TestGuardError(events);
}

beforeEach(() => {
  state.baseline = handleCounts();
});

afterEach(async () => {
  await settle();
  failOnRecordedEvents();
});

afterAll(async () => {
  await settle();
  failOnRecordedEvents();
});

/**
 * Counts of what a test must not leave behind. Sockets come from
 * `process.getActiveResourcesInfo()`. Timers are counted from our own record of `Timeout`
 * objects, leaving out vitest's: its runner keeps a 100 ms task-update timer that comes and goes
 * between tests and would otherwise hide one leaked timer whenever it sat in the baseline.
 */
export interface HandleCounts {
  TCPSocketWrap: number;
  TLSWrap: number;
  Timeout: number;
}

interface TrackedTimer {
  ref: WeakRef<NodeJS.Timeout>;
  createdAt: string;
}

const VITEST_FRAME = /node_modules[\\/](?:@vitest|vitest)[\\/]/;

function trackTimers(timers: TrackedTimer[]): void {
  createHook({
    init(_id, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      // Skip the message line and this hook's own frame; the caller follows Node's timer frames.
      const frames = (new Error().stack ?? '').split('\n').slice(2);
      const caller = frames.findIndex((frame) => !frame.includes('(node:') && !frame.includes(' node:'));
      if (caller >= 0 && VITEST_FRAME.test(frames[caller] ?? '')) return;
      const createdAt = frames.slice(Math.max(caller, 0)).join('\n');
      if (timers.length >= 1024) pruneTimers(timers);
      timers.push({ ref: new WeakRef(resource as NodeJS.Timeout), createdAt });
    },
  }).enable();
}

// `_destroyed` is set by clearTimeout and after a one-shot timer fires; an unref'd timer does
// not keep the process alive, so it is not a leak either.
function timerActive(timer: NodeJS.Timeout | undefined): timer is NodeJS.Timeout {
  return timer !== undefined && (timer as { _destroyed?: boolean })._destroyed !== true && timer.hasRef();
}

function pruneTimers(timers: TrackedTimer[]): void {
  const alive = timers.filter((t) => timerActive(t.ref.deref()));
  timers.splice(0, timers.length, ...alive);
}

function activeTimers(): TrackedTimer[] {
  return state.timers.filter((t) => timerActive(t.ref.deref()));
}

/** What is alive now; pass it to {@link expectNoLeakedHandles} later as the baseline. */
export function handleCounts(): HandleCounts {
  const counts: HandleCounts = { TCPSocketWrap: 0, TLSWrap: 0, Timeout: activeTimers().length };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TLSWrap') counts[kind] += 1;
  }
  return counts;
}

function leakedBeyond(baseline: HandleCounts): Partial<HandleCounts> {
  const now = handleCounts();
  const leaked: Partial<HandleCounts> = {};
  for (const kind of ['TCPSocketWrap', 'TLSWrap', 'Timeout'] as const) {
    const extra = now[kind] - baseline[kind];
    if (extra > 0) leaked[kind] = extra;
  }
  return leaked;
}

/**
 * Fails unless the process has no more TCP sockets, TLS sockets or timers than in `baseline`
 * (by default, what was alive when the current test started). Polls for up to `waitMs`, since
 * a destroyed socket's handle closes on a later tick.
 */
export async function expectNoLeakedHandles(baseline: HandleCounts = state.baseline, waitMs = 500): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const leaked = leakedBeyond(baseline);
    if (Object.keys(leaked).length === 0) return;
    if (Date.now() >= deadline) {
      throw new LeakedHandlesError(leaked, leaked.Timeout === undefined ? [] : activeTimers().map((t) => t.createdAt));
    }
    await new Promise((done) => setTimeout(done, 20));
  }
}
