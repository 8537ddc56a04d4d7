"""A 100,000-contact e-mail log through HTTP on Odoo run as in production, with a cron worker killed mid-way.

``./dev bench workers`` runs it in a throwaway database: it builds the contacts, starts Odoo with HTTP
workers, a cron worker and ``limit_time_real = 120``, and, as a *Campaigns / User* over JSON-RPC, builds the
segment with Add Contacts and logs it with its e-mails. It checks that:

- the log request returns in under 5 seconds (the e-mails are put in the mail queue in the background);
- the delivery cron puts every e-mail in the mail queue, batch by batch, while the bench polls the database;
- a cron worker killed (SIGKILL) in the middle of the delivery loses nothing and duplicates nothing: at the
  end there is exactly one queued ``mail.mail`` per interaction and none without one.

``--cron-threads 1,2`` runs it once per number of cron workers, in the same database, and compares their delivery
times: each cron worker runs a delivery lane of its own (``ir.cron`` records calling ``_cron_deliver``) on the
same log. ``--kill-at 0`` kills no worker.

    ./dev bench workers [--contacts 100000] [--kill-at 0.3] [--timeout 900] [--cron-threads 1,2]
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
from bench_common import bench_parser, free_port, open_registry

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


def build(env, contacts):
    """Contacts with an e-mail address in a mailing group, a campaign user, and the mail queue's cron stopped
    (this bench measures putting the e-mails in the queue, not sending them)."""
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
            "groups_id": [(6, 0, env.ref("sales_campaign.group_sales_campaign_user").ids)],
        }
    )
    env.ref("mail.ir_cron_mail_scheduler_action").active = False
    # The delivery lanes only queue the e-mails too (they send them by default).
    env["ir.config_parameter"].set_param("sales_campaign.lanes_send_emails", "False")
    env.cr.commit()
    return group, user


def cron_worker_pids(server):
    """The cron workers among the children of the Odoo server: Odoo lowers their priority (``nice 10``)."""
    return [child.pid for child in psutil.Process(server.pid).children() if child.nice() == 10]


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--kill-at", type=float, default=0.3, help="share of the e-mails queued when the cron worker is killed"
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds to wait for the delivery")
    parser.add_argument(
        "--cron-threads",
        default="1",
        help="cron workers of the server, one run each, in the same database (1,2: the delivery lanes compared)",
    )
    args = parser.parse_args()
    registry = open_registry(args)
    config = odoo.tools.config
    dsn = {"host": config["db_host"], "port": config["db_port"], "user": config["db_user"]}
    if config["db_password"]:
        dsn["password"] = config["db_password"]

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        start = time.perf_counter()
        group, user = build(env, args.contacts)
        template_id = env.ref("sales_campaign.sales_interaction_template_business_letter").id
        group_id, login = group.id, user.login
        print(
            f"{'build ' + format(args.contacts, ',') + ' contacts':<40} {time.perf_counter() - start:8.2f} s",
            flush=True,
        )

    results = {}
    for cron_threads in [int(n) for n in args.cron_threads.split(",")]:
        results[cron_threads] = run(args, dsn, login, group_id, template_id, cron_threads)
    if len(results) > 1:
        base = next(iter(results))
        for cron_threads, (_ok, seconds) in results.items():
            print(
                f"{format(cron_threads) + ' cron worker(s), from the first e-mail':<40} {seconds:8.2f} s  "
                f"({results[base][1] / seconds:.2f} times as fast as with {base})"
            )
    return 0 if all(ok for ok, _seconds in results.values()) else 1


def run(args, dsn, login, group_id, template_id, cron_threads):
    """Odoo with ``cron_threads`` cron workers on the database: a segment of every contact logged over HTTP and
    delivered in the background (a cron worker killed at ``--kill-at``). Returns whether every e-mail was
    queued once, and the delivery time."""
    port = free_port()
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
        f"--max-cron-threads={cron_threads}",
        "--limit-time-real=120",
        "--limit-time-cpu=60",
        "--limit-time-real-cron=120",
        "--log-level=warn",
    ]
    server_log = open("/tmp/bench_workers_odoo.log", "w")  # noqa: SIM115 (closed with the server, below)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=server_log)
    try:
        url = f"http://127.0.0.1:{port}"
        for _attempt in range(120):
            try:
                urllib.request.urlopen(url + "/web/login", timeout=5)
                break
            except OSError:
                time.sleep(1)
        print(
            f"Odoo with {args.workers} HTTP workers and {cron_threads} cron worker(s), limit_time_real = 120 s, "
            f"on port {port}"
        )
        client = Client(url)
        client.post("/web/session/authenticate", {"db": args.database, "login": login, "password": login})
        segment_id = client.call(
            "sales.segment",
            "create",
            {
                "description": f"Office Futurus visitors ({cron_threads} cron workers)",
                "template_id": template_id,
                "correspondence_type": "email",
                "ignore_contact_correspondence_type": True,
            },
        )
        wizard_id = client.call(
            "sales.segment.contacts.wizard",
            "create",
            {"segment_id": segment_id, "mode": "add", "mailing_group_ids": [(6, 0, [group_id])]},
        )
        start = time.perf_counter()
        client.call("sales.segment.contacts.wizard", "action_apply", [wizard_id])
        print(f"{'Add Contacts (HTTP request)':<40} {time.perf_counter() - start:8.2f} s", flush=True)
        wizard_id = client.call(
            "sales.segment.log.wizard", "create", {"segment_id": segment_id, "send_attachments": True}
        )
        start = time.perf_counter()
        action = client.call("sales.segment.log.wizard", "action_log", [wizard_id])
        log_seconds = time.perf_counter() - start
        logged_id = action["params"]["next"]["res_id"]
        print(
            f"{'Log with e-mails (HTTP request)':<40} {log_seconds:8.2f} s  "
            f"(target < 5 s: {'ok' if log_seconds < 5 else 'OVER'})",
            flush=True,
        )

        killed = first_queued = None
        start = time.perf_counter()
        with psycopg2.connect(**dsn, dbname=args.database) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                while time.perf_counter() - start < args.timeout:
                    cr.execute(
                        """SELECT count(*) FILTER (WHERE delivery_status = 'queued'), count(*)
                             FROM sales_interaction_log WHERE logged_segment_id = %s""",
                        (logged_id,),
                    )
                    queued, total = cr.fetchone()
                    if queued and first_queued is None:
                        first_queued = time.perf_counter()
                    if args.kill_at > 0 and not killed and total and queued >= args.kill_at * total:
                        pids = cron_worker_pids(server)
                        if pids:
                            os.kill(pids[0], signal.SIGKILL)
                            killed = (pids[0], queued)
                            print(
                                f"{'killed the cron worker ' + str(pids[0]):<40} "
                                f"{time.perf_counter() - start:8.2f} s  at {queued:,} of {total:,} queued",
                                flush=True,
                            )
                    cr.execute("SELECT state FROM sales_logged_segment WHERE id = %s", (logged_id,))
                    if cr.fetchone()[0] == "done":
                        break
                    time.sleep(1)
                end = time.perf_counter()
                delivery_seconds = end - start
                # From the first e-mail queued: without the wait for a cron worker to take the job (a worker busy
                # or asleep until it next polls the database).
                working_seconds = end - (first_queued or start)
                cr.execute(
                    """SELECT count(*), count(DISTINCT entry.partner_id), count(DISTINCT entry.mail_mail_id),
                              count(*) FILTER (WHERE entry.delivery_status = 'queued')
                         FROM sales_interaction_log AS entry WHERE entry.logged_segment_id = %s""",
                    (logged_id,),
                )
                entries, partners, mails, queued = cr.fetchone()
                cr.execute(
                    """SELECT count(*) FROM mail_mail AS mail
                         JOIN mail_message AS message ON message.id = mail.mail_message_id
                        WHERE message.model = 'res.partner' AND mail.email_to LIKE '%%@fair.example>'
                          AND NOT EXISTS (SELECT 1 FROM sales_interaction_log AS entry
                                           WHERE entry.mail_mail_id = mail.id)"""
                )
                orphans = cr.fetchone()[0]
        print(
            f"{'delivery in the background':<40} {delivery_seconds:8.2f} s  "
            f"({entries / delivery_seconds:.0f} e-mails a second"
            f"{', the killed worker restarted included' if killed else ''})",
            flush=True,
        )
        print(f"{'... from the first e-mail queued':<40} {working_seconds:8.2f} s", flush=True)
        print(
            f"interactions {entries:,}, contacts {partners:,}, e-mails queued {queued:,}, "
            f"distinct mail.mail {mails:,}, "
            f"mail.mail without interaction {orphans}"
        )
        ok = entries == partners == mails == queued == args.contacts and not orphans and log_seconds < 5
        ok = ok and (killed or args.kill_at <= 0)
        done = "every e-mail queued once" + (", nothing lost after the killed worker" if killed else "")
        print("RESULT:", done if ok else "FAILED")
        return ok, working_seconds
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()


if __name__ == "__main__":
    sys.exit(main())
