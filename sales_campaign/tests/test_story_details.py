"""Small things of the user's story in the web client (issue 21, point 14)."""

import io
from datetime import date

import openpyxl

from odoo.tests import tagged, users

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestStoryDetails(SalesSegmentCommon):
    @users("sc_manager")
    def test_statistics_export_gives_the_period_as_dates(self):
        campaign = self.campaign.with_env(self.env)
        campaign.write({"date_start": date(2026, 3, 1), "date_end": date(2026, 5, 31)})
        self.env.user.lang = "en_US"
        _name, content = self.env["sales.campaign.statistics.xlsx"]._export(campaign)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        start, end = sheet["B2"], sheet["C2"]
        self.assertEqual((start.value.date(), end.value.date()), (date(2026, 3, 1), date(2026, 5, 31)))
        self.assertTrue(start.is_date)
        self.assertEqual(start.number_format, "mm/dd/yyyy", "in the user's date format")

    @users("sc_staff")
    def test_a_response_log_has_no_delivery(self):
        response = (
            self.env["sales.interaction.template"]
            .sudo()
            .create(
                {
                    "code": "T-RESP",
                    "name": "Response",
                    "group_id": self.env.ref("sales_campaign.sales_interaction_group_response").id,
                    "campaign_response": True,
                    "correspondence_type": False,
                }
            )
        )
        segment = self.new_segment(template_id=response.id, campaign_id=self.campaign.id)
        self.assertTrue(segment.campaign_response)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        logged = self.env["sales.logged.segment"]._log_segment(segment, send=False)
        self.assertTrue(logged.is_response, "the logged segment's form hides its delivery part")
        letters = self.new_segment(template_id=self.template.id)
        self.add(letters, job_responsibility_ids=self.resp_purchase)
        self.assertFalse(self.env["sales.logged.segment"]._log_segment(letters, send=False).is_response)
