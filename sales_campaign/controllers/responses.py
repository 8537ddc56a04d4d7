from werkzeug.exceptions import BadRequest, Forbidden, NotFound
from werkzeug.urls import url_encode

from odoo import http
from odoo.http import request


class SalesCampaignResponses(http.Controller):
    """What the contacts of a campaign do with its e-mails, without an account: click its links, unsubscribe.

    Every input comes from a link the contact received: the interaction and the signature are checked before
    anything happens (``sales.interaction.log._get_by_click_token``, ``_get_by_unsubscribe_token``), so an
    edited link neither puts a click on another interaction nor unsubscribes another address.
    """

    @http.route("/r/<string:code>/c/<int:interaction_id>/<string:token>", type="http", auth="public", methods=["GET"])
    def campaign_link(self, code, interaction_id, token, **kwargs):
        """A tracked link of a campaign e-mail: the click counts for the link (as Odoo's ``/r/<code>``) and,
        signed, for the interaction of the e-mail; then on to the link's page with the campaign's UTM."""
        entry = request.env["sales.interaction.log"]._get_by_click_token(interaction_id, token)
        if not request.env["ir.http"].is_a_bot():
            # sudo: visitors record their clicks, as through link_tracker's own route
            click = (
                request.env["link.tracker.click"]
                .sudo()
                .add_click(
                    code,
                    ip=request.httprequest.remote_addr,
                    country_code=request.geoip.country_code,
                    sales_interaction_id=entry.id,
                )
            )
            if click and entry:
                entry._register_click()
        redirect_url = request.env["link.tracker"].get_url_from_code(code)
        if not redirect_url:
            raise NotFound()
        # 302, not link_tracker's 301: a browser must not skip the tracker the next time
        return request.redirect(redirect_url, code=302, local=False)

    def _unsubscribe_entry(self, interaction_id, email, token):
        entry = request.env["sales.interaction.log"]._get_by_unsubscribe_token(interaction_id, email, token)
        if not entry:
            raise Forbidden()
        return entry

    @http.route("/sales_campaign/unsubscribe/<int:interaction_id>", type="http", auth="public", methods=["GET", "POST"])
    def unsubscribe(self, interaction_id, email=None, token=None, choice=None, **kwargs):
        """The unsubscribe page, in the contact's language: it asks (GET; link checkers of mailbox providers
        open links, they must not unsubscribe anyone), and does what the contact chose (POST, from the page's
        form, with Odoo's CSRF token): blacklist the address, or leave one of the contact's mailing groups."""
        entry = self._unsubscribe_entry(interaction_id, email, token)
        partner = entry.partner_id  # sudo (the signed interaction): only what the page shows is read
        lang = entry._unsubscribe_page_lang()
        request.update_context(lang=lang)
        groups = partner.mailing_group_ids.with_context(lang=lang)
        done = done_group = False
        if request.httprequest.method == "POST":
            if choice == "blacklist":
                entry._unsubscribe(email)
                done = "blacklist"
            else:
                group = groups.filtered(lambda group: choice == f"group-{group.id}")
                if not group:
                    raise BadRequest()
                entry._unsubscribe(email, group)
                done, done_group = "group", group.name
        values = {
            "entry": entry,
            "email": email,
            "token": token,
            "partner_name": partner.name,
            "groups": partner.mailing_group_ids.with_context(lang=lang),
            "blacklisted": entry._is_blacklisted(email),
            "done": done,
            "done_group": done_group,
            "action_url": f"/sales_campaign/unsubscribe/{entry.id}",
            "html_lang": lang.replace("_", "-"),
        }
        return request.render("sales_campaign.unsubscribe_page", values)

    # csrf=False: RFC 8058 has the mailbox provider POST to the List-Unsubscribe address on the user's behalf,
    # without the session (hence without a CSRF token) of a browser. The signature in the address, bound to the
    # interaction and to the e-mail address, is what authorises it: a forged cross-site POST can only do what
    # the holder of that e-mail's link may do anyway.
    @http.route(
        "/sales_campaign/unsubscribe/<int:interaction_id>/one-click",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
    )
    def unsubscribe_one_click(self, interaction_id, email=None, token=None, **post):
        """RFC 8058 one-click unsubscribe: the POST ``List-Unsubscribe=One-Click`` blacklists the address at
        once, without a page; a GET (an older mail client following the header) gets the page instead."""
        entry = self._unsubscribe_entry(interaction_id, email, token)
        if request.httprequest.method == "GET":
            query = url_encode({"email": email, "token": token})
            return request.redirect(f"/sales_campaign/unsubscribe/{entry.id}?{query}", code=303)
        if post.get("List-Unsubscribe") != "One-Click":
            raise BadRequest()
        entry._unsubscribe(email)
        return request.make_response("", status=200)
