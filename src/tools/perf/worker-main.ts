/**
 * A `perf --workers` thread: runs its share of producers and consumers ({@link LocalRun}) and
 * answers the main thread's steps (see workers.ts).
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerData } from './workers.js';
import { LocalRun } from './workload.js';

const port = parentPort!;
const { plan, share } = workerData as WorkerData;
const run = new LocalRun(plan, share);
const post = (m: FromWorker): void => port.postMessage(m);
const log = (line: string): void => post({ type: 'log', line });
run.onProducersDone = () => post({ type: 'limit', role: 'producers' });
run.onConsumersDone = () => post({ type: 'limit', role: 'consumers' });

port.on('message', (m: ToWorker) => {
  const step = async (): Promise<void> => {
    switch (m.type) {
      case 'consumers':
        await run.startConsumers(log);
        return post({ type: 'done', step: 'consumers' });
      case 'producers':
        await run.startProducers(log);
        return post({ type: 'done', step: 'producers' });
      case 'take':
        return post({ type: 'sample', sample: run.take() });
      case 'stop':
        await run.stop();
        post({ type: 'done', step: 'stop' });
        port.close();
    }
  };
  step().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
});
