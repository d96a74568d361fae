// Both store backends, each opened fresh and empty, for engine suites that run once per backend:
// `for (const [name, open] of storeBackends("bulk")) describe(…)`.

import { join } from "node:path";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { freshDatabaseUrl } from "./postgres.js";
import { tempDir } from "./server.js";

/** [name, open] for SQLite (a file in a temp dir named after `suite`) and PostgreSQL. */
export const storeBackends = (suite: string): [string, () => Promise<Store>][] => [
  ["sqlite", async () => SqliteStore.open(join(tempDir(`syncplane-${suite}-`), "s.db"))],
  ["postgres", async () => PostgresStore.open(await freshDatabaseUrl())],
];
