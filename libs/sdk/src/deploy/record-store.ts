import type { DeploymentRecord, RecordStore } from '@stoa/adapters';
import type { StoaDb } from '../db/client.js';

/**
 * The adapters' resumable records, kept in the Replica rows of the database (one row per
 * placement on a network, keyed by the adapter's deployment id). The row is created by the
 * engine before the adapter is called, so a crash at any point leaves a row to resume from.
 */
export class DbRecordStore implements RecordStore {
  constructor(private readonly db: StoaDb) {}

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db.replica.findUnique({ where: { adapterId: id } });
    return row?.record ? (JSON.parse(row.record) as DeploymentRecord) : undefined;
  }

  async put(record: DeploymentRecord): Promise<void> {
    await this.db.replica.update({
      where: { adapterId: record.id },
      data: { record: JSON.stringify(record) },
    });
  }

  async list(): Promise<DeploymentRecord[]> {
    const rows = await this.db.replica.findMany({ where: { record: { not: null } } });
    return rows.map((row) => JSON.parse(row.record!) as DeploymentRecord);
  }

  async delete(id: string): Promise<void> {
    await this.db.replica.updateMany({ where: { adapterId: id }, data: { record: null } });
  }
}
