"""Jobs and schedules: what wakes up when, progress, the sweeper.

- ``jobs``: the ``sync_jobs`` rows (enqueue, start, progress, finish, fail, cancel) and
  the wake-up sent after commit;
- ``handlers``: which function runs a job of each kind; ``context``: what it is given;
- ``runner``: runs one job (claim, heartbeat, handler, outcome); ``retry``: what a
  failed run leads to (backoff, waiting for a reconnect, failure, dead letter);
- ``channel_logs``: the ``ecom_channel_logs`` row of every job run, and reading them;
- ``on_demand``: jobs a person asks for (a channel's sync now, a dead letter's replay);
- ``sweeper`` and ``schedules``: the periodic work (crash recovery, per-channel polling);
- ``queue``: the Huey instance (SQLite file, or Redis) and its consumer;
- ``cleanup``: the built-in handler that prunes old job records; ``token_refresh``: the
  ``tokens`` handler, which refreshes an access token before it runs out.
"""
