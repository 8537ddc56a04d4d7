"""The steps of a segment: Add, Reduce and Refine Contacts, lines added or removed by hand, and Go Back.

Lines are added and removed set-wise in SQL (segments of 100,000 contacts are normal). A removed line is
archived with the step that removed it, and each line remembers the step that added it, so that Go Back
restores a step exactly (lines come back with their manual edits) with two statements. The steps of one
segment run one after the other (``_lock_steps``).
"""

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL


class SalesSegment(models.Model):
    _inherit = "sales.segment"

    def _check_draft(self):
        for segment in self:
            if segment.state != "draft":
                raise UserError(
                    self.env._("Segment %(segment)s is logged: its lines can no longer change.", segment=segment.name)
                )

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
        step = History._create_step(
            {
                "segment_id": self.id,
                "sequence": sequence or self._next_step_number(),
                "action": action,
                "criteria": criteria,
                "description": History._describe_criteria(action, criteria),
                **counts,
            }
        )
        self.invalidate_recordset(["history_ids", "history_count"])
        return step

    def _next_step_number(self):
        """The number of the segment's next step; unique as long as it is taken under ``_lock_steps``."""
        self.ensure_one()
        # sudo: the number counts every step of the segment, whatever record rules would show of them (a step
        # not yet given its company, say); only the maximum of a segment the caller may write is read.
        History = self.env["sales.segment.history"].sudo()
        [[last]] = History._read_group([("segment_id", "=", self.id)], [], ["sequence:max"])
        return (last or 0) + 1

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
            expanded = SQL(
                "(SELECT commercial_partner_id FROM res_partner WHERE id IN %s UNION %s)", expanded, expanded
            )
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
        return self._go_back()

    def _go_back(self, expected_step=None):
        """Undo the segment's last step; ``expected_step``: the step the user was shown (Go Back's dialog),
        refused when another step came since."""
        self.ensure_one()
        self._lock_steps()
        step = self.env["sales.segment.history"].search(
            [("segment_id", "=", self.id)], order="sequence desc, id desc", limit=1
        )
        if not step:
            raise UserError(self.env._("Segment %(segment)s has no step to go back to.", segment=self.name))
        if expected_step is not None and step != expected_step:
            raise UserError(
                self.env._(
                    "Segment %(segment)s changed meanwhile: its last step is now %(step)s. Open Go Back again.",
                    segment=self.name,
                    step=step.display_name,
                )
            )
        self.env["sales.segment.line"].flush_model()
        self.env.cr.execute(
            SQL("DELETE FROM sales_segment_line WHERE segment_id = %s AND added_step = %s", self.id, step.sequence)
        )
        self.env.cr.execute(
            SQL(
                """UPDATE sales_segment_line SET active = TRUE, removed_step = NULL
                    WHERE segment_id = %s AND removed_step = %s""",
                self.id,
                step.sequence,
            )
        )
        self._lines_changed()
        description = step.display_name
        step._unlink_step()
        return self._notify(self.env._("Went back before step %(step)s.", step=description))

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
