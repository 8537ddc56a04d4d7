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
        steps = self.env["sales.segment.history"].with_user(self.manager_2).search([("segment_id", "=", self.segment.id)])
        self.assertFalse(steps, "nor their history")

    def test_employees_without_the_group_have_no_segments(self):
        with self.assertRaises(AccessError):
            self.env["sales.segment"].with_user(self.employee).search([])

    def test_staff_manages_its_segments_and_criteria(self):
        segment = self.segment.with_user(self.staff)
        segment._run_step("add", {"job_responsibility_ids": self.resp_purchase.ids})
        segment.action_go_back()
        copy = segment.copy()
        copy.unlink()
        self.assertTrue(segment.exists())

    def test_export_requires_access(self):
        with self.assertRaises(AccessError):
            self.segment_2.with_user(self.staff).action_export_xlsx()

    def test_empty_export_selection(self):
        with self.assertRaises(UserError):
            self.env["sales.segment"].with_user(self.staff).action_export_xlsx()
