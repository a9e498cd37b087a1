"""The reference partner client (issue 24 point 3): what a partner agency's integration team starts from.

It follows the agency's feed (issue 23) from Kafka or over gRPC, verifies every entry against the
feed's signed checkpoints with keys pinned beforehand, prints it, acknowledges it, and reports back.

  make token ARGS="issue --agency archives --office personnel_files --role partner_system --user archives-gw --ttl 30d"
  export PARTNER_TOKEN=<the token>
  python -m tools.partner_client keys                          # pin the ledger's and the feeds' keys
  python -m tools.partner_client follow --agency archives      # Kafka: partner.archives.v1
  python -m tools.partner_client follow --agency archives --grpc   # or PartnerFeedService.Subscribe
  python -m tools.partner_client report-item --decision-id decision-… --item-id PERSONNEL_FILE \\
      --receipt receipt.pdf                                    # ExecutionService.ReportItem
  python -m tools.partner_client custody --case-id case-… --person-id P-… --title 羁押回执 --document receipt.pdf
  python -m tools.partner_client judgment --case-id case-… --person-id P-77 --title 刑事判决书 \\
      --document judgment.pdf --judgment-number '(2026)京0101刑初12号' --sentence FIXED_TERM --intentional

Report-back (tools/partner_client_reports.py), each only about what your feed delivered to you
(anything else is NOT_FOUND, as an unknown id): `report-item` (ExecutionService.ReportItem),
`custody` (the procuratorate: ProsecutionService.ReportCustodyTaken, IR2025 134), `judgment` (the
court: SanctionService.ReportJudgment, G12).

`keys` (ListPublicKeys) saves the verifier keys to `--keys` (default partner-keys.json). Fetch them
once over a channel you trust, or compare them with your onboarding papers: from then on only
checkpoints signed under these keys, with your feed's origin, are accepted.

`follow` reads `partner.<agency>.v1` with kafka-python's blocking KafkaConsumer (at least once: a
position can come again, and positions arrive in position order only within a partition), or
`Subscribe` with `--grpc` (exactly the feed, in order, from the saved position). Either way the
client processes positions in order, once each: an entry at a position already processed is a
repeat and is skipped — unless its bytes differ, then it is refused (a position's entry never
changes). Each entry is verified before anything else is done with it:

  1. it is a canonical entry of the agency's feed at its position (services.audit.domain.feeds);
  2. GetFeedProof gives the latest signed feed checkpoint covering it (waiting, up to
     `--wait-checkpoint` seconds, while none is signed yet) and the entry's inclusion path; the
     checkpoint must verify under the pinned feed key with the feed's origin, and the entry's leaf
     hash must lead to its root;
  3. its source leaf is in the main ledger at a signed ledger checkpoint (the pinned ledger key).

An entry that does not verify is refused (a `REFUSED` line on stderr): not printed, not
acknowledged, and the client waits for the real entry at that position. A verified one is printed
(its position, event type, stream, domain time and the redacted view) and then acknowledged
(`Acknowledge` of the last position processed; the operators' backlog drops). The next position
is saved in `--state` (default partner-<agency>.state.json) before acknowledging, so a restarted
client resumes exactly there (over Kafka its consumer group's offsets are a hint only; the state
decides what is a repeat). `--until-caught-up` stops once the feed's end is reached (Subscribe's
`caught_up`, or every partition read to its end offset); exit status 1 when anything was refused.

Not done here: consistency proofs between two feed checkpoints (the feed service does not serve
them yet) — the client trusts each newer checkpoint that verifies under the pinned key.

Exit status: 0 done, 1 an entry was refused or a call failed, 2 usage (a missing token or keys).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from audit.v1 import feeds_pb2 as fpb, feeds_pb2_grpc
from services.audit.domain.merkle import leaf_hash
from services.audit.verify_feed import (
    FeedError,
    Received,
    check_entry,
    open_feed_checkpoint,
    verify_entry,
    verify_source,
)
from tools import partner_client_reports as reports

DEFAULT_AUDIT = "127.0.0.1:50054"
DEFAULT_CASES = "127.0.0.1:50052"
DEFAULT_SANCTIONS = "127.0.0.1:50053"
DEFAULT_BOOTSTRAP = "127.0.0.1:59092"  # make run's embedded broker
KEYS_FORMAT = "jjjc-partner-keys/v1"
CHECK_SECONDS = 5.0  # how often a Kafka follower at the topic's end compares with the signed size
REREAD_AFTER_SECONDS = 5.0  # how long a position stays missing at the topic's end before a reread


class Refused(Exception):
    """An entry that does not verify; the message says why."""


class Usage(Exception):
    """Something the user must give or fix first (exit status 2)."""


# --- the connection --------------------------------------------------------------------------------


@dataclass
class Connection:
    """Where the platform answers and who is calling (the bearer token)."""

    token: str
    audit: str = DEFAULT_AUDIT
    cases: str = DEFAULT_CASES
    sanctions: str = DEFAULT_SANCTIONS
    ca_file: Path | None = None
    timeout: float = 10.0
    _channels: dict[str, grpc.Channel] = field(default_factory=dict)

    def channel(self, target: str) -> grpc.Channel:
        if target not in self._channels:
            if self.ca_file:
                creds = grpc.ssl_channel_credentials(self.ca_file.read_bytes())
                self._channels[target] = grpc.secure_channel(target, creds)
            else:
                self._channels[target] = grpc.insecure_channel(target)
        return self._channels[target]

    def metadata(self, mutating: bool = False, request_id: str | None = None) -> list[tuple[str, str]]:
        """The token; a mutating call also carries `x-request-id` (the same one on every retry)."""
        md = [("authorization", f"Bearer {self.token}")]
        return md + [("x-request-id", request_id or str(uuid.uuid4()))] if mutating else md

    def feeds(self) -> feeds_pb2_grpc.PartnerFeedServiceStub:
        return feeds_pb2_grpc.PartnerFeedServiceStub(self.channel(self.audit))

    def close(self) -> None:
        for ch in self._channels.values():
            ch.close()
        self._channels.clear()


# --- pinned keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PinnedKeys:
    """The verifier keys a partner pinned (ListPublicKeys, saved by `keys`)."""

    ledger_key: str
    ledger_origin: str
    feeds: dict[str, tuple[str, str]]  # agency -> (verifier key, origin)

    def feed(self, agency: str) -> tuple[str, str]:
        if agency not in self.feeds:
            raise Usage(f"no pinned key for {agency}'s feed: run `keys` first")
        return self.feeds[agency]

    def dump(self) -> str:
        feeds = {a: {"verifier_key": k, "origin": o} for a, (k, o) in sorted(self.feeds.items())}
        ledger = {"verifier_key": self.ledger_key, "origin": self.ledger_origin}
        return json.dumps({"format": KEYS_FORMAT, "ledger": ledger, "feeds": feeds}, indent=1) + "\n"

    @classmethod
    def load(cls, path: Path) -> PinnedKeys:
        try:
            doc = json.loads(path.read_text())
            if doc.get("format") != KEYS_FORMAT:
                raise ValueError(f"not a {KEYS_FORMAT} document")
            feeds = {a: (f["verifier_key"], f["origin"]) for a, f in doc["feeds"].items()}
            return cls(doc["ledger"]["verifier_key"], doc["ledger"]["origin"], feeds)
        except FileNotFoundError:
            raise Usage(f"{path}: no pinned keys; run `keys` first") from None
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise Usage(f"{path}: not the pinned keys ({e})") from None

    @classmethod
    def of(cls, response: fpb.ListPublicKeysResponse) -> PinnedKeys:
        ledger = next((k for k in response.keys if k.log == "ledger"), None)
        if ledger is None:
            raise Refused("ListPublicKeys answered no ledger key")
        feeds = {k.agency: (k.verifier_key, k.origin) for k in response.keys if k.log.startswith("feed/")}
        return cls(ledger.verifier_key, ledger.origin, feeds)


def fetch_keys(conn: Connection) -> PinnedKeys:
    return PinnedKeys.of(conn.feeds().ListPublicKeys(fpb.ListPublicKeysRequest(), metadata=conn.metadata()))


# --- verification ----------------------------------------------------------------------------------


@dataclass
class Verified:
    position: int
    entry: dict  # the entry's data (agency, position, leaf_index, event_id, event_type, ..., view)
    feed_size: int  # the signed feed checkpoint it was proved against
    ledger_size: int  # the signed ledger checkpoint its source leaf was proved against


class Verifier:
    """Checks an entry against the feed's signed checkpoints with the pinned keys (see the module
    notes); `Refused` when it does not verify."""

    def __init__(self, conn: Connection, keys: PinnedKeys, agency: str, wait_checkpoint: float = 60.0):
        self.conn, self.agency, self.wait_checkpoint = conn, agency, wait_checkpoint
        self.feed_key, self.feed_origin = keys.feed(agency)
        self.ledger_key, self.ledger_origin = keys.ledger_key, keys.ledger_origin

    def proof(self, position: int) -> fpb.GetFeedProofResponse:
        """The entry's proofs at the latest signed checkpoints, waiting while none covers it."""
        deadline = time.monotonic() + self.wait_checkpoint
        while True:
            try:
                return self.conn.feeds().GetFeedProof(
                    fpb.GetFeedProofRequest(agency=self.agency, position=position),
                    metadata=self.conn.metadata(),
                    timeout=self.conn.timeout,
                )
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.NOT_FOUND:
                    raise Refused(f"position {position} is not in {self.agency}'s feed") from None
                if e.code() != grpc.StatusCode.FAILED_PRECONDITION or time.monotonic() >= deadline:
                    raise
            time.sleep(0.5)  # no checkpoint covers it yet: they are signed every few seconds

    def check(self, position: int, raw: bytes) -> Verified:
        try:
            doc = check_entry(raw, position, self.agency)
            p = self.proof(position)
            cp = open_feed_checkpoint(p.checkpoint, self.feed_key, self.feed_origin)
            if cp.size != p.tree_size or position >= cp.size:
                raise FeedError(f"entry {position}: the proof is for size {p.tree_size}, the checkpoint {cp.size}")
            verify_entry(Received(position, raw, list(p.hashes)), cp)
            got = Received(position, raw, (), p.ledger_leaf_hash, list(p.ledger_hashes), p.ledger_checkpoint)
            if doc["leaf_index"] != p.leaf_index:
                raise FeedError(f"entry {position}: it names source leaf {doc['leaf_index']}, the proof {p.leaf_index}")
            ledger = verify_source(got, doc, self.ledger_key, self.ledger_origin)
        except FeedError as e:
            raise Refused(str(e)) from None
        return Verified(position, doc, cp.size, ledger.size)


# --- following the feed ----------------------------------------------------------------------------


@dataclass
class State:
    """The next position to process, kept in a file (written whole, then renamed)."""

    path: Path
    agency: str
    next: int = 0

    @classmethod
    def load(cls, path: Path, agency: str) -> State:
        if not path.exists():
            return cls(path, agency)
        doc = json.loads(path.read_text())
        if doc.get("agency") != agency:
            raise Usage(f"{path} is the state of {doc.get('agency')!r}'s feed, not {agency!r}'s")
        return cls(path, agency, int(doc["next"]))

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"agency": self.agency, "next": self.next}) + "\n")
        tmp.replace(self.path)


class Follower:
    """Processes the feed's entries in position order, once each, whatever order and repeats they
    arrive in: verify, print, save the next position, acknowledge."""

    def __init__(self, conn: Connection, verifier: Verifier, state: State, *, ack: bool = True, out=None):
        self.conn, self.verifier, self.state, self.ack = conn, verifier, state, ack
        self.out = out or sys.stdout
        self.pending: dict[int, list[bytes]] = {}  # positions ahead of the next, as received
        self.seen: dict[int, bytes] = {}  # leaf hashes of the positions processed by this run
        self.refused = 0
        self.processed = 0
        self.wait = getattr(verifier, "wait_checkpoint", 60.0)  # how long a missing position is awaited
        self.acknowledged = -1

    def refuse(self, position: int, why: str) -> None:
        self.refused += 1
        print(f"REFUSED position {position}: {why}", file=sys.stderr, flush=True)

    def receive(self, position: int, raw: bytes) -> None:
        """One delivery (a Kafka record or a Subscribe entry)."""
        if position < self.state.next:
            if position in self.seen and self.seen[position] != leaf_hash(raw):
                self.refuse(position, "a repeat with other bytes than the entry processed (a position never changes)")
            return  # a repeat: at least once delivery
        self.pending.setdefault(position, []).append(raw)

    def drain(self) -> int:
        """Process every pending entry that is next in line; how many were processed."""
        done = 0
        while self.state.next in self.pending:
            position = self.state.next
            candidates = list(dict.fromkeys(self.pending.pop(position)))  # identical repeats once
            for raw in candidates:
                if self.state.next > position:  # an earlier candidate was the entry
                    if leaf_hash(raw) != self.seen[position]:
                        self.refuse(position, "a second record with other bytes at this position")
                    continue
                try:
                    verified = self.verifier.check(position, raw)
                except Refused as e:
                    self.refuse(position, str(e))
                    continue
                self.show(verified)
                self.seen[position] = leaf_hash(raw)
                self.state.next = position + 1
                done += 1
        self.processed += done
        if done:
            self.state.save()
            self.acknowledge()
        return done

    def show(self, v: Verified) -> None:
        e = v.entry
        print(
            f"{v.position:>6}  {e['event_type']:<36} {e['stream_id']}  {e['occurred_at']}  "
            f"verified (feed {v.feed_size}, ledger leaf {e['leaf_index']} of {v.ledger_size})\n"
            f"        {json.dumps(e['view'], ensure_ascii=False, sort_keys=True)}",
            file=self.out,
            flush=True,
        )

    def signed_size(self) -> int:
        """The size of the feed's latest signed checkpoint (0 when none yet): every position below
        it exists, so the topic must deliver it."""
        try:
            r = self.conn.feeds().GetFeedCheckpoint(
                fpb.GetFeedCheckpointRequest(agency=self.state.agency),
                metadata=self.conn.metadata(),
                timeout=self.conn.timeout,
            )
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return 0
            raise
        return r.tree_size

    def acknowledge(self) -> None:
        last = self.state.next - 1
        if not self.ack or last <= self.acknowledged:
            return
        r = self.conn.feeds().Acknowledge(
            fpb.AcknowledgeRequest(agency=self.state.agency, position=last),
            metadata=self.conn.metadata(),
            timeout=self.conn.timeout,
        )
        self.acknowledged = last
        print(f"acknowledged through {last}: {r.acknowledged} of {r.size}, backlog {r.backlog}", file=sys.stderr)


def follow_grpc(conn: Connection, follower: Follower, until_caught_up: bool) -> None:
    """PartnerFeedService.Subscribe from the saved position (resumed there after a broken stream)."""
    while True:
        stream = conn.feeds().Subscribe(
            fpb.SubscribeRequest(agency=follower.state.agency, from_position=follower.state.next),
            metadata=conn.metadata(),
        )
        try:
            for message in stream:
                if message.HasField("entry"):
                    follower.receive(message.entry.position, message.entry.entry)
                    follower.drain()
                    if follower.pending:  # the feed service itself served what does not verify
                        raise Refused(f"position {follower.state.next} did not verify: stopped there")
                elif until_caught_up and not follower.pending:
                    return
        except grpc.RpcError as e:
            if e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                raise
            print(f"stream broken ({e.code().name}); resuming from {follower.state.next}", file=sys.stderr)
            time.sleep(1.0)
        finally:
            stream.cancel()


def follow_kafka(
    follower: Follower,
    bootstrap: str,
    topic: str,
    group: str | None,
    until_caught_up: bool,
) -> None:
    """The agency's topic with kafka-python's blocking consumer: every partition, from the group's
    committed offsets (from the beginning when the state is new); the `position` header says where
    a record belongs. The saved state decides, the offsets are a hint: when every partition is read
    to its end and the next position is still missing (a later one came, or the feed's signed
    checkpoint covers it: offsets ahead of a lost state, a topic made again after a broker lost
    it) for a few seconds (the publisher may only be behind the signer), the topic is read again
    from the beginning, once per position (the repeats are skipped); with `until_caught_up`, a
    position still missing `--wait-checkpoint` seconds later is refused and the follower stops."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=16 << 20,  # the largest entry the broker takes
    )
    try:
        deadline = time.monotonic() + 30
        while not (partitions := consumer.partitions_for_topic(topic)):
            if time.monotonic() > deadline:
                raise Usage(f"topic {topic} not found at {bootstrap} (is the agency right, and audit running?)")
            time.sleep(0.5)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if follower.state.next == 0:
            consumer.seek_to_beginning(*tps)
        reread_for = None  # the missing position the topic was read again for
        missing_since: tuple[int, float] | None = None  # (position, since when) missing at the end
        checked_at = 0.0  # when the feed's signed size was last compared with the next position
        while True:
            batch = consumer.poll(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    headers = {k: v for k, v in record.headers or ()}
                    if "position" not in headers:
                        follower.refuse(
                            -1, f"record at {record.topic}/{record.partition}@{record.offset} has no position"
                        )
                        continue
                    follower.receive(int(headers["position"]), record.value)
            follower.drain()
            if batch and group:
                consumer.commit()  # after the state is saved: the offsets are only a hint
            if batch:
                continue
            ends = consumer.end_offsets(tps)
            if not all(consumer.position(tp) >= ends[tp] for tp in tps):
                continue
            now = time.monotonic()
            if not until_caught_up and now - checked_at < CHECK_SECONDS:
                continue
            checked_at = now
            nxt = follower.state.next
            if not (follower.pending or nxt < follower.signed_size()):
                missing_since = None
                if until_caught_up:
                    return
                continue
            if missing_since is None or missing_since[0] != nxt:
                missing_since = (nxt, now)  # the publisher may only be behind the signer: wait a little
            waited = now - missing_since[1]
            if reread_for != nxt and waited >= REREAD_AFTER_SECONDS:
                reread_for = nxt
                print(f"position {nxt} missing at the topic's end: reading it again", file=sys.stderr)
                consumer.seek_to_beginning(*tps)
            elif until_caught_up and reread_for == nxt and waited >= REREAD_AFTER_SECONDS + follower.wait:
                follower.refuse(nxt, "signed in the feed, never delivered by the topic")
                return
    finally:
        consumer.close()


# --- the command line ------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.partner_client",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--token", help="your bearer token (default: PARTNER_TOKEN); see `make token`")
    p.add_argument("--audit", default=None, help=f"audit's gRPC address (default PARTNER_AUDIT or {DEFAULT_AUDIT})")
    p.add_argument("--cases", default=None, help=f"cases' gRPC address (default {DEFAULT_CASES})")
    p.add_argument("--sanctions", default=None, help=f"sanctions' gRPC address (default {DEFAULT_SANCTIONS})")
    p.add_argument("--ca-file", type=Path, help="CA certificate (PEM): connect over TLS")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call (default 10)")
    p.add_argument("--keys", type=Path, default=Path("partner-keys.json"), help="the pinned keys' file")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("keys", help="fetch the ledger's and the feeds' verifier keys (ListPublicKeys) and pin them")

    f = sub.add_parser("follow", help="follow, verify, print and acknowledge your agency's feed")
    f.add_argument("--agency", required=True, help="your agency (the token's), e.g. archives")
    f.add_argument("--grpc", action="store_true", help="read PartnerFeedService.Subscribe instead of Kafka")
    f.add_argument("--bootstrap", default=None, help=f"Kafka (default KAFKA_BOOTSTRAP_SERVERS or {DEFAULT_BOOTSTRAP})")
    f.add_argument("--topic-prefix", default=None, help="the platform's TOPIC_PREFIX (default: its env or none)")
    f.add_argument("--group", default=None, help="Kafka consumer group (default partner-<agency>)")
    f.add_argument(
        "--state", type=Path, default=None, help="where the next position is kept (default partner-<agency>.state.json)"
    )
    f.add_argument(
        "--wait-checkpoint", type=float, default=60.0, help="seconds to wait for a checkpoint covering an entry"
    )
    f.add_argument("--no-ack", action="store_true", help="verify and print only, acknowledge nothing")
    f.add_argument("--until-caught-up", action="store_true", help="stop at the feed's end (default: follow forever)")

    reports.add_parsers(sub)
    return p


def connection(args, env) -> Connection:
    token = args.token or env.get("PARTNER_TOKEN")
    if not token:
        raise Usage("a token is required: --token or PARTNER_TOKEN (issue one with `make token`)")
    return Connection(
        token=token,
        audit=args.audit or env.get("PARTNER_AUDIT") or DEFAULT_AUDIT,
        cases=args.cases or env.get("PARTNER_CASES") or DEFAULT_CASES,
        sanctions=args.sanctions or env.get("PARTNER_SANCTIONS") or DEFAULT_SANCTIONS,
        ca_file=args.ca_file,
        timeout=args.timeout,
    )


def run(args, conn: Connection, env) -> int:
    if args.command == "keys":
        keys = fetch_keys(conn)
        args.keys.write_text(keys.dump())
        print(f"ledger  {keys.ledger_key}")
        for agency, (key, _) in sorted(keys.feeds.items()):
            print(f"{agency:<24}{key}")
        print(f"pinned in {args.keys}: compare them with your onboarding papers", file=sys.stderr)
        return 0
    if args.command == "follow":
        from kernel.messaging.topics import partner_topic

        keys = PinnedKeys.load(args.keys)
        state = State.load(args.state or Path(f"partner-{args.agency}.state.json"), args.agency)
        follower = Follower(conn, Verifier(conn, keys, args.agency, args.wait_checkpoint), state, ack=not args.no_ack)
        if args.grpc:
            follow_grpc(conn, follower, args.until_caught_up)
        else:
            prefix = args.topic_prefix if args.topic_prefix is not None else env.get("TOPIC_PREFIX", "")
            bootstrap = args.bootstrap or env.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP
            group = args.group or f"partner-{args.agency}"
            follow_kafka(follower, bootstrap, partner_topic(args.agency, prefix), group, args.until_caught_up)
        print(
            f"{follower.processed} entries processed, next position {state.next}, {follower.refused} refused",
            file=sys.stderr,
        )
        return 1 if follower.refused else 0
    if args.command in reports.REPORTS:
        print(reports.REPORTS[args.command](conn, args))
        return 0
    raise Usage(f"unknown command {args.command}")


def main(argv: Iterable[str] | None = None, env=os.environ) -> int:
    args = parser().parse_args(argv)
    try:
        conn = connection(args, env)
    except Usage as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        return run(args, conn, env)
    except (Usage, reports.ReportUsage) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Refused as e:
        print(f"REFUSED: {e}", file=sys.stderr)
        return 1
    except grpc.RpcError as e:
        print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
