// Rendering of a story's steps and of the awaiting-me queue: DOM nodes built with textContent only
// (no innerHTML: every string comes from the platform's records).

import { MEASURE_ZH, MEETING_ZH, STEP_ZH, named } from "./labels.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== "") node.append(c);
  return node;
}

const ZONE = "Asia/Shanghai";
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString("zh-CN", { timeZone: ZONE, hour12: false });
}

const DEADLINE = { green: "正常 on time", yellow: "临近 near", orange: "紧迫 close", red: "超期 overdue", met: "已办结 met" };
const ROLE = (p) => [p.agency, p.office, p.role].filter(Boolean).join(" / ");

function line(label, ...content) {
  return el("p", { class: "line" }, el("span", { class: "label", text: label }), el("span", { class: "value" }, ...content));
}

function approval(a) {
  if (!a) return null;
  const ok = a.decision === "APPROVED";
  return line("审批 Approval", el("span", { class: ok ? "approved" : "rejected", text: ok ? "批准 APPROVED" : `不批准 ${a.decision}` }), ` ${a.user || ""} (${a.role || ""})`);
}

function meeting(m) {
  if (!m) return null;
  const parts = [named(MEETING_ZH, m.body, "MEETING_BODY_"), m.held_at && when(m.held_at), m.outcome, m.attendees && `出席 ${m.attendees.length} 人`, m.minutes_by && `记录 ${m.minutes_by}`];
  return line("集体决策 Collective decision", parts.filter(Boolean).join(" · "));
}

function deadline(d) {
  if (!d) return null;
  const colour = d.colour || "green";
  return line("期限 Deadline", el("span", { class: `badge deadline-${colour}`, text: `${DEADLINE[colour] || colour}` }), ` ${when(d.due)} ${d.label || ""}`);
}

function measures(list) {
  if (!list?.length) return null;
  return line("措施 Measures", el("ul", {}, list.map((m) => el("li", { text: `${named(MEASURE_ZH, m.kind, "MEASURE_KIND_")}: ${when(m.from)} — ${when(m.until)}` }))));
}

function recordings(list) {
  if (!list?.length) return null;
  const item = (r) => el("li", {}, el("code", { class: "hash", title: r.sha256, text: `sha256 ${(r.sha256 || "").slice(0, 16)}…` }), ` ${Math.round((r.duration_seconds || 0) / 60)} 分钟 min ${r.media_type || ""}`);
  return line("同步录音录像 Recordings", el("ul", {}, list.map(item)));
}

export function stepNode(step) {
  const p = step.principal || {};
  return el(
    "li",
    { class: "step", "data-event-id": step.event_id, "data-verified": "pending" },
    el("div", { class: "when", title: step.occurred_at }, when(step.occurred_at)),
    el(
      "div",
      { class: "card" },
      el(
        "h3",
        {},
        el("span", {}, el("span", { class: "title-zh", text: STEP_ZH[step.title] || "" }), " ", el("span", { class: "title", text: step.title || step.event_type })),
        el("span", { class: "mark", text: "核验中 verifying…" }),
      ),
      el("p", { class: "stream", text: `${step.stream_id} v${step.version} · leaf ${step.leaf_index}` }),
      line("经办 Who", `${p.user || ""} `, el("span", { class: "role", text: ROLE(p) })),
      line("记录 Recorded", when(step.recorded_at)),
      approval(step.approval),
      meeting(step.collective_decision),
      deadline(step.deadline),
      measures(step.measures),
      recordings(step.recordings),
      el("details", { class: "payload" }, el("summary", { text: "内容 Payload" }), el("pre", { text: JSON.stringify(step.payload ?? {}, null, 1) })),
    ),
  );
}

// Set each step's mark from verifyStory's results; the header's summary line.
export function markSteps(items, results) {
  items.forEach((li, k) => {
    const r = results[k];
    li.dataset.verified = String(r.ok);
    const mark = li.querySelector(".mark");
    mark.textContent = r.ok ? "已验证 verified" : "未通过 not verified";
    mark.title = r.reason;
  });
  const bad = results.filter((r) => !r.ok).length;
  return bad ? `${bad} of ${results.length} not verified` : `all ${results.length} steps verified`;
}

export function awaitingRow(item) {
  const file = /^(clue|case|decision)-/.test(item.file_id || "")
    ? el("a", { href: `#/story/${encodeURIComponent(item.file_id)}`, text: item.file_id })
    : item.file_id;
  return el(
    "tr",
    { class: `colour-${item.colour || "none"}` },
    el("td", { text: item.service }),
    el("td", {}, file),
    el("td", { text: item.step }),
    el("td", { text: item.role }),
    el("td", { text: item.summary }),
    el("td", { text: when(item.since) }),
    el("td", {}, item.due ? el("span", { class: `badge deadline-${item.colour || "green"}`, text: when(item.due) }) : ""),
  );
}
