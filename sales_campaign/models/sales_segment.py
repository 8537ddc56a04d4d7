from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import clean_context, formatLang

from .res_partner import CORRESPONDENCE_TYPES
from .sales_interaction_template import INFORMATION_FLOWS, INITIATORS
from .sales_segment_language import lang_selection

# Header fields whose change is offered to the lines ("update the lines?"), in the order they are applied.
LINE_DEFAULT_FIELDS = (
    "template_id",
    "campaign_id",
    "campaign_target",
    "campaign_response",
    "user_id",
    "correspondence_type",
    "ignore_contact_correspondence_type",
    "lang_default",
)

# The lines the segment form holds. The web client reads every id of an embedded list, and an onchange reads
# every line it holds with all its columns: a form embedding all lines of a million-contact segment took 12 s
# to open, and each change of a header field longer still. Up to this many, the form holds all of them.
FORM_LINES = 1000


class SalesSegment(models.Model):
    """A target segment: the contacts one interaction goes to, mined step by step.

    Lines are added and removed set-wise in SQL (segments of 100,000 contacts are normal). A removed line
    is archived with the step that removed it, and each line remembers the step that added it, so that
    **Go back** restores a step exactly (lines come back with their manual edits) with two statements.
    """

    _name = "sales.segment"
    _inherit = ["mail.thread", "mail.activity.mixin", "sales.action.mixin", "sales.protected.mixin"]
    _description = "Segment"
    _order = "id desc"
    _rec_names_search = ["name", "description"]
    _check_company_auto = True

    name = fields.Char(
        string="No.", required=True, copy=False, readonly=True, index="trigram", default=lambda self: self.env._("New")
    )
    description = fields.Char(tracking=True)
    date = fields.Date(default=fields.Date.context_today, required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        default=lambda self: self.env.user,
        tracking=True,
        help="Salesperson of the lines; when empty, each line takes its contact's salesperson.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    state = fields.Selection(
        [("draft", "Draft"), ("logged", "Logged")], default="draft", required=True, copy=False, tracking=True
    )

    # Campaign
    campaign_id = fields.Many2one(
        "sales.campaign",
        check_company=True,
        tracking=True,
        index="btree_not_null",
        compute="_compute_campaign_id",
        store=True,
        readonly=False,
    )
    campaign_target = fields.Boolean(
        compute="_compute_campaign_flags",
        store=True,
        readonly=False,
        help="The lines' contacts are targets of the campaign.",
    )
    campaign_response = fields.Boolean(
        compute="_compute_campaign_flags",
        store=True,
        readonly=False,
        help="The lines record responses to the campaign.",
    )

    # Interaction defaults
    template_id = fields.Many2one(
        "sales.interaction.template", string="Interaction Template", check_company=True, tracking=True
    )
    interaction_group_id = fields.Many2one(related="template_id.group_id", string="Interaction Group")
    language_ids = fields.One2many(
        "sales.segment.language",
        "segment_id",
        string="Languages",
        copy=True,
        compute="_compute_language_ids",
        store=True,
        readonly=False,
    )
    lang_default = fields.Selection(
        selection=lang_selection,
        string="Language (Default)",
        compute="_compute_from_template",
        store=True,
        readonly=False,
        help="The version for contacts whose language has no version of its own.",
    )
    subject_default = fields.Char(
        string="Subject (Default)", compute="_compute_subject_default", inverse="_inverse_subject_default"
    )
    correspondence_type = fields.Selection(
        CORRESPONDENCE_TYPES,
        string="Correspondence Type (Default)",
        compute="_compute_from_template",
        store=True,
        readonly=False,
    )
    ignore_contact_correspondence_type = fields.Boolean(
        compute="_compute_from_template",
        store=True,
        readonly=False,
        help="Use the default correspondence type for every line, whatever its contact prefers.",
    )
    send_attachment = fields.Boolean(help="Send the attachment of each language with the letters and e-mails.")
    information_flow = fields.Selection(INFORMATION_FLOWS, compute="_compute_from_template", store=True, readonly=False)
    initiated_by = fields.Selection(INITIATORS, compute="_compute_from_template", store=True, readonly=False)
    currency_id = fields.Many2one(related="company_id.currency_id")
    unit_cost = fields.Monetary(compute="_compute_from_template", store=True, readonly=False)
    unit_duration = fields.Float(
        string="Unit Duration (Min.)", digits=(16, 2), compute="_compute_from_template", store=True, readonly=False
    )

    # Lines and history
    line_ids = fields.One2many("sales.segment.line", "segment_id", string="Lines")
    line_count = fields.Integer(string="No. of Lines", compute="_compute_line_count", store=True)
    form_line_ids = fields.One2many(
        "sales.segment.line",
        "segment_id",
        string="Contacts",
        compute="_compute_form_line_ids",
        readonly=False,
        help="The segment's lines as its form shows them: all of them, or the first ones of a large segment.",
    )
    form_line_note = fields.Char(compute="_compute_form_line_ids")
    history_ids = fields.One2many("sales.segment.history", "segment_id")
    history_count = fields.Integer(string="No. of Steps", compute="_compute_history_count")
    pending_line_update = fields.Json(
        copy=False,
        help="Header values changed since the lines were last brought in line: {field: value before}.",
    )
    pending_line_update_message = fields.Html(
        string="Lines to Update",
        compute="_compute_pending_line_update_message",
        help="What changed on the header, and what Update Lines will do to which lines.",
    )
    logged_segment_ids = fields.One2many("sales.logged.segment", "segment_id", string="Logged Segments")
    logged_segment_id = fields.Many2one("sales.logged.segment", compute="_compute_logged_segment_id")

    _sql_constraints = [
        ("name_unique", "UNIQUE(name)", "This segment number is already used."),
        ("unit_cost_positive", "CHECK(unit_cost >= 0)", "The unit cost may not be negative."),
        ("unit_duration_positive", "CHECK(unit_duration >= 0)", "The unit duration may not be negative."),
    ]

    # ------------------------------------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------------------------------------

    @api.depends("template_id")
    def _compute_from_template(self):
        """Choosing a template copies its defaults to the header, as Business Central does."""
        for segment in self:
            template = segment.template_id
            if not template:
                continue
            segment.update(
                {
                    "lang_default": template.lang_default or template.language_ids[:1].lang or segment.lang_default,
                    "correspondence_type": template.correspondence_type,
                    "ignore_contact_correspondence_type": template.ignore_contact_correspondence_type,
                    "information_flow": template.information_flow,
                    "initiated_by": template.initiated_by,
                    "unit_cost": template.unit_cost,
                    "unit_duration": template.unit_duration,
                }
            )

    @api.depends("template_id")
    def _compute_language_ids(self):
        """A template brings its languages, with their subjects and attachments, as Business Central rebuilds the
        segment's languages. In the form this happens as soon as the template is chosen, so the subject the
        user types afterwards is the one that is saved (and that *Update Lines* gives the lines)."""
        for segment in self:
            if not segment.template_id:
                continue
            segment.language_ids = [Command.clear()] + [
                Command.create(
                    {"lang": row.lang, "subject": row.subject, "attachment_ids": [Command.set(row.attachment_ids.ids)]}
                )
                for row in segment.template_id.language_ids
            ]

    @api.depends("template_id")
    def _compute_campaign_id(self):
        """A template's campaign is taken when the segment has none; it never replaces a chosen campaign."""
        for segment in self:
            if segment.template_id.campaign_id and not segment.campaign_id:
                segment.campaign_id = segment.template_id.campaign_id

    @api.depends("campaign_id", "template_id")
    def _compute_campaign_flags(self):
        for segment in self:
            segment.campaign_target, segment.campaign_response = segment.template_id._campaign_flags(
                segment.campaign_id, segment.campaign_target, segment.campaign_response
            )

    @api.depends("name", "description")
    def _compute_display_name(self):
        """The number and the description, as campaigns show theirs: pickers list segments by both."""
        for segment in self:
            segment.display_name = " ".join(part for part in (segment.name, segment.description) if part)

    @api.depends("line_ids")
    def _compute_line_count(self):
        counts = dict(
            self.env["sales.segment.line"]._read_group([("segment_id", "in", self.ids)], ["segment_id"], ["__count"])
        )
        for segment in self:
            segment.line_count = counts.get(segment, 0)

    @api.depends("line_ids", "line_count")
    def _compute_form_line_ids(self):
        """All lines up to ``FORM_LINES``, else that many of them: the form never loads a large segment whole.

        Those of a large segment are the first by contact, read along the index on segment and contact: the
        first by line number would be looked for along the line numbers of every other segment (a second per
        million lines). What the form sends for them is written to ``line_ids`` (``_vals_with_form_lines``).
        """
        Line = self.env["sales.segment.line"]
        for segment in self:
            origin = segment._origin
            count = origin.line_count if origin.id else 0
            if not count:
                lines = Line
            elif count <= FORM_LINES:
                lines = Line.search([("segment_id", "=", origin.id)])
            else:
                lines = Line.search([("segment_id", "=", origin.id)], order="partner_id.id", limit=FORM_LINES)
                lines = lines.sorted("id")
            segment.form_line_ids = lines
            segment.form_line_note = (
                self.env._(
                    "The form shows %(shown)s of the %(count)s lines: No. of Lines opens all of them.",
                    shown=formatLang(self.env, len(lines), digits=0),
                    count=formatLang(self.env, count, digits=0),
                )
                if count > len(lines)
                else False
            )

    @api.model
    def _vals_with_form_lines(self, vals):
        """The form's commands for its lines (``form_line_ids``) are commands for ``line_ids``: the same lines.

        Only commands for one line each: setting or clearing the lines the form shows is not setting or
        clearing the segment's lines, and the web client sends neither for a list of lines."""
        if "form_line_ids" not in vals:
            return vals
        vals = dict(vals)
        commands = vals.pop("form_line_ids") or []
        if not isinstance(commands, list | tuple) or any(
            not isinstance(command, list | tuple) or not command or command[0] in (Command.SET, Command.CLEAR)
            for command in commands
        ):
            raise UserError(
                self.env._(
                    "The lines of a segment change one by one or by its steps (Add Contacts, Reduce Contacts, Refine "
                    "Contacts, Remove Lines), not all at once."
                )
            )
        vals["line_ids"] = [*(vals.get("line_ids") or []), *commands]
        return vals

    @api.depends("logged_segment_ids")
    def _compute_logged_segment_id(self):
        for segment in self:
            segment.logged_segment_id = segment.logged_segment_ids[:1]

    def _compute_history_count(self):
        counts = dict(
            self.env["sales.segment.history"]._read_group([("segment_id", "in", self.ids)], ["segment_id"], ["__count"])
        )
        for segment in self:
            segment.history_count = counts.get(segment, 0)

    @api.depends("lang_default", "language_ids.lang", "language_ids.subject")
    def _compute_subject_default(self):
        for segment in self:
            segment.subject_default = segment.language_ids.filtered(lambda row: row.lang == segment.lang_default)[
                :1
            ].subject

    def _inverse_subject_default(self):
        for segment in self:
            row = segment.language_ids.filtered(lambda row: row.lang == segment.lang_default)[:1]
            if row:
                row.subject = segment.subject_default
            elif segment.lang_default:
                segment.language_ids = [(0, 0, {"lang": segment.lang_default, "subject": segment.subject_default})]
            elif segment.subject_default:
                raise UserError(self.env._("Choose the default language before its subject."))

    @api.constrains("campaign_target", "campaign_response", "campaign_id")
    def _check_campaign_flags(self):
        for segment in self:
            if (segment.campaign_target or segment.campaign_response) and not segment.campaign_id:
                raise ValidationError(
                    self.env._(
                        "Segment %(segment)s needs a campaign to be a campaign target or response.",
                        segment=segment.name,
                    )
                )

    # ------------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        vals_list = [self._vals_with_form_lines(vals) for vals in vals_list]
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == new_label:
                vals["name"] = self.env["ir.sequence"].next_by_code("sales.segment") or new_label
        segments = super().create(vals_list)
        segments._ensure_default_language()
        return segments

    # A segment becomes logged by logging it (see sales.protected.mixin).
    _protected_fields = ("state",)

    def write(self, vals):
        vals = self._vals_with_form_lines(vals)
        # The chatter keeps working on logged segments: posting a message with files may set the main attachment.
        if (
            not self.env.su
            and any(segment.state != "draft" for segment in self)
            and set(vals) - {"message_main_attachment_id"}
        ):
            raise UserError(self.env._("A logged segment can no longer be changed."))
        # Values the lines were defaulted from, to offer the change to the lines afterwards.
        tracked = LINE_DEFAULT_FIELDS if set(vals) & set(LINE_DEFAULT_FIELDS) else ()
        before = {segment.id: {fname: segment._line_default_value(fname) for fname in tracked} for segment in self}
        result = super().write(vals)
        if "lang_default" in vals or "template_id" in vals:
            self._ensure_default_language()
        if tracked:
            self._note_line_defaults_change(before)
        if "company_id" in vals:
            # Odoo checks the record rules before a write, not after: a segment must not be moved into a
            # company its user does not work in (with its lines and their contacts).
            self.check_access("write")
        return result

    def _set_logged(self):
        """The segment was logged: read-only from now on (``write`` refuses a client's status change)."""
        # sudo: the log checked the user may write the segment (``_log_segment``)
        self.sudo().with_context(clean_context(self.env.context)).write(
            {"state": "logged", "pending_line_update": False}
        )

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            vals.pop("line_ids", None)
        return vals_list

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        if any(segment.state == "logged" for segment in self):
            raise UserError(self.env._("A logged segment cannot be deleted: cancel its logged segment instead."))

    def _ensure_default_language(self):
        """The default language must be one of the segment's languages: add it when it is not."""
        for segment in self:
            if segment.lang_default and segment.lang_default not in segment.language_ids.mapped("lang"):
                segment.language_ids = [(0, 0, {"lang": segment.lang_default})]

    def action_open_logged_segment(self):
        self.ensure_one()
        return self.logged_segment_id._get_records_action()

    # ------------------------------------------------------------------------------------------------
    # Actions of the form
    # ------------------------------------------------------------------------------------------------

    def action_open_lines(self):
        """The lines in a list of their own (with their pivot), where several can be selected and removed."""
        self.ensure_one()
        return self._action_open_filtered(
            "sales_campaign.sales_segment_line_action",
            [("segment_id", "=", self.id)],
            name=self.env._("Lines of %(segment)s", segment=self.display_name),
            context={"default_segment_id": self.id},
        )

    def action_select_lines_to_remove(self):
        """A dialog over the segment listing its lines: tick several and remove them (*Remove Lines*)."""
        self.ensure_one()
        self._check_draft()
        action = self._action_open_filtered(
            "sales_campaign.sales_segment_line_action_remove",
            [("segment_id", "=", self.id)],
            name=self.env._("Remove Lines from %(segment)s", segment=self.display_name),
        )
        return action

    def action_go_back_confirm(self):
        """Go Back asks first, in a dialog that says which step it undoes and what that does to the lines."""
        self.ensure_one()
        self._check_draft()
        if not self.history_count:
            raise UserError(self.env._("Segment %(segment)s has no step to go back to.", segment=self.name))
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_campaign.sales_segment_go_back_action")
        action["context"] = {"default_segment_id": self.id}
        return action

    def action_create_opportunities(self):
        """Create Opportunities asks first: how many, their expected revenue, sales team and stage."""
        self.ensure_one()
        self._check_opportunity_campaign()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_campaign.sales_segment_create_opportunities_action"
        )
        action["context"] = {"default_segment_id": self.id}
        return action

    def _check_opportunity_campaign(self):
        self.ensure_one()
        if not self.campaign_id:
            raise UserError(
                self.env._("Link segment %(segment)s to a campaign before creating opportunities.", segment=self.name)
            )

    def _opportunity_partners(self):
        """(the contacts of the lines that get an opportunity, those that already have an open one)."""
        self.ensure_one()
        partners = self.env["sales.segment.line"].search([("segment_id", "=", self.id)]).partner_id
        open_partners = self.env["res.partner"].browse(
            partner.id
            for [partner] in self.env["crm.lead"]._read_group(
                [
                    ("campaign_id", "=", self.campaign_id.utm_campaign_id.id),
                    ("partner_id", "in", partners.ids),
                    ("type", "=", "opportunity"),
                    ("stage_id.is_won", "=", False),
                ],
                ["partner_id"],
            )
        )
        return partners - open_partners, open_partners

    def _create_opportunities(self, expected_revenue=0.0, team=None, stage=None):
        """One opportunity per contact of the segment for its campaign, skipping contacts that have one open.

        Returns (the opportunities, the contacts skipped).
        """
        self.ensure_one()
        self._check_opportunity_campaign()
        partners, skipped = self._opportunity_partners()
        if not partners and not skipped:
            raise UserError(self.env._("Segment %(segment)s has no contacts.", segment=self.name))
        team = team or self.campaign_id.team_id
        user_of = {
            line.partner_id: line.user_id
            for line in self.env["sales.segment.line"].search_fetch(
                [("segment_id", "=", self.id), ("partner_id", "in", partners.ids)], ["partner_id", "user_id"]
            )
        }
        vals_list = [
            {
                "name": self.env._(
                    "%(campaign)s: %(contact)s", campaign=self.campaign_id.title, contact=partner.display_name
                ),
                "type": "opportunity",
                "partner_id": partner.id,
                "campaign_id": self.campaign_id.utm_campaign_id.id,
                "user_id": (user_of.get(partner) or self.campaign_id.user_id or self.env.user).id,
                "company_id": self.company_id.id,
                "expected_revenue": expected_revenue,
                **({"team_id": team.id} if team else {}),
                **({"stage_id": stage.id} if stage else {}),
            }
            for partner in partners
        ]
        return self.env["crm.lead"].create(vals_list), skipped

    def action_export_xlsx(self):
        """Export the lines of these segments to an Excel workbook (one sheet per segment)."""
        if not self:
            raise UserError(self.env._("Select the segments to export."))
        self.check_access("read")
        download = self._action_download("/sales_campaign/export/segments?ids=%s" % ",".join(map(str, self.ids)))
        # An Excel sheet holds 1,048,576 rows, its header included: say where the lines past them go.
        # Imported here, not with the models: the report's models load after these, as the module lists them.
        from ..report import sales_segment_xlsx_export as xlsx_export  # pylint: disable=import-outside-toplevel

        longer = self.filtered(lambda segment: segment.line_count > xlsx_export.SHEET_ROWS - 1)
        if not longer:
            return download
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Export in several sheets"),
                "message": self.env._(
                    "%(segments)s: more lines than an Excel sheet holds (%(rows)s): the lines go on in further "
                    "sheets, each with the header.",
                    segments=", ".join(longer.mapped("name")),
                    rows=formatLang(self.env, xlsx_export.SHEET_ROWS - 1, digits=0),
                ),
                "next": download,
            },
        }
