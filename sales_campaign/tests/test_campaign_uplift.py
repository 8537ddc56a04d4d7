from datetime import date, datetime

from odoo.tests import BaseCase, tagged

from ..models.sales_campaign_uplift import (
    mean_difference,
    proportion_difference,
    proportion_ratio,
    wilson_interval,
)
from .features_common import SalesFeaturesCommon


class TestUpliftIntervals(BaseCase):
    """The intervals of the uplift against the published values."""

    def assertRounded(self, values, expected, digits=4):
        self.assertEqual(tuple(round(value, digits) for value in values), expected)

    def test_wilson_score_interval(self):
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion", example 81/263
        self.assertRounded(wilson_interval(81, 263), (0.2553, 0.3662))
        self.assertIsNone(wilson_interval(0, 0))

    def test_newcombe_hybrid_score_interval_of_a_difference(self):
        # Newcombe (1998), "Interval estimation for the difference between independent proportions", Table II,
        # method 10
        self.assertRounded(proportion_difference(56, 70, 48, 80), (0.2, 0.0524, 0.3339))
        self.assertRounded(proportion_difference(9, 10, 3, 10), (0.6, 0.1705, 0.809))
        self.assertRounded(proportion_difference(5, 56, 0, 29), (0.0893, -0.0381, 0.1926))

    def test_katz_log_interval_of_a_ratio(self):
        self.assertRounded(proportion_ratio(15, 100, 5, 100), (3.0, 1.13, 7.94), digits=2)
        self.assertIsNone(proportion_ratio(15, 100, 0, 100), "no ratio to a group without any")

    def test_normal_interval_of_a_difference_of_means(self):
        difference, low, high = mean_difference(500.0, 250000.0, 100, 200.0, 160000.0, 50)
        self.assertAlmostEqual(difference, 300.0)
        self.assertAlmostEqual(high - difference, 1.959963984540054 * (2500 + 3200) ** 0.5)
        self.assertAlmostEqual(difference - low, high - difference)
        self.assertIsNone(mean_difference(1.0, 0.0, 1, 1.0, 0.0, 5))


@tagged("post_install", "-at_install")
class TestCampaignUplift(SalesFeaturesCommon):
    """The campaign card shows what the campaign changed: its targets against its control group, per company, in
    the campaign period, with the differences and their 95 % intervals. The staff logs, the manager reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign.write({"date_start": date(2031, 1, 1), "date_end": date(2031, 3, 31)})

    def setUp(self):
        super().setUp()
        self.visitors = self.persons(100)
        self.logged = self.log(self.staff_segment(self.visitors), control_share=20, send_attachments=False)
        entries = self.logged.interaction_ids
        self.control = entries.filtered("campaign_control").partner_id
        self.targets = entries.filtered("campaign_target").partner_id
        self.assertEqual((len(self.targets), len(self.control)), (80, 20))

    def test_targets_against_the_control_group(self):
        in_period = datetime(2031, 2, 15, 10, 0)
        # Half the targets order 1,000 with the campaign (responses of the campaign); a fifth of the control group
        # orders 1,000 by itself; orders outside the campaign period do not count.
        for partner in self.targets[:40]:
            self.order(partner, 1000.0, campaign=self.campaign, date_order=in_period)
        for partner in self.control[:4]:
            self.order(partner, 1000.0, date_order=in_period)
        self.order(self.targets[50], 5000.0, date_order=datetime(2031, 5, 2, 10, 0))
        self.order(self.control[10], 5000.0, date_order=datetime(2030, 12, 31, 10, 0))

        campaign = self.campaign.with_user(self.manager)
        uplift = campaign._get_uplift()
        self.assertEqual((uplift["target"]["companies"], uplift["control"]["companies"]), (80, 20))
        self.assertEqual((uplift["target"]["ordered"], uplift["control"]["ordered"]), (40, 4))
        self.assertEqual((uplift["target"]["responded"], uplift["control"]["responded"]), (40, 0))
        order = uplift["order"]
        self.assertEqual((order["target"], order["control"]), (50.0, 20.0))
        expected = proportion_difference(40, 80, 4, 20)
        self.assertAlmostEqual(order["difference"], 30.0)
        self.assertAlmostEqual(order["low"], expected[1] * 100)
        self.assertAlmostEqual(order["high"], expected[2] * 100)
        self.assertAlmostEqual(order["ratio"], 2.5)
        self.assertIsNone(uplift["response"]["ratio"], "no ratio to a control group without responses")
        revenue = uplift["revenue"]
        self.assertEqual((round(revenue["target"], 2), round(revenue["control"], 2)), (500.0, 200.0))
        self.assertAlmostEqual(revenue["difference"], 300.0)
        self.assertAlmostEqual(uplift["extra_revenue"][0], 24000.0, msg="300 more for each of the 80 targets")
        self.assertLess(uplift["extra_revenue"][1], 24000.0)

        self.assertTrue(campaign.uplift_available)
        self.assertEqual((campaign.uplift_target_count, campaign.uplift_control_count), (80, 20))
        self.assertAlmostEqual(campaign.uplift_order_difference, 30.0)
        self.assertAlmostEqual(campaign.uplift_extra_revenue, 24000.0)
        html = str(campaign.uplift_html)
        for text in ("Control Group", "Ordered in the campaign period", "Revenue per company", "95% Interval", "paid"):
            self.assertIn(text, html)

    def test_a_control_company_the_campaign_targeted_later_leaves_both_groups(self):
        later = self.staff_segment(self.control[:5])
        self.log(later, send_attachments=False)
        uplift = self.campaign.with_user(self.manager)._get_uplift()
        self.assertEqual(
            (uplift["target"]["companies"], uplift["control"]["companies"]),
            (80, 15),
            "the later log has no control group: its targets are not those of the comparison",
        )

    def test_without_a_control_group_or_the_log_nothing_is_shown(self):
        self.logged.action_cancel()
        campaign = self.campaign.with_user(self.manager)
        self.assertFalse(campaign.uplift_available)
        self.assertFalse(campaign.uplift_html)
        self.logged.action_restore()
        salesperson = self.env["res.users"].create(
            {
                "name": "Salesperson",
                "login": "sc_salesperson_uplift",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        self.campaign.invalidate_recordset()
        self.assertFalse(self.campaign.with_user(salesperson).uplift_available, "the log's figures are hidden")
        self.assertTrue(self.campaign.with_user(self.manager).uplift_available)
