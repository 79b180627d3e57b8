import type { Actor, Role } from '@flagline/core';
import type { Logger } from 'pino';

export interface Principal {
  role: Role;
  /** Set for client tokens: the one environment they can read. */
  environment: string | null;
  actor: Actor;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    logger: Logger;
  };
}
