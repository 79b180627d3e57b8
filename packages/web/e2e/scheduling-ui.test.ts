import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlaglineClient } from '@flagline/sdk';
import { loadConfig, startServer } from '@flagline/server';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, resolveChromium } from './browser';
import { ensureBuilt, screenshotDir } from './harness';

/**
 * The scheduling screens end to end, in a browser in Europe/Berlin: the recurrence editor and its server-made preview
 * (a DST note when the offset changes among the occurrences), a recurring schedule, a rollout plan built on the
 * timeline, and confirming a change that conflicts with a pending one.
 */

const ADMIN_TOKEN = randomBytes(24).toString('base64url');
const TIME_ZONE = 'Europe/Berlin';
const FLAG = 'scheduled-checkout';

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let api: FlaglineClient;
const pageErrors: string[] = [];

beforeAll(async () => {
  const resolved = await resolveChromium();
  ensureBuilt();
  mkdirSync(screenshotDir, { recursive: true });
  server = await startServer(
    loadConfig({ FLAGLINE_DATA_DIR: 'memory:', PORT: '0', FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  api = new FlaglineClient({ url: server.url, token: ADMIN_TOKEN });
  await api.createFlag({ key: FLAG, description: 'Checkout, rolled out on a plan' });
  browser = await launchChromium(resolved);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  expect(pageErrors).toEqual([]);
});

async function flagPage(): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    timezoneId: TIME_ZONE,
    locale: 'en-US',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  await page.goto(server.url);
  await page.getByLabel('Token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Flags', exact: true }).waitFor();
  await page.locator(`tr[data-flag="${FLAG}"]`).getByRole('link', { name: FLAG }).click();
  await page.getByRole('heading', { name: 'Schedule a change' }).waitFor();
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

describe('scheduling in the admin UI', () => {
  let page: Page;

  it('previews a cron from the server in the browser`s zone, with a note across a DST change', async () => {
    page = await flagPage();
    await page.getByRole('button', { name: 'Recurring (cron)' }).click();
    const zone = page.getByLabel('Time zone', { exact: true });
    expect(await zone.inputValue()).toBe(TIME_ZONE);
    // Daily 09:00 for ten days crosses no change (unless today is close to one): the 28th of ten months always does.
    await page.getByLabel(/^Cron/).fill('0 9 28 * *');
    const rows = page.getByTestId('occurrence-preview').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(10);
    await expect.poll(() => rows.first().textContent()).toMatch(/-28 09:00 \(UTC\+0[12]:00\)/);
    const note = page.getByTestId('dst-note').first();
    await note.waitFor();
    expect(await note.textContent()).toMatch(/Daylight saving time changes in Europe\/Berlin .* UTC\+0[12]:00 to UTC/);
    // The same instants in UTC: 08:00 in winter, 07:00 in summer.
    const utc = await rows.locator('td:nth-child(3)').allTextContents();
    expect(new Set(utc.map((text) => text.slice(11, 16)))).toEqual(new Set(['07:00', '08:00']));
    await shot(page, 'desktop-recurrence-preview');

    // UTC has no DST: the note goes.
    await zone.selectOption('UTC');
    await expect.poll(() => page.getByTestId('dst-note').count()).toBe(0);
    // A window: each day's opening and closing, in the zone.
    await page.getByRole('button', { name: 'Daily window' }).click();
    await page.getByLabel('Opens at').fill('08:30');
    await expect.poll(() => rows.first().textContent(), { timeout: 5000 }).toMatch(/08:30 \(UTC\+00:00\).*Opens/);
    expect(await rows.nth(1).textContent()).toMatch(/17:00 \(UTC\+00:00\).*Closes/);
    await page.getByRole('button', { name: 'Recurring (cron)' }).click();
    // The server names what it refuses, at the input.
    await page.getByLabel(/^Cron/).fill('99 9 * * *');
    await expect.poll(() => page.getByLabel(/^Cron/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').first().textContent()).toContain('recurrence.cron');
  });

  it('creates a recurring schedule, listed with its recurrence', async () => {
    await page.getByLabel('Time zone', { exact: true }).selectOption(TIME_ZONE);
    await page.getByLabel(/^Cron/).fill('0 9 * * 1-5');
    await page.getByLabel('Occurrences (optional)').fill('20');
    await expect.poll(() => page.getByTestId('occurrence-preview').locator('tbody tr').count()).toBe(10);
    await page.getByLabel('Enabled', { exact: true }).selectOption('on');
    await page.getByRole('button', { name: 'Schedule change' }).click();
    await page.locator('.notice-success', { hasText: 'to recur' }).waitFor();
    const [created] = await api.listFlagSchedules(FLAG, { environment: 'production' });
    expect(created?.recurrence).toMatchObject({ kind: 'cron', cron: '0 9 * * 1-5', timeZone: TIME_ZONE, count: 20 });
    expect(created?.nextOccurrences?.[0]?.local).toMatch(/T09:00:00\+0[12]:00$/);
    await expect.poll(() => page.locator('#schedules tr[data-status="pending"]').count(), { timeout: 5000 }).toBe(1);
    expect(await page.locator('#schedules [data-testid="series"]').textContent()).toBe(
      'Repeats 0 9 * * 1-5 in Europe/Berlin, 20 times',
    );
    // Out of the way of the plan below, whatever the time of day the suite runs.
    await api.cancelSchedule(FLAG, created?.id ?? '');
    await expect.poll(() => page.locator('#schedules tr[data-status="pending"]').count(), { timeout: 5000 }).toBe(0);
  });

  it('builds a plan on the timeline, drawn before it is saved, then pauses and resumes it', async () => {
    const addStep = page.getByRole('button', { name: 'Add step' });
    for (let i = 0; i < 3; i++) await addStep.click();
    expect(await page.getByTestId('plan-step').count()).toBe(3);
    expect(await page.getByLabel('Step 2 rollout %').inputValue()).toBe('50');
    await page.getByLabel('Step 3 rollout %').fill('100');
    const planned = page.locator('.timeline .marker-planned');
    await expect.poll(() => planned.count()).toBe(3);
    expect(await page.locator('.timeline .legend').textContent()).toContain('Plan being built (not saved)');
    expect(await page.locator('.timeline table').textContent()).toMatch(/on, 100%Plan step 3 \(not saved\)/);
    await shot(page, 'desktop-plan-builder');

    await page.getByLabel('Plan name (optional)').fill('ramp');
    await page.getByRole('button', { name: 'Save plan (3 steps)' }).click();
    await page.locator('.notice-success', { hasText: 'Saved the plan “ramp” with 3 steps' }).waitFor();
    await expect.poll(() => planned.count()).toBe(0);
    await expect.poll(() => page.locator('.timeline .marker-scheduled').count(), { timeout: 5000 }).toBe(3);
    const plan = page.locator('li[data-plan="ramp"]');
    expect(await plan.getAttribute('data-status')).toBe('active');
    expect(await plan.locator('ol li').count()).toBe(3);

    await page.getByRole('button', { name: 'Pause ramp' }).click();
    await expect.poll(() => plan.getAttribute('data-status'), { timeout: 5000 }).toBe('paused');
    await page.getByRole('button', { name: 'Resume ramp' }).click();
    await expect.poll(() => plan.getAttribute('data-status'), { timeout: 5000 }).toBe('active');
    const [saved] = await api.api
      .GET('/api/admin/flags/{flagKey}/plans', { params: { path: { flagKey: FLAG }, query: {} } })
      .then((answer) => answer.data ?? []);
    expect(saved?.steps.map((step) => step.updates.rolloutPercentage)).toEqual([25, 50, 100]);
  });

  it('asks before creating a schedule or a plan that collides with pending ones, and creates it when confirmed', async () => {
    await page.getByRole('button', { name: 'Once' }).click();
    // The plan's first step is an hour from when it was added: this one lands within minutes of it.
    await page.getByRole('button', { name: 'In 1 hour' }).click();
    await page.getByLabel('Rollout %', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Schedule change' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Conflicts with pending changes' }).waitFor();
    expect(await dialog.getByTestId('conflicts').textContent()).toMatch(
      /A step of a rollout plan at .* also sets .*rolloutPercentage/,
    );
    await shot(page, 'desktop-conflict-confirm');
    // Cancelling creates nothing.
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await api.listFlagSchedules(FLAG, { status: 'pending' })).toHaveLength(3);

    await page.getByRole('button', { name: 'Schedule change' }).click();
    await dialog.getByRole('button', { name: 'Create anyway' }).click();
    await page.locator('.notice-success', { hasText: 'Scheduled' }).waitFor();
    expect(await api.listFlagSchedules(FLAG, { status: 'pending' })).toHaveLength(4);

    // A plan asks the same way.
    await page.getByRole('button', { name: 'Add step' }).click();
    await page.getByLabel('Plan name (optional)').fill('hotfix');
    await page.getByRole('button', { name: 'Save plan (1 step)' }).click();
    await dialog.getByRole('heading', { name: 'Conflicts with pending changes' }).waitFor();
    expect(await dialog.getByTestId('conflicts').locator('li').count()).toBeGreaterThanOrEqual(2);
    await dialog.getByRole('button', { name: 'Create anyway' }).click();
    await page.locator('.notice-success', { hasText: 'Saved the plan “hotfix” with 1 step' }).waitFor();
    expect(await api.listFlagSchedules(FLAG, { status: 'pending' })).toHaveLength(5);

    await page.getByRole('button', { name: 'Cancel ramp' }).click();
    await dialog.getByRole('button', { name: 'Cancel the plan' }).click();
    await expect
      .poll(() => page.locator('li[data-plan="ramp"]').getAttribute('data-status'), { timeout: 5000 })
      .toBe('cancelled');
    // Its steps are cancelled; the schedule and the other plan's step stay.
    expect(await api.listFlagSchedules(FLAG, { status: 'pending' })).toHaveLength(2);
  });
});
