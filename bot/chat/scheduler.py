"""The process's scheduler for timed jobs (digests, notices, schedule refresh).

APScheduler's asyncio executor cancels its running jobs at shutdown but cannot wait for them,
so a digest run cancelled mid-transaction could still hold a database connection when the
event loop ends. This executor keeps its tasks, and ``JobScheduler.stop`` waits until the
cancelled jobs have unwound (rolled back, connection returned).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_coroutine_job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.util import iscoroutinefunction_partial

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0


class _AwaitedJobs(BaseExecutor):  # type: ignore[misc]
    """Runs each coroutine job as a task on the running loop, and remembers it until done."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: set[asyncio.Task[Any]] = set()

    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        if not iscoroutinefunction_partial(job.func):
            raise TypeError(f"job {job.id} is not a coroutine function; policybot's jobs are")
        task = asyncio.get_running_loop().create_task(
            run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name),
            name=f"job:{job.id}",
        )
        self.tasks.add(task)

        def finished(done: asyncio.Task[Any]) -> None:
            self.tasks.discard(done)
            try:
                events = done.result()
            except BaseException as exc:  # a cancelled job is reported as APScheduler's own are
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, events)

        task.add_done_callback(finished)

    def shutdown(self, wait: bool = True) -> None:
        for task in self.tasks:
            task.cancel()


class JobScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """APScheduler's asyncio scheduler whose ``stop`` waits for the jobs it cancels."""

    def __init__(self, **options: Any) -> None:
        self._jobs = _AwaitedJobs()
        super().__init__(executors={"default": self._jobs}, **options)

    async def stop(self) -> None:
        """Fire nothing more, cancel the running jobs and wait (up to ``STOP_SECONDS``)
        until they have unwound."""
        if self.running:
            self.shutdown(wait=False)
            log.info("scheduler stopped")
        if self._jobs.tasks:
            _, stuck = await asyncio.wait(set(self._jobs.tasks), timeout=STOP_SECONDS)
            if stuck:
                log.warning("scheduler jobs still unwinding after stop jobs=%d", len(stuck))
