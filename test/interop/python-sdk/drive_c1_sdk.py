"""Drives syncplane with the official ConductorOne Python SDK (conductorone-sdk on PyPI), unmodified.

A second official C1 SDK besides the Go one (test/interop/go-sdk): clients in several languages
must work against syncplane unmodified. It exchanges the client id and secret at
/auth/v1/token (this SDK version takes a bearer token and has no token source of its own), then
calls the C1 ConnectorService operations through the SDK and prints what it saw as one JSON
object for the Node test that runs it (test/interop/python-sdk.test.ts) to check. Responses are
parsed by the SDK's own pydantic models, so a field of the wrong type fails here.

Environment: SERVER_URL, CLIENT_ID, CLIENT_SECRET, APP_ID, CONNECTOR_ID, HELD_SYNC_ID (a sync
in ERRORED_NO_DATA), APPLIED_SYNC_ID (a sync whose c1z is kept).
"""

import json
import os
import sys

import httpx
from conductorone_sdk import SDK
from conductorone_sdk.models import errors, shared


def token(server: str, client_id: str, client_secret: str) -> str:
    response = httpx.post(
        f"{server}/auth/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


def error_of(call):
    try:
        call()
    except errors.SDKError as error:
        body = json.loads(error.body) if error.body else {}
        return {"status": error.raw_response.status_code, "code": body.get("code"),
                "message": body.get("message")}
    return None


def main() -> int:
    env = os.environ
    server = env["SERVER_URL"]
    bearer = token(server, env["CLIENT_ID"], env["CLIENT_SECRET"])
    sdk = SDK(security=shared.Security(bearer_auth=bearer, oauth=bearer), server_url=server)
    app_id, connector_id, held = env["APP_ID"], env["CONNECTOR_ID"], env["HELD_SYNC_ID"]
    ids = {"app_id": app_id, "connector_id": connector_id}
    seen = {}

    got = sdk.connector.get(request={"app_id": app_id, "id": connector_id})
    connector = got.connector_service_get_response.connector_view.connector
    seen["get"] = {
        "status": got.status_code,
        "id": connector.id,
        "catalogId": connector.catalog_id,
        "syncStatus": connector.connector_status.status if connector.connector_status else None,
        "lastError": connector.connector_status.last_error if connector.connector_status else None,
        "syncDisabledCategory": connector.sync_disabled_category,
    }

    listed = sdk.connector.list(request={"app_id": app_id, "page_size": 10})
    seen["list"] = [
        view.connector.id for view in listed.connector_service_list_response.list or []
    ]

    confirmed = sdk.connector.confirm_sync_valid(
        request={**ids, "sync_lifecycle_id": held, "confirm_sync_valid_request": {}}
    )
    seen["confirm"] = confirmed.status_code

    paused = sdk.connector.pause_sync(request={**ids, "pause_sync_request": {}})
    seen["pause"] = paused.status_code
    after_pause = sdk.connector.get(request={"app_id": app_id, "id": connector_id})
    view = after_pause.connector_service_get_response.connector_view.connector
    seen["afterPause"] = {
        "syncStatus": view.connector_status.status if view.connector_status else None,
        "canResumeSync": view.can_resume_sync,
        "syncDisabledCategory": view.sync_disabled_category,
    }
    seen["forceWhilePaused"] = error_of(
        lambda: sdk.connector.force_sync(request={**ids, "force_sync_request": {}})
    )

    resumed = sdk.connector.resume_sync(request={**ids, "resume_sync_request": {}})
    seen["resume"] = resumed.status_code
    forced = sdk.connector.force_sync(request={**ids, "force_sync_request": {}})
    seen["force"] = forced.status_code

    url = sdk.connector.get_connector_sync_download_url(
        request={**ids, "sync_id": env["APPLIED_SYNC_ID"]}
    ).get_connector_sync_download_url_response.download_url
    file = httpx.get(url)
    seen["download"] = {"status": file.status_code, "magic": file.content[:4].decode("latin1"),
                        "bytes": len(file.content)}
    seen["getUnknown"] = error_of(
        lambda: sdk.connector.get(request={"app_id": app_id, "id": "no-such-connector"})
    )
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
