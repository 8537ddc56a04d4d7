import logging
import re

import psycopg2.errors
from markupsafe import Markup
from werkzeug.urls import url_encode

from odoo import Command, api, fields, models
from odoo.osv import expression
from odoo.tools import consteq, email_normalize, hmac
from odoo.tools.mail import mail_header_msgid_re

from .sales_interaction_log import AUTOMATIC_SOURCES

# Scopes of the signatures in the links of campaign e-mails (``odoo.tools.hmac``): a tracked link names its
# interaction, an unsubscribe link its interaction and the address it was sent to.
CLICK_SCOPE = "sales_campaign-interaction-click"
UNSUBSCRIBE_SCOPE = "sales_campaign-interaction-unsubscribe"
# RFC 3834 auto-responses (out of office, vacation): headers that mark them, and the Precedence values of
# messages that are no personal answer. Odoo 18 detects bounces itself but not auto-replies.
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoreply-From")
AUTO_PRECEDENCES = ("auto_reply", "bulk", "junk")


_logger = logging.getLogger(__name__)


def _is_record_id(value):
    """Whether ``value`` (from a link's path) can be a record's id: a number PostgreSQL's integer holds."""
    return isinstance(value, int) and 0 < value < 2**31


def _signs(signature, token):
    """Whether ``token`` (from a link) is ``signature``, compared in constant time; a token that is no
    signature at all (not text, or not ASCII, which ``consteq`` refuses to compare) is simply not it."""
    return isinstance(token, str) and token.isascii() and consteq(signature, token)


def is_auto_reply(message):
    """Whether the incoming ``email.message.EmailMessage`` is an automatic answer (RFC 3834), not a person's."""
    auto_submitted = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(message.get(header) for header in AUTO_REPLY_HEADERS):
        return True
    if str(message.get("Precedence") or "").strip().lower() in AUTO_PRECEDENCES:
        return True
    # Auto-responders send with an empty envelope sender (RFC 3834, 3.3), as bounces do; people never do.
    return str(message.get("Return-Path") or "").strip() == "<>"


class SalesInteractionLog(models.Model):
    """What the contacts do with the campaign's e-mails and documents, found by the system: replies through
    the mail gateway, clicks on tracked links, unsubscribes, and leads and orders of the targets, recorded as
    response interactions."""

    _inherit = "sales.interaction.log"

    @api.model
    def _register_responses(self, candidates):
        """Record the responses the system found as response interactions of the campaign.

        :param candidates: ``[(answered, source, values)]``: the campaign interaction answered (the e-mail
            replied to or clicked, the target's interaction for a lead or an order), the source (``reply``,
            ``click``, ``lead``, ``order``) and the response's own values (``date``, ``description``,
            ``subject``, ``reply_message_id``, ``opportunity_id``, ``order_id``, ...)
        :return: the response interactions created

        How they count (``sales.campaign._get_statistics`` reads it through the campaign analysis):

        - a contact gets at most one response of each of these sources per campaign: a second reply, click,
          lead or order of the same contact is not recorded again (a unique index holds it against parallel
          workers);
        - the contact's first response counts in the response rate; a later one of a contact who has
          already responded to the campaign (a reply, then an order; or a response logged by hand, then a
          reply) is recorded with its source, so the statistics show where the responses came from, but it
          is a *Repeated Response* and does not count again (``repeated_response_sql``: cancel the first, and
          the next one counts);
        - responses logged by hand (a segment with Campaign Response, or from a contact) count one each, as
          Business Central counts its interaction entries.

        A campaign without a response template records none: its replies stay on the e-mails they answer
        (``replied_date``, ``reply_message_id``), the campaign shows them as replies without a response
        template, and *Register Responses* records them once a template is set.
        """
        candidates = [
            candidate
            for candidate in candidates
            if candidate[0].campaign_id.response_template_id and not candidate[0].cancelled
        ]
        if not candidates:
            return self.browse()
        # sudo: responses are the system's record of what the campaign's contacts did (the mail gateway, a
        # visitor's click, a salesperson's order); they are created for the interactions found, nothing else.
        Log = self.sudo()
        answered = Log.union(*(candidate[0] for candidate in candidates))
        Log.flush_model(["campaign_id", "partner_id", "response_source", "campaign_response", "cancelled"])
        taken = {
            (campaign.id, partner.id, source)
            for campaign, partner, source in Log._read_group(
                [
                    ("campaign_id", "in", answered.campaign_id.ids),
                    ("partner_id", "in", answered.partner_id.ids),
                    ("response_source", "in", AUTOMATIC_SOURCES),
                ],
                ["campaign_id", "partner_id", "response_source"],
            )
        }
        vals_list = []
        for entry, source, values in candidates:
            campaign, partner = entry.campaign_id, entry.partner_id
            template = campaign.response_template_id
            if (campaign.id, partner.id, source) in taken:
                continue
            if template.company_id and template.company_id != entry.company_id:
                _logger.info(
                    "Response of %s to %s not recorded: template %s is another company's",
                    partner.id,
                    campaign.number,
                    template.code,
                )
                continue
            taken.add((campaign.id, partner.id, source))
            vals = {
                "partner_id": partner.id,
                "company_id": entry.company_id.id,
                "date": values.get("date") or fields.Datetime.now(),
                "template_id": template.id,
                "description": values.get("description") or template.name,
                "subject": values.get("subject") or False,
                "lang": entry.lang or False,
                "correspondence_type": values.get("correspondence_type") or False,
                "campaign_id": campaign.id,
                "campaign_target": False,
                "campaign_response": True,
                "user_id": entry.user_id.id,
                "answered_interaction_id": entry.id,
                "response_source": source,
            }
            for fname in ("reply_message_id", "reply_email_from", "reply_other_address", "opportunity_id", "order_id"):
                if values.get(fname):
                    vals[fname] = values[fname]
            vals_list.append(vals)
        return Log._create_responses(vals_list)

    def _create_responses(self, vals_list):
        """``_create_process`` of responses, skipping those another transaction recorded in the meantime."""
        if not vals_list:
            return self.browse()
        try:
            with self.env.cr.savepoint():
                return self._create_process(vals_list)
        except psycopg2.errors.UniqueViolation:
            created = self.browse()
            for vals in vals_list:
                try:
                    with self.env.cr.savepoint():
                        created |= self._create_process([vals])
                except psycopg2.errors.UniqueViolation:
                    _logger.info("Response already recorded by another transaction: %s", vals.get("description"))
            return created

    @api.model
    def _find_answered_email(self, message_dict):
        """The campaign e-mail an incoming message answers: the interaction whose Message-Id its In-Reply-To
        or References name (the last one Odoo's routing would take too)."""
        references = f"{message_dict.get('references') or ''} {message_dict.get('in_reply_to') or ''}"
        message_ids = [re.sub(r"[\r\n\t ]+", "", ref) for ref in mail_header_msgid_re.findall(references)][-32:]
        if not message_ids:
            return self.browse()
        # sudo: the mail gateway looks the answered e-mail up, whoever runs it
        return self.sudo().search(
            [("message_id", "in", message_ids), ("campaign_id", "!=", False), ("cancelled", "=", False)],
            order="id desc",
            limit=1,
        )

    @api.model
    def _register_reply(self, message, message_dict):
        """A reply to a campaign e-mail came in through the mail gateway (after Odoo posted it on the
        contact's thread): the e-mail keeps its first reply, and the contact's response is recorded.

        Bounces never get here (Odoo's routing stops them, see ``_routing_handle_bounce``); automatic answers
        (out of office, RFC 3834) are left alone: they are no response.
        """
        answered = self._find_answered_email(message_dict)
        if not answered:
            return self.browse()
        if is_auto_reply(message):
            _logger.info(
                "Automatic answer %s to campaign e-mail %s: not a response",
                message_dict.get("message_id"),
                answered.message_id,
            )
            return self.browse()
        # sudo: the message Odoo's routing just posted for this very e-mail, whoever runs the gateway
        reply = (
            self.env["mail.message"]
            .sudo()
            .search([("message_id", "=", message_dict.get("message_id"))], order="id", limit=1)
        )
        # When it arrived: the Date header is the sender's to write (a reply "from 2099" is not one).
        date = fields.Datetime.now()
        if not answered.replied_date:
            answered._write_process({"replied_date": date, "reply_message_id": reply.id})
        values = answered._reply_values(reply, message_dict.get("email_from"), message_dict.get("subject"), date)
        return self._register_responses([(answered, "reply", values)])

    def _reply_values(self, reply, email_from, subject, date):
        """The values of the response recording ``reply`` (a ``mail.message``) to this campaign e-mail."""
        self.ensure_one()
        email_from = email_from or ""
        other_address = bool(email_from) and email_normalize(email_from) != self.partner_id.email_normalized
        subject = subject or self.subject or ""
        env = self._user_env()
        if other_address:
            description = env._(
                "Reply from %(address)s (not the contact's address): %(subject)s", address=email_from, subject=subject
            )
        else:
            description = env._("Reply: %(subject)s", subject=subject)
        return {
            "date": date,
            "description": description[:250],
            "subject": subject,
            "correspondence_type": "email",
            "reply_message_id": reply.id,
            "reply_email_from": email_from,
            "reply_other_address": other_address,
        }

    def _user_env(self):
        """The environment in the language of the interaction's salesperson, for the descriptions the system
        writes (the mail gateway and the website run in no user's language)."""
        return self.with_context(lang=self.user_id.lang or self.company_id.partner_id.lang or self.env.lang).env

    @api.model
    def _click_token(self, interaction_id):
        """The signature of the tracked links of an interaction's e-mail (``odoo.tools.hmac``, as Email
        Marketing signs its links)."""
        return hmac(self.env(su=True), CLICK_SCOPE, int(interaction_id))

    @api.model
    def _unsubscribe_token(self, interaction_id, email):
        """The signature of the unsubscribe links of an interaction's e-mail sent to ``email``."""
        return hmac(self.env(su=True), UNSUBSCRIBE_SCOPE, (int(interaction_id), email))

    @api.model
    def _unsubscribe_urls(self, base_url, interaction_id, email):
        """The unsubscribe page and the one-click unsubscribe (RFC 8058) of an e-mail sent to ``email``."""
        query = url_encode({"email": email, "token": self._unsubscribe_token(interaction_id, email)})
        return (
            f"{base_url}/sales_campaign/unsubscribe/{interaction_id}?{query}",
            f"{base_url}/sales_campaign/unsubscribe/{interaction_id}/one-click?{query}",
        )

    @api.model
    def _get_by_click_token(self, interaction_id, token):
        """The interaction of a tracked link, if ``token`` is its signature (else nothing: a click cannot be
        put on another interaction by editing the link)."""
        if not _is_record_id(interaction_id) or not _signs(self._click_token(interaction_id), token):
            return self.browse()
        # sudo: the signature proves the link is the one sent with this interaction's e-mail
        return self.sudo().browse(int(interaction_id)).exists()

    @api.model
    def _get_by_unsubscribe_token(self, interaction_id, email, token):
        """The interaction of an unsubscribe link, if ``token`` signs it and ``email`` (the address it was sent
        to: another address cannot be unsubscribed by editing the link)."""
        if not isinstance(email, str) or not _is_record_id(interaction_id):
            return self.browse()
        if not _signs(self._unsubscribe_token(interaction_id, email), token):
            return self.browse()
        # sudo: the signature proves the link is the one sent to ``email`` with this interaction's e-mail
        return self.sudo().browse(int(interaction_id)).exists()

    def _register_click(self):
        """A contact clicked a tracked link of this interaction's e-mail: the first click is recorded on the
        interaction, and is the contact's response when the campaign counts clicks as responses."""
        self.ensure_one()
        if self.cancelled or self.clicked_date:
            return self.browse()
        now = fields.Datetime.now()
        self._write_process({"clicked_date": now})
        if not self.campaign_id.click_is_response:
            return self.browse()
        return self._register_responses([(self, "click", self._click_values(now))])

    def _click_values(self, date):
        self.ensure_one()
        return {
            "date": date,
            "description": self._user_env()._("Clicked a link: %(subject)s", subject=self.subject or "")[:250],
        }

    def _unsubscribe_page_lang(self):
        """The language of the unsubscribe page: the contact's, else the e-mail's, else the company's."""
        self.ensure_one()
        installed = dict(self.env["res.lang"].get_installed())
        for lang in (self.partner_id.lang, self.lang, self.company_id.partner_id.lang):
            if lang in installed:
                return lang
        return "en_US"

    @api.model
    def _is_blacklisted(self, email):
        # sudo: whether this one address (from a signed link) is blacklisted, for its owner
        return bool(self.env["mail.blacklist"].sudo().search_count([("email", "=", email_normalize(email) or email)]))

    def _unsubscribe(self, email, mailing_group=None):
        """The contact of this interaction unsubscribes ``email`` (blacklisted: no more e-mails from any
        segment), or leaves ``mailing_group``; the interaction records it for the campaign statistics."""
        self.ensure_one()
        env = self._user_env()
        if mailing_group:
            # sudo: the visitor is the contact (signed link); only their membership of this group changes
            self.partner_id.sudo().write({"mailing_group_ids": [Command.unlink(mailing_group.id)]})
            detail = env._("Mailing group %(group)s", group=mailing_group.display_name)
        else:
            # sudo: the visitor owns the address (signed link); only this address is blacklisted
            self.env["mail.blacklist"].sudo()._add(
                email,
                message=Markup("<p>%s</p>")
                % env._(
                    "Unsubscribed from the e-mail of interaction %(entry)s (campaign %(campaign)s).",
                    entry=self.id,
                    campaign=self.campaign_id.display_name or "-",
                ),
            )
            detail = env._("All e-mails (blacklisted)")
        vals = {"unsubscribe_detail": detail}
        if not self.unsubscribed_date:
            vals["unsubscribed_date"] = fields.Datetime.now()
        self._write_process(vals)
        return True

    @api.model
    def _register_document_responses(self, documents, source, campaigns_per_document=None):
        """Leads (``source`` "lead") or confirmed sales orders ("order") carrying a campaign's UTM campaign
        are responses of the campaign's targets: of the document's contact when it was a target, else of the
        target with the document's e-mail address (a web form's lead has no contact yet), else of the latest
        target of the document's company.

        :param campaigns_per_document: {document: sales.campaign records}, the campaigns each document is a
            response to, when they are not only the one of its UTM campaign (an order counts for the campaigns
            that priced its lines too)
        """
        # sudo: whoever creates the lead or confirms the order, the response is the campaign's record
        documents = documents.sudo()
        Campaign = self.env["sales.campaign"].sudo().with_context(active_test=False)
        if campaigns_per_document is None:
            utm_campaigns = documents.campaign_id
            if not utm_campaigns:
                return self.browse()
            by_utm = {
                campaign.utm_campaign_id: campaign
                for campaign in Campaign.search(
                    [("utm_campaign_id", "in", utm_campaigns.ids), ("response_template_id", "!=", False)]
                )
            }
            campaigns_per_document = {document: by_utm.get(document.campaign_id, Campaign) for document in documents}
        # sudo: the responses are the campaign's record of what its targets did, whoever created the lead or
        # confirmed the order (a salesperson, a website visitor)
        pairs = [
            (document.sudo(), campaign)
            for document, campaigns in campaigns_per_document.items()
            for campaign in campaigns.sudo()
            if campaign.response_template_id
        ]
        if not pairs:
            return self.browse()
        campaigns = Campaign.union(*(campaign for _document, campaign in pairs))
        documents = documents.browse().union(*(document for document, _campaign in pairs))

        def email_of(document):
            return document.partner_id.email_normalized or (source == "lead" and document.email_normalized) or False

        emails = list({email_of(document) for document in documents} - {False})
        # sudo: the targets of these campaigns, to find the one who responded; nothing of them is shown
        targets = self.sudo().search(
            expression.AND(
                [
                    [("campaign_id", "in", campaigns.ids), ("campaign_target", "=", True), ("cancelled", "=", False)],
                    expression.OR(
                        [
                            [("partner_id", "in", documents.partner_id.ids)],
                            [("company_partner_id", "in", documents.partner_id.commercial_partner_id.ids)],
                            [("partner_id.email_normalized", "in", emails)] if emails else expression.FALSE_DOMAIN,
                        ]
                    ),
                ]
            ),
            order="date desc, id desc",
        )
        candidates = []
        for document, campaign in pairs:
            of_campaign = targets.filtered(lambda entry: entry.campaign_id == campaign)
            email = email_of(document)
            partner = document.partner_id
            target = (
                (partner and of_campaign.filtered(lambda entry: entry.partner_id == partner)[:1])
                or (email and of_campaign.filtered(lambda entry: entry.partner_id.email_normalized == email)[:1])
                or (
                    partner
                    and of_campaign.filtered(lambda entry: entry.company_partner_id == partner.commercial_partner_id)[
                        :1
                    ]
                )
            )
            if not target:
                continue
            env = target._user_env()
            if source == "lead":
                values = {
                    "date": document.create_date,
                    "description": env._("Lead: %(name)s", name=document.name)[:250],
                    "opportunity_id": document.id
                    if document.company_id in (target.company_id, self.env["res.company"])
                    else False,
                }
            else:
                values = {
                    "date": document.date_order,
                    "description": env._("Sales order %(name)s", name=document.name)[:250],
                    "order_id": document.id,
                }
            candidates.append((target, source, values))
        return self._register_responses(candidates)
