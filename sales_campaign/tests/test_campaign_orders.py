import io
from datetime import timedelta

import openpyxl

from odoo import Command
from odoo.tests import Form, tagged

from .test_campaign_prices import CampaignPricesCommon


@tagged("post_install", "-at_install")
class TestCampaignOrders(CampaignPricesCommon):
    """An order priced by a campaign is the campaign's (issue 21).

    A salesperson makes and confirms the quotations in the sales app; the campaign manager reads the campaign
    card, the Campaign Analysis and the Excel export. Carla, the buyer of the customer company, was contacted:
    she is a target of the campaign in its interaction log, so the orders of her company are her responses.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.utm = cls.campaign.utm_campaign_id
        cls.response_template = (
            cls.env["sales.interaction.template"]
            .with_user(cls.manager)
            .create(
                {
                    "code": "T-RESP",
                    "name": "Campaign response",
                    "group_id": cls.env.ref("sales_campaign.sales_interaction_group_response").id,
                    "information_flow": "inbound",
                    "initiated_by": "them",
                }
            )
        )
        cls.campaign.with_user(cls.manager).response_template_id = cls.response_template
        cls.carla_contacted = cls.env["sales.interaction.log"].create(
            {
                "partner_id": cls.customer_buyer.id,
                "template_id": cls.template.id,
                "description": "Visited our booth",
                "campaign_id": cls.campaign.id,
                "campaign_target": True,
            }
        )

    def add_line(self, order, product):
        """The salesperson adds a line to the quotation in the sales app; returns the new line."""
        before = order.order_line
        with Form(order.with_user(self.salesperson)) as form, form.order_line.new() as line:
            line.product_id = product
        return order.order_line - before

    def set_campaign(self, order, campaign):
        """The salesperson sets (or clears) the campaign of the order in the sales app (Other Info)."""
        with Form(order.with_user(self.salesperson)) as form:
            form.campaign_id = campaign.utm_campaign_id if campaign else self.env["utm.campaign"]

    def figures(self):
        """Orders, revenue and responses by sales order of the campaign, as the manager reads them on the card,
        in the Campaign Analysis and in the Excel export."""
        self.env.invalidate_all()
        campaign = self.campaign.with_user(self.manager)
        card = (
            campaign.stat_order_count,
            campaign.stat_revenue,
            campaign.stat_response_order_count,
            campaign.stat_responded_count,
        )
        [analysis] = (
            self.env["sales.campaign.analysis"]
            .with_user(self.manager)
            ._read_group(
                [("campaign_id", "=", self.campaign.id)],
                [],
                ["order_count:sum", "revenue:sum", "response_order_count:sum", "responded_count:sum"],
            )
        )
        _filename, content = self.env["sales.campaign.statistics.xlsx"].with_user(self.manager)._export(campaign)
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Campaign"]
        exported = {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
        export = tuple(
            exported[label] for label in ("Sales Orders", "Revenue", "Responses by Sales Order", "Contacts Responded")
        )
        return card, analysis, export

    # ------------------------------------------------------------------------------------------------

    def test_priced_quotation_carries_the_campaign_as_quotation_and_once_confirmed(self):
        self.activate()
        Order = self.env["sale.order"].with_user(self.salesperson)
        with Form(Order) as form:
            form.partner_id = self.customer_co
            with form.order_line.new() as line:
                line.product_id = self.chair
            # On the quotation at once (Other Info > Tracking), before it is saved.
            self.assertEqual(form.campaign_id, self.utm)
            self.assertFalse(form.show_update_pricelist, "the prices are the campaign's already: nothing to update")
        order = form.record
        self.assertEqual(order.order_line.price_unit, 150.0)
        self.assertEqual(order.order_line.sales_campaign_id, self.campaign)
        self.assertEqual(order.campaign_id, self.utm)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.campaign_id, self.utm, "the order keeps the campaign once confirmed")
        # Odoo's own Sales Analysis (and so its UTM reporting) sees the campaign.
        report = (
            self.env["sale.report"]
            .with_user(self.salesperson)
            .search([("order_reference", "=", f"sale.order,{order.id}")])
        )
        self.assertEqual(report.campaign_id, self.utm)

        # A quotation made by code (an RPC client), and a line added on its own (as the product catalog does).
        by_code = Order.create(
            {"partner_id": self.customer_co.id, "order_line": [Command.create({"product_id": self.desk.id})]}
        )
        self.assertEqual(by_code.order_line.discount, 12.5)
        self.assertEqual(by_code.campaign_id, self.utm)
        from_catalog = Order.create({"partner_id": self.customer_co.id})
        self.assertFalse(from_catalog.campaign_id)
        self.env["sale.order.line"].with_user(self.salesperson).create(
            {"order_id": from_catalog.id, "product_id": self.chair.id, "product_uom_qty": 3}
        )
        self.assertEqual(from_catalog.campaign_id, self.utm)
        # A customer outside the target group: no campaign price, no campaign.
        self.assertFalse(self.quotation(self.prospect_co, self.chair).campaign_id)

    def test_priced_orders_count_once_on_the_card_in_the_analysis_and_in_the_export(self):
        self.activate()
        # Carla's company orders 2 chairs and a desk: the order carries the campaign and both lines are priced
        # by it, it counts once; Ivan of the same company orders a chair: a second order, but the response of
        # the company's target, Carla, is recorded once; a prospect buys at the regular price.
        first = self.quotation(self.customer_co, self.chair, quantity=2)
        self.add_line(first, self.desk)
        second = self.quotation(self.customer_it, self.chair)
        regular = self.quotation(self.prospect_co, self.chair)
        self.assertEqual((first | second).campaign_id, self.utm)
        self.assertFalse(regular.campaign_id)
        quotations = (first | second | regular).with_user(self.salesperson)
        self.assertEqual(self.figures(), ((0, 0.0, 0, 0),) * 3, "a quotation is no order and no response yet")
        quotations.action_confirm()

        revenue = 2 * 150.0 + 500.0 * 0.875 + 150.0
        card, analysis, export = self.figures()
        self.assertEqual(card, (2, revenue, 1, 1))
        self.assertEqual(analysis, card)
        self.assertEqual(export, card)
        response = self.env["sales.interaction.log"].search(
            [("campaign_id", "=", self.campaign.id), ("response_source", "=", "order")]
        )
        self.assertEqual(response.partner_id, self.customer_buyer)
        self.assertEqual(response.order_id, first)
        self.assertEqual(response.answered_interaction_id, self.carla_contacted)
        # The Sales Orders button of the card opens the two orders.
        action = self.campaign.with_user(self.manager).action_open_orders()
        self.assertEqual(self.env["sale.order"].with_user(self.manager).search(action["domain"]), first | second)

    def test_deactivated_campaign_prices_no_new_line_of_an_order_that_got_it_from_pricing(self):
        self.activate()
        order = self.quotation(self.customer_co, self.chair)
        self.assertEqual(order.campaign_id, self.utm)
        self.campaign.with_user(self.manager).action_deactivate()
        # A new line in the sales app and another one by code: regular prices, although the order carries the
        # campaign, since pricing put it there.
        desk_line = self.add_line(order, self.desk)
        order.with_user(self.salesperson).write({"order_line": [Command.create({"product_id": self.chair.id})]})
        chair_line = order.order_line[-1]
        self.assertEqual((desk_line.discount, desk_line.sales_campaign_id), (0.0, self.env["sales.campaign"]))
        self.assertEqual((chair_line.price_unit, chair_line.sales_campaign_id), (189.0, self.env["sales.campaign"]))
        self.assertEqual(order.order_line[0].price_unit, 150.0, "the first line keeps its price until Update Prices")
        self.assertEqual(order.campaign_id, self.utm, "and the order its campaign")
        # A new quotation gets neither the price nor the campaign.
        new = self.quotation(self.customer_co, self.chair)
        self.assertEqual(new.order_line.price_unit, 189.0)
        self.assertFalse(new.campaign_id)
        # Update Prices: no line has the campaign's price any more, and the campaign pricing gave leaves too.
        order.with_user(self.salesperson).action_update_prices()
        self.assertEqual(order.order_line.mapped("price_unit"), [189.0, 500.0, 189.0])
        self.assertFalse(order.order_line.sales_campaign_id)
        self.assertFalse(order.campaign_id)

    def test_campaign_whose_period_ended_prices_no_new_line_of_an_order_that_got_it_from_pricing(self):
        self.activate()
        order = self.quotation(self.customer_co, self.chair)
        self.assertEqual(order.campaign_id, self.utm)
        self.campaign.with_user(self.manager).date_end = self.today - timedelta(days=1)
        desk_line = self.add_line(order, self.desk)
        self.assertEqual(desk_line.discount, 0.0)
        self.assertEqual(order.campaign_id, self.utm)
        self.assertFalse(self.quotation(self.customer_co, self.chair).campaign_id)

    def test_campaign_the_user_chose_prices_its_lines_even_deactivated(self):
        self.activate()
        # The order got the campaign from pricing; the salesperson clears it, then chooses it again by hand.
        chosen_again = self.quotation(self.customer_co, self.chair)
        self.set_campaign(chosen_again, None)
        self.set_campaign(chosen_again, self.campaign)
        # A quotation made from an opportunity of the campaign (CRM's New Quotation gives the campaign).
        Order = self.env["sale.order"].with_user(self.salesperson).with_context(default_campaign_id=self.utm.id)
        with Form(Order) as form:
            form.partner_id = self.prospect_co
        from_opportunity = form.record
        self.campaign.with_user(self.manager).action_deactivate()
        for order in (chosen_again, from_opportunity):
            desk_line = self.add_line(order, self.desk)
            self.assertEqual(desk_line.discount, 12.5)
            self.assertEqual(desk_line.sales_campaign_id, self.campaign)
            self.assertEqual(order.campaign_id, self.utm)
        chosen_again.with_user(self.salesperson).action_update_prices()
        self.assertEqual(chosen_again.order_line.mapped("price_unit"), [150.0, 500.0])
        self.assertEqual(chosen_again.campaign_id, self.utm)

    def test_campaign_cleared_by_hand_is_not_set_again(self):
        self.activate()
        order = self.quotation(self.customer_co, self.chair)
        self.set_campaign(order, None)
        self.assertFalse(order.campaign_id)
        # The customer is still in the target group: new lines get the campaign's prices, not the order its
        # campaign.
        desk_line = self.add_line(order, self.desk)
        self.assertEqual((desk_line.discount, desk_line.sales_campaign_id), (12.5, self.campaign))
        self.assertFalse(order.campaign_id)
        order.with_user(self.salesperson).action_update_prices()
        self.assertEqual(order.order_line.sales_campaign_id, self.campaign)
        self.assertFalse(order.campaign_id)
        # Cleared by code (an RPC client) too.
        by_code = self.quotation(self.customer_co, self.chair).with_user(self.salesperson)
        by_code.write({"campaign_id": False})
        by_code.write({"order_line": [Command.create({"product_id": self.desk.id})]})
        self.assertFalse(by_code.campaign_id)
        # Cleared on a new quotation before it is saved.
        with Form(self.env["sale.order"].with_user(self.salesperson)) as form:
            form.partner_id = self.customer_co
            with form.order_line.new() as line:
                line.product_id = self.chair
            self.assertEqual(form.campaign_id, self.utm)
            form.campaign_id = self.env["utm.campaign"]
            with form.order_line.new() as line:
                line.product_id = self.desk
            self.assertFalse(form.campaign_id)
        self.assertEqual(form.record.order_line.sales_campaign_id, self.campaign)
        self.assertFalse(form.record.campaign_id)
        # Confirmed, the order with lines the campaign priced still counts for it, once.
        order.with_user(self.salesperson).action_confirm()
        card, analysis, export = self.figures()
        self.assertEqual(card, (1, 150.0 + 437.5, 1, 1))
        self.assertEqual((analysis, export), (card, card))

    def test_order_priced_by_two_campaigns_counts_once_for_each(self):
        """The order carries the campaign of its first priced line and follows its lines; each campaign that
        priced a line counts it once, and a campaign that pricing put there never becomes the user's."""
        spring = self.env["sales.campaign"].create(
            {
                "title": "Spring offer",
                "date_start": self.today - timedelta(days=1),
                "date_end": self.today + timedelta(days=1),
            }
        )
        self.set_prices(
            spring,
            [
                {
                    "sales_campaign_price_type": "price",
                    "product_tmpl_id": self.chair.product_tmpl_id,
                    "fixed_price": 140.0,
                }
            ],
        )
        spring_segment = self.env["sales.segment"].create(
            {"description": "Spring", "campaign_id": spring.id, "campaign_target": True}
        )
        self.env["sales.segment.line"].create({"segment_id": spring_segment.id, "partner_id": self.customer_it.id})
        self.activate()
        self.activate(spring)
        # A desk (the trade show's discount), then a chair (the spring price is better).
        order = self.quotation(self.customer_co, self.desk)
        chair_line = self.add_line(order, self.chair)
        self.assertEqual((chair_line.price_unit, chair_line.sales_campaign_id), (140.0, spring))
        self.assertEqual(order.campaign_id, self.utm, "the campaign of the first priced line")
        # The desk goes: the order now carries the spring offer, which pricing gave it too.
        with Form(order.with_user(self.salesperson)) as form:
            form.order_line.remove(0)
            self.assertEqual(form.campaign_id, spring.utm_campaign_id)
        self.assertEqual(order.campaign_id, spring.utm_campaign_id)
        # Deactivated, the spring offer prices no new chair: the trade show does.
        spring.with_user(self.manager).action_deactivate()
        new_chair_line = self.add_line(order, self.chair)
        self.assertEqual((new_chair_line.price_unit, new_chair_line.sales_campaign_id), (150.0, self.campaign))
        self.assertEqual(order.campaign_id, spring.utm_campaign_id)
        order.with_user(self.salesperson).action_confirm()
        # Counted once by each: the trade show for its line (with the response of Carla), the spring offer for
        # the campaign the order carries and its line.
        self.assertEqual(self.figures()[0], (1, 140.0 + 150.0, 1, 1))
        spring = spring.with_user(self.manager)
        self.assertEqual((spring.stat_order_count, spring.stat_revenue), (1, 290.0))

    def test_register_responses_records_the_orders_the_campaign_priced(self):
        """Orders confirmed while the campaign had no response template become responses with Register
        Responses, the orders it priced as those that carry it."""
        self.campaign.with_user(self.manager).response_template_id = False
        self.activate()
        order = self.quotation(self.customer_co, self.chair)
        self.set_campaign(order, None)
        order.with_user(self.salesperson).action_confirm()
        self.assertEqual(self.figures()[0], (1, 150.0, 0, 0))
        campaign = self.campaign.with_user(self.manager)
        campaign.response_template_id = self.response_template
        action = campaign.action_register_responses()
        self.assertEqual(action["params"]["message"], f"1 responses recorded for campaign {campaign.display_name}.")
        self.assertEqual(self.figures()[0], (1, 150.0, 1, 1))
