/** @odoo-module **/
import { registry } from "@web/core/registry";

/**
 * The unsubscribe page of a campaign e-mail, as the contact sees it in a browser (no account): in Dutch,
 * Jan leaves the newsletter only; in French, Camille unsubscribes the address from everything. The texts
 * are those the tests give the page's translations (tests/test_mail_responses.py).
 */
registry.category("web_tour.tours").add("sales_campaign_unsubscribe_nl", {
    steps: () => [
        {
            content: "The page speaks Dutch and names the address",
            trigger: "html[lang='nl-NL'] .o_sales_campaign_unsubscribe h1:contains('Afmelden')",
        },
        {
            content: "No sign-in (Aanmelden) nor menu of Odoo beside it: Jan has no account",
            trigger: "body:not(:has(a[href*='/web/login'], #top_menu, header#top))",
        },
        {
            content: "Jan may leave the newsletter only",
            trigger: "label:contains('Alleen deze mailinggroep:'):contains('Nieuwsbrief')",
        },
        {
            content: "He chooses the newsletter",
            trigger: "input[name=choice][value^='group-']",
            run: "click",
        },
        {
            content: "and confirms",
            trigger: "button.o_sales_campaign_unsubscribe_confirm:contains('Bevestigen')",
            run: "click",
        },
        {
            content: "The page confirms it in Dutch",
            trigger: ".o_sales_campaign_unsubscribe_done:contains('U hebt deze mailinggroep verlaten:'):contains('Nieuwsbrief')",
        },
    ],
});

registry.category("web_tour.tours").add("sales_campaign_unsubscribe_fr", {
    steps: () => [
        {
            content: "The page speaks French",
            trigger: "html[lang='fr-CH'] .o_sales_campaign_unsubscribe h1:contains('Se désabonner')",
        },
        {
            content: "Camille keeps the first choice: every e-mail",
            trigger: "input#choice_blacklist:checked",
        },
        {
            content: "and confirms",
            trigger: "button.o_sales_campaign_unsubscribe_confirm:contains('Confirmer')",
            run: "click",
        },
        {
            content: "The page confirms it in French",
            trigger: ".o_sales_campaign_unsubscribe_done:contains('Vous êtes désabonné')",
        },
    ],
});
