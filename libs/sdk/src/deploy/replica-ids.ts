/**
 * Replica ids: `<project>-p<placement>-a<attempt>`, readable in `stoa logs --replica` and unique
 * in the database across every deployment of the project. A deployment's attempts continue the
 * numbering of the project's earlier deployments, so a deploy after a teardown gets `…-a1`
 * instead of colliding with the torn-down `…-a0` it still keeps for the record.
 */
export function nextAttemptId(prefix: string, existing: readonly (string | null)[]): string {
  let next = 0;
  for (const id of existing) {
    if (!id?.startsWith(prefix)) continue;
    const attempt = /^a(\d+)$/.exec(id.slice(prefix.length));
    if (attempt) next = Math.max(next, Number(attempt[1]) + 1);
  }
  return `${prefix}a${next}`;
}

/** `<name>-p<i>-a<n>` → i. */
export function placementOf(adapterId: string): number {
  return Number(/-p(\d+)-a\d+$/.exec(adapterId)?.[1] ?? -1);
}
