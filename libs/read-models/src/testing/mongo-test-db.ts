import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { loadConfig } from '@tickets/config';

/**
 * A throw-away database on the local MongoDB-compatible server (config `MONGODB_URI`, FerretDB v1 on the test
 * machines): `tickets_test_<random>`, dropped by `drop()`. Integration tests only; never a fake.
 */
export interface TestDatabase {
  readonly connection: Connection;
  readonly name: string;
  /** `MONGODB_URI` pointing at this database (for an in-process service). */
  readonly uri: string;
  drop(): Promise<void>;
}

/** Opens a connection to a fresh uniquely named database. */
export async function openTestDatabase(prefix = 'tickets_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = new URL(loadConfig().MONGODB_URI);
  url.pathname = `/${name}`;
  const connection = await mongoose.createConnection(url.toString(), { serverSelectionTimeoutMS: 5000 }).asPromise();
  return {
    connection,
    name,
    uri: url.toString(),
    async drop() {
      await connection.dropDatabase();
      await connection.close();
    },
  };
}
