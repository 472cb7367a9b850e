export { type DevOptions, dev } from './commands/dev.js';
