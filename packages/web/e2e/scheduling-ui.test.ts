import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlaglineClient } from '@flagline/sdk';
import { loadConfig, startServer } from '@flagline/server';
import pino from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, resolveChromium } from './browser';
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
  browser = await chromium.launch({
    executablePath: resolved.executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    env: resolved.env,
  });
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
    await expect.poll(() => page.locator('#schedules tr[data-status="pending"]').count()).toBe(1);
  });
});
