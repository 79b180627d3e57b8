import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeRequestPending, FlaglineClient } from '@flagline/sdk';
import { loadConfig, startServer } from '@flagline/server';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ResolvedBrowser, resolveChromium } from './browser';
import { ensureBuilt, screenshotDir } from './harness';

/**
 * The admin UI end to end: a real server (in-memory PGlite, the scheduler running) serving the built UI, driven in
 * Chromium (see ./browser.ts for which one). Tests run in order and share one browser; each saves screenshots for a
 * person to look at.
 */

const ADMIN_TOKEN = randomBytes(24).toString('base64url');
const TIME_ZONE = 'America/New_York';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let resolved: ResolvedBrowser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
/** The paths (with query) of every stream the pages opened: the live view must use the change notices browsers use. */
const streamRequests: string[] = [];
const cspViolations: string[] = [];
const secrets = { releaseManager: '', auditor: '' };

/** Reports every Content-Security-Policy violation as a console error that the test collects. */
const REPORT_CSP_VIOLATIONS = () => {
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
  });
};

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, timezoneId: TIME_ZONE, locale: 'en-US', acceptDownloads: true });
  contexts.push(context);
  await context.addInitScript(REPORT_CSP_VIOLATIONS);
  context.on('console', (message) => {
    if (/CSP violation|Content Security Policy/.test(message.text())) {
      cspViolations.push(`${message.page()?.url()}: ${message.text()}`);
    }
  });
  return context;
}

async function newPage(viewport: { width: number; height: number }): Promise<Page> {
  const page = await (await newContext(viewport)).newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.endsWith('/stream')) streamRequests.push(`${url.pathname}${url.search}`);
  });
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  // Let relative times and the live indicator settle, and take the whole page.
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(server.url);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Flags', exact: true }).waitFor();
}

async function go(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

/** A reload (or a shared link) of the page on screen lands on the same page, still signed in (issue 17). */
async function reloadShows(page: Page, heading: string): Promise<void> {
  const path = new URL(page.url()).pathname;
  const response = await page.reload();
  expect({ path, status: response?.status() }).toEqual({ path, status: 200 });
  await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  expect(new URL(page.url()).pathname).toBe(path);
}

/** The font families Chromium used to draw the text inside the first element matching `selector`. */
async function renderedFonts(page: Page, selector: string): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.filter((font) => font.glyphCount > 0).map((font) => font.familyName);
  } finally {
    await cdp.detach();
  }
}

/** The value an <input type="datetime-local" step="1"> takes for now + ms, in the page's time zone. */
function localInputIn(page: Page, ms: number): Promise<string> {
  return page.evaluate((offset) => {
    const date = new Date(Date.now() + offset);
    const pad = (value: number) => String(value).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(
      date.getMinutes(),
    )}:${pad(date.getSeconds())}`;
  }, ms);
}

beforeAll(async () => {
  resolved = await resolveChromium();
  console.log(`admin UI e2e: browser ${resolved.description}`);
  // CI sets this where no system Chromium exists, so a run that did not use the npm-shipped browser fails.
  const expected = process.env.E2E_EXPECT_BROWSER;
  if (expected) expect(resolved.source, `E2E_EXPECT_BROWSER=${expected}`).toBe(expected);
  ensureBuilt();
  mkdirSync(screenshotDir, { recursive: true });
  server = await startServer(
    loadConfig({
      FLAGLINE_DATA_DIR: 'memory:',
      PORT: '0',
      FLAGLINE_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
      SCHEDULER_POLL_MS: '500',
      // The webhook test points at a closed port on loopback, which webhooks may only reach when allowed.
      WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
    }),
    pino({ level: 'silent' }),
  );
  browser = await launchChromium(resolved);
  console.log(`admin UI e2e: Chromium ${browser.version()}`);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
});

describe('admin UI in Chromium', () => {
  let page: Page;

  it('signs in with a token, explaining a bad one', async () => {
    page = await newPage(DESKTOP);
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Sign in to Flagline' }).waitFor();
    // Text is drawn in real fonts (the shipped DejaVu), not boxes, whichever browser runs.
    expect(await renderedFonts(page, 'h1')).toEqual(['DejaVu Sans']);
    expect(await renderedFonts(page, 'label')).toEqual(['DejaVu Sans']);
    expect(await renderedFonts(page, 'p.small')).toEqual(['DejaVu Sans']);
    expect(await renderedFonts(page, 'code')).toEqual(['DejaVu Sans Mono']);
    await shot(page, 'desktop-sign-in');
    await page.getByLabel('Token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The token is not valid');

    await signIn(page, ADMIN_TOKEN);
    await expect.poll(() => page.locator('.identity').textContent()).toContain('FLAGLINE_ADMIN_TOKEN');
    expect(await page.evaluate(() => sessionStorage.getItem('flagline.token'))).toBe(ADMIN_TOKEN);
    // A reload keeps the session (sessionStorage), and lands on the same page.
    await reloadShows(page, 'Flags');
  });

  it('creates an admin and a viewer token, each secret shown once with a copy button', async () => {
    await go(page, 'Tokens');
    await reloadShows(page, 'API tokens');
    await page.getByRole('heading', { name: 'Create a token' }).waitFor();
    for (const [name, role, key] of [
      ['release-manager', 'admin', 'releaseManager'],
      ['auditor', 'viewer', 'auditor'],
    ] as const) {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Role', { exact: true }).selectOption(role);
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = page.getByTestId('secret');
      await secret.waitFor();
      secrets[key] = await secret.inputValue();
      expect(secrets[key]).toMatch(/^fl_/);
      await expect.poll(() => page.locator(`tr[data-token="${name}"]`).count()).toBe(1);
      if (key === 'auditor') {
        await page.getByRole('button', { name: 'Copy', exact: true }).click();
        await expect.poll(() => page.locator('.secret [role="status"]').textContent()).toMatch(/Copied|Copy failed/);
        await shot(page, 'desktop-tokens');
      }
      await page.getByRole('button', { name: 'I have stored it' }).click();
      await expect.poll(() => page.getByTestId('secret').count()).toBe(0);
    }
    // The changes below are made as release-manager, so the audit trail must name it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, secrets.releaseManager);
    await expect.poll(() => page.locator('.identity').textContent()).toContain('release-manager');
  });

  it('creates a flag, shows field errors from the API, and toggles it with a confirmation in production', async () => {
    await page.getByLabel('Key', { exact: true }).fill('Bad Key');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await expect.poll(() => page.locator('.field-error').first().textContent()).toContain('lowercase');
    expect(await page.getByLabel('Key', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Key', { exact: true }).fill('new-checkout');
    await page.getByLabel('Description (optional)').fill('The new checkout flow');
    await page.getByRole('button', { name: 'Create flag' }).click();
    const row = page.locator('tr[data-flag="new-checkout"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('0%');

    const toggle = page.getByRole('switch', { name: 'new-checkout enabled in production' });
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('in production');
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => dialog.isVisible()).toBe(false);

    // The environment switcher: development has its own state, and toggles there need no confirmation.
    await page.getByLabel('Environment', { exact: true }).selectOption('development');
    const devToggle = page.getByRole('switch', { name: 'new-checkout enabled in development' });
    expect(await devToggle.getAttribute('aria-checked')).toBe('false');
    // Keyboard: the switch is a focusable button that Space toggles.
    await devToggle.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => devToggle.getAttribute('aria-checked')).toBe('true');
    expect(await dialog.isVisible()).toBe(false);
    await page.getByLabel('Environment', { exact: true }).selectOption('production');
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
  });

  it('reflects a change made elsewhere within 2 s, without a reload', async () => {
    const otherAdmin = new FlaglineClient({ url: server.url, token: ADMIN_TOKEN });
    const row = page.locator('tr[data-flag="new-checkout"]');
    await otherAdmin.updateFlag('new-checkout', { rolloutPercentage: 20 }, { environment: 'production' });
    const started = Date.now();
    await expect.poll(() => row.textContent(), { timeout: 2000, interval: 50 }).toContain('20%');
    expect(Date.now() - started).toBeLessThan(2000);
    await shot(page, 'desktop-flags');
  });

  it('adds an override, schedules changes, cancels one and watches another apply live', async () => {
    await page.locator('tr[data-flag="new-checkout"]').getByRole('link', { name: 'new-checkout' }).click();
    await page.getByRole('heading', { name: 'State in production' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/flags/new-checkout');
    await reloadShows(page, 'State in production');

    await page.getByLabel('User id').fill('user-42');
    await page.getByRole('radio', { name: 'Include' }).check();
    await page.getByLabel('Reason', { exact: true }).fill('beta tester');
    await page.getByRole('button', { name: 'Add override' }).click();
    const override = page.locator('tr[data-user="user-42"]');
    await override.waitFor();
    expect(await override.textContent()).toContain('beta tester');

    // The picker names its time zone and previews the instant in UTC.
    const when = page.getByLabel(/^Date and time/);
    expect(await page.locator('label', { hasText: 'Date and time' }).textContent()).toContain(TIME_ZONE);
    await when.fill('2031-07-01T09:30:00');
    await expect.poll(() => page.getByTestId('utc-preview').textContent()).toBe('2031-07-01 13:30:00 UTC');

    const schedule = async (
      setWhen: () => Promise<void>,
      enabled: 'keep' | 'on' | 'off',
      rollout: string,
      conflicts = false,
    ) => {
      await setWhen();
      await page.getByLabel('Enabled', { exact: true }).selectOption(enabled);
      await page.getByLabel('Rollout %', { exact: true }).fill(rollout);
      await page.getByRole('button', { name: 'Schedule change' }).click();
      // The UI asks the server to refuse a collision with a pending schedule (onConflict=reject), then asks the user.
      if (conflicts) await page.getByRole('dialog').getByRole('button', { name: 'Create anyway' }).click();
      await page.locator('.notice-success', { hasText: 'Scheduled' }).waitFor();
    };
    // One to cancel (tomorrow), one that stays pending (in an hour), and one 3 s ahead that must apply: it sets the
    // rollout within the hour of the second, a conflict to confirm.
    await schedule(() => page.getByRole('button', { name: 'In 1 day' }).click(), 'off', '');
    await schedule(() => page.getByRole('button', { name: 'In 1 hour' }).click(), 'keep', '100');
    await schedule(async () => when.fill(await localInputIn(page, 3000)), 'keep', '50', true);
    const pending = page.locator('#schedules tr[data-status="pending"]');
    await expect.poll(() => pending.count()).toBe(3);

    const tomorrow = pending.filter({ hasText: 'turn off' });
    await tomorrow.getByRole('button', { name: /^Cancel the turn off change/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel the change' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.getByRole('button', { name: /^Cancelled/ }).click();
    await expect.poll(() => page.locator('#schedules tr[data-status="cancelled"]').count()).toBe(1);

    // The scheduler applies the 3 s schedule; the page shows it without a reload.
    const rollout = page.getByLabel('Rollout percentage', { exact: true });
    await expect.poll(() => rollout.inputValue(), { timeout: 15_000, interval: 100 }).toBe('50');
    await page.getByRole('button', { name: /^Applied/ }).click();
    await expect.poll(() => page.locator('#schedules tr[data-status="applied"]').count()).toBe(1);
    await page.getByRole('button', { name: /^Pending/ }).click();
    await expect.poll(() => pending.count()).toBe(1);
    // The timeline: created, turned on, 20 %, 50 % applied — and the pending 100 % ahead.
    await expect.poll(() => page.locator('.timeline .marker-applied').count()).toBe(1);
    expect(await page.locator('.timeline .marker-scheduled').count()).toBe(1);
    expect(await page.locator('.timeline .marker').count()).toBeGreaterThanOrEqual(5);
    await shot(page, 'desktop-flag');
  });

  it('lists upcoming schedules across flags, soonest first', async () => {
    await go(page, 'Schedules');
    await page.getByRole('heading', { name: 'Upcoming schedules' }).waitFor();
    await reloadShows(page, 'Upcoming schedules');
    const rows = page.locator('tr[data-status="pending"]');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('rollout 100%');
    await shot(page, 'desktop-schedules');
    // The schedule above applied live through @flagline/sdk/web's change notices, never the ruleset stream.
    expect(streamRequests).toContain('/api/config/stream?environment=production');
    expect(streamRequests.filter((path) => !path.startsWith('/api/config/stream'))).toEqual([]);
  });

  it('shows every change on the audit page with the right actor, verifies the chain and exports', async () => {
    await go(page, 'Audit');
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await reloadShows(page, 'Audit trail');
    const event = (type: string) => page.locator(`li.event[data-event-type="${type}"]`);
    await event('flag_schedule.applied').first().waitFor();
    for (const type of ['flag.created', 'flag_override.set', 'flag_schedule.created', 'flag_schedule.cancelled']) {
      await expect.poll(() => event(type).first().textContent()).toContain('release-manager (token)');
    }
    const updatedBy = (actor: string) => event('flag.updated').filter({ hasText: actor });
    expect(await updatedBy('release-manager (token)').count()).toBe(2);
    expect(await updatedBy('release-manager (token)').filter({ hasText: 'in development' }).count()).toBe(1);
    expect(await event('flag.updated').filter({ hasText: 'by FLAGLINE_ADMIN_TOKEN' }).count()).toBe(1);
    expect(await event('flag_schedule.applied').textContent()).toContain('by system (scheduler)');
    expect(await event('flag_schedule.created').count()).toBe(3);
    // Field-level diff: the toggle's before/after.
    const toggled = updatedBy('release-manager (token)').filter({ hasText: 'in production' });
    expect(await toggled.locator('table.diff').textContent()).toMatch(/enabled\s*false\s*true/);
    await expect.poll(() => page.locator('.chain').textContent()).toContain('Hash chain intact');

    await page.getByLabel('Event type').selectOption('flag_schedule.cancelled');
    await expect.poll(() => page.locator('li.event').count()).toBe(1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.locator('li.event').count()).toBeGreaterThan(5);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'NDJSON' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^flagline-audit-.*\.ndjson$/);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    const types = lines.map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['flag.created', 'flag_schedule.applied', 'flag_schedule.cancelled']));
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).click()]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    expect(readFileSync(await csv.path(), 'utf8').split('\n')[0]).toContain('type');
    await shot(page, 'desktop-audit');
  });

  it('creates a webhook and shows its delivery status', async () => {
    await go(page, 'Webhooks');
    await reloadShows(page, 'Webhooks');
    await page.getByLabel('URL').fill('http://127.0.0.1:9/flagline-hook');
    await page.getByLabel('Description (optional)').fill('Nothing listens here: deliveries retry');
    await page.getByRole('checkbox', { name: 'flag.updated' }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByTestId('secret').waitFor();
    await expect.poll(() => page.locator('.webhooks li').count()).toBe(1);
    expect(await page.locator('.webhooks li').textContent()).toContain('Events: flag.updated');
    await shot(page, 'desktop-webhooks');
  });

  it('creates a segment and a string flag whose rule uses it, and tries contexts in the preview', async () => {
    await go(page, 'Segments');
    await page.getByRole('heading', { name: 'Segments', exact: true }).waitFor();
    await page.getByLabel('Key', { exact: true }).fill('germany');
    await page.getByLabel('Name', { exact: true }).fill('Customers in Germany');
    await page.getByRole('button', { name: 'Add constraint' }).click();
    await page.getByLabel('New segment, constraint 1: attribute').fill('country');
    await page.getByLabel('New segment, constraint 1: values, one per line').fill('DE');
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('link', { name: 'germany' }).waitFor();
    await reloadShows(page, 'Segments');

    await go(page, 'Flags');
    await page.getByLabel('Key', { exact: true }).fill('checkout-copy');
    await page.getByLabel('Type', { exact: true }).selectOption('string');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await page.locator('tr[data-flag="checkout-copy"]').getByRole('link', { name: 'checkout-copy' }).click();
    await page.getByRole('heading', { name: 'Targeting in production' }).waitFor();

    await page.getByLabel('New variant name').fill('pro');
    await page.getByRole('button', { name: 'Add variant' }).click();
    await page.getByLabel('Value of variant pro').fill('Welcome back, pro');
    await page.getByLabel('Value of variant default').fill('Welcome');
    await page.getByRole('button', { name: 'Save variants' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Save variants' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('button', { name: 'Add constraint' }).click();
    await page.getByLabel('Rule 1, constraint 1: attribute').fill('plan');
    await page.getByLabel('Rule 1, constraint 1: values, one per line').fill('pro');
    await page.getByLabel('germany').check();
    await page.getByLabel('Rule 1 serves: serve').selectOption('pro');
    await page.getByRole('button', { name: 'Save targeting' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Apply to production' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Save targeting' }).isDisabled()).toBe(true);

    const admin = new FlaglineClient({ url: server.url, token: ADMIN_TOKEN });
    const saved = await admin.getTargeting('checkout-copy', 'production');
    expect(saved.targeting.rules).toMatchObject([
      {
        constraints: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }],
        segments: ['germany'],
        serve: { variant: 'pro' },
      },
    ]);
    await admin.updateFlag('checkout-copy', { enabled: true }, { environment: 'production' });

    const context = page.getByLabel('Evaluation context (JSON)');
    const result = page.getByLabel('Evaluation result');
    await context.fill('{ "targetingKey": "u-1", "plan": "pro", "country": "DE" }');
    await expect.poll(() => result.textContent()).toContain('"Welcome back, pro"');
    expect(await result.textContent()).toContain('TARGETING_MATCH');
    await context.fill('{ "targetingKey": "u-1", "plan": "pro", "country": "FR" }');
    await expect.poll(() => result.textContent()).toContain('"Welcome"');
    await context.fill('{ "plan": ');
    await page.getByText('Not valid JSON').waitFor();
    await shot(page, 'desktop-targeting');
    await reloadShows(page, 'Targeting in production');
    expect(await page.getByLabel('Rule 1, constraint 1: attribute').inputValue()).toBe('plan');
  });

  it('answers an unknown page or flag inside the app, on a link and on a reload', async () => {
    await page.goto(`${server.url}/no-such-page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await reloadShows(page, 'Page not found');
    expect(await page.locator('main code').textContent()).toBe('/no-such-page');
    await page.getByRole('link', { name: 'Go to the flags' }).click();
    await page.getByRole('heading', { name: 'Flags', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.goto(`${server.url}/flags/no-such-flag`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('No such flag here');
    await reloadShows(page, 'no-such-flag');
  });

  it('gives a viewer token no write controls anywhere', async () => {
    const viewer = await newPage(DESKTOP);
    await signIn(viewer, secrets.auditor);
    await viewer.getByRole('note').filter({ hasText: 'Read-only' }).waitFor();
    await viewer.locator('tr[data-flag="new-checkout"]').waitFor();
    expect(await viewer.getByRole('switch').count()).toBe(0);
    expect(await viewer.getByRole('heading', { name: 'Create a flag' }).count()).toBe(0);
    await shot(viewer, 'desktop-viewer-flags');

    await viewer.locator('tr[data-flag="new-checkout"]').getByRole('link', { name: 'new-checkout' }).click();
    await viewer.getByRole('heading', { name: 'State in production' }).waitFor();
    await viewer.locator('tr[data-user="user-42"]').waitFor();
    for (const name of ['Schedule a change', 'Add an override', 'Delete this flag']) {
      expect(await viewer.getByRole('heading', { name }).count()).toBe(0);
    }
    expect(await viewer.getByRole('button', { name: /^(Save changes|Remove…|Cancel…|Delete flag…)$/ }).count()).toBe(0);
    expect(await viewer.getByRole('switch').count()).toBe(0);
    await shot(viewer, 'desktop-viewer-flag');

    for (const [nav, heading] of [
      ['Schedules', 'Upcoming schedules'],
      ['Tokens', 'API tokens'],
      ['Webhooks', 'Webhooks'],
    ] as const) {
      await go(viewer, nav);
      await viewer.getByRole('heading', { name: heading, exact: true }).waitFor();
      await viewer.locator('.loading').first().waitFor({ state: 'detached' });
      expect(await viewer.locator('main form').count()).toBe(0);
      expect(await viewer.getByRole('button', { name: /…$|^Create|^Add/ }).count()).toBe(0);
    }
  });

  it('works at phone width', async () => {
    const phone = await newPage(PHONE);
    await phone.goto(server.url);
    await phone.getByRole('heading', { name: 'Sign in to Flagline' }).waitFor();
    await shot(phone, 'phone-sign-in');
    await signIn(phone, secrets.releaseManager);
    await phone.locator('tr[data-flag="new-checkout"]').waitFor();
    await shot(phone, 'phone-flags');
    // Nothing may overflow the viewport sideways.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await phone.getByRole('switch', { name: 'new-checkout enabled in production' }).click();
    await phone.getByRole('dialog').waitFor();
    await phone.screenshot({ path: join(screenshotDir, 'phone-confirm.png') });
    // Escape dismisses the confirmation without changing anything.
    await phone.keyboard.press('Escape');
    await expect.poll(() => phone.getByRole('dialog').isVisible()).toBe(false);
    expect(
      await phone.getByRole('switch', { name: 'new-checkout enabled in production' }).getAttribute('aria-checked'),
    ).toBe('true');

    await phone.locator('tr[data-flag="new-checkout"]').getByRole('link', { name: 'new-checkout' }).click();
    await phone.getByRole('heading', { name: 'State in production' }).waitFor();
    await phone.locator('.timeline svg').waitFor();
    await shot(phone, 'phone-flag');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    for (const [nav, heading, name] of [
      ['Schedules', 'Upcoming schedules', 'phone-schedules'],
      ['Audit', 'Audit trail', 'phone-audit'],
      ['Tokens', 'API tokens', 'phone-tokens'],
      ['Webhooks', 'Webhooks', 'phone-webhooks'],
    ] as const) {
      await go(phone, nav);
      await phone.getByRole('heading', { name: heading, exact: true }).waitFor();
      await phone.locator('.loading').first().waitFor({ state: 'detached' });
      await shot(phone, name);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    }
  });

  it('protects production, shows a request by another admin with its diff, and approves it; its own waits', async () => {
    await go(page, 'Approvals');
    await page.getByRole('heading', { name: 'Approvals', exact: true }).waitFor();
    await reloadShows(page, 'Approvals');
    await page.getByRole('button', { name: 'Protect production' }).click();
    await page.getByRole('button', { name: 'Request to remove protection' }).waitFor();

    // Another admin (the FLAGLINE_ADMIN_TOKEN) changes production: the SDK reports a request, not a change.
    const other = new FlaglineClient({ url: server.url, token: ADMIN_TOKEN });
    const outcome = await other
      .updateFlag('new-checkout', { rolloutPercentage: 33 }, { environment: 'production' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(outcome).toBeInstanceOf(ChangeRequestPending);
    const id = (outcome as ChangeRequestPending).changeRequest.id;
    const request = page.locator(`li.change-request[data-change-request="${id}"]`);
    await expect.poll(() => request.textContent(), { timeout: 10_000 }).toContain('rolloutPercentage');
    await shot(page, 'desktop-approvals');
    await request.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(async () => (await other.getFlag('new-checkout', 'production')).rolloutPercentage).toBe(33);
    await page.locator(`li[data-change-request="${id}"][data-status="applied"]`).waitFor();

    // Removing the protection is this user's own request: another admin approves it.
    await page.getByRole('button', { name: 'Request to remove protection' }).click();
    const own = page.locator('li.change-request', { hasText: 'Remove protection' });
    await own.waitFor();
    expect(await own.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    const [unprotect] = (await other.listChangeRequests({ status: 'pending' })).items;
    expect(unprotect?.change.kind).toBe('environment.unprotect');
    await other.approveChangeRequest(unprotect?.id ?? '');
    await page.reload();
    await page.getByRole('button', { name: 'Protect production' }).waitFor();
  });

  it('serves /docs under its Content-Security-Policy without a violation', async () => {
    // Its own context and no page-error hook: the reference renderer may need the network, which tests do not have.
    const docs = await (await newContext(DESKTOP)).newPage();
    const response = await docs.goto(`${server.url}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await docs.waitForTimeout(500);
  });

  it('raised no uncaught error and no Content-Security-Policy violation in any page', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
