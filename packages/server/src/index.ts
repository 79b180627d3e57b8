export { createApp } from './app';
export { type Config, loadConfig } from './config';
export { handler, runDueOnce } from './schedules/lambda';
export { startServer } from './server';
