"""Timing of the log dialog's count (_preview_log) and of a log with a control group and an A/B test on N lines
(default 20,000), in the demo database, rolled back at the end:

    N=20000 ./dev shell < tools/bench_features.py
"""

import os
import time

env = globals()["env"]  # given by odoo-bin shell
N = int(os.environ.get("N", "20000"))
manager = env.ref("sales_campaign.user_marketing_manager_demo")
campaign = env["sales.campaign"].create({"title": "Bench control + A/B"})
template = env.ref("sales_campaign.sales_interaction_template_business_letter")
t = time.time()
partners = env["res.partner"].create(
    [{"name": f"Bench {i:06d}", "email": f"bench.{i:06d}@bench.example"} for i in range(N)]
)
env.flush_all()
print("partners", round(time.time() - t, 1))
segment = (
    env["sales.segment"]
    .with_user(manager)
    .create(
        {
            "description": "Bench",
            "template_id": template.id,
            "campaign_id": campaign.id,
            "campaign_target": True,
            "correspondence_type": "email",
            "ignore_contact_correspondence_type": True,
            "ab_test_share": 20,
        }
    )
)
segment._run_step("add", {"partner_ids": partners.ids})
segment.action_add_version()
env.flush_all()
if os.environ.get("ANALYZE"):  # the statistics of the lines just made, as autovacuum would take them
    env.cr.execute("ANALYZE sales_segment_line, res_partner")
Logged = env["sales.logged.segment"].with_user(manager)
for share in (0, 10):
    t = time.time()
    q = env.cr.sql_log_count
    preview = Logged._preview_log(segment.with_user(manager), True, False, share)
    print(
        f"preview control={share}%",
        round(time.time() - t, 2),
        "s",
        env.cr.sql_log_count - q,
        "queries",
        {k: v for k, v in preview.items() if k != "versions"},
        {v.name: c for v, c in preview["versions"].items()},
    )
t = time.time()
q = env.cr.sql_log_count
logged = Logged._log_segment(segment.with_user(manager), send=True, control_share=10)
while logged.state == "in_progress" and not logged.entries_written:
    logged._process_batch()
env.flush_all()
print(
    "log + entries",
    round(time.time() - t, 2),
    "s",
    env.cr.sql_log_count - q,
    "queries",
    logged.state,
    logged.interaction_count,
    "control",
    logged.control_count,
)
env.cr.rollback()
