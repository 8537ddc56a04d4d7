"""An SMTP server on 127.0.0.1 that accepts every e-mail and writes down when: ``smtp_sink.py PORT FILE``.

The benchmarks run it in a process of its own (so that it takes nothing from the process they time) and read
FILE: one line per e-mail accepted, the time it was accepted (``time.time()``), its recipients and its
Message-Id, separated by tabs (an e-mail sent twice shows as its Message-Id twice).
"""

import re
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        found = re.search(rb"^Message-Id:\s*(\S+)", envelope.content, re.IGNORECASE | re.MULTILINE)
        message_id = found.group(1).decode("ascii", "replace") if found else ""
        self.out.write(f"{time.time()}\t{','.join(envelope.rcpt_tos)}\t{message_id}\n")
        self.out.flush()
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", encoding="ascii") as out:
        controller = Controller(Handler(out), hostname="127.0.0.1", port=port)
        controller.start()
        print("ready", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
