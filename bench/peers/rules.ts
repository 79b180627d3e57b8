import type { FlaglineClient } from '../../packages/sdk/src/client';
import { round } from '../lib';
import { alternate, type LoadOptions, type LoadTarget } from './load';
import { type Comparison, compare, type Verdict } from './report';
import { UNLEASH_ENVIRONMENT, UNLEASH_SECRETS, unleashApi } from './unleash';

/** #12 item 8: remote evaluation of flags with rules stays ≥ 10× Unleash's /api/frontend on the same dataset. */
export const RULES_THROUGHPUT_TARGET = 10;
export const RULED_FLAGS = 50;
const RULES_PER_FLAG = 5;
const CONTEXTS = 2_000;
const AGREEMENT_CONTEXTS = 300;

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'ES', 'IT', 'PL', 'SE', 'JP'];

const ruledKey = (i: number) => `peer-ruled-${String(i).padStart(2, '0')}`;

/** Rule r of flag f: a window of countries, two e-mail prefixes, an age threshold (3 constraints). */
function ruleSpec(f: number, r: number) {
  return {
    countries: COUNTRIES.slice((f + r) % 8, ((f + r) % 8) + 3),
    emailPrefixes: [`team${r}`, `staff${(f + r) % 6}`],
    minAge: 20 + ((f * 3 + r * 5) % 40),
  };
}

export interface RuleContext {
  userId: string;
  country: string;
  email: string;
  age: number;
}

export const ruleContextAt = (n: number): RuleContext => {
  const i = n % CONTEXTS;
  return {
    userId: `user-${i}`,
    country: COUNTRIES[(i * 7) % COUNTRIES.length] as string,
    email: `${['team', 'staff', 'someone'][i % 3]}${i % 6}@example.com`,
    age: 18 + ((i * 13) % 50),
  };
};

const unleashQuery = (c: RuleContext) =>
  `/api/frontend?userId=${encodeURIComponent(c.userId)}&country=${c.country}&email=${encodeURIComponent(c.email)}&age=${c.age}`;

async function createInUnleash(url: string, f: number): Promise<void> {
  const name = ruledKey(f);
  const feature = `/api/admin/projects/default/features/${name}`;
  await unleashApi(url, UNLEASH_SECRETS.admin, 'POST', '/api/admin/projects/default/features', { name });
  for (let r = 0; r < RULES_PER_FLAG; r++) {
    const spec = ruleSpec(f, r);
    await unleashApi(url, UNLEASH_SECRETS.admin, 'POST', `${feature}/environments/${UNLEASH_ENVIRONMENT}/strategies`, {
      name: 'flexibleRollout',
      parameters: { rollout: '100', stickiness: 'default', groupId: name },
      constraints: [
        { contextName: 'country', operator: 'IN', values: spec.countries },
        { contextName: 'email', operator: 'STR_STARTS_WITH', values: spec.emailPrefixes },
        { contextName: 'age', operator: 'NUM_GT', value: String(spec.minAge) },
      ],
    });
  }
  await unleashApi(url, UNLEASH_SECRETS.admin, 'POST', `${feature}/environments/${UNLEASH_ENVIRONMENT}/on`);
}

async function createInFlagline(admin: FlaglineClient, f: number): Promise<void> {
  const key = ruledKey(f);
  await admin.createFlag({ key });
  await admin.updateTargeting(
    key,
    {
      enabled: true,
      rules: Array.from({ length: RULES_PER_FLAG }, (_, r) => {
        const spec = ruleSpec(f, r);
        return {
          id: `r${r}`,
          constraints: [
            { attribute: 'country', operator: 'IN', values: spec.countries },
            { attribute: 'email', operator: 'STR_STARTS_WITH', values: spec.emailPrefixes },
            { attribute: 'age', operator: 'NUM_GT', values: [String(spec.minAge)] },
          ],
          segments: [],
          serve: { variant: 'on' },
        };
      }),
    },
    { environment: 'production' },
  );
}

async function unleashOn(url: string, c: RuleContext): Promise<Set<string>> {
  const body = await unleashApi<{ toggles: { name: string }[] }>(url, UNLEASH_SECRETS.frontend, 'GET', unleashQuery(c));
  return new Set(body.toggles.map((t) => t.name).filter((name) => name.startsWith('peer-ruled-')));
}

async function flaglineOn(url: string, token: string, c: RuleContext): Promise<Set<string>> {
  const response = await fetch(`${url}/ofrep/v1/evaluate/flags`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: c.userId, country: c.country, email: c.email, age: c.age } }),
  });
  if (!response.ok) throw new Error(`OFREP bulk → ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { flags: { key: string; value?: unknown }[] };
  return new Set(body.flags.filter((f) => f.key.startsWith('peer-ruled-') && f.value === true).map((f) => f.key));
}

export interface RulesStage {
  comparisons: Comparison[];
  agreement: { checked: number; agree: number; share: number; verdict: Verdict };
  shareOn: number;
}

/**
 * Adds RULED_FLAGS flags with 5 rules × 3 constraints to both servers (on top of the plain dataset), checks that both
 * answer alike for AGREEMENT_CONTEXTS contexts, then loads Unleash's /api/frontend against Flagline's OFREP bulk with
 * the same contexts.
 */
export async function benchRemoteRules(options: {
  unleashUrl: string;
  flaglineUrl: string;
  admin: FlaglineClient;
  token: string;
  totalFlags: number;
  load: LoadOptions;
  progress: (line: string) => void;
  pool: <T>(items: T[], limit: number, task: (item: T) => Promise<void>) => Promise<void>;
  until: (what: string, check: () => Promise<boolean>, timeoutMs?: number) => Promise<void>;
}): Promise<RulesStage> {
  const { unleashUrl, flaglineUrl, admin, token, progress, pool, until } = options;
  for (const name of ['country', 'email', 'age']) {
    await unleashApi(unleashUrl, UNLEASH_SECRETS.admin, 'POST', '/api/admin/context', { name }).catch(() => undefined);
  }
  const indexes = Array.from({ length: RULED_FLAGS }, (_, i) => i);
  let t = performance.now();
  await pool(indexes, 4, (f) => createInUnleash(unleashUrl, f));
  progress(`unleash: ${RULED_FLAGS} flags with rules created in ${round((performance.now() - t) / 1000)} s`);
  t = performance.now();
  await pool(indexes, 4, (f) => createInFlagline(admin, f));
  progress(`flagline: ${RULED_FLAGS} flags with rules created in ${round((performance.now() - t) / 1000)} s`);

  // Unleash's frontend API serves from a cache refreshed after changes: wait until it answers like Flagline.
  const sample = Array.from({ length: 40 }, (_, i) => ruleContextAt(i * 37));
  await until('Unleash /api/frontend with the flags with rules', async () => {
    for (const c of sample) {
      const [u, f] = await Promise.all([unleashOn(unleashUrl, c), flaglineOn(flaglineUrl, token, c)]);
      if ([...f].some((key) => !u.has(key)) || u.size !== f.size) return false;
    }
    return true;
  });

  let checked = 0;
  let agree = 0;
  let on = 0;
  await pool(
    Array.from({ length: AGREEMENT_CONTEXTS }, (_, i) => ruleContextAt(i * 7 + 3)),
    8,
    async (c) => {
      const [u, f] = await Promise.all([unleashOn(unleashUrl, c), flaglineOn(flaglineUrl, token, c)]);
      for (const i of indexes) {
        const key = ruledKey(i);
        checked++;
        if (f.has(key)) on++;
        if (u.has(key) === f.has(key)) agree++;
      }
    },
  );
  const share = round(agree / checked, 4);
  const agreementVerdict: Verdict = {
    met: share === 1,
    text: `${share === 1 ? 'met' : 'MISSED'}: ${agree}/${checked} (context, flag with rules) pairs alike`,
  };
  progress(`rules agreement: ${agreementVerdict.text}`);

  const unleashFrontend: LoadTarget = {
    name: 'Unleash GET /api/frontend (with attributes)',
    system: 'unleash',
    url: unleashUrl,
    method: 'GET',
    headers: { authorization: UNLEASH_SECRETS.frontend },
    path: (n) => unleashQuery(ruleContextAt(n)),
  };
  const flaglineOfrep: LoadTarget = {
    name: 'Flagline POST /ofrep/v1/evaluate/flags (with attributes)',
    system: 'flagline',
    url: flaglineUrl,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    path: () => '/ofrep/v1/evaluate/flags',
    body: (n) => {
      const c = ruleContextAt(n);
      return JSON.stringify({ context: { targetingKey: c.userId, country: c.country, email: c.email, age: c.age } });
    },
  };
  progress(`${options.totalFlags} flags (${RULED_FLAGS} with 5 rules × 3 constraints): remote evaluation`);
  const [u, f] = await alternate([unleashFrontend, flaglineOfrep], options.load, progress);
  if (!u || !f) throw new Error('load results missing');
  return {
    comparisons: [compare(options.totalFlags, u, f, RULES_THROUGHPUT_TARGET)],
    agreement: { checked, agree, share, verdict: agreementVerdict },
    shareOn: round(on / checked, 3),
  };
}
