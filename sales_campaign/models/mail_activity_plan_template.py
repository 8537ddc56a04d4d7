from dateutil.relativedelta import relativedelta

from odoo import fields, models


class MailActivityPlanTemplate(models.Model):
    """Steps of Odoo activity plans, extended for campaigns.

    A step can follow the previous one by a number of days (a chain of follow-up calls), and be assigned to
    the campaign's salesperson, its sales team's leader or each contact's own salesperson. Plans are
    scheduled from the campaign onto the campaign, a segment's contacts or their opportunities.
    """

    _inherit = "mail.activity.plan.template"

    # Each user reads the step in their own language, and the activities it schedules carry it in the
    # language of the one who plans them.
    summary = fields.Char(translate=True)
    responsible_type = fields.Selection(
        selection_add=[
            ("sales_campaign_user", "Campaign Salesperson"),
            ("sales_team_leader", "Campaign Sales Team Leader"),
            ("sales_contact_user", "Contact's Salesperson"),
        ],
        ondelete={
            "sales_campaign_user": "set default",
            "sales_team_leader": "set default",
            "sales_contact_user": "set default",
        },
    )
    delay_from = fields.Selection(
        selection_add=[("sales_after_previous", "After Previous Step")],
        ondelete={"sales_after_previous": "set default"},
    )

    def _get_date_deadline(self, base_date=False):
        if self.delay_from != "sales_after_previous":
            return super()._get_date_deadline(base_date)
        steps = self.plan_id.template_ids.sorted(lambda step: (step.sequence, step.id))
        previous = steps[: list(steps).index(self)][-1:] if self in steps else steps.browse()
        start = previous._get_date_deadline(base_date) if previous else base_date or fields.Date.context_today(self)
        return start + relativedelta(**{self.delay_unit: self.delay_count})

    def _determine_responsible(self, on_demand_responsible, applied_on_record):
        if self.responsible_type not in ("sales_campaign_user", "sales_team_leader", "sales_contact_user"):
            return super()._determine_responsible(on_demand_responsible, applied_on_record)
        self.ensure_one()
        campaign = self.env["sales.campaign"].browse(self.env.context.get("sales_campaign_id"))
        if applied_on_record._name == "sales.campaign":
            campaign = applied_on_record
        if self.responsible_type == "sales_campaign_user":
            responsible = campaign.user_id
        elif self.responsible_type == "sales_team_leader":
            team = applied_on_record.team_id if applied_on_record._name == "crm.lead" else campaign.team_id
            responsible = (team or campaign.team_id).user_id
        elif applied_on_record._name == "crm.lead":
            responsible = applied_on_record.user_id or applied_on_record.partner_id.commercial_partner_id.user_id
        elif applied_on_record._name == "res.partner":
            responsible = applied_on_record.user_id or applied_on_record.commercial_partner_id.user_id
        else:
            responsible = campaign.user_id
        # Nobody found (no salesperson on the contact, no team leader): the one who launches the plan.
        return {
            "responsible": responsible or on_demand_responsible or campaign.user_id or self.env.user,
            "error": False,
        }
