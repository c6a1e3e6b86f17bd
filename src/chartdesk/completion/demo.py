"""Chart completion in the demo's story (core.demo.story): analysis at each step's story time, and
the nightly delinquency run on each night the story replays.

On the desk, analysis waits for the commit (hooks.py); the demo loads in one transaction, so left to
the commit every deficiency would open at the moment of loading ("0 days old", due months ago).
"""

from __future__ import annotations

from datetime import datetime

from chartdesk.accounts.current import current_user
from chartdesk.completion.actions import do_update_delinquency
from chartdesk.completion.analysis import analyse_encounters
from chartdesk.completion.hooks import take_pending


def analyse_pending() -> None:
    """Analyse the encounters the last story step changed, now (at the step's story time)."""
    encounter_ids = take_pending()
    if encounter_ids:
        analyse_encounters(encounter_ids, acting_user=current_user())


def mark_delinquent(night: datetime) -> None:
    """The nightly run: records past the delinquency deadline become delinquent from that deadline."""
    do_update_delinquency(now=night)
