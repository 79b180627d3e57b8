import type { Actor, Role } from '@flagline/core';
import type { Logger } from 'pino';

export interface Principal {
  role: Role;
  /** Set for server (client) and frontend tokens: the one environment they can read. */
  environment: string | null;
  actor: Actor;
  /** Frontend tokens: the origins browsers may call from. */
  allowedOrigins?: readonly string[];
  /** In an approver group (AUTH_APPROVER_GROUPS): may approve or reject change requests though not an admin. */
  approver?: boolean;
  /** OIDC access tokens: when the token expires (milliseconds since the epoch); streams end then. */
  expiresAt?: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    logger: Logger;
  };
}
