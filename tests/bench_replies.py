"""Benchmark of replies to campaign e-mails coming back through Odoo's mail gateway.

``./dev bench replies`` runs it in a throwaway database. For 1,000 and then 10,000 contacts it logs a
segment of e-mails (the log and the delivery cron, as in production), then gives Odoo's mail gateway
(``mail.thread.message_process``, what the fetchmail cron and the mailgate script call) one reply per e-mail,
an RFC 822 message with In-Reply-To and References, each in a transaction of its own as fetchmail commits
each message. It prints the time and the SQL queries per reply (and the module's part of them), for all of
them and for the first and the last hundred: both must stay flat as the number of e-mails, replies and
responses grows.

    ./dev bench replies [--sizes 1000,10000]
"""

import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from unittest.mock import patch

from bench_common import bench_parser, open_registry

import odoo
from odoo.tools import SQL


class RepliesBench:
    def __init__(self, env, user):
        self.env = env
        self.user = user

    def build(self, size, prefix):
        """``size`` contacts with an e-mail address, inserted set-wise."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            SQL(
                """INSERT INTO res_partner (name, complete_name, is_company, type, active, partner_share, lang, email,
                                            email_normalized, autopost_bills, create_date, write_date)
                   SELECT %(prefix)s || n, %(prefix)s || n, FALSE, 'contact', TRUE, TRUE, 'en_US',
                          lower(%(prefix)s) || n || '@fair.example', lower(%(prefix)s) || n || '@fair.example', 'ask',
                          now(), now()
                     FROM generate_series(1, %(size)s) AS n
                RETURNING id""",
                prefix=prefix,
                size=size,
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
        cr.execute("ANALYZE res_partner")
        self.env.invalidate_all()
        self.env.cr.commit()
        return ids

    def log(self, partner_ids, size):
        """A campaign with a response template, and a segment of e-mails to ``partner_ids`` logged and queued."""
        env = self.env(user=self.user)
        template = env["sales.interaction.template"].search([("code", "=", "BENCH-MAIL")])
        if not template:
            template = env["sales.interaction.template"].create(
                {
                    "code": "BENCH-MAIL",
                    "name": "Benchmark thank-you",
                    "group_id": env.ref("sales_campaign.sales_interaction_group_email").id,
                    "lang_default": "en_US",
                    "language_ids": [
                        (
                            0,
                            0,
                            {
                                "lang": "en_US",
                                "subject": "Thank you for your visit",
                                "body_html": '<p>Dear <t t-out="object.name"/>, see '
                                '<a href="https://www.example.com/chair">the chair</a>.</p>',
                            },
                        )
                    ],
                }
            )
        response = env["sales.interaction.template"].search([("code", "=", "BENCH-RESP")]) or env[
            "sales.interaction.template"
        ].create(
            {
                "code": "BENCH-RESP",
                "name": "Response",
                "group_id": env.ref("sales_campaign.sales_interaction_group_response").id,
            }
        )
        campaign = env["sales.campaign"].create(
            {"title": f"Replies benchmark {size}", "response_template_id": response.id}
        )
        segment = env["sales.segment"].create(
            {
                "description": f"Benchmark {size}",
                "template_id": template.id,
                "campaign_id": campaign.id,
                "campaign_target": True,
                "correspondence_type": "email",
                "ignore_contact_correspondence_type": True,
            }
        )
        segment._run_step("add", {"partner_ids": partner_ids})
        self.env.cr.commit()
        # The delivery lanes only queue the e-mails (they send them by default): the replies need no SMTP server.
        env["ir.config_parameter"].set_param("sales_campaign.lanes_send_emails", "False")
        logged = env["sales.logged.segment"]._log_segment(segment, send=True)
        self.env.cr.commit()
        while logged.state == "in_progress":
            self.env["sales.logged.segment"]._cron_deliver()
            self.env.cr.commit()
            self.env.invalidate_all()
        return campaign, logged

    def replies(self, logged):
        """One reply per e-mail of ``logged``, as the contacts' mail clients write them."""
        self.env.cr.execute(
            SQL(
                """SELECT entry.message_id, partner.name, partner.email, message.subject, message.reply_to
                     FROM sales_interaction_log entry
                     JOIN res_partner partner ON partner.id = entry.partner_id
                     JOIN mail_message message ON message.id = entry.mail_message_id
                    WHERE entry.logged_segment_id = %s ORDER BY entry.id""",
                logged.id,
            )
        )
        raws = []
        for message_id, name, email, subject, reply_to in self.env.cr.fetchall():
            reply = EmailMessage()
            reply["From"] = formataddr((name, email))
            reply["To"] = reply_to
            reply["Subject"] = f"Re: {subject}"
            reply["Message-Id"] = make_msgid(domain="fair.example")
            reply["In-Reply-To"] = message_id
            reply["References"] = message_id
            reply["Date"] = formatdate(localtime=True)
            reply.set_content("Thank you, please send us an offer for 40 chairs.\n\n> Thank you for your visit")
            raws.append(reply.as_bytes())
        return raws

    def process(self, raws):
        """Give each reply to the mail gateway in a transaction of its own: [(seconds, queries, of which the
        module's seconds, the module's queries)] per reply. The module's part is ``_register_reply`` (finding
        the e-mail answered, recording the reply and the response), its writes flushed."""
        cr = self.env.cr
        measures = []
        Thread = self.env["mail.thread"]
        Log = type(self.env["sales.interaction.log"])
        original = Log._register_reply
        share = []

        def measured(log, message, message_dict):
            queries, start = cr.sql_log_count, time.perf_counter()
            result = original(log, message, message_dict)
            log.env.flush_all()
            share.append((time.perf_counter() - start, cr.sql_log_count - queries))
            return result

        with patch.object(Log, "_register_reply", measured):
            for raw in raws:
                queries = cr.sql_log_count
                start = time.perf_counter()
                Thread.message_process(None, raw)
                cr.commit()  # as fetchmail does after each message
                measures.append(
                    (time.perf_counter() - start, cr.sql_log_count - queries, *(share.pop() if share else (0, 0)))
                )
                self.env.invalidate_all()
        return measures


def report(size, measures):
    def line(label, part):
        seconds, queries, ours, our_queries = (sum(m[index] for m in part) / len(part) for index in range(4))
        print(
            f"  {label:<12} {seconds * 1000:7.2f} ms a reply  {queries:6.1f} queries a reply"
            f"  (the module's part: {ours * 1000:5.2f} ms, {our_queries:4.1f} queries)",
            flush=True,
        )

    total = sum(m[0] for m in measures)
    print(f"{size:,} replies: {total:.1f} s", flush=True)
    line("all", measures)
    line("first 100", measures[:100])
    line("last 100", measures[-100:])
    return total / len(measures), sum(m[1] for m in measures) / len(measures)


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="numbers of e-mails replied to, comma separated")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    registry = open_registry(args)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].create(
            {
                "name": "Benchmark Marketing",
                "login": "bench.marketing",
                "email": "marketing@bench.example",
                "groups_id": [(6, 0, env.ref("sales_campaign.group_sales_campaign_manager").ids)],
            }
        )
        cr.commit()
        bench = RepliesBench(env, user)
        results = {}
        for index, size in enumerate(sizes):
            partner_ids = bench.build(size, f"Visitor{index}-")
            start = time.perf_counter()
            campaign, logged = bench.log(partner_ids, size)
            print(f"log and queue {size:,} e-mails: {time.perf_counter() - start:.1f} s", flush=True)
            raws = bench.replies(logged)
            results[size] = report(size, bench.process(raws))
            env.invalidate_all()
            responses = env["sales.interaction.log"].search_count(
                [("campaign_id", "=", campaign.id), ("response_source", "=", "reply")]
            )
            assert responses == size, (responses, size)
            assert campaign.stat_replied_count == size and campaign.stat_responded_count == size
        print()
        for size, (seconds, queries) in results.items():
            print(f"N = {size:>6,}: {seconds * 1000:.2f} ms and {queries:.1f} queries per reply")
        if len(results) > 1:
            small, large = min(results), max(results)
            print(
                f"{large:,} vs {small:,}: {results[large][0] / results[small][0]:.2f} x the time per reply, "
                f"{results[large][1] / results[small][1]:.2f} x the queries per reply"
            )


if __name__ == "__main__":
    main()
