"""Benchmark of the segment work on a large data set: ``./dev bench`` runs it in a throwaway database.

It inserts the contacts set-wise (100,000 by default), then times, as a campaign manager (record rules
apply), each segment operation against its target, a naive add that creates one line per contact with
the ORM, and a raw ``INSERT ... SELECT`` of the same rows, and prints the ratios. Each operation runs
and commits in a transaction of its own, as one click of the web client does.

Logging is timed too: a segment of all the contacts logged without documents (interactions only), a
segment of 10,000 contacts logged with their e-mails queued (``mail.mail`` records, as the Log wizard
does), and the SQL queries of logging 1,000 and 10,000 lines, which must not grow with the lines.

    ./dev bench [--contacts 100000] [--naive-sample 100000] [--keep]
"""

import argparse
import os
import platform
import time

import odoo
from odoo.tools import SQL

TARGETS = {  # seconds, from the segments issue
    "add": 3.0,
    "reduce": 2.0,
    "refine": 2.0,
    "go back": 2.0,
    "export": 15.0,
    "form": 1.0,
    "log": 20.0,
    "log + queue e-mails": 30.0,
}
EMAILS = 10_000  # contacts of the segment whose e-mails are queued


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
            memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


class Bench:
    def __init__(self, env, contacts):
        self.env = env
        self.contacts = contacts
        self.results = {}

    def timed(self, label, func):
        self.env.cr.commit()
        start = time.perf_counter()
        result = func()
        self.env.cr.commit()  # flushes, as the end of a request does
        elapsed = time.perf_counter() - start
        self.results[label] = elapsed
        target = TARGETS.get(label)
        verdict = f"  (target <= {target:.0f} s: {'ok' if elapsed <= target else 'OVER'})" if target else ""
        print(f"{label:<28} {elapsed:8.2f} s{verdict}", flush=True)
        return result

    # ------------------------------------------------------------------------------------------------

    def build_contacts(self):
        """Insert companies (1 in 10) and their persons set-wise, with codes and relations."""
        env, cr = self.env, self.env.cr
        self.group = env["sales.mailing.group"].create({"code": "BENCH", "name": "Benchmark"})
        self.customer = env["sales.business.relation"].create({"code": "B-CUST", "name": "Customer"})
        self.prospect = env["sales.business.relation"].create({"code": "B-PROS", "name": "Prospect"})
        self.purchase = env["sales.job.responsibility"].create({"code": "B-PURCHASE", "name": "Purchasing"})
        env.flush_all()
        companies = self.contacts // 10
        cr.execute(
            SQL(
                """INSERT INTO res_partner (name, complete_name, is_company, type, active, partner_share, lang, email,
                                            email_normalized, autopost_bills, create_date, write_date)
                   SELECT 'Company ' || n, 'Company ' || n, TRUE, 'contact', TRUE, TRUE, 'en_US',
                          'info@company' || n || '.example', 'info@company' || n || '.example', 'ask', now(), now()
                     FROM generate_series(1, %s) AS n""",
                companies,
            )
        )
        cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL AND name LIKE 'Company %'")
        cr.execute(
            SQL(
                """INSERT INTO res_partner (name, complete_name, parent_id, commercial_partner_id, is_company, type,
                                            active, partner_share, lang, email, email_normalized, autopost_bills,
                                            create_date, write_date)
                   SELECT 'Person ' || n, company.name || ', Person ' || n, company.id, company.id, FALSE, 'contact',
                          TRUE, TRUE, 'en_US', 'person' || n || '@company.example', 'person' || n || '@company.example',
                          'ask', now(), now()
                     FROM generate_series(1, %s) AS n
                     JOIN res_partner AS company ON company.name = 'Company ' || (1 + mod(n, %s))""",
                self.contacts - companies,
                companies,
            )
        )
        cr.execute("SELECT id FROM res_partner WHERE name ~ '^(Company|Person) [0-9]+$'")
        self.partner_ids = [row[0] for row in cr.fetchall()]
        cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_mailing_group_rel (partner_id, mailing_group_id)
                   SELECT id, %s FROM res_partner WHERE id IN %s""",
                self.group.id,
                tuple(self.partner_ids),
            )
        )
        # Half the companies are customers, the others prospects; persons carry their company's relations.
        cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_business_relation_rel (partner_id, business_relation_id)
                   SELECT partner.id, CASE WHEN mod(company.id, 2) = 0 THEN %s ELSE %s END
                     FROM res_partner AS partner JOIN res_partner AS company ON company.id = partner.commercial_partner_id
                    WHERE partner.id IN %s""",
                self.customer.id,
                self.prospect.id,
                tuple(self.partner_ids),
            )
        )
        cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_job_responsibility_rel (partner_id, job_responsibility_id)
                   SELECT id, %s FROM res_partner WHERE id IN %s AND NOT is_company AND mod(id, 3) = 0""",
                self.purchase.id,
                tuple(self.partner_ids),
            )
        )
        cr.execute("ANALYZE")
        env.invalidate_all()

    def segment_operations(self, user):
        env = self.env(user=user)
        segment = env["sales.segment"].create({"description": "Benchmark"})
        step = self.timed("add", lambda: segment._run_step("add", {"mailing_group_ids": self.group.ids}))
        print(f"{'':<28} {step.added_count:8d} lines added")
        self.added = step.added_count
        step = self.timed("reduce", lambda: segment._run_step("reduce", {"business_relation_ids": self.customer.ids}))
        print(f"{'':<28} {step.removed_count:8d} lines removed")
        self.timed("go back", segment.action_go_back)
        step = self.timed(
            "refine",
            lambda: segment._run_step("refine", {"job_responsibility_ids": self.purchase.ids}),
        )
        print(f"{'':<28} {step.removed_count:8d} lines removed")
        self.timed("go back (refine)", segment.action_go_back)
        segment.invalidate_recordset()
        assert segment.line_count == self.added, (segment.line_count, self.added)
        self.timed("export", lambda: segment.action_export_xlsx())
        self.timed("form", lambda: self.open_form(segment))
        return segment

    def open_form(self, segment):
        """What the web client reads to open the segment form: the header, counts and the first page of lines.

        Like the web client, no ``order`` is sent for the lines (their list has no default_order): Odoo then
        returns every line id for the pager and reads the fields of the first page only.
        """
        segment.env.invalidate_all()
        view = segment.get_views([(False, "form")])["views"]["form"]
        assert view["arch"]
        spec = {
            "name": {},
            "description": {},
            "state": {},
            "line_count": {},
            "history_count": {},
            "pending_line_update": {},
            "campaign_id": {"fields": {"display_name": {}}},
            "template_id": {"fields": {"display_name": {}}},
            "line_ids": {
                "limit": 80,
                "fields": {
                    "partner_id": {"fields": {"display_name": {}}},
                    "company_partner_id": {"fields": {"display_name": {}}},
                    "email": {},
                    "is_blacklisted": {},
                    "in_other_campaign": {},
                    "lang": {},
                    "correspondence_type": {},
                    "campaign_target": {},
                },
            },
            "history_ids": {"fields": {"sequence": {}, "action": {}, "description": {}, "added_count": {}}},
        }
        return segment.web_read(spec)

    def naive_add(self, user, sample):
        """One ORM create per contact, as a loop over a search would do it."""
        env = self.env(user=user)
        segment = env["sales.segment"].create({"description": "Naive"})
        partners = env["res.partner"].search(
            segment._segment_base_domain() + [("mailing_group_ids", "in", self.group.ids)], limit=sample
        )
        Line = env["sales.segment.line"].with_context(sales_segment_raw_lines=True)

        def run():
            for partner in partners:
                Line.create(
                    {
                        "segment_id": segment.id,
                        "partner_id": partner.id,
                        "user_id": segment.user_id.id,
                        "lang": partner.lang,
                        "correspondence_type": partner.correspondence_type,
                    }
                )

        label = "naive add" if sample >= self.added else f"naive add ({sample} of them)"
        self.timed(label, run)
        per_line = self.results[label] / len(partners)
        self.results["naive add"] = per_line * self.added
        if sample < self.added:
            print(f"{'naive add (extrapolated)':<28} {self.results['naive add']:8.2f} s")

    def raw_insert(self):
        """The same rows with a bare INSERT ... SELECT: the floor of any add."""
        env = self.env
        segment = env["sales.segment"].create({"description": "Raw"})
        env.flush_all()

        def run():
            env.cr.execute(
                SQL(
                    """INSERT INTO sales_segment_line (segment_id, active, added_step, partner_id, user_id, lang)
                       SELECT %s, TRUE, 1, partner.id, %s, partner.lang
                         FROM res_partner AS partner
                         JOIN res_partner_sales_mailing_group_rel AS rel ON rel.partner_id = partner.id
                        WHERE rel.mailing_group_id = %s""",
                    segment.id,
                    segment.user_id.id,
                    self.group.id,
                )
            )

        self.timed("raw INSERT ... SELECT", run)

    # ------------------------------------------------------------------------------------------------

    def mailing_group_of_first(self, count):
        """A mailing group holding the first ``count`` contacts (all of them have an e-mail address)."""
        env = self.env
        group = env["sales.mailing.group"].search([("code", "=", f"BENCH-{count}")])
        if group:
            return group
        group = env["sales.mailing.group"].create({"code": f"BENCH-{count}", "name": f"Benchmark {count}"})
        env.flush_all()
        env.cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_mailing_group_rel (partner_id, mailing_group_id)
                   SELECT id, %s FROM res_partner WHERE id IN %s ORDER BY id LIMIT %s""",
                group.id,
                tuple(self.partner_ids),
                count,
            )
        )
        env.cr.execute(
            SQL(
                """SELECT count(*) FROM res_partner_sales_mailing_group_rel AS rel
                     JOIN res_partner AS partner ON partner.id = rel.partner_id
                    WHERE rel.mailing_group_id = %s AND COALESCE(partner.email_normalized, '') != ''""",
                group.id,
            )
        )
        assert env.cr.fetchone()[0] == count, "every benchmark contact has an e-mail address"
        env.cr.commit()
        return group

    def logging_segment(self, user, group, description, email=False):
        """A segment of the business letter with the contacts of ``group``, built (and committed) untimed."""
        env = self.env(user=user)
        segment = env["sales.segment"].create(
            {"description": description, "template_id": env.ref("sales_campaign.sales_interaction_template_business_letter").id}
        )
        if email:
            segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        segment._run_step("add", {"mailing_group_ids": group.ids})
        env.cr.commit()
        return segment

    def log_queries(self, user, segment):
        """The SQL queries of logging ``segment`` without documents, flush included; committed after."""
        env = self.env(user=user)
        env.invalidate_all()
        count0 = env.cr.sql_log_count
        logged = env["sales.logged.segment"]._log_segment(segment, send=False)
        env.flush_all()
        count = env.cr.sql_log_count - count0
        env.cr.commit()
        return logged, count

    def logging(self, user):
        """Log all the contacts without documents, queue 10,000 e-mails, count the queries of logging."""
        env = self.env(user=user)
        Logged = env["sales.logged.segment"]
        everyone = self.logging_segment(user, self.group, "Benchmark log")
        logged = self.timed("log", lambda: Logged._log_segment(everyone, send=False))
        print(f"{'':<28} {logged.interaction_count:8d} interactions logged")
        assert logged.interaction_count == self.added, (logged.interaction_count, self.added)

        emails = min(EMAILS, len(self.partner_ids))
        mailing = self.mailing_group_of_first(emails)
        segment = self.logging_segment(user, mailing, "Benchmark e-mails", email=True)
        logged = self.timed("log + queue e-mails", lambda: Logged._log_segment(segment, send=True))
        env.cr.execute(
            SQL(
                """SELECT count(*) FROM sales_interaction_log AS entry
                     JOIN mail_mail AS mail ON mail.id = entry.mail_mail_id
                    WHERE entry.logged_segment_id = %s AND entry.delivery_status = 'queued' AND mail.state = 'outgoing'""",
                logged.id,
            )
        )
        queued = env.cr.fetchone()[0]
        print(f"{'':<28} {queued:8d} e-mails queued")
        assert queued == emails, (queued, emails)

        queries = {}
        for count in (1_000, 10_000):
            if count > len(self.partner_ids):
                continue
            segment = self.logging_segment(user, self.mailing_group_of_first(count), f"Benchmark log {count}")
            _logged, queries[count] = self.log_queries(user, segment)
        for count in sorted(queries):
            print(f"{'log queries, ' + format(count, ',') + ' lines':<28} {queries[count]:8d} queries", flush=True)
        self.log_query_counts = queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument(
        "--naive-sample", type=int, default=None, help="contacts the naive add creates (default: all; extrapolated when fewer)"
    )
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    print(f"Machine: {machine()}")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute("SHOW server_version")
        print(f"PostgreSQL {cr.fetchone()[0]}, Odoo {odoo.release.version}")
        manager = env["res.users"].create(
            {
                "name": "Benchmark Manager",
                "login": "bench.manager",
                # Mail Template Editor: the business letter signs with <t t-out="user.name"/>, which Odoo's
                # restricted rendering refuses to other users (see tests/test_mail_delivery.py).
                "groups_id": [
                    (6, 0, env.ref("sales_campaign.group_sales_campaign_manager").ids)
                ],
            }
        )
        bench = Bench(env, args.contacts)
        start = time.perf_counter()
        bench.build_contacts()
        print(f"{'build ' + format(args.contacts, ',') + ' contacts':<28} {time.perf_counter() - start:8.2f} s")
        bench.segment_operations(manager)
        bench.raw_insert()
        bench.naive_add(manager, args.naive_sample or bench.added)
        bench.logging(manager)
        results = bench.results
        print()
        print(f"add vs raw INSERT ... SELECT: {results['add'] / results['raw INSERT ... SELECT']:6.1f} x slower")
        print(f"naive add vs add:             {results['naive add'] / results['add']:6.1f} x slower")
        queries = bench.log_query_counts
        if 1_000 in queries and 10_000 in queries:
            verdict = "constant" if queries[1_000] == queries[10_000] else "GROWS with the lines"
            print(f"log queries 1,000 vs 10,000:  {queries[1_000]:6d} vs {queries[10_000]} ({verdict})")
        cr.commit()


if __name__ == "__main__":
    main()
