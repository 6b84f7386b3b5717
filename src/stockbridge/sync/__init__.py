"""Jobs and schedules: what wakes up when, progress, the sweeper.

- ``jobs``: the ``sync_jobs`` rows (enqueue, start, progress, finish, fail, cancel) and
  the wake-up sent after commit;
- ``handlers``: which function runs a job of each kind; ``context``: what it is given;
- ``runner``: runs one job (claim, heartbeat, handler, outcome);
- ``sweeper`` and ``schedules``: the periodic work (crash recovery, per-channel polling);
- ``queue``: the Huey instance (SQLite file, or Redis) and its consumer;
- ``cleanup``: the built-in handler that prunes old job records.
"""
