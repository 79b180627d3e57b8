import {
  createdTokenSchema,
  type Environment,
  environmentListSchema,
  environmentSchema,
  type FlagView,
  tokenListSchema,
} from '@flagline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { testBackends } from '../helpers/database';
import {
  APP_SETUP_TIMEOUT_MS,
  auditEvents,
  expectError,
  expectFieldError,
  expectStatus,
  tokenIdOf,
} from '../helpers/http';

describe.each(testBackends())('environments and tokens (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(backend);
  }, APP_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t?.close();
  });

  type TokenBody = { name: string; role: 'admin' | 'viewer' | 'client'; environment?: string };
  const listEnvironments = async () =>
    environmentListSchema.parse(expectStatus(await answer(apiClient(t).GET('/api/admin/environments')), 200)).items;
  const listTokens = async () =>
    tokenListSchema.parse(expectStatus(await answer(apiClient(t).GET('/api/admin/tokens')), 200)).items;
  const createToken = async (body: TokenBody) =>
    createdTokenSchema.parse(expectStatus(await answer(apiClient(t).POST('/api/admin/tokens', { body })), 201));
  const revokeToken = (id: string) =>
    answer(apiClient(t).DELETE('/api/admin/tokens/{id}', { params: { path: { id } } }));

  describe('environments', () => {
    it('lists development and production from the first migration', async () => {
      const items = await listEnvironments();
      expect(items.map((item) => item.key)).toEqual(expect.arrayContaining(['development', 'production']));
      expect(items.find((item) => item.key === 'production')?.name).toBe('Production');
    });

    it('creates an environment with 201, lists it, audits it, and gives every flag a state in it', async () => {
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'env-existing-flag' } }), 201);
      const response = await t.request<Environment>('POST', '/api/admin/environments', {
        body: { key: 'staging', name: 'Staging' },
      });
      const environment = environmentSchema.parse(expectStatus(response, 201));
      expect(environment).toMatchObject({ key: 'staging', name: 'Staging' });
      expect(await listEnvironments()).toContainEqual(environment);

      const state = await t.request<FlagView>('GET', '/api/admin/flags/env-existing-flag?environment=staging');
      expect(expectStatus(state, 200)).toMatchObject({
        environment: 'staging',
        enabled: false,
        rolloutPercentage: 0,
        version: 1,
      });
      const [event] = await auditEvents(t, { type: 'environment.created' });
      expect(event).toMatchObject({
        environment: 'staging',
        data: { key: 'staging', name: 'Staging' },
        before: null,
        after: { key: 'staging', name: 'Staging' },
      });

      // flags created afterwards get a state there too, and it serves evaluation
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'env-later-flag' } }), 201);
      const patched = await t.request('PATCH', '/api/admin/flags/env-later-flag?environment=staging', {
        body: { enabled: true, rolloutPercentage: 100 },
      });
      expectStatus(patched, 200);
      const evaluated = await t.request<Record<string, boolean>>('GET', '/api/config/flags?environment=staging');
      expect(expectStatus(evaluated, 200)).toEqual({ 'env-existing-flag': false, 'env-later-flag': true });
    });

    it('names an environment after its key when no name is given', async () => {
      const response = await t.request<Environment>('POST', '/api/admin/environments', { body: { key: 'qa' } });
      expect(expectStatus(response, 201)).toMatchObject({ key: 'qa', name: 'qa' });
    });

    it('answers 409 ALREADY_EXISTS for a duplicate key and records nothing', async () => {
      const before = await auditEvents(t, { type: 'environment.created' });
      for (const key of ['production', 'qa']) {
        const response = await t.request('POST', '/api/admin/environments', { body: { key, name: 'Again' } });
        expectError(response, 409, 'ALREADY_EXISTS');
      }
      expect(await auditEvents(t, { type: 'environment.created' })).toEqual(before);
      expect((await listEnvironments()).find((item) => item.key === 'production')?.name).toBe('Production');
    });

    it.each([
      ['capitals', { key: 'Staging' }, 'key'],
      ['a dot', { key: 'pre.prod' }, 'key'],
      ['an empty key', { key: '' }, 'key'],
      ['a 51-character key', { key: 'e'.repeat(51) }, 'key'],
      ['no key', { name: 'Nameless' }, 'key'],
      ['an empty name', { key: 'named', name: '' }, 'name'],
      ['a 101-character name', { key: 'named', name: 'n'.repeat(101) }, 'name'],
      ['an unknown field', { key: 'named', region: 'eu' }, 'region'],
    ])('answers 400 for %s', async (_name, body, field) => {
      expectFieldError(await t.request('POST', '/api/admin/environments', { body }), field, 'body');
    });
  });

  describe('tokens', () => {
    it('creates a token with 201, showing the fl_ secret once and never in the list', async () => {
      const created = await createToken({ name: 'ci pipeline', role: 'admin' });
      expect(created.secret).toMatch(/^fl_[A-Za-z0-9_-]{40,}$/);
      expect(created).toMatchObject({
        name: 'ci pipeline',
        role: 'admin',
        environment: null,
        createdBy: await tokenIdOf(t, t.tokens.admin),
        revokedAt: null,
      });

      const listed = await listTokens();
      expect(listed.find((token) => token.id === created.id)).toMatchObject({ name: 'ci pipeline', role: 'admin' });
      const raw = await t.request('GET', '/api/admin/tokens');
      const text = JSON.stringify(raw.body);
      expect(text).not.toContain(created.secret);
      expect(text).not.toContain('secret');
      expect(text).not.toMatch(/hash/i);

      // the secret works as a credential
      expectStatus(await t.request('GET', '/api/admin/flags', { token: created.secret }), 200);
      const [event] = await auditEvents(t, { type: 'token.created' });
      expect(event).toMatchObject({
        data: { tokenId: created.id, name: 'ci pipeline', role: 'admin', environment: null },
        after: { id: created.id, name: 'ci pipeline', role: 'admin', environment: null },
      });
      expect(JSON.stringify(await auditEvents(t))).not.toContain(created.secret);
    });

    it('creates a viewer token that can read but not write', async () => {
      const viewer = await createToken({ name: 'dashboard', role: 'viewer' });
      expectStatus(await t.request('GET', '/api/admin/tokens', { token: viewer.secret }), 200);
      const write = await t.request('POST', '/api/admin/flags', { token: viewer.secret, body: { key: 'by-viewer' } });
      expectError(write, 403, 'FORBIDDEN');
    });

    it.each([
      ['a client token without an environment', { name: 'c', role: 'client' }, 'environment'],
      ['an admin token with an environment', { name: 'a', role: 'admin', environment: 'production' }, 'environment'],
      ['a viewer token with an environment', { name: 'v', role: 'viewer', environment: 'production' }, 'environment'],
      ['an unknown role', { name: 'r', role: 'root' }, 'role'],
      ['an empty name', { name: '', role: 'admin' }, 'name'],
      ['a 101-character name', { name: 'n'.repeat(101), role: 'admin' }, 'name'],
      ['no name', { role: 'admin' }, 'name'],
      ['a malformed environment', { name: 'c', role: 'client', environment: 'Prod' }, 'environment'],
      ['an unknown field', { name: 'x', role: 'admin', secret: 'fl_chosen' }, 'secret'],
    ])('answers 400 for %s and creates nothing', async (_name, body, field) => {
      const before = await listTokens();
      expectFieldError(await t.request('POST', '/api/admin/tokens', { body }), field, 'body');
      expect(await listTokens()).toHaveLength(before.length);
    });

    it('answers 404 for a client token in an unknown environment', async () => {
      const response = await t.request('POST', '/api/admin/tokens', {
        body: { name: 'c', role: 'client', environment: 'nowhere' },
      });
      expectError(response, 404, 'NOT_FOUND');
    });

    it('binds a client token to its environment: asking for it (or for none) works, asking for another is 403', async () => {
      expectStatus(await t.request('POST', '/api/admin/flags', { body: { key: 'tok-eval', description: 'd' } }), 201);
      const patched = await t.request('PATCH', '/api/admin/flags/tok-eval?environment=development', {
        body: { enabled: true, rolloutPercentage: 100 },
      });
      expectStatus(patched, 200);
      const client = await createToken({ name: 'web app (dev)', role: 'client', environment: 'development' });
      expect(client).toMatchObject({ role: 'client', environment: 'development' });

      for (const query of ['', '&environment=development']) {
        const response = await t.request<Record<string, boolean>>('GET', `/api/config/flags?userId=u1${query}`, {
          token: client.secret,
        });
        expect(expectStatus(response, 200)['tok-eval']).toBe(true);
      }
      for (const query of ['&environment=production', '&environment=staging', '&environment=nowhere']) {
        const response = await t.request('GET', `/api/config/flags?userId=u1${query}`, { token: client.secret });
        expect(expectError(response, 403, 'FORBIDDEN').message).toContain('"development"');
      }
      const one = await t.request('GET', '/api/config/flags/tok-eval?environment=development', {
        token: client.secret,
      });
      expect(expectStatus(one, 200)).toEqual({
        key: 'tok-eval',
        enabled: true,
        rolloutPercentage: 100,
        description: 'd',
      });
      // the production client sees production
      const production = await t.request<Record<string, boolean>>('GET', '/api/config/flags?userId=u1', {
        token: t.tokens.client,
      });
      expect(expectStatus(production, 200)['tok-eval']).toBe(false);
      // and a client token cannot reach the admin API
      expectError(await t.request('GET', '/api/admin/flags', { token: client.secret }), 403, 'FORBIDDEN');
    });

    it('revokes with 204: the token is refused at once, listed as revoked, and the revocation audited', async () => {
      const client = await createToken({ name: 'to revoke', role: 'client', environment: 'production' });
      const asClient = apiClient(t, client.secret);
      expectStatus(await answer(asClient.GET('/api/config/flags')), 200);

      const revoked = await revokeToken(client.id);
      expect(revoked.status).toBe(204);
      expect(revoked.body).toBeNull();
      expectError(await answer(asClient.GET('/api/config/flags')), 401, 'UNAUTHORIZED');
      expect((await listTokens()).find((token) => token.id === client.id)?.revokedAt).not.toBeNull();

      const [event] = await auditEvents(t, { type: 'token.revoked' });
      expect(event).toMatchObject({
        environment: 'production',
        data: { tokenId: client.id, name: 'to revoke', role: 'client' },
        before: { id: client.id, revokedAt: null },
      });
      // revoking again changes nothing and records nothing
      expect((await revokeToken(client.id)).status).toBe(204);
      expect(await auditEvents(t, { type: 'token.revoked' })).toHaveLength(1);
    });

    it('revokes an admin token, which then cannot use the admin API', async () => {
      const admin = await createToken({ name: 'short-lived admin', role: 'admin' });
      const asShortLived = apiClient(t, admin.secret);
      expectStatus(await answer(asShortLived.GET('/api/admin/tokens')), 200);
      expect((await revokeToken(admin.id)).status).toBe(204);
      expectError(await answer(asShortLived.GET('/api/admin/tokens')), 401, 'UNAUTHORIZED');
    });

    it('answers 404 for an unknown token id, whether or not it is a UUID', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '12345', 'x'.repeat(300)]) {
        expectError(await revokeToken(id), 404, 'NOT_FOUND');
      }
    });
  });
});
