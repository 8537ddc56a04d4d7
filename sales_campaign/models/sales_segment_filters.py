"""The filters of segment steps (Business Central's Add, Reduce and Refine Contacts): which contacts they match.

The criteria of a step (filter groups, a contact filter written with Odoo's domain editor, options) are
checked and bounded, then turned into one SQL query of the contacts the user may read, record rules
included; the steps (``sales_segment_steps.py``) run that query set-wise.
"""

import ast
import datetime
import math
import time
from types import SimpleNamespace

import pytz
from dateutil.relativedelta import relativedelta
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

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
MAX_DOMAIN_DEPTH = 20  # nesting of lists, tuples and expressions in the contact filter (a domain needs 3)
# What the contact filter may contain besides literals, lists, tuples, + and -: the names, attributes and calls
# of the expressions Odoo's domain editor writes (uid, "today", "N days ago" on dates and datetimes).
DOMAIN_NAMES = {"uid", "context_today", "datetime", "relativedelta", "time"}
DOMAIN_ATTRIBUTES = {"datetime", "date", "time", "timedelta", "combine", "now", "today", "strftime", "to_utc"}
DOMAIN_OPERATORS = ("&", "|", "!")
# Database errors a filter's values cause (a number out of range, an impossible date, a value of the wrong
# type): the user's filter is wrong, not the server.
FILTER_VALUE_ERRORS = (pg_errors.DataError, pg_errors.UndefinedFunction, pg_errors.DatatypeMismatch)


class SalesSegment(models.Model):
    _inherit = "sales.segment"

    @api.model
    def _segment_base_domain(self):
        """The contacts a segment may hold: persons and companies, not addresses, colleagues or ourselves."""
        # sudo: only the ids of the companies' own partners are read, to leave them out.
        own_partners = self.env["res.company"].sudo().search([]).partner_id  # pylint: disable=no-search-all
        return [("type", "=", "contact"), ("partner_share", "=", True), ("id", "not in", own_partners.ids)]

    @api.model
    def _criteria_has_filters(self, criteria):
        return bool(any(criteria.get(key) for key in FILTER_GROUPS) or self._criteria_partner_domain(criteria))

    @api.model
    def _check_criteria(self, action, criteria):
        """The criteria of a step, checked: returns a clean copy, or raises a ``UserError`` that says what is wrong.

        Criteria come from the wizard but also from saved criteria and history steps, which users can edit:
        each filter group must be a list of record ids, the options a dict of the step's own options with
        true or false, and the contact filter a text of bounded length that passes ``_criteria_partner_domain``.
        """
        if not isinstance(criteria, dict):
            raise UserError(self.env._("These criteria are not valid: %(criteria)s", criteria=str(criteria)[:200]))
        # Filter groups of other modules (see _extra_criteria_labels) are theirs to check.
        extra_keys = set(self.env["sales.segment.history"]._extra_criteria_labels())
        clean = {}
        for key, value in criteria.items():
            if key in FILTER_GROUPS:
                if value:
                    clean[key] = self._check_criteria_ids(key, value)
            elif key == "partner_domain":
                if value in (None, False, ""):
                    continue
                if not isinstance(value, str):
                    raise UserError(self.env._("The contact filter must be a text."))
                clean[key] = value
            elif key == "options":
                if value:
                    clean[key] = self._check_criteria_options(action, value)
            elif key in extra_keys:
                clean[key] = value
            else:
                raise UserError(self.env._("%(filter)s is not a filter of a segment step.", filter=str(key)[:100]))
        self._criteria_partner_domain(clean)  # a contact filter that cannot be used is refused now
        return clean

    @api.model
    def _check_criteria_ids(self, key, value):
        """A filter group of the criteria: a bounded list of record ids."""
        if not isinstance(value, list) or not all(type(rid) is int and 0 < rid <= MAX_RECORD_ID for rid in value):
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
        return list(value)

    @api.model
    def _check_criteria_options(self, action, value):
        """The options of a step: its own options, each true or false; the true ones are kept."""
        if not isinstance(value, dict):
            raise UserError(self.env._("The options of a step must be a list of options and values."))
        known_options = ADD_OPTIONS if action == "add" else REMOVE_OPTIONS
        for option, flag in value.items():
            if option not in known_options:
                raise UserError(self.env._("%(option)s is not an option of this step.", option=str(option)[:100]))
            if not isinstance(flag, bool):
                raise UserError(self.env._("Option %(option)s must be true or false.", option=option))
        return {option: True for option, flag in value.items() if flag}

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
        tree = self._parse_partner_domain(text)
        forbidden = _forbidden_domain_node(tree)
        if forbidden is not None:
            part = ast.get_source_segment(text, forbidden) or type(forbidden).__name__
            if len(part) > 60:
                part = part[:57] + "..."
            raise UserError(self.env._("The contact filter may not contain %(part)s.", part=part))
        try:
            domain = safe_eval(text, self._criteria_eval_context())
        except Exception as error:
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
    def _parse_partner_domain(self, text):
        """The syntax tree of a contact filter's text, or a ``UserError`` for a text that is none."""
        try:
            tree = ast.parse(text, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            raise UserError(self.env._("The contact filter is not a valid filter: %(error)s", error=error)) from error
        if _nesting_depth(tree) > MAX_DOMAIN_DEPTH:
            raise UserError(
                self.env._(
                    "The contact filter is nested more than %(max)s levels deep: it is not a filter.",
                    max=MAX_DOMAIN_DEPTH,
                )
            )
        return tree

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
        return SQL(
            "(SELECT entry.partner_id FROM sales_interaction_log AS entry WHERE %s)", SQL(" AND ").join(conditions)
        )

    def _criteria_query(self, criteria, extra_domain=()):
        """The contacts matching ``criteria`` that the current user may read, as a ``Query`` on ``res_partner``.

        Archived contacts never match, whatever the caller's context says (``active_test``).
        """
        Partner = self.env["res.partner"].with_context(active_test=True)
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


def _nesting_depth(tree):
    """How deeply the nodes of a syntax tree are nested, walked without recursion (a crafted filter nested a
    thousand levels deep must get a message, not a RecursionError)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


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
        if not isinstance(node.func, (ast.Name, ast.Attribute)) or any(
            keyword.arg is None for keyword in node.keywords
        ):
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
