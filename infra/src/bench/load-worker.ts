import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadOptions, type WorkerMessage } from './load';

// Worker-thread entry of the load generator (see runLoadInWorker).
const post = (message: WorkerMessage): void => parentPort!.postMessage(message);
runLoad(workerData as LoadOptions, (phase) => post({ phase })).then(
  (result) => post({ ok: true, result }),
  (error: unknown) => post({ ok: false, error: error instanceof Error ? error.message : String(error) }),
);
