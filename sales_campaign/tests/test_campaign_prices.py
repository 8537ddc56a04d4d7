import logging
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import SalesSegmentCommon

_logger = logging.getLogger(__name__)


class CampaignPricesCommon(SalesSegmentCommon):
    """A campaign with a sales price (the chair) and a line discount (the desks), the buyer of the customer
    company its target, and a salesperson who makes the quotations."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env,
            login="sc_salesperson",
            name="Sam Salesperson",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        # The salesperson's day: an order's day is its user's (time zone), not the superuser's
        cls.today = fields.Date.context_today(cls.env["sales.campaign"].with_user(cls.salesperson))
        cls.chair = cls.env["product.product"].create(
            {"name": "Test Guest Chair", "list_price": 189.0, "type": "consu"}
        )
        cls.category = cls.env["product.category"].create({"name": "Test Desks"})
        cls.desk = cls.env["product.product"].create(
            {"name": "Test Desk", "list_price": 500.0, "type": "consu", "categ_id": cls.category.id}
        )
        cls.campaign.write({"date_start": cls.today - timedelta(days=10), "date_end": cls.today + timedelta(days=20)})
        cls.set_prices(
            cls.campaign,
            [
                {
                    "sales_campaign_price_type": "price",
                    "display_applied_on": "1_product",
                    "product_tmpl_id": cls.chair.product_tmpl_id,
                    "fixed_price": 150.0,
                },
                {
                    "sales_campaign_price_type": "discount",
                    "display_applied_on": "2_product_category",
                    "categ_id": cls.category,
                    "percent_price": 12.5,
                },
            ],
        )
        # The segment of the story: the buyers of the customer and the prospect, campaign targets.
        segment = cls.env["sales.segment"].create(
            {"description": "Visitors", "campaign_id": cls.campaign.id, "campaign_target": True}
        )
        cls.env["sales.segment.line"].create({"segment_id": segment.id, "partner_id": cls.customer_buyer.id})
        cls.segment = segment

    @classmethod
    def set_prices(cls, campaign, lines):
        """The manager records prices and discounts on the campaign card."""
        with Form(campaign.with_user(cls.manager)) as card:
            for values in lines:
                with card.price_item_ids.new() as item:
                    for name, value in values.items():
                        setattr(item, name, value)

    def quotation(self, partner, product, quantity=1, date=None, campaign=None):
        """A salesperson makes a quotation of one line in the sales app."""
        Order = self.env["sale.order"].with_user(self.salesperson)
        if date:
            Order = Order.with_context(default_date_order=fields.Datetime.to_datetime(date) + timedelta(hours=10))
        with Form(Order) as order:
            order.partner_id = partner
            if campaign:
                order.campaign_id = campaign.utm_campaign_id
            with order.order_line.new() as line:
                line.product_id = product
                line.product_uom_qty = quantity
        return order.record

    def activate(self, campaign=None):
        return (campaign or self.campaign).with_user(self.manager).action_activate()


@tagged("post_install", "-at_install")
class TestCampaignPrices(CampaignPricesCommon):
    """Campaign prices and line discounts on quotations (walkthrough step 7.1), as a salesperson."""

    # ------------------------------------------------------------------------------------------------

    def test_prices_live_in_the_campaign_pricelist_with_the_campaign_dates(self):
        items = self.campaign.price_item_ids
        self.assertEqual(len(items), 2)
        pricelist = self.campaign.pricelist_id
        self.assertTrue(pricelist)
        self.assertFalse(pricelist.active, "the campaign pricelist is never offered as a customer pricelist")
        self.assertEqual(items.pricelist_id, pricelist)
        self.assertEqual(items.mapped("compute_price"), ["fixed", "percentage"])
        self.assertEqual({item.date_start.date() for item in items}, {self.campaign.date_start})
        self.assertEqual({item.date_end.date() for item in items}, {self.campaign.date_end})
        # The dates follow the campaign, and only the campaign.
        self.campaign.with_user(self.staff).date_end = self.today + timedelta(days=40)
        self.assertEqual({item.date_end.date() for item in items}, {self.today + timedelta(days=40)})
        with self.assertRaisesRegex(UserError, "only be changed on the campaign card"):
            items[0].with_user(self.manager).date_start = fields.Datetime.now()

    def test_target_customer_gets_the_campaign_price_inside_the_period(self):
        self.activate()
        order = self.quotation(self.customer_co, self.chair)
        self.assertEqual(order.order_line.price_unit, 150.0)
        self.assertEqual(
            order.order_line.sales_campaign_id, self.campaign, "the line shows the campaign that priced it"
        )
        self.assertEqual(order.campaign_id, self.campaign.utm_campaign_id, "the order carries the campaign")
        # A person of the targeted company orders too: the company is the target.
        order = self.quotation(self.customer_it, self.chair)
        self.assertEqual(order.order_line.price_unit, 150.0)

    def test_orders_created_by_code_are_priced_and_carry_the_campaign(self):
        self.activate()
        order = (
            self.env["sale.order"]
            .with_user(self.salesperson)
            .create(
                {
                    "partner_id": self.customer_co.id,
                    "order_line": [
                        Command.create({"product_id": self.chair.id}),
                        Command.create({"product_id": self.desk.id}),
                    ],
                }
            )
        )
        chair_line, desk_line = order.order_line
        self.assertEqual(chair_line.price_unit, 150.0)
        self.assertEqual(chair_line.sales_campaign_id, self.campaign)
        self.assertEqual(desk_line.discount, 12.5)
        self.assertEqual(desk_line.sales_campaign_id, self.campaign)
        self.assertEqual(order.campaign_id, self.campaign.utm_campaign_id)

    def test_orders_priced_together_each_get_their_own_campaigns(self):
        """Lines of several orders are priced in one batch: each order keeps its own price sources."""
        self.activate()
        other = self.env["sales.campaign"].create({"title": "Prospect offer"})
        self.set_prices(
            other,
            [
                {
                    "sales_campaign_price_type": "price",
                    "product_tmpl_id": self.chair.product_tmpl_id,
                    "fixed_price": 120.0,
                }
            ],
        )
        target, prospect, set_by_hand, past = (
            self.env["sale.order"]
            .with_user(self.salesperson)
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "campaign_id": campaign.utm_campaign_id.id,
                        "date_order": date,
                        "order_line": [
                            Command.create({"product_id": self.chair.id}),
                            Command.create({"product_id": self.desk.id}),
                        ],
                    }
                    for partner, campaign, date in [
                        (self.customer_it, self.env["sales.campaign"], fields.Datetime.now()),
                        (self.prospect_co, self.env["sales.campaign"], fields.Datetime.now()),
                        (self.prospect_co, other, fields.Datetime.now()),
                        (self.customer_co, self.env["sales.campaign"], fields.Datetime.now() - timedelta(days=30)),
                    ]
                ]
            )
        )
        self.assertEqual(target.order_line.mapped("price_unit"), [150.0, 500.0])
        self.assertEqual(target.order_line.mapped("discount"), [0.0, 12.5])
        self.assertEqual(prospect.order_line.mapped("price_unit"), [189.0, 500.0])
        self.assertEqual(prospect.order_line.mapped("discount"), [0.0, 0.0])
        self.assertEqual(set_by_hand.order_line.mapped("price_unit"), [120.0, 500.0], "only the order's campaign")
        self.assertEqual(set_by_hand.order_line.mapped("discount"), [0.0, 0.0])
        self.assertEqual(set_by_hand.order_line.sales_campaign_id, other)
        self.assertEqual(past.order_line.mapped("price_unit"), [189.0, 500.0], "before the campaign period")
        self.assertFalse(past.order_line.sales_campaign_id)

    def test_target_customer_gets_the_campaign_line_discount(self):
        self.activate()
        order = self.quotation(self.customer_co, self.desk, quantity=2)
        line = order.order_line
        self.assertEqual(line.price_unit, 500.0)
        self.assertEqual(line.discount, 12.5)
        self.assertEqual(line.sales_campaign_id, self.campaign)
        self.assertAlmostEqual(line.price_subtotal, 875.0)

    def test_no_campaign_price_outside_the_period(self):
        self.activate()
        for day in (self.campaign.date_start - timedelta(days=1), self.campaign.date_end + timedelta(days=1)):
            order = self.quotation(self.customer_co, self.chair, date=day)
            self.assertEqual(order.order_line.price_unit, 189.0, day)
            self.assertFalse(order.order_line.sales_campaign_id)
            self.assertFalse(order.campaign_id)
        # The first and last day of the period are inside it.
        for day in (self.campaign.date_start, self.campaign.date_end):
            self.assertEqual(self.quotation(self.customer_co, self.chair, date=day).order_line.price_unit, 150.0, day)

    def test_non_target_customer_pays_the_regular_price(self):
        self.activate()
        order = self.quotation(self.prospect_co, self.chair)
        self.assertEqual(order.order_line.price_unit, 189.0)
        order = self.quotation(self.prospect_co, self.desk)
        self.assertEqual(order.order_line.discount, 0.0)
        self.assertFalse(order.campaign_id)

    def test_not_activated_and_deactivated_campaigns_give_nothing(self):
        self.assertEqual(self.quotation(self.customer_co, self.chair).order_line.price_unit, 189.0)
        self.activate()
        self.assertEqual(self.campaign.target_group_count, 1)
        self.assertEqual(self.quotation(self.customer_co, self.chair).order_line.price_unit, 150.0)
        self.campaign.with_user(self.manager).action_deactivate()
        self.assertFalse(self.campaign.activated)
        self.assertEqual(self.campaign.target_group_count, 0)
        order = self.quotation(self.customer_co, self.desk)
        self.assertEqual(order.order_line.discount, 0.0)
        self.assertEqual(self.quotation(self.customer_co, self.chair).order_line.price_unit, 189.0)

    def test_campaign_set_by_hand_prices_new_lines_after_deactivate(self):
        self.activate()
        order = self.quotation(self.customer_co, self.chair, campaign=self.campaign)
        self.campaign.with_user(self.manager).action_deactivate()
        with Form(order.with_user(self.salesperson)) as form, form.order_line.new() as line:
            line.product_id = self.desk
        self.assertEqual(order.order_line.mapped("price_unit"), [150.0, 500.0])
        self.assertEqual(order.order_line.mapped("discount"), [0.0, 12.5])
        self.assertEqual(order.order_line.sales_campaign_id, self.campaign)

    def test_orders_the_campaign_priced_count_in_its_results(self):
        """Orders the campaign priced (which carry it) and orders set on it count once each."""
        self.activate()
        priced = self.quotation(self.customer_co, self.chair, quantity=2)
        set_by_hand = self.quotation(self.prospect_co, self.desk, campaign=self.campaign)
        regular = self.quotation(self.prospect_co, self.chair)
        (priced | set_by_hand | regular).with_user(self.salesperson).action_confirm()
        self.assertEqual(priced.campaign_id, self.campaign.utm_campaign_id)
        campaign = self.campaign.with_user(self.staff)
        self.assertEqual(campaign.stat_order_count, 2)
        self.assertEqual(campaign.stat_revenue, 300.0 + 437.5)
        orders = self.env["sale.order"].with_user(self.salesperson).search(campaign.action_open_orders()["domain"])
        self.assertEqual(orders, priced | set_by_hand)
        Analysis = self.env["sales.campaign.analysis"].with_user(self.staff)
        rows = Analysis._read_group([("campaign_id", "=", self.campaign.id)], [], ["order_count:sum", "revenue:sum"])
        self.assertEqual(rows, [(2, 737.5)], "an order set on the campaign and priced by it counts once")

    def test_campaign_set_by_hand_prices_even_when_not_activated(self):
        order = self.quotation(self.prospect_co, self.chair, campaign=self.campaign)
        self.assertEqual(order.order_line.price_unit, 150.0)
        self.assertEqual(order.order_line.sales_campaign_id, self.campaign)

    def test_better_of_campaign_and_regular_price_wins(self):
        self.activate()
        expensive = self.env["product.product"].create({"name": "Cheap Stool", "list_price": 40.0})
        self.set_prices(
            self.campaign,
            [{"sales_campaign_price_type": "price", "product_tmpl_id": expensive.product_tmpl_id, "fixed_price": 45.0}],
        )
        order = self.quotation(self.customer_co, expensive)
        self.assertEqual(order.order_line.price_unit, 40.0, "the regular price is better for the customer")
        self.assertFalse(order.order_line.sales_campaign_id)
        # A second campaign targeting the same customer with a better price wins over the first.
        other = self.env["sales.campaign"].create(
            {
                "title": "Spring offer",
                "date_start": self.today - timedelta(days=1),
                "date_end": self.today + timedelta(days=1),
            }
        )
        self.set_prices(
            other,
            [
                {
                    "sales_campaign_price_type": "price",
                    "product_tmpl_id": self.chair.product_tmpl_id,
                    "fixed_price": 140.0,
                }
            ],
        )
        other_segment = self.env["sales.segment"].create(
            {"description": "Spring", "campaign_id": other.id, "campaign_target": True}
        )
        self.env["sales.segment.line"].create({"segment_id": other_segment.id, "partner_id": self.customer_it.id})
        self.activate(other)
        order = self.quotation(self.customer_co, self.chair)
        self.assertEqual(order.order_line.price_unit, 140.0)
        self.assertEqual(order.order_line.sales_campaign_id, other)
        # A minimum quantity above the ordered one leaves the price of the first campaign.
        other.price_item_ids.with_user(self.manager).min_quantity = 10
        self.assertEqual(self.quotation(self.customer_co, self.chair).order_line.price_unit, 150.0)
        self.assertEqual(self.quotation(self.customer_co, self.chair, quantity=10).order_line.price_unit, 140.0)

    def test_update_prices_after_setting_the_campaign(self):
        order = self.quotation(self.prospect_co, self.chair)
        self.assertEqual(order.order_line.price_unit, 189.0)
        with Form(order.with_user(self.salesperson)) as form:
            form.campaign_id = self.campaign.utm_campaign_id
            self.assertTrue(form.show_update_pricelist)
        order.with_user(self.salesperson).action_update_prices()
        self.assertEqual(order.order_line.price_unit, 150.0)

    def test_campaign_price_in_another_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        usd = self.company.currency_id
        self.env["res.currency.rate"].search([("currency_id", "in", (eur | usd).ids)]).unlink()
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "rate": 2.0, "name": "2020-01-01", "company_id": self.company.id}
        )
        euro_list = self.env["product.pricelist"].create({"name": "Euro", "currency_id": eur.id})
        self.customer_co.property_product_pricelist = euro_list
        self.activate()
        order = self.quotation(self.customer_co, self.chair)
        self.assertEqual(order.currency_id, eur)
        self.assertAlmostEqual(order.order_line.price_unit, 300.0, msg="150 of the company currency at 2 euros each")

    def test_activation_needs_a_manager_and_targets(self):
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.staff).action_activate()
        empty = self.env["sales.campaign"].create({"title": "Nobody yet"})
        with self.assertRaisesRegex(UserError, "Campaign Target"):
            self.activate(empty)
        self.assertFalse(empty.activated)
        action = self.activate()
        self.assertIn("1 companies", action["params"]["message"])
        self.assertEqual(
            self.env["sales.campaign.target.group"].search([("campaign_id", "=", self.campaign.id)]).partner_id,
            self.customer_co,
        )

    def test_target_group_follows_logged_and_cancelled_interactions(self):
        self.activate()
        self.segment.line_ids.unlink()
        self.campaign.invalidate_recordset(["target_group_count"])
        self.assertEqual(self.campaign.target_group_count, 0)
        entry = self.env["sales.interaction.log"]._create_process(
            [
                {
                    "partner_id": self.prospect_buyer.id,
                    "template_id": self.template.id,
                    "description": "Phone call",
                    "campaign_id": self.campaign.id,
                    "campaign_target": True,
                }
            ]
        )
        self.campaign.invalidate_recordset(["target_group_count"])
        self.assertEqual(self.campaign.target_group_count, 1)
        self.assertEqual(self.quotation(self.prospect_co, self.chair).order_line.price_unit, 150.0)
        entry.action_cancel()
        self.assertEqual(self.quotation(self.prospect_co, self.chair).order_line.price_unit, 189.0)

    def test_campaign_managers_only_change_campaign_rules(self):
        regular = self.env["product.pricelist"].create(
            {"name": "Regular", "item_ids": [(0, 0, {"compute_price": "fixed", "fixed_price": 10.0})]}
        )
        with self.assertRaises(AccessError):
            regular.item_ids.with_user(self.manager).fixed_price = 1.0
        with self.assertRaises(AccessError):
            self.campaign.price_item_ids.with_user(self.staff).fixed_price = 1.0

    def campaign_rules(self):
        """The campaign's rules as stored, read again from the database."""
        self.env.invalidate_all()
        return self.campaign.price_item_ids.read(["compute_price", "fixed_price", "percent_price", "min_quantity"])

    def test_campaign_rules_refuse_negative_prices_and_quantities_and_odd_discounts(self):
        saved = self.campaign_rules()
        chair = {"sales_campaign_price_type": "price", "product_tmpl_id": self.chair.product_tmpl_id}
        desks = {
            "sales_campaign_price_type": "discount",
            "display_applied_on": "2_product_category",
            "categ_id": self.category,
        }
        refused = [
            (
                {**chair, "fixed_price": -100.0},
                "The sales price of Test Guest Chair in campaign .* may not be negative",
            ),
            (
                {**chair, "fixed_price": 100.0, "min_quantity": -5},
                "The minimum quantity of Test Guest Chair .* may not be negative",
            ),
            (
                {**desks, "percent_price": 150.0},
                "The line discount of Category: Test Desks in campaign .* at most 100 %",
            ),
            ({**desks, "percent_price": 0.0}, "must be more than 0 %"),
            ({**desks, "percent_price": -10.0}, "must be more than 0 %"),
        ]
        # The campaign manager on the campaign card
        for values, message in refused:
            with self.subTest(values=values), self.assertRaises(ValidationError) as error:
                self.set_prices(self.campaign, [values])
            self.assertRegex(str(error.exception), message)
            self.assertIn(self.campaign.display_name, str(error.exception))
            self.assertEqual(self.campaign_rules(), saved, "nothing was saved")
        # An RPC client creating or changing rules
        Item = self.env["product.pricelist.item"].with_user(self.manager)
        chair_rule = {
            "sales_campaign_id": self.campaign.id,
            "compute_price": "fixed",
            "applied_on": "1_product",
            "product_tmpl_id": self.chair.product_tmpl_id.id,
        }
        desk_rule = {
            "sales_campaign_id": self.campaign.id,
            "compute_price": "percentage",
            "applied_on": "2_product_category",
            "categ_id": self.category.id,
        }
        price_item, discount_item = self.campaign.price_item_ids
        for call in (
            lambda: Item.create({**chair_rule, "fixed_price": -100.0}),
            lambda: Item.create({**chair_rule, "fixed_price": 10.0, "min_quantity": -5}),
            lambda: Item.create({**desk_rule, "percent_price": 150.0}),
            lambda: price_item.with_user(self.manager).write({"fixed_price": -1.0}),
            lambda: price_item.with_user(self.manager).write({"min_quantity": -1}),
            lambda: discount_item.with_user(self.manager).write({"percent_price": 100.5}),
            lambda: self.campaign.with_user(self.manager).write(
                {"price_item_ids": [Command.update(discount_item.id, {"percent_price": 0.0})]}
            ),
        ):
            with self.assertRaises(ValidationError):
                call()
            self.assertEqual(self.campaign_rules(), saved, "nothing was saved")
        # The limits themselves are fine: a free product, a 100 % discount, no minimum quantity.
        self.set_prices(
            self.campaign, [{**chair, "fixed_price": 0.0, "min_quantity": 0}, {**desks, "percent_price": 100.0}]
        )
        self.assertEqual(len(self.campaign.price_item_ids), 4)
        # Other pricelists keep Odoo's rules: a negative discount is a mark-up there.
        regular = self.env["product.pricelist"].create(
            {"name": "Mark-up", "item_ids": [Command.create({"compute_price": "percentage", "percent_price": -10.0})]}
        )
        self.assertEqual(regular.item_ids.percent_price, -10.0)

    # ------------------------------------------------------------------------------------------------
    # Query count

    def order_queries(self, products):
        """Queries of creating and confirming a quotation of one line per product for the target customer,
        as the salesperson, flush included."""
        Order = self.env["sale.order"].with_user(self.salesperson)
        values = {
            "partner_id": self.customer_co.id,
            "order_line": [Command.create({"product_id": product.id}) for product in products],
        }
        self.env.flush_all()
        self.env.invalidate_all()
        # random: no bus garbage collection in the middle of a measure (as assertQueryCount does)
        with patch("random.random", lambda: 1):
            count0 = self.cr.sql_log_count
            order = Order.create(values)
            order.action_confirm()
            self.env.flush_all()
            queries = self.cr.sql_log_count - count0
        return order, queries

    def measure_orders(self, products):
        """Queries of a 5-line and a 50-line order, after a warm-up order that fills the caches."""
        self.order_queries(products[:5])
        small, small_queries = self.order_queries(products[:5])
        large, large_queries = self.order_queries(products)
        return (small, large), (small_queries, large_queries)

    def test_campaign_pricing_queries_do_not_grow_with_the_lines(self):
        """What campaign pricing adds to an order is looked up once per order, not once per line.

        Measured (create and confirm, flush included), Odoo alone / no activated campaign / campaign pricing:
        5 lines 56 / 58 / 70, 50 lines 146 / 148 / 160 queries; the order carrying the campaign that priced
        it costs one query per order (69 and 159 before). Before that, with a lookup per line, no activated
        campaign / campaign pricing: 5 lines 76 / 95, 50 lines 346 / 477.
        """
        products = self.env["product.product"].create(
            [
                {
                    "name": f"Query Product {i:02d}",
                    "list_price": 100.0,
                    "categ_id": self.category.id if i % 2 else self.chair.categ_id.id,
                }
                for i in range(50)
            ]
        )
        # Every other product has a campaign price, the others are desks with the campaign's line discount.
        self.env["product.pricelist.item"].with_user(self.manager).create(
            [
                {
                    "sales_campaign_id": self.campaign.id,
                    "sales_campaign_price_type": "price",
                    "applied_on": "1_product",
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "fixed_price": 80.0,
                }
                for product in products[::2]
            ]
        )
        # Odoo alone: the campaign lookup left out.
        with patch.object(type(self.env["sale.order"]), "_get_sales_campaign_rules", lambda self, products, kind: {}):
            _orders, (odoo_small, odoo_large) = self.measure_orders(products)
        _orders, (plain_small, plain_large) = self.measure_orders(products)
        self.activate()
        (small, large), (campaign_small, campaign_large) = self.measure_orders(products)
        self.assertEqual(small.order_line.mapped("price_unit"), [80.0, 100.0] * 2 + [80.0])
        self.assertEqual(small.order_line.mapped("discount"), [0.0, 12.5] * 2 + [0.0])
        self.assertEqual(large.order_line.sales_campaign_id, self.campaign)
        self.assertEqual(len(large.order_line.filtered("sales_campaign_id")), 50)
        _logger.info(
            "Queries of a quotation created and confirmed, Odoo alone / no activated campaign / campaign pricing: "
            "5 lines %s / %s / %s, 50 lines %s / %s / %s",
            odoo_small,
            plain_small,
            campaign_small,
            odoo_large,
            plain_large,
            campaign_large,
        )
        self.assertLessEqual(
            plain_large - odoo_large, plain_small - odoo_small + 2, "without activated campaigns, a constant cost"
        )
        self.assertLessEqual(
            campaign_large - plain_large,
            campaign_small - plain_small + 3,
            "campaign pricing is looked up once per order",
        )
