import { createTestApp } from './helpers/app';

const t = await createTestApp('pglite');
for (let i = 0; i < 100; i++) {
  await t.request('POST', '/api/admin/flags', { body: { key: `f-${i}` } });
  await t.request('PATCH', `/api/admin/flags/f-${i}`, { body: { enabled: true, rolloutPercentage: i } });
}
const headers = { authorization: `Bearer ${t.tokens.client}` };
const paths = process.argv[2] ? [process.argv[2]] : ['/healthz', '/api/config/flags?userId=u1'];
for (const path of paths) {
  for (let round = 0; round < 2; round++) {
    const n = 20000;
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await t.app.request(path, { headers });
      await r.text();
    }
    const us = ((performance.now() - start) * 1000) / n;
    console.log(path, `${us.toFixed(1)} µs/request`);
  }
}
const snap = t.deps.snapshot.current.environments.get('production')!;
const s = performance.now();
for (let i = 0; i < 20000; i++) snap.evaluateAll(`user-${i}`);
console.log('evaluateAll', (((performance.now() - s) * 1000) / 20000).toFixed(1), 'µs');
await t.close();
