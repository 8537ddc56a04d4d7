import io

import xlsxwriter

from odoo import api, models
from odoo.tools import SQL


class SalesSegmentXlsxExport(models.AbstractModel):
    """The Excel export of segment lines: one sheet per segment, one row per line.

    Rows are read with one SQL query per segment (names of code lists aggregated in the user's language)
    and written in xlsxwriter's constant-memory mode: a 100,000-line segment exports in seconds.
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
        """The rows of one segment, in line order, read in one query."""
        self.env.flush_all()
        lang = self.env.lang or "en_US"

        def translated(alias):
            return SQL("COALESCE(%s.name->>%s, %s.name->>'en_US')", SQL.identifier(alias), lang, SQL.identifier(alias))

        selection = dict(self.env["sales.segment.line"]._fields["correspondence_type"]._description_selection(self.env))
        languages = dict(self.env["res.lang"].get_installed())
        self.env.cr.execute(
            SQL(
                """SELECT partner.name, %(visible)s.company, %(visible)s.email, %(visible)s.phone,
                          %(visible)s.street, %(visible)s.zip, %(visible)s.city, %(visible)s.country, line.lang,
                          %(visible)s.responsibilities, %(visible)s.relations, %(visible)s.industry,
                          line.correspondence_type, line.subject,
                          CASE WHEN campaign.id IS NULL THEN NULL ELSE concat_ws(' ', campaign.number, %(title)s) END,
                          line.campaign_target, line.campaign_response
                     FROM sales_segment_line line
                     JOIN res_partner partner ON partner.id = line.partner_id
                     -- the contact's details for the contacts the user may read (record rules), else none
                     LEFT JOIN LATERAL (
                         SELECT company.name AS company, partner.email,
                                COALESCE(partner.phone, partner.mobile) AS phone,
                                partner.street, partner.zip, partner.city, %(country)s AS country,
                                (SELECT string_agg(%(resp)s, ', ' ORDER BY resp.code)
                                   FROM res_partner_sales_job_responsibility_rel rel
                                   JOIN sales_job_responsibility resp ON resp.id = rel.job_responsibility_id
                                  WHERE rel.partner_id = partner.id) AS responsibilities,
                                (SELECT string_agg(%(relation)s, ', ' ORDER BY relation.code)
                                   FROM res_partner_sales_business_relation_rel rel
                                   JOIN sales_business_relation relation ON relation.id = rel.business_relation_id
                                  WHERE rel.partner_id = partner.id) AS relations,
                                %(industry)s AS industry
                           FROM (SELECT 1) AS one
                           LEFT JOIN res_partner company
                             ON company.id = partner.commercial_partner_id AND company.id != partner.id
                           LEFT JOIN res_country country ON country.id = partner.country_id
                           LEFT JOIN res_partner_industry industry ON industry.id = partner.industry_id
                          WHERE partner.id IN %(readable)s
                     ) AS %(visible)s ON TRUE
                     LEFT JOIN sales_campaign campaign ON campaign.id = line.campaign_id
                     LEFT JOIN utm_campaign utm ON utm.id = campaign.utm_campaign_id
                    WHERE line.segment_id = %(segment)s AND line.active
                    ORDER BY line.id""",
                country=translated("country"),
                resp=translated("resp"),
                relation=translated("relation"),
                industry=translated("industry"),
                title=SQL("COALESCE(utm.title->>%s, utm.title->>'en_US')", lang),
                segment=segment.id,
                visible=SQL.identifier("visible"),
                readable=self.env["res.partner"].with_context(active_test=False)._search([]).subselect(),
            )
        )
        for row in self.env.cr.fetchall():
            row = list(row)
            row[8] = languages.get(row[8], row[8])
            row[12] = selection.get(row[12], row[12])
            yield row

    @api.model
    def _export(self, segments):
        """The workbook of ``segments``: (file name, content), for the user who asks (nothing is stored)."""
        segments.check_access("read")
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "in_memory": True})
        header = workbook.add_format(
            {"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        columns = self._columns()
        yes, no = self.env._("Yes"), self.env._("No")
        for segment in segments:
            sheet = workbook.add_worksheet(segment.name[:31])
            for col, (title, width) in enumerate(columns):
                sheet.set_column(col, col, width)
                sheet.write(0, col, title, header)
            sheet.freeze_panes(1, 0)
            count = 0
            for count, row in enumerate(self._rows(segment), start=1):
                row[-2] = yes if row[-2] else no
                row[-1] = yes if row[-1] else no
                sheet.write_row(count, 0, row)
            sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
        workbook.close()
        return "%s.xlsx" % "-".join(segments.mapped("name"))[:200], output.getvalue()
