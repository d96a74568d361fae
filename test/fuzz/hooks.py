"""Schemathesis hooks for syncplane's API fuzz run (scripts/fuzz-api.sh).

Schemathesis's positive_data_acceptance check (ST202) fails any schema-valid request that the
server refuses. A few refusals are right although the request matches the OpenAPI document,
because JSON Schema cannot state the rule that refuses them. Each such rule is listed here, with
the response it allows; every other refusal of a schema-valid request still fails the run. The
number of failures each rule dropped is printed at the end (schemathesis also counts them as
"dropped by filter_failure").

Nothing else is filtered: server errors, response schema violations, accepted invalid data, wrong
answers to unknown methods and the rest fail the run.
"""

from __future__ import annotations

import atexit
import json
import sys
from collections import Counter

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

FAILED_PRECONDITION = 9
INVALID_ARGUMENT = 3

# (why the schema cannot say it, test on (gRPC code, message))
RULES = [
    (
        "FAILED_PRECONDITION: the object's state refuses the request (a paused connector, an app "
        "that still has connectors, a connector without a config or an applied sync)",
        lambda code, message: code == FAILED_PRECONDITION,
    ),
    (
        "page_token: an opaque token the server did not issue (only a nextPageToken is valid)",
        lambda code, message: code == INVALID_ARGUMENT and message.startswith("page_token "),
    ),
    (
        "cronSpec: a range that runs backwards, or a date that never exists (30 Feb)",
        lambda code, message: code == INVALID_ARGUMENT
        and message.startswith("cron.cronSpec:")
        and ("start is after its end" in message or "never fires" in message),
    ),
    (
        "until / queued_after: a time in the past, too near or too far, or a date that never "
        "exists (30 Feb)",
        lambda code, message: code == INVALID_ARGUMENT
        and (message.startswith("until: ") or message.startswith("queued_")),
    ),
    (
        "freshness.maxAge: a duration shorter than 15m or longer than 31d; or a cron and a "
        "freshness target in one request",
        lambda code, message: code == INVALID_ARGUMENT
        and (
            message.startswith("freshness.maxAge")
            or message.startswith("give either cron")
            or message.startswith("give cron_spec")
        ),
    ),
    (
        "webhook url: a URL the pattern lets through but a URL parser refuses (a port out of "
        "range, a malformed host)",
        lambda code, message: code == INVALID_ARGUMENT and message.startswith("url"),
    ),
    (
        "bulk selector: only empty values (an empty selector would select every connector)",
        lambda code, message: code == INVALID_ARGUMENT
        and message.startswith("selector must name at least one"),
    ),
    (
        "updateMask names displayName but the request has no displayName (it cannot be blank)",
        lambda code, message: code == INVALID_ARGUMENT and message == "displayName must not be blank",
    ),
]

DROPPED: Counter[str] = Counter()


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    if not isinstance(failure, RejectedPositiveData):
        return True
    try:
        body = json.loads(response.content)
        code, message = int(body["code"]), str(body["message"])
    except Exception:
        return True
    for name, rule in RULES:
        if rule(code, message):
            DROPPED[name] += 1
            return False
    return True


@atexit.register
def report() -> None:
    if not DROPPED:
        print("fuzz hooks: no schema-valid request was refused under a rule the schema cannot state",
              file=sys.stderr)
        return
    print("fuzz hooks: schema-valid requests refused under rules the schema cannot state:",
          file=sys.stderr)
    for name, count in DROPPED.most_common():
        print(f"  {count:6d}  {name}", file=sys.stderr)
