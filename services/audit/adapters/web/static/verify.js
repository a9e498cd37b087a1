// Verification of a story in the browser, against keys the user pinned (never the proof's own):
// (1) each event's exact envelope bytes are a leaf of the RFC 6962/9162 tree at its leaf index,
// (2) whose root is in a C2SP checkpoint signed by the pinned ledger key (signed-note, Ed25519),
// (3) cosigned by the pinned witness policy's quorum (tlog-cosignature/v1, tlog-policy),
// (4) the bytes say what the step shows. Mirrors services/audit/domain/{merkle,checkpoint,
// cosignature,policy}.py and services/audit/verify_bundle.py. WebCrypto (SHA-256, Ed25519) needs
// a secure context: https, or http on 127.0.0.1 / localhost.

import { decodeEnvelope } from "./protobuf.js";

const utf8 = new TextEncoder();
const DASH = "\u2014 "; // em dash and space open every signature line
const ED25519 = 0x01; // signed-note key type
const COSIGNATURE_V1 = 0x04; // tlog-cosignature key type

export class VerifyError extends Error {}
const fail = (message) => {
  throw new VerifyError(message);
};

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Canonical, padded standard base64 (RFC 4648 §4), as checkpoint.canonical_b64.
export function b64(text, what) {
  let raw;
  try {
    raw = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    fail(`${what} is not valid base64`);
  }
  let binary = "";
  for (let at = 0; at < raw.length; at += 0x8000) binary += String.fromCharCode(...raw.subarray(at, at + 0x8000)); // big envelopes
  if (btoa(binary) !== text) fail(`${what} is not canonical base64`);
  return raw;
}

function subtle() {
  if (!globalThis.crypto?.subtle) fail("this page needs a secure context (https, or http on 127.0.0.1 / localhost) for WebCrypto");
  return crypto.subtle;
}
export const sha256 = async (bytes) => new Uint8Array(await subtle().digest("SHA-256", bytes));
export const leafHash = (data) => sha256(concat([0], data));
const nodeHash = (left, right) => sha256(concat([1], left, right));

async function ed25519Verifies(publicKey, signature, message) {
  const key = await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return subtle().verify({ name: "Ed25519" }, key, signature, message);
}

// --- (1) RFC 9162 §2.1.3.2 inclusion (merkle.verify_inclusion) --------------------------------

const bitLength = (n) => n.toString(2).length - (n === 0n ? 1 : 0);
const popCount = (n) => [...n.toString(2)].filter((c) => c === "1").length;

export async function verifyInclusion(leaf, index, size, proof, root) {
  const [i, n] = [BigInt(index), BigInt(size)];
  if (!(0n <= i && i < n)) fail(`leaf index ${index} is outside a tree of size ${size}`);
  if (proof.some((h) => h.length !== 32)) fail("a proof hash is not 32 bytes");
  const inner = bitLength(i ^ (n - 1n));
  const want = inner + popCount(i >> BigInt(inner));
  if (proof.length !== want) fail(`inclusion proof has ${proof.length} hashes, expected ${want}`);
  let [fn, sn, r] = [i, n - 1n, leaf];
  for (const p of proof) {
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      while (fn && !(fn & 1n)) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else r = await nodeHash(r, p);
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  if (!equal(r, root)) fail(`calculated root ${hex(r)} != checkpoint root ${hex(root)}`);
}

// --- (2) signed note and checkpoint (checkpoint.py) ------------------------------------------

const keyHash = async (name, type, pub) => (await sha256(concat(utf8.encode(`${name}\n`), [type], pub))).slice(0, 4);

// A verifier key "<name>+<8 hex key hash>+<base64(type || 32-byte key)>", its hash checked.
export async function parseVkey(vkey, type = ED25519, what = "ledger key") {
  const text = (vkey || "").trim();
  const [first, second] = [text.indexOf("+"), text.indexOf("+", text.indexOf("+") + 1)];
  if (first < 0 || second < 0) fail(`${what} must have the form <name>+<hash>+<key>`);
  const [name, hash, data] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)]; // base64 may hold "+"
  if (!name || /\s/.test(name)) fail(`${what} name is empty or contains a space`);
  if (!/^[0-9a-f]{8}$/.test(hash)) fail(`${what} hash is not 8 lowercase hex digits`);
  const raw = b64(data, `${what} data`);
  if (raw[0] !== type || raw.length !== 33) fail(`${what} is not a type ${type} Ed25519 key`);
  const pub = raw.slice(1);
  if (hex(await keyHash(name, type, pub)) !== hash) fail(`${what} hash ${hash} does not match its name and key`);
  return { name, hash, pub, vkey };
}

// Split a signed note into its text (bytes, up to and including the newline before the blank
// line) and its signature lines [{name, hash (hex), sig}].
export function splitNote(note) {
  if (!note.endsWith("\n")) fail("checkpoint note does not end with a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || split + 2 === note.length) fail("checkpoint note has no signature lines");
  const lines = note.slice(split + 2, -1).split("\n");
  const signatures = lines.map((line, k) => {
    if (!line.startsWith(DASH)) fail(`signature line ${k + 1} does not start with an em dash`);
    const [name, data, ...rest] = line.slice(DASH.length).split(" ");
    if (!data || rest.length) fail(`signature line ${k + 1} is malformed`);
    const raw = b64(data, `signature line ${k + 1}`);
    if (raw.length < 5) fail(`signature line ${k + 1} is too short`);
    return { name, hash: hex(raw.slice(0, 4)), sig: raw.slice(4) };
  });
  return { text: note.slice(0, split + 1), body: utf8.encode(note.slice(0, split + 1)), signatures };
}

export function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines.some((l) => !l)) fail("checkpoint needs origin, tree size and root lines");
  const [origin, size, root] = lines;
  if (!/^(0|[1-9][0-9]{0,18})$/.test(size)) fail(`checkpoint tree size ${size} is not canonical decimal`);
  const raw = b64(root, "checkpoint root hash");
  if (raw.length !== 32) fail(`checkpoint root hash is ${raw.length} bytes, not 32`);
  return { origin, size: BigInt(size), root: raw };
}

// The note's signature by `key` must exist and verify (other keys' lines are ignored).
async function signedBy(note, key) {
  const ours = note.signatures.filter((s) => s.name === key.name && s.hash === key.hash);
  const label = `${key.name}+${key.hash}`;
  if (!ours.length) fail(`checkpoint has no signature by the pinned key ${label}`);
  for (const s of ours) if (!(await ed25519Verifies(key.pub, s.sig, note.body))) fail(`checkpoint signature by ${label} does not verify`);
}

// --- (3) witness policy and cosignatures (policy.py, cosignature.py) --------------------------

export async function parsePolicy(text) {
  const policy = { logs: [], witnesses: [], groups: {}, quorum: null };
  const lines = (text || "").split("\n");
  for (const [k, line] of lines.entries()) {
    const words = line.trim().split(/[ \t]+/);
    if (!words[0] || words[0].startsWith("#")) continue;
    const [keyword, ...args] = words;
    const at = `policy line ${k + 1}`;
    if (keyword === "log") policy.logs.push(await parseVkey(args[0], ED25519, `${at}: log key`));
    else if (keyword === "witness") {
      if (args.length < 2) fail(`${at}: expected witness <name> <vkey>`);
      const key = await parseVkey(args[1], COSIGNATURE_V1, `${at}: witness key`);
      policy.witnesses.push({ ...key, policyName: args[0] });
    } else if (keyword === "group") {
      const [name, k, ...members] = args;
      if (!members.length) fail(`${at}: a group needs members`);
      const threshold = k === "all" ? members.length : k === "any" ? 1 : Number(k);
      if (!(threshold >= 1 && threshold <= members.length)) fail(`${at}: group threshold ${k} is out of range`);
      policy.groups[name] = { threshold, members };
    } else if (keyword === "quorum") policy.quorum = args[0];
    else fail(`${at}: unknown keyword ${keyword}`);
  }
  if (!policy.quorum) fail("witness policy has no quorum line");
  return policy;
}

const met = (policy, name, cosigned) => {
  if (name === "none") return true;
  const group = policy.groups[name];
  if (!group) return cosigned.has(name);
  return group.members.filter((m) => met(policy, m, cosigned)).length >= group.threshold;
};

// Policy names of the witnesses whose cosignature lines verify; a bad line by a known witness fails.
async function cosigners(policy, note) {
  const found = new Set();
  for (const w of policy.witnesses) {
    for (const s of note.signatures.filter((s) => s.name === w.name && s.hash === w.hash)) {
      if (s.sig.length !== 72) fail(`cosignature by ${w.name} is not 76 bytes`);
      const time = new DataView(s.sig.buffer, s.sig.byteOffset, 8).getBigUint64(0);
      const message = concat(utf8.encode(`cosignature/v1\ntime ${time}\n`), note.body);
      if (!(await ed25519Verifies(w.pub, s.sig.slice(8), message))) fail(`cosignature by ${w.name} does not verify`);
      found.add(w.policyName);
    }
  }
  return found;
}

// The checkpoint of `note` after checks (2) and (3) against the pins; VerifyError otherwise.
export async function openCheckpoint(noteText, pins) {
  const key = await parseVkey(pins.ledger_vkey);
  const note = splitNote(noteText);
  await signedBy(note, key);
  const checkpoint = parseCheckpoint(note.text);
  if (pins.origin && checkpoint.origin !== pins.origin)
    fail(`checkpoint origin ${checkpoint.origin} is not the pinned ${pins.origin}`);
  const policy = (pins.witness_policy || "").trim() ? await parsePolicy(pins.witness_policy) : null;
  checkpoint.cosigners = [];
  if (policy) {
    const logs = policy.logs.filter((l) => l.name === checkpoint.origin);
    if (policy.logs.length && !logs.length) fail(`no log in the witness policy is named ${checkpoint.origin}`);
    for (const log of logs) await signedBy(note, log);
    const found = await cosigners(policy, note);
    if (!met(policy, policy.quorum, found))
      fail(`witness policy not met: quorum ${policy.quorum}; cosigned by ${[...found].join(", ") || "none"}`);
    checkpoint.cosigners = [...found];
  }
  return checkpoint;
}

// --- (4) the bytes say what the step shows ---------------------------------------------------

// An ISO 8601 instant as [seconds, microseconds] (Python datetimes carry microseconds).
export function instant(iso) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(iso || "");
  if (!m) fail(`time ${iso} is not ISO 8601`);
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  const offset = zone === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const seconds = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000 - offset * 60;
  return [BigInt(seconds), Number(frac.padEnd(6, "0").slice(0, 6))];
}

// A story's step is on one of its subjects' streams or links one of them, not by a read
// (services/audit/domain/story.py, verify_bundle._belongs): a genuine event of another story is
// not verified as a step of this one.
const STORY_KINDS = new Set(["clue", "case", "decision"]);
function belongs(env, subjects) {
  if (subjects.has(env.stream_id)) return;
  if (env.links.some((l) => STORY_KINDS.has(l.kind) && subjects.has(l.id) && l.relation !== "read")) return;
  fail(`the signed event is on ${env.stream_id} and links none of the story's subjects`);
}

function sameAsShown(step, env) {
  const [seconds, micros] = instant(step.occurred_at);
  const checks = [
    ["event id", env.event_id, step.event_id],
    ["stream", env.stream_id, step.stream_id],
    ["version", env.version, BigInt(step.version)],
    ["event type", env.event_type, step.event_type],
    ["who", env.principal.user, step.principal?.user],
    ["when (seconds)", env.occurred_at.seconds, seconds],
    ["when (microseconds)", Number(env.occurred_at.nanos) / 1000 | 0, micros],
  ];
  for (const [what, signed, shown] of checks)
    if (signed !== shown) fail(`the page shows ${what} ${shown}, the signed bytes say ${signed}`);
}

// One step: its proof event's bytes hash into the checkpoint's tree and say what the step shows.
export async function verifyStep(step, proofEvent, checkpoint, subjects) {
  if (!proofEvent) fail("the proof has no event with this event id");
  if (String(proofEvent.leaf_index) !== String(step.leaf_index)) fail("the proof's leaf index differs from the step's");
  const bytes = b64(proofEvent.envelope_b64, "envelope");
  const proof = proofEvent.hashes_b64.map((h, k) => b64(h, `proof hash ${k}`));
  await verifyInclusion(await leafHash(bytes), proofEvent.leaf_index, checkpoint.size, proof, checkpoint.root);
  const env = decodeEnvelope(bytes);
  sameAsShown(step, env);
  if (subjects.size) belongs(env, subjects);
}

const reason = (e) => (e instanceof VerifyError ? e.message : `cannot verify: ${e?.message || e}`);

// Every step of a story: {checkpoint: {ok, reason, origin, size, cosigners}, steps: [{ok, reason}]}.
export async function verifyStory(story, pins) {
  let checkpoint;
  try {
    checkpoint = await openCheckpoint(story.proof.checkpoint, pins);
    if (String(checkpoint.size) !== String(story.proof.tree_size)) fail("the proof's tree size is not the checkpoint's");
  } catch (e) {
    const why = `checkpoint: ${reason(e)}`;
    return { checkpoint: { ok: false, reason: why }, steps: story.steps.map(() => ({ ok: false, reason: why })) };
  }
  const byId = new Map(story.proof.events.map((e) => [e.event_id, e]));
  const subjects = new Set((story.subjects || []).map((s) => s.id));
  const steps = [];
  for (const step of story.steps) {
    try {
      await verifyStep(step, byId.get(step.event_id), checkpoint, subjects);
      steps.push({ ok: true, reason: `leaf ${step.leaf_index} of ${checkpoint.size}, signed by the pinned key` });
    } catch (e) {
      steps.push({ ok: false, reason: reason(e) });
    }
  }
  const { origin, size, cosigners: cosigned } = checkpoint;
  return { checkpoint: { ok: true, reason: "signature OK", origin, size: String(size), cosigners: cosigned }, steps };
}
