export type { AppRouter } from './server/api/root.js';
export { type ConsoleOptions, type RunningConsole, startConsole } from './server/console-server.js';
