"""What the benchmark scripts share: their command line, the registry of their throwaway database, a free port.

They run as scripts (``./dev bench``), each on a database of its own that ``./dev`` made for it.
"""

import argparse
import socket

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
