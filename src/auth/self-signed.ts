// `serve --tls-self-signed`: a certificate authority and a server certificate made on first start
// and kept in the data dir, so a newcomer can run a baton connector in service mode (which only
// speaks TLS) without openssl: pass the CA file to the connector as SSL_CERT_FILE.
//
// The certificates are X.509 v3 with ECDSA P-256 keys and SHA-256 signatures, encoded here in DER
// (node:crypto makes keys and signatures but not certificates): the CA has basicConstraints CA and
// keyUsage keyCertSign; the server certificate names its hosts in subjectAltName (DNS names and IP
// addresses) with extendedKeyUsage serverAuth, as Go's and Node's verifiers require.

import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

export interface SelfSignedFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Whether they were made now (first start) rather than found. */
  readonly created: boolean;
}

const CA_DAYS = 3650;
const SERVER_DAYS = 825;

/**
 * The CA and server certificate under `<dataDir>/tls/`, made when missing. `hosts` go into the
 * server certificate (localhost, 127.0.0.1 and ::1 are always added); a certificate that lacks one
 * of them is made again, signed by the same CA.
 */
export function ensureSelfSignedTls(dataDir: string, hosts: readonly string[]): SelfSignedFiles {
  const dir = join(dataDir, "tls");
  const files = {
    caFile: join(dir, "ca.pem"),
    caKeyFile: join(dir, "ca.key"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
    hostsFile: join(dir, "server.hosts"),
  };
  const names = [...new Set(["localhost", "127.0.0.1", "::1", ...hosts.filter(Boolean)])].sort();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let created = false;
  let caKey: KeyObject;
  let caCert: Buffer;
  if (existsSync(files.caFile) && existsSync(files.caKeyFile)) {
    caKey = createPrivateKey(readFileSync(files.caKeyFile));
    caCert = pemToDer(readFileSync(files.caFile, "utf8"));
  } else {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    caKey = pair.privateKey;
    caCert = certificate({
      subject: "syncplane local CA",
      issuer: "syncplane local CA",
      publicKey: pair.publicKey.export({ type: "spki", format: "der" }),
      signer: caKey,
      days: CA_DAYS,
      ca: true,
      hosts: [],
    });
    writeFileSync(files.caKeyFile, caKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    writeFileSync(files.caFile, derToPem(caCert));
    created = true;
  }
  const known = existsSync(files.hostsFile) ? readFileSync(files.hostsFile, "utf8").trim() : "";
  if (
    created ||
    !existsSync(files.certFile) ||
    !existsSync(files.keyFile) ||
    known !== names.join(",")
  ) {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const cert = certificate({
      subject: "syncplane",
      issuer: "syncplane local CA",
      publicKey: pair.publicKey.export({ type: "spki", format: "der" }),
      signer: caKey,
      days: SERVER_DAYS,
      ca: false,
      hosts: names,
    });
    writeFileSync(files.keyFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
    });
    writeFileSync(files.certFile, derToPem(cert) + derToPem(caCert));
    writeFileSync(files.hostsFile, `${names.join(",")}\n`);
    created = true;
  }
  return { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile, created };
}

interface CertificateInput {
  readonly subject: string;
  readonly issuer: string;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKey: Buffer;
  readonly signer: KeyObject;
  readonly days: number;
  readonly ca: boolean;
  readonly hosts: readonly string[];
}

// ---- DER ----

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
} as const;

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
const octets = (content: Buffer) => tlv(0x04, content);
const bits = (content: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));
const bool = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);

function integer(bytes: Buffer): Buffer {
  let value = bytes;
  while (value.length > 1 && value[0] === 0 && (value[1] ?? 0) < 0x80) value = value.subarray(1);
  if ((value[0] ?? 0) >= 0x80) value = Buffer.concat([Buffer.from([0]), value]);
  return tlv(0x02, value);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let n = part;
    do {
      chunk.unshift(n & 0x7f);
      n >>>= 7;
    } while (n > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] ?? 0) | 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return at.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${iso}Z`, "ascii"));
}

const name = (commonName: string) =>
  seq(
    set(seq(oid(OID.organization), utf8("syncplane"))),
    set(seq(oid(OID.commonName), utf8(commonName))),
  );

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split(".").map(Number));
  // IPv6: expand "::" and write 8 groups of 16 bits.
  const [head = "", tail = ""] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group || "0", 16), i * 2));
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function certificate(input: CertificateInput): Buffer {
  const now = Date.now();
  const notBefore = new Date(now - 3600 * 1000);
  const notAfter = new Date(now + input.days * 24 * 3600 * 1000);
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const keyId = createHash("sha1").update(input.publicKey).digest();
  const extensions = [
    extension(OID.basicConstraints, true, input.ca ? seq(bool(true)) : seq()),
    // digitalSignature (bit 0) for a server; keyCertSign (5) and cRLSign (6) for the CA.
    extension(
      OID.keyUsage,
      true,
      input.ca ? tlv(0x03, Buffer.from([1, 0x06])) : tlv(0x03, Buffer.from([7, 0x80])),
    ),
    extension(OID.subjectKeyIdentifier, false, octets(keyId)),
  ];
  if (!input.ca) {
    extensions.push(extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))));
    const altNames = input.hosts.map((host) =>
      isIP(host) ? tlv(0x87, ipBytes(host)) : tlv(0x82, Buffer.from(host, "ascii")),
    );
    extensions.push(extension(OID.subjectAltName, false, seq(...altNames)));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    algorithm,
    name(input.issuer),
    seq(time(notBefore), time(notAfter)),
    name(input.subject),
    input.publicKey,
    explicit(3, seq(...extensions)),
  );
  const signature = sign("sha256", tbs, input.signer); // ECDSA: DER-encoded (r, s)
  return seq(tbs, algorithm, bits(signature));
}

function derToPem(der: Buffer): string {
  const body = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Buffer.from(body, "base64");
}
