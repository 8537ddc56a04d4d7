from odoo.exceptions import UserError
from odoo.tests import tagged, users

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentAdd(SalesSegmentCommon):
    """Add Contacts: each filter group, each option, and what is never added."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ours = (
            cls.customer_co
            | cls.prospect_co
            | cls.customer_buyer
            | cls.customer_it
            | cls.prospect_buyer
            | cls.prospect_seller
        )
        cls.only_ours = f"[('id', 'in', {cls.ours.ids})]"

    @users("sc_staff")
    def test_job_responsibility(self):
        segment = self.new_segment()
        action = self.add(segment, job_responsibility_ids=self.resp_purchase)
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.prospect_buyer)
        self.assertEqual(segment.line_count, 2)
        self.assertEqual(action["params"]["counts"]["added"], 2)
        self.assertEqual(action["params"]["message"], f"Contacts added to segment {segment.name}: 2.")

    @users("sc_staff")
    def test_business_relation_of_the_company(self):
        segment = self.new_segment()
        self.add(segment, business_relation_ids=self.rel_cust, partner_domain=self.only_ours)
        self.assertEqual(self.contacts(segment), self.customer_co | self.customer_buyer | self.customer_it)

    @users("sc_staff")
    def test_industry_of_the_company(self):
        segment = self.new_segment()
        self.add(segment, industry_ids=self.industry_it, partner_domain=self.only_ours)
        # The excluded seller stays out.
        self.assertEqual(self.contacts(segment), self.prospect_co | self.prospect_buyer)

    @users("sc_staff")
    def test_mailing_group(self):
        segment = self.new_segment()
        self.add(segment, mailing_group_ids=self.mailing_news)
        self.assertEqual(self.contacts(segment), self.prospect_buyer)

    @users("sc_staff")
    def test_contact_fields(self):
        segment = self.new_segment()
        self.add(segment, partner_domain=f"[('id', 'in', {self.ours.ids}), ('email', 'ilike', 'customer.example')]")
        self.assertEqual(self.contacts(segment), self.customer_buyer | self.customer_it)

    @users("sc_staff")
    def test_all_set_groups_must_match(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase, business_relation_ids=self.rel_pros)
        self.assertEqual(self.contacts(segment), self.prospect_buyer)
        # Within a group, any value matches.
        other = self.new_segment()
        self.add(other, job_responsibility_ids=self.resp_it | self.resp_sales, partner_domain=self.only_ours)
        self.assertEqual(self.contacts(other), self.customer_it | self.prospect_buyer)

    @users("sc_staff")
    def test_existing_contacts_are_not_added_twice_unless_allowed(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        action = self.add(segment, job_responsibility_ids=self.resp_purchase)
        self.assertEqual(action["params"]["counts"]["added"], 0)
        self.assertEqual(segment.line_count, 2)
        self.add(segment, job_responsibility_ids=self.resp_purchase, allow_existing_contacts=True)
        self.assertEqual(segment.line_count, 4)

    @users("sc_staff")
    def test_expand_contact_companies(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase, expand_contact_companies=True)
        # Both companies with all their persons, but the excluded seller.
        self.assertEqual(self.contacts(segment), self.ours - self.prospect_seller)
        other = self.new_segment()
        self.add(other, job_responsibility_ids=self.resp_purchase, expand_contact_companies=True, ignore_exclusion=True)
        self.assertEqual(self.contacts(other), self.ours)

    @users("sc_staff")
    def test_expand_contact_companies_of_a_matched_company(self):
        """Business Central: a matched company is its own company, so it brings all its persons (issue 13)."""
        self.prospect_co.sudo().city = "Tromsø"
        self.customer_co.sudo().city = "Tromsø"
        segment = self.new_segment()
        companies_in_tromso = f"[('id', 'in', {self.ours.ids}), ('city', '=', 'Tromsø'), ('is_company', '=', True)]"
        self.add(segment, partner_domain=companies_in_tromso, expand_contact_companies=True)
        # The companies' persons, but the excluded seller.
        self.assertEqual(self.contacts(segment), self.ours - self.prospect_seller)
        other = self.new_segment()
        self.add(other, partner_domain=f"[('id', '=', {self.customer_co.id})]", expand_contact_companies=True)
        self.assertEqual(self.contacts(other), self.customer_co | self.customer_buyer | self.customer_it)
        without = self.new_segment()
        self.add(without, partner_domain=f"[('id', '=', {self.customer_co.id})]")
        self.assertEqual(self.contacts(without), self.customer_co)

    @users("sc_staff")
    def test_allow_related_companies(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_it, allow_related_companies=True)
        self.assertEqual(
            self.contacts(segment), self.customer_it | self.prospect_buyer | self.customer_co | self.prospect_co
        )

    @users("sc_staff")
    def test_exclusion_and_its_override(self):
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_sales)
        self.assertFalse(segment.line_ids, "an excluded contact is skipped")
        self.add(segment, job_responsibility_ids=self.resp_sales, ignore_exclusion=True)
        self.assertEqual(self.contacts(segment), self.prospect_seller)

    @users("sc_staff")
    def test_blacklisted_addresses_can_be_left_out(self):
        self.env["mail.blacklist"].sudo()._add("carla@customer.example")
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase, exclude_blacklisted=True)
        self.assertEqual(self.contacts(segment), self.prospect_buyer)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        line = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        self.assertTrue(line.is_blacklisted, "the line shows the contact is blacklisted")

    @users("sc_staff")
    def test_archived_unreadable_and_internal_contacts_are_never_added(self):
        archived = (
            self.env["res.partner"]
            .sudo()
            .create(
                {"name": "Archived Buyer", "active": False, "job_responsibility_ids": [(6, 0, self.resp_purchase.ids)]}
            )
        )
        hidden = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": "Nordic Buyer",
                    "company_id": self.company_2.id,
                    "job_responsibility_ids": [(6, 0, self.resp_purchase.ids)],
                }
            )
        )
        self.manager.partner_id.sudo().job_responsibility_ids = self.resp_purchase
        delivery = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": "Warehouse",
                    "type": "delivery",
                    "parent_id": self.prospect_co.id,
                    "job_responsibility_ids": [(6, 0, self.resp_purchase.ids)],
                }
            )
        )
        segment = self.new_segment()
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        added = self.contacts(segment)
        for partner in (archived, hidden, self.manager.partner_id, delivery):
            self.assertNotIn(partner.id, added.ids)
        self.assertEqual(added, self.customer_buyer | self.prospect_buyer)

    @users("sc_staff")
    def test_add_without_filter_asks_for_confirmation(self):
        segment = self.new_segment()
        with self.assertRaisesRegex(UserError, "No filter is set"):
            self.add(segment)
        self.assertFalse(segment.history_ids, "nothing happened")
        self.run_wizard(segment, "add", confirm_all=True)
        self.assertTrue(set(self.ours.ids) - {self.prospect_seller.id} <= set(self.contacts(segment).ids))

    @users("sc_staff")
    def test_lines_take_the_segment_defaults(self):
        self.env["res.lang"].sudo()._activate_lang("nl_NL")
        self.prospect_buyer.sudo().lang = "nl_NL"
        self.customer_buyer.sudo().write({"lang": "en_US", "user_id": self.manager.id})
        segment = self.new_segment(template_id=self.template.id, campaign_id=self.campaign.id, user_id=False)
        segment.language_ids = [(0, 0, {"lang": "nl_NL", "subject": "Bedankt voor uw bezoek"})]
        segment.campaign_target = True
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        carla = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        paula = segment.line_ids.filtered(lambda line: line.partner_id == self.prospect_buyer)
        self.assertEqual((carla.lang, carla.subject), ("en_US", "Thank you for visiting our booth"))
        self.assertEqual((paula.lang, paula.subject), ("nl_NL", "Bedankt voor uw bezoek"))
        self.assertEqual(carla.correspondence_type, "email", "no preference: the template's type")
        self.assertEqual(paula.correspondence_type, "hard_copy", "the contact's preference")
        self.assertEqual(carla.user_id, self.manager, "no segment salesperson: the contact's")
        self.assertEqual(carla.company_partner_id, self.customer_co)
        self.assertEqual((carla.template_id, carla.campaign_id), (self.template, self.campaign))
        self.assertTrue(carla.campaign_target and paula.campaign_target)
        segment.ignore_contact_correspondence_type = True
        segment.action_apply_line_defaults()
        self.assertEqual(paula.correspondence_type, "email", "the segment's type overrides the contact's")

    @users("sc_staff")
    def test_lines_are_sorted_by_company_then_company_first(self):
        segment = self.new_segment()
        self.add(segment, partner_domain=self.only_ours, ignore_exclusion=True)
        self.assertEqual(
            segment.line_ids.partner_id.ids,
            [
                self.customer_co.id,
                self.customer_buyer.id,
                self.customer_it.id,
                self.prospect_co.id,
                self.prospect_buyer.id,
                self.prospect_seller.id,
            ],
        )

    @users("sc_staff")
    def test_wizard_shows_how_many_contacts_match(self):
        form = self.env["sales.segment.contacts.wizard"].with_context(
            default_segment_id=self.new_segment().id, default_mode="add"
        )
        from odoo.tests import Form

        wizard = Form(form)
        wizard.job_responsibility_ids.add(self.resp_purchase)
        self.assertEqual(wizard.match_count, 2)
        self.assertTrue(wizard.has_filters)

    @users("sc_staff")
    def test_invalid_contact_filter_is_refused_clearly(self):
        segment = self.new_segment()
        with self.assertRaisesRegex(UserError, "contact filter"):
            self.add(segment, partner_domain="[('no_such_field', '=', 1)]")
        self.assertFalse(segment.line_ids)
