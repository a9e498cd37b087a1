// A tiny protobuf wire-format reader: just enough to read common.v1.Envelope
// (proto/common/v1/envelope.proto) from the exact bytes the ledger hashed, so the page checks what
// a step shows against the signed bytes rather than against the server's JSON.

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class WireError extends Error {}

// Each field of `bytes` as [number, wireType, value]: a BigInt for varints, a Uint8Array for
// length-delimited fields; fixed32/fixed64 are skipped (the envelope has none).
export function* fields(bytes) {
  let at = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= bytes.length) throw new WireError("truncated varint");
      const b = bytes[at++];
      value |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
    throw new WireError("varint longer than 10 bytes");
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const type = Number(key & 7n);
    if (number === 0) throw new WireError("field number 0");
    if (type === 0) yield [number, type, varint()];
    else if (type === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new WireError(`field ${number} runs past the end`);
      yield [number, type, bytes.subarray(at, at + length)];
      at += length;
    } else if (type === 1 || type === 5) {
      at += type === 1 ? 8 : 4;
      if (at > bytes.length) throw new WireError(`field ${number} runs past the end`);
    } else throw new WireError(`unsupported wire type ${type} (field ${number})`);
  }
}

// Decode a message given its schema {fieldNumber: [name, kind]}, kind "string", "uint",
// "int" (int64/int32 two's complement), "bytes", or a nested schema; repeated names end in "[]".
export function decode(bytes, schema) {
  const out = {};
  for (const [name] of Object.values(schema)) if (name.endsWith("[]")) out[name.slice(0, -2)] = [];
  for (const [number, type, value] of fields(bytes)) {
    const spec = schema[number];
    if (!spec) continue; // unknown fields are allowed by protobuf
    const [name, kind] = spec;
    const want = kind === "uint" || kind === "int" ? 0 : 2;
    if (type !== want) throw new WireError(`field ${name} has wire type ${type}, expected ${want}`);
    let v;
    if (kind === "string") v = utf8.decode(value);
    else if (kind === "uint") v = value;
    else if (kind === "int") v = BigInt.asIntN(64, value);
    else if (kind === "bytes") v = value;
    else v = decode(value, kind);
    if (name.endsWith("[]")) out[name.slice(0, -2)].push(v);
    else out[name] = v; // proto3: the last occurrence wins
  }
  return out;
}

const TIMESTAMP = { 1: ["seconds", "int"], 2: ["nanos", "int"] };
const PRINCIPAL = { 1: ["agency", "string"], 2: ["office", "string"], 3: ["role", "string"], 4: ["user", "string"] };
const LINK = { 1: ["kind", "string"], 2: ["id", "string"], 3: ["relation", "string"] };
const ANY = { 1: ["type_url", "string"], 2: ["value", "bytes"] };

// common.v1.Envelope's field numbers (envelope.proto).
export const ENVELOPE = {
  1: ["event_id", "string"],
  2: ["stream_id", "string"],
  3: ["version", "uint"],
  4: ["event_type", "string"],
  5: ["schema_version", "uint"],
  6: ["occurred_at", TIMESTAMP],
  7: ["recorded_at", TIMESTAMP],
  8: ["principal", PRINCIPAL],
  9: ["correlation_id", "string"],
  10: ["causation_id", "string"],
  11: ["request_id", "string"],
  12: ["links[]", LINK],
  13: ["payload", ANY],
};

// The envelope with proto3 defaults filled in ("" / 0n / empty principal).
export function decodeEnvelope(bytes) {
  const env = decode(bytes, ENVELOPE);
  const blank = (o, keys, zero) => keys.forEach((k) => (o[k] ??= zero));
  blank(env, ["event_id", "stream_id", "event_type", "correlation_id", "causation_id", "request_id"], "");
  blank(env, ["version", "schema_version"], 0n);
  env.principal ??= {};
  blank(env.principal, ["agency", "office", "role", "user"], "");
  for (const t of ["occurred_at", "recorded_at"]) {
    env[t] ??= {};
    blank(env[t], ["seconds", "nanos"], 0n);
  }
  return env;
}
