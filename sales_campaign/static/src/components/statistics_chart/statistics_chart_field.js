import { Component, onWillStart, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { cookie } from "@web/core/browser/cookie";
import { getColor, getCustomColor, hexToRGBA } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const { DateTime } = luxon;

/**
 * Chart.js plugin writing each bar's value at its end (the funnel reads without hovering).
 */
const barValueLabels = {
    id: "salesCampaignBarValueLabels",
    afterDatasetsDraw(chart) {
        const { ctx } = chart;
        const dataset = chart.data.datasets[0];
        ctx.save();
        ctx.font = `bold 12px ${Chart.defaults.font.family}`;
        ctx.fillStyle = Chart.defaults.color;
        ctx.textBaseline = "middle";
        const labels = dataset.valueLabels || dataset.data.map(String);
        for (const [index, bar] of chart.getDatasetMeta(0).data.entries()) {
            ctx.fillText(labels[index], bar.x + 6, bar.y);
        }
        ctx.restore();
    },
};

/**
 * The campaign's statistics as pictures: the funnel from targets contacted (through the e-mails sent,
 * clicked and replied to) to sales orders as horizontal bars, with the unsubscribes after them, and the responses per week (or month) with the response rate reached by then as lines. Reads the
 * JSON the server computes (`sales.campaign.stat_chart`) and draws it with Chart.js, which the web client
 * ships (`web.chartjs_lib`, loaded on demand as the graph view does).
 */
export class StatisticsChartField extends Component {
    static template = "sales_campaign.StatisticsChartField";
    static props = { ...standardFieldProps };

    setup() {
        this.funnelRef = useRef("funnel");
        this.timelineRef = useRef("timeline");
        this.charts = [];
        const colorScheme = cookie.get("color_scheme");
        this.colorScheme = colorScheme;
        this.gridColor = getCustomColor(colorScheme, "#d8dadd", "#3C3E4B");
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            () => {
                this.renderCharts();
                return () => this.destroyCharts();
            },
            () => [JSON.stringify(this.data)]
        );
    }

    get data() {
        return this.props.record.data[this.props.name] || {};
    }

    get funnel() {
        return this.data.funnel || [];
    }

    get timeline() {
        return this.data.timeline || false;
    }

    get withLog() {
        return Boolean(this.data.with_log);
    }

    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        if (this.funnelRef.el) {
            this.charts.push(new Chart(this.funnelRef.el, this.getFunnelConfig()));
        }
        if (this.timelineRef.el && this.timeline) {
            this.charts.push(new Chart(this.timelineRef.el, this.getTimelineConfig()));
        }
    }

    /**
     * The text at the end of a bar: the figure, and its rate when it has one (replies, clicks and unsubscribes
     * per e-mail sent, responses per target contacted).
     */
    valueLabel(step) {
        if (step.rate === null || step.rate === undefined) {
            return String(step.value);
        }
        return `${step.value} · ${formatFloat(step.rate, { digits: [false, 1] })} %`;
    }

    /**
     * Red is the unsubscribes' alone: the other bars take the other colors of the palette in turn.
     */
    stepColor(step, index) {
        if (step.kind === "unsubscribe") {
            return getColor(1, this.colorScheme, "sm");
        }
        const others = [0, 2, 3, 4, 5];
        return getColor(others[index % others.length], this.colorScheme, "sm");
    }

    getFunnelConfig() {
        const steps = this.funnel;
        return {
            type: "bar",
            data: {
                labels: steps.map((step) => step.label),
                datasets: [
                    {
                        data: steps.map((step) => step.value),
                        valueLabels: steps.map((step) => this.valueLabel(step)),
                        backgroundColor: steps.map((step, index) => this.stepColor(step, index)),
                        borderRadius: 3,
                        barPercentage: 0.75,
                    },
                ],
            },
            options: {
                indexAxis: "y",
                maintainAspectRatio: false,
                animation: false,
                layout: { padding: { right: 96 } },
                plugins: {
                    legend: { display: false },
                    tooltip: {
                        callbacks: {
                            label: (context) => this.funnelTooltip(steps, context.dataIndex),
                        },
                    },
                },
                scales: {
                    x: {
                        beginAtZero: true,
                        ticks: { precision: 0 },
                        grid: { color: this.gridColor },
                    },
                    y: { grid: { display: false } },
                },
            },
            plugins: [barValueLabels],
        };
    }

    funnelTooltip(steps, index) {
        const value = steps[index].value;
        if (steps[index].rate !== null && steps[index].rate !== undefined) {
            const rate = formatFloat(steps[index].rate, { digits: [false, 1] });
            return _t("%(value)s (%(rate_label)s: %(rate)s)", {
                value,
                rate_label: steps[index].rate_label,
                rate,
            });
        }
        if (!index || !steps[index - 1].value) {
            return String(value);
        }
        const share = formatFloat((value / steps[index - 1].value) * 100, { digits: [false, 1] });
        return _t("%(value)s (%(share)s% of %(previous)s)", {
            value,
            share,
            previous: steps[index - 1].label,
        });
    }

    periodLabel(period, unit, withYear) {
        const day = DateTime.fromISO(period);
        if (unit === "month") {
            return day.toLocaleString({ month: "short", year: "numeric" });
        }
        return day.toLocaleString(
            withYear ? { day: "numeric", month: "short", year: "2-digit" } : { day: "numeric", month: "short" }
        );
    }

    getTimelineConfig() {
        const { unit, periods, responses, rate } = this.timeline;
        const withYear = periods.length && periods[0].slice(0, 4) !== periods.at(-1).slice(0, 4);
        const responseColor = getColor(2, this.colorScheme, "sm");
        const rateColor = getColor(4, this.colorScheme, "sm");
        return {
            type: "line",
            data: {
                labels: periods.map((period) => this.periodLabel(period, unit, withYear)),
                datasets: [
                    {
                        label: unit === "month" ? _t("Responses per month") : _t("Responses per week"),
                        data: responses,
                        yAxisID: "y",
                        borderColor: responseColor,
                        backgroundColor: hexToRGBA(responseColor, 0.2),
                        fill: "origin",
                        borderWidth: 2,
                        pointRadius: 3,
                        cubicInterpolationMode: "monotone",
                    },
                    {
                        label: _t("Response rate so far (%)"),
                        data: rate,
                        yAxisID: "rate",
                        borderColor: rateColor,
                        backgroundColor: rateColor,
                        borderDash: [6, 4],
                        borderWidth: 2,
                        pointRadius: 3,
                        cubicInterpolationMode: "monotone",
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                plugins: {
                    legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line" } },
                },
                scales: {
                    x: { grid: { color: this.gridColor } },
                    y: {
                        beginAtZero: true,
                        position: "left",
                        ticks: { precision: 0 },
                        grid: { color: this.gridColor },
                        title: { display: true, text: _t("Responses") },
                    },
                    rate: {
                        beginAtZero: true,
                        position: "right",
                        grid: { display: false },
                        ticks: { callback: (value) => `${value} %` },
                        title: { display: true, text: _t("Response rate") },
                    },
                },
            },
        };
    }
}

export const statisticsChartField = {
    component: StatisticsChartField,
    displayName: _t("Campaign Statistics Chart"),
    supportedTypes: ["json"],
};

registry.category("fields").add("sales_campaign_statistics_chart", statisticsChartField);
