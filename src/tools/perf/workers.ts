/**
 * Where a run's producers and consumers live: this thread ({@link LocalEngine}) or N worker
 * threads ({@link WorkerEngine}), each with its own connections. Each interval every thread hands
 * over its counts and interval histograms; the main thread merges them.
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';
import type { Sample } from './metrics.js';
import { LocalRun, type RunPlan, type Share } from './workload.js';

/** What the runner drives. */
export interface Engine {
  startConsumers(): Promise<void>;
  startProducers(): Promise<void>;
  /** One sample per thread. */
  take(): Promise<Sample[]>;
  stop(): Promise<void>;
  onProducersDone: () => void;
  onConsumersDone: () => void;
}

/** Deal producers and consumers out to `n` threads in turn. */
export function deal(producers: number, consumers: number, n: number): Share[] {
  const shares: Share[] = Array.from({ length: n }, () => ({ producers: [], consumers: [] }));
  let turn = 0;
  for (let i = 0; i < consumers; i++) shares[turn++ % n]!.consumers.push(i);
  for (let i = 0; i < producers; i++) shares[turn++ % n]!.producers.push(i);
  return shares;
}

/** Everything in this thread. */
export class LocalEngine implements Engine {
  private readonly run: LocalRun;
  onProducersDone = (): void => {};
  onConsumersDone = (): void => {};

  constructor(plan: RunPlan, private readonly log: (line: string) => void) {
    this.run = new LocalRun(plan, { producers: range(plan.config.producers), consumers: range(plan.config.consumers) });
    this.run.onProducersDone = () => this.onProducersDone();
    this.run.onConsumersDone = () => this.onConsumersDone();
  }

  startConsumers(): Promise<void> { return this.run.startConsumers(this.log); }
  startProducers(): Promise<void> { return this.run.startProducers(this.log); }
  take(): Promise<Sample[]> { return Promise.resolve([this.run.take()]); }
  stop(): Promise<void> { return this.run.stop(); }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Messages from a worker. */
export type FromWorker =
  | { type: 'log'; line: string }
  | { type: 'done'; step: 'consumers' | 'producers' | 'stop' }
  | { type: 'sample'; sample: Sample }
  | { type: 'limit'; role: 'producers' | 'consumers' }
  | { type: 'error'; message: string };

/** Messages to a worker. */
export type ToWorker = { type: 'consumers' } | { type: 'producers' } | { type: 'take' } | { type: 'stop' };

/** A worker's start data. */
export interface WorkerData {
  plan: RunPlan;
  share: Share;
}

class WorkerHandle {
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }[]>();
  private failure: Error | null = null;

  constructor(readonly worker: Worker, readonly share: Share, log: (line: string) => void, onLimit: (role: 'producers' | 'consumers') => void) {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'log') log(m.line);
      else if (m.type === 'limit') onLimit(m.role);
      else if (m.type === 'done') this.settle(m.step, null, undefined);
      else if (m.type === 'sample') this.settle('take', null, m.sample);
      else this.fail(new Error(m.message));
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`perf worker exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const [step, list] of this.waiting) {
      if (step === 'stop') continue;
      for (const w of list) w.reject(e);
      this.waiting.delete(step);
    }
    for (const w of this.waiting.get('stop') ?? []) w.resolve(undefined);
    this.waiting.delete('stop');
  }

  private settle(step: string, err: Error | null, value: unknown): void {
    const w = this.waiting.get(step)?.shift();
    if (w === undefined) return;
    if (err) w.reject(err);
    else w.resolve(value);
  }

  ask<T>(m: ToWorker): Promise<T> {
    const step = m.type;
    if (this.failure) return step === 'stop' ? Promise.resolve(undefined as T) : Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const list = this.waiting.get(step) ?? [];
      list.push({ resolve: resolve as (v: unknown) => void, reject });
      this.waiting.set(step, list);
      this.worker.postMessage(m);
    });
  }
}

/** Producers and consumers spread over worker threads. */
export class WorkerEngine implements Engine {
  private readonly handles: WorkerHandle[];
  onProducersDone = (): void => {};
  onConsumersDone = (): void => {};

  constructor(plan: RunPlan, n: number, log: (line: string) => void) {
    const shares = deal(plan.config.producers, plan.config.consumers, n);
    let producersLeft = shares.filter((s) => s.producers.length > 0).length;
    let consumersLeft = shares.filter((s) => s.consumers.length > 0).length;
    const onLimit = (role: 'producers' | 'consumers'): void => {
      if (role === 'producers' && --producersLeft === 0) this.onProducersDone();
      if (role === 'consumers' && --consumersLeft === 0) this.onConsumersDone();
    };
    const entry = new URL('./worker-main.js', import.meta.url);
    this.handles = shares.map((share) => new WorkerHandle(new Worker(entry, { workerData: { plan, share } satisfies WorkerData }), share, log, onLimit));
  }

  async startConsumers(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.ask({ type: 'consumers' })));
  }

  async startProducers(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.ask({ type: 'producers' })));
  }

  take(): Promise<Sample[]> {
    return Promise.all(this.handles.map((h) => h.ask<Sample>({ type: 'take' })));
  }

  async stop(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.ask({ type: 'stop' })));
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }
}
