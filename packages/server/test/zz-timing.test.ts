import { it } from 'vitest';
import { createTestApp } from './helpers/app';
it('x', async () => {
    const t = await createTestApp('pglite');
    console.log('ROUTES', JSON.stringify(t.app.routes.map(r => [r.method, r.path])));
    const doc = await t.request('GET', '/openapi.json', {token: null});
    console.log('DOC', doc.status, JSON.stringify(Object.keys((doc.body as {paths: object}).paths)));
    await t.close();
});
