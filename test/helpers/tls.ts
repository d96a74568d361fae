// A throwaway certificate authority and a server certificate for 127.0.0.1 / localhost / ::1,
// made with the openssl command line.

import { execFileSync } from "node:child_process";
import { request } from "node:https";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export function makeTestCertificates(dir: string): TestCertificates {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=syncplane test CA",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem"),
  );
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr"),
  );
  writeFileSync(
    file("server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    file("server.ext"),
    "-out",
    file("server.pem"),
  );
  return { caFile: file("ca.pem"), certFile: file("server.pem"), keyFile: file("server.key") };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One HTTPS request trusting `ca` (fetch cannot be given a CA): JSON or form body, JSON answer. */
export function httpsCall(
  url: string,
  options: {
    method: string;
    ca: Buffer;
    token?: string;
    body?: unknown;
    form?: Record<string, string>;
    /** A body sent as it is, with `contentType`. */
    raw?: { body: string; contentType: string };
  },
): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (options.raw) {
      body = options.raw.body;
      headers["content-type"] = options.raw.contentType;
    } else if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const req = request(url, { method: options.method, ca: options.ca, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** httpsCall that fails on any status but 2xx, naming the path, and answers the JSON body. */
export async function httpsOk(
  url: string,
  options: Parameters<typeof httpsCall>[1],
): Promise<Json> {
  const answer = await httpsCall(url, options);
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${new URL(url).pathname}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}
