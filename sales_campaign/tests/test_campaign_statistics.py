import io
import zipfile

import openpyxl

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from .common import SalesSegmentCommon


@tagged("post_install", "-at_install")
class TestCampaignStatistics(SalesSegmentCommon):
    """The campaign's results (walkthrough step 7.3), with cancelled entries, several segments, currencies
    and companies, read by the marketing staff."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.company.currency_id
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.env["res.currency.rate"].search([("currency_id", "in", (cls.eur | cls.usd).ids)]).unlink()
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.eur.id, "rate": 2.0, "name": "2020-01-01", "company_id": cls.company.id}
        )
        cls.response_template = cls.env["sales.interaction.template"].create(
            {
                "code": "T-RESP",
                "name": "Response",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_response").id,
                "information_flow": "inbound",
                "initiated_by": "them",
                "campaign_id": cls.campaign.id,
                "company_id": cls.company.id,
                "campaign_response": True,
                "unit_duration": 10,
            }
        )

    def log_segment(self, responsibilities):
        segment = self.new_segment(
            template_id=self.template.id, campaign_id=self.campaign.id, campaign_target=True
        ).with_user(self.staff)
        self.add(segment, job_responsibility_ids=responsibilities)
        form = Form(
            self.env["sales.segment.log.wizard"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        form.send_attachments = False
        action = form.save().action_log()
        return self.env["sales.logged.segment"].browse(action["params"]["next"]["res_id"]).with_user(self.staff)

    def respond(self, partner):
        return self.log_interaction(
            self.staff,
            {"partner_id": partner.id, "template_id": self.response_template.id, "description": "Answered the letter"},
        )

    def opportunity(self, revenue, won=False, company=None, active=True, campaign=None):
        stage = self.env["crm.stage"].search([("is_won", "=", won)], limit=1)
        return self.env["crm.lead"].create(
            {
                "name": f"Chairs {revenue}",
                "type": "opportunity",
                "expected_revenue": revenue,
                "campaign_id": (campaign or self.campaign).utm_campaign_id.id,
                "stage_id": stage.id,
                "company_id": (company or self.company).id,
                "active": active,
            }
        )

    def order(self, amount, confirm=True, pricelist=None, company=None, campaign=None, date=None):
        """A quotation of ``amount`` in the pricelist's currency, confirmed unless told; ``date`` is its order
        date (set after the confirmation, which dates the order today), the date of its currency rate."""
        product = self.env["product.product"].create({"name": f"Product {amount}", "list_price": amount})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_co.id,
                "campaign_id": (campaign or self.campaign).utm_campaign_id.id,
                "company_id": (company or self.company).id,
                "pricelist_id": pricelist.id if pricelist else False,
                "order_line": [Command.create({"product_id": product.id, "price_unit": amount, "tax_id": False})],
            }
        )
        if confirm:
            order.action_confirm()
        if date:
            order.date_order = date
        return order

    def build_story(self):
        first = self.log_segment(self.resp_purchase | self.resp_it)  # 3 targets
        second = self.log_segment(self.resp_purchase)  # 2 targets, cancelled below
        self.respond(self.customer_buyer)
        self.respond(self.prospect_buyer)
        cancelled_response = self.respond(self.customer_it)
        cancelled_response.action_cancel()
        second.action_cancel()
        self.opportunity(1000, won=True)
        self.opportunity(500)
        self.opportunity(300, active=False)  # lost
        self.opportunity(9999, company=self.company_2)
        self.order(1000)
        euro = self.env["product.pricelist"].create({"name": "Euro", "currency_id": self.eur.id})
        self.order(400, pricelist=euro)  # 200 in the company currency
        self.order(50, confirm=False)
        self.order(70).with_context(disable_cancel_warning=True)._action_cancel()
        return first, second

    # ------------------------------------------------------------------------------------------------

    def test_statistics_of_a_campaign_without_results(self):
        campaign = self.campaign.with_user(self.staff)
        self.assertEqual(campaign.stat_contacted_count, 0)
        self.assertEqual(campaign.stat_response_rate, 0)
        self.assertEqual(campaign.stat_cost_per_response, 0)
        self.assertEqual(campaign.stat_return_on_cost, 0)

    def test_every_figure_leaves_cancelled_entries_out(self):
        self.build_story()
        campaign = self.campaign.with_user(self.staff)
        self.assertEqual(campaign.stat_contacted_count, 3, "the cancelled second segment is left out")
        self.assertEqual(campaign.stat_responded_count, 2, "the cancelled response is left out")
        self.assertEqual(campaign.stat_response_rate, 66.7)
        self.assertEqual(campaign.stat_cost, 4.5)
        self.assertEqual(campaign.stat_duration, 3 * 3 + 2 * 10)
        self.assertEqual(campaign.stat_cost_per_response, 2.25)
        self.assertEqual(campaign.stat_duration_per_response, 14.5)
        self.assertEqual(campaign.stat_opportunity_count, 2, "the lost and the other company's are left out")
        self.assertEqual(campaign.stat_opportunity_value, 1500)
        self.assertEqual(campaign.stat_won_count, 1)
        self.assertEqual(campaign.stat_won_value, 1000)
        self.assertEqual(campaign.stat_quotation_count, 1)
        self.assertEqual(campaign.stat_order_count, 2)
        self.assertEqual(campaign.stat_revenue, 1200, "1,000 USD and 400 EUR at 2 EUR per USD")
        self.assertEqual(campaign.stat_currency_id, self.usd)
        self.assertEqual(campaign.stat_cost_per_won, 4.5)
        self.assertEqual(campaign.stat_return_on_cost, round((1200 - 4.5) / 4.5 * 100, 1))

    def test_responses_can_exceed_targets_as_in_business_central(self):
        self.log_segment(self.resp_it)  # 2 targets: Ivan and Paula
        for partner in (self.customer_it, self.customer_it, self.prospect_buyer, self.prospect_buyer):
            self.respond(partner)
        self.assertEqual(self.campaign.with_user(self.staff).stat_response_rate, 200.0)

    def test_campaign_analysis_across_campaigns(self):
        self.build_story()
        other = self.env["sales.campaign"].create({"title": "Other campaign"})
        self.env["sales.interaction.log"]._create_process(
            [
                {
                    "partner_id": self.prospect_co.id,
                    "template_id": self.template.id,
                    "description": "Call",
                    "campaign_id": other.id,
                    "campaign_target": True,
                }
            ]
        )
        Analysis = self.env["sales.campaign.analysis"].with_user(self.staff)
        rows = {
            campaign: (contacted, responded, cost, opportunities, won, revenue)
            for campaign, contacted, responded, cost, opportunities, won, revenue in Analysis._read_group(
                [],
                ["campaign_id"],
                [
                    "contacted_count:sum",
                    "responded_count:sum",
                    "cost:sum",
                    "opportunity_count:sum",
                    "won_revenue:sum",
                    "revenue:sum",
                ],
            )
        }
        self.assertEqual(rows[self.campaign], (3, 2, 4.5, 2, 1000, 1200))
        self.assertEqual(rows[other][:3], (1, 0, 1.5))

    def test_interaction_pivot_groups_by_campaign_template_salesperson_language(self):
        self.build_story()
        Log = self.env["sales.interaction.log"].with_user(self.staff)
        for groupby in ("campaign_id", "template_id", "date:month", "user_id", "lang"):
            groups = Log._read_group([("cancelled", "=", False)], [groupby], ["__count"])
            self.assertEqual(sum(count for _key, count in groups), 5, groupby)

    def test_export_statistics_to_excel(self):
        first, _second = self.build_story()
        action = self.campaign.with_user(self.staff).action_export_statistics()
        self.assertEqual(action["url"], f"/sales_campaign/export/statistics/{self.campaign.id}")
        filename, content = self.env["sales.campaign.statistics.xlsx"].with_user(self.staff)._export(self.campaign)
        self.assertEqual(filename, f"Statistics {self.campaign.number}.xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(
            workbook.sheetnames,
            ["Campaign", "By Logged Segment", "By Interaction Template", "By Salesperson", "By Language"],
        )
        figures = {row[0]: row[1] for row in workbook["Campaign"].iter_rows(min_row=5, values_only=True) if row[0]}
        self.assertEqual(figures["Target Contacts Contacted"], 3)
        self.assertEqual(figures["Contacts Responded"], 2)
        self.assertEqual(figures["Response Rate (%)"], 66.7)
        self.assertEqual(figures["Revenue"], 1200)
        segments = {
            row[0]: row[1:] for row in workbook["By Logged Segment"].iter_rows(min_row=2, values_only=True) if row[0]
        }
        # contacted, responded, rate, cost, duration; e-mails sent, replies, clicks, unsubscribes and their rates
        self.assertEqual(segments[first.display_name], (3, 0, 0, 4.5, 9, 0, 0, 0, 0, 0, 0, 0))
        self.assertEqual(segments["Single interactions"], (0, 2, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0))
        self.assertEqual(len(segments), 2, "the cancelled logged segment is left out")
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.assertIn("xl/charts/chart1.xml", archive.namelist())

    # ------------------------------------------------------------------------------------------------
    # One definition of the figures, in every place that shows them

    def figures_everywhere(self, campaign, user, companies=None):
        """Revenue, estimated value and response rate of ``campaign`` as ``user`` reads them on the card,
        in the campaign list, in the Campaign Analysis and in the Excel export."""
        context = {"allowed_company_ids": companies.ids} if companies else {}
        campaign = campaign.with_user(user).with_context(**context)
        env = campaign.env
        card = (campaign.stat_revenue, campaign.stat_opportunity_value, campaign.stat_response_rate)
        env.invalidate_all()
        [listed] = env["sales.campaign"].web_search_read(
            [("id", "=", campaign.id)],
            {
                "stat_currency_id": {"fields": {}},
                "stat_response_rate": {},
                "stat_revenue": {},
                "stat_opportunity_value": {},
            },
        )["records"]
        in_list = (listed["stat_revenue"], listed["stat_opportunity_value"], listed["stat_response_rate"])
        [(revenue, estimated, contacted, responded)] = env["sales.campaign.analysis"]._read_group(
            [("campaign_id", "=", campaign.id)],
            [],
            ["revenue:sum", "expected_revenue:sum", "contacted_count:sum", "responded_count:sum"],
        )
        currency = campaign.stat_currency_id
        in_analysis = (
            currency.round(revenue),
            currency.round(estimated),
            round(responded / contacted * 100, 1) if contacted else 0.0,
        )
        _filename, content = env["sales.campaign.statistics.xlsx"]._export(campaign)
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Campaign"]
        exported = {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
        in_export = (exported["Revenue"], exported["Estimated Value"], exported["Response Rate (%)"])
        return card, in_list, in_analysis, in_export

    def test_orders_in_two_currencies_count_the_same_on_card_list_analysis_and_export(self):
        """Each order counts once, at the rate of its order date: a later rate changes nothing."""
        self.log_segment(self.resp_purchase | self.resp_it)  # 3 targets
        self.respond(self.customer_buyer)
        euro = self.env["product.pricelist"].create({"name": "Euro", "currency_id": self.eur.id})
        self.order(1000, date="2024-03-01")
        euro_order = self.order(400, pricelist=euro, date="2024-03-01")
        self.opportunity(600)
        # The euro's rate doubles afterwards: at today's rate the 400 EUR would be 100 USD, not 200.
        self.env["res.currency.rate"].create(
            {"currency_id": self.eur.id, "rate": 4.0, "name": "2024-06-01", "company_id": self.company.id}
        )
        self.assertEqual(euro_order.currency_rate, 2.0)
        card, in_list, in_analysis, in_export = self.figures_everywhere(self.campaign, self.staff)
        self.assertEqual(card, (1200, 600, 33.3))
        self.assertEqual(in_list, card)
        self.assertEqual(in_analysis, card)
        self.assertEqual(in_export, card)

    def test_shared_campaign_converts_each_company_at_the_date_of_its_figures(self):
        """A campaign shared by all companies adds up the companies the user works in, in the current
        company's currency: an order of a euro company at its order date's rate, an opportunity at the rate
        of the day it was created (today)."""
        self.company_2.currency_id = self.eur
        self.manager.company_ids = [Command.link(self.company_2.id)]
        shared = self.env["sales.campaign"].create({"title": "Shared trade show", "company_id": False})
        euro = self.env["product.pricelist"].create({"name": "Euro", "currency_id": self.eur.id, "company_id": False})
        self.order(1000, campaign=shared, date="2024-03-01")
        self.order(400, pricelist=euro, company=self.company_2, campaign=shared, date="2024-03-01")  # 200 USD
        self.env["res.currency.rate"].create(
            {"currency_id": self.eur.id, "rate": 4.0, "name": "2024-06-01", "company_id": self.company.id}
        )
        self.opportunity(300, company=self.company_2, campaign=shared)  # 75 USD at today's rate
        card, in_list, in_analysis, in_export = self.figures_everywhere(
            shared, self.manager, companies=self.company | self.company_2
        )
        self.assertEqual(card, (1200, 75, 0.0))
        self.assertEqual((in_list, in_analysis, in_export), (card, card, card))
        # Working in the first company only, the user sees that company's figures.
        card, in_list, in_analysis, in_export = self.figures_everywhere(shared, self.manager, companies=self.company)
        self.assertEqual(card, (1000, 0, 0.0))
        self.assertEqual((in_list, in_analysis, in_export), (card, card, card))

    def test_export_breakdowns_add_up_to_the_card(self):
        self.build_story()
        campaign = self.campaign.with_user(self.staff)
        _filename, content = self.env["sales.campaign.statistics.xlsx"].with_user(self.staff)._export(self.campaign)
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        for sheet in workbook.sheetnames[1:]:
            rows = [row for row in workbook[sheet].iter_rows(min_row=2, values_only=True) if row[0]]
            self.assertEqual(sum(row[1] for row in rows), campaign.stat_contacted_count, sheet)
            self.assertEqual(sum(row[2] for row in rows), campaign.stat_responded_count, sheet)
            self.assertEqual(sum(row[4] for row in rows), campaign.stat_cost, sheet)
            self.assertEqual(sum(row[5] for row in rows), campaign.stat_duration, sheet)

    # ------------------------------------------------------------------------------------------------
    # The chart of the Statistics tab

    def log_on(self, day, partner, response=False):
        template = self.response_template if response else self.template
        return self.log_interaction(
            self.staff,
            {
                "partner_id": partner.id,
                "template_id": template.id,
                "description": "Response" if response else "Letter",
                "campaign_id": self.campaign.id,
                "campaign_target": not response,
                "campaign_response": response,
                "date": f"{day} 10:00:00",
            },
        )

    def test_chart_shows_the_funnel_and_the_responses_per_week(self):
        self.campaign.write({"date_start": "2024-03-04", "date_end": "2024-03-31"})  # four weeks from a Monday
        for partner in (self.customer_buyer, self.customer_it, self.prospect_buyer):
            self.log_on("2024-03-04", partner)
        self.log_on("2024-03-06", self.customer_buyer, response=True)
        self.log_on("2024-03-13", self.prospect_buyer, response=True)
        self.log_on("2024-03-14", self.customer_it, response=True).action_cancel()
        self.opportunity(1000, won=True)
        self.opportunity(500)
        self.order(700)
        chart = self.campaign.with_user(self.staff).stat_chart
        self.assertEqual(
            chart["funnel"],
            [
                {
                    "name": "stat_contacted_count",
                    "label": "Target Contacts Contacted",
                    "value": 3,
                    "rate": None,
                    "rate_label": None,
                    "kind": "step",
                },
                {
                    "name": "stat_responded_count",
                    "label": "Contacts Responded",
                    "value": 2,
                    "rate": 66.7,
                    "rate_label": "Response Rate (%)",
                    "kind": "step",
                },
                {
                    "name": "stat_opportunity_count",
                    "label": "Opportunities",
                    "value": 2,
                    "rate": None,
                    "rate_label": None,
                    "kind": "step",
                },
                {
                    "name": "stat_won_count",
                    "label": "Won Opportunities",
                    "value": 1,
                    "rate": None,
                    "rate_label": None,
                    "kind": "step",
                },
                {
                    "name": "stat_order_count",
                    "label": "Sales Orders",
                    "value": 1,
                    "rate": None,
                    "rate_label": None,
                    "kind": "step",
                },
            ],
        )
        self.assertEqual(
            chart["timeline"],
            {
                "unit": "week",
                "periods": ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"],
                "contacted": [3, 0, 0, 0],
                "responses": [1, 1, 0, 0],
                "rate": [33.3, 66.7, 66.7, 66.7],
            },
        )
        self.assertTrue(chart["with_log"])

    def test_chart_of_a_long_campaign_counts_per_month(self):
        self.campaign.write({"date_start": "2024-01-15", "date_end": "2024-06-30"})
        self.log_on("2024-01-15", self.customer_buyer)
        self.log_on("2024-01-20", self.customer_it)
        self.log_on("2024-04-02", self.customer_buyer, response=True)
        timeline = self.campaign.with_user(self.staff).stat_chart["timeline"]
        self.assertEqual(timeline["unit"], "month")
        self.assertEqual(
            timeline["periods"], ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]
        )
        self.assertEqual(timeline["responses"], [0, 0, 0, 1, 0, 0])
        self.assertEqual(timeline["rate"], [0.0, 0.0, 0.0, 50.0, 50.0, 50.0])

    def test_chart_of_a_campaign_without_starting_date_starts_from_nothing(self):
        self.log_on("2024-03-06", self.customer_buyer)
        self.log_on("2024-03-07", self.customer_buyer, response=True)
        timeline = self.campaign.with_user(self.staff).stat_chart["timeline"]
        self.assertEqual(
            timeline,
            {
                "unit": "week",
                "periods": ["2024-02-26", "2024-03-04"],
                "contacted": [0, 1],
                "responses": [0, 1],
                "rate": [0.0, 100.0],
            },
        )

    def test_chart_without_interaction_log_access_starts_at_the_opportunities(self):
        """A salesperson reads campaigns, not their interaction log: no interaction figures in the chart."""
        salesperson = new_test_user(
            self.env,
            login="sc_stat_salesperson",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.build_story()
        campaign = self.campaign.with_user(salesperson)
        chart = campaign.stat_chart
        self.assertFalse(chart["with_log"])
        self.assertFalse(chart["timeline"])
        self.assertEqual([step["value"] for step in chart["funnel"]], [2, 1, 2])
        self.assertEqual((campaign.stat_contacted_count, campaign.stat_cost, campaign.stat_revenue), (0, 0, 1200))

    # ------------------------------------------------------------------------------------------------
    # Queries

    def test_list_figures_cost_the_same_queries_for_1_and_20_campaigns(self):
        campaigns = self.env["sales.campaign"].create([{"title": f"Campaign {number}"} for number in range(20)])
        self.env["sales.interaction.log"]._create_process(
            [
                {
                    "partner_id": partner.id,
                    "template_id": self.template.id,
                    "description": "Letter",
                    "campaign_id": campaign.id,
                    "campaign_target": True,
                    "campaign_response": partner == self.customer_buyer,
                }
                for campaign in campaigns
                for partner in (self.customer_buyer, self.customer_it)
            ]
        )
        for campaign in campaigns:
            self.order(100, campaign=campaign)
        # What the list and the kanban read, with the context the web client sends
        Campaign = self.env["sales.campaign"].with_user(self.staff).with_context(tz="Europe/Brussels", lang="en_US")
        specification = {
            "number": {},
            "title": {},
            "status_id": {"fields": {"display_name": {}}},
            "stat_currency_id": {"fields": {}},
            "stat_response_rate": {},
            "stat_revenue": {},
        }
        counts = []
        for some in (campaigns[:1], campaigns):
            self.env.invalidate_all()
            Campaign.web_search_read([("id", "in", some.ids)], specification)  # fills the caches of rights and rules
            self.env.invalidate_all()
            # the campaigns, their UTM campaigns, companies, figures, currencies and statuses
            with self.assertQueryCount(6):
                before = self.cr.sql_log_count
                records = Campaign.web_search_read([("id", "in", some.ids)], specification)["records"]
                counts.append(self.cr.sql_log_count - before)
            self.assertEqual(
                [(record["stat_response_rate"], record["stat_revenue"]) for record in records],
                [(50.0, 100.0)] * len(some),
            )
        self.assertEqual(counts, [6, 6])

    def test_statistics_tab_queries(self):
        self.build_story()
        campaign = self.campaign.with_user(self.staff).with_context(tz="Europe/Brussels", lang="en_US")
        specification = {name: {} for name in campaign._fields if name.startswith("stat_")}
        specification["stat_currency_id"] = {"fields": {}}
        self.env.invalidate_all()
        campaign.web_read(specification)  # fills the caches of rights and rules
        self.env.invalidate_all()
        # the campaign, its UTM campaign, company, figures, currency and responses per day
        with self.assertQueryCount(6):
            before = self.cr.sql_log_count
            [values] = campaign.web_read(specification)
            self.assertEqual(self.cr.sql_log_count - before, 6)
        self.assertEqual(values["stat_revenue"], 1200)
        self.assertEqual([step["value"] for step in values["stat_chart"]["funnel"]], [3, 2, 2, 1, 2])
