import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * One SQL statement with its positional parameters (`?` on SQLite, `$n` on PostgreSQL), or
 * with `rows`: run once per row of parameters (SQLite: one prepared statement run per row in the
 * transaction, which there is cheaper than parsing one statement of many rows).
 */
export type Statement =
  | { readonly sql: string; readonly params: readonly unknown[] }
  | { readonly sql: string; readonly rows: readonly (readonly unknown[])[] };

/** What a statement gave back: its rows (for a SELECT) and the rows it changed. */
export interface StatementResult {
  readonly rows: Record<string, unknown>[];
  readonly changes: number;
}

/**
 * The worker, as plain CommonJS source so that it runs the same under tsx, vitest, node and the
 * bundle `stoa dev` starts. It holds its own connection (better-sqlite3 or a small pg pool) and
 * runs the statements it is sent, each message's statements in one transaction. On SQLite every
 * call blocks this thread, commit fsyncs included, and not the gateway's event loop.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { provider, url, driver } = workerData;
let run;
if (provider === 'sqlite') {
  const Database = require(driver);
  const db = new Database(url.replace(/^file:/, '').split('?')[0], { timeout: 5000 });
  db.defaultSafeIntegers(false);
  const prepared = new Map();
  const statement = (sql) => {
    let s = prepared.get(sql);
    if (!s) {
      if (prepared.size > 256) prepared.clear();
      s = db.prepare(sql);
      prepared.set(sql, s);
    }
    return s;
  };
  const one = ({ sql, params, rows }) => {
    const s = statement(sql);
    if (rows) {
      let changes = 0;
      for (const row of rows) changes += s.run(...row).changes;
      return { rows: [], changes };
    }
    if (s.reader) return { rows: s.all(...params), changes: 0 };
    return { rows: [], changes: s.run(...params).changes };
  };
  const many = db.transaction((statements) => statements.map(one));
  run = async (statements) => (statements.length === 1 ? [one(statements[0])] : many(statements));
} else {
  const { Pool } = require(driver);
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  const one = async (client, { sql, params }) => {
    const r = await client.query(sql, params);
    return { rows: r.rows ?? [], changes: r.rowCount ?? 0 };
  };
  run = async (statements) => {
    if (statements.length === 1) return [await one(pool, statements[0])];
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const results = [];
      for (const s of statements) results.push(await one(client, s));
      await client.query('COMMIT');
      return results;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
}
parentPort.on('message', ({ id, statements }) => {
  run(statements).then(
    (results) => parentPort.postMessage({ id, results }),
    (error) => parentPort.postMessage({ id, error: String((error && error.message) || error) }),
  );
});
`;

interface Waiting {
  readonly worker: Worker;
  readonly resolve: (results: StatementResult[]) => void;
  readonly reject: (error: Error) => void;
}

interface Reply {
  readonly id: number;
  readonly results?: StatementResult[];
  readonly error?: string;
}

/**
 * A database connection of the gateway's own on a worker thread: the periodic statements
 * (key-version polls, heartbeats, usage batches) run there as plain SQL through the driver,
 * neither through Prisma's query engine (~1–5 ms of CPU a statement, BENCHMARKS.md) nor on the
 * event loop that serves requests. A worker that dies is started again on the next call.
 */
export class SqlWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Waiting>();
  private nextId = 0;
  private closed = false;

  constructor(
    readonly provider: 'sqlite' | 'postgresql',
    private readonly url: string,
  ) {}

  /** Runs the statements, several in one transaction; resolves with one result each. */
  run(statements: readonly Statement[]): Promise<StatementResult[]> {
    if (this.closed) return Promise.reject(new Error('the gateway store is closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, statements });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const driver = createRequire(import.meta.url).resolve(
      this.provider === 'sqlite' ? 'better-sqlite3' : 'pg',
    );
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { provider: this.provider, url: this.url, driver },
    });
    worker.unref(); // it never keeps a process alive
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.results!);
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiting] of this.pending)
        if (waiting.worker === worker) {
          this.pending.delete(id);
          waiting.reject(error);
        }
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the gateway's SQL worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
