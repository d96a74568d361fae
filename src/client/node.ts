// The client's Node-only entry ("syncplane/node"): everything the main entry exports, plus what
// needs Node's file system. The main entry ("syncplane", "syncplane/client") stays free of node:
// modules so that it bundles for a browser; code that runs only in Node imports from here.

import { downloadTo } from "./download.js";
import type { Syncplane, SyncDownloadRequest } from "./index.js";

export * from "./index.js";

export type DownloadSyncToRequest = SyncDownloadRequest & {
  /** The file to write; its directory must exist. */
  readonly path: string;
};

/**
 * Downloads the sync's c1z to `path` through `client` (client.syncs.downloadResponse, streamed to
 * disk) and returns the bytes written. A function rather than a client method so that any client
 * works, however it was built; the file appears only once complete, and a refused, failed or
 * cut-short download leaves no file behind.
 */
export async function downloadSyncTo(
  client: Syncplane,
  request: DownloadSyncToRequest,
): Promise<number> {
  const { path, ...sync } = request;
  return downloadTo(await client.syncs.downloadResponse(sync), path);
}
