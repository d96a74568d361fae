// Opens where sync files live, by configuration: with a database URL (PostgreSQL, possibly
// several nodes) the files are shared through that database; otherwise (embedded SQLite) they
// are on local disk under <data-dir>/artifacts.

import { join } from "node:path";
import type { Artifacts } from "./artifacts.js";
import { LocalArtifacts } from "./local.js";
import { PostgresArtifacts } from "./postgres.js";

export interface ArtifactsConfig {
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly artifactRetention: number;
}

/** Call after the store opened: with PostgreSQL, the store's migrations make the tables. */
export async function openArtifacts(config: ArtifactsConfig): Promise<Artifacts> {
  if (config.databaseUrl) {
    return PostgresArtifacts.open(config.databaseUrl, { retention: config.artifactRetention });
  }
  return new LocalArtifacts(join(config.dataDir, "artifacts"), config.artifactRetention);
}
