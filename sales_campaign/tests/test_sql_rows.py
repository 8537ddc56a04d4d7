"""Rows the module writes in SQL are the rows the ORM writes.

Segments of 100,000 contacts are normal, so the steps insert and update segment lines and the log inserts its
interactions set-wise in SQL. SQL skips what the ORM does by itself: field defaults, stored computed fields
(an interaction's ``response_source``, ``company_partner_id``, ``group_id``). Each test here takes rows written
by a fast path and creates their twins through the ORM (``create`` with sudo, as the module's processes do) from
the values the fast path decides; then every stored column of both rows must be equal, whatever fields the models
gain later.
"""

from unittest.mock import patch

from odoo.tests import Form, tagged
from odoo.tools import SQL

from .common import SalesSegmentCommon

# Columns that differ between any two rows.
SKIPPED_COLUMNS = {"id", "create_date", "write_date"}
# What logging decides for each interaction (other tests check these values), with LOG_OVERRIDES below; everything
# else, stored computed fields and defaults included, must come out of the INSERT as the ORM gives it for them.
LOG_DECIDES = (
    "partner_id",
    "company_id",
    "date",
    "template_id",
    "description",
    "subject",
    "lang",
    "correspondence_type",
    "campaign_id",
    "campaign_target",
    "campaign_response",
    "segment_id",
    "logged_segment_id",
    "user_id",
    "delivery_status",
    "delivery_failure_reason",
    "cancelled",
    "campaign_control",
    "version_id",
    "ab_part",
)
# Values of the segment that a line with the segment's template logs instead of the template's.
LOG_OVERRIDES = ("information_flow", "initiated_by", "cost", "duration")
# What a step decides for each segment line: its own columns, and the header's defaults (``_sql_line_defaults``).
STEP_COLUMNS = ("active", "added_step")
STEP_DEFAULTS = (
    "user_id",
    "lang",
    "subject",
    "correspondence_type",
    "template_id",
    "campaign_id",
    "campaign_target",
    "campaign_response",
)


@tagged("post_install", "-at_install")
class TestSqlRows(SalesSegmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("nl_NL")
        cls.customer_it.lang = "nl_NL"
        cls.template.language_ids = [(0, 0, {"lang": "nl_NL", "subject": "Bedankt voor uw bezoek"})]
        cls.template.language_ids.body_html = "<p>Thank you.</p>"
        cls.letter = cls.env["sales.interaction.template"].create(
            {
                "code": "T-LETTER",
                "name": "Brochure letter",
                "group_id": cls.env.ref("sales_campaign.sales_interaction_group_letter").id,
                "correspondence_type": "hard_copy",
                "information_flow": "outbound",
                "initiated_by": "us",
                "unit_cost": 4.25,
                "unit_duration": 7.5,
                "language_ids": [(0, 0, {"lang": "en_US", "subject": "Our brochure", "body_html": "<p>Hi</p>"})],
            }
        )
        Template = cls.env["sales.interaction.template"].with_user(cls.manager)
        cls.response_template = Template.browse(
            Template.with_context(sales_quick_create_response=True).name_create("RESP")[0]
        )
        cls.no_email = cls.env["res.partner"].create(
            {
                "name": "Nina No-Mail",
                "parent_id": cls.customer_co.id,
                "job_responsibility_ids": [(6, 0, cls.resp_purchase.ids)],
            }
        )
        cls.env["mail.blacklist"]._add("carla@customer.example")

    # ------------------------------------------------------------------------------------------------

    def stored_columns(self, model):
        """Every column of ``model``'s table but those of SKIPPED_COLUMNS: fields added later are compared too."""
        return sorted(
            fname
            for fname, field in model._fields.items()
            if field.store and field.column_type and fname not in SKIPPED_COLUMNS
        )

    def raw_rows(self, model, where):
        """{id: {column: value}} of every stored column, as PostgreSQL holds it (NULL is not FALSE)."""
        self.env.flush_all()
        columns = self.stored_columns(model)
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE %s ORDER BY id",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL.identifier(model._table),
                where,
            )
        )
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in self.env.cr.fetchall()}

    def assert_same_rows(self, model, fast_rows, twin_ids, label):
        """The fast rows and their ORM twins (``twin_ids`` in the same order) hold the same values."""
        self.assertTrue(fast_rows, "there are rows to compare")
        twins = self.raw_rows(model, SQL("id = ANY(%s)", list(twin_ids)))
        for (fast_id, fast), twin_id in zip(fast_rows.items(), twin_ids, strict=True):
            with self.subTest(rows=label, partner=fast["partner_id"]):
                twin = twins[twin_id]
                self.assertEqual(
                    {column: (value, twin[column]) for column, value in fast.items() if value != twin[column]},
                    {},
                    f"(value written in SQL, value written by the ORM) of row {fast_id} and its twin {twin_id}",
                )

    def orm_values(self, model, row, fnames):
        return {fname: model._fields[fname].convert_to_write(row[fname] or False, model) for fname in fnames}

    # ------------------------------------------------------------------------------------------------
    # Interactions: the INSERT ... SELECT of logging
    # ------------------------------------------------------------------------------------------------

    def log(self, segment, **options):
        """Log ``segment`` through the log dialog as the staff; returns the logged segment and the interactions
        as the INSERT left them (before the e-mails and letters of the log change their status)."""
        Logged = self.env["sales.logged.segment"]
        insert = type(Logged)._insert_interactions
        inserted = {}

        def spy(logged, *args, **kwargs):
            count = insert(logged, *args, **kwargs)
            inserted.update(self.raw_rows(self.env["sales.interaction.log"], SQL("logged_segment_id = %s", logged.id)))
            return count

        form = Form(
            self.env["sales.segment.log.wizard"].with_user(self.staff).with_context(default_segment_id=segment.id)
        )
        for name, value in options.items():
            setattr(form, name, value)
        with patch.object(type(Logged), "_insert_interactions", spy):
            action = form.save().action_log()
        self.assertEqual(len(inserted), segment.line_count)
        return Logged.browse(action["params"]["next"]["res_id"]), inserted

    def assert_interactions_as_orm(self, inserted, label):
        """Create the twin of each inserted interaction through the ORM, as the module's processes do."""
        Log = self.env["sales.interaction.log"].with_user(self.staff).sudo()
        twins = Log._create_process([self.orm_values(Log, row, LOG_DECIDES) for row in inserted.values()])
        for twin, row in zip(twins, inserted.values(), strict=True):
            # The segment's own values over the template's (given in ``create``, they would keep the ORM from
            # computing the group, computed with them); and ``create`` files entries logged one by one under the
            # campaign's "single interactions" entry.
            twin._write_process(self.orm_values(Log, row, LOG_OVERRIDES + ("campaign_entry_id",)))
        Log.env.flush_all()  # as the user who logged, as the log's own transaction would
        self.assert_same_rows(Log, inserted, twins.ids, label)

    def staff_segment(self, template, **values):
        segment = self.new_segment(template_id=template.id, **values).with_user(self.staff)
        self.add(segment, job_responsibility_ids=self.resp_purchase | self.resp_it)
        return segment

    def test_logged_letters_and_emails_are_the_orm_rows(self):
        """Targets by e-mail and letter, a blacklisted address, a line without correspondence, a line with
        another template and header values that differ from the template's."""
        segment = self.staff_segment(self.template, campaign_id=self.campaign.id, campaign_target=True)
        segment.write({"unit_cost": 2.75, "information_flow": "inbound"})
        lines = {line.partner_id: line for line in segment.line_ids}
        self.assertEqual(
            set(lines), {self.customer_buyer, self.customer_it, self.prospect_buyer, self.no_email}, "the contacts"
        )
        lines[self.prospect_buyer].template_id = self.letter
        lines[self.customer_it].correspondence_type = False
        logged, inserted = self.log(segment, send_attachments=True, missing_email_as_hard_copy=True)
        rows = {row["partner_id"]: row for row in inserted.values()}
        self.assertEqual(
            {partner: rows[partner.id]["delivery_status"] for partner in lines},
            {
                self.customer_buyer: "blocked",
                self.customer_it: "not_applicable",
                self.prospect_buyer: "pending",
                self.no_email: "pending",
            },
        )
        self.assertEqual(rows[self.no_email.id]["correspondence_type"], "hard_copy", "a letter instead")
        self.assertTrue(all(row["campaign_target"] for row in rows.values()))
        self.assertEqual(logged.state, "done")
        self.assert_interactions_as_orm(inserted, "letters and e-mails")

    def test_logged_responses_are_the_orm_rows(self):
        """Responses logged the walkthrough's way: the RESP template and Campaign Response, by hand."""
        segment = self.staff_segment(self.response_template, campaign_id=self.campaign.id, campaign_response=True)
        _logged, inserted = self.log(segment)
        self.assert_interactions_as_orm(inserted, "responses")
        self.assertEqual({row["response_source"] for row in inserted.values()}, {"manual"}, "responses by hand")

    def test_logged_control_group_and_versions_are_the_orm_rows(self):
        """A log that draws a control group (a quarter of the targets: one company, whichever the draw takes
        first, leaving at least two contacts for the two versions) and tests two versions on all the others:
        control rows, and rows of each version."""
        segment = self.staff_segment(self.template, campaign_id=self.campaign.id, campaign_target=True)
        segment.write({"ab_test_share": 100})
        segment.action_add_version()
        segment.version_ids[1].text_ids.subject = "Version B"
        logged, inserted = self.log(segment, send_attachments=True, missing_email_as_hard_copy=True, control_share=25)
        rows = list(inserted.values())
        self.assertTrue(any(row["campaign_control"] for row in rows), "a control group")
        self.assertTrue(any(row["version_id"] for row in rows), "versions tested")
        for row in rows:
            if row["campaign_control"]:
                self.assertEqual(
                    (row["delivery_status"], row["correspondence_type"], row["cost"], row["campaign_target"]),
                    ("not_applicable", None, 0, False),
                )
            elif row["delivery_status"] != "not_applicable":
                self.assertEqual(row["ab_part"], "test")
        self.assertEqual(logged.control_share, 25)
        self.assert_interactions_as_orm(inserted, "control group and versions")

    def test_logged_without_campaign_or_sending_are_the_orm_rows(self):
        segment = self.staff_segment(self.letter, subject_default="Our brochure")
        _logged, inserted = self.log(segment, send_attachments=False)
        self.assertFalse(any(row["campaign_id"] for row in inserted.values()))
        self.assert_interactions_as_orm(inserted, "no campaign, nothing sent")

    # ------------------------------------------------------------------------------------------------
    # Segment lines: the INSERT of Add, the UPDATEs that re-default lines
    # ------------------------------------------------------------------------------------------------

    def assert_lines_as_orm(self, lines, label):
        """Create the twin of each line through the ORM (the module's ``create`` with sudo, then the values the
        step decided written through ``write``, which recomputes what depends on them)."""
        Line = self.env["sales.segment.line"]
        fast_rows = self.raw_rows(Line, SQL("id = ANY(%s)", lines.ids))
        twins = Line.browse()
        for row in fast_rows.values():
            twin = Line.sudo().create({"segment_id": row["segment_id"], "partner_id": row["partner_id"]})
            twin._write_step_columns(self.orm_values(Line, row, STEP_COLUMNS))
            twin.write(self.orm_values(Line, row, STEP_DEFAULTS))
            twins |= twin
        self.assert_same_rows(Line, fast_rows, twins.ids, label)

    def test_added_lines_are_the_orm_rows(self):
        segment = self.staff_segment(
            self.template, campaign_id=self.campaign.id, campaign_target=True, user_id=self.manager.id
        )
        self.assertEqual(segment.line_count, 4)
        self.assert_lines_as_orm(segment.line_ids, "Add")

    def test_lines_given_the_header_values_again_are_the_orm_rows(self):
        segment = self.staff_segment(self.template)
        # The banner's Update Lines after a new template, campaign and salesperson (``_apply_line_defaults``).
        segment.write(
            {
                "template_id": self.letter.id,
                "campaign_id": self.campaign.id,
                "campaign_response": True,
                "user_id": self.manager.id,
            }
        )
        self.assertTrue(segment.pending_line_update)
        segment.action_apply_line_defaults()
        self.assertEqual(set(segment.line_ids.mapped("template_id")), {self.letter})
        self.assert_lines_as_orm(segment.line_ids, "Update Lines")
        # A line added by hand takes the header's values (``_apply_segment_defaults``).
        line = (
            self.env["sales.segment.line"]
            .with_user(self.staff)
            .create({"segment_id": segment.id, "partner_id": self.prospect_seller.id})
        )
        self.assertEqual((line.template_id, line.campaign_id), (self.letter, self.campaign))
        self.assert_lines_as_orm(line, "a line added by hand")
