"""c2sp.org/tlog-policy: the spec's example policy, one row per syntax rule, quorum evaluation, and
checkpoints opened against a policy with tlog-cosignature (Ed25519 cosignature/v1) witnesses."""

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.checkpoint import Checkpoint, NoteError, NoteSigner
from services.audit.domain.cosignature import Cosigner
from services.audit.domain.policy import (
    NO_WITNESSES,
    Group,
    PolicyError,
    cosigners,
    open_witnessed,
    parse_policy,
)

ORIGIN = "jjjc.example/audit-ledger"


def _key(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"policy test key %d" % n).digest())


LOG = NoteSigner(ORIGIN, _key(0))
OTHER_LOG = NoteSigner(ORIGIN, _key(99))
W = {
    name: Cosigner(f"witness.example/{name}", _key(i)) for i, name in enumerate(["X1", "X2", "X3", "Y1", "Y2", "Y3"], 1)
}
STRANGER = Cosigner("witness.example/X1", _key(50))  # same key name as X1, another key
CP = Checkpoint(ORIGIN, 42, hashlib.sha256(b"root").digest())
NOTE = LOG.sign(CP.body())
TS = 1_765_000_000


def vk(name: str) -> str:
    return W[name].verifier_key


# tlog-policy, "Example policy" (the spec elides keys; ours are real).
EXAMPLE = f"""log {LOG.verifier_key}

witness X1 {vk("X1")}
witness X2 {vk("X2")}
witness X3 {vk("X3")}
group X-witnesses 2 X1 X2 X3

witness Y1 {vk("Y1")}
witness Y2 {vk("Y2")}
witness Y3 {vk("Y3")}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def cosigned(note: bytes, *names: str, body: bytes | None = None) -> bytes:
    """note with cosignature lines by the named witnesses appended."""
    return note + "".join(W[n].cosign(body or CP.body(), TS + i) for i, n in enumerate(names)).encode()


def test_the_specs_example_policy_parses_in_file_order():
    policy = parse_policy(EXAMPLE)
    assert [log.verifier_key for log in policy.logs] == [LOG.verifier_key]
    assert [w.name for w in policy.witnesses] == ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    assert policy.witnesses[0].verifier.verifier_key == vk("X1") and policy.witnesses[0].url == ""
    assert policy.groups["X-witnesses"] == Group("X-witnesses", 2, ("X1", "X2", "X3"))
    assert policy.groups["Y-witnesses"] == Group("Y-witnesses", 1, ("Y1", "Y2", "Y3"))
    assert policy.groups["X-and-Y"] == Group("X-and-Y", 2, ("X-witnesses", "Y-witnesses"))
    assert policy.quorum == "X-and-Y" and policy.text == EXAMPLE


@pytest.mark.parametrize(
    "cosigned_by, met",
    [
        # tlog-policy "Example policy": two of the X-witnesses AND one of the Y-witnesses.
        ({"X1", "X2", "Y3"}, True),
        ({"X1", "X2", "X3", "Y1", "Y2", "Y3"}, True),
        ({"X1", "X2"}, False),
        ({"X1", "Y1", "Y2", "Y3"}, False),
        (set(), False),
        ({"Z9", "X-witnesses", "Y-witnesses"}, False),  # group names are not cosigners
    ],
)
def test_example_quorum_is_two_of_x_and_one_of_y(cosigned_by, met):
    assert parse_policy(EXAMPLE).satisfied_by(cosigned_by) is met


def test_explain_names_the_quorum_its_threshold_and_what_it_has():
    partners = f"""witness court {vk("X1")}
witness procuratorate {vk("X2")}
witness finance {vk("X3")}
group partners 2 court procuratorate finance
quorum partners
"""
    assert (
        parse_policy(partners).explain({"court"})
        == "quorum `partners` needs 2 of court, procuratorate, finance; has court"
    )
    assert (
        parse_policy(EXAMPLE).explain({"X1", "X2"})
        == "quorum `X-and-Y` needs 2 of X-witnesses, Y-witnesses; has X-witnesses"
    )
    single = parse_policy(f"witness court {vk('X1')}\nquorum court\n")
    assert single.explain([]) == "quorum `court` needs a cosignature by court; has none"
    assert single.satisfied_by(["court"]) and not single.satisfied_by([])
    assert NO_WITNESSES.explain([]) == "quorum none needs no cosignature"


GOOD = [
    # tlog-policy "Structure": leading/trailing whitespace, tabs, comments (also indented), blank lines.
    (f"  # comment\n\t\nwitness\tX1 \t{vk('X1')}  \n   quorum X1\t\n", "X1"),
    # "Defining the quorum": `quorum none` needs no witnesses or logs.
    ("quorum none\n", "none"),
    # "Structure": the last line's newline may be missing (lenient for hand-edited files).
    (f"witness X1 {vk('X1')}\nquorum X1", "X1"),
    # "Defining a witness": an optional URL.
    (f"witness X1 {vk('X1')} https://w1.example/\nquorum X1\n", "X1"),
    # "Defining a witness group": all / any / k, nested groups.
    (f"witness X1 {vk('X1')}\nwitness X2 {vk('X2')}\ngroup g all X1 X2\nquorum g\n", "g"),
    # "Character set": non-ASCII octets are opaque names (a Kelvin sign is not "K").
    (f"witness K {vk('X1')}\nwitness \u212a {vk('X2')}\ngroup g 2 K \u212a\nquorum g\n", "g"),
    # Lines after the quorum line may still define things.
    (f"quorum none\nwitness X1 {vk('X1')}\n", "none"),
]


@pytest.mark.parametrize("text, quorum", GOOD)
def test_policy_syntax_accepted(text, quorum):
    assert parse_policy(text).quorum == quorum
    assert parse_policy(text.encode("utf-8")).quorum == quorum


def test_witness_url_and_log_url_are_kept():
    policy = parse_policy(
        f"log {LOG.verifier_key} https://log.example/\nwitness X1 {vk('X1')} http://127.0.0.1:9/\nquorum X1\n"
    )
    assert policy.witnesses[0].url == "http://127.0.0.1:9/"


X1, X2, X3 = (f"witness {n} {vk(n)}\n" for n in ("X1", "X2", "X3"))
BAD = [
    # "Defining the quorum": exactly one quorum line.
    ("no quorum", f"{X1}", "no quorum line"),
    ("two quorum lines", f"{X1}quorum X1\nquorum none\n", "line 3: a second quorum line"),
    ("quorum before its witness", f"quorum X1\n{X1}", "line 1: quorum 'X1' is not defined"),
    ("quorum of nothing", "quorum\n", "line 1: expected `quorum <name>`"),
    # "Defining a witness group": names defined on preceding lines (no cycles), n >= 1, 1 <= k <= n.
    ("member defined later", f"{X1}group g any X1 X2\n{X2}quorum g\n", "line 2: group member 'X2' is not defined"),
    ("group with no member", f"{X1}group g any\nquorum g\n", "line 2: expected `group"),
    ("k above n", f"{X1}{X2}group g 3 X1 X2\nquorum g\n", "line 3: group threshold 3 is not between 1 and 2"),
    ("k zero", f"{X1}group g 0 X1\nquorum g\n", "line 2: group threshold 0 is not between 1 and 1"),
    ("k not decimal", f"{X1}group g two X1\nquorum g\n", "line 2: group threshold 'two'"),
    ("k with leading zero", f"{X1}group g 01 X1\nquorum g\n", "line 2: group threshold '01'"),
    ("k negative", f"{X1}group g -1 X1\nquorum g\n", "line 2: group threshold '-1'"),
    # "Defining a witness group": each name is listed as a group member at most once.
    ("member twice in a group", f"{X1}{X2}group g 2 X1 X1 X2\nquorum g\n", "line 3: 'X1' is already listed"),
    (
        "member in two groups",
        f"{X1}{X2}group g any X1\ngroup h any X1 X2\nquorum h\n",
        "line 4: 'X1' is already listed",
    ),
    # "What is a policy": witnesses and groups share one namespace; `none` is predefined, no member.
    ("witness named twice", f"{X1}witness X1 {vk('X2')}\nquorum none\n", "line 2: name 'X1' is already defined"),
    ("group named as a witness", f"{X1}{X2}group X1 any X2\nquorum none\n", "line 3: name 'X1' is already defined"),
    ("group named none", f"{X1}group none any X1\nquorum none\n", "line 2: `none` is predefined"),
    ("witness named none", f"witness none {vk('X1')}\nquorum none\n", "line 1: `none` is predefined"),
    ("none as member", f"{X1}group g any X1 none\nquorum g\n", "line 2: `none` cannot be a group member"),
    # "Defining a log" / "Defining a witness": duplicate keys (same public key, any name) refused.
    ("duplicate log", f"log {LOG.verifier_key}\nlog {LOG.verifier_key}\nquorum none\n", "line 2: duplicate log key"),
    (
        "duplicate witness key under another name",
        f"{X1}witness X9 {Cosigner('other.example/w', _key(1)).verifier_key}\nquorum none\n",
        "line 2: duplicate witness key",
    ),
    # "Public key representation": a log key is type 0x01, a witness key type 0x04.
    ("log with a cosignature key", f"log {vk('X1')}\nquorum none\n", "line 1: log key"),
    ("witness with a log key", f"witness X1 {LOG.verifier_key}\nquorum none\n", "line 1: witness key"),
    (
        "witness key hash wrong",
        f"witness X1 {vk('X1').replace('+', '+0', 1)[:-1]}\nquorum none\n",
        "line 1: witness key",
    ),
    ("witness without key", "witness X1\nquorum none\n", "line 1: expected `witness <name> <vkey> [<url>]`"),
    ("witness with two urls", f"witness X1 {vk('X1')} http://a/ http://b/\nquorum none\n", "line 1: expected `witness"),
    ("log without key", "log\nquorum none\n", "line 1: expected `log <vkey> [<url>]`"),
    ("unknown keyword", "witnesses X1\nquorum none\n", "line 1: unknown keyword 'witnesses'"),
    # "Character set": only tab and newline among the control characters.
    ("carriage return", f"{X1}quorum X1\r\n", "line 2: octet 0x0d is not allowed"),
    ("NUL", "quorum none\n\x00\n", "line 2: octet 0x00 is not allowed"),
    ("DEL", "# \x7f\nquorum none\n", "line 1: octet 0x7f is not allowed"),
    ("vertical tab as whitespace", "quorum\x0bnone\n", "line 1: octet 0x0b is not allowed"),
]


@pytest.mark.parametrize("text, message", [(t, m) for _, t, m in BAD], ids=[r[0] for r in BAD])
def test_policy_syntax_refused_naming_the_line(text, message):
    with pytest.raises(PolicyError) as raised:
        parse_policy(text)
    assert message in str(raised.value)


def test_opaque_high_octets_are_allowed_in_names_and_comments():
    raw = b"# \xff\xfe not UTF-8 at all\nquorum none\n"
    assert parse_policy(raw).quorum == "none"


# --- checkpoints against a policy (tlog-policy "What is a policy": signed by any listed log, cosigned per quorum)


def test_cosigners_maps_policy_names_to_timestamps_ignoring_unknown_keys():
    policy = parse_policy(EXAMPLE)
    note = cosigned(NOTE, "X1", "Y2") + STRANGER.cosign(CP.body(), TS).encode()
    assert cosigners(policy, note) == {"X1": TS, "Y2": TS + 1}
    assert cosigners(policy, NOTE) == {}


def test_cosigners_refuses_a_known_witness_line_that_does_not_verify():
    other_body = Checkpoint(ORIGIN, 43, CP.root).body()
    forged = NOTE + W["X1"].cosign(other_body, TS).encode()  # X1's key and name over another checkpoint
    with pytest.raises(NoteError, match="does not verify"):
        cosigners(parse_policy(EXAMPLE), forged)


def test_open_witnessed_accepts_a_note_meeting_the_quorum():
    checkpoint, found = open_witnessed(cosigned(NOTE, "X1", "X3", "Y1"), parse_policy(EXAMPLE), ORIGIN)
    assert checkpoint == CP and set(found) == {"X1", "X3", "Y1"}


def test_open_witnessed_refuses_an_unmet_quorum_and_explains_it():
    with pytest.raises(NoteError) as raised:
        open_witnessed(cosigned(NOTE, "X1", "Y1"), parse_policy(EXAMPLE))
    assert (
        str(raised.value)
        == "witness policy not met: quorum `X-and-Y` needs 2 of X-witnesses, Y-witnesses; has Y-witnesses"
    )


def test_open_witnessed_refuses_a_note_no_policy_log_signed():
    other = OTHER_LOG.sign(CP.body())
    with pytest.raises(NoteError, match="no valid signature by the policy's log"):
        open_witnessed(cosigned(other, "X1", "X2", "Y1"), parse_policy(EXAMPLE))
    foreign = NoteSigner("elsewhere.example/log", _key(0)).sign(Checkpoint("elsewhere.example/log", 1, CP.root).body())
    with pytest.raises(NoteError, match="no log in the policy is named 'elsewhere.example/log'"):
        open_witnessed(foreign, parse_policy(EXAMPLE))
    with pytest.raises(NoteError, match="is not the expected"):
        open_witnessed(cosigned(NOTE, "X1", "X2", "Y1"), parse_policy(EXAMPLE), "another/origin")


def test_quorum_none_accepts_any_note_signed_by_a_policy_log():
    checkpoint, found = open_witnessed(NOTE, parse_policy(f"log {LOG.verifier_key}\nquorum none\n"))
    assert checkpoint == CP and found == {}
