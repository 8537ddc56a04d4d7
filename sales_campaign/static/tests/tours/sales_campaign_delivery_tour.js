import { registry } from "@web/core/registry";

/**
 * A log larger than what is delivered at once, open in its form while the delivery lanes work on it in the
 * background: the form moves from In Progress to Done, its counts with it, without a reload.
 *
 * tests/test_delivery_tour.py starts the delivery only once the form, loaded In Progress, follows the log (its
 * bus channel); the batches then come faster than the tour looks, so the tour checks where the form ends.
 */
registry.category("web_tour.tours").add("sales_campaign_delivery_follower", {
    steps: () => [
        {
            content: "The delivery is done in the background: the form says so by itself",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Done')",
            timeout: 60000,
        },
        {
            content: "with the interactions and the e-mails of every contact",
            trigger: ".o_form_view button[name=action_open_interactions] .o_stat_value:contains('7')",
        },
        {
            content: "all in the mail queue",
            trigger: ".o_form_view .o_field_widget[name=email_queued_count]:contains('7')",
        },
    ],
});
