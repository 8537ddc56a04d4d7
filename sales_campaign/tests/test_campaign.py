from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import SalesCampaignCommon


@tagged("post_install", "-at_install")
class TestCampaign(SalesCampaignCommon):
    def _new_campaign(self, **values):
        return self.env["sales.campaign"].create({"title": "Office Futurus trade show", **values})

    @users("sc_staff")
    def test_numbering_follows_the_sequence(self):
        sequence = self.env.ref("sales_campaign.seq_sales_campaign").sudo()
        sequence.number_next_actual = 41
        first = self._new_campaign()
        second = self._new_campaign(title="Spring mailing")
        self.assertEqual(first.number, "CP0041")
        self.assertEqual(second.number, "CP0042")
        self.assertEqual(first.display_name, "CP0041 Office Futurus trade show")
        self.assertEqual(self.env["sales.campaign"].name_search("CP0042"), [(second.id, second.display_name)])

    @users("sc_manager")
    def test_number_typed_by_hand_is_kept(self):
        campaign = self._new_campaign(number="FAIR-2026")
        self.assertEqual(campaign.number, "FAIR-2026")
        self.assertFalse(campaign.copy_data()[0].get("number"), "a copy gets a new number")

    @users("sc_staff")
    def test_number_comes_from_the_sequence_for_campaign_users(self):
        with self.assertRaisesRegex(UserError, "number series"):
            self._new_campaign(number="FAIR-2026")
        campaign = self._new_campaign()
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            campaign.number = "FAIR-2026"

    @users("sc_staff")
    def test_form_defaults(self):
        form = Form(self.env["sales.campaign"])
        form.title = "Office Futurus trade show"
        campaign = form.save()
        self.assertEqual(campaign.user_id, self.staff, "the salesperson defaults to the current user")
        self.assertEqual(campaign.company_id, self.company)
        self.assertEqual(campaign.status_id, self.env.ref("sales_campaign.sales_campaign_status_plan"))
        self.assertTrue(campaign.number.startswith("CP"))

    @users("sc_staff")
    def test_end_before_start_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "may not be before its starting date"):
            self._new_campaign(date_start=date(2026, 9, 1), date_end=date(2026, 8, 31))
        campaign = self._new_campaign(date_start=date(2026, 9, 1), date_end=date(2026, 9, 1))
        with self.assertRaises(ValidationError):
            campaign.date_start = date(2026, 9, 2)
        form = Form(campaign)
        form.date_end = date(2026, 8, 1)
        with self.assertRaises(ValidationError):
            form.save()
        campaign.invalidate_recordset()
        self.assertEqual(campaign.date_end, date(2026, 9, 1), "the refused change left the campaign as it was")

    @users("sc_staff")
    def test_utm_link_gives_leads_the_campaign(self):
        campaign = self._new_campaign()
        lead = self.env["crm.lead"].create(
            {"name": "Chairs for the meeting rooms", "campaign_id": campaign.utm_campaign_id.id, "type": "opportunity"}
        )
        self.assertEqual(lead.campaign_id.title, "Office Futurus trade show")
        self.assertEqual(campaign.crm_lead_count, 1)
        action = campaign.action_open_leads()
        self.assertEqual(self.env["crm.lead"].search(action["domain"]), lead)
        order = self.env["sale.order"].create(
            {"partner_id": self.customer_co.id, "campaign_id": campaign.utm_campaign_id.id}
        )
        self.assertEqual(campaign.quotation_count, 1)
        self.assertIn(order, self.env["sale.order"].search(campaign.action_open_quotations()["domain"]))

    @users("sc_staff")
    def test_status_statusbar_shows_every_status(self):
        campaign = self._new_campaign()
        done = self.env.ref("sales_campaign.sales_campaign_status_done")
        campaign.status_id = done
        groups = self.env["sales.campaign"].read_group([("id", "=", campaign.id)], ["status_id"], ["status_id"])
        shown = [group["status_id"][0] for group in groups]
        self.assertIn(self.env.ref("sales_campaign.sales_campaign_status_plan").id, shown, "empty statuses are shown")
        self.assertIn(done.id, shown)

    @users("sc_manager")
    def test_manager_deletes_campaign_with_its_utm_record(self):
        campaign = self._new_campaign()
        utm_campaign = campaign.utm_campaign_id
        campaign.unlink()
        self.assertFalse(utm_campaign.exists())

    @users("sc_staff")
    def test_user_cannot_delete_campaign(self):
        campaign = self._new_campaign()
        with self.assertRaises(AccessError):
            campaign.unlink()
        with self.assertRaises(AccessError):
            campaign.utm_campaign_id.unlink()
        self.assertTrue(campaign.exists())
