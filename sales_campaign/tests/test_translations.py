import os

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader

I18N = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")
LANGUAGES = ("nl", "nb", "fr", "de")


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term of the module exists, translated, in Dutch, Norwegian, French and German."""

    def read(self, filename):
        with open(os.path.join(I18N, filename), "rb") as handle:
            return {(entry["type"], entry["name"], entry["res_id"], entry["src"]): entry["value"] for entry in PoFileReader(handle)}

    def test_po_files_cover_the_pot(self):
        template = self.read("sales_campaign.pot")
        self.assertGreater(len(template), 500)
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                translations = self.read(f"{lang}.po")
                missing = sorted(key[3] for key in template if not translations.get(key))
                self.assertFalse(missing, f"{lang}.po misses {len(missing)} terms, e.g. {missing[:5]}")

    def test_dutch_terms_reach_the_user(self):
        self.env["res.lang"]._activate_lang("nl_NL")
        self.env["ir.module.module"].search([("name", "=", "sales_campaign")])._update_translations(["nl_NL"])
        field = self.env["ir.model.fields"]._get("sales.campaign", "stat_response_rate")
        self.assertNotEqual(field.with_context(lang="nl_NL").field_description, field.field_description)
        menu = self.env.ref("sales_campaign.sales_campaign_menu_logged_segment").with_context(lang="nl_NL")
        self.assertNotEqual(menu.name, "Logged Segments")
