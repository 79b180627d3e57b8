import { config } from 'zod';

// Zod compiles object parsers with `new Function` unless told not to, and merely probing for that is a violation of
// the admin UI's Content-Security-Policy (no 'unsafe-eval'). Imported first by main.tsx, before any schema parses.
config({ jitless: true });
