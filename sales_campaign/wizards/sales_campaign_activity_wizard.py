from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

PLAN_MODELS = {"campaign": "sales.campaign", "contacts": "res.partner", "opportunities": "crm.lead"}
# The plan's summary in the dialog: a row per step.
TABLE = Markup(
    "<table class='table table-sm mb-0 o_sales_campaign_plan_summary'><thead>%s</thead><tbody>%s</tbody></table>"
)
HEADER = Markup("<tr><th>%s</th><th>%s</th><th>%s</th></tr>")
ROW = Markup("<tr><td>%s</td><td class='text-nowrap'>%s</td><td>%s</td></tr>")


class SalesCampaignActivityWizard(models.TransientModel):
    """Schedule the steps of an activity plan from the campaign.

    Odoo's own plan launcher posts a message per record; this one creates every activity of a segment in
    one go and writes one summary on the campaign.
    """

    _name = "sales.campaign.activity.wizard"
    _description = "Plan Campaign Activities"

    campaign_id = fields.Many2one("sales.campaign", required=True, readonly=True)
    apply_on = fields.Selection(
        [
            ("campaign", "The Campaign"),
            ("contacts", "Contacts of a Segment"),
            ("opportunities", "Opportunities of a Segment"),
        ],
        string="Schedule On",
        required=True,
        default="contacts",
    )
    plan_res_model = fields.Char(compute="_compute_plan_res_model")
    segment_id = fields.Many2one(
        "sales.segment",
        domain="[('campaign_id', '=', campaign_id)]",
        compute="_compute_segment_id",
        store=True,
        readonly=False,
    )
    plan_id = fields.Many2one(
        "mail.activity.plan",
        string="Activity Plan",
        domain="[('res_model', '=', plan_res_model)]",
        compute="_compute_plan_id",
        store=True,
        readonly=False,
    )
    plan_date = fields.Date(
        compute="_compute_plan_date",
        store=True,
        readonly=False,
        help="Steps that come after the plan date count their days from it: by default the campaign's start.",
    )
    on_demand_user_id = fields.Many2one(
        "res.users",
        string="Assigned To",
        compute="_compute_on_demand_user_id",
        store=True,
        readonly=False,
        help="Who gets the steps set to 'Ask at launch', and the steps whose salesperson cannot be found.",
    )
    record_count = fields.Integer(string="Records", compute="_compute_record_count")
    activity_count = fields.Integer(string="Activities", compute="_compute_record_count")
    plan_summary = fields.Html(
        string="Steps",
        compute="_compute_plan_summary",
        help="The plan's steps with their due dates and who gets them, before they are scheduled.",
    )

    @api.depends("apply_on")
    def _compute_plan_res_model(self):
        for wizard in self:
            wizard.plan_res_model = PLAN_MODELS[wizard.apply_on or "campaign"]

    @api.depends("campaign_id", "apply_on")
    def _compute_segment_id(self):
        for wizard in self:
            if wizard.apply_on == "campaign":
                wizard.segment_id = False
            elif not wizard.segment_id:
                wizard.segment_id = wizard.campaign_id.segment_ids.sorted("id", reverse=True)[:1]

    @api.depends("apply_on")
    def _compute_plan_id(self):
        for wizard in self:
            if wizard.plan_id.res_model != wizard.plan_res_model:
                wizard.plan_id = self.env["mail.activity.plan"].search(
                    [("res_model", "=", wizard.plan_res_model)], limit=1
                )

    @api.depends("campaign_id")
    def _compute_plan_date(self):
        for wizard in self:
            wizard.plan_date = wizard.campaign_id.date_start or fields.Date.context_today(wizard)

    @api.depends("campaign_id")
    def _compute_on_demand_user_id(self):
        for wizard in self:
            wizard.on_demand_user_id = wizard.campaign_id.user_id or self.env.user

    @api.depends("apply_on", "segment_id", "plan_id")
    def _compute_record_count(self):
        """Counted in the database: the form recounts at every change, on segments of 100,000 lines."""
        for wizard in self:
            if not wizard.campaign_id:
                count = 0
            elif wizard.apply_on == "campaign":
                count = 1
            elif not wizard.segment_id:
                count = 0
            else:
                count = self.env[PLAN_MODELS[wizard.apply_on]].search_count(wizard._records_domain())
            wizard.record_count = count
            wizard.activity_count = count * len(wizard.plan_id.template_ids)

    @api.depends("apply_on", "segment_id", "plan_id", "plan_date", "on_demand_user_id")
    def _compute_plan_summary(self):
        """A table of the steps: what, when, and who gets how many (as ``action_schedule`` will assign them)."""
        for wizard in self:
            steps = wizard.plan_id.template_ids.sorted(lambda step: (step.sequence, step.id))
            if not steps or not wizard.campaign_id:
                wizard.plan_summary = False
                continue
            rows = []
            for step in steps.with_context(sales_campaign_id=wizard.campaign_id.id):
                what = step.activity_type_id.name or ""
                if step.summary:
                    what = f"{what}: {step.summary}" if what else step.summary
                deadline = format_date(self.env, step._get_date_deadline(wizard.plan_date)) if wizard.plan_date else ""
                counts = wizard._responsible_counts(step) if wizard.record_count else {}
                assignees = Markup(", ").join(
                    self.env._("%(user)s (%(count)s)", user=user.name, count=count)
                    for user, count in sorted(counts.items(), key=lambda item: (-item[1], item[0].name or ""))
                )
                rows.append(ROW % (what, deadline, assignees))
            header = HEADER % (
                self.env._("Step"),
                self.env._("Due Date"),
                self.env._("Assigned To"),
            )
            wizard.plan_summary = TABLE % (header, Markup("").join(rows))

    def _responsible_counts(self, step):
        """{user: number of activities} that ``step`` gives the records, counted in the database.

        The same rule as ``mail.activity.plan.template._determine_responsible`` (extended by this module), grouped
        instead of record by record: a segment may hold 100,000 contacts.
        """
        self.ensure_one()
        campaign = self.campaign_id
        fallback = self.on_demand_user_id or campaign.user_id or self.env.user
        model = PLAN_MODELS[self.apply_on]
        counts = {}

        def add(user, count):
            user = user or fallback
            counts[user] = counts.get(user, 0) + count

        if self.apply_on == "campaign" or step.responsible_type not in ("sales_contact_user", "sales_team_leader"):
            record = self.campaign_id if self.apply_on == "campaign" else self.env[model]
            add(step._determine_responsible(self.on_demand_user_id, record)["responsible"], self.record_count)
            return counts
        Records = self.env[model]
        domain = self._records_domain()
        if step.responsible_type == "sales_team_leader":
            if model != "crm.lead":
                add(campaign.team_id.user_id, self.record_count)
                return counts
            for team, count in Records._read_group(domain, ["team_id"], ["__count"]):
                add((team or campaign.team_id).user_id, count)
            return counts
        # The contact's salesperson: the record's own, else that of its (commercial) company.
        for user, count in Records._read_group(domain + [("user_id", "!=", False)], ["user_id"], ["__count"]):
            add(user, count)
        company_field = "commercial_partner_id" if model == "res.partner" else "partner_id"
        for partner, count in Records._read_group(domain + [("user_id", "=", False)], [company_field], ["__count"]):
            add(partner.commercial_partner_id.user_id, count)
        return counts

    def _records_domain(self):
        """The contacts of the segment's lines, or their opportunities in the campaign."""
        self.ensure_one()
        lines = self.env["sales.segment.line"]._search([("segment_id", "=", self.segment_id.id)])
        contacts = lines.subselect(SQL.identifier(lines.table, "partner_id"))
        if self.apply_on == "contacts":
            return [("id", "in", contacts)]
        return [
            ("campaign_id", "=", self.campaign_id.utm_campaign_id.id),
            ("partner_id", "in", contacts),
            ("type", "=", "opportunity"),
        ]

    def _get_records(self):
        self.ensure_one()
        if self.apply_on == "campaign":
            return self.campaign_id
        if not self.segment_id:
            return self.env[PLAN_MODELS[self.apply_on]]
        return self.env[PLAN_MODELS[self.apply_on]].search(self._records_domain())

    def action_schedule(self):
        self.ensure_one()
        self.campaign_id.check_access("write")
        if self.segment_id and self.segment_id.campaign_id != self.campaign_id:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is not a segment of campaign %(campaign)s.",
                    segment=self.segment_id.display_name,
                    campaign=self.campaign_id.display_name,
                )
            )
        if not self.plan_id:
            raise UserError(self.env._("Choose the activity plan to schedule."))
        if not self.plan_id.template_ids:
            raise UserError(self.env._("Activity plan %(plan)s has no steps.", plan=self.plan_id.name))
        if self.apply_on != "campaign" and not self.segment_id:
            raise UserError(self.env._("Choose the segment whose contacts or opportunities get the activities."))
        records = self._get_records()
        if not records:
            raise UserError(
                self.env._(
                    "There is nothing to schedule: segment %(segment)s has no contacts or opportunities.",
                    segment=self.segment_id.display_name,
                )
            )
        steps = self.plan_id.template_ids.sorted(lambda step: (step.sequence, step.id)).with_context(
            sales_campaign_id=self.campaign_id.id
        )
        deadlines = {step: step._get_date_deadline(self.plan_date) for step in steps}
        model_id = self.env["ir.model"]._get_id(records._name)
        count = 0
        # One batch per step: a batch must not hold two activities of one user on one record, or Odoo would
        # subscribe that user twice to the record.
        for step in steps:
            vals_list = [
                {
                    "res_model_id": model_id,
                    "res_id": record.id,
                    "activity_type_id": step.activity_type_id.id,
                    "summary": step.summary,
                    "note": step.note,
                    "user_id": step._determine_responsible(self.on_demand_user_id, record)["responsible"].id,
                    "date_deadline": deadlines[step],
                    "automated": False,
                    "sales_campaign_id": self.campaign_id.id,
                }
                for record in records
            ]
            self.env["mail.activity"].create(vals_list)
            count += len(vals_list)
        self.campaign_id.message_post(
            body=self.env._(
                "Activity plan %(plan)s scheduled on %(records)s. Activities: %(count)s.",
                plan=self.plan_id.name,
                count=count,
                records=self.segment_id.display_name if self.segment_id else self.campaign_id.display_name,
            )
        )
        return self.campaign_id._notify(
            self.env._("Activities scheduled: %(count)s.", count=count),
            {"scheduled": count},
            next_action=self.campaign_id.action_open_planned_activities(),
        )
