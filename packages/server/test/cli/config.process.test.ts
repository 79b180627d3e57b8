import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const BIN = fileURLToPath(new URL('../../bin/flagline.js', import.meta.url));

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      port: 4747,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: './.flagline',
      logLevel: 'info',
      adminToken: undefined,
      auth: {
        jwksUrl: undefined,
        issuer: undefined,
        audience: undefined,
        groupsClaim: 'cognito:groups',
        adminGroups: ['admin', 'admins'],
        viewerGroups: ['viewer', 'viewers'],
      },
      overrideRateLimitPerHour: 100,
      snapshotPollMs: 1000,
    });
  });

  it('treats empty strings as unset (a blank line in an env file does not override a default)', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', FLAGLINE_ADMIN_TOKEN: '' });
    expect(config.port).toBe(4747);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://flagline@db:5432/flagline',
      FLAGLINE_DATA_DIR: 'memory:',
      LOG_LEVEL: 'warn',
      FLAGLINE_ADMIN_TOKEN: 'automation-token-2f9c1e7a5b3d8046',
      AUTH_JWKS_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
      AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
      AUTH_AUDIENCE: 'client-id',
      AUTH_GROUPS_CLAIM: 'groups',
      AUTH_ADMIN_GROUPS: ' owners , ops ,',
      AUTH_VIEWER_GROUPS: 'support',
      OVERRIDE_RATE_LIMIT_PER_HOUR: '0',
      SNAPSHOT_POLL_MS: '250',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://flagline@db:5432/flagline',
      dataDir: 'memory:',
      logLevel: 'warn',
      adminToken: 'automation-token-2f9c1e7a5b3d8046',
      auth: {
        jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json',
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/pool',
        audience: 'client-id',
        groupsClaim: 'groups',
        adminGroups: ['owners', 'ops'],
        viewerGroups: ['support'],
      },
      overrideRateLimitPerHour: 0,
      snapshotPollMs: 250,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['FLAGLINE_ADMIN_TOKEN', 'too-short'],
    ['FLAGLINE_ADMIN_TOKEN', 'sixteen-chars-ok'],
    ['FLAGLINE_ADMIN_TOKEN', 'a'.repeat(40)],
    ['FLAGLINE_ADMIN_TOKEN', 'abc1'.repeat(10)],
    ['FLAGLINE_ADMIN_TOKEN', 'password'.repeat(4)],
    ['FLAGLINE_ADMIN_TOKEN', 'aaaabbbbccccddddaaaabbbbccccddddeeee'],
    ['AUTH_FAILURES_PER_MINUTE', '-1'],
    ['AUTH_ALLOW_ANY_ISSUER', 'yes'],
    ['OVERRIDE_RATE_LIMIT_PER_HOUR', '-1'],
    ['OVERRIDE_RATE_LIMIT_PER_HOUR', 'lots'],
    ['AUTH_JWKS_URL', 'not a url'],
    ['AUTH_ADMIN_GROUPS', ' , '],
    ['SNAPSHOT_POLL_MS', '5'],
  ])('rejects %s=%s with a ConfigError naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('reads WEBHOOK_ALLOWED_TARGETS as hosts, addresses and CIDR ranges, and names a bad entry', () => {
    expect(loadConfig({}).webhooks).toMatchObject({ allowedTargets: [], maxInFlightPerEndpoint: 4 });
    const config = loadConfig({
      WEBHOOK_ALLOWED_TARGETS: ' 127.0.0.1, 10.0.0.0/8 ,[::1], fc00::/7,Hooks.Internal,',
      WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '2',
    });
    expect(config.webhooks).toMatchObject({
      allowedTargets: ['127.0.0.1', '10.0.0.0/8', '::1', 'fc00::/7', 'hooks.internal'],
      maxInFlightPerEndpoint: 2,
    });
    for (const bad of ['10.0.0.0/33', 'bad host!', '300.1.2.3', 'https://hooks.internal']) {
      const error = configError({ WEBHOOK_ALLOWED_TARGETS: `127.0.0.1,${bad}` });
      expect(error.message).toContain('WEBHOOK_ALLOWED_TARGETS.1');
      expect(error.message).toContain(bad);
    }
    expect(configError({ WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '0' }).message).toContain(
      'WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT',
    );
  });

  it.each([
    ['a short one', 'short-admin-token', /at least 32 characters \(it has 17\)/],
    ['one repeated character', 'x'.repeat(48), /1-character pattern repeated/],
    ['a short pattern typed over and over', 'Hunter2!'.repeat(4), /8-character pattern repeated/],
    ['few different characters', 'abababababababababababababababac', /only 3 different characters/],
  ])('refuses a weak FLAGLINE_ADMIN_TOKEN (%s), saying why', (_case, token, reason) => {
    const error = configError({ FLAGLINE_ADMIN_TOKEN: token });
    expect(error.message).toMatch(/\bFLAGLINE_ADMIN_TOKEN\b/);
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain(token);
  });

  it('accepts a random FLAGLINE_ADMIN_TOKEN, hex or base64url', () => {
    for (const token of ['5f0b9c2e8a7d41f3b6c0e9a2d4f7183c', 'q3Zt-8kP_vW2xYb7N0mRcL4sHjFdG1eA9uTo6iE5BnK']) {
      expect(loadConfig({ FLAGLINE_ADMIN_TOKEN: token }).adminToken).toBe(token);
    }
  });

  it('requires AUTH_ISSUER and AUTH_AUDIENCE with AUTH_JWKS_URL, unless explicitly waived', () => {
    const jwks = { AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json' };
    const missingBoth = configError(jwks);
    expect(missingBoth.message).toMatch(/\bAUTH_ISSUER: is required when AUTH_JWKS_URL is set/);
    expect(missingBoth.message).toMatch(/\bAUTH_AUDIENCE: is required when AUTH_JWKS_URL is set/);
    const missingAudience = configError({ ...jwks, AUTH_ISSUER: 'https://idp.example.com' });
    expect(missingAudience.message).toMatch(/\bAUTH_AUDIENCE\b/);
    expect(missingAudience.message).not.toMatch(/\bAUTH_ISSUER:/);

    const waived = loadConfig({ ...jwks, AUTH_ALLOW_ANY_ISSUER: 'true', AUTH_ALLOW_ANY_AUDIENCE: '1' });
    expect(waived.auth).toMatchObject({
      issuer: undefined,
      audience: undefined,
      allowAnyIssuer: true,
      allowAnyAudience: true,
    });
    // Without a key set nothing is asked for.
    expect(loadConfig({}).auth).toMatchObject({
      allowAnyIssuer: false,
      allowAnyAudience: false,
      failuresPerMinute: 30,
    });
  });

  it('names every bad variable at once, and only those', () => {
    const error = configError({ PORT: 'abc', LOG_LEVEL: 'loud', HOST: 'localhost' });
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('LOG_LEVEL');
    expect(error.message).not.toContain('HOST');
  });
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flagline ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('the flagline CLI with a bad configuration', () => {
  it('`flagline serve` with PORT=abc exits 1 and says PORT is wrong', async () => {
    const result = await runCli(['serve'], { PORT: 'abc', FLAGLINE_DATA_DIR: 'memory:' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\bPORT\b/);
    expect(result.stderr).toContain('must be a whole number');
    // A configuration mistake is a sentence for the operator, not a stack trace.
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);

  it('`flagline serve` with a weak FLAGLINE_ADMIN_TOKEN exits 1 naming the variable, without echoing it', async () => {
    const token = 'admin'.repeat(8);
    const result = await runCli(['serve'], { FLAGLINE_ADMIN_TOKEN: token, FLAGLINE_DATA_DIR: 'memory:', PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\bFLAGLINE_ADMIN_TOKEN: is one 5-character pattern repeated/);
    expect(result.stderr).not.toContain(token);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);

  it('`flagline serve` with AUTH_JWKS_URL but no AUTH_ISSUER / AUTH_AUDIENCE exits 1 naming both', async () => {
    const result = await runCli(['serve'], {
      AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      FLAGLINE_DATA_DIR: 'memory:',
      PORT: '0',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\bAUTH_ISSUER\b/);
    expect(result.stderr).toMatch(/\bAUTH_AUDIENCE\b/);
  }, 180_000);

  it('`flagline migrate` with DATABASE_URL=mysql://x exits 1 and names DATABASE_URL', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: 'mysql://x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\bDATABASE_URL\b/);
  }, 180_000);
});
