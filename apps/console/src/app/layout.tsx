import type { ReactNode } from 'react';
import { Nav } from '../client/nav';
import { Providers } from '../client/trpc';
import './globals.css';

// Not typed with `next`'s Metadata: that import brings next's global declarations (a required
// process.env.NODE_ENV) into the typecheck of the libraries the server code imports.
export const metadata = {
  title: 'Stoa console',
  description: 'Verifiable ML inference: models, deployments, keys',
};
export const viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        <header className="top">
          <span className="brand">Stoa</span>
          <Nav />
        </header>
        <Providers>
          <main id="main">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
