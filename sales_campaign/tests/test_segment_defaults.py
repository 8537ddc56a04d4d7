from odoo.tests import Form, tagged, users

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentDefaults(SalesSegmentCommon):
    """A changed segment default is offered to the lines: the user updates them or keeps them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.prospect_buyer.lang = "fr_FR"
        cls.letter = cls.env["sales.interaction.template"].create(
            {
                "code": "T-LETTER",
                "name": "Business letter",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_letter").id,
                "correspondence_type": "hard_copy",
                "ignore_contact_correspondence_type": True,
                "unit_cost": 2.5,
                "lang_default": "en_US",
                "language_ids": [
                    (0, 0, {"lang": "en_US", "subject": "Our new chair"}),
                    (0, 0, {"lang": "fr_FR", "subject": "Notre nouvelle chaise"}),
                ],
            }
        )

    def segment_with_lines(self):
        segment = self.new_segment(template_id=self.template.id)
        self.add(segment, job_responsibility_ids=self.resp_purchase)
        return segment

    @users("sc_staff")
    def test_campaign_change_waits_for_the_users_answer(self):
        segment = self.segment_with_lines()
        form = Form(segment)
        form.campaign_id = self.campaign
        form.save()
        self.assertFalse(segment.line_ids.campaign_id, "nothing changes before the user answers")
        self.assertEqual(segment.pending_line_update, {"campaign_id": False})
        self.assertEqual(segment.pending_line_update_text, "Campaign")
        segment.action_apply_line_defaults()
        self.assertEqual(segment.line_ids.campaign_id, self.campaign)
        self.assertFalse(segment.pending_line_update)

        segment.campaign_target = True
        segment.action_keep_lines()
        self.assertFalse(any(segment.line_ids.mapped("campaign_target")), "the user kept the lines")
        segment.campaign_target = False
        segment.campaign_target = True
        segment.action_apply_line_defaults()
        self.assertTrue(all(segment.line_ids.mapped("campaign_target")))
        segment.line_ids[0].campaign_target = False  # can be unticked per line
        self.assertEqual(segment.line_ids.mapped("campaign_target"), [False, True])

    @users("sc_staff")
    def test_the_offer_shows_as_soon_as_a_default_changes_in_the_form(self):
        segment = self.segment_with_lines()
        form = Form(segment)
        form.campaign_id = self.campaign
        self.assertEqual(form.pending_line_update_text, "Campaign", "before saving, where the user looks")
        form.campaign_id = self.env["sales.campaign"]
        self.assertFalse(form.pending_line_update, "changed back: nothing to offer")
        form.campaign_id = self.campaign
        form.save()
        self.assertEqual(segment.pending_line_update, {"campaign_id": False})
        segment.action_apply_line_defaults()
        self.assertEqual(segment.line_ids.campaign_id, self.campaign)

    @users("sc_staff")
    def test_changing_back_and_forth(self):
        segment = self.segment_with_lines()
        segment.campaign_id = self.campaign
        segment.campaign_id = False
        self.assertEqual(segment.pending_line_update, {"campaign_id": False}, "the value the lines were made with")
        segment.action_apply_line_defaults()
        self.assertFalse(segment.line_ids.campaign_id)

    @users("sc_staff")
    def test_template_change_goes_to_every_line_with_its_languages(self):
        segment = self.segment_with_lines()
        paula = segment.line_ids.filtered(lambda line: line.partner_id == self.prospect_buyer)
        paula.template_id = self.letter  # a line given another template by hand
        segment.template_id = self.letter
        self.assertEqual(segment.unit_cost, 2.5, "the template's defaults reach the header at once")
        self.assertEqual(segment.correspondence_type, "hard_copy")
        self.assertEqual(sorted(segment.language_ids.mapped("lang")), ["en_US", "fr_FR"])
        segment.action_apply_line_defaults()
        self.assertEqual(segment.line_ids.template_id, self.letter)
        self.assertEqual(paula.subject, "Notre nouvelle chaise")
        self.assertEqual(set(segment.line_ids.mapped("correspondence_type")), {"hard_copy"})

    @users("sc_staff")
    def test_other_defaults_go_to_lines_with_the_segments_template(self):
        segment = self.segment_with_lines()
        carla = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        paula = segment.line_ids - carla
        paula.template_id = self.letter
        segment.with_context(sales_segment_update_lines=True).write(
            {"user_id": self.manager.id, "campaign_id": self.campaign.id}
        )
        self.assertEqual(carla.user_id, self.manager)
        self.assertEqual(carla.campaign_id, self.campaign)
        self.assertNotEqual(paula.user_id, self.manager, "a line with another template keeps its values")
        self.assertFalse(paula.campaign_id)

    @users("sc_staff")
    def test_subject_reaches_lines_that_were_not_edited(self):
        segment = self.segment_with_lines()
        carla = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        paula = segment.line_ids - carla
        paula.subject = "A subject of its own"
        segment.subject_default = "Thank you for visiting our booth at Office Futurus"
        self.assertEqual(carla.subject, "Thank you for visiting our booth at Office Futurus")
        self.assertEqual(paula.subject, "A subject of its own")

    @users("sc_staff")
    def test_default_language_is_always_one_of_the_segments(self):
        segment = self.new_segment(template_id=self.template.id)
        segment.lang_default = "fr_FR"
        self.assertIn("fr_FR", segment.language_ids.mapped("lang"), "a new default language gets its row")
        segment.subject_default = "Merci de votre visite"
        self.assertEqual(
            segment.language_ids.filtered(lambda row: row.lang == "fr_FR").subject, "Merci de votre visite"
        )

    @users("sc_staff")
    def test_template_campaign_does_not_replace_a_chosen_campaign(self):
        other = self.env["sales.campaign"].create({"title": "Other campaign"})
        self.letter.sudo().write({"company_id": self.company.id, "campaign_id": other.id, "campaign_target": True})
        segment = self.new_segment(campaign_id=self.campaign.id, template_id=self.letter.id)
        self.assertEqual(segment.campaign_id, self.campaign)
        empty = self.new_segment(template_id=self.letter.id)
        self.assertEqual(empty.campaign_id, other, "the template's campaign fills an empty one")
        self.assertTrue(empty.campaign_target)
        empty.campaign_id = False
        self.assertFalse(empty.campaign_target, "no campaign, no campaign target")
