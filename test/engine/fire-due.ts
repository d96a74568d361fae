// Helper process for the racing-schedulers test: opens the store at argv[2], sets a fake clock to
// argv[3] (epoch ms), runs one scheduler tick and prints its result as JSON.

import { Scheduler } from "../../src/engine/scheduler.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const [path, at] = process.argv.slice(2);
const store = SqliteStore.open(path as string);
const scheduler = new Scheduler({ store, clock: { now: () => Number(at) } }, { batchSize: 100 });
const result = await scheduler.tick();
await store.close();
process.stdout.write(`${JSON.stringify({ fired: result.fired, enqueued: result.enqueued })}\n`);
