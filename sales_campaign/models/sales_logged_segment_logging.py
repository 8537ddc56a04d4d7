from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .sales_segment_ab_test import percent_of

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
    def _log_segment(
        self,
        segment,
        send=True,
        followup=False,
        missing_email_as_hard_copy=False,
        scheduled_date=False,
        control_share=0,
    ):
        """Log ``segment``: the checks, the logged segment, its campaign entries and the frozen segment, all or
        nothing; then the interactions, the follow-up segment, the e-mails and the letters, at once for a
        small segment and in the background for a large one (see ``_start``). Returns the logged segment.

        :param scheduled_date: when the e-mails go out and the letters are printed (the interactions' date);
            until then they wait, and the log can be cancelled with nothing sent
        :param control_share: the percentage of the campaign's targets drawn at random into the campaign's
            control group, who get nothing (see ``_insert_interactions``)

        With two versions of its text or more, the segment's test share gets the versions, the rest the
        winner (``sales.segment.version``).
        """
        segment.ensure_one()
        segment.check_access("write")
        send = send and not segment.campaign_response  # responses are recorded, never sent
        with self.env.cr.savepoint():
            self._lock_segment(segment)
            self._check_segment_loggable(
                segment, send, missing_email_as_hard_copy, scheduled_date=scheduled_date, control_share=control_share
            )
            ab_test = segment._has_ab_test(send)
            logged = self._create_logged(
                {
                    "segment_id": segment.id,
                    "description": segment.description,
                    "company_id": segment.company_id.id,
                    "send_documents": send,
                    "missing_email_as_hard_copy": missing_email_as_hard_copy,
                    "create_followup": followup,
                    "scheduled_date": scheduled_date or False,
                    "control_share": control_share or 0,
                    "ab_test": ab_test,
                    "ab_test_share": segment.ab_test_share if ab_test else 0,
                    "ab_winner_selection": segment.ab_winner_selection if ab_test else False,
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
    def _check_segment_loggable(
        self, segment, send, missing_email_as_hard_copy=False, scheduled_date=False, control_share=0
    ):
        """Refuse to log with one message that names everything missing, a whole sentence per problem."""
        segment.ensure_one()
        if not segment.line_count:
            raise UserError(
                self.env._("Segment %(segment)s is empty: add contacts before logging it.", segment=segment.name)
            )
        self._check_segment_contacts_readable(segment)
        # sudo: the user may write the segment (``_log_segment`` checked it), and the lines' record rule is their
        # segment's company: as the user, PostgreSQL checked that rule once per line (2 s for 1,000,000 lines)
        Line = self.env["sales.segment.line"].sudo()
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
        problems += self._log_option_problems(segment, send, scheduled_date, control_share, groups)
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
    def _log_option_problems(self, segment, send, scheduled_date, control_share, groups):
        """The problems of the log's options: its date, its control group, the versions of an A/B test.

        :param groups: ``[(lang, correspondence type, template, count)]`` of the segment's lines
        """
        problems = []
        if scheduled_date and not send:
            problems.append(
                self.env._("A log without sending the letters and e-mails delivers nothing: it cannot wait for a date.")
            )
        elif scheduled_date and scheduled_date <= fields.Datetime.now():
            problems.append(self.env._("The date to deliver on has passed: choose a later one."))
        targets = 0
        if control_share:
            if not 0 < control_share < 100:
                problems.append(self.env._("The control group is a percentage between 1 and 99."))
            elif segment.campaign_response:
                problems.append(self.env._("A segment that records responses has no control group."))
            else:
                targets = self.env["sales.segment.line"].search_count(
                    [("segment_id", "=", segment.id), ("campaign_id", "!=", False), ("campaign_target", "=", True)]
                )
                if not targets:
                    problems.append(
                        self.env._(
                            "A control group is drawn among the campaign's targets, and the segment has none: link "
                            "it to a campaign as its target."
                        )
                    )
        if segment._has_ab_test(send):
            delivered = sum(count for _lang, correspondence, _template, count in groups if correspondence)
            eligible = delivered - percent_of(targets, control_share)
            problems += segment._check_ab_test(eligible)
        return problems

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
        Line = self.env["sales.segment.line"]
        query = Line._search([("segment_id", "=", segment.id)], order="id", limit=LISTED_CONTACTS + 1)
        # Each line's contact is checked on its own through its id (``OFFSET 0``: never a join), not against the
        # list of every contact the user sees: the statistics do not know a fresh segment and expect a single
        # line, for which PostgreSQL scanned that list once per line (issue 22: minutes for 100,000 lines among
        # a million contacts).
        visible = self.env["res.partner"].with_context(active_test=False)._search([])
        visible.add_where(
            SQL("%s = %s", SQL.identifier(visible.table, "id"), SQL.identifier(query.table, "partner_id"))
        )
        query.add_where(SQL("NOT %s", self.env["sales.segment"]._exists_each(visible)))
        hidden = Line.browse(query)
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
        each kind with one the ORM creates.

        What the log draws at random is drawn in the same statement (``_draw_sql``): its control group and the
        parts of its A/B test. The entries' date is the log's: the date it is scheduled for, else its moment.
        Nothing is sent to a blocked address nor to the control group, and neither costs anything.
        """
        self.ensure_one()
        self.env.flush_all()
        entry_by_campaign = SQL(", ").join(
            SQL("(%s, %s)", entry.campaign_id.id, entry.id) for entry in self.campaign_entry_ids
        ) or SQL("(NULL::integer, NULL::integer)")
        default_subject = segment.subject_default or None
        correspondence = self._correspondence_sql(send, missing_email_as_hard_copy)
        if send:
            blocked = SQL("(%s = 'email' AND %s)", correspondence, self._blacklisted_sql())
            # Letters and e-mails wait for their batch of the delivery (see ``_deliver_batch``).
            status = SQL(
                """(CASE WHEN %(type)s IS NULL OR drawn.control THEN 'not_applicable'
                         WHEN %(blocked)s THEN 'blocked'
                         ELSE 'pending' END)""",
                type=correspondence,
                blocked=blocked,
            )
            reason = SQL(
                "(CASE WHEN %s AND NOT drawn.control THEN %s END)",
                blocked,
                self.env._("The e-mail address is blacklisted: nothing was sent."),
            )
        else:
            blocked = SQL("FALSE")
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
        # Nothing sent, nothing spent: the control group and the blocked addresses cost nothing.
        unspent = SQL("(drawn.control OR %s)", blocked)
        versions = self.segment_id.version_ids if self.ab_test else self.env["sales.segment.version"]
        subject = SQL("COALESCE(line.subject, %s)", default_subject)
        if versions:
            subject = SQL(
                "(CASE %s ELSE %s END)",
                SQL(" ").join(
                    SQL("WHEN drawn.version_id = %s THEN %s", version.id, version._subject_sql(SQL("line.lang")))
                    for version in versions
                ),
                subject,
            )
        now = self.scheduled_date or self.create_date  # the date of the log, whenever its entries are written
        self.env.cr.execute(
            SQL(
                """INSERT INTO sales_interaction_log (
                       partner_id, company_partner_id, company_id, date, template_id, group_id, description,
                       subject, lang, correspondence_type, information_flow, initiated_by, cost, duration,
                       campaign_id, campaign_entry_id, campaign_target, campaign_response, segment_id,
                       logged_segment_id, user_id, delivery_status, delivery_failure_reason, cancelled,
                       response_source, campaign_control, version_id, ab_part,
                       create_uid, create_date, write_uid, write_date)
                   SELECT line.partner_id, partner.commercial_partner_id, %(company)s, %(now)s, template.id,
                          template.group_id, %(description)s, %(subject)s, line.lang,
                          (CASE WHEN drawn.control THEN NULL ELSE %(correspondence)s END), %(flow)s, %(initiated)s,
                          (CASE WHEN %(unspent)s THEN 0 ELSE %(cost)s END),
                          (CASE WHEN %(unspent)s THEN 0 ELSE %(duration)s END),
                          line.campaign_id, campaign_entry.entry_id, line.campaign_target AND NOT drawn.control,
                          line.campaign_response, %(segment)s, %(logged)s, COALESCE(line.user_id, %(uid)s),
                          %(status)s, %(reason)s, %(cancelled)s, %(response_source)s, drawn.control,
                          drawn.version_id, drawn.part, %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM sales_segment_line AS line
                     JOIN res_partner AS partner ON partner.id = line.partner_id
                     %(draw)s
                     JOIN sales_interaction_template AS template
                       ON template.id = COALESCE(line.template_id, %(header_template)s)
                     LEFT JOIN (VALUES %(entries)s) AS campaign_entry (campaign_id, entry_id)
                       ON campaign_entry.campaign_id = line.campaign_id
                    WHERE line.segment_id = %(segment)s AND line.active
                    ORDER BY line.id""",
                draw=self._draw_sql(segment, correspondence, self.control_share, versions, self.ab_test_share),
                company=segment.company_id.id,
                now=now,
                description=segment.description,
                subject=subject,
                correspondence=correspondence,
                flow=from_template["information_flow"],
                initiated=from_template["initiated_by"],
                unspent=unspent,
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

    @api.model
    def _preview_log(self, segment, send, missing_email_as_hard_copy=False, control_share=0):
        """What logging ``segment`` with these options will make, counted by the very draw and rules of the log
        (``_draw_sql``, ``_insert_interactions``), for the log dialog to say beforehand.

        :return: dict of counts: ``lines``, ``emails`` (to queue), ``blocked`` (blacklisted addresses),
            ``no_email`` (e-mail lines without a usable address), ``letters``, ``letters_instead`` (letters for
            contacts without an e-mail address), ``recorded`` (lines without a correspondence type), ``control``,
            ``targets`` (the campaign's targets the control group is drawn among), ``rest`` (lines that get the
            winner of the A/B test), ``campaigns`` and ``versions`` ({version: contacts})
        """
        segment.ensure_one()
        self.env.flush_all()
        send = send and not segment.campaign_response
        versions = segment.version_ids if segment._has_ab_test(send) else self.env["sales.segment.version"]
        correspondence = self._correspondence_sql(send, missing_email_as_hard_copy)
        deliverable = SQL("(NOT drawn.control AND %s)", SQL("TRUE") if send else SQL("FALSE"))
        rows = self.env.execute_query(
            SQL(
                """SELECT drawn.version_id, COUNT(*),
                          COUNT(*) FILTER (WHERE %(deliverable)s AND %(type)s = 'email' AND NOT %(blacklisted)s
                                             AND %(has_email)s),
                          COUNT(*) FILTER (WHERE %(deliverable)s AND %(type)s = 'email' AND %(blacklisted)s),
                          COUNT(*) FILTER (WHERE %(deliverable)s AND %(type)s = 'email' AND NOT %(has_email)s),
                          COUNT(*) FILTER (WHERE %(deliverable)s AND %(type)s = 'hard_copy'),
                          COUNT(*) FILTER (WHERE %(deliverable)s AND %(type)s = 'hard_copy'
                                             AND line.correspondence_type = 'email'),
                          COUNT(*) FILTER (WHERE NOT %(deliverable)s AND NOT drawn.control),
                          COUNT(*) FILTER (WHERE drawn.control),
                          COUNT(*) FILTER (WHERE line.campaign_id IS NOT NULL AND line.campaign_target),
                          COUNT(*) FILTER (WHERE drawn.part = 'rest'),
                          ARRAY_AGG(DISTINCT line.campaign_id) FILTER (WHERE line.campaign_id IS NOT NULL)
                     FROM sales_segment_line AS line
                     JOIN res_partner AS partner ON partner.id = line.partner_id
                     %(draw)s
                    WHERE line.segment_id = %(segment)s AND line.active
                    GROUP BY drawn.version_id""",
                draw=self._draw_sql(segment, correspondence, control_share, versions, segment.ab_test_share),
                deliverable=deliverable,
                type=correspondence,
                blacklisted=self._blacklisted_sql(),
                has_email=self._has_email_sql(),
                segment=segment.id,
            )
        )
        names = (
            "lines",
            "emails",
            "blocked",
            "no_email",
            "letters",
            "letters_instead",
            "recorded",
            "control",
            "targets",
            "rest",
        )
        preview = dict.fromkeys(names, 0)
        campaigns, by_version = set(), {}
        for version_id, *counts, campaign_ids in rows:
            for name, count in zip(names, counts, strict=True):
                preview[name] += count
            campaigns.update(campaign_ids or ())
            if version_id:
                by_version[version_id] = counts[0]
        preview["campaigns"] = len(campaigns)
        preview["versions"] = {version: by_version.get(version.id, 0) for version in versions}
        return preview

    @api.model
    def _correspondence_sql(self, send, missing_email_as_hard_copy):
        """SQL: how the line at alias ``line`` (its contact at ``partner``) is delivered: its correspondence
        type, a letter for an e-mail without a usable address when the log sends those letters instead."""
        if send and missing_email_as_hard_copy:
            return SQL(
                """(CASE WHEN line.correspondence_type = 'email' AND NOT (%s) THEN 'hard_copy'
                         ELSE line.correspondence_type END)""",
                self._has_email_sql(),
            )
        return SQL("line.correspondence_type")

    @api.model
    def _has_email_sql(self):
        return SQL("(partner.email_normalized IS NOT NULL AND partner.email_normalized != '')")

    @api.model
    def _blacklisted_sql(self):
        """SQL: the address of the contact at alias ``partner`` is blacklisted."""
        return SQL(
            "EXISTS (SELECT 1 FROM mail_blacklist AS bl WHERE bl.active AND bl.email = partner.email_normalized)"
        )

    @api.model
    def _draw_sql(self, segment, correspondence, control_share, versions, test_share):
        """What the log draws at random, as lateral columns of the line at alias ``line`` (its contact at
        ``partner``): ``drawn.control``, ``drawn.version_id`` and ``drawn.part``, one row per line of ``segment``.

        - **Control group**: ``control_share`` % of the campaign's targets (the lines with a campaign, marked
          Campaign Target), drawn per company: all the contacts of a company are on the same side, since a
          company orders for all its contacts and the campaign's prices go to companies (a person without a
          company is a company of one). The companies are taken in a random order until the share is
          reached, so that the group holds the share of the targets, give or take the contacts of one company.
        - **A/B test**: ``test_share`` % of the other lines with a letter or an e-mail, in a random order, cut
          into as many consecutive parts as ``versions``: each version gets an equal part (give or take one
          contact). The other lines are the rest, who get the winner.

        The random order is that of an MD5 hash of the segment's number (a segment is logged once) and the
        company or line: the same every time, so that the log dialog counts beforehand exactly what the log
        will draw, and a batch that starts again draws the same contacts. Where each share ends in that order
        is found first (``_draw_cutoffs``, one aggregate over the segment's lines); each line is then placed by
        comparing its own hash with those cut-offs, in the statement's one scan of the lines: no join of the
        lines with themselves, whose plan PostgreSQL could misjudge for a fresh segment (a nested loop over
        100,000 lines).
        """
        seed = f"{segment.name}-"
        targets = SQL("(line.campaign_id IS NOT NULL AND line.campaign_target)")
        # (hash, id): the random order of the companies and of the lines
        company = (
            SQL("decode(md5(%s || partner.commercial_partner_id::text), 'hex')", seed),
            SQL("partner.commercial_partner_id"),
        )
        line = (SQL("decode(md5(%s || line.id::text), 'hex')", seed), SQL("line.id"))

        def until(key, cutoff):
            return SQL("ROW(%s, %s) <= ROW(%s::bytea, %s)", *key, *cutoff)

        control = SQL("FALSE")
        if control_share:
            last = self._draw_cutoffs(segment, company, targets, control_share)
            if last:
                control = SQL("(%s AND %s)", targets, until(company, last))
        side = SQL("CROSS JOIN LATERAL (SELECT %s AS control, %s AS correspondence) AS side", control, correspondence)
        if not versions:
            return SQL(
                "%s CROSS JOIN LATERAL (SELECT side.control, NULL::integer AS version_id, NULL::varchar AS part) "
                "AS drawn",
                side,
            )
        cutoffs = self._draw_cutoffs(
            segment, line, SQL("(NOT %s AND %s IS NOT NULL)", control, correspondence), test_share, len(versions)
        )
        eligible = SQL("(NOT side.control AND side.correspondence IS NOT NULL)")
        whens = [
            SQL("WHEN %s THEN %s", until(line, cutoff), version.id)
            for version, cutoff in zip(versions, cutoffs, strict=True)
            if cutoff
        ]
        version_id = SQL("(CASE WHEN %s THEN CASE %s END END)", eligible, SQL(" ").join(whens)) if whens else None
        last = next((cutoff for cutoff in reversed(cutoffs) if cutoff), None)
        return SQL(
            """%(side)s CROSS JOIN LATERAL (
                   SELECT side.control, %(version_id)s::integer AS version_id,
                          (CASE WHEN NOT %(eligible)s THEN NULL WHEN %(in_test)s THEN 'test' ELSE 'rest' END)::varchar
                              AS part
               ) AS drawn""",
            side=side,
            version_id=version_id or SQL("NULL"),
            eligible=eligible,
            in_test=until(line, last) if last else SQL("FALSE"),
        )

    @api.model
    def _draw_cutoffs(self, segment, key, where, share, parts=0):
        """Where ``share`` % of the lines of ``segment`` matching ``where`` end in the random order of ``key``
        (SQL of a hash and an id, see ``_draw_sql``): the (hash, id) of the last one, or None when the share is
        empty.

        Without ``parts``, ``key`` groups the lines (a company's contacts count together, and the share ends
        with the company that reaches it); with ``parts``, the share is cut into that many equal consecutive
        parts, and the list of the (hash, id) that ends each part is returned (None for an empty part).
        """
        hash_, id_ = key
        lines = SQL(
            """FROM sales_segment_line AS line
               JOIN res_partner AS partner ON partner.id = line.partner_id
              WHERE line.segment_id = %s AND line.active AND %s""",
            segment.id,
            where,
        )
        if not parts:
            rows = self.env.execute_query(
                SQL(
                    """SELECT hash, id FROM (
                           SELECT hash, id, SUM(contacts) OVER (ORDER BY hash, id) - contacts AS before,
                                  SUM(contacts) OVER () AS total
                             FROM (SELECT %(hash)s AS hash, %(id)s AS id, COUNT(*) AS contacts %(lines)s
                                    GROUP BY 1, 2) AS groups
                       ) AS ranked
                      WHERE before < ROUND(total * %(share)s / 100.0)
                      ORDER BY hash DESC, id DESC LIMIT 1""",
                    hash=hash_,
                    id=id_,
                    lines=lines,
                    share=share,
                )
            )
            return (bytes(rows[0][0]), rows[0][1]) if rows else None
        [(count,)] = self.env.execute_query(SQL("SELECT COUNT(*) %s", lines))
        size = percent_of(count, share)
        ends = [percent_of(size, 100 * part / parts) for part in range(1, parts + 1)]
        if not size:
            return [None] * parts
        keys = {
            rank: (bytes(hash_value), id_value)
            for rank, hash_value, id_value in self.env.execute_query(
                SQL(
                    """SELECT rank, hash, id FROM (
                           SELECT %(hash)s AS hash, %(id)s AS id, ROW_NUMBER() OVER (ORDER BY %(hash)s, %(id)s) AS rank
                           %(lines)s
                       ) AS ranked
                      WHERE rank = ANY(%(ends)s::bigint[])""",
                    hash=hash_,
                    id=id_,
                    lines=lines,
                    ends=[end for end in ends if end],
                )
            )
        }
        # a part that ends where the one before it ends is empty (fewer lines than versions)
        return [
            keys.get(end) if end and end != previous else None
            for end, previous in zip(ends, [0, *ends[:-1]], strict=True)
        ]

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
