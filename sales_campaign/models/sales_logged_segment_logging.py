from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Contacts named in a message, at most.
LISTED_CONTACTS = 10


class SalesLoggedSegment(models.Model):
    """Logging a segment: the checks, the logged segment with its campaign entries, the interactions written
    set-wise and the follow-up segment."""

    _inherit = "sales.logged.segment"

    # ------------------------------------------------------------------------------------------------
    # Logging a segment
    # ------------------------------------------------------------------------------------------------

    @api.model
    def _log_segment(self, segment, send=True, followup=False, missing_email_as_hard_copy=False):
        """Log ``segment``: the checks, the logged segment, its campaign entries and the frozen segment, all or
        nothing; then the interactions, the follow-up segment, the e-mails and the letters, at once for a
        small segment and in the background for a large one (see ``_start``). Returns the logged segment."""
        segment.ensure_one()
        segment.check_access("write")
        send = send and not segment.campaign_response  # responses are recorded, never sent
        with self.env.cr.savepoint():
            self._lock_segment(segment)
            self._check_segment_loggable(segment, send, missing_email_as_hard_copy)
            logged = self._create_logged(
                {
                    "segment_id": segment.id,
                    "description": segment.description,
                    "company_id": segment.company_id.id,
                    "send_documents": send,
                    "missing_email_as_hard_copy": missing_email_as_hard_copy,
                    "create_followup": followup,
                }
            )
            logged._create_campaign_entries(segment)
            segment._set_logged()
            if send and segment.send_attachment:
                logged._write_ledger(
                    {"attachment_ids": [(4, attachment.id) for attachment in segment.language_ids.attachment_ids]}
                )
            logged._start()
        return logged

    @api.model
    def _lock_segment(self, segment):
        """Take ``segment`` for this transaction; a second user logging it at the same time is told so."""
        segment.ensure_one()
        segment.flush_recordset()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT state FROM sales_segment WHERE id = %s FOR UPDATE NOWAIT", segment.id),
                    log_exceptions=False,  # a segment being logged by another user is expected, and told below
                )
                state = self.env.cr.fetchone()[0]
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as error:
            raise UserError(
                self.env._(
                    "Segment %(segment)s is being logged or changed by another user right now. "
                    "Reload it in a moment: it may have been logged already.",
                    segment=segment.name,
                )
            ) from error
        if state != "draft":
            raise UserError(self.env._("Segment %(segment)s has already been logged.", segment=segment.name))

    @api.model
    def _check_segment_loggable(self, segment, send, missing_email_as_hard_copy=False):
        """Refuse to log with one message that names everything missing, a whole sentence per problem."""
        segment.ensure_one()
        if not segment.line_count:
            raise UserError(
                self.env._("Segment %(segment)s is empty: add contacts before logging it.", segment=segment.name)
            )
        self._check_segment_contacts_readable(segment)
        Line = self.env["sales.segment.line"]
        # The few combinations of language, correspondence type and template of the segment's active lines.
        groups = Line._read_group(
            [("segment_id", "=", segment.id)], ["lang", "correspondence_type", "template_id"], ["__count"]
        )
        problems = []
        if not segment.description:
            problems.append(self.env._("The segment has no description."))
        without_template = sum(count for _lang, _type, template, count in groups if not template)
        if without_template and not segment.template_id:
            problems.append(
                self.env._(
                    "The segment has no interaction template, and %(count)s of its lines have none either.",
                    count=without_template,
                )
            )
        if send:
            delivered_langs = {lang for lang, correspondence_type, _template, _count in groups if correspondence_type}
            unversioned = delivered_langs - set(segment.language_ids.mapped("lang"))
            if unversioned and not segment.lang_default:
                names = dict(self.env["res.lang"].get_installed())
                no_language = self.env._("no language")
                problems.append(
                    self.env._(
                        "The segment needs a default language, or a language version for %(langs)s.",
                        langs=", ".join(sorted(names.get(lang, lang or no_language) for lang in unversioned)),
                    )
                )
            templates = segment.template_id.union(*(template for _lang, _type, template, _count in groups))
            without_text = templates.filtered(lambda template: not template.language_ids)
            if delivered_langs and without_text:
                problems.append(
                    self.env._(
                        "Interaction template %(templates)s has no text to print or send.",
                        templates=", ".join(without_text.mapped("display_name")),
                    )
                )
        if problems:
            raise UserError(
                self.env._(
                    "Segment %(segment)s cannot be logged yet:\n%(problems)s",
                    segment=segment.name,
                    problems="\n".join(f"- {problem}" for problem in problems),
                )
            )
        if send and not missing_email_as_hard_copy:
            self._check_segment_emails(segment)

    @api.model
    def _check_segment_emails(self, segment):
        """Name the contacts who should get an e-mail but have no usable address."""
        Line = self.env["sales.segment.line"]
        domain = [
            ("segment_id", "=", segment.id),
            ("correspondence_type", "=", "email"),
            ("partner_id.email_normalized", "in", [False, ""]),
        ]
        lines = Line.search(domain, order="partner_id, id", limit=LISTED_CONTACTS)
        if not lines:
            return
        names = ", ".join(lines.partner_id.mapped("display_name"))
        more = Line.search_count(domain) - len(lines)
        if more:
            message = self.env._(
                "These contacts should get an e-mail but have no usable e-mail address: %(names)s and %(count)s "
                "more. Give them one, change their lines to hard copy, or log with the option to send them a letter "
                "instead.",
                names=names,
                count=more,
            )
        else:
            message = self.env._(
                "These contacts should get an e-mail but have no usable e-mail address: %(names)s. "
                "Give them one, change their lines to hard copy, or log with the option to send them a letter "
                "instead.",
                names=names,
            )
        raise UserError(message)

    @api.model
    def _check_segment_contacts_readable(self, segment):
        """Logging writes an entry per contact as the user: name the contacts the user may not see.

        (A segment may hold them when a colleague with wider rights built it; the lines show their names.)
        """
        segment.ensure_one()
        visible = self.env["res.partner"].with_context(active_test=False)._search([])
        hidden = self.env["sales.segment.line"].search(
            [("segment_id", "=", segment.id), ("partner_id", "not in", visible)],
            order="id",
            limit=LISTED_CONTACTS + 1,
        )
        if not hidden:
            return
        # sudo: the names are those the segment's lines show already
        names = ", ".join(hidden[:LISTED_CONTACTS].partner_id.sudo().mapped("display_name"))
        if len(hidden) > LISTED_CONTACTS:
            message = self.env._(
                "Segment %(segment)s holds contacts you may not see, so you cannot log it: %(names)s and more. "
                "Ask a colleague who may see them to log it, or remove their lines.",
                segment=segment.name,
                names=names,
            )
        else:
            message = self.env._(
                "Segment %(segment)s holds contacts you may not see, so you cannot log it: %(names)s. "
                "Ask a colleague who may see them to log it, or remove their lines.",
                segment=segment.name,
                names=names,
            )
        raise UserError(message)

    def _create_campaign_entries(self, segment):
        """One campaign entry per campaign of the lines, with the date and salesperson of its first line."""
        self.ensure_one()
        # The first line of each (campaign, salesperson) pair; the first pair of a campaign gives its salesperson.
        pairs = self.env["sales.segment.line"]._read_group(
            [("segment_id", "=", segment.id), ("campaign_id", "!=", False)], ["campaign_id", "user_id"], ["id:min"]
        )
        salesperson = {}
        for campaign, user, _first_line_id in sorted(pairs, key=lambda pair: pair[2]):
            salesperson.setdefault(campaign, user)
        vals_list = [
            {
                "campaign_id": campaign.id,
                "company_id": segment.company_id.id,
                "description": segment.description,
                "date": segment.date,
                "salesperson_id": user.id,
                "segment_id": segment.id,
                "logged_segment_id": self.id,
            }
            for campaign, user in sorted(salesperson.items(), key=lambda item: item[0].id)
        ]
        return self.env["sales.campaign.entry"]._create_entries(vals_list)

    def _insert_interactions(self, segment, send, missing_email_as_hard_copy):
        """One interaction log entry per line, in one INSERT ... SELECT; returns how many.

        Every stored field is written as the ORM's ``create`` would write it, stored computed fields
        (``company_partner_id``, ``group_id``, ``response_source``) included: ``test_sql_rows`` compares a row of
        each kind with one the ORM creates."""
        self.ensure_one()
        self.env.flush_all()
        entry_by_campaign = SQL(", ").join(
            SQL("(%s, %s)", entry.campaign_id.id, entry.id) for entry in self.campaign_entry_ids
        ) or SQL("(NULL::integer, NULL::integer)")
        default_subject = segment.subject_default or None
        has_email = SQL("partner.email_normalized IS NOT NULL AND partner.email_normalized != ''")
        blacklisted = SQL(
            "EXISTS (SELECT 1 FROM mail_blacklist AS bl WHERE bl.active AND bl.email = partner.email_normalized)"
        )
        if send and missing_email_as_hard_copy:
            correspondence = SQL(
                """(CASE WHEN line.correspondence_type = 'email' AND NOT (%s) THEN 'hard_copy'
                         ELSE line.correspondence_type END)""",
                has_email,
            )
        else:
            correspondence = SQL("line.correspondence_type")
        if send:
            # Letters and e-mails wait for their batch of the delivery (see ``_deliver_batch``).
            status = SQL(
                """(CASE WHEN %(type)s IS NULL THEN 'not_applicable'
                         WHEN %(type)s = 'email' AND %(blacklisted)s THEN 'blocked'
                         ELSE 'pending' END)""",
                type=correspondence,
                blacklisted=blacklisted,
            )
            reason = SQL(
                "(CASE WHEN %s = 'email' AND %s THEN %s END)",
                correspondence,
                blacklisted,
                self.env._("The e-mail address is blacklisted: nothing was sent."),
            )
        else:
            status, reason = SQL("'not_applicable'"), SQL("NULL")
        header_template = segment.template_id.id or None
        # A line with the header's template takes the header's values (they may have been changed),
        # a line given another template by hand takes that template's.
        from_template = {
            column: SQL(
                "(CASE WHEN template.id = %s THEN %s ELSE template.%s END)",
                header_template,
                value,
                SQL.identifier(template_column),
            )
            for column, template_column, value in (
                ("information_flow", "information_flow", segment.information_flow or None),
                ("initiated_by", "initiated_by", segment.initiated_by or None),
                ("cost", "unit_cost", segment.unit_cost),
                ("duration", "unit_duration", segment.unit_duration),
            )
        }
        now = self.create_date  # the moment of the log, whenever its entries are written
        self.env.cr.execute(
            SQL(
                """INSERT INTO sales_interaction_log (
                       partner_id, company_partner_id, company_id, date, template_id, group_id, description,
                       subject, lang, correspondence_type, information_flow, initiated_by, cost, duration,
                       campaign_id, campaign_entry_id, campaign_target, campaign_response, segment_id,
                       logged_segment_id, user_id, delivery_status, delivery_failure_reason, cancelled,
                       response_source, create_uid, create_date, write_uid, write_date)
                   SELECT line.partner_id, partner.commercial_partner_id, %(company)s, %(now)s, template.id,
                          template.group_id, %(description)s, COALESCE(line.subject, %(subject)s), line.lang,
                          %(correspondence)s, %(flow)s, %(initiated)s, %(cost)s, %(duration)s,
                          line.campaign_id, campaign_entry.entry_id, line.campaign_target, line.campaign_response,
                          %(segment)s, %(logged)s, COALESCE(line.user_id, %(uid)s), %(status)s, %(reason)s,
                          %(cancelled)s, %(response_source)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM sales_segment_line AS line
                     JOIN res_partner AS partner ON partner.id = line.partner_id
                     JOIN sales_interaction_template AS template
                       ON template.id = COALESCE(line.template_id, %(header_template)s)
                     LEFT JOIN (VALUES %(entries)s) AS campaign_entry (campaign_id, entry_id)
                       ON campaign_entry.campaign_id = line.campaign_id
                    WHERE line.segment_id = %(segment)s AND line.active
                    ORDER BY line.id""",
                company=segment.company_id.id,
                now=now,
                description=segment.description,
                subject=default_subject,
                correspondence=correspondence,
                flow=from_template["information_flow"],
                initiated=from_template["initiated_by"],
                cost=from_template["cost"],
                duration=from_template["duration"],
                segment=segment.id,
                logged=self.id,
                uid=self.user_id.id,  # the user who logged, whoever writes the entries (the log cron, say)
                cancelled=self.cancelled,
                # ``_compute_response_source`` of a new entry: responses logged by a user are "By Hand"
                response_source=SQL("(CASE WHEN line.campaign_response THEN 'manual' END)"),
                status=status,
                reason=reason,
                header_template=header_template,
                entries=entry_by_campaign,
            )
        )
        count = self.env.cr.rowcount
        self.env["sales.interaction.log"].invalidate_model()
        self.invalidate_recordset(["interaction_ids"])
        return count

    def _create_followup_segment(self):
        """A new segment with the description, campaign and contacts of this logged segment, as Business
        Central makes it (the description is the user's, in the user's words: nothing is added to it)."""
        self.ensure_one()
        segment = self.segment_id
        followup = self.env["sales.segment"].create(
            {
                "description": segment.description,
                "campaign_id": segment.campaign_id.id,
                "user_id": segment.user_id.id,
                "company_id": segment.company_id.id,
            }
        )
        followup._reuse_logged_segment(self)
        return followup
