'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/models', label: 'Models' },
  { href: '/deploy', label: 'Deploy' },
  { href: '/deployments', label: 'Deployments' },
  { href: '/keys', label: 'API keys' },
  { href: '/usage', label: 'Usage' },
  { href: '/disputes', label: 'Disputes' },
  { href: '/playground', label: 'Playground' },
] as const;

export function Nav() {
  const path = usePathname();
  if (path === '/login') return null;
  return (
    <nav aria-label="Console">
      <ul className="nav">
        {LINKS.map((link) => {
          const current = link.href === '/' ? path === '/' : path.startsWith(link.href);
          return (
            <li key={link.href}>
              <Link href={link.href} aria-current={current ? 'page' : undefined}>
                {link.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
