"""What the benchmark scripts share: their command line, the registry of their throwaway database, a free port.

They run as scripts (``./dev bench``), each on a database of its own that ``./dev`` made for it.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile

import odoo


def bench_parser(doc):
    """The command line of a benchmark: the Odoo configuration and the database, then its own options."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    return parser


def open_registry(args):
    """Odoo configured from ``args`` (warnings and errors only), and the registry of its database."""
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    return odoo.modules.registry.Registry(args.database)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """The SMTP sink (``smtp_sink.py``, a process of its own) and what it accepted."""

    def __init__(self):
        self.port = free_port()
        handle, self.path = tempfile.mkstemp(prefix="smtp_sink_", suffix=".log")
        os.close(handle)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtp_sink.py")
        self.process = subprocess.Popen([sys.executable, script, str(self.port), self.path], stdout=subprocess.PIPE)
        assert self.process.stdout.readline().strip() == b"ready", "the SMTP sink did not start"

    def use_in(self, env):
        """Point Odoo's outgoing mail at the sink (committed by the caller)."""
        env["ir.mail_server"].search([]).active = False
        env["ir.mail_server"].create(
            {"name": "SMTP sink", "smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_encryption": "none"}
        )

    def stop(self):
        self.process.terminate()
        self.process.wait()
        os.unlink(self.path)

    def lines(self):
        """(time, recipients, Message-Id) of each e-mail accepted so far."""
        with open(self.path, encoding="utf-8") as sink:
            return [line.rstrip("\n").split("\t") for line in sink if line.strip()]
