from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestSegmentSecurity(SalesSegmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["sales.segment"].with_user(cls.staff).create({"description": "Main company"})
        cls.segment_2 = cls.env["sales.segment"].with_user(cls.staff_2).create({"description": "Nordic"})

    def test_numbering(self):
        self.assertRegex(self.segment.name, r"^SM\d{5}$")
        self.assertEqual(int(self.segment_2.name[2:]), int(self.segment.name[2:]) + 1)
        self.assertEqual(self.segment.company_id, self.company)
        self.assertEqual(self.segment_2.company_id, self.company_2)

    def test_companies_do_not_see_each_others_segments(self):
        self.segment.with_user(self.staff)._run_step("add", {"job_responsibility_ids": self.resp_purchase.ids})
        for user, own, other in (
            (self.staff, self.segment, self.segment_2),
            (self.manager, self.segment, self.segment_2),
            (self.staff_2, self.segment_2, self.segment),
            (self.manager_2, self.segment_2, self.segment),
        ):
            with self.subTest(user=user.login):
                Segment = self.env["sales.segment"].with_user(user)
                self.assertEqual(Segment.search([("id", "in", (own | other).ids)]), own)
                with self.assertRaises(AccessError):
                    other.with_user(user).read(["description"])
                with self.assertRaises(AccessError):
                    other.with_user(user).action_go_back()
                with self.assertRaises(AccessError):
                    other.with_user(user).unlink()
        lines = self.env["sales.segment.line"].with_user(self.staff_2).search([("segment_id", "=", self.segment.id)])
        self.assertFalse(lines, "nor their lines")
        steps = (
            self.env["sales.segment.history"].with_user(self.manager_2).search([("segment_id", "=", self.segment.id)])
        )
        self.assertFalse(steps, "nor their history")

    def test_employees_without_the_group_have_no_segments(self):
        with self.assertRaises(AccessError):
            self.env["sales.segment"].with_user(self.employee).search([])

    def test_staff_manages_its_segments_and_criteria(self):
        segment = self.segment.with_user(self.staff)
        segment._run_step("add", {"job_responsibility_ids": self.resp_purchase.ids})
        self.assertEqual(segment.line_ids.partner_id, self.customer_buyer | self.prospect_buyer)
        # Saved criteria: the staff saves, reads, reuses and deletes its own; another company's stay hidden.
        wizard = (
            self.env["sales.segment.save.criteria.wizard"]
            .with_user(self.staff)
            .create({"segment_id": segment.id, "code": "T-STAFF"})
        )
        wizard.action_save()
        Criteria = self.env["sales.segment.criteria"]
        saved = Criteria.with_user(self.staff).search([("code", "=", "T-STAFF")])
        self.assertEqual((saved.company_id, len(saved.line_ids)), (self.company, 1))
        self.assertFalse(Criteria.with_user(self.staff_2).search([("code", "=", "T-STAFF")]), "hidden from company 2")
        with self.assertRaises(AccessError):
            saved.with_user(self.staff_2).read(["code"])
        segment.action_go_back()
        self.assertFalse(segment.line_ids)
        copy = segment.copy()
        self.assertEqual((copy.state, copy.line_count), ("draft", 0), "a copy starts empty")
        copy._reuse_criteria(saved.with_user(self.staff))
        self.assertEqual(copy.line_ids.partner_id, self.customer_buyer | self.prospect_buyer)
        copy.unlink()
        self.assertFalse(copy.exists())
        self.assertTrue(segment.exists())
        with self.assertRaises(AccessError):
            saved.with_user(self.staff).unlink()  # deleting saved criteria is the manager's
        saved.with_user(self.manager).unlink()
        self.assertFalse(saved.exists())

    def test_export_requires_access(self):
        with self.assertRaises(AccessError):
            self.segment_2.with_user(self.staff).action_export_xlsx()

    def test_empty_export_selection(self):
        with self.assertRaises(UserError):
            self.env["sales.segment"].with_user(self.staff).action_export_xlsx()
