import itertools

from odoo.tests import Form, tagged, users

from ..models.sales_segment_filters import ADD_OPTIONS, REMOVE_OPTIONS
from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentPreview(SalesSegmentCommon):
    """The wizard's count is what the step then does, for every mode and every combination of options (issue 13)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        # A company of its own: an excluded person, a blacklisted one, and one outside the filters.
        cls.third_co = Partner.create(
            {"name": "Third Company", "is_company": True, "business_relation_ids": [(6, 0, cls.rel_cust.ids)]}
        )
        cls.third_buyer, cls.third_excluded, cls.third_blacklisted, cls.third_other = Partner.create(
            [
                {
                    "name": "Tina Third-Buyer",
                    "parent_id": cls.third_co.id,
                    "job_responsibility_ids": [(6, 0, cls.resp_purchase.ids)],
                },
                {
                    "name": "Xavier Third-Excluded",
                    "parent_id": cls.third_co.id,
                    "job_responsibility_ids": [(6, 0, cls.resp_purchase.ids)],
                    "exclude_from_segments": True,
                },
                {
                    "name": "Bianca Third-Blacklisted",
                    "parent_id": cls.third_co.id,
                    "email": "bianca@third.example",
                    "job_responsibility_ids": [(6, 0, cls.resp_it.ids)],
                },
                {"name": "Otto Third-Other", "parent_id": cls.third_co.id},
            ]
        )
        cls.env["mail.blacklist"]._add("bianca@third.example")
        cls.ours = (
            cls.customer_co
            | cls.prospect_co
            | cls.third_co
            | cls.customer_buyer
            | cls.customer_it
            | cls.prospect_buyer
            | cls.prospect_seller
            | cls.third_buyer
            | cls.third_excluded
            | cls.third_blacklisted
            | cls.third_other
        )
        cls.only_ours = f"[('id', 'in', {cls.ours.ids})]"

    def segment_with_lines(self):
        """A segment holding some of the contacts already: a person, a company, and an excluded person."""
        segment = self.new_segment()
        contacts = self.customer_buyer | self.prospect_co | self.third_excluded
        segment._run_step("add", {"partner_ids": contacts.ids, "options": {"ignore_exclusion": True}})
        return segment

    def preview_and_apply(self, segment, mode, filters, options):
        """The count the wizard shows, the count the step reports, and how much the lines changed."""
        Wizard = self.env["sales.segment.contacts.wizard"].with_context(
            default_segment_id=segment.id, default_mode=mode
        )
        form = Form(Wizard)
        for name, value in filters.items():
            if isinstance(value, str):
                setattr(form, name, value)
            else:
                for record in value:
                    getattr(form, name).add(record)
        for option in options:
            setattr(form, option, True)
        if not form.has_filters:
            form.confirm_all = True
        preview = form.match_count
        wizard = form.save()
        before = segment.line_count
        action = wizard.action_apply()
        counts = action["params"]["counts"]
        segment.invalidate_recordset(["line_count"])
        return preview, counts["added"] if mode == "add" else counts["removed"], abs(segment.line_count - before)

    @users("sc_staff")
    def test_add_preview_is_the_add_for_every_option(self):
        filter_sets = {
            "persons by responsibility": {"job_responsibility_ids": self.resp_purchase | self.resp_it},
            "a company by its fields": {
                "partner_domain": f"[('id', 'in', {self.ours.ids}), ('name', '=', 'Third Company')]",
            },
            "everything of ours": {"partner_domain": self.only_ours},
        }
        combinations = itertools.product((False, True), repeat=len(ADD_OPTIONS))
        for (label, filters), flags in itertools.product(filter_sets.items(), list(combinations)):
            options = [option for option, flag in zip(ADD_OPTIONS, flags, strict=True) if flag]
            with self.subTest(filters=label, options=options):
                preview, reported, changed = self.preview_and_apply(self.segment_with_lines(), "add", filters, options)
                self.assertEqual((preview, reported), (changed, changed))

    @users("sc_staff")
    def test_reduce_and_refine_previews_are_the_steps(self):
        filter_sets = {
            "a responsibility": {"job_responsibility_ids": self.resp_purchase},
            "a relation": {"business_relation_ids": self.rel_cust},
            "contacts outside the segment": {
                "partner_domain": f"[('id', 'in', {(self.third_other | self.customer_it).ids})]",
            },
            "no filter": {},
        }
        for mode, (label, filters), flags in itertools.product(
            ("reduce", "refine"), filter_sets.items(), itertools.product((False, True), repeat=len(REMOVE_OPTIONS))
        ):
            options = [option for option, flag in zip(REMOVE_OPTIONS, flags, strict=True) if flag]
            with self.subTest(mode=mode, filters=label, options=options):
                segment = self.new_segment()
                self.add(segment, partner_domain=self.only_ours, ignore_exclusion=True)
                self.reduce(segment, partner_domain=f"[('id', 'in', {(self.third_other | self.customer_it).ids})]")
                preview, reported, changed = self.preview_and_apply(segment, mode, filters, options)
                self.assertEqual((preview, reported), (changed, changed))

    @users("sc_staff")
    def test_issue_examples(self):
        """Excluded contacts are not counted for Add; Reduce counts the segment's lines, not the database's."""
        segment = self.segment_with_lines()
        Wizard = self.env["sales.segment.contacts.wizard"].with_context(default_segment_id=segment.id)
        form = Form(Wizard.with_context(default_mode="add"))
        form.job_responsibility_ids.add(self.resp_purchase)
        # Purchasers: Carla (in the segment already), Paula, Tina, Xavier (excluded).
        self.assertEqual(form.match_count, 2)
        form = Form(Wizard.with_context(default_mode="reduce"))
        form.job_responsibility_ids.add(self.resp_purchase)
        self.assertEqual(form.match_count, 2, "Carla and Xavier are the segment's purchasers")
        form.entire_companies = True
        self.assertEqual(
            form.match_count, 3, "and with entire companies the prospect company goes too (Paula buys there)"
        )
