import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One metered request, as spooled. */
export interface UsageEvent {
  readonly requestId: string;
  readonly keyId: string | null;
  readonly deploymentId: string;
  readonly modelId: string;
  readonly network: string;
  readonly node: string;
  readonly replicaUrl: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly computeOps: number;
  readonly costWei: string;
  /** The checked receipt, JSON, when the request succeeded. */
  readonly receipt?: string;
  readonly at: number;
}

type Line =
  | { readonly t: 'u'; readonly e: UsageEvent }
  | { readonly t: 'b'; readonly id: string; readonly n: number }
  | { readonly t: 'c'; readonly id: string };

/** A batch cut from the spool: its id is fixed before it is written, so a replay reuses it. */
export interface SpooledBatch {
  readonly id: string;
  readonly events: readonly UsageEvent[];
}

/**
 * A local append-only log of metered requests, written with a plain write(2) before the answer
 * leaves: a process killed with -9 loses nothing (the kernel has the bytes). Batches are cut by
 * writing a marker line with the batch's id before the batch goes to the database and a commit
 * line after, so a restarted gateway replays exactly the batches that may not have committed,
 * under the same ids (the database refuses an id twice), plus the events after the last marker.
 * A power cut can lose the last unflushed events; the database is the record of usage.
 */
export class UsageSpool {
  private readonly fd: number;
  private pending: UsageEvent[] = [];
  private seq = 0;
  /** Events appended in this microtask run (`appendInTurn`), not yet written, with their lines. */
  private held: UsageEvent[] = [];
  private heldLines = '';
  private turn: { resolve: () => void; reject: (error: Error) => void; done: Promise<void> } | undefined;

  constructor(
    dir: string,
    readonly name: string,
    /** Called for each event once its line is written (the meter's recent receipts). */
    private readonly written: (event: UsageEvent) => void = () => undefined,
  ) {
    this.fd = openSync(join(dir, `${name}.spool`), 'a');
  }

  append(event: UsageEvent): void {
    this.writeHeld();
    this.write({ t: 'u', e: event });
    this.pending.push(event);
    this.written(event);
  }

  /**
   * Appends `event` together with every other event appended in this run of the microtask queue:
   * their lines go out in one write(2), made in a microtask queued by the first of them, so it
   * runs before anything the callers queue after this call (the answers of one coalesced batch
   * resume together, docs/decisions.md, s32-gw). Resolves once the line is written, rejects if the
   * write failed (the event is then not pending: like `append` throwing). A caller that sends its
   * answer after awaiting this keeps "spooled before the answer leaves".
   */
  appendInTurn(event: UsageEvent): Promise<void> {
    this.held.push(event);
    this.heldLines += `${JSON.stringify({ t: 'u', e: event })}\n`;
    if (!this.turn) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const done = new Promise<void>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      this.turn = { resolve, reject, done };
      queueMicrotask(() => this.writeHeld());
    }
    return this.turn.done;
  }

  /** Writes the held events' lines (before any other line, so the file keeps their order). */
  private writeHeld(): void {
    const turn = this.turn;
    if (!turn) return;
    const events = this.held;
    const lines = this.heldLines;
    this.turn = undefined;
    this.held = [];
    this.heldLines = '';
    try {
      writeSync(this.fd, lines);
    } catch (error) {
      turn.reject(error as Error);
      return;
    }
    for (const event of events) {
      this.pending.push(event);
      this.written(event);
    }
    turn.resolve();
  }

  /** Cuts the pending events into a batch (marker written), or undefined when there are none. */
  cut(): SpooledBatch | undefined {
    this.writeHeld();
    if (this.pending.length === 0) return undefined;
    const batch = { id: `${this.name}:${this.seq++}`, events: this.pending };
    this.pending = [];
    this.write({ t: 'b', id: batch.id, n: batch.events.length });
    return batch;
  }

  committed(batch: SpooledBatch): void {
    this.writeHeld();
    this.write({ t: 'c', id: batch.id });
  }

  /** The pending (not yet cut) events. */
  get unbatched(): readonly UsageEvent[] {
    return this.pending;
  }

  close(): void {
    this.writeHeld();
    closeSync(this.fd);
  }

  private write(line: Line): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  /**
   * The batches of spool files left in `dir` by earlier runs (other than `except`) that may not
   * have reached the database: cut ones without a commit line, and the uncut tail.
   */
  static leftovers(dir: string, except: string): { file: string; batches: SpooledBatch[] }[] {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.spool') && f !== `${except}.spool`)
      .map((file) => ({
        file: join(dir, file),
        batches: replayable(readFileSync(join(dir, file), 'utf8'), file),
      }));
  }

  static remove(file: string): void {
    rmSync(file, { force: true });
  }
}

function replayable(text: string, file: string): SpooledBatch[] {
  const batches = new Map<string, SpooledBatch>();
  let events: UsageEvent[] = [];
  for (const raw of text.split('\n')) {
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      continue; // the empty last line, or one torn by a crash mid-write
    }
    if (line.t === 'u') events.push(line.e);
    else if (line.t === 'b') {
      batches.set(line.id, { id: line.id, events: events.slice(0, line.n) });
      events = events.slice(line.n);
    } else batches.delete(line.id);
  }
  const tail = events.length > 0 ? [{ id: `${file}:tail`, events }] : [];
  return [...batches.values(), ...tail];
}
