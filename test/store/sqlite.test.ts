import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { tempDir } from "../helpers/server.js";
import { storeContract } from "./contract.js";

storeContract("sqlite", async () =>
  SqliteStore.open(join(tempDir("syncplane-store-"), "syncplane.db")),
);
