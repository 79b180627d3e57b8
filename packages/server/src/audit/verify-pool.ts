import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A checkpoint at a position inside a batch: the chain's hash there must equal the signed one. */
export interface BatchCheckpoint {
  position: number;
  hash: string | null;
  source: string;
  createdAt: string;
}

export interface BatchJob {
  /** NDJSON, one chain link a line: {"position","eventId","prevHash","hash","event"} (event null when missing). */
  text: string;
  /** Links verified before this batch; its first link must sit at position checked + 1. */
  checked: number;
  /** The stored hash of the link before this batch (null before position 1). */
  prevHash: string | null;
  checkpoints: BatchCheckpoint[];
}

export interface BatchVerdict {
  /** Links of this batch that passed, in order. */
  passed: number;
  problem: { firstBrokenId: string | null; problem: string } | null;
}

/**
 * The check of one batch, run in a worker thread: exactly the walk verify.ts did in one thread (position, event,
 * link, hash — RFC 8785 canonical JSON + SHA-256 as audit/hash.ts defines it — then checkpoints), from the batch's
 * starting position and previous hash, which the reader knows before the batch is hashed. Each batch is thus checked
 * independently and the joins between batches by the same comparisons. Plain JavaScript in a string: worker threads
 * cannot load the TypeScript sources the tests run on, and this keeps one code path for tests and the built server.
 * canonicalize is the same package hash.ts uses.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const loaded = import(workerData.canonicalizeUrl).then((module) => module.default);
function linkInput(canonicalize, position, prevHash, event) {
  const text = canonicalize({
    position,
    prevHash,
    event: {
      id: event.id, type: event.type, occurredAt: event.occurredAt,
      actor: { type: event.actor.type, id: event.actor.id, email: event.actor.email },
      environment: event.environment, flagKey: event.flagKey, scheduleId: event.scheduleId,
      requestId: event.requestId, data: event.data, before: event.before, after: event.after,
    },
  });
  if (text === undefined) throw new Error('an audit event has no canonical JSON form');
  return text;
}
parentPort.on('message', async ({ id, job }) => {
  try {
    const canonicalize = await loaded;
    const checkpoints = new Map();
    for (const checkpoint of job.checkpoints) {
      const list = checkpoints.get(checkpoint.position) ?? [];
      list.push(checkpoint);
      checkpoints.set(checkpoint.position, list);
    }
    let checked = job.checked;
    let prevHash = job.prevHash;
    const broken = (firstBrokenId, problem) =>
      parentPort.postMessage({ id, verdict: { passed: checked - job.checked, problem: { firstBrokenId, problem } } });
    for (const line of job.text.split('\\n')) {
      if (line === '') continue;
      const link = JSON.parse(line);
      const position = checked + 1;
      if (link.position !== position) {
        return broken(null, 'chain position ' + position + ' is missing (the next sealed position is ' + link.position + ')');
      }
      if (link.event === null) {
        return broken(link.eventId, 'event ' + link.eventId + ', sealed at position ' + position + ', is missing');
      }
      if (link.prevHash !== prevHash) {
        return broken(link.eventId, 'position ' + position + ' does not link to position ' + checked);
      }
      const hash = createHash('sha256').update(linkInput(canonicalize, position, prevHash, link.event)).digest('hex');
      if (hash !== link.hash) {
        return broken(link.eventId, 'event ' + link.eventId + ' at position ' + position + ' was altered (its hash does not match)');
      }
      for (const checkpoint of checkpoints.get(position) ?? []) {
        if (checkpoint.hash !== link.hash) {
          return broken(link.eventId, 'position ' + position + ' differs from the signed checkpoint ' + checkpoint.source +
            ' of ' + checkpoint.createdAt + ': the history up to it was rewritten');
        }
      }
      prevHash = link.hash;
      checked++;
    }
    parentPort.postMessage({ id, verdict: { passed: checked - job.checked, problem: null } });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.stack ? error.stack : error) });
  }
});
`;

type Reply = { id: number; verdict?: BatchVerdict; error?: string };

/** Worker threads checking batches in parallel; `close()` ends them. */
export class VerifyPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (v: BatchVerdict) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(size = Math.min(4, Math.max(1, availableParallelism()))) {
    const canonicalizeUrl = pathToFileURL(createRequire(import.meta.url).resolve('canonicalize')).href;
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { canonicalizeUrl } });
      worker.on('message', (reply: Reply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(error));
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  check(job: BatchJob): Promise<BatchVerdict> {
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error('the verify pool was closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (reply.verdict) waiter.resolve(reply.verdict);
    else waiter.reject(new Error(`verifying a batch failed: ${reply.error ?? 'no answer'}`));
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
