import { createRootRoute, createRoute, createRouter } from '@tanstack/react-router';
import { ApprovalsPage } from './features/approvals/approvals-page';
import { AuditPage } from './features/audit/audit-page';
import { FlagPage } from './features/flags/flag-page';
import { FlagsPage } from './features/flags/flags-page';
import { SchedulesPage } from './features/schedules/schedules-page';
import { SegmentPage } from './features/segments/segment-page';
import { SegmentsPage } from './features/segments/segments-page';
import { App } from './features/session/app';
import { NotFoundPage } from './features/shell/not-found-page';
import { TokensPage } from './features/tokens/tokens-page';
import { WebhooksPage } from './features/webhooks/webhooks-page';

/**
 * The UI's routes, in code. The server answers every UI path with index.html (http/web-ui.ts in the server), so a
 * reload or a shared link of any of them lands here. The root renders the sign-in gate and the shell around them.
 */
const rootRoute = createRootRoute({ component: App, notFoundComponent: NotFoundPage });
const homeRoute = createRoute({ getParentRoute: () => rootRoute, path: '/', component: FlagsPage });
const flagsRoute = createRoute({ getParentRoute: () => rootRoute, path: '/flags', component: FlagsPage });
const flagRoute = createRoute({ getParentRoute: () => rootRoute, path: '/flags/$flagKey', component: FlagPage });
const schedulesRoute = createRoute({ getParentRoute: () => rootRoute, path: '/schedules', component: SchedulesPage });
const segmentsRoute = createRoute({ getParentRoute: () => rootRoute, path: '/segments', component: SegmentsPage });
const segmentRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/segments/$segmentKey',
  component: SegmentPage,
});
const approvalsRoute = createRoute({ getParentRoute: () => rootRoute, path: '/approvals', component: ApprovalsPage });
const auditRoute = createRoute({ getParentRoute: () => rootRoute, path: '/audit', component: AuditPage });
const tokensRoute = createRoute({ getParentRoute: () => rootRoute, path: '/tokens', component: TokensPage });
const webhooksRoute = createRoute({ getParentRoute: () => rootRoute, path: '/webhooks', component: WebhooksPage });

const routeTree = rootRoute.addChildren([
  homeRoute,
  flagsRoute,
  flagRoute,
  schedulesRoute,
  segmentsRoute,
  segmentRoute,
  approvalsRoute,
  auditRoute,
  tokensRoute,
  webhooksRoute,
]);

export const router = createRouter({ routeTree });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
