import type pg from 'pg';
import { sealAll } from '../../packages/server/src/audit/sealer';
import { openDatabase } from '../../packages/server/src/db/client';
import { EVENTS, FLAGS, log, SPACING_S } from './common';

/**
 * 1,000,000 plausible events (flag updates, overrides set and removed, schedules created; 2,000 flags, 25 actors, two
 * environments, ~359 days) generated inside PostgreSQL and inserted unsealed; the server's own sealer code then
 * chains them (timed: the sealer's backlog throughput), so `verify` checks them like any other events.
 */
export async function loadEvents(client: pg.Client): Promise<void> {
  await client.query(`
    create unlogged table bench_stage as
    with base as (
      select n,
        'flag-' || lpad(((n::bigint * 7919) % ${FLAGS})::text, 4, '0') as flag_key,
        case when n % 3 = 0 then 'development' else 'production' end as environment,
        (md5('actor' || (n % 25)::text))::uuid::text as actor_id,
        timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => n * ${SPACING_S}) as occurred_at,
        (md5('request' || n::text))::uuid::text as request_id,
        case when n % 20 < 14 then 'flag.updated' when n % 20 < 17 then 'flag_override.set'
             when n % 20 < 19 then 'flag_override.removed' else 'flag_schedule.created' end as type,
        (n % 101) as rollout
      from generate_series(1, ${EVENTS}) as n
    ),
    parts as (
      select *,
        case type when 'flag_schedule.created' then (md5('schedule' || n::text))::uuid::text end as schedule_id,
        to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_iso
      from base
    ),
    docs as (
      select *,
        case type
          when 'flag.updated' then format('{"changedFields":["enabled","rolloutPercentage"],"flagKey":"%s"}', flag_key)
          when 'flag_override.set' then format('{"flagKey":"%s","overrideType":"include","reason":null,"userId":"user-%s"}', flag_key, n % 5000)
          when 'flag_override.removed' then format('{"flagKey":"%s","userId":"user-%s"}', flag_key, n % 5000)
          else format('{"adminEmail":null,"adminUserId":"%s","flagKey":"%s","scheduleId":"%s","scheduledAt":"%s","updates":{"enabled":true}}',
                      actor_id, flag_key, schedule_id, occurred_iso)
        end as data_text,
        case type
          when 'flag.updated' then format('{"description":"flag %s","enabled":false,"rolloutPercentage":%s,"version":%s}', flag_key, (rollout + 50) % 101, n / ${FLAGS} + 1)
          when 'flag_override.removed' then format('{"overrideType":"include","reason":null,"userId":"user-%s"}', n % 5000)
          else 'null'
        end as before_text,
        case type
          when 'flag.updated' then format('{"description":"flag %s","enabled":true,"rolloutPercentage":%s,"version":%s}', flag_key, rollout, n / ${FLAGS} + 2)
          when 'flag_override.set' then format('{"overrideType":"include","reason":null,"userId":"user-%s"}', n % 5000)
          when 'flag_schedule.created' then format('{"id":"%s","scheduledAt":"%s","status":"pending"}', schedule_id, occurred_iso)
          else 'null'
        end as after_text
      from parts
    )
    select n, occurred_at, type, actor_id, environment, flag_key, schedule_id, request_id,
      data_text::jsonb as data, nullif(before_text, 'null')::jsonb as before, nullif(after_text, 'null')::jsonb as after
    from docs`);
  log('staged; inserting');
  await client.query(`
    insert into audit_events (occurred_at, type, actor_type, actor_id, actor_email, environment, flag_key, schedule_id,
      request_id, data, before, after)
    select s.occurred_at, s.type, 'token', s.actor_id, null, s.environment, s.flag_key, s.schedule_id, s.request_id,
      s.data, s.before, s.after
    from bench_stage s
    order by s.n`);
  await client.query('drop table bench_stage');
  await client.query('vacuum analyze audit_events');
}

/** The server's own sealer code chains the loaded backlog (timed: the sealer's backlog throughput). */
export async function sealBacklog(databaseUrl: string) {
  const sealing = await openDatabase({ databaseUrl, poolSize: 1 });
  try {
    const started = performance.now();
    const sealed = await sealAll(sealing.db, 5_000);
    const seconds = (performance.now() - started) / 1000;
    return {
      events: sealed.sealed,
      seconds: Math.round(seconds * 10) / 10,
      eventsPerSecond: Math.round(sealed.sealed / seconds),
    };
  } finally {
    await sealing.close();
  }
}
