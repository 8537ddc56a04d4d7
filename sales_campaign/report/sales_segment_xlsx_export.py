import tempfile

import xlsxwriter

from odoo import api, models
from odoo.tools import SQL

# The rows of an Excel sheet, its header included: a segment with more lines goes on in further sheets.
SHEET_ROWS = 1_048_576
# Lines read per query: the export holds this many at a time, whatever the size of the segment.
READ_BATCH = 10_000


class SalesSegmentXlsxExport(models.AbstractModel):
    """The Excel export of segment lines: one sheet per segment, one row per line.

    Rows are read with one SQL query per batch of lines, the names of the code lists they refer to through the
    ORM, and written in xlsxwriter's constant-memory mode: a 100,000-line segment exports in seconds, and a
    segment of any size in bounded memory. A segment past an Excel sheet's 1,048,576 rows goes on in further
    sheets, each with the header (``SEG0001``, ``SEG0001 (2)``, ...).
    """

    _name = "sales.segment.xlsx.export"
    _description = "Segment Excel Export"

    @api.model
    def _columns(self):
        """(title, width) of each column, in the order of ``_rows``."""
        _ = self.env._
        return [
            (_("Contact"), 30),
            (_("Company"), 30),
            (_("E-mail"), 32),
            (_("Phone"), 18),
            (_("Street"), 28),
            (_("Zip"), 10),
            (_("City"), 18),
            (_("Country"), 18),
            (_("Language"), 18),
            (_("Job Responsibilities"), 28),
            (_("Business Relations"), 24),
            (_("Industry"), 22),
            (_("Correspondence Type"), 16),
            (_("Subject"), 32),
            (_("Campaign"), 28),
            (_("Campaign Target"), 10),
            (_("Campaign Response"), 10),
        ]

    @api.model
    def _rows(self, segment):
        """The rows of one segment, in line order, read ``READ_BATCH`` lines at a time.

        The lines and their contacts are read by one query per batch, which gives the records of the code lists
        (country, job responsibilities, business relations, industry, campaign) by id; their names, translated
        into the user's language, are read through the ORM once for all the batches (a few hundred records for
        100,000 lines).
        """
        self.env.flush_all()
        # Each line's contact is checked on its own, through the contact's id (``OFFSET 0``: never a join nor a
        # list of every readable contact): the statistics of the lines table do not know a fresh segment and
        # expect a single line, for which PostgreSQL would scan the list of the readable contacts once per line
        # (issue 22: 100,000 lines among a million contacts took minutes a batch).
        readable = self.env["res.partner"].with_context(active_test=False)._search([])
        readable.add_where(SQL("%s = partner.id", SQL.identifier(readable.table, "id")))
        readable = self.env["sales.segment"]._exists_each(readable)
        selection = dict(self.env["sales.segment.line"]._fields["correspondence_type"]._description_selection(self.env))
        languages = dict(self.env["res.lang"].get_installed())
        names = {}  # model: {id: name}, for all the batches
        last_id = 0
        while True:
            rows = self._read_batch(segment, readable, last_id)
            if not rows:
                return
            last_id = rows[-1][-1]
            countries = self._names("res.country", {row[7] for row in rows}, names)
            responsibilities = self._names(
                "sales.job.responsibility", {rid for row in rows for rid in row[9] or ()}, names
            )
            relations = self._names("sales.business.relation", {rid for row in rows for rid in row[10] or ()}, names)
            industries = self._names("res.partner.industry", {row[11] for row in rows}, names)
            campaigns = self._names("sales.campaign", {row[14] for row in rows}, names, "display_name")
            for row in rows:
                row = list(row[:-1])
                row[7] = countries.get(row[7])
                row[8] = languages.get(row[8], row[8])
                row[9] = ", ".join(responsibilities[rid] for rid in row[9] or ()) or None
                row[10] = ", ".join(relations[rid] for rid in row[10] or ()) or None
                row[11] = industries.get(row[11])
                row[12] = selection.get(row[12], row[12])
                row[14] = campaigns.get(row[14])
                yield row

    @api.model
    def _read_batch(self, segment, readable, last_id):
        """The next ``READ_BATCH`` lines of ``segment`` after the line ``last_id``, each ending with its id; the
        contact's details only for the contacts the user may read (``readable``, the SQL condition on
        ``partner``).

        The batch's lines are taken first (``LIMIT`` in a subquery): otherwise, when the statistics do not know
        a fresh segment yet (they expect a single line), PostgreSQL looks the details up for every line left
        and only then keeps the first ``READ_BATCH`` (quadratic: minutes a batch at a million lines).
        """
        return self.env.execute_query(
            SQL(
                """SELECT partner.name, %(visible)s.company, %(visible)s.email, %(visible)s.phone,
                          %(visible)s.street, %(visible)s.zip, %(visible)s.city, %(visible)s.country_id, line.lang,
                          %(visible)s.responsibility_ids, %(visible)s.relation_ids, %(visible)s.industry_id,
                          line.correspondence_type, line.subject, line.campaign_id,
                          line.campaign_target, line.campaign_response, line.id
                     -- the batch's lines first: the contacts' details below are looked up for them only
                     FROM (SELECT id, partner_id, lang, correspondence_type, subject, campaign_id, campaign_target,
                                  campaign_response
                             FROM sales_segment_line
                            WHERE segment_id = %(segment)s AND active AND id > %(last_id)s
                            ORDER BY id
                            LIMIT %(limit)s) AS line
                     JOIN res_partner partner ON partner.id = line.partner_id
                     -- the contact's details for the contacts the user may read (record rules), else none
                     LEFT JOIN LATERAL (
                         SELECT company.name AS company, partner.email,
                                COALESCE(partner.phone, partner.mobile) AS phone,
                                partner.street, partner.zip, partner.city, partner.country_id, partner.industry_id,
                                ARRAY(SELECT rel.job_responsibility_id
                                        FROM res_partner_sales_job_responsibility_rel rel
                                        JOIN sales_job_responsibility resp ON resp.id = rel.job_responsibility_id
                                       WHERE rel.partner_id = partner.id
                                       ORDER BY resp.code) AS responsibility_ids,
                                ARRAY(SELECT rel.business_relation_id
                                        FROM res_partner_sales_business_relation_rel rel
                                        JOIN sales_business_relation relation ON relation.id = rel.business_relation_id
                                       WHERE rel.partner_id = partner.id
                                       ORDER BY relation.code) AS relation_ids
                           FROM (SELECT 1) AS one
                           LEFT JOIN res_partner company
                             ON company.id = partner.commercial_partner_id AND company.id != partner.id
                          WHERE %(readable)s
                     ) AS %(visible)s ON TRUE
                    ORDER BY line.id""",
                segment=segment.id,
                visible=SQL.identifier("visible"),
                readable=readable,
                last_id=last_id,
                limit=READ_BATCH,
            )
        )

    @api.model
    def _names(self, model, ids, names, fname="name"):
        """{id: name} of the records of ``model``, in the user's language, with those of ``ids`` it lacked read
        in one go (``names``: the names read before, per model)."""
        known = names.setdefault(model, {})
        records = self.env[model].browse(sorted(record_id for record_id in ids if record_id and record_id not in known))
        known.update((record.id, record[fname]) for record in records)
        return known

    @api.model
    def _export_file(self, segments):
        """The workbook of ``segments``, for the user who asks: (file name, file). The file is a temporary one,
        read from its start, that the caller closes (the system then deletes it): a download streams it from
        the disk, so that a workbook of any size is exported in bounded memory (nothing is stored)."""
        segments.check_access("read")
        output = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, closed by the caller
        try:
            return self._write_workbook(segments, output), output
        except BaseException:
            output.close()
            raise

    @api.model
    def _write_workbook(self, segments, output):
        """Write the workbook of ``segments`` into the binary file ``output``, left at its start; returns its
        file name."""
        # Rows go to temporary files as they are written (xlsxwriter's "in_memory" would turn this off), and the
        # workbook, zipped from them, into ``output``.
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
        header = workbook.add_format(
            {"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        columns = self._columns()
        yes, no = self.env._("Yes"), self.env._("No")

        def add_sheet(name):
            sheet = workbook.add_worksheet(name)
            for col, (title, width) in enumerate(columns):
                sheet.set_column(col, col, width)
                sheet.write(0, col, title, header)
            sheet.freeze_panes(1, 0)
            return sheet

        def close_sheet(sheet, count):
            sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)

        for segment in segments:
            part, count = 1, 0
            sheet = add_sheet(segment.name[:31])
            for row in self._rows(segment):
                if count == SHEET_ROWS - 1:  # the sheet is full: the segment goes on in the next one
                    close_sheet(sheet, count)
                    part, count = part + 1, 0
                    suffix = f" ({part})"
                    sheet = add_sheet(segment.name[: 31 - len(suffix)] + suffix)
                count += 1
                row[-2] = yes if row[-2] else no
                row[-1] = yes if row[-1] else no
                sheet.write_row(count, 0, row)
            close_sheet(sheet, count)
        workbook.close()
        output.seek(0)
        return "%s.xlsx" % "-".join(segments.mapped("name"))[:200]
