import http from 'node:http';
import https from 'node:https';
import { TargetNotAllowedError, type TargetPolicy } from './target-policy';

/** A response body is read (so its connection can carry the next send) up to this size and for this long, then cut. */
const DISCARD_MAX_BYTES = 64 * 1024;
const DISCARD_MAX_MS = 1_000;
/** How a request fails on a kept-alive connection the receiver had just closed. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Reads a response body to its end and drops it, so its kept-alive connection goes back to the agent for the next send
 * to that receiver: a connection per send costs both ends a connect and an accept, just when they are busiest. A body
 * too large or too slow costs the receiver that connection instead.
 */
function discardBody(response: http.IncomingMessage): void {
  let bytes = 0;
  const timer = setTimeout(() => response.destroy(), DISCARD_MAX_MS);
  timer.unref();
  const done = () => clearTimeout(timer);
  response.on('end', done);
  response.on('close', done);
  response.on('error', () => {});
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > DISCARD_MAX_BYTES) response.destroy();
  });
}

/** The HTTP side of webhook delivery: kept-alive connections per scheme, the target policy, the timeout, cut-off. */
export class WebhookSender {
  /** One per send in flight; cutOff() aborts them all. */
  private readonly controllers = new Set<AbortController>();
  private cutOffReason: Error | undefined;
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  constructor(
    private readonly policy: TargetPolicy,
    private readonly timeoutMs: number,
  ) {}

  /** Sends may start again (after a cutOff). */
  open(): void {
    this.cutOffReason = undefined;
  }

  /** Aborts every send in flight, and every send started until open(), with `reason`. */
  cutOff(reason: Error): void {
    this.cutOffReason = reason;
    for (const controller of this.controllers) controller.abort(reason);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  /**
   * POSTs and resolves with the status code once the response headers arrive (the body is not waited for: it is read
   * and dropped behind, to keep the connection). Cut off by the timeout or by stop(). Redirects are not followed. The
   * connection goes only where the policy allows: IP literals are judged here, names by the policy's lookup when the
   * socket connects (a kept-alive connection was judged when it was made, for the same host).
   */
  post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    const refusal = this.policy.refusalOfUrl(url);
    if (refusal) return Promise.reject(new TargetNotAllowedError(`${url.hostname} is a ${refusal} address`));
    const trusted = this.policy.trustsHost(url.hostname);
    // One controller per send, cut by its own timer or by stop(). (Not AbortSignal.any with AbortSignal.timeout:
    // on Node 20 such a combined signal can be garbage-collected while the request waits, and then never fires.)
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('webhook timeout', 'TimeoutError')),
      this.timeoutMs,
    );
    if (this.cutOffReason !== undefined) controller.abort(this.cutOffReason);
    this.controllers.add(controller);
    const client = url.protocol === 'https:' ? https : http;
    const options: http.RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: url.protocol === 'https:' ? this.agents['https:'] : this.agents['http:'],
      signal: controller.signal,
      ...(trusted ? {} : { lookup: this.policy.lookup }),
    };
    const send = (mayRetry: boolean): Promise<number> =>
      new Promise<number>((resolve, reject) => {
        const request = client.request(url, options, (response) => {
          resolve(response.statusCode ?? 0);
          discardBody(response);
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          if (controller.signal.aborted) reject(controller.signal.reason ?? error);
          // A kept-alive connection the receiver closed just as it was reused: nothing was answered, send once more.
          else if (mayRetry && request.reusedSocket && STALE_CONNECTION.has(error.code ?? '')) resolve(send(false));
          else reject(error);
        });
        request.end(body);
      });
    return send(true).finally(() => {
      clearTimeout(timer);
      this.controllers.delete(controller);
    });
  }
}
