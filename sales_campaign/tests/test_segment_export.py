import io
from unittest.mock import patch

import openpyxl

from odoo.tests import tagged, users

from .common import SalesSegmentCommon

EXPORT = "odoo.addons.sales_campaign.report.sales_segment_xlsx_export"


@tagged("post_install", "-at_install")
class TestSegmentExport(SalesSegmentCommon):
    def read_back(self, action):
        """The download the action points at, built as the controller builds it: (file name, workbook)."""
        self.assertEqual(action["type"], "ir.actions.act_url")
        path, _sep, query = action["url"].partition("?")
        self.assertEqual(path, "/sales_campaign/export/segments")
        ids = [int(part) for part in query.removeprefix("ids=").split(",")]
        filename, output = self.env["sales.segment.xlsx.export"]._export_file(self.env["sales.segment"].browse(ids))
        with output:
            content = output.read()
        return filename, openpyxl.load_workbook(io.BytesIO(content))

    @users("sc_staff")
    def test_export_content(self):
        self.prospect_co.sudo().write(
            {"street": "Hoofdstraat 1", "zip": "1234 AB", "city": "Utrecht", "country_id": self.env.ref("base.nl").id}
        )
        self.prospect_buyer.sudo().write({"phone": "+31 30 123 4567"})
        segment = self.new_segment(campaign_id=self.campaign.id, template_id=self.template.id)
        segment.campaign_target = True
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        filename, workbook = self.read_back(segment.action_export_xlsx())
        self.assertEqual(filename, f"{segment.name}.xlsx")
        sheet = workbook[segment.name]
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[0]
        self.assertEqual(header[:4], ("Contact", "Company", "E-mail", "Phone"))
        self.assertEqual(len(rows), 3)
        by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
        paula = by_name["Paula Prospect-Buyer"]
        self.assertEqual(paula["Company"], "Prospect Company")
        self.assertEqual(paula["E-mail"], "paula@prospect.example")
        self.assertEqual(paula["Phone"], "+31 30 123 4567")
        self.assertEqual(
            (paula["Street"], paula["Zip"], paula["City"], paula["Country"]),
            ("Hoofdstraat 1", "1234 AB", "Utrecht", "Netherlands"),
        )
        self.assertEqual(paula["Job Responsibilities"], "IT, Purchasing")
        self.assertEqual(paula["Business Relations"], "Prospect")
        self.assertEqual(paula["Language"], "English (US)")
        self.assertEqual(paula["Campaign"], self.campaign.display_name)
        self.assertEqual((paula["Campaign Target"], paula["Campaign Response"]), ("Yes", "No"))
        self.assertEqual(by_name["Carla Customer-Buyer"]["Business Relations"], "Customer")
        # Bold frozen header with an autofilter.
        self.assertTrue(sheet["A1"].font.bold)
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, "A1:Q3")
        self.assertGreater(sheet.column_dimensions["A"].width, 20)

    @users("sc_staff")
    def test_export_from_the_list_of_segments(self):
        first, second = self.new_segment(), self.new_segment()
        self.add(first, job_responsibility_ids=self.resp_purchase)
        self.add(second, job_responsibility_ids=self.resp_it)
        action = (
            self.env.ref("sales_campaign.sales_segment_action_export_xlsx")
            .with_context(active_model="sales.segment", active_ids=(first | second).ids)
            .run()
        )
        filename, workbook = self.read_back(action)
        self.assertEqual(workbook.sheetnames, [first.name, second.name])
        self.assertEqual(filename, f"{first.name}-{second.name}.xlsx")
        self.assertEqual(workbook[second.name].max_row, 3)

    @users("sc_staff")
    def test_export_speaks_the_users_language(self):
        """Countries, code lists, industries and campaigns carry their names in the user's language, the English
        name where they have no translation."""
        self.env["res.lang"].sudo()._activate_lang("nl_NL")
        self.env.ref("base.nl").sudo().update_field_translations("name", {"nl_NL": "Nederland"})
        self.resp_purchase.sudo().update_field_translations("name", {"nl_NL": "Inkoop"})
        self.rel_pros.sudo().update_field_translations("name", {"nl_NL": "Prospect NL"})
        self.industry_it.sudo().update_field_translations("name", {"nl_NL": "Informatie en communicatie"})
        self.campaign.utm_campaign_id.sudo().update_field_translations("title", {"nl_NL": "Beurs Office Futurus"})
        self.prospect_buyer.sudo().write({"country_id": self.env.ref("base.nl").id})
        segment = self.new_segment(campaign_id=self.campaign.id)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        exporter = self.env["sales.segment.xlsx.export"].with_context(lang="nl_NL")
        rows = {row[0]: row for row in exporter._rows(segment)}
        # Contact, ..., Country (7), Language, Job Responsibilities (9), Business Relations, Industry, ...,
        # Campaign (14)
        paula = rows["Paula Prospect-Buyer"]
        self.assertEqual(
            (paula[7], paula[9], paula[10], paula[11], paula[14]),
            (
                "Nederland",
                "IT, Inkoop",
                "Prospect NL",
                "Informatie en communicatie",
                f"{self.campaign.number} Beurs Office Futurus",
            ),
        )
        english = {row[0]: row for row in exporter.with_context(lang="en_US")._rows(segment)}["Paula Prospect-Buyer"]
        self.assertEqual((english[9], english[10]), ("IT, Purchasing", "Prospect"))

    @users("sc_staff")
    def test_export_goes_on_in_further_sheets(self):
        """A segment past a sheet's rows (Excel's 1,048,576, lowered here to a header and 2 lines) goes on in
        further sheets, each with the header, read a line at a time: every line once, in order."""
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it)
        other = self.new_segment()
        self.add(other, job_responsibility_ids=self.resp_purchase)
        lines = segment.line_ids.sorted("id")
        self.assertGreaterEqual(len(lines), 3)
        with patch(f"{EXPORT}.SHEET_ROWS", 3), patch(f"{EXPORT}.READ_BATCH", 1):
            action = (segment | other).action_export_xlsx()
            # the user is told, before the download, that the segment goes on in further sheets
            self.assertEqual(action["tag"], "display_notification")
            self.assertIn(segment.name, action["params"]["message"])
            self.assertNotIn(other.name, action["params"]["message"])
            self.assertIn("further sheets", action["params"]["message"])
            _filename, workbook = self.read_back(action["params"]["next"])
        parts = -(-len(lines) // 2)
        names = [segment.name] + [f"{segment.name} ({part})" for part in range(2, parts + 1)]
        self.assertEqual(workbook.sheetnames, [*names, other.name])
        exported = []
        for name in names:
            rows = list(workbook[name].iter_rows(values_only=True))
            self.assertEqual(rows[0][:2], ("Contact", "Company"))
            self.assertLessEqual(len(rows), 3)
            self.assertEqual(workbook[name].auto_filter.ref, f"A1:Q{len(rows)}")
            exported += [row[0] for row in rows[1:]]
        self.assertEqual(exported, lines.partner_id.mapped("name"))
        self.assertEqual(workbook[other.name].max_row, 3)
