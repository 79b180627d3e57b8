// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FlaglineReactProvider, useFlag, useFlagValue } from '../src/react';

/**
 * useFlagValue against a stand-in for Flagline's two routes the provider calls (OFREP bulk evaluation and the stream),
 * so what the component sent and what each hook reads can both be checked.
 */
const BULK = {
  flags: [
    { key: 'greeting', value: 'Hallo', reason: 'TARGETING_MATCH', variant: 'hallo', metadata: { ruleId: 'german' } },
    { key: 'page-size', value: 50, reason: 'STATIC', variant: 'large' },
    { key: 'theme', value: { accent: 'orange' }, reason: 'SPLIT', variant: 'dark' },
    { key: 'new-search', value: true, reason: 'STATIC', variant: 'on', metadata: { rolloutPercentage: 100 } },
    { key: 'broken', errorCode: 'GENERAL', errorDetails: 'cannot be evaluated' },
  ],
};

function fakeFlagline(sent: unknown[]): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    if (request.method === 'POST' && new URL(request.url).pathname === '/ofrep/v1/evaluate/flags') {
      sent.push(await request.json());
      return new Response(JSON.stringify(BULK), { headers: { 'content-type': 'application/json' } });
    }
    // The stream: open, and silent until the component unmounts.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        request.signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
}

function Probe() {
  const greeting = useFlagValue('greeting', 'Hello');
  const pageSize = useFlagValue('page-size', 10);
  const theme = useFlagValue('theme', { accent: 'blue' });
  const mismatch = useFlagValue('greeting', 0);
  const broken = useFlagValue('broken', 'fallback');
  const missing = useFlagValue('missing', false);
  const on = useFlag('new-search');
  return (
    <output data-testid="values">{JSON.stringify({ greeting, pageSize, theme, mismatch, broken, missing, on })}</output>
  );
}

afterEach(cleanup);

describe('useFlagValue', () => {
  it('reads each flag as its default’s type, with the whole context sent once', async () => {
    const sent: unknown[] = [];
    render(
      <FlaglineReactProvider
        url="http://flagline.test"
        token="fl_test"
        userId="u-1"
        attributes={{ country: 'DE' }}
        fetch={fakeFlagline(sent)}
      >
        <Probe />
      </FlaglineReactProvider>,
    );
    expect(JSON.parse(screen.getByTestId('values').textContent ?? '')).toEqual({
      greeting: 'Hello',
      pageSize: 10,
      theme: { accent: 'blue' },
      mismatch: 0,
      broken: 'fallback',
      missing: false,
      on: false,
    });
    await waitFor(() =>
      expect(JSON.parse(screen.getByTestId('values').textContent ?? '')).toEqual({
        greeting: 'Hallo',
        pageSize: 50,
        theme: { accent: 'orange' },
        mismatch: 0,
        broken: 'fallback',
        missing: false,
        on: true,
      }),
    );
    expect(sent).toEqual([{ context: { country: 'DE', targetingKey: 'u-1' } }]);
  });
});
