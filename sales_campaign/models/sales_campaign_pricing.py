from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL


class SalesCampaign(models.Model):
    """Campaign prices and discounts, and the target group that gets them once the campaign is activated."""

    _inherit = "sales.campaign"

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

    # ------------------------------------------------------------------------------------------------
    # Prices, discounts and activation
    # ------------------------------------------------------------------------------------------------

    def _get_pricelist(self):
        """The campaign's own pricelist, created with its first price or discount."""
        self.ensure_one()
        if not self.pricelist_id:
            self.check_access("write")
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
        self.check_access("write")

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
