from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import date_utils, float_round


class SalesCampaign(models.Model):
    """The campaign's figures: the Statistics tab, its chart, the list, the export and the smart buttons."""

    _inherit = "sales.campaign"

    # Statistics: interactions that are not cancelled, opportunities and sales of the campaign
    stat_currency_id = fields.Many2one("res.currency", string="Statistics Currency", compute="_compute_statistics")
    stat_contacted_count = fields.Integer(string="Target Contacts Contacted", compute="_compute_statistics")
    stat_responded_count = fields.Integer(string="Contacts Responded", compute="_compute_statistics")
    stat_response_rate = fields.Float(string="Response Rate (%)", digits=(16, 1), compute="_compute_statistics")
    stat_cost = fields.Monetary(string="Cost", currency_field="stat_currency_id", compute="_compute_statistics")
    stat_duration = fields.Float(string="Duration (Min.)", digits=(16, 2), compute="_compute_statistics")
    stat_cost_per_response = fields.Monetary(
        string="Cost per Response", currency_field="stat_currency_id", compute="_compute_statistics"
    )
    stat_duration_per_response = fields.Float(
        string="Duration per Response (Min.)", digits=(16, 2), compute="_compute_statistics"
    )
    stat_opportunity_count = fields.Integer(string="Opportunities", compute="_compute_statistics")
    stat_opportunity_value = fields.Monetary(
        string="Estimated Value", currency_field="stat_currency_id", compute="_compute_statistics"
    )
    stat_won_count = fields.Integer(string="Won Opportunities", compute="_compute_statistics")
    stat_won_value = fields.Monetary(
        string="Won Value", currency_field="stat_currency_id", compute="_compute_statistics"
    )
    stat_quotation_count = fields.Integer(string="Open Quotations", compute="_compute_statistics")
    stat_order_count = fields.Integer(string="Sales Orders", compute="_compute_statistics")
    stat_revenue = fields.Monetary(
        string="Revenue",
        currency_field="stat_currency_id",
        compute="_compute_statistics",
        help="Untaxed amount of the confirmed sales orders of the campaign.",
    )
    stat_cost_per_won = fields.Monetary(
        string="Cost per Won Opportunity", currency_field="stat_currency_id", compute="_compute_statistics"
    )
    stat_return_on_cost = fields.Float(
        string="Return on Cost (%)",
        digits=(16, 1),
        compute="_compute_statistics",
        help="(Revenue - Cost) / Cost x 100.",
    )
    stat_emailed_count = fields.Integer(
        string="E-mails Sent",
        compute="_compute_statistics",
        help="Campaign e-mails that left (bounced ones are left out).",
    )
    stat_replied_count = fields.Integer(
        string="Replies",
        compute="_compute_statistics",
        help="Campaign e-mails that got a reply (automatic answers left out).",
    )
    stat_reply_rate = fields.Float(
        string="Reply Rate (%)", digits=(16, 1), compute="_compute_statistics", help="Replies / e-mails sent x 100."
    )
    stat_clicked_count = fields.Integer(
        string="Clicks",
        compute="_compute_statistics",
        help="Campaign e-mails whose contact clicked one of their links.",
    )
    stat_click_rate = fields.Float(
        string="Click Rate (%)", digits=(16, 1), compute="_compute_statistics", help="Clicks / e-mails sent x 100."
    )
    stat_unsubscribed_count = fields.Integer(
        string="Unsubscribes",
        compute="_compute_statistics",
        help="Campaign e-mails whose contact unsubscribed (blacklisted the address or left a mailing group).",
    )
    stat_unsubscribe_rate = fields.Float(
        string="Unsubscribe Rate (%)",
        digits=(16, 1),
        compute="_compute_statistics",
        help="Unsubscribes / e-mails sent x 100.",
    )
    stat_reply_pending_count = fields.Integer(
        string="Replies without a Response Template",
        compute="_compute_statistics",
        help="Replies received while the campaign had no response template: kept on the e-mails they answer, "
        "they become responses with Register Responses once a template is set.",
    )
    stat_response_reply_count = fields.Integer(string="Responses by Reply", compute="_compute_statistics")
    stat_response_click_count = fields.Integer(string="Responses by Click", compute="_compute_statistics")
    stat_response_lead_count = fields.Integer(string="Responses by Lead", compute="_compute_statistics")
    stat_response_order_count = fields.Integer(string="Responses by Sales Order", compute="_compute_statistics")
    stat_response_manual_count = fields.Integer(string="Responses Logged by Hand", compute="_compute_statistics")
    stat_chart = fields.Json(
        string="Statistics Chart",
        compute="_compute_stat_chart",
        exportable=False,
        help="The funnel from targets contacted to sales orders, and the responses over time.",
    )

    # ------------------------------------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------------------------------------

    # Measures of ``sales.campaign.analysis`` the figures add up, in this order.
    STAT_MEASURES = (
        "contacted_count",
        "responded_count",
        "emailed_count",
        "replied_count",
        "clicked_count",
        "unsubscribed_count",
        "reply_pending_count",
        "response_reply_count",
        "response_click_count",
        "response_lead_count",
        "response_order_count",
        "response_manual_count",
        "cost",
        "duration",
        "opportunity_count",
        "expected_revenue",
        "won_count",
        "won_revenue",
        "quotation_count",
        "order_count",
        "revenue",
    )
    # Figures that come from the interaction log, hidden from users who may not read the log.
    STAT_LOG_MEASURES = (
        "contacted_count",
        "responded_count",
        "emailed_count",
        "replied_count",
        "clicked_count",
        "unsubscribed_count",
        "reply_pending_count",
        "response_reply_count",
        "response_click_count",
        "response_lead_count",
        "response_order_count",
        "response_manual_count",
        "cost",
        "duration",
    )
    # Timelines longer than this many days count responses per month instead of per week.
    STAT_WEEKLY_DAYS = 16 * 7

    def _statistics_domain(self):
        """Domain of the ``sales.campaign.analysis`` rows the figures of these campaigns add up.

        The rows of a campaign of a company are those of its company (the analysis keeps the others out);
        a campaign shared by all companies counts those of the companies the user works in.
        """
        shared = self.filtered(lambda campaign: not campaign.company_id)
        return [
            ("campaign_id", "in", self.ids),
            "|",
            ("campaign_id", "in", (self - shared).ids),
            ("company_id", "in", self.env.companies.ids),
        ]

    def _statistics_company_domain(self):
        """The company condition of the figures, for the lists the smart buttons open."""
        self.ensure_one()
        return [("company_id", "=", self.company_id.id)] if self.company_id else []

    def _read_statistics(self, groupby, domain=()):
        """``_read_group`` of the campaign figures of ``self``, grouped by campaign and ``groupby``.

        The rows are the campaign analysis (``sales.campaign.analysis``): the card, the list, the kanban,
        the Excel export and the pivot read the same figures, converted once by the same rule (see there).
        Interaction measures read as zero for users who may not read the interaction log.

        :return: list of (campaign, *groups, {measure: sum})
        """
        if not self.ids:
            return []
        # sudo: the figures are counts and sums, the same for everyone who may read the campaign (a
        # salesperson sees the revenue of a campaign on its card); the opportunities and orders themselves
        # stay behind the user's rights in the smart buttons, and the interaction figures are blanked
        # below for users who may not read the log, as the log itself is hidden from them.
        Analysis = self.env["sales.campaign.analysis"].sudo()
        with_log = self.env["sales.interaction.log"].has_access("read")
        rows = Analysis._read_group(
            self._statistics_domain() + list(domain),
            ["campaign_id", *groupby],
            [f"{measure}:sum" for measure in self.STAT_MEASURES],
        )
        result = []
        for row in rows:
            keys, sums = row[: len(groupby) + 1], dict(zip(self.STAT_MEASURES, row[len(groupby) + 1 :], strict=True))
            if not with_log:
                sums.update(dict.fromkeys(self.STAT_LOG_MEASURES, 0))
            keys = [key.with_env(self.env) if isinstance(key, models.BaseModel) else key for key in keys]
            result.append((*keys, sums))
        return result

    def _get_statistics(self):
        """Every figure of the campaign statistics of each campaign of ``self``, in one query for them all.

        Interactions count as in Business Central: entries, not distinct contacts, so a contact reached twice
        counts twice; cancelled entries are left out. The response rate keeps Business Central's meaning:
        responses / target contacts contacted x 100 (it can exceed 100 %). Responses logged by hand count one
        each; of the responses the campaign records by itself (replies, clicks, leads, orders: at most one of
        each source per contact) only the contact's first response counts, so a contact who replies and then
        orders is one response, shown under both sources (see ``sales.interaction.log._register_responses``).
        Replies, clicks and unsubscribes count the campaign e-mails they concern; their rates are per e-mail
        sent. Opportunities are the active ones that point at the
        campaign's UTM campaign; quotations and orders those too, and those with a line the campaign priced;
        cancelled ones are left out. All in the campaign company's currency (the current company's for a
        campaign shared by all companies), converted as ``sales.campaign.analysis`` says.

        :return: {campaign: {field name: value}}
        """
        sums = {campaign: values for campaign, values in self._read_statistics([])}
        zero = dict.fromkeys(self.STAT_MEASURES, 0)
        statistics = {}
        for campaign in self:
            figures = sums.get(campaign._origin, zero)
            currency = (campaign.company_id or self.env.company).currency_id
            contacted, responded = figures["contacted_count"], figures["responded_count"]
            cost, duration, revenue = figures["cost"], figures["duration"], figures["revenue"]
            won_count = figures["won_count"]
            emailed = figures["emailed_count"]

            def per_email(count, emailed=emailed):
                return float_round(count / emailed * 100, precision_digits=1) if emailed else 0.0

            statistics[campaign] = {
                "stat_currency_id": currency,
                "stat_contacted_count": contacted,
                "stat_responded_count": responded,
                "stat_response_rate": float_round(responded / contacted * 100, precision_digits=1)
                if contacted
                else 0.0,
                "stat_cost": currency.round(cost),
                "stat_duration": duration,
                "stat_cost_per_response": currency.round(cost / responded) if responded else 0.0,
                "stat_duration_per_response": float_round(duration / responded, precision_digits=2)
                if responded
                else 0.0,
                "stat_opportunity_count": figures["opportunity_count"],
                "stat_opportunity_value": currency.round(figures["expected_revenue"]),
                "stat_won_count": won_count,
                "stat_won_value": currency.round(figures["won_revenue"]),
                "stat_quotation_count": figures["quotation_count"],
                "stat_order_count": figures["order_count"],
                "stat_revenue": currency.round(revenue),
                "stat_cost_per_won": currency.round(cost / won_count) if won_count else 0.0,
                "stat_return_on_cost": float_round((revenue - cost) / cost * 100, precision_digits=1) if cost else 0.0,
                "stat_emailed_count": emailed,
                "stat_replied_count": figures["replied_count"],
                "stat_reply_rate": per_email(figures["replied_count"]),
                "stat_clicked_count": figures["clicked_count"],
                "stat_click_rate": per_email(figures["clicked_count"]),
                "stat_unsubscribed_count": figures["unsubscribed_count"],
                "stat_unsubscribe_rate": per_email(figures["unsubscribed_count"]),
                "stat_reply_pending_count": figures["reply_pending_count"],
                "stat_response_reply_count": figures["response_reply_count"],
                "stat_response_click_count": figures["response_click_count"],
                "stat_response_lead_count": figures["response_lead_count"],
                "stat_response_order_count": figures["response_order_count"],
                "stat_response_manual_count": figures["response_manual_count"],
            }
        return statistics

    # The figures depend on who reads them (the interaction figures) and, for a campaign shared by all
    # companies, on the companies they work in.
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_statistics(self):
        for campaign, values in self._get_statistics().items():
            campaign.update(values)

    def _chart_timeline(self, days):
        """Responses per week (per month for long campaigns) and the response rate reached by then.

        :param days: [(day, targets contacted, responses)] of the campaign, in day order
        :return: {"unit", "periods" (ISO dates of the periods' first days), "contacted", "responses",
            "rate" (responses so far / targets contacted so far x 100)}, or False without any
        """
        self.ensure_one()
        if not days:
            return False
        today = fields.Date.context_today(self)
        first = min(days[0][0], self.date_start or days[0][0])
        last = max(days[-1][0], min(self.date_end or days[-1][0], today))
        unit = "week" if (last - first).days <= self.STAT_WEEKLY_DAYS else "month"
        step = relativedelta(weeks=1) if unit == "week" else relativedelta(months=1)
        start_of = date_utils.start_of
        periods = []
        period = start_of(first, unit)
        if not self.date_start:
            # Without a starting date, the line starts from nothing the period before the first figures.
            period -= step
        while period <= last:
            periods.append(period)
            period += step
        contacted, responses = dict.fromkeys(periods, 0), dict.fromkeys(periods, 0)
        for day, day_contacted, day_responses in days:
            contacted[start_of(day, unit)] += day_contacted
            responses[start_of(day, unit)] += day_responses
        rates, total_contacted, total_responses = [], 0, 0
        for period in periods:
            total_contacted += contacted[period]
            total_responses += responses[period]
            rates.append(
                float_round(total_responses / total_contacted * 100, precision_digits=1) if total_contacted else 0.0
            )
        return {
            "unit": unit,
            "periods": [fields.Date.to_string(period) for period in periods],
            "contacted": [contacted[period] for period in periods],
            "responses": [responses[period] for period in periods],
            "rate": rates,
        }

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_stat_chart(self):
        """The funnel and the responses over time, for the chart of the Statistics tab.

        The funnel comes from the figures; the responses over time from one more query for all the campaigns
        (none for users who may not read the interaction log: they see the funnel from opportunities on).
        """
        with_log = self.env["sales.interaction.log"].has_access("read")
        days = defaultdict(list)
        if with_log:
            for campaign, day, sums in self._read_statistics(
                ["date:day"],
                [("fact_type", "=", "interaction"), "|", ("contacted_count", "!=", 0), ("responded_count", "!=", 0)],
            ):
                days[campaign.id].append((day, sums["contacted_count"], sums["responded_count"]))
        for campaign in self:
            campaign.stat_chart = {
                "with_log": with_log,
                "funnel": campaign._chart_funnel(with_log),
                "timeline": campaign._chart_timeline(sorted(days.get(campaign._origin.id, []))),
            }

    # The funnel's steps: (figure, its rate, kind). Replies, clicks and unsubscribes come with their rate per
    # e-mail sent, the responses with the response rate; the e-mail steps show when the campaign sent e-mails.
    CHART_LOG_STEPS = (
        ("stat_contacted_count", None, "step"),
        ("stat_emailed_count", None, "email"),
        ("stat_clicked_count", "stat_click_rate", "email"),
        ("stat_replied_count", "stat_reply_rate", "email"),
        ("stat_responded_count", "stat_response_rate", "step"),
    )
    CHART_SALES_STEPS = (
        ("stat_opportunity_count", None, "step"),
        ("stat_won_count", None, "step"),
        ("stat_order_count", None, "step"),
    )
    CHART_UNSUBSCRIBE_STEP = ("stat_unsubscribed_count", "stat_unsubscribe_rate", "unsubscribe")

    def _chart_funnel(self, with_log):
        """The funnel's bars: ``[{name, label, value, rate (or None), rate_label, kind}]``."""
        self.ensure_one()
        emails = with_log and any(
            self[fname]
            for fname in ("stat_emailed_count", "stat_replied_count", "stat_clicked_count", "stat_unsubscribed_count")
        )
        steps = [*self.CHART_LOG_STEPS] if with_log else []
        steps += self.CHART_SALES_STEPS
        if emails:
            steps.append(self.CHART_UNSUBSCRIBE_STEP)
        funnel = []
        for fname, rate_fname, kind in steps:
            if kind == "email" and not emails:
                continue
            funnel.append(
                {
                    "name": fname,
                    "label": self._fields[fname]._description_string(self.env),
                    "value": self[fname],
                    "rate": self[rate_fname] if rate_fname else None,
                    "rate_label": self._fields[rate_fname]._description_string(self.env) if rate_fname else None,
                    "kind": kind,
                }
            )
        return funnel

    def action_export_statistics(self):
        self.ensure_one()
        self.check_access("read")
        return self._action_download(f"/sales_campaign/export/statistics/{self.id}")

    def action_open_opportunities(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_opportunities")
        action["domain"] = [
            ("campaign_id", "=", self.utm_campaign_id.id),
            ("type", "=", "opportunity"),
            *self._statistics_company_domain(),
        ]
        action["context"] = {"default_campaign_id": self.utm_campaign_id.id, "default_type": "opportunity"}
        return action

    def _orders_domain(self):
        """Orders of the campaign: those that carry it (set by hand, from an opportunity or by pricing) and
        those with a line it priced, each once.

        An order priced by the campaign carries it unless the user chose another campaign on the order or
        cleared it (see ``sale.order``); its lines still say which campaign priced them, so it counts all the
        same, as in the campaign analysis.
        """
        self.ensure_one()
        return ["|", ("campaign_id", "=", self.utm_campaign_id.id), ("order_line.sales_campaign_id", "=", self.id)]

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = self._orders_domain() + self._statistics_company_domain() + [("state", "=", "sale")]
        action["context"] = {"create": False}
        return action
