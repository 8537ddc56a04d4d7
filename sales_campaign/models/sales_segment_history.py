from odoo import api, fields, models
from odoo.tools import clean_context

ACTIONS = [
    ("add", "Add Contacts"),
    ("reduce", "Reduce Contacts"),
    ("refine", "Refine Contacts"),
    ("manual_add", "Added by Hand"),
    ("manual_remove", "Removed by Hand"),
]


class SalesSegmentHistory(models.Model):
    """One step of a segment: what was asked (the criteria) and what it added or removed.

    The steps are the segment's criteria too: Save Criteria stores them, Reuse Criteria replays them.
    """

    _name = "sales.segment.history"
    _description = "Segment History Step"
    _order = "segment_id, sequence desc, id desc"

    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="segment_id.company_id", store=True, index=True)
    sequence = fields.Integer(string="Step", readonly=True)
    action = fields.Selection(ACTIONS, required=True, readonly=True)
    criteria = fields.Json(readonly=True, help="The filters and options of the step, to replay it.")
    description = fields.Text(string="Filters", readonly=True)
    added_count = fields.Integer(string="Added", readonly=True)
    removed_count = fields.Integer(string="Removed", readonly=True)

    _sql_constraints = [
        # Lines refer to their steps by number: two steps of a segment never share one.
        ("sequence_unique", "UNIQUE(segment_id, sequence)", "Two steps of a segment cannot have the same number."),
    ]

    # ------------------------------------------------------------------------------------------------
    # A ledger of the segment's steps: no group may create, write or delete steps (the access rights); the
    # segment's steps record them, after checking the user may change the segment
    # ------------------------------------------------------------------------------------------------

    def _step_sudo(self):
        # sudo: called by the steps of a segment the user may write (``_lock_steps`` checked it), without the
        # caller's default_* context keys
        return self.sudo().with_context(clean_context(self.env.context))

    @api.model
    def _create_step(self, vals):
        """Record a step of a segment (numbered under the segment's lock, see ``_lock_steps``)."""
        return self._step_sudo().create([vals]).with_env(self.env)

    def _write_step(self, vals):
        return self._step_sudo().write(vals)

    def _unlink_step(self):
        """Go Back undoes the step: it leaves the history."""
        return self._step_sudo().unlink()

    @api.depends("sequence", "action")
    def _compute_display_name(self):
        actions = dict(self._fields["action"]._description_selection(self.env))
        for step in self:
            step.display_name = f"{step.sequence}. {actions.get(step.action, '')}"

    @api.model
    def _describe_criteria(self, action, criteria):
        """The criteria in words, in the user's language, as the history shows them."""
        parts = []
        labels = {
            "job_responsibility_ids": ("sales.job.responsibility", self.env._("Job responsibility")),
            "business_relation_ids": ("sales.business.relation", self.env._("Business relation")),
            "industry_ids": ("res.partner.industry", self.env._("Industry")),
            "mailing_group_ids": ("sales.mailing.group", self.env._("Mailing group")),
            "partner_ids": ("res.partner", self.env._("Contacts")),
            "interaction_template_ids": ("sales.interaction.template", self.env._("Interactions with template")),
            "interaction_campaign_ids": ("sales.campaign", self.env._("Interactions in campaign")),
            "logged_segment_ids": ("sales.logged.segment", self.env._("Contacts of logged segment")),
        }
        for key, (model, label) in labels.items():
            ids = criteria.get(key) or []
            if ids:
                # Read as the user: the step's records were checked readable (``_check_criteria_access``).
                records = self.env[model].with_context(active_test=False).search([("id", "in", list(ids))])
                names = records.mapped("display_name")
                if len(names) > 5:
                    names = names[:5] + [self.env._("%(count)s more", count=len(names) - 5)]
                parts.append(f"{label}: {', '.join(names)}")
        for key, label in self._extra_criteria_labels().items():
            if criteria.get(key):
                parts.append(f"{label}: {criteria[key]}")
        domain = (criteria.get("partner_domain") or "").strip()
        if domain and domain != "[]":
            parts.append(self.env._("Contact filter: %(domain)s", domain=domain))
        option_labels = {
            "allow_existing_contacts": self.env._("allow existing contacts"),
            "expand_contact_companies": self.env._("expand contact companies"),
            "allow_related_companies": self.env._("allow related companies"),
            "ignore_exclusion": self.env._("ignore exclusion"),
            "exclude_blacklisted": self.env._("leave out blacklisted e-mail addresses"),
            "entire_companies": self.env._("entire companies"),
        }
        options = [label for key, label in option_labels.items() if (criteria.get("options") or {}).get(key)]
        if options:
            parts.append(self.env._("Options: %(options)s", options=", ".join(options)))
        if not parts:
            parts.append(self.env._("No filter"))
        return "\n".join(parts)

    @api.model
    def _extra_criteria_labels(self):
        """Hook: more filter groups, {criteria key: label}."""
        return {}
