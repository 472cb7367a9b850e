/** DisputeGame.Phase, in declaration order. */
export const Phase = {
  None: 0,
  AwaitFinal: 1,
  TraceDescend: 2,
  TracePick: 3,
  RevealStep: 4,
  StepReached: 5,
  RevealRoot: 6,
  OutputDescend: 7,
  OutputPick: 8,
  RevealChunk: 9,
  OneStep: 10,
  Resolved: 11,
  /** Traces on demand: the claimant commits its trace root (declared last in the contract). */
  AwaitTrace: 12,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const CLAIMANT_PHASES: ReadonlySet<number> = new Set([
  Phase.AwaitTrace,
  Phase.AwaitFinal,
  Phase.TraceDescend,
  Phase.RevealStep,
  Phase.RevealRoot,
  Phase.OutputDescend,
  Phase.RevealChunk,
]);

/** Phases in which the claimant (the node) must move; the challenger moves in the others. */
export function claimantMoves(phase: number): boolean {
  return CLAIMANT_PHASES.has(phase);
}
