import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of Next.js's programmatic server the console uses. */
export interface NextApp {
  prepare(): Promise<void>;
  getRequestHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  close(): Promise<void>;
}

/**
 * Loads the built Next.js app. Imported by a computed name on purpose: `next`'s type entry adds
 * global declarations (a required `process.env.NODE_ENV`) that would leak into every other
 * package's typecheck through the repository-wide tsconfig.
 */
export async function loadNextApp(options: {
  dir: string;
  hostname: string;
  port: number;
}): Promise<NextApp> {
  const specifier: string = 'next';
  const { default: next } = (await import(specifier)) as {
    default: (o: { dev: boolean; dir: string; hostname: string; port: number }) => NextApp;
  };
  return next({ dev: false, ...options });
}
