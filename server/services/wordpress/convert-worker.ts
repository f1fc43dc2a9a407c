import { parentPort } from 'node:worker_threads';
import { convertBatch, type ConvertJob } from './convert.js';

/** The import's conversion worker (convert.ts): one batch per message, answered in order. */
parentPort?.on('message', (message: { id: number; job: ConvertJob }) => {
  try {
    parentPort!.postMessage({ id: message.id, result: convertBatch(message.job) });
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
