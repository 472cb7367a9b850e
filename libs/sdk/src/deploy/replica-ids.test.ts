import { describe, expect, it } from 'vitest';
import { nextAttemptId, placementOf } from './replica-ids.js';

describe('replica ids', () => {
  it('continue the numbering of earlier deployments, so a deploy after a teardown never reuses an id', () => {
    expect(nextAttemptId('digits-p0-', [])).toBe('digits-p0-a0');
    expect(nextAttemptId('digits-p0-', ['digits-p0-a0', 'digits-p1-a0', null])).toBe('digits-p0-a1');
    expect(nextAttemptId('digits-p0-', ['digits-p0-a3', 'digits-p0-a1'])).toBe('digits-p0-a4');
    // Another project whose name starts the same, and ids not of this shape, do not count.
    expect(nextAttemptId('digits-p0-', ['digits-p0-x-p0-a7', 'digits-p0-a2b'])).toBe('digits-p0-a0');
  });

  it('name their placement', () => {
    expect(placementOf('digits-json-p1-a12')).toBe(1);
    expect(placementOf('not-a-replica')).toBe(-1);
  });
});
