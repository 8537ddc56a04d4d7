"""E-mail logs through HTTP on Odoo run as in production: one or several Odoo servers on one database.

``./dev bench workers`` runs it in a throwaway database (sales_campaign and mass_mailing): it builds the
contacts, starts Odoo servers on the database, each with HTTP workers, its cron worker(s) and
``limit_time_real = 120``, and, as a *Campaigns / User* over JSON-RPC, builds the segment with Add Contacts
and logs it with its e-mails. Each delivery lane (an ``ir.cron`` record calling ``_cron_deliver``) runs on one
cron worker at a time, so that the cron workers of every server deliver one log together. It checks that:

- the log request returns in under 5 seconds (the e-mails are put in the mail queue in the background);
- the cron workers put every e-mail in the mail queue, batch by batch, while the bench polls the database;
- a cron worker, or a whole server, killed (SIGKILL) in the middle of the delivery loses nothing and duplicates
  nothing: at the end there is exactly one queued ``mail.mail`` per interaction and none without one.

``--servers 1,2`` runs once per number of servers (each with ``--cron-threads`` cron workers), in the same
database, and compares their delivery times. ``--kill server`` kills a whole server (its master and all its
workers, as a machine that fails) instead of one cron worker; the other servers go on alone (a single server
is started again). ``--kill-at 0`` kills nothing.

From Log to the recipient (``--send``): the lanes send the e-mails they queue (Odoo's ``mail.mail.send``) to an
SMTP sink on 127.0.0.1 (``smtp_sink.py``), and the bench times from the Log request to the last e-mail the
sink accepted; ``--email-marketing`` then has Odoo Email Marketing send the same contacts through the same
servers (its mailing put in its queue, composed by its queue cron, sent by Odoo's mail queue cron), timed the
same way. Odoo runs the mail queue cron once an hour; the bench triggers it every 2 seconds while the mailing
has e-mails waiting, as if it always ran at once (the best Email Marketing can do). The sink counts the
Message-Ids: an e-mail accepted twice fails the run.

    ./dev bench workers [--contacts 100000] [--servers 1] [--cron-threads 1] [--workers 2]
                        [--kill cron-worker|server] [--kill-at 0.3] [--timeout 900] [--send] [--email-marketing]
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar

import psutil
import psycopg2
from bench_common import Sink, bench_parser, free_port, open_registry
from bench_delivery import BODIES

import odoo
from odoo.tools import SQL


class Client:
    """JSON-RPC as the web client speaks it, with a session cookie."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def post(self, path, params, timeout=300):
        data = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode()
        request = urllib.request.Request(self.url + path, data, {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=timeout) as response:
            body = json.load(response)
        if "error" in body:
            raise RuntimeError(body["error"]["data"]["message"])
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


class Servers:
    """``count`` Odoo servers on the database, each with HTTP workers and ``cron_threads`` cron workers, as in
    production (``limit_time_real`` 120 s for requests and cron jobs)."""

    def __init__(self, args, count, cron_threads):
        self.args, self.cron_threads = args, cron_threads
        self.processes, self.urls, self.logs = [], [], []
        for index in range(count):
            self.start(index)
        for url in self.urls:
            for _attempt in range(120):
                try:
                    urllib.request.urlopen(url + "/web/login", timeout=5)
                    break
                except OSError:
                    time.sleep(1)
        print(
            f"{count} Odoo server(s) on the database, each with {args.workers} HTTP workers and {cron_threads} cron "
            f"worker(s), limit_time_real = 120 s",
            flush=True,
        )

    def start(self, index):
        args, port = self.args, free_port()
        command = [
            sys.executable,
            args.odoo_bin,
            "-c",
            args.config,
            "-d",
            args.database,
            f"--db-filter=^{args.database}$",
            f"--http-port={port}",
            f"--gevent-port={free_port()}",
            f"--workers={args.workers}",
            f"--max-cron-threads={self.cron_threads}",
            "--limit-time-real=120",
            "--limit-time-cpu=60",
            "--limit-time-real-cron=120",
            "--log-level=warn",
        ]
        log = open(f"/tmp/bench_workers_odoo_{index}.log", "a")  # noqa: SIM115 (closed with the servers, in stop)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        if index < len(self.processes):
            self.processes[index], self.urls[index], self.logs[index] = process, f"http://127.0.0.1:{port}", log
        else:
            self.processes.append(process)
            self.urls.append(f"http://127.0.0.1:{port}")
            self.logs.append(log)

    def cron_worker_pids(self):
        """The cron workers among the children of the servers: Odoo lowers their priority (``nice 10``)."""
        pids = []
        for process in self.processes:
            if process.poll() is None:
                pids += [child.pid for child in psutil.Process(process.pid).children() if child.nice() == 10]
        return pids

    def kill(self, what):
        """Kill (SIGKILL) a cron worker, or a whole server (the last one: its master and every worker, as a
        machine that fails). A single server killed is started again, as its administrator would; a killed cron
        worker is replaced by its server. Returns what was killed."""
        if what == "cron-worker":
            pids = self.cron_worker_pids()
            if not pids:
                return None
            os.kill(pids[0], signal.SIGKILL)
            return f"the cron worker {pids[0]}"
        index = len(self.processes) - 1
        master = psutil.Process(self.processes[index].pid)
        for process in [master, *master.children(recursive=True)]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        self.processes[index].wait()
        if len(self.processes) == 1:
            self.start(index)
        return f"the server {index + 1} (its master and all its workers)"

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()


def build(env, contacts, send):
    """Contacts with an e-mail address in a mailing group, a campaign user, a text to send, and the mail queue:
    to the SMTP sink with ``send``, else stopped (the bench measures putting the e-mails in the queue)."""
    cr = env.cr
    group = env["sales.mailing.group"].create({"code": "WORKERS", "name": "Workers benchmark"})
    env.flush_all()
    cr.execute(
        SQL(
            """INSERT INTO res_partner (name, complete_name, is_company, type, active, partner_share, lang, email,
                                        email_normalized, autopost_bills, create_date, write_date)
               SELECT 'Visitor ' || n, 'Visitor ' || n, FALSE, 'contact', TRUE, TRUE, 'en_US',
                      'visitor' || n || '@fair.example', 'visitor' || n || '@fair.example', 'ask', now(), now()
                 FROM generate_series(1, %s) AS n""",
            contacts,
        )
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    cr.execute(
        SQL(
            """INSERT INTO res_partner_sales_mailing_group_rel (partner_id, mailing_group_id)
               SELECT id, %s FROM res_partner WHERE name ~ '^Visitor '""",
            group.id,
        )
    )
    cr.execute("ANALYZE")
    user = env["res.users"].create(
        {
            "name": "Workers Benchmark Staff",
            "login": "bench.staff",
            "password": "bench.staff",
            "email": "staff@bench.example",
            # the text signs with the user's name: an expression for Mail Template Editors
            "groups_id": [
                (
                    6,
                    0,
                    (
                        env.ref("sales_campaign.group_sales_campaign_user") | env.ref("mail.group_mail_template_editor")
                    ).ids,
                )
            ],
        }
    )
    # The text Email Marketing sends too (bench_delivery.py): the contact's name and the user's.
    template = env["sales.interaction.template"].create(
        {
            "code": "BENCH-WORKERS",
            "name": "Benchmark thank-you",
            "group_id": env.ref("sales_campaign.sales_interaction_group_letter").id,
            "lang_default": "en_US",
            "language_ids": [(0, 0, {"lang": "en_US", "subject": "Thank you", "body_html": BODIES["en_US"]})],
        }
    )
    env.ref("mail.ir_cron_mail_scheduler_action").active = send
    env["ir.config_parameter"].set_param("sales_campaign.lanes_send_emails", str(send))
    env.cr.commit()
    return group, user, template


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers of each server")
    parser.add_argument("--servers", default="1", help="Odoo servers on the database, one run each (1,2: compared)")
    parser.add_argument("--cron-threads", default="1", help="cron workers of each server, one run each (1,2: compared)")
    parser.add_argument("--kill", choices=("cron-worker", "server"), default="cron-worker")
    parser.add_argument(
        "--kill-at", type=float, default=0.3, help="share of the e-mails delivered when the kill comes (0: none)"
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for a delivery")
    parser.add_argument("--send", action="store_true", help="the lanes send to an SMTP sink: Log to the recipient")
    parser.add_argument(
        "--email-marketing", action="store_true", help="with --send: Email Marketing sends the same, each run"
    )
    args = parser.parse_args()
    registry = open_registry(args)
    config = odoo.tools.config
    dsn = {"host": config["db_host"], "port": config["db_port"], "user": config["db_user"]}
    if config["db_password"]:
        dsn["password"] = config["db_password"]

    sink = Sink() if args.send else None
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            start = time.perf_counter()
            group, user, template = build(env, args.contacts, args.send)
            if sink:
                sink.use_in(env)
                cr.commit()
            setup = {"group_id": group.id, "login": user.login, "template_id": template.id, "user_id": user.id}
            print(
                f"{'build ' + format(args.contacts, ',') + ' contacts':<44} {time.perf_counter() - start:8.2f} s",
                flush=True,
            )

        results = {}
        for servers in [int(n) for n in args.servers.split(",")]:
            for cron_threads in [int(n) for n in args.cron_threads.split(",")]:
                running = Servers(args, servers, cron_threads)
                try:
                    results[servers, cron_threads] = run(args, dsn, setup, running, sink)
                    if args.email_marketing and sink:
                        results[servers, cron_threads]["marketing"] = email_marketing(args, registry, dsn, setup, sink)
                finally:
                    running.stop()
    finally:
        if sink:
            sink.stop()

    print()
    base = next(iter(results))
    for (servers, cron_threads), result in results.items():
        label = f"{servers} server(s) x {cron_threads} cron worker(s)"
        line = f"{label:<36} {result['seconds']:8.2f} s from the first e-mail"
        if len(results) > 1:
            line += f" ({results[base]['seconds'] / result['seconds']:.2f} times as fast as {base[0]} x {base[1]})"
        print(line)
        if "end_to_end" in result:
            line = f"{'':<36} {result['end_to_end']:8.2f} s from Log to the last e-mail accepted"
            if "marketing" in result:
                marketing = result["marketing"]
                line += (
                    f"; Email Marketing {marketing:.2f} s: the module {marketing / result['end_to_end']:.2f} times "
                    "as fast"
                )
            print(line)
    return 0 if all(result["ok"] for result in results.values()) else 1


def run(args, dsn, setup, servers, sink):
    """A segment of every contact logged over HTTP and delivered in the background by the servers' cron workers
    (one killed at ``--kill-at``). Returns whether every e-mail was queued (sent, with ``--send``) once, and
    the times."""
    client = Client(servers.urls[0])
    client.post("/web/session/authenticate", {"db": args.database, "login": setup["login"], "password": setup["login"]})
    segment_id = client.call(
        "sales.segment",
        "create",
        {
            "description": f"Office Futurus visitors ({len(servers.processes)} servers)",
            "template_id": setup["template_id"],
            "correspondence_type": "email",
            "ignore_contact_correspondence_type": True,
        },
    )
    wizard_id = client.call(
        "sales.segment.contacts.wizard",
        "create",
        {"segment_id": segment_id, "mode": "add", "mailing_group_ids": [(6, 0, [setup["group_id"]])]},
    )
    start = time.perf_counter()
    client.call("sales.segment.contacts.wizard", "action_apply", [wizard_id])
    print(f"{'Add Contacts (HTTP request)':<44} {time.perf_counter() - start:8.2f} s", flush=True)
    wizard_id = client.call("sales.segment.log.wizard", "create", {"segment_id": segment_id, "send_attachments": True})
    accepted_before = len(sink.lines()) if sink else 0
    start, start_clock = time.perf_counter(), time.time()
    action = client.call("sales.segment.log.wizard", "action_log", [wizard_id])
    log_seconds = time.perf_counter() - start
    logged_id = action["params"]["next"]["res_id"]
    print(
        f"{'Log with e-mails (HTTP request)':<44} {log_seconds:8.2f} s  "
        f"(target < 5 s: {'ok' if log_seconds < 5 else 'OVER'})",
        flush=True,
    )

    delivered_status = ("sent",) if sink else ("queued",)
    killed = first_delivered = None
    with psycopg2.connect(**dsn, dbname=args.database) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            while time.perf_counter() - start < args.timeout:
                cr.execute(
                    """SELECT count(*) FILTER (WHERE delivery_status IN ('queued', 'sent')),
                              count(*) FILTER (WHERE delivery_status IN %s), count(*)
                         FROM sales_interaction_log WHERE logged_segment_id = %s""",
                    (delivered_status, logged_id),
                )
                queued, delivered, total = cr.fetchone()
                if queued and first_delivered is None:
                    first_delivered = time.perf_counter()
                if args.kill_at > 0 and not killed and total and queued >= args.kill_at * total:
                    killed = servers.kill(args.kill)
                    if killed:
                        print(
                            f"{'killed ' + killed:<44} {time.perf_counter() - start:8.2f} s  "
                            f"at {queued:,} of {total:,} queued",
                            flush=True,
                        )
                cr.execute("SELECT state FROM sales_logged_segment WHERE id = %s", (logged_id,))
                if cr.fetchone()[0] == "done" and delivered == total:
                    break
                time.sleep(1)
            end = time.perf_counter()
            delivery_seconds = end - start
            # From the first e-mail queued: without the wait for a cron worker to take the job (a worker busy or
            # asleep until it next polls the database).
            working_seconds = end - (first_delivered or start)
            cr.execute(
                """SELECT count(*), count(DISTINCT entry.partner_id), count(DISTINCT entry.mail_mail_id),
                          count(*) FILTER (WHERE entry.delivery_status IN %s)
                     FROM sales_interaction_log AS entry WHERE entry.logged_segment_id = %s""",
                (delivered_status, logged_id),
            )
            entries, partners, mails, delivered = cr.fetchone()
            cr.execute(
                """SELECT count(*) FROM mail_mail AS mail
                     JOIN mail_message AS message ON message.id = mail.mail_message_id
                    WHERE message.model = 'res.partner' AND mail.mailing_id IS NULL
                      AND mail.email_to LIKE '%%@fair.example>'
                      AND NOT EXISTS (SELECT 1 FROM sales_interaction_log AS entry
                                       WHERE entry.mail_mail_id = mail.id)"""
            )
            orphans = cr.fetchone()[0]
    kind = "sent" if sink else "queued"
    print(
        f"{'delivery in the background':<44} {delivery_seconds:8.2f} s  "
        f"({entries / delivery_seconds:.0f} e-mails {kind} a second"
        f"{', the kill included' if killed else ''})",
        flush=True,
    )
    print(f"{'... from the first e-mail queued':<44} {working_seconds:8.2f} s", flush=True)
    print(
        f"interactions {entries:,}, contacts {partners:,}, e-mails {kind} {delivered:,}, distinct mail.mail "
        f"{mails:,}, mail.mail without interaction {orphans}",
        flush=True,
    )
    result = {"seconds": working_seconds}
    ok = entries == partners == mails == delivered == args.contacts and not orphans and log_seconds < 5
    ok = ok and bool(killed or args.kill_at <= 0)
    if sink:
        lines = until_accepted(sink, accepted_before, args.contacts, args.timeout)
        result["end_to_end"] = max(float(line[0]) for line in lines) - start_clock
        twice = len(lines) - len({line[2] for line in lines})
        print(
            f"{'Log to the last e-mail accepted':<44} {result['end_to_end']:8.2f} s  "
            f"({len(lines):,} accepted by the SMTP sink, {len({line[1] for line in lines}):,} recipients, "
            f"{twice} twice)",
            flush=True,
        )
        ok = ok and len(lines) == args.contacts and not twice
    done = f"every e-mail {kind} once" + (", nothing lost after the kill" if killed else "")
    print("RESULT:", done if ok else "FAILED", flush=True)
    result["ok"] = ok
    return result


def until_accepted(sink, before, size, timeout):
    """The e-mails the sink accepted after its first ``before``, once ``size`` are there (and a few seconds more,
    so that one sent twice would show)."""
    deadline = time.time() + timeout
    while len(sink.lines()) < before + size and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    return sink.lines()[before:]


def email_marketing(args, registry, dsn, setup, sink):
    """Odoo Email Marketing sending the same contacts through the same servers: a mailing put in its queue (as
    its *Send* button does), composed by its queue cron, sent by Odoo's mail queue cron, which the bench triggers
    every 2 seconds while e-mails of the mailing wait. Returns the seconds from the click to the last accepted."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        mailing = env["mailing.mailing"].create(
            {
                "subject": "Thank you",
                "body_arch": BODIES["en_US"],
                "body_html": BODIES["en_US"],
                "mailing_model_id": env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("name", "=like", "Visitor %")]),
                "email_from": "staff@bench.example",
                "keep_archives": True,
                "user_id": setup["user_id"],
            }
        )
        cr.commit()
        accepted_before = len(sink.lines())
        start = time.time()
        mailing.action_put_in_queue()
        cr.commit()
        mail_cron = env.ref("mail.ir_cron_mail_scheduler_action")
        queued = None
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            cr.execute(
                SQL(
                    "SELECT count(*) FILTER (WHERE state = 'outgoing'), count(*) FROM mail_mail WHERE mailing_id = %s",
                    mailing.id,
                )
            )
            outgoing, made = cr.fetchone()
            env.invalidate_all()
            if queued is None and mailing.state == "done":
                queued = time.time() - start
            if outgoing:
                mail_cron._trigger()
            cr.commit()
            if queued is not None and made and not outgoing:
                break
            time.sleep(2)
    lines = until_accepted(sink, accepted_before, args.contacts, max(deadline - time.time(), 1))
    seconds = max(float(line[0]) for line in lines) - start
    twice = len(lines) - len({line[2] for line in lines})
    print(
        f"{'Email Marketing: Send to the last accepted':<44} {seconds:8.2f} s  "
        f"({len(lines):,} accepted, {twice} twice; all in the queue after {queued or 0:.2f} s)",
        flush=True,
    )
    return seconds


if __name__ == "__main__":
    sys.exit(main())
