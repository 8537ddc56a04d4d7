from psycopg2 import IntegrityError

from odoo.tests import Form, tagged, users
from odoo.tools import mute_logger

from .common import SalesCampaignCommon


@tagged("post_install", "-at_install")
class TestPartnerSegmentation(SalesCampaignCommon):
    def test_persons_share_their_company_relations_and_industry(self):
        self.assertEqual(self.customer_buyer.business_relation_ids, self.rel_cust)
        self.assertEqual(self.customer_buyer.industry_id, self.industry_retail)
        # A relation added on the company reaches its persons.
        self.customer_co.business_relation_ids = [(4, self.rel_vend.id)]
        self.assertEqual(self.customer_it.business_relation_ids, self.rel_cust | self.rel_vend)
        # A person moving to another company takes that company's relations.
        self.customer_it.parent_id = self.prospect_co
        self.assertEqual(self.customer_it.business_relation_ids, self.rel_pros)
        self.assertEqual(self.customer_it.industry_id, self.industry_it)

    def test_person_without_company_keeps_its_own_relations(self):
        freelancer = self.env["res.partner"].create(
            {"name": "Free Lancer", "business_relation_ids": [(6, 0, self.rel_pros.ids)]}
        )
        self.assertEqual(freelancer.business_relation_ids, self.rel_pros)

    def test_search_filters(self):
        Partner = self.env["res.partner"]
        ours = self.customer_buyer | self.customer_it | self.prospect_buyer | self.prospect_seller
        self.assertEqual(
            Partner.search([("id", "in", ours.ids), ("job_responsibility_ids", "in", self.resp_purchase.ids)]),
            self.customer_buyer | self.prospect_buyer,
        )
        self.assertEqual(
            Partner.search([("id", "in", ours.ids), ("business_relation_ids", "in", self.rel_cust.ids)]),
            self.customer_buyer | self.customer_it,
        )
        self.assertEqual(
            Partner.search([("id", "in", ours.ids), ("industry_id", "=", self.industry_it.id)]),
            self.prospect_buyer | self.prospect_seller,
        )
        self.assertEqual(
            Partner.search([("id", "in", ours.ids), ("mailing_group_ids", "in", self.mailing_news.ids)]),
            self.prospect_buyer,
        )
        self.assertEqual(
            Partner.search([("id", "in", ours.ids), ("exclude_from_segments", "=", True)]), self.prospect_seller
        )
        # Codes are found by code or by name, as the search view and the many2many fields do.
        self.assertIn(
            self.resp_purchase.id, [rid for rid, _name in self.env["sales.job.responsibility"].name_search("t-purch")]
        )
        self.assertIn(
            self.rel_cust.id, [rid for rid, _name in self.env["sales.business.relation"].name_search("Customer")]
        )

    def test_group_by_responsibility(self):
        ours = self.customer_buyer | self.customer_it | self.prospect_buyer | self.prospect_seller
        groups = dict(
            self.env["res.partner"]._read_group([("id", "in", ours.ids)], ["job_responsibility_ids"], ["__count"])
        )
        self.assertEqual(groups[self.resp_purchase], 2)
        self.assertEqual(groups[self.resp_it], 2)
        self.assertEqual(groups[self.resp_sales], 1)
        self.assertEqual(self.resp_purchase.partner_count, 2)
        action = self.resp_purchase.action_open_partners()
        self.assertEqual(self.env["res.partner"].search(action["domain"]), self.customer_buyer | self.prospect_buyer)

    @users("sc_staff")
    def test_staff_enters_a_visitor_on_the_contact_form(self):
        form = Form(self.env["res.partner"])
        form.name = "Nora Visitor"
        form.parent_id = self.prospect_co.with_env(self.env)
        form.email = "nora@prospect.example"
        form.correspondence_type = "email"
        form.job_responsibility_ids.add(self.resp_purchase.with_env(self.env))
        form.mailing_group_ids.add(self.mailing_news.with_env(self.env))
        visitor = form.save()
        self.assertEqual(visitor.job_responsibility_ids, self.resp_purchase)
        self.assertEqual(visitor.business_relation_ids, self.rel_pros, "the person has its company's relations")
        self.assertEqual(visitor.correspondence_type, "email")
        self.assertFalse(visitor.exclude_from_segments)

    def test_codes_are_upper_case_and_unique(self):
        resp = self.env["sales.job.responsibility"].create({"code": " t-mgt ", "name": "Management"})
        self.assertEqual(resp.code, "T-MGT")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["sales.job.responsibility"].create({"code": "T-Mgt", "name": "Management again"})
