import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../shared/errors';

const WINDOW_SECONDS = 60;

/**
 * Counts failed authentications per client address over a one-minute window. Past the limit the address is refused
 * (429) until the window frees up, without the credential being checked at all: that is what stops guessing of a
 * human-chosen FLAGLINE_ADMIN_TOKEN, and keeps a flood of made-up tokens off the database. The counts live in this
 * process (each instance limits on its own).
 */
export class FailedAuthenticationLimiter {
  private readonly failures: RateLimiterMemory | undefined;

  constructor(private readonly failuresPerMinute: number) {
    this.failures =
      failuresPerMinute > 0
        ? new RateLimiterMemory({ points: failuresPerMinute, duration: WINDOW_SECONDS })
        : undefined;
  }

  /** Throws RATE_LIMITED (with retryAfterSeconds for the Retry-After header) while `address` is over its limit. */
  async assertAllowed(address: string): Promise<void> {
    const state = await this.failures?.get(address);
    if (!state || state.consumedPoints < this.failuresPerMinute) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    throw new AppError(
      'RATE_LIMITED',
      `Too many failed authentications from this address (${this.failuresPerMinute} a minute); try again in ${retryAfterSeconds} s.`,
      { retryAfterSeconds },
      retryAfterSeconds,
    );
  }

  async recordFailure(address: string): Promise<void> {
    // consume() rejects with the limiter's state once the points are used up: that is the count we wanted, not an error.
    await this.failures?.consume(address).catch((rejection: unknown) => {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    });
  }
}
