"""The web client serves the login page, and the demo users find the Campaigns app with its demo data."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    def test_login_page_is_served(self):
        response = self.url_open("/web/login")
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="login"', response.text)

    def _menu_names(self, login):
        self.authenticate(login, login)
        menus = self.url_open("/web/webclient/load_menus/1").json()
        return {menu["name"] for menu in menus.values() if isinstance(menu, dict) and menu.get("name")}

    def test_staff_and_manager_see_the_campaigns_app_in_their_language(self):
        expected = {
            "marketing.staff": ("Campagnes", "Modèles d'interaction", "Responsabilités"),  # Swiss French
            "marketing.manager": ("Campagnes", "Interactiesjablonen", "Functiegroepen"),  # Dutch
            "admin": ("Campaigns", "Interaction Templates", "Job Responsibilities"),
        }
        for login, names in expected.items():
            with self.subTest(login=login):
                menus = self._menu_names(login)
                for name in names:
                    self.assertIn(name, menus)

    def test_demo_users_land_in_the_campaigns(self):
        action = self.env.ref("sales_campaign.sales_campaign_action")
        for login in ("marketing.staff", "marketing.manager"):
            with self.subTest(login=login):
                self.assertEqual(self.env["res.users"].search([("login", "=", login)]).action_id.id, action.id)

    def test_campaign_list_shows_the_demo_campaign(self):
        self.authenticate("marketing.staff", "marketing.staff")
        result = self.make_jsonrpc_request(
            "/web/dataset/call_kw/sales.campaign/web_search_read",
            {
                "model": "sales.campaign",
                "method": "web_search_read",
                "args": [],
                "kwargs": {
                    "domain": [],
                    "specification": {"number": {}, "title": {}, "status_id": {"fields": {"display_name": {}}}},
                },
            },
        )
        numbers = {record["number"] for record in result["records"]}
        self.assertIn("XMAS-2025", numbers)
