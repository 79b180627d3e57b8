import cluster, { type Worker } from 'node:cluster';
import { constants as osConstants } from 'node:os';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { registry } from '../shared/metrics';

/*
 * `flagline relay --workers N`: a relay holds no database and no state beyond its snapshot, so it spreads over a
 * machine's cores as N processes behind one port (node:cluster), each keeping its own snapshot from the upstream's
 * stream — as Unleash Edge spreads over threads. The primary serves nothing itself: it starts the workers, replaces
 * one that dies, forwards a shutdown and answers /metrics with every worker's figures added up.
 */

/** The messages between a relay worker and its primary. */
type RelayClusterMessage =
  | { type: 'flagline:relay-listening'; url: string }
  /** worker → primary: a scrape reached me; primary → worker: the relay's figures, added up. */
  | { type: 'flagline:relay-metrics'; id: number; text?: string; error?: string }
  /** primary → worker: send me your registry; worker → primary: here it is. */
  | { type: 'flagline:relay-collect'; id: number; metrics?: object[] };

function isRelayMessage(message: unknown): message is RelayClusterMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string' &&
    (message as { type: string }).type.startsWith('flagline:relay-')
  );
}

/** A worker that dies this often within a minute is not coming back healthy: the relay stops rather than spin. */
const RESTARTS_PER_MINUTE = 5;
const RESTART_DELAY_MS = 500;
/** A worker that does not hand over its figures in this time is left out of that scrape (it may be starting). */
const COLLECT_TIMEOUT_MS = 2_000;
const METRICS_TIMEOUT_MS = 5_000;

export const isRelayWorker = (): boolean => cluster.isWorker;

/** Which worker a log line comes from (1, 2, …; a replacement gets the next number), or undefined in the primary. */
export const relayWorkerId = (): number | undefined => cluster.worker?.id;

/** Numbers every collection request, so overlapping scrapes never take each other's answers. */
let collections = 0;

/** The primary's /metrics: the registries of the workers that listen, added up with each metric's aggregator. */
async function collectFrom(workers: Iterable<Worker>, logger: Logger): Promise<string> {
  const answers = await Promise.all(
    [...workers].map(
      (worker) =>
        new Promise<object[] | undefined>((resolve) => {
          const id = ++collections;
          const timer = setTimeout(() => {
            worker.off('message', onMessage);
            logger.warn({ pid: worker.process.pid }, 'relay: a worker did not hand over its metrics in time');
            resolve(undefined);
          }, COLLECT_TIMEOUT_MS);
          const onMessage = (message: unknown) => {
            if (!isRelayMessage(message) || message.type !== 'flagline:relay-collect' || message.id !== id) return;
            clearTimeout(timer);
            worker.off('message', onMessage);
            resolve(message.metrics);
          };
          worker.on('message', onMessage);
          worker.send({ type: 'flagline:relay-collect', id } satisfies RelayClusterMessage);
        }),
    ),
  );
  return AggregatorRegistry.aggregate(answers.filter((metrics) => metrics !== undefined)).metrics();
}

/**
 * The primary: starts one worker and waits until it listens (so a refused token or a taken port stops the relay with
 * that worker's one message and exit code), then the others. Resolves with the exit code the relay should end with.
 */
export async function superviseRelayWorkers(count: number, logger: Logger): Promise<number> {
  // Each worker accepts from the shared socket itself: with the primary handing connections out (the default), a
  // connection handed to a worker in the instant it dies is lost and its client hangs.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  let stopping: { code: number } | undefined;
  const restarts: number[] = [];
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const stopAll = (signal: NodeJS.Signals, code: number) => {
    stopping = { code: stopping?.code ?? code };
    if (live.size === 0) finish(stopping.code);
    for (const worker of live) worker.process.kill(signal);
  };

  const fork = (): Promise<{ url: string } | { exitCode: number }> =>
    new Promise((resolve) => {
      const worker = cluster.fork();
      live.add(worker);
      worker.on('message', (message: unknown) => {
        if (!isRelayMessage(message)) return;
        if (message.type === 'flagline:relay-listening') {
          listening.add(worker);
          resolve({ url: message.url });
        } else if (message.type === 'flagline:relay-metrics') {
          collectFrom(listening, logger).then(
            (text) => worker.send({ type: 'flagline:relay-metrics', id: message.id, text }),
            (error: unknown) => worker.send({ type: 'flagline:relay-metrics', id: message.id, error: String(error) }),
          );
        }
      });
      worker.once('exit', (code, signal) => {
        live.delete(worker);
        const started = listening.delete(worker);
        if (!started) resolve({ exitCode: code ?? 1 });
        if (stopping) {
          if (live.size === 0) finish(stopping.code);
          return;
        }
        if (!started) return;
        const now = Date.now();
        restarts.push(now);
        while ((restarts[0] ?? now) < now - 60_000) restarts.shift();
        if (restarts.length > RESTARTS_PER_MINUTE) {
          logger.error({ restarts: restarts.length }, 'relay: workers keep dying; stopping the relay');
          stopAll('SIGTERM', 1);
          return;
        }
        logger.warn({ pid: worker.process.pid, code, signal }, 'relay: a worker died; starting another');
        setTimeout(() => {
          if (stopping) return;
          void fork().then((replacement) => {
            // A replacement stopped by the relay's own shutdown before it listened is no failure.
            if ('exitCode' in replacement && !stopping) {
              logger.error({ code: replacement.exitCode }, 'relay: a replacement worker failed to start');
            }
          });
        }, RESTART_DELAY_MS);
      });
    });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      for (const worker of live) worker.process.kill('SIGKILL');
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    }
    logger.info({ signal }, 'relay shutting down');
    // Each worker drains its requests and streams as a single relay does on SIGTERM.
    stopAll('SIGTERM', 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const first = await fork();
  // Stopped by the operator before it listened: a shutdown, not a failure.
  if ('exitCode' in first) return stopping ? stopping.code : first.exitCode;
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => fork()));
  const failed = rest.find((started) => 'exitCode' in started);
  if (failed && 'exitCode' in failed && !stopping) {
    logger.error({ code: failed.exitCode }, 'relay: a worker failed to start; stopping the relay');
    stopAll('SIGTERM', failed.exitCode || 1);
  } else if (!stopping) {
    logger.info({ url: first.url, workers: count }, `Flagline relay listening on ${first.url} with ${count} workers`);
  }
  return finished;
}

/** In a worker, once it listens: tells the primary (whose start waits for it) and hands over its metrics on request. */
export function announceRelayListening(url: string): void {
  if (!cluster.isWorker) return;
  process.on('message', (message: unknown) => {
    if (!isRelayMessage(message) || message.type !== 'flagline:relay-collect') return;
    void registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: 'flagline:relay-collect', id: message.id, metrics }),
      () => process.send?.({ type: 'flagline:relay-collect', id: message.id, metrics: [] }),
    );
  });
  process.send?.({ type: 'flagline:relay-listening', url } satisfies RelayClusterMessage);
}

let metricsRequests = 0;

/**
 * The relay's metrics text: its own registry in a single process; in a worker, every worker's registry added up by
 * the primary, so a scrape sees the relay, not whichever worker it reached.
 */
export function relayMetrics(): Promise<string> {
  if (!cluster.isWorker) return registry.metrics();
  const id = ++metricsRequests;
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the relay primary did not answer with the metrics in time'));
    }, METRICS_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      if (!isRelayMessage(message) || message.type !== 'flagline:relay-metrics' || message.id !== id) return;
      clearTimeout(timeout);
      process.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.text ?? '');
    };
    process.on('message', onMessage);
    process.send?.({ type: 'flagline:relay-metrics', id } satisfies RelayClusterMessage);
  });
}
