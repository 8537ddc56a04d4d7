import ast
import datetime
import math
import time
from types import SimpleNamespace

import pytz
from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .res_partner import CORRESPONDENCE_TYPES
from .sales_interaction_template import INFORMATION_FLOWS, INITIATORS

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
# Criteria keys that are filter groups on contacts, with the model each refers to.
FILTER_GROUPS = {
    "job_responsibility_ids": "sales.job.responsibility",
    "business_relation_ids": "sales.business.relation",
    "industry_ids": "res.partner.industry",
    "mailing_group_ids": "sales.mailing.group",
    "partner_ids": "res.partner",
    # Interaction history: contacts with a logged interaction of these templates, campaigns, logged segments
    "interaction_template_ids": "sales.interaction.template",
    "interaction_campaign_ids": "sales.campaign",
    "logged_segment_ids": "sales.logged.segment",
}
INTERACTION_GROUPS = ("interaction_template_ids", "interaction_campaign_ids", "logged_segment_ids")
ADD_OPTIONS = (
    "allow_existing_contacts",
    "expand_contact_companies",
    "allow_related_companies",
    "ignore_exclusion",
    "exclude_blacklisted",
)
REMOVE_OPTIONS = ("entire_companies",)
# Bounds of a step's filters, so that no filter holds a worker for long (segments of 100,000 lines are normal).
MAX_FILTER_IDS = 200_000  # records one filter group names
MAX_DOMAIN_LENGTH = 100_000  # characters of the contact filter
MAX_DOMAIN_VALUES = 10_000  # values of one condition of the contact filter
MAX_RECORD_ID = 2**31 - 1
# What the contact filter may contain besides literals, lists, tuples, + and -: the names, attributes and calls
# of the expressions Odoo's domain editor writes (uid, "today", "N days ago" on dates and datetimes).
DOMAIN_NAMES = {"uid", "context_today", "datetime", "relativedelta", "time"}
DOMAIN_ATTRIBUTES = {"datetime", "date", "time", "timedelta", "combine", "now", "today", "strftime", "to_utc"}
DOMAIN_OPERATORS = ("&", "|", "!")
# Database errors a filter's values cause (a number out of range, an impossible date, a value of the wrong
# type): the user's filter is wrong, not the server.
FILTER_VALUE_ERRORS = (pg_errors.DataError, pg_errors.UndefinedFunction, pg_errors.DatatypeMismatch)
# How many contacts an error message names before "and N more".
LISTED_CONTACTS = 10


class SalesSegment(models.Model):
    """A target segment: the contacts one interaction goes to, mined step by step.

    Lines are added and removed set-wise in SQL (segments of 100,000 contacts are normal). A removed line
    is archived with the step that removed it, and each line remembers the step that added it, so that
    **Go back** restores a step exactly (lines come back with their manual edits) with two statements.
    """

    _name = "sales.segment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
        string="Campaign",
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
    language_ids = fields.One2many("sales.segment.language", "segment_id", string="Languages", copy=True)
    lang_default = fields.Selection(
        selection="_get_languages",
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
    information_flow = fields.Selection(
        INFORMATION_FLOWS, compute="_compute_from_template", store=True, readonly=False
    )
    initiated_by = fields.Selection(INITIATORS, compute="_compute_from_template", store=True, readonly=False)
    currency_id = fields.Many2one(related="company_id.currency_id")
    unit_cost = fields.Monetary(compute="_compute_from_template", store=True, readonly=False)
    unit_duration = fields.Float(
        string="Unit Duration (Min.)", digits=(16, 2), compute="_compute_from_template", store=True, readonly=False
    )

    # Lines and history
    line_ids = fields.One2many("sales.segment.line", "segment_id", string="Lines")
    line_count = fields.Integer(string="No. of Lines", compute="_compute_line_count", store=True)
    history_ids = fields.One2many("sales.segment.history", "segment_id", string="History")
    history_count = fields.Integer(string="No. of Steps", compute="_compute_history_count")
    pending_line_update = fields.Json(
        copy=False,
        help="Header values changed since the lines were last brought in line: {field: value before}.",
    )
    pending_line_update_text = fields.Text(compute="_compute_pending_line_update_text")
    logged_segment_ids = fields.One2many("sales.logged.segment", "segment_id", string="Logged Segments")
    logged_segment_id = fields.Many2one(
        "sales.logged.segment", string="Logged Segment", compute="_compute_logged_segment_id"
    )

    _sql_constraints = [
        ("name_unique", "UNIQUE(name)", "This segment number is already used."),
        ("unit_cost_positive", "CHECK(unit_cost >= 0)", "The unit cost may not be negative."),
        ("unit_duration_positive", "CHECK(unit_duration >= 0)", "The unit duration may not be negative."),
    ]

    # ------------------------------------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _get_languages(self):
        return self.env["res.lang"].get_installed()

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
    def _compute_campaign_id(self):
        """A template's campaign is taken when the segment has none; it never replaces a chosen campaign."""
        for segment in self:
            if segment.template_id.campaign_id and not segment.campaign_id:
                segment.campaign_id = segment.template_id.campaign_id

    @api.depends("campaign_id", "template_id")
    def _compute_campaign_flags(self):
        for segment in self:
            if not segment.campaign_id:
                segment.campaign_target = segment.campaign_response = False
            elif segment.template_id.campaign_id == segment.campaign_id:
                segment.campaign_target = segment.template_id.campaign_target
                segment.campaign_response = segment.template_id.campaign_response

    @api.depends("line_ids")
    def _compute_line_count(self):
        counts = dict(self.env["sales.segment.line"]._read_group([("segment_id", "in", self.ids)], ["segment_id"], ["__count"]))
        for segment in self:
            segment.line_count = counts.get(segment, 0)

    @api.depends("logged_segment_ids")
    def _compute_logged_segment_id(self):
        for segment in self:
            segment.logged_segment_id = segment.logged_segment_ids[:1]

    def _compute_history_count(self):
        counts = dict(self.env["sales.segment.history"]._read_group([("segment_id", "in", self.ids)], ["segment_id"], ["__count"]))
        for segment in self:
            segment.history_count = counts.get(segment, 0)

    @api.depends("lang_default", "language_ids.lang", "language_ids.subject")
    def _compute_subject_default(self):
        for segment in self:
            segment.subject_default = segment.language_ids.filtered(lambda row: row.lang == segment.lang_default)[:1].subject

    def _inverse_subject_default(self):
        for segment in self:
            row = segment.language_ids.filtered(lambda row: row.lang == segment.lang_default)[:1]
            if row:
                row.subject = segment.subject_default
            elif segment.lang_default:
                segment.language_ids = [(0, 0, {"lang": segment.lang_default, "subject": segment.subject_default})]
            elif segment.subject_default:
                raise UserError(self.env._("Choose the default language before its subject."))

    @api.depends("pending_line_update")
    def _compute_pending_line_update_text(self):
        for segment in self:
            changed = segment.pending_line_update or {}
            labels = [self._fields[fname]._description_string(self.env) for fname in changed if fname in self._fields]
            segment.pending_line_update_text = ", ".join(labels)

    @api.constrains("campaign_target", "campaign_response", "campaign_id")
    def _check_campaign_flags(self):
        for segment in self:
            if (segment.campaign_target or segment.campaign_response) and not segment.campaign_id:
                raise ValidationError(
                    self.env._("Segment %(segment)s needs a campaign to be a campaign target or response.", segment=segment.name)
                )

    # ------------------------------------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        for vals in vals_list:
            if vals.get("state", "draft") != "draft":
                raise UserError(self.env._("A segment becomes logged by logging it."))
            if not vals.get("name") or vals["name"] == new_label:
                vals["name"] = self.env["ir.sequence"].next_by_code("sales.segment") or new_label
        segments = super().create(vals_list)
        for segment, vals in zip(segments, vals_list):
            if vals.get("template_id") and "language_ids" not in vals:
                segment._copy_template_languages()
            segment._ensure_default_language()
        return segments

    def write(self, vals):
        if "state" in vals:
            raise UserError(self.env._("A segment becomes logged by logging it, not by changing its status."))
        # The chatter keeps working on logged segments: posting a message with files may set the main attachment.
        if any(segment.state != "draft" for segment in self) and set(vals) - {"message_main_attachment_id"}:
            raise UserError(self.env._("A logged segment can no longer be changed."))
        # Values the lines were defaulted from, to offer the change to the lines afterwards.
        tracked = LINE_DEFAULT_FIELDS if set(vals) & set(LINE_DEFAULT_FIELDS) else ()
        before = {segment.id: {fname: segment._line_default_value(fname) for fname in tracked} for segment in self}
        result = super().write(vals)
        if "template_id" in vals:
            for segment in self:
                segment._copy_template_languages()
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
        super().write({"state": "logged", "pending_line_update": False})

    def _line_default_value(self, fname):
        value = self[fname]
        return value._origin.id if isinstance(value, models.BaseModel) else value

    @api.onchange(*LINE_DEFAULT_FIELDS)
    def _onchange_line_defaults(self):
        """Offer to update the lines as soon as a default changes in the form, not only once it is saved."""
        origin = self._origin
        if not origin or self.state != "draft" or not origin.line_count:
            return
        pending = dict(origin.pending_line_update or {})
        for fname in LINE_DEFAULT_FIELDS:
            old = origin._line_default_value(fname)
            if self._line_default_value(fname) != old:
                pending.setdefault(fname, old)
            elif fname in pending and pending[fname] == old:
                del pending[fname]  # changed back before saving
        self.pending_line_update = pending or False

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            vals.pop("line_ids", None)
        return vals_list

    @api.ondelete(at_uninstall=False)
    def _unlink_except_logged(self):
        if any(segment.state == "logged" for segment in self):
            raise UserError(self.env._("A logged segment cannot be deleted: cancel its logged segment instead."))

    def _copy_template_languages(self):
        """Rebuild the segment's languages from its template's (subjects and attachments)."""
        self.ensure_one()
        commands = [(5, 0, 0)] + [
            (0, 0, {"lang": row.lang, "subject": row.subject, "attachment_ids": [(6, 0, row.attachment_ids.ids)]})
            for row in self.template_id.language_ids
        ]
        super(SalesSegment, self).write({"language_ids": commands})

    def _ensure_default_language(self):
        """The default language must be one of the segment's languages: add it when it is not."""
        for segment in self:
            if segment.lang_default and segment.lang_default not in segment.language_ids.mapped("lang"):
                segment.language_ids = [(0, 0, {"lang": segment.lang_default})]

    # ------------------------------------------------------------------------------------------------
    # Header defaults -> lines ("update the lines?")
    # ------------------------------------------------------------------------------------------------

    def _note_line_defaults_change(self, before):
        """Remember which defaults changed, with their old values, until the user applies or keeps them."""
        if self.env.context.get("sales_segment_update_lines"):
            for segment in self:
                changed = {fname: old for fname, old in before[segment.id].items() if segment._line_default_value(fname) != old}
                if changed:
                    segment._apply_line_defaults(changed)
            return
        for segment in self:
            if not segment.line_count:
                continue
            pending = dict(segment.pending_line_update or {})
            for fname, old in before[segment.id].items():
                if fname not in pending and segment._line_default_value(fname) != old:
                    pending[fname] = old
            if pending != (segment.pending_line_update or {}):
                super(SalesSegment, segment).write({"pending_line_update": pending or False})

    def action_apply_line_defaults(self):
        """Bring the lines in line with the header defaults that changed (the user confirmed)."""
        self.check_access("write")
        for segment in self:
            segment._check_draft()
            if segment.pending_line_update:
                segment._apply_line_defaults(segment.pending_line_update)
                super(SalesSegment, segment).write({"pending_line_update": False})
        return True

    def action_keep_lines(self):
        """Keep the lines as they are (the user declined the update)."""
        self._check_draft()
        super().write({"pending_line_update": False})
        return True

    def _apply_line_defaults(self, changed):
        """Write the header's new values to the lines, as Business Central does.

        A new template goes to every line (with its language and subject). Other values go to the lines
        that use the header's template, so lines given another template by hand keep theirs.
        """
        self.ensure_one()
        Line = self.env["sales.segment.line"]
        Line.flush_model()
        old_template = changed.get("template_id", self.template_id.id)
        if "template_id" in changed:
            where = SQL("TRUE")
        elif old_template:
            where = SQL("line.template_id = %s", old_template)
        else:
            where = SQL("line.template_id IS NULL")
        defaults = self._sql_line_defaults(SQL("partner"))
        columns = []
        if "template_id" in changed or "lang_default" in changed:
            columns += ["template_id", "lang", "subject"]
        if {"campaign_id", "campaign_target", "campaign_response"} & set(changed):
            columns += ["campaign_id", "campaign_target", "campaign_response"]
        if "user_id" in changed:
            columns += ["user_id"]
        if {"correspondence_type", "ignore_contact_correspondence_type", "template_id"} & set(changed):
            columns += ["correspondence_type"]
        if not columns:
            return 0
        self.env.cr.execute(
            SQL(
                """UPDATE sales_segment_line AS line SET %(assignments)s
                     FROM res_partner AS partner
                    WHERE partner.id = line.partner_id AND line.segment_id = %(segment)s AND line.active AND %(where)s""",
                assignments=SQL(", ").join(SQL("%s = %s", SQL.identifier(column), defaults[column]) for column in columns),
                segment=self.id,
                where=where,
            )
        )
        count = self.env.cr.rowcount
        Line.invalidate_model(columns)
        return count

    def _apply_subject_change(self, lang, old_subject, new_subject):
        """A language's subject changed: lines of that language that kept the old subject take the new one."""
        self.ensure_one()
        self.env["sales.segment.line"].flush_model(["subject", "lang", "template_id"])
        self.env.cr.execute(
            SQL(
                """UPDATE sales_segment_line SET subject = %s
                    WHERE segment_id = %s AND active AND lang = %s AND subject IS NOT DISTINCT FROM %s
                      AND template_id IS NOT DISTINCT FROM %s""",
                new_subject or None,
                self.id,
                lang,
                old_subject or None,
                self.template_id.id or None,
            )
        )
        self.env["sales.segment.line"].invalidate_model(["subject"])

    def _sql_line_defaults(self, partner):
        """The values of a new line for the contact at SQL alias ``partner``: {column: SQL expression}.

        The one definition of a line's defaults (Business Central's rules of "Segment Line" validation):
        used by the set-wise insert of steps and by lines added or re-defaulted one by one.
        """
        self.ensure_one()
        langs = {row.lang: row.subject for row in self.language_ids}
        if langs:
            lang = SQL(
                "(CASE WHEN %(partner)s.lang IN %(langs)s THEN %(partner)s.lang ELSE %(default)s END)",
                partner=partner,
                langs=tuple(langs),
                default=self.lang_default or None,
            )
            subject = SQL(
                "(CASE %s %s END)",
                lang,
                SQL(" ").join(SQL("WHEN %s THEN %s", code, subj or None) for code, subj in langs.items()),
            )
        else:
            lang = SQL("%s.lang", partner)
            subject = SQL("NULL::varchar")
        default_type = self.correspondence_type or None
        if self.ignore_contact_correspondence_type and default_type:
            correspondence = SQL("%s::varchar", default_type)
        else:
            correspondence = SQL("COALESCE(%s.correspondence_type, %s)", partner, default_type)
        return {
            "partner_id": SQL("%s.id", partner),
            "user_id": SQL("COALESCE(%s, %s.user_id)", self.user_id.id or None, partner),
            "lang": lang,
            "subject": subject,
            "correspondence_type": correspondence,
            "template_id": SQL("%s::integer", self.template_id.id or None),
            "campaign_id": SQL("%s::integer", self.campaign_id.id or None),
            "campaign_target": SQL("%s", bool(self.campaign_target)),
            "campaign_response": SQL("%s", bool(self.campaign_response)),
        }

    # ------------------------------------------------------------------------------------------------
    # Criteria: which contacts a step matches
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _segment_base_domain(self):
        """The contacts a segment may hold: persons and companies, not addresses, colleagues or ourselves."""
        # sudo: only the ids of the companies' own partners are read, to leave them out.
        own_partners = self.env["res.company"].sudo().search([]).partner_id
        return [("type", "=", "contact"), ("partner_share", "=", True), ("id", "not in", own_partners.ids)]

    @api.model
    def _criteria_has_filters(self, criteria):
        return bool(
            any(criteria.get(key) for key in FILTER_GROUPS)
            or self._criteria_partner_domain(criteria)
        )

    @api.model
    def _check_criteria(self, action, criteria):
        """The criteria of a step, checked: returns a clean copy, or raises a ``UserError`` that says what is wrong.

        Criteria come from the wizard but also from saved criteria and history steps, which users can edit:
        each filter group must be a list of record ids, the options a dict of the step's own options with
        true or false, and the contact filter a text of bounded length that passes ``_criteria_partner_domain``.
        """
        if not isinstance(criteria, dict):
            raise UserError(self.env._("These criteria are not valid: %(criteria)s", criteria=str(criteria)[:200]))
        known_options = ADD_OPTIONS if action == "add" else REMOVE_OPTIONS
        # Filter groups of other modules (see _extra_criteria_labels) are theirs to check.
        extra_keys = set(self.env["sales.segment.history"]._extra_criteria_labels())
        clean = {}
        for key, value in criteria.items():
            if key in FILTER_GROUPS:
                if not value:
                    continue
                if not isinstance(value, list) or not all(
                    type(rid) is int and 0 < rid <= MAX_RECORD_ID for rid in value  # noqa: E721 (no bool)
                ):
                    raise UserError(
                        self.env._("The filter %(filter)s must be a list of records.", filter=self._criteria_label(key))
                    )
                if len(value) > MAX_FILTER_IDS:
                    raise UserError(
                        self.env._(
                            "The filter %(filter)s names %(count)s records; at most %(max)s are allowed.",
                            filter=self._criteria_label(key),
                            count=len(value),
                            max=MAX_FILTER_IDS,
                        )
                    )
                clean[key] = list(value)
            elif key == "partner_domain":
                if value in (None, False, ""):
                    continue
                if not isinstance(value, str):
                    raise UserError(self.env._("The contact filter must be a text."))
                clean[key] = value
            elif key == "options":
                if not value:
                    continue
                if not isinstance(value, dict):
                    raise UserError(self.env._("The options of a step must be a list of options and values."))
                for option, flag in value.items():
                    if option not in known_options:
                        raise UserError(
                            self.env._("%(option)s is not an option of this step.", option=str(option)[:100])
                        )
                    if not isinstance(flag, bool):
                        raise UserError(
                            self.env._("Option %(option)s must be true or false.", option=option)
                        )
                clean[key] = {option: True for option, flag in value.items() if flag}
            elif key in extra_keys:
                clean[key] = value
            else:
                raise UserError(self.env._("%(filter)s is not a filter of a segment step.", filter=str(key)[:100]))
        self._criteria_partner_domain(clean)  # a contact filter that cannot be used is refused now
        return clean

    @api.model
    def _criteria_label(self, key):
        field = self.env["sales.segment.contacts.wizard"]._fields.get(key)
        return field._description_string(self.env) if field else key

    @api.model
    def _criteria_partner_domain(self, criteria):
        """The contact filter of ``criteria`` as a domain on contacts, or a ``UserError`` that says what is wrong.

        The text is parsed, not trusted: only literals, lists, tuples, ``+`` and ``-`` and the names, attributes
        and calls of the expressions Odoo's domain editor writes (``uid``, ``context_today()``, ``datetime``,
        ``relativedelta``, ``time.strftime``) are allowed, then evaluated; the result must be a domain whose
        values are plain values, at most ``MAX_DOMAIN_VALUES`` per condition.
        """
        text = criteria.get("partner_domain") or ""
        if not isinstance(text, str):
            raise UserError(self.env._("The contact filter must be a text."))
        text = text.strip()
        if not text or text == "[]":
            return []
        if len(text) > MAX_DOMAIN_LENGTH:
            raise UserError(
                self.env._(
                    "The contact filter is %(length)s characters long; at most %(max)s are allowed.",
                    length=len(text),
                    max=MAX_DOMAIN_LENGTH,
                )
            )
        try:
            tree = ast.parse(text, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            raise UserError(self.env._("The contact filter is not a valid filter: %(error)s", error=error)) from error
        forbidden = _forbidden_domain_node(tree)
        if forbidden is not None:
            part = ast.get_source_segment(text, forbidden) or type(forbidden).__name__
            if len(part) > 60:
                part = part[:57] + "..."
            raise UserError(self.env._("The contact filter may not contain %(part)s.", part=part))
        try:
            domain = safe_eval(text, self._criteria_eval_context())
        except Exception as error:  # noqa: BLE001 - any failure of the user's expression is the user's to fix
            raise UserError(self.env._("The contact filter is not a valid filter: %(error)s", error=error)) from error
        if not isinstance(domain, (list, tuple)):
            raise UserError(self.env._("The contact filter is not a valid filter."))
        for element in domain:
            if isinstance(element, str) and element in DOMAIN_OPERATORS:
                continue
            if not isinstance(element, (list, tuple)) or len(element) != 3:
                raise UserError(
                    self.env._(
                        "The contact filter holds something that is not a condition: %(element)s",
                        element=str(element)[:100],
                    )
                )
            path, operator, value = element
            if not (isinstance(path, str) or path in (0, 1)) or not isinstance(operator, str):
                raise UserError(
                    self.env._("The contact filter holds an invalid condition: %(element)s", element=str(element)[:100])
                )
            values = value if isinstance(value, (list, tuple)) else [value]
            if len(values) > MAX_DOMAIN_VALUES:
                raise UserError(
                    self.env._(
                        "A condition of the contact filter on %(field)s holds %(count)s values; "
                        "at most %(max)s are allowed.",
                        field=path,
                        count=len(values),
                        max=MAX_DOMAIN_VALUES,
                    )
                )
            for item in values:
                if not _is_plain_domain_value(item):
                    raise UserError(
                        self.env._(
                            "A condition of the contact filter on %(field)s holds a value that is not a plain value: "
                            "%(value)s",
                            field=path,
                            value=str(item)[:100],
                        )
                    )
        return list(domain)

    @api.model
    def _criteria_eval_context(self):
        """What the contact filter's expressions may use, server side, as the web client evaluates them."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        today = fields.Date.context_today(self)

        class LocalDatetime(datetime.datetime):
            """A datetime of the user's time zone; ``to_utc()`` as in the web client's expressions."""

            def to_utc(self):
                local = self if self.tzinfo else tz.localize(self)
                return local.astimezone(pytz.utc).replace(tzinfo=None)

        return {
            "uid": self.env.uid,
            "context_today": lambda: today,
            "datetime": SimpleNamespace(
                datetime=LocalDatetime, date=datetime.date, time=datetime.time, timedelta=datetime.timedelta
            ),
            "relativedelta": relativedelta,
            "time": SimpleNamespace(strftime=time.strftime),
        }

    @api.model
    def _criteria_domain(self, criteria):
        """The contact domain of a step's filter groups: every group that is set must match."""
        domain = self._criteria_partner_domain(criteria)
        if criteria.get("job_responsibility_ids"):
            domain.append(("job_responsibility_ids", "in", criteria["job_responsibility_ids"]))
        if criteria.get("business_relation_ids"):
            # Persons carry their company's business relations (a commercial field).
            domain.append(("business_relation_ids", "in", criteria["business_relation_ids"]))
        if criteria.get("industry_ids"):
            domain.append(("industry_id", "in", criteria["industry_ids"]))
        if criteria.get("mailing_group_ids"):
            domain.append(("mailing_group_ids", "in", criteria["mailing_group_ids"]))
        if criteria.get("partner_ids"):
            domain.append(("id", "in", criteria["partner_ids"]))
        if any(criteria.get(key) for key in INTERACTION_GROUPS):
            domain.append(("id", "in", self._interaction_history_query(criteria)))
        return domain

    @api.model
    def _interaction_history_query(self, criteria):
        """SQL: the contacts with a logged interaction matching the interaction history filters.

        Cancelled interactions count only when a logged segment is named (Reuse Log takes a logged
        segment's contacts as they were logged).
        """
        conditions = []
        if criteria.get("interaction_template_ids"):
            conditions.append(SQL("entry.template_id IN %s", tuple(criteria["interaction_template_ids"])))
        if criteria.get("interaction_campaign_ids"):
            conditions.append(SQL("entry.campaign_id IN %s", tuple(criteria["interaction_campaign_ids"])))
        if criteria.get("logged_segment_ids"):
            conditions.append(SQL("entry.logged_segment_id IN %s", tuple(criteria["logged_segment_ids"])))
        else:
            conditions.append(SQL("entry.cancelled IS NOT TRUE"))
        # Only the interactions of the companies the user works in.
        conditions.append(SQL("entry.company_id IN %s", tuple(self.env.companies.ids)))
        self.env["sales.interaction.log"].flush_model()
        return SQL("(SELECT entry.partner_id FROM sales_interaction_log AS entry WHERE %s)", SQL(" AND ").join(conditions))

    def _criteria_query(self, criteria, extra_domain=()):
        """The contacts matching ``criteria`` that the current user may read, as a ``Query`` on ``res_partner``."""
        Partner = self.env["res.partner"]
        try:
            return Partner._search(self._segment_base_domain() + list(extra_domain) + self._criteria_domain(criteria))
        except (ValueError, KeyError, TypeError) as error:
            raise UserError(self.env._("The contact filter cannot be used: %(error)s", error=error)) from error

    def _criteria_matched_query(self, criteria, extra_domain=()):
        """The contacts matching ``criteria`` that the current user may read: a parenthesized subquery of ids."""
        return self._criteria_query(criteria, extra_domain).subselect()

    def _check_criteria_access(self, criteria):
        """A step may only name records its user may see (another company's campaign, say, is refused)."""
        hidden = []
        for key, model in FILTER_GROUPS.items():
            ids = set(criteria.get(key) or [])
            if ids:
                visible = self.env[model].with_context(active_test=False).search([("id", "in", list(ids))])
                if len(visible) != len(ids):
                    hidden.append(self.env[model]._description)
        if hidden:
            raise UserError(
                self.env._(
                    "The filters name records that do not exist or that you may not see (%(models)s): "
                    "choose them again from the lists.",
                    models=", ".join(hidden),
                )
            )

    def _check_criteria_references(self, criteria):
        """Records a criteria refers to must still exist and be readable by the user (saved criteria outlive
        what they name, and may have been saved by a colleague with other rights)."""
        missing = []
        for key, model in FILTER_GROUPS.items():
            ids = criteria.get(key) or []
            if ids:
                found = set(self.env[model].with_context(active_test=False).search([("id", "in", list(ids))]).ids)
                missing += [f"{self.env[model]._description} #{rid}" for rid in ids if rid not in found]
        return missing

    # ------------------------------------------------------------------------------------------------
    # Steps: add, reduce, refine, manual changes, go back
    # ------------------------------------------------------------------------------------------------

    def _check_draft(self):
        for segment in self:
            if segment.state != "draft":
                raise UserError(self.env._("Segment %(segment)s is logged: its lines can no longer change.", segment=segment.name))

    def _lock_steps(self):
        """Take the segment for the step about to run, so that the steps of one segment run one after the other.

        The segment's row is really updated, not only locked. Under REPEATABLE READ (Odoo's isolation), a
        second step that reaches this UPDATE while a first one holds the row waits for it and, once the first
        commits, fails with a serialization error; so does a step whose snapshot is older than a step
        committed since. Odoo's RPC layer retries such a request with a fresh snapshot, which sees the first
        step's result. A bare ``SELECT ... FOR UPDATE`` would not do: after the wait, the second step would
        go on with its old snapshot and undo or repeat what it cannot see. Every step (add, reduce, refine,
        go back, lines added or removed by hand, reused criteria or log) starts here; the state is read under
        the lock, so that a segment logged meanwhile is refused.
        """
        self.ensure_one()
        self.check_access("write")
        self.env.cr.execute(
            SQL(
                """UPDATE sales_segment SET write_date = (now() AT TIME ZONE 'UTC'), write_uid = %s
                    WHERE id = %s RETURNING state""",
                self.env.uid,
                self.id,
            ),
            log_exceptions=False,  # a serialization failure here is expected, and retried: not a "bad query"
        )
        [state] = self.env.cr.fetchone()
        self.invalidate_recordset(["write_date", "write_uid"])
        if state != "draft":
            raise UserError(
                self.env._("Segment %(segment)s is logged: its lines can no longer change.", segment=self.name)
            )

    def _new_step(self, action, criteria, sequence=None, **counts):
        """A new history step, numbered after the last one (under the lock of ``_lock_steps``)."""
        self.ensure_one()
        History = self.env["sales.segment.history"]
        return History._create_step(
            {
                "segment_id": self.id,
                "sequence": sequence or self._next_step_number(),
                "action": action,
                "criteria": criteria,
                "description": History._describe_criteria(action, criteria),
                **counts,
            }
        )

    def _next_step_number(self):
        """The number of the segment's next step; unique as long as it is taken under ``_lock_steps``."""
        self.ensure_one()
        self.env["sales.segment.history"].flush_model(["segment_id", "sequence"])
        self.env.cr.execute(
            SQL("SELECT COALESCE(max(sequence), 0) + 1 FROM sales_segment_history WHERE segment_id = %s", self.id)
        )
        return self.env.cr.fetchone()[0]

    def _run_step(self, action, criteria):
        """Run one step (``add``, ``reduce``, ``refine``) with ``criteria``; returns the history step."""
        self.ensure_one()
        if action not in ("add", "reduce", "refine"):
            raise UserError(self.env._("Unknown segment step %(action)s.", action=action))
        criteria = self._check_criteria(action, criteria)
        self._check_criteria_access(criteria)
        self._lock_steps()
        if action == "add":
            return self._step_add(criteria)
        return self._step_remove(criteria, refine=action == "refine")

    def _preview_step(self, action, criteria):
        """How many lines the step would add (``add``) or remove (``reduce``, ``refine``) right now.

        It counts the rows of the very condition the step runs (``_step_condition``): exclusions, existing
        lines, expanded companies and the segment's own lines are the step's.
        """
        self.ensure_one()
        if action not in ("add", "reduce", "refine"):
            raise UserError(self.env._("Unknown segment step %(action)s.", action=action))
        criteria = self._check_criteria(action, criteria)
        rows = SQL("res_partner AS partner") if action == "add" else SQL("sales_segment_line AS line")
        [[count]] = self._execute_filter_sql(
            SQL("SELECT count(*) FROM %s WHERE %s", rows, self._step_condition(action, criteria)), fetch=True
        )
        return count

    def _step_condition(self, action, criteria):
        """The SQL condition of the rows a step acts on: the one definition shared by the step and its preview.

        Add: the contacts to add, one line each (alias ``partner`` on ``res_partner``), in Business Central's
        order: match, expand to whole companies, add the companies, drop excluded, blacklisted and existing
        contacts. Reduce and Refine: the segment's active lines to remove (alias ``line``).

        Plans that stay linear (issue 12): the statistics of the lines table do not know a fresh segment and
        expect a single line for it, so the planner happily puts the segment's lines on the inner side of a
        nested loop (rescanned, or materialized, once per contact), which is quadratic. The segment's lines
        are therefore never joined: each line, or each candidate contact, is checked on its own by a
        correlated ``EXISTS`` that ``OFFSET 0`` keeps from being turned into a join, through indexes (the
        contact by id, its company's contacts, the line of one contact in the segment by the (segment,
        contact) index). The cost is one lookup per line or candidate, whatever the statistics say.
        """
        options = criteria.get("options") or {}
        self.env["sales.segment.line"].flush_model()
        self.env["res.partner"].flush_model()
        if action == "add":
            return self._add_condition(criteria, options)
        return self._remove_condition(criteria, options, refine=action == "refine")

    @staticmethod
    def _exists_each(query):
        """``EXISTS`` of a correlated ``Query``, evaluated row by row (``OFFSET 0``: never a join)."""
        return SQL("EXISTS (SELECT 1 FROM %s WHERE %s OFFSET 0)", query.from_clause, query.where_clause)

    def _add_condition(self, criteria, options):
        matched = self._criteria_matched_query(criteria)
        expanded = matched
        if options.get("expand_contact_companies"):
            # Business Central: every matched contact brings its company and all the company's persons; a
            # company is its own company, so a matched company brings its persons too.
            expanded = SQL(
                """(SELECT id FROM res_partner WHERE commercial_partner_id IN (
                       SELECT commercial_partner_id FROM res_partner WHERE id IN %s))""",
                matched,
            )
        if options.get("allow_related_companies"):
            expanded = SQL("(SELECT commercial_partner_id FROM res_partner WHERE id IN %s UNION %s)", expanded, expanded)
        extra = [("id", "in", expanded)] if expanded is not matched else []
        if not options.get("ignore_exclusion"):
            extra.append(("exclude_from_segments", "=", False))
        if options.get("exclude_blacklisted"):
            extra.append(("is_blacklisted", "=", False))
        # Expanded contacts pass the base domain and the record rules again.
        query = self._criteria_query(criteria if expanded is matched else {}, extra)
        if not options.get("allow_existing_contacts"):
            query.add_where(
                SQL(
                    """NOT EXISTS (SELECT 1 FROM sales_segment_line AS existing
                                    WHERE existing.segment_id = %s AND existing.partner_id = %s AND existing.active
                                   OFFSET 0)""",
                    self.id,
                    SQL.identifier(query.table, "id"),
                )
            )
        return SQL("partner.id IN %s", query.subselect())

    def _remove_condition(self, criteria, options, refine):
        """Reduce removes the lines whose contact matches; Refine those whose contact does not.

        With *entire companies*, a contact matches when any contact of its company matches (the candidates
        are all contacts of the companies in the segment, and a match counts for the whole company).
        """
        query = self._criteria_query(criteria)
        if options.get("entire_companies"):
            company = SQL.identifier(query.table, "commercial_partner_id")
            query.add_where(SQL("%s = line_partner.commercial_partner_id", company))
            match = SQL(
                """EXISTS (SELECT 1 FROM res_partner AS line_partner
                            WHERE line_partner.id = line.partner_id AND %s OFFSET 0)""",
                self._exists_each(query),
            )
        else:
            query.add_where(SQL("%s = line.partner_id", SQL.identifier(query.table, "id")))
            match = self._exists_each(query)
        return SQL(
            "line.segment_id = %s AND line.active AND %s",
            self.id,
            SQL("NOT %s", match) if refine else match,
        )

    def _execute_filter_sql(self, query, fetch=False):
        """Run a query built from a step's filters, in a savepoint: a value the database refuses (a number out
        of range, an impossible date) is the user's error to fix. Returns the rows (``fetch``) or their count.
        """
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                return self.env.cr.fetchall() if fetch else self.env.cr.rowcount
        except FILTER_VALUE_ERRORS as error:
            raise UserError(
                self.env._(
                    "The filter cannot be used: %(error)s. Correct the values of the contact filter.",
                    error=error.diag.message_primary or str(error).strip(),
                )
            ) from error

    def _step_add(self, criteria, action="add"):
        """Add the matching contacts in one INSERT ... SELECT (Business Central's Add Contacts order).

        Match → expand to whole companies → add the companies → drop excluded, blacklisted and existing
        contacts → insert sorted by company, then company before persons, then name. The step is recorded
        once the lines are in, so that a filter the database refuses leaves no step behind.
        """
        sequence = self._next_step_number()
        added = self._insert_lines(self._step_condition("add", criteria), sequence)
        return self._new_step(action, criteria, sequence, added_count=added)

    def _insert_lines(self, condition, sequence):
        """Insert one line per contact of the SQL ``condition`` (alias ``partner``), defaulted from the header,
        added by step number ``sequence``; returns how many.
        """
        defaults = self._sql_line_defaults(SQL("partner"))
        columns = list(defaults)
        count = self._execute_filter_sql(
            SQL(
                """INSERT INTO sales_segment_line (segment_id, active, added_step, %(columns)s)
                   SELECT %(segment)s, TRUE, %(step)s, %(values)s
                     FROM res_partner AS partner
                     LEFT JOIN res_partner AS company ON company.id = partner.commercial_partner_id
                    WHERE %(condition)s
                    ORDER BY company.name, company.id, partner.is_company DESC, partner.name, partner.id""",
                columns=SQL(", ").join(SQL.identifier(column) for column in columns),
                values=SQL(", ").join(defaults[column] for column in columns),
                segment=self.id,
                step=sequence,
                condition=condition,
            )
        )
        self._lines_changed()
        return count

    def _step_remove(self, criteria, refine):
        """Reduce removes the lines whose contact matches; Refine those whose contact does not."""
        action = "refine" if refine else "reduce"
        sequence = self._next_step_number()
        removed = self._archive_lines(self._step_condition(action, criteria), sequence)
        return self._new_step(action, criteria, sequence, removed_count=removed)

    def _archive_lines(self, condition, sequence):
        """Take the lines of the SQL ``condition`` (alias ``line``) out, in the name of step number ``sequence``.

        Only unindexed columns change (the step says who and when), so PostgreSQL updates the rows in
        place (HOT) without touching the indexes: what keeps Reduce and Refine fast on large segments.
        """
        count = self._execute_filter_sql(
            SQL(
                "UPDATE sales_segment_line AS line SET active = FALSE, removed_step = %s WHERE %s",
                sequence,
                condition,
            )
        )
        self._lines_changed()
        return count

    def _lines_changed(self):
        """Lines were written in SQL: drop what the cache knows of them and recount."""
        self.env["sales.segment.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])
        self.modified(["line_ids"])

    def action_go_back(self):
        """Undo the last step exactly: its added lines go, the lines it removed come back as they were."""
        self.ensure_one()
        self._lock_steps()
        step = self.env["sales.segment.history"].search([("segment_id", "=", self.id)], order="sequence desc, id desc", limit=1)
        if not step:
            raise UserError(self.env._("Segment %(segment)s has no step to go back to.", segment=self.name))
        self.env["sales.segment.line"].flush_model()
        self.env.cr.execute(
            SQL("DELETE FROM sales_segment_line WHERE segment_id = %s AND added_step = %s", self.id, step.sequence)
        )
        self.env.cr.execute(
            SQL(
                "UPDATE sales_segment_line SET active = TRUE, removed_step = NULL WHERE segment_id = %s AND removed_step = %s",
                self.id,
                step.sequence,
            )
        )
        self._lines_changed()
        description = step.display_name
        step._unlink_step()
        return self._notify(self.env._("Went back before step %(step)s.", step=description))

    @api.model
    def _notify(self, message, counts=None, next_action=None):
        """A success notification, then ``next_action``: by default close the dialog, which reloads the segment.

        (``soft_reload`` would show a blank form again when the segment was new before the button saved it.)
        """
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "sticky": False,
                "counts": counts or {},
                "next": next_action or {"type": "ir.actions.act_window_close"},
            },
        }

    def _record_manual_step(self, action, partners, lines):
        """A line added or removed by hand is a step of its own, so that Go back undoes it too."""
        self.ensure_one()
        self._lock_steps()
        step = self._new_step(action, {"partner_ids": partners.ids})
        if action == "manual_add":
            step._write_step({"added_count": len(lines)})
            lines._write_step_columns({"added_step": step.sequence})
        else:
            step._write_step({"removed_count": len(lines)})
        return step

    # ------------------------------------------------------------------------------------------------
    # Logging
    # ------------------------------------------------------------------------------------------------

    def _lock_for_logging(self):
        """Take the segment for this transaction; a second user logging it at the same time is told so."""
        self.ensure_one()
        self.flush_recordset()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT state FROM sales_segment WHERE id = %s FOR UPDATE NOWAIT", self.id),
                    log_exceptions=False,  # a segment being logged by another user is expected, and told below
                )
                state = self.env.cr.fetchone()[0]
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as error:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is being logged or changed by another user right now. "
                    "Reload it in a moment: it may have been logged already.",
                    segment=self.name,
                )
            ) from error
        if state != "draft":
            raise UserError(self.env._("Segment %(segment)s has already been logged.", segment=self.name))

    def _check_loggable(self, send, missing_email_as_hard_copy=False):
        """Refuse to log with one message that names everything missing."""
        self.ensure_one()
        Line = self.env["sales.segment.line"]
        Line.flush_model()
        problems = []
        if not self.description:
            problems.append(self.env._("a description"))
        if not self.line_count:
            raise UserError(self.env._("Segment %(segment)s is empty: add contacts before logging it.", segment=self.name))
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FILTER (WHERE COALESCE(line.template_id, %(template)s) IS NULL),
                          array_agg(DISTINCT line.lang) FILTER (WHERE line.correspondence_type IS NOT NULL),
                          array_agg(partner.id ORDER BY partner.name) FILTER (
                              WHERE line.correspondence_type = 'email'
                                AND COALESCE(partner.email_normalized, '') = '')
                     FROM sales_segment_line AS line
                     JOIN res_partner AS partner ON partner.id = line.partner_id
                    WHERE line.segment_id = %(segment)s AND line.active""",
                template=self.template_id.id or None,
                segment=self.id,
            )
        )
        without_template, delivered_langs, without_email = self.env.cr.fetchone()
        self._check_contacts_readable()
        if without_template:
            problems.append(
                self.env._("an interaction template (%(count)s lines have none)", count=without_template)
                if self.template_id
                else self.env._("an interaction template")
            )
        if send:
            known = set(self.language_ids.mapped("lang"))
            unversioned = [lang or "" for lang in delivered_langs or [] if lang not in known]
            if unversioned and not self.lang_default:
                names = dict(self.env["res.lang"].get_installed())
                no_language = self.env._("no language")
                problems.append(
                    self.env._(
                        "a default language, or a language version for %(langs)s",
                        langs=", ".join(sorted(names.get(lang, lang or no_language) for lang in unversioned)),
                    )
                )
            templates = self.template_id.union(
                *(template for [template] in Line._read_group([("segment_id", "=", self.id)], ["template_id"]))
            )
            without_text = templates.filtered(lambda template: not template.language_ids)
            if delivered_langs and without_text:
                problems.append(
                    self.env._(
                        "a text in interaction template %(templates)s to print or send",
                        templates=", ".join(without_text.mapped("display_name")),
                    )
                )
        if problems:
            raise UserError(
                self.env._("Segment %(segment)s cannot be logged yet: it needs %(problems)s.", segment=self.name, problems="; ".join(problems))
            )
        if send and without_email and not missing_email_as_hard_copy:
            partners = self.env["res.partner"].browse(without_email[:LISTED_CONTACTS])
            names = ", ".join(partners.mapped("display_name"))
            if len(without_email) > LISTED_CONTACTS:
                names += self.env._(" and %(count)s more", count=len(without_email) - LISTED_CONTACTS)
            raise UserError(
                self.env._(
                    "These contacts should get an e-mail but have no usable e-mail address: %(names)s. "
                    "Give them one, change their lines to hard copy, or log with the option to send them a letter instead.",
                    names=names,
                )
            )

    def _check_contacts_readable(self):
        """Logging writes an entry per contact as the user: name the contacts the user may not see.

        (A segment may hold them when a colleague with wider rights built it; the lines show their names.)
        """
        self.ensure_one()
        visible = self.env["res.partner"].with_context(active_test=False)._search([])
        self.env.cr.execute(
            SQL(
                """SELECT line.partner_id FROM sales_segment_line AS line
                    WHERE line.segment_id = %s AND line.active AND line.partner_id NOT IN %s
                    ORDER BY line.id LIMIT %s""",
                self.id,
                visible.subselect(),
                LISTED_CONTACTS + 1,
            )
        )
        hidden = [row[0] for row in self.env.cr.fetchall()]
        if hidden:
            # sudo: the names are those the segment's lines show already
            names = ", ".join(self.env["res.partner"].sudo().browse(hidden[:LISTED_CONTACTS]).mapped("display_name"))
            if len(hidden) > LISTED_CONTACTS:
                names += self.env._(" and more")
            raise UserError(
                self.env._(
                    "Segment %(segment)s holds contacts you may not see, so you cannot log it: %(names)s. "
                    "Ask a colleague who may see them to log it, or remove their lines.",
                    segment=self.name,
                    names=names,
                )
            )

    def action_log(self):
        """Open the Log wizard."""
        self.ensure_one()
        self._check_draft()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Segment %(segment)s", segment=self.name),
            "res_model": "sales.segment.log.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_segment_id": self.id, "dialog_size": "medium"},
        }

    def _reuse_logged_segment(self, logged_segment):
        """Add the contacts of a logged segment (Business Central's Reuse Log), as one undoable step."""
        self.ensure_one()
        self._check_draft()
        logged_segment.check_access("read")
        return self._run_step(
            "add",
            {
                "logged_segment_ids": logged_segment.ids,
                "options": {"allow_existing_contacts": True, "ignore_exclusion": True},
            },
        )

    def action_reuse_log(self):
        self.ensure_one()
        self._check_draft()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reuse Log"),
            "res_model": "sales.segment.reuse.criteria.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_segment_id": self.id, "default_reuse_from": "logged"},
        }

    def action_open_logged_segment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sales.logged.segment",
            "res_id": self.logged_segment_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------------------------------------
    # Saved criteria
    # ------------------------------------------------------------------------------------------------

    def _reuse_criteria(self, saved_criteria):
        """Replay the steps of saved criteria against today's data; each becomes a step of this segment."""
        self.ensure_one()
        self._check_draft()
        saved_criteria.check_access("read")
        steps_to_run = []
        for line in saved_criteria.line_ids.sorted("sequence"):
            action = {"manual_add": "add", "manual_remove": "reduce"}.get(line.action, line.action)
            try:
                steps_to_run.append((action, self._check_criteria(action, line.criteria or {})))
            except UserError as error:
                raise UserError(
                    self.env._(
                        "Step %(step)s of criteria %(code)s cannot be replayed: %(reason)s",
                        step=line.sequence,
                        code=saved_criteria.code,
                        reason=error.args[0],
                    )
                ) from error
        missing = []
        for _action, criteria in steps_to_run:
            missing += self._check_criteria_references(criteria)
        if missing:
            raise UserError(
                self.env._(
                    "Criteria %(code)s refer to records that no longer exist or that you may not see: %(records)s. "
                    "Correct or delete the criteria.",
                    code=saved_criteria.code,
                    records=", ".join(missing),
                )
            )
        steps = self.env["sales.segment.history"]
        for action, criteria in steps_to_run:
            steps |= self._run_step(action, criteria)
        return steps

    # ------------------------------------------------------------------------------------------------
    # Actions of the form
    # ------------------------------------------------------------------------------------------------

    def _open_contacts_wizard(self, mode):
        self.ensure_one()
        self._check_draft()
        titles = {
            "add": self.env._("Add Contacts"),
            "reduce": self.env._("Reduce Contacts"),
            "refine": self.env._("Refine Contacts"),
        }
        return {
            "type": "ir.actions.act_window",
            "name": titles[mode],
            "res_model": "sales.segment.contacts.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_segment_id": self.id, "default_mode": mode},
        }

    def action_add_contacts(self):
        return self._open_contacts_wizard("add")

    def action_reduce_contacts(self):
        return self._open_contacts_wizard("reduce")

    def action_refine_contacts(self):
        return self._open_contacts_wizard("refine")

    def action_save_criteria(self):
        self.ensure_one()
        if not self.history_count:
            raise UserError(self.env._("Segment %(segment)s has no step to save as criteria yet.", segment=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Save Criteria"),
            "res_model": "sales.segment.save.criteria.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_segment_id": self.id},
        }

    def action_reuse_criteria(self):
        self.ensure_one()
        self._check_draft()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reuse Criteria"),
            "res_model": "sales.segment.reuse.criteria.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_segment_id": self.id},
        }

    def action_open_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lines of %(segment)s", segment=self.name),
            "res_model": "sales.segment.line",
            "view_mode": "list,pivot",
            "domain": [("segment_id", "=", self.id)],
            "context": {"default_segment_id": self.id},
        }

    def action_create_opportunities(self):
        """One opportunity per contact of the segment for its campaign, skipping contacts that have one open."""
        self.ensure_one()
        if not self.campaign_id:
            raise UserError(self.env._("Link segment %(segment)s to a campaign before creating opportunities.", segment=self.name))
        utm_campaign = self.campaign_id.utm_campaign_id
        lines = self.env["sales.segment.line"].search_fetch([("segment_id", "=", self.id)], ["partner_id", "user_id"])
        if not lines:
            raise UserError(self.env._("Segment %(segment)s has no contacts.", segment=self.name))
        Lead = self.env["crm.lead"]
        open_partners = {
            partner
            for [partner] in Lead._read_group(
                [
                    ("campaign_id", "=", utm_campaign.id),
                    ("partner_id", "in", lines.partner_id.ids),
                    ("type", "=", "opportunity"),
                    ("stage_id.is_won", "=", False),
                ],
                ["partner_id"],
            )
        }
        vals_list = []
        seen = set(open_partners)
        for line in lines:
            if line.partner_id in seen:
                continue
            seen.add(line.partner_id)
            vals_list.append(
                {
                    "name": self.env._("%(campaign)s: %(contact)s", campaign=self.campaign_id.title, contact=line.partner_id.display_name),
                    "type": "opportunity",
                    "partner_id": line.partner_id.id,
                    "campaign_id": utm_campaign.id,
                    "user_id": (line.user_id or self.campaign_id.user_id or self.env.user).id,
                    "company_id": self.company_id.id,
                    **({"team_id": self.campaign_id.team_id.id} if self.campaign_id.team_id else {}),
                }
            )
        leads = Lead.create(vals_list)
        message = self.env._(
            "%(created)s opportunities created for campaign %(campaign)s; %(skipped)s contacts already had an open one.",
            created=len(leads),
            campaign=self.campaign_id.display_name,
            skipped=len(open_partners),
        )
        return self._notify(message, next_action=self.campaign_id.action_open_opportunities())

    def action_export_xlsx(self):
        """Export the lines of these segments to an Excel workbook (one sheet per segment)."""
        if not self:
            raise UserError(self.env._("Select the segments to export."))
        self.check_access("read")
        return {
            "type": "ir.actions.act_url",
            "url": "/sales_campaign/export/segments?ids=%s" % ",".join(str(segment_id) for segment_id in self.ids),
            "target": "self",
        }


def _forbidden_domain_node(node):
    """The first node of a contact filter's syntax tree that is not allowed in it, or None."""
    if isinstance(node, ast.Expression):
        return _forbidden_domain_node(node.body)
    if isinstance(node, (ast.List, ast.Tuple)):
        children = node.elts
    elif isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, (bool, int, str)):
            return None
        if isinstance(value, float) and math.isfinite(value):
            return None
        return node
    elif isinstance(node, ast.Name):
        return None if node.id in DOMAIN_NAMES else node
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        children = [node.operand]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        children = [node.left, node.right]
    elif isinstance(node, ast.Attribute):
        if node.attr not in DOMAIN_ATTRIBUTES:
            return node
        children = [node.value]
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, (ast.Name, ast.Attribute)) or any(keyword.arg is None for keyword in node.keywords):
            return node
        children = [node.func, *node.args, *(keyword.value for keyword in node.keywords)]
    else:
        return node
    for child in children:
        forbidden = _forbidden_domain_node(child)
        if forbidden is not None:
            return forbidden
    return None


def _is_plain_domain_value(value):
    if value is None or isinstance(value, (bool, int, str, datetime.date)):
        return True
    return isinstance(value, float) and math.isfinite(value)
