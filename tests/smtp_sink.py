"""An SMTP server on 127.0.0.1 that accepts every e-mail and writes down when: ``smtp_sink.py PORT FILE``.

``bench_delivery.py`` runs it in a process of its own (so that it takes nothing from the process it times) and
reads FILE: one line per e-mail accepted, the time it was accepted (``time.time()``).
"""

import sys
import threading
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        self.out.write(f"{time.time()}\n")
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
