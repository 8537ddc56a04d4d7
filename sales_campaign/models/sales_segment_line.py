from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, clean_context
from odoo.tools.sql import create_index, drop_index

from .res_partner import CORRESPONDENCE_TYPES
from .sales_segment_language import lang_selection


class SalesSegmentLine(models.Model):
    """One contact of a segment, with the values its interaction will be logged with.

    Each line knows the step that added it (``added_step``) and, once taken out, the step that removed
    it (``removed_step``): removed lines are archived rather than deleted, so that Go back brings them
    back exactly as they were. Steps are numbers of the segment's history (Business Central's "Segment
    Action No."), not foreign keys, which keeps the set-wise inserts and updates of large segments light.
    For the same reason a line stores no audit columns (the step tells who and when) and reads its
    company and its contact's company through its segment and contact.
    """

    _name = "sales.segment.line"
    _inherit = ["sales.protected.mixin"]
    _description = "Segment Line"
    _order = "id"
    _log_access = False
    _rec_name = "partner_id"
    _check_company_auto = True

    # Indexed with the contact in init(): no index of its own.
    segment_id = fields.Many2one("sales.segment", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="segment_id.company_id", string="Segment Company")
    # Set by the steps only (which also keeps Archive and Unarchive out of the lists: lines are removed).
    active = fields.Boolean(default=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", required=True, index=True, ondelete="cascade")
    # The contact's details are read as the user: a contact hidden by a record rule shows none of them.
    company_partner_id = fields.Many2one(
        "res.partner",
        string="Company",
        compute="_compute_contact_details",
        search="_search_company_partner_id",
        help="The contact's company (the contact itself for companies).",
    )
    user_id = fields.Many2one("res.users", string="Salesperson")
    lang = fields.Selection(selection=lang_selection, string="Language")
    correspondence_type = fields.Selection(CORRESPONDENCE_TYPES)
    subject = fields.Char()
    template_id = fields.Many2one("sales.interaction.template", string="Interaction Template", check_company=True)
    campaign_id = fields.Many2one("sales.campaign", check_company=True, index="btree_not_null")
    campaign_target = fields.Boolean()
    campaign_response = fields.Boolean()
    added_step = fields.Integer(string="Added by Step", readonly=True)
    removed_step = fields.Integer(string="Removed by Step", readonly=True)

    email = fields.Char(string="E-mail", compute="_compute_contact_details", search="_search_email")
    phone = fields.Char(compute="_compute_contact_details", search="_search_phone")
    is_blacklisted = fields.Boolean(
        string="Blacklisted", compute="_compute_contact_details", search="_search_is_blacklisted"
    )
    in_other_campaign = fields.Boolean(
        string="Target of Another Campaign",
        compute="_compute_in_other_campaign",
        search="_search_in_other_campaign",
        help="The contact is already a target of another campaign that has not ended.",
    )
    segment_state = fields.Selection(related="segment_id.state", string="Segment Status")

    # ------------------------------------------------------------------------------------------------
    # The contact's details, as the user may see them
    # ------------------------------------------------------------------------------------------------

    @api.depends(
        "partner_id.commercial_partner_id", "partner_id.email", "partner_id.phone", "partner_id.is_blacklisted"
    )
    @api.depends_context("uid")
    def _compute_contact_details(self):
        visible = self.partner_id._filtered_access("read")
        for line in self:
            partner = line.partner_id if line.partner_id in visible else self.env["res.partner"]
            line.company_partner_id = partner.commercial_partner_id
            line.email = partner.email
            line.phone = partner.phone
            line.is_blacklisted = partner.is_blacklisted

    def _search_company_partner_id(self, operator, value):
        return [("partner_id.commercial_partner_id", operator, value)]

    def _search_email(self, operator, value):
        return [("partner_id.email", operator, value)]

    def _search_phone(self, operator, value):
        return [("partner_id.phone", operator, value)]

    def _search_is_blacklisted(self, operator, value):
        return [("partner_id.is_blacklisted", operator, value)]

    # ------------------------------------------------------------------------------------------------
    # Overlap with other campaigns
    # ------------------------------------------------------------------------------------------------

    def _other_campaign_targets_sql(self):
        """SQL: ids of lines whose contact is a target of another campaign of the segment's company (or shared
        by all companies) that has not ended (the campaign's targets as ``sales.campaign._targets_query``
        defines them, in other segments). Another company's campaigns are not the user's to know of."""
        return SQL(
            """SELECT line.id
                 FROM sales_segment_line AS line
                 JOIN sales_segment AS own ON own.id = line.segment_id
                 JOIN (%(targets)s) AS other
                   ON other.partner_id = line.partner_id AND other.segment_id IS DISTINCT FROM line.segment_id
                 JOIN sales_campaign AS campaign ON campaign.id = other.campaign_id
                 JOIN utm_campaign AS utm ON utm.id = campaign.utm_campaign_id AND utm.active
                  AND (utm.company_id IS NULL OR utm.company_id = own.company_id)
                 LEFT JOIN sales_campaign_status AS status ON status.id = campaign.status_id
                WHERE other.campaign_id IS DISTINCT FROM line.campaign_id
                  AND (campaign.date_end IS NULL OR campaign.date_end >= %(today)s)
                  AND NOT COALESCE(status.fold, FALSE)""",
            targets=self.env["sales.campaign"]._targets_query(),
            today=fields.Date.context_today(self),
        )

    def init(self):
        # Room in each page for the new row versions of Reduce, Refine and Go back (HOT updates).
        self.env.cr.execute("ALTER TABLE sales_segment_line SET (fillfactor = 80)")
        # The steps look the lines of a segment up by segment and contact. One index on both keeps those
        # lookups at one line per contact even while the statistics do not know a fresh segment yet; an
        # index on the segment alone then looks like a one-line lookup to the planner, and a nested loop
        # over it reads the whole segment once per contact. It serves every search by segment as well.
        create_index(self.env.cr, "sales_segment_line_segment_partner_index", self._table, ["segment_id", "partner_id"])
        drop_index(self.env.cr, "sales_segment_line__segment_id_index", self._table)

    def _compute_in_other_campaign(self):
        lines = self.filtered("id")
        found = set()
        if lines:
            self._flush_other_campaign_targets()
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM (%s) AS overlap WHERE id IN %s",
                    self._other_campaign_targets_sql(),
                    tuple(lines.ids),
                )
            )
            found = {row[0] for row in self.env.cr.fetchall()}
        for line in self:
            line.in_other_campaign = line.id in found

    def _flush_other_campaign_targets(self):
        """Flush the fields ``_other_campaign_targets_sql`` reads, and only those: keep the two in step."""
        for model, fnames in (
            ("sales.segment.line", ["active", "campaign_id", "campaign_target", "partner_id", "segment_id"]),
            ("sales.segment", ["company_id", "state"]),
            ("res.partner", ["commercial_partner_id"]),
            (
                "sales.interaction.log",
                ["campaign_id", "campaign_target", "cancelled", "company_partner_id", "partner_id", "segment_id"],
            ),
            ("sales.campaign", ["date_end", "status_id", "utm_campaign_id"]),
            ("utm.campaign", ["active", "company_id"]),
            ("sales.campaign.status", ["fold"]),
        ):
            self.env[model].flush_model(fnames)

    def _search_in_other_campaign(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("This filter only supports being true or false."))
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", SQL("(%s)", self._other_campaign_targets_sql()))]

    # ------------------------------------------------------------------------------------------------
    # Lines added and removed by hand are history steps
    # ------------------------------------------------------------------------------------------------

    # Columns the segment's steps manage: never set by a client (see sales.protected.mixin).
    _protected_fields = ("active", "added_step", "removed_step")

    @api.model_create_multi
    def create(self, vals_list):
        """Lines added by hand take the segment's defaults and become an undoable step.

        (The steps insert their lines set-wise in SQL.) A line may only name a contact its user may read:
        the line would show the contact's name and details.
        """
        segments = self.env["sales.segment"].browse(
            {vals.get("segment_id") for vals in vals_list if vals.get("segment_id")}
        )
        segments.check_access("write")
        segments._check_draft()
        self._check_partners_readable({vals.get("partner_id") for vals in vals_list if vals.get("partner_id")})
        lines = super().create(vals_list)
        for segment in lines.segment_id:
            segment_lines = lines.filtered(lambda line: line.segment_id == segment)
            segment_lines._apply_segment_defaults()
            segment._record_manual_step("manual_add", segment_lines.partner_id, segment_lines)
        return lines

    @api.model
    def _check_partners_readable(self, partner_ids):
        partners = self.env["res.partner"].browse(partner_ids).with_context(active_test=False)
        if partners and (len(partners.exists()) != len(partners) or not partners.has_access("read")):
            raise UserError(self.env._("A segment line can only be added for a contact you may see."))
        archived = partners.filtered(lambda partner: not partner.active)
        if archived:
            raise UserError(
                self.env._(
                    "%(contact)s is archived: archived contacts are not added to segments.",
                    contact=archived[0].display_name,
                )
            )

    def _apply_segment_defaults(self):
        """(Re)set these lines' values from their segment, by the rules of a new line."""
        for segment in self.segment_id:
            lines = self.filtered(lambda line: line.segment_id == segment)
            defaults = segment._sql_line_defaults(SQL("partner"))
            columns = [column for column in defaults if column != "partner_id"]
            self.flush_recordset()
            self.env.cr.execute(
                SQL(
                    """UPDATE sales_segment_line AS line SET %s
                         FROM res_partner AS partner WHERE partner.id = line.partner_id AND line.id IN %s""",
                    SQL(", ").join(SQL("%s = %s", SQL.identifier(column), defaults[column]) for column in columns),
                    tuple(lines.ids),
                )
            )
            lines.invalidate_recordset(columns)

    def write(self, vals):
        if "partner_id" in vals:
            raise UserError(
                self.env._("The contact of a segment line cannot change: add a line for the other contact.")
            )
        if "segment_id" in vals:
            raise UserError(self.env._("A segment line cannot move to another segment: add the contact there."))
        self.segment_id._check_draft()
        return super().write(vals)

    def _write_step_columns(self, vals):
        """Write the columns a step manages (``write`` refuses them to clients)."""
        # sudo: the steps run on a segment the user may write (``_lock_steps`` checked it)
        return self.sudo().with_context(clean_context(self.env.context)).write(vals)

    def action_remove(self):
        """Take these lines out of their segments (*Remove*): archived with a step of their own, so that Go Back
        brings them back as they were. Deleting a line (``unlink``) removes it for good, without history."""
        self.check_access("write")
        removed = 0
        for segment in self.segment_id:
            segment._check_draft()
            lines = self.filtered(lambda line, segment=segment: line.segment_id == segment and line.active)
            if lines:
                step = segment._record_manual_step("manual_remove", lines.partner_id, lines)
                lines._write_step_columns({"active": False, "removed_step": step.sequence})
                removed += len(lines)
        self.segment_id._lines_changed()
        segments = self.segment_id
        if len(segments) == 1:
            message = self.env._(
                "Lines removed from segment %(segment)s: %(count)s. Go Back brings them back.",
                segment=segments.display_name,
                count=removed,
            )
        else:
            message = self.env._("Lines removed: %(count)s. Go Back brings them back.", count=removed)
        return self.env["sales.action.mixin"]._notify(message, {"removed": removed})

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        """The lines of a logged segment are what was logged: they stay."""
        self.segment_id._check_draft()
