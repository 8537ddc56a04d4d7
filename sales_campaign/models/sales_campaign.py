from collections import defaultdict
from datetime import datetime, time

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, date_utils, float_round, format_date

from .privileged import is_privileged, privileged


class SalesCampaign(models.Model):
    """The campaign card.

    It delegates to ``utm.campaign`` so that leads, quotations, invoices and mailings point at the same
    campaign through Odoo's own ``campaign_id``: the description is the UTM campaign's title, the
    salesperson its responsible and the company its company.
    """

    _name = "sales.campaign"
    _inherits = {"utm.campaign": "utm_campaign_id"}
    _inherit = ["mail.thread", "mail.activity.mixin", "sales.action.mixin"]
    _description = "Campaign"
    _order = "date_start desc, number desc, id desc"
    _rec_names_search = ["number", "title"]
    _check_company_auto = True

    utm_campaign_id = fields.Many2one(
        "utm.campaign",
        string="UTM Campaign",
        required=True,
        ondelete="cascade",
        index=True,
        help="The campaign that leads, quotations, invoices and mailings refer to.",
    )
    number = fields.Char(
        string="No.",
        required=True,
        copy=False,
        readonly=True,
        index="trigram",
        default=lambda self: self.env._("New"),
        tracking=True,
    )
    status_id = fields.Many2one(
        "sales.campaign.status",
        default=lambda self: self.env["sales.campaign.status"]._default_status(),
        group_expand="_group_expand_status_ids",
        ondelete="restrict",
        tracking=True,
        index=True,
    )
    date_start = fields.Date(string="Starting Date", tracking=True)
    date_end = fields.Date(string="Ending Date", tracking=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True, tracking=True)
    note = fields.Html(string="Notes")
    segment_ids = fields.One2many("sales.segment", "campaign_id", string="Segments")
    segment_count = fields.Integer(string="No. of Segments", compute="_compute_segment_count")
    interaction_count = fields.Integer(string="No. of Interactions", compute="_compute_interaction_count")
    campaign_entry_count = fields.Integer(string="No. of Campaign Entries", compute="_compute_interaction_count")

    # Campaign prices and activation
    pricelist_id = fields.Many2one("product.pricelist", string="Campaign Pricelist", readonly=True, copy=False)
    price_item_ids = fields.One2many(
        "product.pricelist.item", "sales_campaign_id", string="Prices and Discounts", copy=False
    )
    activated = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="Activated campaigns give their prices and discounts to the customers of their target group, on "
        "quotations dated inside the campaign period.",
    )
    target_group_count = fields.Integer(string="Target Group", compute="_compute_target_group_count")

    # Responses that come back by themselves: replies, clicks, leads and orders
    response_template_id = fields.Many2one(
        "sales.interaction.template",
        check_company=True,
        tracking=True,
        help="The interaction template (such as RESP) of the responses the campaign records by itself: replies "
        "to its e-mails, clicks on their links (when they count), leads and sales orders of its targets. "
        "Without one, replies are kept on the e-mails they answer until a template is set.",
    )
    click_is_response = fields.Boolean(
        string="Clicks Count as Responses",
        tracking=True,
        help="A contact's first click on a link of a campaign e-mail is a response of the contact.",
    )
    utm_source_id = fields.Many2one(
        "utm.source",
        string="UTM Source",
        default=lambda self: self.env.ref("sales_campaign.utm_source_sales_campaign", raise_if_not_found=False),
        help="The source the tracked links of the campaign's e-mails and letters give to the visits they bring "
        "(and to the leads and orders those make).",
    )
    utm_medium_id = fields.Many2one(
        "utm.medium",
        string="UTM Medium",
        default=lambda self: self.env.ref("utm.utm_medium_email", raise_if_not_found=False),
        help="The medium the tracked links of the campaign's e-mails give to the visits they bring.",
    )

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

    _sql_constraints = [
        ("number_unique", "UNIQUE(number)", "This campaign number is already used."),
    ]

    def _compute_interaction_count(self):
        """Interactions and campaign entries that are not cancelled."""
        domain = [("campaign_id", "in", self.ids), ("cancelled", "=", False)]
        # Salespeople read campaigns (quotations show them) but not their log: they see no counts.
        Log, Entry = self.env["sales.interaction.log"], self.env["sales.campaign.entry"]
        interactions = dict(Log._read_group(domain, ["campaign_id"], ["__count"])) if Log.has_access("read") else {}
        entries = dict(Entry._read_group(domain, ["campaign_id"], ["__count"])) if Entry.has_access("read") else {}
        for campaign in self:
            campaign.interaction_count = interactions.get(campaign, 0)
            campaign.campaign_entry_count = entries.get(campaign, 0)

    def action_open_interactions(self):
        self.ensure_one()
        return self._action_open_filtered(
            "sales_campaign.sales_interaction_log_action",
            [("campaign_id", "=", self.id)],
            context={"default_campaign_id": self.id, "search_default_not_cancelled": 1},
        )

    def action_open_campaign_entries(self):
        self.ensure_one()
        return self._action_open_filtered("sales_campaign.sales_campaign_entry_action", [("campaign_id", "=", self.id)])

    def _compute_segment_count(self):
        Segment = self.env["sales.segment"]
        counts = (
            dict(Segment._read_group([("campaign_id", "in", self.ids)], ["campaign_id"], ["__count"]))
            if Segment.has_access("read")
            else {}
        )
        for campaign in self:
            campaign.segment_count = counts.get(campaign, 0)

    @api.model
    def _group_expand_status_ids(self, statuses, domain):
        # Every status is a column, and they are few.
        return statuses.search([])  # pylint: disable=no-search-all

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for campaign in self:
            if campaign.date_start and campaign.date_end and campaign.date_end < campaign.date_start:
                raise ValidationError(
                    self.env._(
                        "The ending date of campaign %(campaign)s (%(end)s) may not be before its starting date "
                        "(%(start)s).",
                        campaign=campaign.display_name,
                        end=format_date(self.env, campaign.date_end),
                        start=format_date(self.env, campaign.date_start),
                    )
                )

    # ------------------------------------------------------------------------------------------------
    # Prices, discounts and activation
    # ------------------------------------------------------------------------------------------------

    def _get_pricelist(self):
        """The campaign's own pricelist, created with its first price or discount."""
        self.ensure_one()
        if not self.pricelist_id:
            # sudo: the pricelist belongs to this campaign alone (archived, named after it, in its company's
            # currency); campaign managers edit its rules through the campaign card, never the pricelist itself.
            pricelist = (
                self.env["product.pricelist"]
                .sudo()
                .create(
                    {
                        "name": self.env._("Campaign %(campaign)s", campaign=self.display_name),
                        "active": False,
                        "sales_campaign_id": self.id,
                        "company_id": self.company_id.id,
                        "currency_id": (self.company_id or self.env.company).currency_id.id,
                    }
                )
            )
            self._write_protected({"pricelist_id": pricelist.id})
        return self.pricelist_id

    def _get_price_item_values(self):
        """Values every price or discount rule of the campaign carries: its pricelist and the campaign dates."""
        self.ensure_one()
        return {
            "pricelist_id": self._get_pricelist().id,
            "date_start": self.date_start and datetime.combine(self.date_start, time.min),
            "date_end": self.date_end and datetime.combine(self.date_end, time(23, 59, 59)),
        }

    def _sync_price_items(self):
        for campaign in self.filtered("price_item_ids"):
            values = campaign._get_price_item_values()
            # sudo: any campaign user may move the campaign's dates; its price rules must follow them.
            campaign.price_item_ids.sudo()._write_campaign_dates(values["date_start"], values["date_end"])

    # Changed by the actions only (Activate/Deactivate Prices, the first price, the numbering).
    PROTECTED_FIELDS = ("activated", "pricelist_id", "number")

    def _check_response_template(self, vals):
        """The response template given by a client must be one the user may read."""
        if vals.get("response_template_id"):
            template = self.env["sales.interaction.template"].browse(vals["response_template_id"])
            if not template.exists() or not template.has_access("read"):
                raise UserError(self.env._("You cannot use an interaction template you may not see."))

    def write(self, vals):
        self._check_response_template(vals)
        protected = set(self.PROTECTED_FIELDS) & set(vals)
        if protected and not is_privileged(self._name):
            raise UserError(
                self.env._(
                    "%(fields)s of a campaign change through its actions (such as Activate Prices), not by hand.",
                    fields=", ".join(self._fields[fname]._description_string(self.env) for fname in sorted(protected)),
                )
            )
        result = super().write(vals)
        if {"date_start", "date_end"} & set(vals):
            self._sync_price_items()
        if "company_id" in vals:
            # Odoo checks the record rules before a write, not after: no moving a campaign (with its
            # segments' targets and log) into a company its user does not work in.
            self.check_access("write")
        return result

    def _write_protected(self, vals):
        """Write fields that ``write`` refuses from clients; for the campaign's own actions."""
        with privileged(self._name):
            return self.write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        """The interaction log is a ledger (Business Central keeps it): a campaign with logged interactions
        or campaign entries that are not cancelled is not deleted with them."""
        domain = [("campaign_id", "in", self.ids), ("cancelled", "=", False)]
        # sudo: whether such entries exist at all, whoever may see them
        entries = self.env["sales.campaign.entry"].sudo().search(domain, limit=1)
        interactions = self.env["sales.interaction.log"].sudo().search(domain, limit=1)
        if entries or interactions:
            campaign = (entries.campaign_id or interactions.campaign_id).sudo(False)
            raise UserError(
                self.env._(
                    "Campaign %(campaign)s has logged interactions and campaign entries: it cannot be deleted "
                    "while they are not cancelled. Cancel its logged segments and campaign entries first, or "
                    "archive the campaign instead.",
                    campaign=campaign.display_name,
                )
            )

    def _is_running_on(self, day):
        self.ensure_one()
        return (not self.date_start or self.date_start <= day) and (not self.date_end or day <= self.date_end)

    @api.model
    def _targets_query(self, campaign_ids=None):
        """SQL rows (campaign_id, partner_id, company_partner_id, segment_id) of the targets of campaigns (all
        of them when ``campaign_ids`` is None): the one definition of a campaign's targets.

        Targets are the contacts of open segment lines (draft segments) and of interactions that are not
        cancelled, marked Campaign Target (a logged segment's targets are its interactions). Being a query,
        the targets follow the segments and the log by themselves. The target group (``_target_group_query``,
        the ``sales.campaign.target.group`` view) and the overlap shown on segment lines read them.
        """
        if campaign_ids is None:
            campaign = SQL("IS NOT NULL")
        else:
            campaign = SQL("= ANY(%s)", list(campaign_ids))
        return SQL(
            """
            SELECT line.campaign_id, line.partner_id, partner.commercial_partner_id AS company_partner_id,
                   line.segment_id
              FROM sales_segment_line line
              JOIN sales_segment segment ON segment.id = line.segment_id AND segment.state = 'draft'
              JOIN res_partner partner ON partner.id = line.partner_id
             WHERE line.active AND line.campaign_target AND line.campaign_id %(campaign)s
             UNION ALL
            SELECT entry.campaign_id, entry.partner_id, entry.company_partner_id, entry.segment_id
              FROM sales_interaction_log entry
             WHERE entry.campaign_target AND NOT entry.cancelled AND entry.campaign_id %(campaign)s
            """,
            campaign=campaign,
        )

    def _target_group_query(self, all_campaigns=False):
        """(campaign_id, partner_id) of the companies targeted by the campaigns of ``self`` (or by every
        campaign): Business Central's campaign target group, the companies of the targets (the contact itself
        for companies and individuals)."""
        return SQL(
            "SELECT DISTINCT campaign_id, company_partner_id AS partner_id FROM (%s) AS targets",
            self._targets_query(None if all_campaigns else self.ids),
        )

    def _count_targets(self):
        """Number of target group companies per campaign id, activated or not."""
        if not self.ids:
            return {}
        self.env["sales.segment.line"].flush_model()
        self.env["sales.interaction.log"].flush_model()
        rows = self.env.execute_query(
            SQL("SELECT campaign_id, COUNT(*) FROM (%s) targets GROUP BY campaign_id", self._target_group_query())
        )
        return dict(rows)

    def _compute_target_group_count(self):
        counts = self.filtered(lambda campaign: campaign.activated and campaign.id)._count_targets()
        for campaign in self:
            campaign.target_group_count = counts.get(campaign.id, 0) if campaign.activated else 0

    @api.model
    def _get_activated_for_partners(self, partners, companies):
        """Activated campaigns of ``companies`` (or of no company) whose target group holds each partner's company.

        One search and one query for all the partners, whatever their number.

        :return: {commercial partner: campaigns in id order}, for the partners' companies that have some
        """
        commercial_partners = partners.commercial_partner_id._origin
        if not commercial_partners:
            return {}
        activated = self.search([("activated", "=", True), ("company_id", "in", companies.ids + [False])])
        if not activated:
            return {}
        self.env["sales.segment.line"].flush_model()
        self.env["sales.interaction.log"].flush_model()
        # PostgreSQL pushes the partner condition down into both branches of the target group's UNION.
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, ARRAY_AGG(DISTINCT campaign_id ORDER BY campaign_id)
                  FROM (%s) targets
                 WHERE partner_id = ANY(%s)
                 GROUP BY partner_id
                """,
                activated._target_group_query(),
                commercial_partners.ids,
            )
        )
        return {
            commercial_partners.browse(partner_id): self.browse(campaign_ids).with_prefetch(activated._prefetch_ids)
            for partner_id, campaign_ids in rows
        }

    def _check_manager(self):
        if not self.env.user.has_group("sales_campaign.group_sales_campaign_manager"):
            raise AccessError(self.env._("Only campaign managers may activate or deactivate campaign prices."))

    def action_activate(self):
        """Give the campaign's prices and discounts to its target group (the companies of its targets)."""
        self._check_manager()
        counts = self._count_targets()
        for campaign in self:
            if not counts.get(campaign.id):
                raise UserError(
                    self.env._(
                        "Campaign %(campaign)s has no target yet. Link segment lines to the campaign and tick "
                        "Campaign Target, or log interactions that target it, then activate it again.",
                        campaign=campaign.display_name,
                    )
                )
        self._write_protected({"activated": True})
        if len(self) == 1:
            if self.price_item_ids:
                message = self.env._(
                    "Campaign %(campaign)s is now activated: %(count)s companies get its prices and discounts.",
                    campaign=self.display_name,
                    count=self.target_group_count,
                )
            else:
                message = self.env._(
                    "Campaign %(campaign)s is now activated for %(count)s companies, but it has no prices or "
                    "discounts yet.",
                    campaign=self.display_name,
                    count=self.target_group_count,
                )
            return self._notify(message)
        return True

    def action_deactivate(self):
        self._check_manager()
        self._write_protected({"activated": False})
        if len(self) == 1:
            return self._notify(
                self.env._(
                    "Campaign %(campaign)s is deactivated: new quotations no longer get its prices and discounts "
                    "unless the campaign is set on them.",
                    campaign=self.display_name,
                )
            )
        return True

    def action_open_target_group(self):
        self.ensure_one()
        return self._action_open_filtered(
            "sales_campaign.sales_campaign_target_group_action", [("campaign_id", "=", self.id)]
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
        """Orders of the campaign: those set on it (by hand or from an opportunity) and those it priced.

        Campaign pricing does not write the campaign onto the order, so an order priced by an activated
        campaign counts through its lines.
        """
        self.ensure_one()
        return ["|", ("campaign_id", "=", self.utm_campaign_id.id), ("order_line.sales_campaign_id", "=", self.id)]

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = self._orders_domain() + self._statistics_company_domain() + [("state", "=", "sale")]
        action["context"] = {"create": False}
        return action

    def action_register_responses(self):
        """Record the responses that waited for a response template: the replies kept on the campaign's
        e-mails, the first clicks (when clicks count as responses), the leads and the confirmed orders of its
        targets. Each is recorded once: running it again records nothing twice."""
        self.ensure_one()
        self.check_access("write")
        if not self.response_template_id:
            raise UserError(
                self.env._(
                    "Set a response template (such as RESP) on campaign %(campaign)s first.", campaign=self.display_name
                )
            )
        Log = self.env["sales.interaction.log"]
        # sudo: the campaign's own interactions, leads and orders, whoever registers (the user may write the
        # campaign); only responses of its targets are recorded, and only counts are shown
        emails = Log.sudo().search(
            [
                ("campaign_id", "=", self.id),
                ("cancelled", "=", False),
                ("message_id", "!=", False),
                "|",
                ("replied_date", "!=", False),
                ("clicked_date", "!=", False),
            ],
            order="id",
        )
        candidates = [
            (
                entry,
                "reply",
                entry._reply_values(
                    entry.reply_message_id,
                    entry.reply_message_id.email_from,
                    entry.reply_message_id.subject,
                    entry.replied_date,
                ),
            )
            for entry in emails.filtered("replied_date")
        ]
        if self.click_is_response:
            candidates += [
                (entry, "click", entry._click_values(entry.clicked_date)) for entry in emails.filtered("clicked_date")
            ]
        created = Log._register_responses(candidates)
        leads = self.env["crm.lead"].sudo().search([("campaign_id", "=", self.utm_campaign_id.id)])
        created |= Log._register_document_responses(leads, "lead")
        orders = (
            self.env["sale.order"]
            .sudo()
            .search([("campaign_id", "=", self.utm_campaign_id.id), ("state", "=", "sale")])
        )
        created |= Log._register_document_responses(orders, "order")
        return self._notify(
            self.env._(
                "%(count)s responses recorded for campaign %(campaign)s.",
                count=len(created),
                campaign=self.display_name,
            )
        )

    def action_open_responses(self):
        self.ensure_one()
        action = self.action_open_interactions()
        action["context"] = dict(
            action["context"], search_default_campaign_response=1, search_default_group_by_response_source=1
        )
        return action

    @api.depends("number", "title")
    def _compute_display_name(self):
        for campaign in self:
            campaign.display_name = " ".join(part for part in (campaign.number, campaign.title) if part)

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        for vals in vals_list:
            self._check_response_template(vals)
            if not vals.get("number") or vals["number"] == new_label:
                vals["number"] = self.env["ir.sequence"].next_by_code("sales.campaign") or new_label
        return super().create(vals_list)

    def unlink(self):
        """Remove the delegated UTM campaigns too: they exist only for this campaign."""
        utm_campaigns = self.utm_campaign_id
        result = super().unlink()
        # The UTM campaign is this card's own record; unlinking it is reserved to managers through the
        # access line on utm.campaign that this module adds for them.
        utm_campaigns.unlink()
        return result

    def action_open_leads(self):
        self.ensure_one()
        return self.utm_campaign_id.action_redirect_to_leads_opportunities()

    def action_open_quotations(self):
        self.ensure_one()
        return self.utm_campaign_id.action_redirect_to_quotations()

    def action_open_segments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_campaign.sales_segment_action")
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id, "default_description": self.title}
        return action
