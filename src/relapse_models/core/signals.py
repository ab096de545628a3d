"""Signal handlers that cannot deadlock the process they stop.

Snakemake's SIGTERM handler (``JobScheduler.exit_gracefully``) takes the scheduler's lock. A
handler runs in the main thread between two bytecodes, so a SIGTERM that arrives while the
main thread holds that lock (post-processing a finished job, selecting the next ones) waits
for itself forever: the run hangs until SIGKILL and leaves its lock behind. Running the
handler in a thread of its own lets the main thread finish the locked section first.
"""

from __future__ import annotations

import signal
import threading


def handle_in_thread(signum: int = signal.SIGTERM) -> None:
    """Make the current handler of ``signum`` run in a new thread rather than in the signal's
    context. A default or ignored disposition (not a Python function) is left as it is."""
    handler = signal.getsignal(signum)
    if not callable(handler):
        return

    def start_handler(received: int, frame: object) -> None:
        threading.Thread(
            target=handler, args=(received, None), name=f"signal-{received}", daemon=True
        ).start()

    signal.signal(signum, start_handler)
