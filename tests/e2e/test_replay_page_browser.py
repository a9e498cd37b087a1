"""The replay page in a real browser (issue 29 point 3): Debian's headless Chromium (tests/browser.py)
opens the page the audit service serves, signs in with a platform token and shows a case's story
from the clue to the disposal; the page's own scripts verify every step against the pinned ledger
key. Asserted on the page after its scripts ran: every step verified; a proof tampered on its way
to the page, and a wrong pinned key, each "not verified"; a user of another office sees nothing of
the case ("not found"); a bad token is refused; the awaiting-me queue lists what waits for the
head. Screenshots go to $SCREENSHOT_DIR (default .data/screenshots/) for the closing note.

Selenium's calls block: they run in a thread (`asyncio.to_thread`) while the platform, on this
test's event loop, answers the page."""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import aiohttp
import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clues.v1 import events_pb2 as clue_ev
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.edge.tokens import load_or_create_private_key
from kernel.runtime.settings import extend
from services.audit.domain.checkpoint import NoteSigner, NoteVerifier
from services.audit.domain.cosignature import Cosigner
from services.audit.main import DEFAULT_ORIGIN, AuditSettings, build as build_audit
from tests.browser import Browser, browser
from tests.e2e.platforms import start_platform, stop_platform
from tests.e2e.test_clue_lifecycle import HEAD, Client
from tests.factories import service_settings, token_for
from tests.stories import reads_of
from tools import demo
from tools.demo.cast import CASE_MANAGER as VIEWER
from tools.demo.plan import make_plan
from tools.witness.server import start_witness

pytestmark = pytest.mark.e2e
SEED = 29
PURPOSE = "复盘：案件质量评查 quality review"  # typed on the page, recorded with the read
SERVICES = ("clues", "cases", "sanctions")
WITNESSES = ("court", "procuratorate")
# an investigator of the second office: nobody of it acts in the demo, so it may know none of its files
STRANGER = Principal("commission", "investigation_2", "investigator", "u-inv2")


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    """Clues, cases and sanctions, then audit with its page on a free port, asking those three for
    the awaiting-me queue, its checkpoints cosigned by two real witnesses (tools/witness) whose
    policy (a quorum of both) the operator's pins carry."""
    data = tmp_path_factory.mktemp("replay-page")
    hosts = await start_platform(database_url, bootstrap, data, "rp", SERVICES)
    prefix = hosts[0].settings.topic_prefix.rstrip(".")
    log = NoteSigner(DEFAULT_ORIGIN, load_or_create_private_key(data / "ledger.key")).verifier_key
    witnesses = [
        await start_witness(f"{name}.example/witness", Ed25519PrivateKey.generate(), [log], data / f"{name}.db")
        for name in WITNESSES
    ]
    policy = [f"log {log}", *(f"witness {n} {w.verifier_key} {w.url}" for n, w in zip(WITNESSES, witnesses))]
    (data / "witnesses.policy").write_text(
        "\n".join([*policy, f"group partners all {' '.join(WITNESSES)}", "quorum partners", ""])
    )
    settings = extend(
        AuditSettings,
        service_settings("audit", database_url, bootstrap, prefix, data, database_schema=f"audit_{prefix}"),
        ledger_key_file=data / "ledger.key",
        witness_policy_file=data / "witnesses.policy",
        page_awaiting_targets=",".join(f"{name}=127.0.0.1:{host.port}" for name, host in zip(SERVICES, hosts)),
    )
    audit = await build_audit(settings).start()
    yield [*hosts, audit]
    await stop_platform([*hosts, audit])
    for witness in witnesses:
        await witness.stop()


class Demo(NamedTuple):
    case_id: str  # the demo's first case: a detention, a recording, decisions executed
    steps: int  # how many steps audit told of it before the browser opened it
    pending_clue: str  # awaiting the head's approval of its registration
    url: str  # the page
    person_id: str  # the case's subject


@pytest.fixture(scope="module")
async def story(platform):
    """The small demo (tools.demo) loaded through the platform's gRPC API, its first case told by
    audit from the clue to the execution of its decisions; and a clue proposed for registration,
    awaiting the head's approval."""
    clues, cases, sanctions, audit = platform
    targets = {name: f"127.0.0.1:{host.port}" for name, host in zip((*SERVICES, "audit"), platform)}
    report = await demo.load(targets, audit.settings.signing_key_file, size="small", seed=SEED)
    case_id = report.case_ids[0]
    async with grpc.aio.insecure_channel(targets["clues"]) as channel:
        client = Client(clues, channel)
        pending = await client(
            "RegisterClue",
            source=clue_ev.CLUE_SOURCE_PETITION,
            summary="工程款回扣 kickbacks on a road contract",
            subjects=[identity_pb2.PersonRef(person_id="P-88", name="钱九", post="镇长")],
        )
        await client("ProposeRegistration", clue_id=pending.clue_id, handling_office="supervision_1")
    url = f"http://127.0.0.1:{audit.parts.page.port}/"
    steps = await told(url, token_for(audit.settings, VIEWER), case_id, "ExecutionItemReported")
    return Demo(case_id, steps, pending.clue_id, url, make_plan(SEED, "small").cases[0].person.person_id)


async def told(url: str, token: str, subject: str, last: str) -> int:
    """How many steps the page's API tells of `subject` once one of them is `last` (Kafka delivers
    the services' events to audit a moment after the calls return)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for _ in range(240):
            async with http.get(f"{url}api/story", params={"subject": subject, "purpose": "wait for the story"}) as r:
                if r.status == 200:
                    steps = (await r.json())["steps"]
                    if any(s["title"] == last for s in steps):
                        return len(steps)
                else:
                    assert r.status == 404, await r.text()
            await asyncio.sleep(0.25)
    raise AssertionError(f"audit never told {subject} up to {last}")


# --- what a user does on the page (blocking: run in a thread) ---------------------------------


def sign_in(b: Browser, url: str, token: str) -> str:
    """Open the page signed out, sign in with `token`: the header's who-am-I line, or the error."""
    b.open(url)
    b.run("sessionStorage.clear(); localStorage.clear();")
    b.open(url)
    b.wait_for(lambda b: b.all("#signin:not([hidden])"), "the sign-in form")
    b.fill("#token", token)
    b.click("#signin-button")
    return b.wait_for(lambda b: b.text("#whoami") or b.text("#signin-error"), "signed in or refused")


def open_story(b: Browser, subject: str) -> str:
    """Open `subject` with the form; the status line once the story is shown and verified, or refused."""
    b.fill("#subject", subject)
    b.click("#open")
    state = b.wait_for(lambda b: _settled(b), f"{subject} shown and verified, or refused")
    return state


def recent(b: Browser) -> list[str]:
    """The ids of the picker's recent files, once it has answered."""
    b.wait_for(lambda b: b.all("#recent li"), "the recent files")
    return [a.get_attribute("title") for a in b.all("#recent a")]


def _settled(b: Browser) -> str | None:
    status = b.all("#status")[0].get_attribute("data-state")
    if status in ("not-found", "error"):
        return status
    summary = b.all("#summary")[0].get_attribute("data-state")
    return summary if status == "shown" and summary in ("verified", "not-verified") else None


def marks(b: Browser) -> list[tuple[str, str, str]]:
    """Each step's (event id, verified attribute, mark text)."""
    return b.run(
        "return [...document.querySelectorAll('#timeline li.step')].map("
        "li => [li.dataset.eventId, li.dataset.verified, li.querySelector('.mark').textContent + ' | ' + li.querySelector('.mark').title]);"
    )


TAMPER = """
  // the network altered: the first hash of one event's inclusion proof, on its way to the page
  const original = window.fetch, k = arguments[0];
  window.fetch = async (...args) => {
    const response = await original(...args);
    if (!String(args[0]).startsWith('/api/story')) return response;
    const story = await response.json();
    const event = story.proof.events.find(e => e.event_id === story.steps[k].event_id);
    event.hashes_b64[0] = btoa(String.fromCharCode(...new Uint8Array(32)));
    return new Response(JSON.stringify(story), {status: response.status, headers: response.headers});
  };"""

CJK_FONT = """
  // the CJK font is installed when text set in it measures differently from the fallback
  const c = document.createElement('canvas').getContext('2d');
  const width = (font) => { c.font = font; return c.measureText('复盘 Replay 审计 abc').width; };
  return width('20px "Noto Sans CJK SC", monospace') !== width('20px monospace');"""


async def in_browser(fn, *args):
    return await asyncio.to_thread(fn, *args)


# --- the tests ----------------------------------------------------------------------------------


async def test_every_step_of_a_disposed_case_is_verified_in_the_browser(platform, story, browser):
    token = token_for(platform[-1].settings, VIEWER)
    assert VIEWER.user in await in_browser(sign_in, browser, story.url, token)
    assert story.case_id in await in_browser(recent, browser)
    await in_browser(browser.fill, "#purpose", PURPOSE)
    assert await in_browser(open_story, browser, story.case_id) == "verified"
    reads = await reads_of(platform[-1], story.case_id)  # the view is on the record, with its purpose
    assert (VIEWER.user, "audit.read/ReplayPage.Story", PURPOSE) in reads
    shown = await in_browser(marks, browser)
    assert len(shown) >= story.steps > 10
    assert all(verified == "true" and text.startswith("已验证 verified") for _, verified, text in shown), shown
    assert await in_browser(browser.text, "#summary") == f"all {len(shown)} steps verified"
    titles = await in_browser(
        browser.run, "return [...document.querySelectorAll('.step .title')].map(t => t.textContent);"
    )
    assert titles[0] == "ClueRegistered" and {"CaseDisposed", "ExecutionItemReported"} <= set(titles)
    assert "见证 cosigned by court, procuratorate" in await in_browser(browser.text, "#checkpoint")
    assert await in_browser(browser.run, CJK_FONT), "Noto Sans CJK SC is not installed: run `make browser`"
    await in_browser(browser.screenshot, "replay-case-verified")
    measure = titles.index("MeasureApproved") + 1  # the detention: its period, the meeting, the approval
    await in_browser(browser.screenshot, "replay-case-detention", f"#timeline li:nth-child({measure})")


async def test_a_proof_tampered_on_its_way_is_not_verified(platform, story, browser):
    await in_browser(sign_in, browser, story.url, token_for(platform[-1].settings, VIEWER))
    await in_browser(browser.run, TAMPER, 2)
    assert await in_browser(open_story, browser, story.case_id) == "not-verified"
    shown = await in_browser(marks, browser)
    assert [v for _, v, _ in shown] == ["true", "true", "false"] + ["true"] * (len(shown) - 3)
    assert "未通过 not verified | calculated root" in shown[2][2]
    assert await in_browser(browser.text, "#summary") == f"1 of {len(shown)} not verified"
    await in_browser(browser.screenshot, "replay-case-tampered-proof")


async def test_a_wrong_pinned_key_verifies_nothing_and_the_operators_pins_verify_again(platform, story, browser):
    await in_browser(sign_in, browser, story.url, token_for(platform[-1].settings, VIEWER))
    assert await in_browser(open_story, browser, story.case_id) == "verified"
    pinned = await in_browser(browser.run, "return document.getElementById('pin-vkey').value;")
    impostor = NoteSigner(NoteVerifier(pinned).name, Ed25519PrivateKey.generate()).verifier_key  # same name, other key

    summary = await in_browser(pin, browser, impostor)
    shown = await in_browser(marks, browser)
    assert summary == f"{len(shown)} of {len(shown)} not verified"
    assert all(v == "false" and "no signature by the pinned key" in t for _, v, t in shown), shown[0]
    assert await in_browser(browser.text, "#pin-source") == "(用户设定 set by you)"
    await in_browser(browser.screenshot, "replay-case-wrong-key")
    assert await in_browser(pin, browser, None) == f"all {len(shown)} steps verified"
    assert await in_browser(browser.text, "#pin-source") == "(运维配置 operator's)"


def pin(b: Browser, value: str | None, field: str = "#pin-vkey") -> str:
    """Pin `value` in the page's pins, the ledger key or the witness policy (None: back to the
    operator's pins); the summary line once the story is verified again."""
    if not b.run("return document.getElementById('pins').open;"):
        b.click("#pins summary")
    if value is None:
        b.click("#pin-reset")
    else:
        b.fill(field, value)
        b.click("#pin-save")
    return b.wait_for(lambda b: _settled(b) and b.text("#summary"), "the story verified again")


async def test_a_pinned_policy_the_checkpoint_does_not_meet_verifies_nothing(platform, story, browser):
    await in_browser(sign_in, browser, story.url, token_for(platform[-1].settings, VIEWER))
    assert await in_browser(open_story, browser, story.case_id) == "verified"
    policy = await in_browser(browser.run, "return document.getElementById('pin-policy').value;")
    absent = Cosigner("finance.example/witness", Ed25519PrivateKey.generate()).verifier_key  # never asked to cosign
    stricter = policy.replace(
        "group partners all court procuratorate",
        f"witness finance {absent}\ngroup partners all court procuratorate finance",
    )
    assert stricter != policy
    shown_before = len(await in_browser(marks, browser))
    assert await in_browser(pin, browser, stricter, "#pin-policy") == f"{shown_before} of {shown_before} not verified"
    assert "witness policy not met" in await in_browser(browser.text, "#checkpoint")
    await in_browser(browser.screenshot, "replay-case-policy-not-met")
    assert await in_browser(pin, browser, None) == f"all {shown_before} steps verified"


async def test_a_user_of_another_office_sees_nothing_of_the_case(platform, story, browser):
    assert STRANGER.user in await in_browser(sign_in, browser, story.url, token_for(platform[-1].settings, STRANGER))
    assert story.case_id not in await in_browser(recent, browser)
    assert await in_browser(open_story, browser, story.case_id) == "not-found"
    assert "not found" in await in_browser(browser.text, "#status")
    assert await in_browser(marks, browser) == []
    assert await in_browser(browser.run, "return document.getElementById('story').hidden;") is True
    await in_browser(browser.screenshot, "replay-case-other-office")


async def test_a_bad_token_is_refused_at_sign_in(platform, story, browser):
    refused = await in_browser(sign_in, browser, story.url, "not-a-token")
    assert refused.startswith("令牌无效 token refused"), refused
    assert await in_browser(browser.run, "return document.getElementById('story-view').hidden;") is True


async def test_the_awaiting_queue_shows_what_waits_for_the_head(platform, story, browser):
    assert HEAD.user in await in_browser(sign_in, browser, story.url, token_for(platform[-1].settings, HEAD))

    def awaiting(b: Browser) -> list[str]:
        b.click("#tab-awaiting")
        b.wait_for(lambda b: "items" in b.text("#awaiting-status"), "the awaiting-me queue")
        return [row.text for row in b.all("#awaiting-table tbody tr")]

    rows = await in_browser(awaiting, browser)
    assert any(story.pending_clue in row and "clues" in row for row in rows), rows
    await in_browser(browser.screenshot, "replay-awaiting-me")


async def test_a_persons_stories_are_shown_and_verified(platform, story, browser):
    await in_browser(sign_in, browser, story.url, token_for(platform[-1].settings, VIEWER))
    assert await in_browser(open_story, browser, story.person_id) == "verified"
    shown = await in_browser(marks, browser)
    assert len(shown) >= story.steps and all(v == "true" for _, v, _ in shown)
    assert story.case_id in await in_browser(browser.text, "#subjects")
    await in_browser(browser.screenshot, "replay-person")
