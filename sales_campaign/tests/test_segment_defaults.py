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
        self.assertIn("You changed <b>Campaign</b> from none to", segment.pending_line_update_message)
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
        self.assertIn("<b>Campaign</b>", form.pending_line_update_message, "before saving, where the user looks")
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
        segment.write({"user_id": self.manager.id, "campaign_id": self.campaign.id})
        segment.action_apply_line_defaults()
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

    # ------------------------------------------------------------------------------------------------
    # The typed subject wins (issue 21, point 1)
    # ------------------------------------------------------------------------------------------------

    @users("sc_staff")
    def test_the_subject_typed_after_the_template_is_kept_on_save_and_on_the_lines(self):
        segment = self.segment_with_lines()
        form = Form(segment)
        form.template_id = self.letter
        self.assertEqual(form.subject_default, "Our new chair", "the template's subject shows as it is chosen")
        form.subject_default = "Thank you for visiting our booth at Office Futurus"
        form.save()
        self.assertEqual(segment.subject_default, "Thank you for visiting our booth at Office Futurus")
        self.assertEqual(segment.pending_line_update["template_id"], self.template.id)
        segment.action_apply_line_defaults()
        self.assertEqual(segment.subject_default, "Thank you for visiting our booth at Office Futurus")
        carla = segment.line_ids.filtered(lambda line: line.partner_id == self.customer_buyer)
        paula = segment.line_ids - carla
        self.assertEqual(carla.subject, "Thank you for visiting our booth at Office Futurus")
        self.assertEqual(paula.subject, "Notre nouvelle chaise", "a French contact gets the French version")

    @users("sc_staff")
    def test_update_lines_from_the_unsaved_form_keeps_the_typed_subject(self):
        """The banner's Update Lines saves the form first (as the web client does), then updates the lines."""
        segment = self.segment_with_lines()
        form = Form(segment)
        form.template_id = self.letter
        form.subject_default = "Sujet tapé"
        form.save()
        segment.action_apply_line_defaults()
        segment.invalidate_recordset()
        self.assertEqual(segment.subject_default, "Sujet tapé")
        self.assertEqual(segment.line_ids.filtered(lambda line: line.lang == "en_US").mapped("subject"), ["Sujet tapé"])

    @users("sc_staff")
    def test_a_template_chosen_after_typing_brings_its_subject(self):
        """What the user did last wins: a template chosen after typing shows (and saves) its own subject."""
        segment = self.segment_with_lines()
        form = Form(segment)
        form.subject_default = "Typed first"
        form.template_id = self.letter
        self.assertEqual(form.subject_default, "Our new chair")
        form.save()
        self.assertEqual(segment.subject_default, "Our new chair")

    @users("sc_staff")
    def test_a_new_segment_takes_the_templates_languages(self):
        form = Form(self.env["sales.segment"])
        form.description = "Trade show visitors"
        form.template_id = self.letter
        form.subject_default = "Typed on a new segment"
        segment = form.save()
        self.assertEqual(
            sorted(segment.language_ids.mapped(lambda row: (row.lang, row.subject))),
            [("en_US", "Typed on a new segment"), ("fr_FR", "Notre nouvelle chaise")],
        )

    # ------------------------------------------------------------------------------------------------
    # The banner says what changed and what Update Lines does (point 12)
    # ------------------------------------------------------------------------------------------------

    @users("sc_staff")
    def test_banner_counts_in_the_users_language(self):
        """Counts of a large segment come grouped as the user's language writes numbers: 1,200 or 1.200."""
        self.env["res.lang"]._activate_lang("nl_NL")
        persons = self.env["res.partner"].sudo().create([{"name": f"Visitor {n}"} for n in range(1200)])
        segment = self.new_segment(template_id=self.template.id)
        segment._run_step("add", {"partner_ids": persons.ids})
        segment.campaign_id = self.campaign
        self.assertIn("to the 1,200 lines with interaction template", segment.pending_line_update_message)
        self.env.user.lang = "nl_NL"
        segment = segment.with_context(lang="nl_NL")
        segment.template_id = self.letter
        self.assertIn("1.200", segment.pending_line_update_message)
        self.assertNotIn("1200", segment.pending_line_update_message)

    @users("sc_staff")
    def test_banner_names_the_change_and_the_lines_it_updates(self):
        segment = self.segment_with_lines()
        segment.line_ids.filtered(lambda line: line.partner_id == self.prospect_buyer).template_id = self.letter
        segment.campaign_id = self.campaign
        message = segment.pending_line_update_message
        self.assertIn("<b>Campaign</b> from none to %s" % self.campaign.display_name, message)
        self.assertIn(
            "Update Lines writes these values to the 1 lines with interaction template Thank-you letter.", message
        )
        self.assertIn("The 1 lines with another interaction template keep their values.", message)
        self.assertNotIn("prices", message, "nothing about prices when the targets do not change")
        segment.action_apply_line_defaults()

        segment.campaign_target = True
        self.assertIn("<b>Campaign Target</b> from No to Yes", segment.pending_line_update_message)
        self.assertIn("campaign's prices", segment.pending_line_update_message)
        segment.action_keep_lines()

        segment.template_id = self.letter
        message = segment.pending_line_update_message
        self.assertIn("<b>Interaction Template</b> from Thank-you letter to Business letter", message)
        self.assertIn("Update Lines gives all 2 lines the new template", message)
        self.assertNotIn("prices", message)

    @users("sc_staff")
    def test_banner_escapes_what_users_typed(self):
        self.campaign.title = "<script>alert(1)</script>"
        segment = self.segment_with_lines()
        segment.campaign_id = self.campaign
        self.assertIn("&lt;script&gt;", segment.pending_line_update_message)
        self.assertNotIn("<script>", segment.pending_line_update_message)

    # ------------------------------------------------------------------------------------------------
    # A template's Campaign Target and Response carry over (point 11)
    # ------------------------------------------------------------------------------------------------

    @users("sc_manager")
    def test_a_response_template_made_on_the_fly_makes_the_segment_a_response(self):
        segment = self.new_segment(campaign_id=self.campaign.id, campaign_response=True)
        Template = self.env["sales.interaction.template"].with_context(default_campaign_response=True)
        response = Template.browse(Template.name_create("RESP")[0])
        self.assertEqual((response.code, response.name), ("RESP", "Campaign Response"), "the typed code is the code")
        self.assertEqual(response.group_id, self.env.ref("sales_campaign.sales_interaction_group_response"))
        self.assertTrue(response.campaign_response)
        self.assertEqual((response.information_flow, response.initiated_by), ("inbound", "them"))

        other = self.new_segment(campaign_id=self.campaign.id)
        self.assertFalse(other.campaign_response)
        other.template_id = response
        self.assertTrue(other.campaign_response, "the template's Campaign Response carries over")
        self.assertFalse(other.campaign_target)
        other.template_id = self.template
        self.assertTrue(other.campaign_response, "a template without the flag does not take it away")
        segment.template_id = response
        self.assertTrue(segment.campaign_response)

    @users("sc_manager")
    def test_create_and_edit_puts_the_typed_code_in_the_code(self):
        """The template form opened from a segment's template field with the typed text: filled, not blank."""
        form = Form(
            self.env["sales.interaction.template"].with_context(default_name="RESP", default_campaign_response=True)
        )
        self.assertEqual((form.code, form.name), ("RESP", "Campaign Response"))
        self.assertEqual(form.group_id, self.env.ref("sales_campaign.sales_interaction_group_response"))
        self.assertEqual(form.information_flow, "inbound")
        self.assertTrue(form.save().campaign_response)
        letter_form = Form(self.env["sales.interaction.template"].with_context(default_name="Showroom visit"))
        self.assertEqual((letter_form.code, letter_form.name), ("Showroom-visit", "Showroom visit"))
        self.assertEqual(letter_form.group_id, self.env.ref("sales_campaign.sales_interaction_group_letter"))

    def test_interactions_share_the_rule(self):
        """An interaction logged by hand takes a response template's flag as a segment does."""
        response = self.env["sales.interaction.template"].create(
            {
                "code": "T-RESP",
                "name": "Response",
                "group_id": self.env.ref("sales_campaign.sales_interaction_group_response").id,
                "campaign_response": True,
            }
        )
        entry = self.env["sales.interaction.log"]._create_process(
            [{"partner_id": self.customer_buyer.id, "template_id": response.id, "campaign_id": self.campaign.id}]
        )
        self.assertEqual((entry.campaign_target, entry.campaign_response), (False, True))
        without_campaign = self.env["sales.interaction.log"]._create_process(
            [{"partner_id": self.customer_buyer.id, "template_id": response.id}]
        )
        self.assertFalse(without_campaign.campaign_response, "no campaign, no response")

    # ------------------------------------------------------------------------------------------------
    # Languages named in the user's language (point 7)
    # ------------------------------------------------------------------------------------------------

    def test_languages_are_named_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        Line = self.env["sales.segment.line"]
        for lang, french in (
            ("nl_NL", "Frans (Frankrijk)"),
            ("fr_FR", "Français (France)"),
            ("en_US", "French (France)"),
        ):
            names = dict(Line.with_context(lang=lang).fields_get(["lang"])["lang"]["selection"])
            self.assertEqual(names["fr_FR"], french)
        names = dict(
            self.env["sales.segment"]
            .with_context(lang="nl_NL")
            .fields_get(["lang_default"])["lang_default"]["selection"]
        )
        self.assertEqual(names["en_US"], "Engels (Verenigde Staten)")
