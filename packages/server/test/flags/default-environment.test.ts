import type { AuditEvent } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGED_ENVIRONMENT_HEADER } from '../../src/http/deps';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditEvents, expectFieldError, expectStatus } from '../helpers/http';

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** The flag `checkout`, in `environment` when one is given (else the server's default). */
const checkout = (environment?: string) => ({
  params: { path: { flagKey: 'checkout' }, query: environment ? { environment } : {} },
});
const createCheckout = async (t: TestApp) =>
  expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'checkout' } })), 201);
const getCheckout = (t: TestApp, environment?: string) =>
  answer(apiClient(t).GET('/api/admin/flags/{flagKey}', checkout(environment)));
const enableCheckout = (t: TestApp, environment?: string) =>
  answer(apiClient(t).PATCH('/api/admin/flags/{flagKey}', { ...checkout(environment), body: { enabled: true } }));

describe.each(testBackends())('writes without ?environment= (%s)', (backend) => {
  describe('FLAGLINE_DEFAULT_ENVIRONMENT unset: production, as the origin did', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend);
      await createCheckout(t);
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await t?.close();
    });

    it('a PATCH changes production, and the response and audit event say so', async () => {
      const response = await enableCheckout(t);
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'production', enabled: true });
      expect(response.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('production');
      const [event] = await auditEvents(t, { type: 'flag.updated', flagKey: 'checkout' });
      expect(event?.environment).toBe('production');
      const development = await getCheckout(t, 'development');
      expect(expectStatus(development, 200).enabled).toBe(false);
    });

    it('override set and remove, schedule create and cancel name the environment they changed', async () => {
      const api = apiClient(t);
      const set = await answer(
        api.POST('/api/admin/flags/{flagKey}/users', {
          ...checkout(),
          body: { userId: 'u-1', overrideType: 'include' },
        }),
      );
      expectStatus(set, 201);
      expect(set.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('production');
      const removed = await answer(
        api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { path: { flagKey: 'checkout', userId: 'u-1' } },
        }),
      );
      expectStatus(removed, 204);
      expect(removed.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('production');

      const created = await answer(
        api.POST('/api/admin/flags/{flagKey}/schedule', {
          ...checkout('development'),
          body: { scheduledAt: inAnHour(), updates: { enabled: true } },
        }),
      );
      expect(expectStatus(created, 201).environment).toBe('development');
      expect(created.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');
      const cancelled = await answer(
        api.DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
          params: { path: { flagKey: 'checkout', scheduleId: created.body.id } },
        }),
      );
      expect(expectStatus(cancelled, 200)).toMatchObject({ status: 'cancelled', environment: 'development' });
      expect(cancelled.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');

      const overrideEvents: AuditEvent['type'][] = ['flag_override.set', 'flag_override.removed'];
      for (const type of overrideEvents) {
        const [event] = await auditEvents(t, { type, flagKey: 'checkout' });
        expect(event?.environment, type).toBe('production');
      }
      const scheduleEvents: AuditEvent['type'][] = ['flag_schedule.created', 'flag_schedule.cancelled'];
      for (const type of scheduleEvents) {
        const [event] = await auditEvents(t, { type, flagKey: 'checkout' });
        expect(event?.environment, type).toBe('development');
      }
    });
  });

  describe('FLAGLINE_DEFAULT_ENVIRONMENT=development', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend, { FLAGLINE_DEFAULT_ENVIRONMENT: 'development' });
      await createCheckout(t);
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await t?.close();
    });

    it('a PATCH without ?environment= changes development, not production; reads default there too', async () => {
      const response = await enableCheckout(t);
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'development', enabled: true });
      expect(response.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');
      const [event] = await auditEvents(t, { type: 'flag.updated', flagKey: 'checkout' });
      expect(event?.environment).toBe('development');
      expect(expectStatus(await getCheckout(t), 200)).toMatchObject({
        environment: 'development',
        enabled: true,
      });
      const production = await getCheckout(t, 'production');
      expect(expectStatus(production, 200).enabled).toBe(false);
    });
  });

  describe('FLAGLINE_DEFAULT_ENVIRONMENT=none', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend, { FLAGLINE_DEFAULT_ENVIRONMENT: 'none' });
      await createCheckout(t);
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await t?.close();
    });

    it('every write that targets one environment is a 400 naming the parameter, and changes nothing', async () => {
      const api = apiClient(t);
      const writes: [string, () => Promise<{ error?: unknown; response: Response }>][] = [
        [
          'PATCH /api/admin/flags/checkout',
          () => api.PATCH('/api/admin/flags/{flagKey}', { ...checkout(), body: { enabled: true } }),
        ],
        [
          'POST /api/admin/flags/checkout',
          () => api.POST('/api/admin/flags/{flagKey}', { ...checkout(), body: { enabled: true } }),
        ],
        [
          'POST /api/admin/flags/checkout/users',
          () =>
            api.POST('/api/admin/flags/{flagKey}/users', {
              ...checkout(),
              body: { userId: 'u-1', overrideType: 'include' },
            }),
        ],
        [
          'DELETE /api/admin/flags/checkout/users/u-1',
          () =>
            api.DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
              params: { path: { flagKey: 'checkout', userId: 'u-1' } },
            }),
        ],
        [
          'POST /api/admin/flags/checkout/schedule',
          () =>
            api.POST('/api/admin/flags/{flagKey}/schedule', {
              ...checkout(),
              body: { scheduledAt: inAnHour(), updates: { enabled: true } },
            }),
        ],
      ];
      for (const [label, write] of writes) {
        const response = await answer(write());
        const reason = expectFieldError(response, 'environment', 'query');
        expect(reason, label).toContain('FLAGLINE_DEFAULT_ENVIRONMENT');
      }
      for (const environment of ['production', 'development']) {
        const view = await getCheckout(t, environment);
        expect(expectStatus(view, 200)).toMatchObject({ enabled: false, version: 1 });
      }
      expect(await auditEvents(t, { flagKey: 'checkout' })).toHaveLength(1);
    });

    it('with ?environment= the write goes through; creating a flag (every environment) needs none', async () => {
      const response = await enableCheckout(t, 'development');
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'development', enabled: true });
      expect(response.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');
      expectStatus(await answer(apiClient(t).POST('/api/admin/flags', { body: { key: 'another' } })), 201);
    });
  });
});
