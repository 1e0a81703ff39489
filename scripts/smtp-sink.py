#!/usr/bin/env python3
"""A real SMTP server for Rasd's mail tests, built on aiosmtpd (Debian: python3-aiosmtpd).

Listens on 127.0.0.1:PORT and writes every message it accepts into DIR: the raw message as
<stamp>.eml and its envelope (sender, recipients) as <stamp>.json, each written to a
temporary name first and renamed, so a reader never sees half a message. Recipients whose
address starts with "reject" are refused with 550 (a permanent failure). With --auth
USER:PASSWORD, clients must log in (PLAIN or LOGIN, allowed without TLS: loopback only).
Prints "ready" on standard output once it accepts connections; stops on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import time
import warnings

# Log-in without TLS is what this loopback test server is for: no warnings about it.
warnings.simplefilter("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        stamp = f"{time.time_ns()}-{os.getpid()}-{next(self.count)}"
        for name, data in (
            (stamp + ".eml", envelope.original_content or envelope.content),
            (stamp + ".json", json.dumps({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "auth": bool(session.authenticated),
            }).encode()),
        ):
            tmp = os.path.join(self.folder, "." + name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, os.path.join(self.folder, name))
        return "250 Message accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--auth", help="USER:PASSWORD required to send")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def check(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok)

        kwargs = dict(authenticator=check, auth_required=True, auth_require_tls=False)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
