// The replay page: sign-in with a platform token, a story's steps on a timeline each verified in
// this browser against the pinned keys (verify.js), the pins, and the awaiting-me queue.
// Token in sessionStorage (this tab only); the user's pins in localStorage.

import { verifyStory } from "./verify.js";
import { awaitingRow, el, markSteps, stepNode, when } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const TOKEN = "jjjc.token";
const PINS = "jjjc.pins";
const STORY_KINDS = /^(clue|case|decision)-/;
let operatorPins = { origin: "", ledger_vkey: "", witness_policy: "", source: "operator" };
let shown = null; // the story on screen, to verify again when the pins change

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    Object.assign(this, { status, code });
  }
}

async function api(path) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const e = body?.error || {};
    throw new ApiError(response.status, e.code || String(response.status), e.message || response.statusText);
  }
  return body;
}

const describe = (e) =>
  e.status === 404 ? `未找到 not found: ${e.message}`
  : e.status === 403 ? `无权查阅 permission denied: ${e.message}`
  : `${e.code || "error"}: ${e.message}`;

// --- pins ---------------------------------------------------------------------------------

function pins() {
  const mine = JSON.parse(localStorage.getItem(PINS) || "null");
  return mine ? { ...mine, source: "user" } : operatorPins;
}

function showPins() {
  const p = pins();
  $("pin-origin").value = p.origin || "";
  $("pin-vkey").value = p.ledger_vkey || "";
  $("pin-policy").value = p.witness_policy || "";
  $("pin-source").textContent = p.source === "user" ? "(用户设定 set by you)" : "(运维配置 operator's)";
  $("pin-source").dataset.source = p.source;
}

async function loadOperatorPins() {
  try {
    const config = await api("/config.json");
    operatorPins = { origin: config.origin || "", ledger_vkey: config.ledger_vkey || "", witness_policy: config.witness_policy || "", source: "operator" };
  } catch (e) {
    $("status").textContent = `运维配置不可用 operator's pins unavailable: ${describe(e)}`;
  }
  showPins();
}

function savePins() {
  const value = (id) => $(id).value.trim();
  localStorage.setItem(PINS, JSON.stringify({ origin: value("pin-origin"), ledger_vkey: value("pin-vkey"), witness_policy: $("pin-policy").value }));
  showPins();
  if (shown) verify(shown);
}

function resetPins() {
  localStorage.removeItem(PINS);
  showPins();
  if (shown) verify(shown);
}

// --- the story ----------------------------------------------------------------------------

async function verify(story) {
  const items = [...$("timeline").querySelectorAll("li.step")];
  $("summary").dataset.state = "pending";
  $("summary").textContent = "核验中 verifying…";
  const result = await verifyStory(story, pins());
  const cp = result.checkpoint;
  $("checkpoint").textContent = cp.ok
    ? `检查点 checkpoint ${cp.origin} · ${cp.size} leaves · ${cp.reason}${cp.cosigners.length ? ` · 见证 cosigned by ${cp.cosigners.join(", ")}` : ""}`
    : cp.reason;
  $("summary").textContent = markSteps(items, result.steps);
  $("summary").dataset.state = result.steps.every((s) => s.ok) ? "verified" : "not-verified";
}

function render(story) {
  shown = story;
  $("story-title").textContent = story.subject;
  $("subjects").replaceChildren(
    ...(story.subjects || []).map((s) => el("li", { text: s.linked_from ? `${s.id} ← ${s.linked_from} (${s.relation})` : s.id })),
  );
  $("timeline").replaceChildren(...story.steps.map(stepNode));
  $("story").hidden = false;
  return verify(story);
}

async function open(subject) {
  subject = subject.trim();
  if (!subject) return;
  $("subject").value = subject;
  const purpose = $("purpose").value.trim() || "复盘 replay";
  const query = STORY_KINDS.test(subject)
    ? `/api/story?subject=${encodeURIComponent(subject)}`
    : `/api/person?person_id=${encodeURIComponent(subject)}`;
  shown = null;
  $("story").hidden = true;
  $("timeline").replaceChildren();
  $("status").dataset.state = "loading";
  $("status").textContent = "载入中 loading…";
  try {
    const story = await api(`${query}&purpose=${encodeURIComponent(purpose)}`);
    $("status").textContent = `${story.steps.length} 步 steps · as of ${story.as_of || ""}`;
    $("status").dataset.state = "shown";
    await render(story);
  } catch (e) {
    $("status").textContent = describe(e);
    $("status").dataset.state = e.status === 404 ? "not-found" : "error";
    if (e.status === 401) signedOut(e.message);
  }
}

// The picker: recent files the caller may know, as links and as the input's suggestions.
async function suggest() {
  const q = $("subject").value.trim();
  let items = [];
  try {
    items = await api(`/api/subjects?q=${encodeURIComponent(STORY_KINDS.test(q) ? q : "")}`);
  } catch {
    // a convenience: typing an id works without it
  }
  $("subject-list").replaceChildren(...items.map((s) => el("option", { value: s.id, text: s.label || s.kind })));
  const link = (s) => el("li", {}, el("a", { href: `#/story/${encodeURIComponent(s.id)}`, text: s.label || s.id, title: s.id }), ` ${when(s.at)}`);
  $("recent").replaceChildren(...(items.length ? items.slice(0, 12).map(link) : [el("li", { text: "无 none" })]));
}

// --- awaiting me --------------------------------------------------------------------------

async function awaiting() {
  $("awaiting-status").textContent = "载入中 loading…";
  try {
    const answer = await api(`/api/awaiting?purpose=${encodeURIComponent($("purpose").value.trim() || "待办 awaiting")}`);
    $("awaiting-table").tBodies[0].replaceChildren(...answer.items.map(awaitingRow));
    $("awaiting-status").textContent = `${answer.items.length} 项 items`;
    $("awaiting-unanswered").textContent = answer.unanswered?.length ? `未应答 not answering: ${answer.unanswered.join(", ")}` : "";
  } catch (e) {
    $("awaiting-status").textContent = describe(e);
    if (e.status === 401) signedOut(e.message);
  }
}

// --- sign-in and routing ------------------------------------------------------------------

function signedOut(message = "") {
  sessionStorage.removeItem(TOKEN);
  for (const id of ["story-view", "awaiting-view"]) $(id).hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("whoami").textContent = "";
  $("signin-error").textContent = message;
}

async function signIn(token) {
  if (token) sessionStorage.setItem(TOKEN, token.trim());
  if (!sessionStorage.getItem(TOKEN)) return signedOut();
  try {
    const me = await api("/api/whoami");
    $("whoami").textContent = `${me.user} · ${me.agency} / ${me.office} / ${me.role}${me.sees_all ? " · 全部可见 sees all" : ""}`;
    $("whoami").dataset.user = me.user;
    $("signin").hidden = true;
    $("signout").hidden = false;
    $("signin-error").textContent = "";
    route();
    suggest();
  } catch (e) {
    signedOut(e.status === 401 ? `令牌无效 token refused: ${e.message}` : describe(e));
  }
}

function route() {
  if (!sessionStorage.getItem(TOKEN) || !$("signin").hidden) return;
  const [, view = "story", ...rest] = location.hash.split("/");
  $("story-view").hidden = view !== "story";
  $("awaiting-view").hidden = view !== "awaiting";
  $("tab-story").classList.toggle("active", view === "story");
  $("tab-awaiting").classList.toggle("active", view === "awaiting");
  const subject = decodeURIComponent(rest.join("/"));
  if (view === "awaiting") awaiting();
  else if (subject && subject !== shown?.subject) open(subject);
}

function wire() {
  $("signin-button").addEventListener("click", () => signIn($("token").value));
  $("signout").addEventListener("click", () => signedOut());
  $("subject-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const subject = $("subject").value.trim();
    if (location.hash === `#/story/${encodeURIComponent(subject)}`) open(subject);
    else location.hash = `#/story/${encodeURIComponent(subject)}`;
  });
  let typing;
  $("subject").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(suggest, 300);
  });
  $("awaiting-refresh").addEventListener("click", awaiting);
  $("pin-save").addEventListener("click", savePins);
  $("pin-reset").addEventListener("click", resetPins);
  window.addEventListener("hashchange", route);
}

wire();
$("insecure").hidden = window.isSecureContext;
loadOperatorPins().then(() => signIn());
