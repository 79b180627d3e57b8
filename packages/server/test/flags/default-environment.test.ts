import type { FlagView, Schedule } from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGED_ENVIRONMENT_HEADER } from '../../src/http/deps';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import { APP_SETUP_TIMEOUT_MS, auditEvents, expectFieldError, expectStatus } from '../helpers/http';

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe.each(testBackends())('writes without ?environment= (%s)', (backend) => {
  describe('FLAGLINE_DEFAULT_ENVIRONMENT unset: production, as the origin did', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend);
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'checkout' } }), 201);
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await t?.close();
    });

    it('a PATCH changes production, and the response and audit event say so', async () => {
      const response = await t.request<FlagView>('PATCH', '/api/admin/flags/checkout', { body: { enabled: true } });
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'production', enabled: true });
      expect(response.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('production');
      const [event] = await auditEvents(t, { type: 'flag.updated', flagKey: 'checkout' });
      expect(event?.environment).toBe('production');
      const development = await t.request<FlagView>('GET', '/api/admin/flags/checkout?environment=development');
      expect(expectStatus(development, 200).enabled).toBe(false);
    });

    it('override set and remove, schedule create and cancel name the environment they changed', async () => {
      const set = await t.request('POST', '/api/admin/flags/checkout/users', {
        body: { userId: 'u-1', overrideType: 'include' },
      });
      expectStatus(set, 201);
      expect(set.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('production');
      const removed = await t.request('DELETE', '/api/admin/flags/checkout/users/u-1');
      expectStatus(removed, 204);
      expect(removed.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('production');

      const created = await t.request<Schedule>('POST', '/api/admin/flags/checkout/schedule?environment=development', {
        body: { scheduledAt: inAnHour(), updates: { enabled: true } },
      });
      expect(expectStatus(created, 201).environment).toBe('development');
      expect(created.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');
      const cancelled = await t.request<Schedule>('DELETE', `/api/admin/flags/checkout/schedule/${created.body.id}`);
      expect(expectStatus(cancelled, 200)).toMatchObject({ status: 'cancelled', environment: 'development' });
      expect(cancelled.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');

      for (const type of ['flag_override.set', 'flag_override.removed']) {
        const [event] = await auditEvents(t, { type, flagKey: 'checkout' });
        expect(event?.environment, type).toBe('production');
      }
      for (const type of ['flag_schedule.created', 'flag_schedule.cancelled']) {
        const [event] = await auditEvents(t, { type, flagKey: 'checkout' });
        expect(event?.environment, type).toBe('development');
      }
    });
  });

  describe('FLAGLINE_DEFAULT_ENVIRONMENT=development', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend, { FLAGLINE_DEFAULT_ENVIRONMENT: 'development' });
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'checkout' } }), 201);
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await t?.close();
    });

    it('a PATCH without ?environment= changes development, not production; reads default there too', async () => {
      const response = await t.request<FlagView>('PATCH', '/api/admin/flags/checkout', { body: { enabled: true } });
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'development', enabled: true });
      expect(response.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');
      const [event] = await auditEvents(t, { type: 'flag.updated', flagKey: 'checkout' });
      expect(event?.environment).toBe('development');
      expect(expectStatus(await t.request<FlagView>('GET', '/api/admin/flags/checkout'), 200)).toMatchObject({
        environment: 'development',
        enabled: true,
      });
      const production = await t.request<FlagView>('GET', '/api/admin/flags/checkout?environment=production');
      expect(expectStatus(production, 200).enabled).toBe(false);
    });
  });

  describe('FLAGLINE_DEFAULT_ENVIRONMENT=none', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(backend, { FLAGLINE_DEFAULT_ENVIRONMENT: 'none' });
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'checkout' } }), 201);
    }, APP_SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await t?.close();
    });

    it('every write that targets one environment is a 400 naming the parameter, and changes nothing', async () => {
      const writes: [string, string, unknown][] = [
        ['PATCH', '/api/admin/flags/checkout', { enabled: true }],
        ['POST', '/api/admin/flags/checkout', { enabled: true }],
        ['POST', '/api/admin/flags/checkout/users', { userId: 'u-1', overrideType: 'include' }],
        ['DELETE', '/api/admin/flags/checkout/users/u-1', undefined],
        ['POST', '/api/admin/flags/checkout/schedule', { scheduledAt: inAnHour(), updates: { enabled: true } }],
      ];
      for (const [method, path, body] of writes) {
        const response = await t.request(method, path, body === undefined ? {} : { body });
        const reason = expectFieldError(response, 'environment', 'query');
        expect(reason, `${method} ${path}`).toContain('FLAGLINE_DEFAULT_ENVIRONMENT');
      }
      for (const environment of ['production', 'development']) {
        const view = await t.request<FlagView>('GET', `/api/admin/flags/checkout?environment=${environment}`);
        expect(expectStatus(view, 200)).toMatchObject({ enabled: false, version: 1 });
      }
      expect(await auditEvents(t, { flagKey: 'checkout' })).toHaveLength(1);
    });

    it('with ?environment= the write goes through; creating a flag (every environment) needs none', async () => {
      const response = await t.request<FlagView>('PATCH', '/api/admin/flags/checkout?environment=development', {
        body: { enabled: true },
      });
      expect(expectStatus(response, 200)).toMatchObject({ environment: 'development', enabled: true });
      expect(response.headers.get(CHANGED_ENVIRONMENT_HEADER)).toBe('development');
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'another' } }), 201);
    });
  });
});
