// The baseline: a bare node:http2 TLS server, in its own process like syncplane, answering every
// gRPC call with an empty message (GetTaskResponse with nothing set is zero bytes) and status 0.
// Usage: node bare-server.mjs <cert.pem> <key.pem>
import { readFileSync } from "node:fs";
import { createSecureServer } from "node:http2";

const [certFile, keyFile] = process.argv.slice(2);
const empty = Buffer.alloc(5); // uncompressed flag 0, length 0
const server = createSecureServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  (request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/grpc" });
      response.addTrailers({ "grpc-status": "0" });
      response.end(empty);
    });
  },
);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening on https://127.0.0.1:${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));
