"""A workspace that removed the app: nothing more is posted there, now or after a restart.

Called by an adapter when its platform says the app was uninstalled (Slack's
``app_uninstalled`` / ``tokens_revoked``). Platform-neutral: it only stops the core's own
timers. The workspace's digest and daily-question subscriptions are kept but disabled, with
the reason (``/digest status`` shows it after a reinstall; subscribing again turns them
back on); running quizzes end silently. Scores, settings and history stay until an
operator deletes them (``framework-coach delete-workspace``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from bot.digests.service import job_id as digest_job
from bot.quiz.daily_render import PREFIX as DAILY_PREFIX
from bot.storage import Tenant

log = logging.getLogger("framework_coach.tenants")

UNINSTALLED = "the app was removed from this workspace"


async def stop_tenant(services: dict[str, Any], tenant: Tenant,
                      reason: str = UNINSTALLED) -> None:
    """Stop the tenant's digests, daily questions and quizzes (each step even if one fails)."""
    store = services.get("store")
    if store is None:
        return
    digests, daily, quiz = (services.get(n) for n in ("digests", "daily", "quiz"))
    for sub in await store.list_subscriptions(tenant):
        if sub.enabled:
            await store.upsert_subscription(
                tenant, dataclasses.replace(sub, enabled=False, disabled_reason=reason))
        if digests is not None and digests.scheduler.get_job(digest_job(tenant, sub.channel_id)):
            digests.scheduler.remove_job(digest_job(tenant, sub.channel_id))
    for owner, sub in await store.all_daily_subs():
        if owner == tenant and sub.enabled:
            await store.upsert_daily_sub(
                tenant, dataclasses.replace(sub, enabled=False, disabled_reason=reason),
                keep_created=True)
    if daily is not None:  # the next question and the reveals still scheduled
        mine = f":{tenant.platform}:{tenant.id}:"
        for job in daily.scheduler.get_jobs():
            if job.id.startswith(DAILY_PREFIX) and mine in job.id:
                job.remove()
    ended = await quiz.abandon(tenant.platform, tenant.id) if quiz is not None else 0
    log.info("stopped %s/%s (%s): digests and daily questions disabled, %d quiz(zes) ended",
             tenant.platform, tenant.id, reason, ended)
