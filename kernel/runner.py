"""`make run`: the whole platform on one machine.

With no DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS it starts embedded PostgreSQL and the embedded
broker under the data folder (DATA_DIR, default ./.data); then the four services, each in its
own process, and prints where each listens. Ctrl-C stops everything.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kernel import tokens
from kernel.embedded import EmbeddedBroker, EmbeddedPostgres
from kernel.settings import DEFAULT_PORTS, SERVICES


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="make run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".data"), help="data folder (default .data)")
    p.add_argument("--pg-port", type=int, default=int(os.environ.get("EMBEDDED_PG_PORT", "55432")),
                   help="embedded PostgreSQL port (default 55432)")
    p.add_argument("--kafka-port", type=int, default=int(os.environ.get("EMBEDDED_KAFKA_PORT", "59092")),
                   help="embedded broker port (default 59092)")
    return p.parse_args(argv)


def say(msg: str) -> None:
    print(f"[run] {msg}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    data = Path(args.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DATA_DIR=str(data))
    pg = broker = None
    if not env.get("DATABASE_URL") and not any(env.get(f"{s.upper()}_DATABASE_URL") for s in SERVICES):
        pg = EmbeddedPostgres(data / "postgres", port=args.pg_port).start()
        env["DATABASE_URL"] = pg.url
        say(f"embedded PostgreSQL  {pg.url}  (data {pg.data_dir})")
    if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
        broker = EmbeddedBroker(port=args.kafka_port).start(log_path=data / "broker.log")
        env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
        say(f"embedded broker      {broker.bootstrap}  (memory only; the relays republish from PostgreSQL)")
    if not env.get("TOKEN_PUBLIC_KEY_FILES"):   # create the platform key once, before the services race for it
        key_file = Path(env.get("TOKEN_SIGNING_KEY_FILE") or data / "keys" / "token-signing.key")
        tokens.load_or_create_private_key(key_file)
        say(f"token signing key    {key_file}  (public half: {key_file.with_suffix('.pub')})")
    if env.get("PLATFORM_TEST_MODE") in ("1", "true", "yes"):
        say("TEST MODE: service clocks may be moved through control.v1.ControlService; never in production")
    procs = {s: subprocess.Popen([sys.executable, "-m", f"services.{s}.main"], env=env) for s in SERVICES}
    for s in SERVICES:
        port = env.get(f"{s.upper()}_GRPC_PORT", DEFAULT_PORTS[s])
        say(f"{s:<10} gRPC  {env.get('GRPC_HOST', '127.0.0.1')}:{port}")
    say("get a token: make token ARGS='issue --agency commission --office case_management "
        "--role case_manager --user <your id>'  (send as `authorization: Bearer <token>`)")
    say("Ctrl-C stops everything")
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(1))
    while not stopping and all(p.poll() is None for p in procs.values()):
        time.sleep(0.5)
    say("stopping")
    failed = [s for s, p in procs.items() if p.poll() not in (None, 0)]
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
    if broker:
        broker.stop()
    if pg:
        pg.stop()
    say("stopped" + (f"; {', '.join(failed)} exited with an error" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
