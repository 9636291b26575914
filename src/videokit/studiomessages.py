"""What the studio tells an editor when something fails: Danish, without a server path.

The library's errors are English and name files, for the terminal and the logs. An editor in the
browser gets the same failure said in Danish by what it means for the work; the full English
message goes to the terminal the studio runs in, for whoever keeps the machine.
"""

from __future__ import annotations

import sys

from .errors import VideokitError
from .review import SaveConflict

ACTS = {"save": "Ikke gemt", "approve": "Ikke godkendt", "reflow": "Ikke omfordelt"}

# By the start of the library's message: the failures an editor meets in the studio.
KNOWN = (
    (
        "the captions were changed elsewhere",
        "teksterne er ændret et andet sted (en anden fane eller filen), siden du åbnede dem. "
        "Din version er gemt som kopi i historikken; genindlæs siden for at se den nyeste.",
    ),
    (
        "the text view has an edit",
        "tekstudgaven har en ændring, som ikke er læst endnu. Din version er gemt som kopi; "
        "kør 'videokit produce' for at læse ændringen, og genindlæs siden.",
    ),
    ("another run is producing", "en kørsel arbejder på videoen lige nu; prøv igen om lidt."),
    ("the disk is full", "disken er fuld, og intet er ændret. Frigør plads, og prøv igen."),
    ("an approval needs the editor's name", "skriv dit navn i feltet „Dit navn“."),
    (
        "the captions changed while the approval",
        "teksterne blev ændret, mens godkendelsen blev udgivet. Se dem igennem, og godkend igen.",
    ),
    (
        "the captions could not be saved",
        "filen kunne ikke skrives (mappen er skrivebeskyttet eller fuld). Dine ændringer er "
        "bevaret i studiet; bed den, der passer maskinen, se i terminalen.",
    ),
    (
        "the approval could not be recorded",
        "godkendelsen kunne ikke skrives i historikken, og intet er udgivet. Bed den, der passer "
        "maskinen, se i terminalen.",
    ),
    ("the machine draft is missing", "maskinens udkast mangler; kør 'videokit produce' igen."),
)


def danish(err: VideokitError, act: str) -> str:
    """``err`` as the editor is told it after trying to ``act`` (a key of :data:`ACTS`)."""
    print(f"videokit studio: {act}: {err}", file=sys.stderr, flush=True)
    head = ACTS.get(act, "Det lykkedes ikke")
    for start, said in KNOWN:
        if err.message.startswith(start):
            return f"{head}: {said}"
    if isinstance(err, SaveConflict):
        return f"{head}: {KNOWN[0][1]}"
    return (
        f"{head}: noget gik galt på serveren ({err.stage}). Dine ændringer er bevaret i "
        "studiet; bed den, der passer maskinen, se i terminalen."
    )
