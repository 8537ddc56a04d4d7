from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class SalesSegmentCreateOpportunities(models.TransientModel):
    """Create Opportunities, asked first: how many, with which expected revenue, sales team and stage."""

    _name = "sales.segment.create.opportunities"
    _inherit = ["sales.segment.wizard.mixin"]
    _description = "Create Opportunities for the Contacts of a Segment"
    # Opportunities come from any segment the user may read, logged ones too.
    _segment_access = "read"

    campaign_id = fields.Many2one(related="segment_id.campaign_id")
    company_id = fields.Many2one(related="segment_id.company_id")
    currency_id = fields.Many2one(related="segment_id.currency_id")
    opportunity_count = fields.Integer(
        string="Opportunities to Create",
        compute="_compute_counts",
        help="One per contact of the segment that has no open opportunity of the campaign yet.",
    )
    skipped_count = fields.Integer(
        string="Contacts Skipped",
        compute="_compute_counts",
        help="Contacts that already have an open opportunity of the campaign.",
    )
    summary = fields.Text(compute="_compute_counts")
    expected_revenue = fields.Monetary(currency_field="currency_id", help="The expected revenue of each opportunity.")
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        check_company=True,
        domain="[('company_id', 'in', (company_id, False))]",
    )
    stage_id = fields.Many2one(
        "crm.stage",
        compute="_compute_stage_id",
        store=True,
        readonly=False,
        domain="['|', ('team_id', '=', False), ('team_id', '=', team_id)]",
    )

    @api.depends("segment_id")
    def _compute_counts(self):
        """Counted in the database, as the step's own query would find them."""
        Line, Lead = self.env["sales.segment.line"], self.env["crm.lead"]
        for wizard in self:
            segment = wizard._readable_segment()
            if not segment or not segment.campaign_id:
                wizard.opportunity_count = wizard.skipped_count = 0
                wizard.summary = False
                continue
            [[contacts]] = Line._read_group([("segment_id", "=", segment.id)], [], ["partner_id:count_distinct"])
            lines = Line._search([("segment_id", "=", segment.id)])
            [[skipped]] = Lead._read_group(
                [
                    ("campaign_id", "=", segment.campaign_id.utm_campaign_id.id),
                    ("partner_id", "in", lines.subselect(SQL.identifier(lines.table, "partner_id"))),
                    ("type", "=", "opportunity"),
                    ("stage_id.is_won", "=", False),
                ],
                [],
                ["partner_id:count_distinct"],
            )
            wizard.opportunity_count = contacts - skipped
            wizard.skipped_count = skipped
            summary = self.env._(
                "Opportunities to create for campaign %(campaign)s, one per contact of the segment: %(count)s.",
                campaign=segment.campaign_id.display_name,
                count=contacts - skipped,
            )
            if skipped:
                summary += "\n" + self.env._(
                    "Contacts that already have an open opportunity of the campaign and get no new one: %(count)s.",
                    count=skipped,
                )
            wizard.summary = summary

    @api.depends("segment_id")
    def _compute_team_id(self):
        for wizard in self:
            wizard.team_id = wizard.segment_id.campaign_id.team_id

    @api.depends("team_id")
    def _compute_stage_id(self):
        """The first stage that is not folded, of the team or of every team (where a new opportunity starts)."""
        for wizard in self:
            wizard.stage_id = self.env["crm.stage"].search(
                ["|", ("team_id", "=", False), ("team_id", "=", wizard.team_id.id), ("fold", "=", False)],
                order="sequence, id",
                limit=1,
            )

    @api.model
    def default_get(self, fields_list):
        """Refuse to open for a segment without a campaign."""
        values = super().default_get(fields_list)
        segment = self.env["sales.segment"].browse(values.get("segment_id")).exists()
        if segment:
            segment._check_opportunity_campaign()
        return values

    def action_create(self):
        self.ensure_one()
        if self.expected_revenue < 0:
            raise UserError(self.env._("The expected revenue may not be negative."))
        segment = self.segment_id
        leads, skipped = segment._create_opportunities(
            expected_revenue=self.expected_revenue, team=self.team_id, stage=self.stage_id
        )
        message = self.env._(
            "Opportunities for campaign %(campaign)s. Created: %(created)s; "
            "contacts that already had an open one: %(skipped)s.",
            created=len(leads),
            campaign=segment.campaign_id.display_name,
            skipped=len(skipped),
        )
        return segment._notify(
            message, {"created": len(leads)}, next_action=segment.campaign_id.action_open_opportunities()
        )
