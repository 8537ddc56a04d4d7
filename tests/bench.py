"""Benchmark of the segment work on a large data set: ``./dev bench`` runs it in a throwaway database.

It inserts the contacts set-wise (100,000 by default), then times, as a campaign manager (record rules
apply), each segment operation against its target, a naive add that creates one line per contact with
the ORM, and a raw ``INSERT ... SELECT`` of the same rows, and prints the ratios. Each operation runs
and commits in a transaction of its own, as one click of the web client does.

Reduce, refine and go back are timed again on fresh segments of 10,000 and 100,000 lines built in a lines
table that already holds several large segments (3 x 100,000 lines by default) of a small set of contacts
over and over (300 by default: a customer base mined again and again, squeezed into three segments). The
table's statistics (analyzed once it holds them; autovacuum is then off on it, so that every run sees the
same) expect about a thousand lines per contact and a single line for a segment they do not know yet: the
situation of issue 12, in which a plan that depends on them turns quadratic. The bench prints the ratio
100,000 / 10,000 (linear: about 10, quadratic: about 100) and the same for the bare SQL statements; a step
cancelled after --step-timeout seconds shows as "> N s". This part runs last, on a lines table emptied of
the lines of the other parts (and vacuumed), so that it measures the same as alone (--steps-only).

Logging is timed too: a segment of all the contacts logged without documents (interactions only), a
segment of 10,000 contacts logged with their e-mails queued (``mail.mail`` records, as the Log wizard
does), and the SQL queries of logging 1,000 and 10,000 lines, which must not grow with the lines.

The segment form is opened as the web client opens it (the specification of the real form view) and a
header change is timed through Odoo's onchange. ``--profile 'log (request),form'`` prints a cProfile of the
operations named.

    ./dev bench [--contacts 100000] [--naive-sample 100000] [--keep]
                [--other-segments 3] [--other-lines 100000] [--other-contacts 300] [--step-timeout 120]
                [--step-sizes 10000,100000] [--steps-only] [--sizes 100000,1000000] [--skip export,naive,steps]
                [--email-memory 20000,100000] [--email-request-only] [--profile 'log (request)']
"""

import cProfile
import os
import platform
import pstats
import resource
import threading
import time

import psutil
import psycopg2
from bench_common import bench_parser, open_registry
from lxml import etree

import odoo
from odoo.tools import SQL, mute_logger

SKIPPED = "skipped"  # a go back whose step was cancelled
TARGETS = {  # seconds, from the segments issue
    "add": 3.0,
    "reduce": 2.0,
    "refine": 2.0,
    "go back": 2.0,
    "export": 15.0,
    "log (request)": 5.0,
    "log e-mails (request)": 5.0,
    "form": 1.0,
    "form change": 1.0,
    "form change (salesperson)": 1.0,
    # the whole log of the targets, now in the background: the request above stays under 5 s
    "log (background)": 20.0,
    "queue e-mails (background)": 30.0,
}
# targets past 100,000 contacts (issue 22): each step <= 20 s up to 1,000,000, the form and the request as before
LARGE_TARGETS = {
    "add": 20.0,
    "reduce": 20.0,
    "refine": 20.0,
    "go back": 20.0,
    "go back (refine)": 20.0,
    "form": 1.0,
    "form change": 1.0,
    "form change (salesperson)": 1.0,
    "log (request)": 5.0,
}
EMAILS = 10_000  # contacts of the segment whose e-mails are queued
MIB = 1024 * 1024


class PeakMemory:
    """The peak memory of this process while the block runs, sampled every ``interval`` seconds (psutil), as
    resident set (RSS) and as address space (VMS: what Odoo's ``limit_memory_soft`` compares on Linux, and what
    ``limit_memory_hard`` caps, through ``RLIMIT_AS``). ``ru_maxrss`` before and after is kept as a check."""

    def __init__(self, interval=0.01):
        self.interval = interval
        self.process = psutil.Process()
        self._stop = threading.Event()

    def sample(self):
        info = self.process.memory_info()
        self.peak_rss = max(self.peak_rss, info.rss)
        self.peak_vms = max(self.peak_vms, info.vms)
        return info

    def _run(self):
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self):
        info = self.process.memory_info()
        self.rss_before, self.vms_before = info.rss, info.vms
        self.peak_rss, self.peak_vms = info.rss, info.vms
        self.maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
        self.maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def summary(self):
        return (
            f"RSS {self.rss_before / MIB:.0f} -> peak {self.peak_rss / MIB:.0f} MiB"
            f" (+{(self.peak_rss - self.rss_before) / MIB:.0f}), VMS {self.vms_before / MIB:.0f} -> peak"
            f" {self.peak_vms / MIB:.0f} MiB, ru_maxrss {self.maxrss_before / MIB:.0f}"
            f" -> {self.maxrss_after / MIB:.0f} MiB"
        )


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
        self.profile = set()  # labels (keys) of the operations profiled

    def timed(self, label, func, key=None, size=None):
        """Run ``func`` in a committed transaction of its own and print its time against the target of ``key``
        (default: ``label``) for a segment of ``size`` lines (past 100,000: the targets of 1,000,000)."""
        self.env.cr.commit()
        profiler = cProfile.Profile() if (key or label) in self.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = func()
        self.env.cr.commit()  # flushes, as the end of a request does
        elapsed = time.perf_counter() - start
        if profiler:
            profiler.disable()
            print(f"profile of {label}, the 25 calls of most cumulative time:")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        self.results[label] = elapsed
        targets = LARGE_TARGETS if size and size > 100_000 else TARGETS
        target = targets.get(key or label)
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
        cr.execute(
            """UPDATE res_partner SET commercial_partner_id = id
                WHERE commercial_partner_id IS NULL AND name LIKE 'Company %'"""
        )
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
        cr.execute("SELECT id FROM res_partner WHERE name ~ '^(Company|Person) [0-9]+$' ORDER BY id")
        self.partner_ids = [row[0] for row in cr.fetchall()]
        self.added = len(self.partner_ids)  # all of them are in the mailing group
        # the contacts were inserted in one go: their ids are a range, cheaper to query than a list of a million
        self.id_range = SQL("id BETWEEN %s AND %s", self.partner_ids[0], self.partner_ids[-1])
        assert self.partner_ids[-1] - self.partner_ids[0] + 1 == len(self.partner_ids), "contiguous ids"
        cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_mailing_group_rel (partner_id, mailing_group_id)
                   SELECT id, %s FROM res_partner WHERE %s""",
                self.group.id,
                self.id_range,
            )
        )
        # Half the companies are customers, the others prospects; persons carry their company's relations.
        cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_business_relation_rel (partner_id, business_relation_id)
                   SELECT partner.id, CASE WHEN mod(company.id, 2) = 0 THEN %s ELSE %s END
                     FROM res_partner AS partner
                     JOIN res_partner AS company ON company.id = partner.commercial_partner_id
                    WHERE partner.%s""",
                self.customer.id,
                self.prospect.id,
                self.id_range,
            )
        )
        cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_job_responsibility_rel (partner_id, job_responsibility_id)
                   SELECT id, %s FROM res_partner WHERE %s AND NOT is_company AND mod(id, 3) = 0""",
                self.purchase.id,
                self.id_range,
            )
        )
        cr.execute("ANALYZE")
        env.invalidate_all()

    def segment_operations(self, user, group=None, size=None, export=True):
        """Add (the contacts of ``group``, default all), reduce, go back, refine, go back, export and open the
        form of one segment; with ``size``, each label ends with it (several sizes in one run)."""
        env = self.env(user=user)
        group = group or self.group
        suffix = f" {size:,}" if size else ""

        def timed(label, func):
            return self.timed(label + suffix, func, key=label, size=size)

        segment = env["sales.segment"].create({"description": f"Benchmark{suffix}"})
        step = timed("add", lambda: segment._run_step("add", {"mailing_group_ids": group.ids}))
        print(f"{'':<28} {step.added_count:8d} lines added")
        added = step.added_count
        if group == self.group:
            self.added = added
        step = timed("reduce", lambda: segment._run_step("reduce", {"business_relation_ids": self.customer.ids}))
        print(f"{'':<28} {step.removed_count:8d} lines removed")
        timed("go back", segment.action_go_back)
        step = timed("refine", lambda: segment._run_step("refine", {"job_responsibility_ids": self.purchase.ids}))
        print(f"{'':<28} {step.removed_count:8d} lines removed")
        timed("go back (refine)", segment.action_go_back)
        segment.invalidate_recordset()
        assert segment.line_count == added, (segment.line_count, added)
        # what the download route (/sales_campaign/export/segments) does: the workbook of the segment written
        # to a temporary file, then streamed from it (read here in werkzeug's blocks of 8 KiB)
        exporter = segment.env["sales.segment.xlsx.export"]

        def run_export():
            filename, output = exporter._export_file(segment)
            size = 0
            with output:
                while block := output.read(8192):
                    size += len(block)
            return filename, size

        if export:
            with PeakMemory() as memory:
                filename, length = timed("export", run_export)
            self.results["export MB" + suffix] = length / 1e6
            self.results["export peak RSS" + suffix] = memory.peak_rss / MIB
            self.results["export RSS growth" + suffix] = (memory.peak_rss - memory.rss_before) / MIB
            self.results["export peak VMS" + suffix] = memory.peak_vms / MIB
            print(f"{'':<28} {length / 1e6:8.1f} MB ({filename}), {memory.summary()}", flush=True)
        values = timed("form", lambda: self.open_form(segment))[0]
        print(f"{'':<28} {len(values['form_line_ids']):8d} lines held by the form", flush=True)
        timed("form change", lambda: self.change_form(segment))
        timed(
            "form change (salesperson)",
            lambda: self.change_form(segment, "user_id", self.env.ref("base.user_admin").id),
        )
        return segment

    def open_form(self, segment):
        """What the web client reads to open the segment form: every field of the form view, many2ones with
        their names, embedded lists with the columns of their list and the first page of lines.

        Like the web client, no ``order`` is sent for an embedded list without a default_order: Odoo then
        returns every id the field holds for the pager and reads the columns of the first page only.
        """
        segment.env.invalidate_all()
        return segment.web_read(self.form_spec(segment))

    def change_form(self, segment, fname="template_id", value=None):
        """What the web client asks when the user changes a header field in the form (default: picks another
        template): Odoo's onchange, which reads every line the form holds (twice: before and after the change)
        to tell what changed. A change other than the template counts the lines that have the segment's
        template, which *Update Lines* would change (the banner)."""
        segment.env.invalidate_all()
        if value is None:
            value = segment.env["sales.interaction.template"].search([], limit=1).id
        result = segment.onchange({fname: value}, [fname], self.form_spec(segment))
        assert result["value"].get("pending_line_update_message"), "the banner of the change"
        return result

    @staticmethod
    def form_spec(record):
        """The web client's specification of the record's form view, taken from the view itself."""
        views = record.get_views([(False, "form")])
        models = views["models"]

        def fields_of(node):
            """The fields of ``node`` itself: those of an embedded list belong to the list."""
            for child in node:
                if child.tag == "field":
                    yield child
                elif isinstance(child.tag, str):
                    yield from fields_of(child)

        def spec_of(node, model):
            spec = {}
            for field in fields_of(node):
                name = field.get("name")
                info = models[model]["fields"].get(name) or {}
                if info.get("type") == "many2one":
                    spec[name] = {"fields": {"display_name": {}}}
                elif info.get("type") in ("one2many", "many2many"):
                    sub = field.find("list")
                    if sub is None:
                        spec[name] = {"fields": {"display_name": {}}}
                    else:
                        spec[name] = {"limit": int(sub.get("limit", 40)), "fields": spec_of(sub, info["relation"])}
                else:
                    spec[name] = {}
            return spec

        return spec_of(etree.fromstring(views["views"]["form"]["arch"]), record._name)

    def naive_add(self, user, sample):
        """One ORM create per contact, as a loop over a search would do it."""
        env = self.env(user=user)
        segment = env["sales.segment"].create({"description": "Naive"})
        partners = env["res.partner"].search(
            segment._segment_base_domain() + [("mailing_group_ids", "in", self.group.ids)], limit=sample
        )
        Line = env["sales.segment.line"]

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

    def mailing_group_of_sample(self, count):
        """A mailing group of ``count`` contacts spread evenly over the data set (companies and persons)."""
        env = self.env
        code = f"BENCH-SAMPLE-{count}"
        group = env["sales.mailing.group"].search([("code", "=", code)])
        if group:
            return group
        group = env["sales.mailing.group"].create({"code": code, "name": f"Benchmark sample {count}"})
        env.flush_all()
        step = max(1, len(self.partner_ids) // count)
        env.cr.execute(
            SQL(
                """INSERT INTO res_partner_sales_mailing_group_rel (partner_id, mailing_group_id)
                   SELECT id, %s
                     FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM res_partner WHERE %s) AS p
                    WHERE mod(n, %s) = 0 ORDER BY id LIMIT %s""",
                group.id,
                self.id_range,
                step,
                count,
            )
        )
        env.cr.commit()
        return group

    def fill_other_segments(self, user, count, lines, contacts):
        """``count`` segments of ``lines`` lines each (bare inserts) over the first ``contacts`` contacts (0: all,
        coming round again when there are fewer contacts than lines), then ANALYZE: the table as it usually is.
        """
        env = self.env(user=user)
        partner_ids = self.partner_ids[:contacts] if contacts else self.partner_ids
        for n in range(count):
            segment = env["sales.segment"].create({"description": f"Other segment {n + 1}"})
            env.flush_all()
            env.cr.execute(
                SQL(
                    """INSERT INTO sales_segment_line (segment_id, active, added_step, partner_id, user_id, lang)
                       SELECT %s, TRUE, 1, ids[1 + mod(n, cardinality(ids))], %s, 'en_US'
                         FROM generate_series(0, %s - 1) AS n, (SELECT %s::integer[] AS ids) AS contacts""",
                    segment.id,
                    user.id,
                    lines,
                    partner_ids,
                )
            )
        env.cr.execute("ANALYZE sales_segment_line")
        # From here on the statistics only change when the code under test asks for it.
        env.cr.execute("ALTER TABLE sales_segment_line SET (autovacuum_enabled = false)")
        env.cr.commit()
        return lines * count

    def timed_step(self, label, func, timeout):
        """``timed``, but the step's statements are cancelled after ``timeout`` seconds (the step is then undone)."""
        cr = self.env.cr

        def run():
            cr.execute(SQL("SELECT set_config('statement_timeout', %s, TRUE)", f"{int(timeout * 1000)}"))
            return func()

        try:
            with mute_logger("odoo.sql_db"):  # the cancelled query is logged as an error
                return self.timed(label, run)
        except psycopg2.errors.QueryCanceled:
            cr.rollback()
            self.env.invalidate_all(flush=False)
            self.results[label] = None
            print(f"{label:<28} > {timeout:.0f} s (cancelled)", flush=True)
            return None

    def empty_lines_table(self):
        """Remove the lines the other parts of the bench left (their segments are done with), and vacuum."""
        env = self.env
        env.flush_all()
        env.cr.execute("DELETE FROM sales_segment_line")
        env.cr.commit()
        env.invalidate_all()
        _dbname, info = odoo.sql_db.connection_info_for(env.cr.dbname)
        connection = psycopg2.connect(**info)
        try:
            connection.autocommit = True  # VACUUM runs outside a transaction
            with connection.cursor() as cr:
                cr.execute("VACUUM sales_segment_line")
        finally:
            connection.close()

    def steps_among_other_segments(self, user, sizes, args):
        """Reduce, refine and go back on fresh segments in a lines table that holds other large segments."""
        env = self.env(user=user)
        self.empty_lines_table()
        total = self.timed(
            "fill other segments",
            lambda: self.fill_other_segments(user, args.other_segments, args.other_lines, args.other_contacts),
        )
        print(f"{'':<28} {total:8d} lines of {args.other_segments} other segments", flush=True)
        orm, raw = {}, {}
        for size in sizes:
            group = self.mailing_group_of_sample(size)
            segment = env["sales.segment"].create({"description": f"Among others {size}"})
            step = self.timed(f"add {size:,}", lambda: segment._run_step("add", {"mailing_group_ids": group.ids}))
            assert step.added_count == size, (step.added_count, size)
            orm[size] = self.time_steps(
                f"{size:,}",
                {
                    "reduce": lambda: segment._run_step("reduce", {"business_relation_ids": self.customer.ids}),
                    "go back (reduce)": segment.action_go_back,
                    "refine": lambda: segment._run_step("refine", {"job_responsibility_ids": self.purchase.ids}),
                    "go back (refine)": segment.action_go_back,
                },
                args.step_timeout,
            )
            segment.invalidate_recordset()
            assert segment.line_count == size, (segment.line_count, size)
            raw[size] = self.raw_steps(user, group, size, args.step_timeout)
        env.cr.execute("ALTER TABLE sales_segment_line RESET (autovacuum_enabled)")
        env.cr.commit()
        self.print_step_table(sizes, args, orm, raw)

    def time_steps(self, suffix, steps, timeout):
        """Time each step of ``{label: func}``; a go back is skipped when the step it undoes was cancelled."""
        times = {}
        for label, func in steps.items():
            undone = label[len("go back (") : -1] if label.startswith("go back (") else None
            if undone and not isinstance(times.get(undone), float):
                times[label] = SKIPPED
                continue
            result = self.timed_step(f"{label} {suffix}", func, timeout)
            times[label] = self.results[f"{label} {suffix}"]
            count = getattr(result, "removed_count", None)
            if count is not None and times[label] is not None:
                print(f"{'':<28} {count:8d} lines removed", flush=True)
        return times

    def raw_steps(self, user, group, size, timeout):
        """The bare SQL of the same steps on a fresh segment built by a bare insert: no rules, no history."""
        env = self.env(user=user)
        segment = env["sales.segment"].create({"description": f"Raw among others {size}"})
        env.flush_all()
        cr = env.cr
        cr.execute(
            SQL(
                """INSERT INTO sales_segment_line (segment_id, active, added_step, partner_id, user_id, lang)
                   SELECT %s, TRUE, 1, partner.id, %s, partner.lang
                     FROM res_partner AS partner
                     JOIN res_partner_sales_mailing_group_rel AS rel ON rel.partner_id = partner.id
                    WHERE rel.mailing_group_id = %s""",
                segment.id,
                user.id,
                group.id,
            )
        )
        assert cr.rowcount == size, (cr.rowcount, size)
        statements = {
            "reduce": SQL(
                """UPDATE sales_segment_line AS line SET active = FALSE, removed_step = 2
                    WHERE line.segment_id = %s AND line.active AND line.partner_id IN (
                          SELECT rel.partner_id FROM res_partner_sales_business_relation_rel AS rel
                           WHERE rel.business_relation_id = %s)""",
                segment.id,
                self.customer.id,
            ),
            "go back (reduce)": SQL(
                """UPDATE sales_segment_line SET active = TRUE, removed_step = NULL
                    WHERE segment_id = %s AND removed_step = 2""",
                segment.id,
            ),
            "refine": SQL(
                """UPDATE sales_segment_line AS line SET active = FALSE, removed_step = 2
                    WHERE line.segment_id = %s AND line.active AND line.partner_id NOT IN (
                          SELECT rel.partner_id FROM res_partner_sales_job_responsibility_rel AS rel
                           WHERE rel.job_responsibility_id = %s)""",
                segment.id,
                self.purchase.id,
            ),
            "go back (refine)": SQL(
                """UPDATE sales_segment_line SET active = TRUE, removed_step = NULL
                    WHERE segment_id = %s AND removed_step = 2""",
                segment.id,
            ),
        }
        return self.time_steps(
            f"{size:,} raw",
            {label: (lambda statement=statement: cr.execute(statement)) for label, statement in statements.items()},
            timeout,
        )

    @staticmethod
    def print_step_table(sizes, args, orm, raw):
        small, large = sizes[0], sizes[-1]

        def cell(seconds):
            if seconds is None:
                return f"> {args.step_timeout:.0f} s"
            return "—" if seconds == SKIPPED else f"{seconds:.2f} s"

        def ratio(times):
            if not isinstance(times[small], float) or not times[small]:
                return "n/a"
            if times[large] is None:  # cancelled
                return f"> {args.step_timeout / times[small]:.0f}"
            return "n/a" if times[large] == SKIPPED else f"{times[large] / times[small]:.1f}"

        others = "all" if not args.other_contacts else format(args.other_contacts, ",")
        print()
        print(
            f"Steps on a fresh segment; the lines table holds {args.other_segments} x {args.other_lines:,} lines"
            f" of other segments over {others} contacts"
        )
        print(
            f"| Step | {small:,} lines | {large:,} lines | ratio | raw SQL {small:,} | raw SQL {large:,} | raw ratio |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label in ("reduce", "go back (reduce)", "refine", "go back (refine)"):
            ours = {size: orm[size][label] for size in (small, large)}
            bare = {size: raw[size][label] for size in (small, large)}
            print(
                f"| {label} | {cell(ours[small])} | {cell(ours[large])} | {ratio(ours)} "
                f"| {cell(bare[small])} | {cell(bare[large])} | {ratio(bare)} |"
            )
        print(flush=True)

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
                   SELECT id, %s FROM res_partner WHERE %s ORDER BY id LIMIT %s""",
                group.id,
                self.id_range,
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
            {
                "description": description,
                "template_id": env.ref("sales_campaign.sales_interaction_template_business_letter").id,
            }
        )
        if email:
            segment.write({"correspondence_type": "email", "ignore_contact_correspondence_type": True})
        segment._run_step("add", {"mailing_group_ids": group.ids})
        env.cr.commit()
        return segment

    def log_queries(self, user, segment):
        """The SQL queries of logging ``segment`` without documents, the request and its background batches,
        flushes included; committed after."""
        env = self.env(user=user)
        env.invalidate_all()
        count0 = env.cr.sql_log_count
        logged = env["sales.logged.segment"]._log_segment(segment, send=False)
        env.flush_all()
        self.deliver(logged, commit=False)
        count = env.cr.sql_log_count - count0
        env.cr.commit()
        return logged, count

    @staticmethod
    def deliver(logged, commit=True):
        """What the log cron does with a log in the background: its batches, each committed, until it is done
        (a small log ran them already, in its request). Returns the number of batches."""
        batches = 0
        logged = logged.sudo()
        while logged.state == "in_progress" and logged._process_batch():
            logged.env.flush_all()
            if commit:
                logged.env.cr.commit()
            batches += 1
        logged.invalidate_recordset()
        return batches

    def logging(self, user, groups=None):
        """Log the contacts of each of ``groups`` ({size: mailing group}, default all the contacts) without
        documents, queue 10,000 e-mails, count the queries of logging."""
        env = self.env(user=user)
        Logged = env["sales.logged.segment"]
        for size, group in (groups or {None: self.group}).items():
            suffix = f" {size:,}" if size else ""
            segment = self.logging_segment(user, group, f"Benchmark log{suffix}")
            logged = self.timed(
                "log (request)" + suffix, lambda: Logged._log_segment(segment, send=False), "log (request)", size
            )
            print(f"{'':<28} {logged.state} ({'in the background' if logged.in_background else 'at once'})")
            batches = self.timed("log (background)" + suffix, lambda: self.deliver(logged), "log (background)", size)
            print(f"{'':<28} {logged.interaction_count:8d} interactions written in {batches} batches, {logged.state}")
            expected = size or self.added
            assert logged.interaction_count == expected, (logged.interaction_count, expected)

        emails = min(EMAILS, len(self.partner_ids))
        mailing = self.mailing_group_of_first(emails)
        segment = self.logging_segment(user, mailing, "Benchmark e-mails", email=True)
        logged = self.timed("log e-mails (request)", lambda: Logged._log_segment(segment, send=True))
        batches = self.timed("queue e-mails (background)", lambda: self.deliver(logged))
        print(f"{'':<28} {batches:8d} batches, {logged.state}")
        env.cr.execute(
            SQL(
                """SELECT count(*) FROM sales_interaction_log AS entry
                     JOIN mail_mail AS mail ON mail.id = entry.mail_mail_id
                    WHERE entry.logged_segment_id = %s AND entry.delivery_status = 'queued'
                      AND mail.state = 'outgoing'""",
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

    def email_memory(self, user, sizes, request_only=False):
        """Queue the e-mails of a log of ``size`` contacts for each of ``sizes`` through the delivery lane, called
        as Odoo's cron runner calls it (``_cron_deliver``, committed after each call, as superuser), and print
        the memory of this process (the cron worker's part) at every tenth of the batches: it must stay flat,
        far under Odoo's ``limit_memory_soft`` / ``limit_memory_hard``, whatever the size of the log.

        The lanes only queue here (``sales_campaign.lanes_send_emails`` off): the memory of sending is Odoo's
        mail queue's, one e-mail at a time. ``request_only``: only the log requests are timed, nothing queued."""
        env = self.env(user=user)
        env["ir.config_parameter"].sudo().set_param("sales_campaign.lanes_send_emails", "False")
        config = odoo.tools.config
        print(
            f"Odoo limit_memory_soft {config['limit_memory_soft'] / MIB:.0f} MiB, limit_memory_hard"
            f" {config['limit_memory_hard'] / MIB:.0f} MiB (compared with the address space, VMS, on Linux)"
        )
        Cron = self.env["sales.logged.segment"]  # the cron runs as superuser
        for size in sizes:
            segment = self.logging_segment(user, self.mailing_group_of_first(size), f"E-mails {size}", email=True)
            logged = self.timed(
                f"log e-mails (request) {size:,}",
                lambda: env["sales.logged.segment"]._log_segment(segment, send=True),
                "log e-mails (request)",
            )
            if request_only:
                continue
            batches, step, start = 0, max(1, size // 250 // 10), time.perf_counter()
            with PeakMemory() as memory:
                while True:
                    Cron._cron_deliver()
                    self.env.cr.commit()  # as Odoo's cron runner commits after each call (one batch)
                    self.env.invalidate_all()
                    batches += 1
                    logged.invalidate_recordset()
                    done = logged.state != "in_progress"
                    if done or batches % step == 0:
                        info = memory.sample()
                        queued = self.env["sales.interaction.log"].search_count(
                            [("logged_segment_id", "=", logged.id), ("delivery_status", "=", "queued")]
                        )
                        print(
                            f"  {size:,} e-mails: batch {batches:4d}, {queued:7d} queued,"
                            f" {time.perf_counter() - start:7.1f} s, RSS {info.rss / MIB:6.0f} MiB"
                            f" (peak {memory.peak_rss / MIB:.0f}), VMS {info.vms / MIB:6.0f} MiB"
                            f" (peak {memory.peak_vms / MIB:.0f})",
                            flush=True,
                        )
                    if done:
                        break
            assert queued == size, (queued, size)
            self.results[f"e-mails {size:,}"] = time.perf_counter() - start
            print(
                f"{'queue e-mails ' + format(size, ','):<28} {self.results[f'e-mails {size:,}']:8.2f} s, "
                f"{batches} batches, {memory.summary()}",
                flush=True,
            )

    def print_size_table(self, sizes):
        """Each operation for each segment size, and the ratio of the largest to the smallest."""
        small, large = sizes[0], sizes[-1]
        labels = [
            ("add", "s"),
            ("reduce", "s"),
            ("go back", "s"),
            ("refine", "s"),
            ("go back (refine)", "s"),
            ("form", "s"),
            ("form change", "s"),
            ("form change (salesperson)", "s"),
            ("export", "s"),
            ("export MB", "MB"),
            ("export peak RSS", "MiB"),
            ("export RSS growth", "MiB"),
            ("export peak VMS", "MiB"),
            ("log (request)", "s"),
            ("log (background)", "s"),
        ]
        print()
        print(f"| Operation | {small:,} | {large:,} | ratio |")
        print("|---|---:|---:|---:|")
        for label, unit in labels:
            values = [self.results.get(f"{label} {size:,}") for size in (small, large)]
            if None in values:
                continue
            ratio = f"{values[1] / values[0]:.1f}" if values[0] else "n/a"
            print(f"| {label} | {values[0]:.2f} {unit} | {values[1]:.2f} {unit} | {ratio} |")
        print(flush=True)


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=None,
        help="contacts the naive add creates (default: all; extrapolated when fewer)",
    )
    parser.add_argument("--other-segments", type=int, default=3, help="large segments already in the lines table")
    parser.add_argument("--other-lines", type=int, default=100_000, help="lines of each of those segments")
    parser.add_argument(
        "--other-contacts", type=int, default=300, help="contacts those segments hold, over and over (0: all contacts)"
    )
    parser.add_argument("--step-timeout", type=float, default=120, help="seconds after which a timed step is cancelled")
    parser.add_argument("--step-sizes", default="10000,100000", help="sizes of the fresh segments, smallest first")
    parser.add_argument("--steps-only", action="store_true", help="only the steps among other segments")
    parser.add_argument(
        "--sizes",
        default="",
        help="segment sizes (e.g. 100000,1000000) whose add, reduce, refine, go back, export, form and log are"
        " timed in the same run, in a lines table that already holds the other segments (default: all contacts,"
        " in an empty table)",
    )
    parser.add_argument(
        "--email-memory",
        default="",
        help="only queue e-mails of logs of these sizes (e.g. 20000,100000) through the delivery lane and print"
        " the memory of the process",
    )
    parser.add_argument(
        "--email-request-only",
        action="store_true",
        help="with --email-memory: only time the log requests (the checks of the e-mails included), queue nothing",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="operations profiled with cProfile, comma-separated (e.g. 'log (request),form')",
    )
    parser.add_argument(
        "--skip",
        default="",
        help="parts left out, comma-separated: export, naive (the naive add), steps (among others)",
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    sizes = [int(size) for size in args.step_sizes.split(",")]
    op_sizes = [int(size) for size in args.sizes.split(",") if size]
    email_sizes = [int(size) for size in args.email_memory.split(",") if size]
    registry = open_registry(args)
    print(f"Machine: {machine()}")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.execute("SHOW server_version")
        print(f"PostgreSQL {cr.fetchone()[0]}, Odoo {odoo.release.version}")
        manager = env["res.users"].create(
            {
                "name": "Benchmark Manager",
                "login": "bench.manager",
                "groups_id": [(6, 0, env.ref("sales_campaign.group_sales_campaign_manager").ids)],
            }
        )
        bench = Bench(env, args.contacts)
        bench.profile = set(filter(None, args.profile.split(",")))
        start = time.perf_counter()
        bench.build_contacts()
        print(f"{'build ' + format(args.contacts, ',') + ' contacts':<28} {time.perf_counter() - start:8.2f} s")
        if args.steps_only:
            bench.steps_among_other_segments(manager, sizes, args)
            cr.commit()
            return
        if email_sizes:
            bench.email_memory(manager, email_sizes, request_only=args.email_request_only)
            cr.commit()
            return
        groups = None
        if op_sizes:
            total = bench.timed(
                "fill other segments",
                lambda: bench.fill_other_segments(manager, args.other_segments, args.other_lines, args.other_contacts),
            )
            print(f"{'':<28} {total:8d} lines of {args.other_segments} other segments", flush=True)
            groups = {
                size: bench.group if size >= args.contacts else bench.mailing_group_of_sample(size) for size in op_sizes
            }
            for size, group in groups.items():
                bench.segment_operations(manager, group, size, export="export" not in skip)
        else:
            bench.segment_operations(manager, export="export" not in skip)
        bench.raw_insert()
        if "naive" not in skip:
            bench.naive_add(manager, args.naive_sample or bench.added)
        bench.logging(manager, groups)
        if op_sizes:
            bench.print_size_table(op_sizes)
        if "steps" not in skip:
            bench.steps_among_other_segments(manager, sizes, args)
        results = bench.results
        if op_sizes:  # the largest size's add
            results["add"] = results[f"add {op_sizes[-1]:,}"]
        print()
        print(f"add vs raw INSERT ... SELECT: {results['add'] / results['raw INSERT ... SELECT']:6.1f} x slower")
        if "naive add" in results:
            print(f"naive add vs add:             {results['naive add'] / results['add']:6.1f} x slower")
        queries = bench.log_query_counts
        if 1_000 in queries and 10_000 in queries:
            verdict = "constant" if queries[1_000] == queries[10_000] else "GROWS with the lines"
            print(f"log queries 1,000 vs 10,000:  {queries[1_000]:6d} vs {queries[10_000]} ({verdict})")
        cr.commit()


if __name__ == "__main__":
    main()
