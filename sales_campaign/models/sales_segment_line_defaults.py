from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL, formatLang

from .sales_segment import LINE_DEFAULT_FIELDS


class SalesSegment(models.Model):
    """A segment's header defaults and its lines: the banner that tells what changed, *Update lines* that
    brings the lines in line with the header, and the defaults of a new line (one definition, in SQL)."""

    _inherit = "sales.segment"

    @api.depends("pending_line_update")
    def _compute_pending_line_update_message(self):
        for segment in self:
            changed = {
                fname: old for fname, old in (segment.pending_line_update or {}).items() if fname in self._fields
            }
            segment.pending_line_update_message = segment._line_update_message(changed) if changed else False

    def _line_update_message(self, changed):
        """The banner's text: each changed default with its value before and now, then which lines *Update
        Lines* changes and how (the rule of ``_apply_line_defaults``), and the lines it leaves alone."""
        self.ensure_one()
        segment = self._origin or self
        changes = Markup(", ").join(
            self.env._(
                "%(field)s from %(before)s to %(after)s",
                field=Markup("<b>%s</b>") % self._fields[fname]._description_string(self.env),
                before=self._line_default_display(fname, old),
                after=self._line_default_display(fname, self._line_default_value(fname)),
            )
            for fname, old in changed.items()
        )
        paragraphs = [self.env._("You changed %(changes)s.", changes=changes)]
        Line = self.env["sales.segment.line"]
        lines = segment.line_count if segment.id else 0  # stored: no count of a large segment's lines
        old_template = self.env["sales.interaction.template"].browse(changed.get("template_id", self.template_id.id))
        if "template_id" in changed:
            paragraphs.append(
                self.env._(
                    "Update Lines gives all %(count)s lines the new template with its language, subject and "
                    "correspondence type, and the other values you changed.",
                    count=formatLang(self.env, lines, digits=0),
                )
            )
        else:
            with_template = 0
            if segment.id:
                segment.check_access("read")
                # sudo: only a count of the lines of a segment the user reads (its form is open); as the user,
                # PostgreSQL checks the lines' record rule once per line (1 s of the 1.8 s that a header change
                # took in the form of a 1,000,000-line segment)
                with_template = Line.sudo().search_count(
                    [("segment_id", "=", segment.id), ("template_id", "=", old_template.id or False)]
                )
            if old_template:
                paragraphs.append(
                    self.env._(
                        "Update Lines writes these values to the %(count)s lines with interaction template "
                        "%(template)s.",
                        count=formatLang(self.env, with_template, digits=0),
                        template=old_template.display_name,
                    )
                )
            else:
                paragraphs.append(
                    self.env._(
                        "Update Lines writes these values to the %(count)s lines without an interaction template.",
                        count=formatLang(self.env, with_template, digits=0),
                    )
                )
            if lines > with_template:
                paragraphs.append(
                    self.env._(
                        "The %(count)s lines with another interaction template keep their values.",
                        count=formatLang(self.env, lines - with_template, digits=0),
                    )
                )
        if "correspondence_type" in changed and not self.ignore_contact_correspondence_type:
            paragraphs.append(self.env._("Contacts who prefer another correspondence type keep theirs on their lines."))
        if "campaign_target" in changed and self.campaign_target:
            paragraphs.append(
                self.env._(
                    "Until you update them, the lines are no campaign targets: the campaign's prices do not "
                    "reach their companies."
                )
            )
        paragraphs.append(self.env._("Keep Lines leaves every line as it is."))
        return Markup("").join(Markup("<p class='mb-1'>%s</p>") % paragraph for paragraph in paragraphs)

    def _line_default_display(self, fname, value):
        """A header default's value (as ``pending_line_update`` keeps it) in the user's words."""
        field = self._fields[fname]
        if field.type == "many2one":
            record = self.env[field.comodel_name].browse(value or ())
            return record.display_name if record else self.env._("none")
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value) or self.env._("none")
        return value or self.env._("none")

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

    # ------------------------------------------------------------------------------------------------
    # Header defaults -> lines ("update the lines?")
    # ------------------------------------------------------------------------------------------------

    def _note_line_defaults_change(self, before):
        """Remember which defaults changed, with their old values, until the user applies or keeps them."""
        for segment in self:
            if not segment.line_count:
                continue
            pending = dict(segment.pending_line_update or {})
            for fname, old in before[segment.id].items():
                if fname not in pending and segment._line_default_value(fname) != old:
                    pending[fname] = old
            if pending != (segment.pending_line_update or {}):
                segment.write({"pending_line_update": pending or False})

    def action_apply_line_defaults(self):
        """Bring the lines in line with the header defaults that changed (the user confirmed)."""
        self.check_access("write")
        for segment in self:
            segment._check_draft()
            if segment.pending_line_update:
                segment._apply_line_defaults(segment.pending_line_update)
                segment.write({"pending_line_update": False})
        return True

    def action_keep_lines(self):
        """Keep the lines as they are (the user declined the update)."""
        self._check_draft()
        self.write({"pending_line_update": False})
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
                    WHERE partner.id = line.partner_id AND line.segment_id = %(segment)s AND line.active
                      AND %(where)s""",
                assignments=SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(column), defaults[column]) for column in columns
                ),
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
