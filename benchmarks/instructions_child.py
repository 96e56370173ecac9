"""One contender serving one route ``n`` times, warm, for ``instructions.py`` to count under valgrind.

Usage: ``instructions_child.py KEY DOOR ROUTE_INDEX CALLS PREPARED [BASE_SRC]``.
``PREPARED`` calls are prepared (untimed work in ``adapter.py``, e.g. the
seed's copy of the event) and the first ``CALLS`` of them made, so the
parent subtracts the count of ``CALLS = 0`` from the count of
``CALLS = PREPARED`` and divides by ``PREPARED``.  The garbage
collector is off while the requests run: a full collection of Dash's
objects lands in one run and not in the other, and would swamp the count.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clear_adapter_env, use_test_helpers


def main(argv: list[str]) -> None:
    key, door, index, count, prepared = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    clear_adapter_env()
    use_test_helpers()
    from lambda_events import drop_header, event_for

    import adapter

    base = None
    if len(argv) > 5:
        import compare

        base = compare.load_base(Path(argv[5]))
    contenders, app_for = adapter.build_contenders(base)
    contender = next(c for c in contenders if c.key == key)
    index_event = event_for("rest-stage-url", "/")
    drop_header(index_event, "Accept-Encoding")
    index_html = adapter.consume(app_for("rest-stage-url").server.wsgi_app, adapter._environ(index_event))[1]
    route = adapter.routes(index_html.decode())[index]
    events = adapter._make_events(door, route)
    case = adapter.Case(door, route, events, adapter._environ(events["none"]), (route.body or "").encode())
    for _ in range(40):
        contender.prepare(case)()
    gc.collect()
    gc.disable()
    calls = [contender.prepare(case) for _ in range(prepared)]
    for call in calls[:count]:
        call()


if __name__ == "__main__":
    main(sys.argv[1:])
