import { Component, onWillDestroy, onWillUpdateProps, xml } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/** The bus notification of a batch of a logged segment's delivery (``sales.logged.segment._bus_notify_delivery``). */
export const DELIVERY_NOTIFICATION = "sales_campaign.delivery";

/**
 * Follows the delivery of a logged segment while its form (or its segment's form) is open: it listens on the
 * logged segment's bus channel, as Odoo's Discuss follows a channel (``bus_service.addChannel``), and reloads
 * the record when a batch of the delivery is done, so that the progress, the counts and the state move by
 * themselves. It shows nothing.
 *
 *     <widget name="sales_delivery_follower"/>                                        (on a logged segment)
 *     <widget name="sales_delivery_follower" options="{'logged_field': 'logged_segment_id'}"/>  (on a segment)
 */
export class DeliveryFollower extends Component {
    static template = xml`<t/>`;
    static props = {
        ...standardWidgetProps,
        loggedField: { type: String, optional: true },
    };

    setup() {
        this.busService = useService("bus_service");
        this.channel = null;
        this.onDelivery = this.onDelivery.bind(this);
        this.busService.subscribe(DELIVERY_NOTIFICATION, this.onDelivery);
        this.follow(this.props);
        onWillUpdateProps((nextProps) => this.follow(nextProps));
        onWillDestroy(() => {
            this.busService.unsubscribe(DELIVERY_NOTIFICATION, this.onDelivery);
            this.unfollow();
        });
    }

    /** The logged segment the record is, or the one it was logged as. */
    loggedSegmentId(props) {
        const { record, loggedField } = props;
        if (!loggedField) {
            return record.resId || false;
        }
        const value = record.data[loggedField];
        return (value && value[0]) || false;
    }

    follow(props) {
        const loggedId = this.loggedSegmentId(props);
        const channel = loggedId ? `sales.logged.segment_${loggedId}` : null;
        if (channel === this.channel) {
            return;
        }
        this.unfollow();
        if (channel) {
            this.channel = channel;
            this.busService.addChannel(channel);
        }
    }

    unfollow() {
        if (this.channel) {
            this.busService.deleteChannel(this.channel);
            this.channel = null;
        }
    }

    async onDelivery(payload) {
        const { record } = this.props;
        // Another log's delivery, or changes of the user's own not saved yet: left alone.
        if (!payload || payload.id !== this.loggedSegmentId(this.props) || record.dirty) {
            return;
        }
        await record.load();
    }
}

export const deliveryFollower = {
    component: DeliveryFollower,
    extractProps: ({ options }) => ({ loggedField: options.logged_field }),
    fieldDependencies: ({ options }) =>
        options.logged_field ? [{ name: options.logged_field, type: "many2one" }] : [],
};

registry.category("view_widgets").add("sales_delivery_follower", deliveryFollower);
