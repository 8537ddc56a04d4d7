"""Benchmark of the delivery of logged segments, side by side with Odoo Email Marketing, in one run.

``./dev bench delivery`` runs it in a throwaway database holding sales_campaign and mass_mailing. For
1,000 and 10,000 contacts (half Dutch, half English, each language with its own text that signs with
``user.name``), it times, interleaved:

- the module: logging the segment (the request) and the delivery batches the cron runs afterwards, until
  every e-mail is in the mail queue (``mail.mail``);
- Odoo Email Marketing: one mailing per language (its answer to several languages) put in the mail queue
  with ``action_send_mail``, as its queue cron does;

then the same with a text that only uses ``object`` fields (which Odoo fills without QWeb). It prints the
times, the time per e-mail, the ratios module / Email Marketing and 10,000 / 1,000 (10 when linear), and
the printing of letters (pages a second, size of a page, size of the largest PDF part).

From Log to the recipient (``--end-to-end 1000,10000``): Odoo's outgoing mail server points at an SMTP sink
on 127.0.0.1 (``smtp_sink.py``, aiosmtpd, in a process of its own), and for each size the bench times, from
the Log request to the last e-mail the sink accepted, the module (its delivery lane queueing and sending,
called as one cron worker calls it) and Email Marketing sending the same contacts (its mailing put in the
queue, then Odoo's mail queue cron run until the queue is empty), then profiles both at the smallest size
and names where the time goes.

    ./dev bench delivery [--sizes 1000,10000] [--letters 100,1000] [--link] [--end-to-end 1000,10000]
"""

import cProfile
import os
import pstats
import re
import time

from bench_common import Sink, bench_parser, free_port, open_registry

import odoo
from odoo.tools import SQL

BODIES = {
    "en_US": '<p>Dear <t t-out="object.name"/>,</p><p>Thank you for visiting our booth at the Office Futurus '
    "trade show. We are pleased to send you the information you asked for.</p><p>Kind regards,<br/>"
    '<t t-out="user.name"/></p>',
    "nl_NL": '<p>Beste <t t-out="object.name"/>,</p><p>Bedankt voor uw bezoek aan onze stand op de beurs Office '
    "Futurus. Graag sturen wij u de gevraagde informatie.</p><p>Met vriendelijke groet,<br/>"
    '<t t-out="user.name"/></p>',
}


def object_only(body):
    return body.replace('<t t-out="user.name"/>', "The sales team")


LINK = '<p><a href="https://www.example.com/rome-guest-chair">The Rome Guest Chair</a></p>'


def with_link(bodies):
    """The texts with a link each (``--link``): the module tracks it per contact, Email Marketing per mailing."""
    return {lang: body + LINK for lang, body in bodies.items()}


class DeliveryBench:
    def __init__(self, env, user, profile=False):
        self.env = env
        self.user = user
        self.profile = profile
        self.rows = []

    def commit(self):
        self.env.cr.commit()

    def say(self, label, seconds, detail=""):
        print(f"{label:<46} {seconds:8.2f} s  {detail}", flush=True)

    # ------------------------------------------------------------------------------------------------

    def build(self, emails, letters):
        """``emails`` contacts with an address (half nl_NL, half en_US) and ``letters`` with a postal address."""
        env, cr = self.env, self.env.cr
        env["res.lang"]._activate_lang("nl_NL")
        # This bench times putting the e-mails in the mail queue: the delivery lanes only queue them.
        env["ir.config_parameter"].set_param("sales_campaign.lanes_send_emails", "False")
        env.flush_all()
        cr.execute(
            SQL(
                """INSERT INTO res_partner (name, complete_name, is_company, type, active, partner_share, lang, email,
                                            email_normalized, autopost_bills, create_date, write_date)
                   SELECT 'Visitor ' || n, 'Visitor ' || n, FALSE, 'contact', TRUE, TRUE,
                          CASE WHEN mod(n, 2) = 0 THEN 'nl_NL' ELSE 'en_US' END,
                          'visitor' || n || '@fair.example', 'visitor' || n || '@fair.example', 'ask', now(), now()
                     FROM generate_series(1, %s) AS n""",
                emails,
            )
        )
        cr.execute(
            SQL(
                """INSERT INTO res_partner (name, complete_name, is_company, type, active, partner_share, lang, street,
                                            zip, city, country_id, correspondence_type, autopost_bills, create_date,
                                            write_date)
                   SELECT 'Reader ' || n, 'Reader ' || n, FALSE, 'contact', TRUE, TRUE,
                          CASE WHEN mod(n, 2) = 0 THEN 'nl_NL' ELSE 'en_US' END, 'Hoofdstraat ' || n, '1234 AB',
                          'Utrecht', %s, 'hard_copy', 'ask', now(), now()
                     FROM generate_series(1, %s) AS n""",
                env.ref("base.nl").id,
                letters,
            )
        )
        cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
        cr.execute("SELECT id FROM res_partner WHERE name LIKE 'Visitor %' ORDER BY id")
        self.visitors = [row[0] for row in cr.fetchall()]
        cr.execute("SELECT id FROM res_partner WHERE name LIKE 'Reader %' ORDER BY id")
        self.readers = [row[0] for row in cr.fetchall()]
        cr.execute("ANALYZE res_partner")
        env.invalidate_all()
        self.commit()

    def template(self, object_fields_only):
        env = self.env
        code = "BENCH-OBJ" if object_fields_only else "BENCH-USER"
        template = env["sales.interaction.template"].search([("code", "=", code)])
        if not template:
            template = env["sales.interaction.template"].create(
                {
                    "code": code,
                    "name": "Benchmark thank-you",
                    "group_id": env.ref("sales_campaign.sales_interaction_group_letter").id,
                    "lang_default": "en_US",
                    "language_ids": [
                        (
                            0,
                            0,
                            {
                                "lang": lang,
                                "subject": f"Thank you ({lang})",
                                "body_html": object_only(body) if object_fields_only else body,
                            },
                        )
                        for lang, body in BODIES.items()
                    ],
                }
            )
        return template

    # ------------------------------------------------------------------------------------------------

    def module(self, partner_ids, template, correspondence="email"):
        """Log a segment of ``partner_ids`` and run the delivery cron until it is done: (log s, delivery s)."""
        env = self.env(user=self.user)
        campaign = False
        if LINK in BODIES["en_US"]:
            # a campaign's e-mails get their links tracked per contact (only those of a campaign do)
            campaign = env["sales.campaign"].create({"title": "Benchmark delivery"}).id
        segment = env["sales.segment"].create(
            {
                "description": "Benchmark delivery",
                "template_id": template.id,
                "correspondence_type": correspondence,
                "ignore_contact_correspondence_type": True,
                "campaign_id": campaign,
            }
        )
        segment._run_step("add", {"partner_ids": partner_ids})
        self.commit()
        start = time.perf_counter()
        logged = env["sales.logged.segment"]._log_segment(segment, send=True)
        self.commit()
        log_seconds = time.perf_counter() - start
        Cron = self.env["sales.logged.segment"]  # the cron runs as superuser
        profiler = cProfile.Profile() if self.profile else None
        start = time.perf_counter()
        while True:
            if profiler:
                profiler.runcall(Cron._cron_deliver)
            else:
                Cron._cron_deliver()
            self.commit()  # as Odoo's cron runner commits after each call (one batch)
            self.env.invalidate_all()
            if logged.state != "in_progress":
                break
        delivery_seconds = time.perf_counter() - start
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return logged, log_seconds, delivery_seconds

    def email_marketing(self, partner_ids, object_fields_only):
        """One mailing per language, put in the mail queue as Email Marketing's queue cron does."""
        env = self.env(user=self.user)
        self.env.cr.execute(SQL("SELECT id, lang FROM res_partner WHERE id IN %s", tuple(partner_ids)))
        by_lang = {}
        for partner_id, lang in self.env.cr.fetchall():
            by_lang.setdefault(lang, []).append(partner_id)
        mailings = env["mailing.mailing"].create(
            [
                {
                    "subject": f"Thank you ({lang})",
                    "body_arch": object_only(BODIES[lang]) if object_fields_only else BODIES[lang],
                    "body_html": object_only(BODIES[lang]) if object_fields_only else BODIES[lang],
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": repr([("id", "in", ids)]),
                    "email_from": self.user.email_formatted,
                    "keep_archives": True,
                }
                for lang, ids in by_lang.items()
            ]
        )
        self.commit()
        start = time.perf_counter()
        mailings.action_send_mail()
        self.commit()
        seconds = time.perf_counter() - start
        queued = self.env["mail.mail"].search_count([("mailing_id", "in", mailings.ids)])
        assert queued == len(partner_ids), (queued, len(partner_ids))
        return seconds

    def check_queued(self, logged, expected):
        self.env.cr.execute(
            SQL(
                """SELECT count(*), count(DISTINCT entry.partner_id), count(DISTINCT entry.mail_mail_id)
                     FROM sales_interaction_log AS entry JOIN mail_mail AS mail ON mail.id = entry.mail_mail_id
                    WHERE entry.logged_segment_id = %s AND entry.delivery_status = 'queued'""",
                logged.id,
            )
        )
        assert self.env.cr.fetchone() == (expected, expected, expected), "every e-mail queued once"

    def emails(self, sizes):
        results = {}
        for object_fields_only in (False, True):
            kind = "object fields only" if object_fields_only else "user.name in the text"
            template = self.template(object_fields_only)
            for size in sizes:
                partner_ids = self.visitors[:size]
                logged, log_s, delivery_s = self.module(partner_ids, template)
                self.check_queued(logged, size)
                module_s = log_s + delivery_s
                self.say(f"module: log {size:,} e-mails ({kind})", log_s, "the request")
                self.say(
                    "module: queue them in the background", delivery_s, f"{delivery_s / size * 1000:.2f} ms an e-mail"
                )
                marketing_s = self.email_marketing(partner_ids, object_fields_only)
                self.say(
                    f"Email Marketing: queue {size:,} e-mails",
                    marketing_s,
                    f"{marketing_s / size * 1000:.2f} ms an e-mail",
                )
                ratio = marketing_s / module_s
                print(f"{'':<46} module {ratio:5.1f} x faster (log + queue: {module_s:.2f} s)", flush=True)
                results[object_fields_only, size] = (log_s, delivery_s, marketing_s)
        return results

    # ------------------------------------------------------------------------------------------------
    # From Log to the recipient

    def start_sink(self):
        """The SMTP sink, and Odoo's outgoing mail server pointed at it."""
        self.sink = Sink()
        self.sink.use_in(self.env)
        self.commit()

    def stop_sink(self):
        self.sink.stop()

    def accepted(self):
        """The times at which the sink accepted its e-mails, so far."""
        return [float(line[0]) for line in self.sink.lines()]

    def until_accepted(self, before, size, start, timeout=120):
        """Seconds from ``start`` (``time.time()``) to the last of ``size`` e-mails accepted after ``before``."""
        deadline = time.time() + timeout
        while len(self.accepted()) < before + size:
            assert time.time() < deadline, f"{len(self.accepted()) - before} e-mails of {size} reached the sink"
            time.sleep(0.2)
        times = self.accepted()[before:]
        assert len(times) == size, (len(times), size)
        return max(times) - start

    def module_end_to_end(self, partner_ids, template, profiler=None):
        """Log ``partner_ids``, run the delivery lane (queueing and sending) as one cron worker: (total s, log s)."""
        self.env["ir.config_parameter"].set_param("sales_campaign.lanes_send_emails", "True")
        env = self.env(user=self.user)
        segment = env["sales.segment"].create(
            {
                "description": "Benchmark end to end",
                "template_id": template.id,
                "correspondence_type": "email",
                "ignore_contact_correspondence_type": True,
            }
        )
        segment._run_step("add", {"partner_ids": partner_ids})
        self.commit()
        before = len(self.accepted())
        start = time.time()
        logged = env["sales.logged.segment"]._log_segment(segment, send=True)
        self.commit()
        log_seconds = time.time() - start
        Cron = self.env["sales.logged.segment"]
        while True:
            if profiler:
                profiler.runcall(Cron._cron_deliver)
            else:
                Cron._cron_deliver()
            self.commit()
            self.env.invalidate_all()
            if logged.state != "in_progress":
                break
        total = self.until_accepted(before, len(partner_ids), start)
        sent = self.env["sales.interaction.log"].search_count(
            [("logged_segment_id", "=", logged.id), ("delivery_status", "=", "sent")]
        )
        assert sent == len(partner_ids), (sent, len(partner_ids))
        self.env["ir.config_parameter"].set_param("sales_campaign.lanes_send_emails", "False")
        self.commit()
        return total, log_seconds

    def marketing_end_to_end(self, partner_ids, profiler=None):
        """Email Marketing: one mailing (one language) put in the queue, then Odoo's mail queue cron run until
        the queue is empty: (total s, queued s)."""
        env = self.env(user=self.user)
        mailing = env["mailing.mailing"].create(
            {
                "subject": "Thank you",
                "body_arch": BODIES["en_US"],
                "body_html": BODIES["en_US"],
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "in", partner_ids)]),
                "email_from": self.user.email_formatted,
                "keep_archives": True,
            }
        )
        self.commit()
        before = len(self.accepted())
        Mail = self.env["mail.mail"].with_context(filters=[("mailing_id", "=", mailing.id)])

        def run():
            mailing.action_send_mail()
            self.commit()
            queued = time.time() - start
            while Mail.search_count([("mailing_id", "=", mailing.id), ("state", "=", "outgoing")]):
                Mail.process_email_queue()  # as its cron: it commits after each e-mail sent
                self.commit()
            return queued

        start = time.time()
        queued = profiler.runcall(run) if profiler else run()
        return self.until_accepted(before, len(partner_ids), start), queued

    @staticmethod
    def where_time_goes(profiler, total, parts):
        """The profile line: the share of ``total`` in each of ``parts`` ({label: (file end, function)})."""
        stats = pstats.Stats(profiler).stats
        shares = []
        for label, (path, name) in parts.items():
            seconds = max(
                (
                    ct
                    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.items()
                    if file.endswith(path) and func == name
                ),
                default=0.0,
            )
            shares.append(f"{label} {seconds / total * 100:.0f}%")
        own = max(stats.items(), key=lambda item: item[1][2])
        (file, line, func), (_cc, _nc, tt, *_rest) = own
        top = f"{os.path.basename(file)}:{line}({func}) {tt / total * 100:.0f}%"
        return ", ".join(shares) + f"; most own time: {top}"

    def profile_end_to_end(self, size, template):
        """Both at ``size`` again, profiled: the share of queueing, sending and SMTP, and the top function."""
        parts = {
            "queueing (_queue_emails)": ("sales_logged_segment_delivery.py", "_queue_emails"),
            "sending (mail.mail.send)": ("mail/models/mail_mail.py", "send"),
            "SMTP (smtplib sendmail)": ("smtplib.py", "sendmail"),
            "building the e-mails (_prepare_outgoing_list)": ("mail_mail.py", "_prepare_outgoing_list"),
        }
        profiler = cProfile.Profile()
        module_s, _log_s = self.module_end_to_end(self.visitors[:size], template, profiler)
        print(
            f"profile, module, {size:,} e-mails ({module_s:.1f} s profiled): "
            f"{self.where_time_goes(profiler, module_s, parts)}",
            flush=True,
        )
        profiler = cProfile.Profile()
        parts["putting them in the queue (action_send_mail)"] = (
            "mass_mailing/models/mailing.py",
            "action_send_mail",
        )
        marketing_s, _queued = self.marketing_end_to_end(self.visitors[:size], profiler)
        print(
            f"profile, Email Marketing, {size:,} e-mails ({marketing_s:.1f} s profiled): "
            f"{self.where_time_goes(profiler, marketing_s, parts)}",
            flush=True,
        )

    def end_to_end(self, sizes):
        """From Log to the recipient, module and Email Marketing side by side, then their profiles."""
        self.start_sink()
        template = self.template(False)
        results = {}
        try:
            for size in sizes:
                partner_ids = self.visitors[:size]
                module_s, log_s = self.module_end_to_end(partner_ids, template)
                self.say(
                    f"module: Log to last accepted, {size:,} e-mails",
                    module_s,
                    f"{size / module_s:.0f} e-mails a second (request {log_s:.2f} s)",
                )
                marketing_s, queued_s = self.marketing_end_to_end(partner_ids)
                self.say(
                    f"Email Marketing: same, {size:,} e-mails",
                    marketing_s,
                    f"{size / marketing_s:.0f} e-mails a second (queued after {queued_s:.2f} s)",
                )
                print(f"{'':<46} module {marketing_s / module_s:5.1f} x faster end to end", flush=True)
                results[size] = (module_s, marketing_s)
                if size == min(sizes):  # the profile first, at the smallest size (and before the long runs)
                    self.profile_end_to_end(size, template)
        finally:
            self.stop_sink()
        return results

    def letters(self, sizes):
        results = {}
        template = self.template(False)
        for size in sizes:
            logged, log_s, delivery_s = self.module(self.readers[:size], template, correspondence="hard_copy")
            delivery_s += log_s  # small logs print at once, in the request
            parts = logged.letter_attachment_ids
            pages = sum(len(re.findall(rb"/Type\s*/Page[^s]", part.raw)) for part in parts)
            assert pages == size, (pages, size)
            total = sum(parts.mapped("file_size"))
            self.say(
                f"module: log and print {size:,} letters",
                delivery_s,
                f"{size / delivery_s:.1f} pages/s, {total / size / 1024:.1f} KB a page, "
                f"{len(parts)} parts, largest {max(parts.mapped('file_size')) / 1024 / 1024:.1f} MB",
            )
            results[size] = (delivery_s, total)
        return results


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="numbers of e-mails, comma separated")
    parser.add_argument("--letters", default="200,2000", help="numbers of letters, comma separated")
    parser.add_argument("--profile", action="store_true", help="profile the delivery of the largest size")
    parser.add_argument("--link", action="store_true", help="give each text a link (tracked by both)")
    parser.add_argument(
        "--end-to-end", default="1000,10000", help="numbers of e-mails timed from Log to the SMTP sink (empty: none)"
    )
    args = parser.parse_args()
    if args.link:
        BODIES.update(with_link(BODIES))
    sizes = [int(size) for size in args.sizes.split(",") if size]
    letters = [int(size) for size in args.letters.split(",") if size]
    end_to_end = [int(size) for size in args.end_to_end.split(",") if size]
    registry = open_registry(args)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].create(
            {
                "name": "Benchmark Marketing",
                "login": "bench.marketing",
                "email": "marketing@bench.example",
                "groups_id": [
                    (
                        6,
                        0,
                        (
                            env.ref("sales_campaign.group_sales_campaign_manager")
                            | env.ref("mass_mailing.group_mass_mailing_user")
                            | env.ref("mail.group_mail_template_editor")
                        ).ids,
                    )
                ],
            }
        )
        bench = DeliveryBench(env, user, profile=args.profile)
        start = time.perf_counter()
        bench.build(max(sizes + end_to_end), max(letters or [0]))
        print(f"{'build the contacts':<46} {time.perf_counter() - start:8.2f} s", flush=True)
        emails = bench.emails(sizes) if sizes else {}
        delivered = bench.end_to_end(end_to_end) if end_to_end else {}
        if letters:
            # wkhtmltopdf fetches the report styles from Odoo: serve them, as a production server does.
            port = free_port()
            odoo.tools.config["http_port"] = port
            odoo.tools.config["http_interface"] = "127.0.0.1"
            env["ir.config_parameter"].set_param("report.url", f"http://127.0.0.1:{port}")
            cr.commit()
            odoo.service.server.ThreadedServer(odoo.http.root).http_spawn()
        printed = bench.letters(letters)
        print()
        for size, (module_s, marketing_s) in delivered.items():
            print(
                f"Log to the last e-mail accepted, {size:,} e-mails: module {module_s:.2f} s, Email Marketing "
                f"{marketing_s:.2f} s: {marketing_s / module_s:.1f} x faster"
            )
        small, large = min(sizes or [0]), max(sizes or [0])
        for object_fields_only in (False, True) if sizes else ():
            kind = "object fields only" if object_fields_only else "user.name in the text"
            log_s, delivery_s, marketing_s = emails[object_fields_only, large]
            print(
                f"queue {large:,} e-mails, {kind}: module {log_s + delivery_s:.2f} s (log {log_s:.2f} s), "
                f"Email Marketing {marketing_s:.2f} s: {marketing_s / (log_s + delivery_s):.1f} x faster"
            )
            if small != large:
                growth = sum(emails[object_fields_only, large][:2]) / sum(emails[object_fields_only, small][:2])
                print(
                    f"  {large:,} vs {small:,} e-mails: {growth:.1f} x the time for {large / small:.0f} x the e-mails"
                )
        if len(letters) > 1:
            few, many = min(letters), max(letters)
            growth = printed[many][0] / printed[few][0]
            print(f"print {many:,} vs {few:,} letters: {growth:.1f} x the time for {many / few:.0f} x the letters")
        cr.rollback()


if __name__ == "__main__":
    main()
