"""Drives the gateway through pydmart (Dmart's own Python client), as a Dmart user would.

Run by pydmart.e2e.spec.ts with GATEWAY_URL, SPACE, USER_SHORTNAME and USER_PASSWORD in the environment; the
space already holds the README's workflow `workflow_101` and payload schema `schema`, and the user has the role
`agent`. Prints one line per step and, last, a JSON summary; exits 1 at the first unexpected answer.
"""

import asyncio
import json
import os
import sys

from pydmart import DmartService
from pydmart.enums import QueryType, RequestType, ResourceType
from pydmart.models import ActionRequest, ActionRequestRecord, DmartException, QueryRequest

URL = os.environ["GATEWAY_URL"]
SPACE = os.environ["SPACE"]
USER = os.environ["USER_SHORTNAME"]
PASSWORD = os.environ["USER_PASSWORD"]


def check(condition: bool, what: str, seen: object) -> None:
    if not condition:
        raise AssertionError(f"{what}; got {seen!r}")


def step(name: str) -> None:
    print(f"step: {name}", flush=True)


async def expect_failure(code: int, action) -> DmartException:
    try:
        answer = await action
    except DmartException as error:
        check(error.error.code == code, f"expected Dmart error code {code}", error.error)
        return error
    raise AssertionError(f"expected Dmart error code {code}; got success {answer!r}")


async def main() -> dict:
    summary: dict = {}
    async with DmartService(URL) as wrong:
        step("a wrong password raises DmartException code 10")
        await expect_failure(10, wrong.login(USER, PASSWORD + "-wrong"))

    async with DmartService(URL) as dmart:
        step("login with a password")
        await dmart.login(USER, PASSWORD)
        check(bool(dmart.auth_token), "login stores a token", dmart.auth_token)
        profile = await dmart.get_profile()
        check("agent" in dmart.current_user_roles, "the profile lists the user's roles", profile)

        step("create the README's seed ticket")
        created = await dmart.request(
            ActionRequest(
                space_name=SPACE,
                request_type=RequestType.create,
                records=[
                    ActionRequestRecord(
                        resource_type=ResourceType.ticket,
                        shortname="auto",
                        subpath="tickets",
                        attributes={
                            "is_active": True,
                            "tags": ["me"],
                            "payload": {"content_type": "json", "schema_shortname": "schema", "body": {}},
                            "reporter": {"type": "admin_lite", "name": "Foo Bar", "channel": "HQTest", "msisdn": "1111111111"},
                            "workflow_shortname": "workflow_101",
                        },
                    )
                ],
            )
        )
        ticket = created.records[0].shortname
        check(created.records[0].attributes.get("state") == "draft", "a new ticket is in draft", created.records[0])
        summary["ticket"] = ticket

        step("retrieve it")
        entry = await dmart.retrieve_entry(ResourceType.ticket, SPACE, "tickets", ticket, retrieve_json_payload=True)
        check(entry.state == "draft" and entry.is_open and entry.workflow_shortname == "workflow_101", "the entry", entry)

        step("lock and unlock with the client's session and headers (pydmart has no lock method)")
        session = await dmart._get_session()
        async with session.put(f"{URL}/managed/lock/ticket/{SPACE}/tickets/{ticket}", headers=dmart.headers) as response:
            locked = await response.json()
            check(response.status == 200 and locked["status"] == "success", "lock", locked)
        async with session.delete(f"{URL}/managed/lock/{SPACE}/tickets/{ticket}", headers=dmart.headers) as response:
            unlocked = await response.json()
            check(response.status == 200 and unlocked["status"] == "success", "unlock", unlocked)

        step("progress with a comment")
        started = await dmart.progress_ticket(SPACE, "tickets", ticket, "start", comment="looking into it")
        check(started.records[0].attributes["state"] == "in_progress", "start", started)

        step("progress with a resolution")
        resolved = await dmart.progress_ticket(SPACE, "tickets", ticket, "resolve", resolution="fixed", comment="replaced the toner")
        attributes = resolved.records[0].attributes
        check(attributes["state"] == "resolved" and attributes.get("resolution_reason") == "fixed", "resolve", attributes)

        step("a comment in Dmart's shape")
        commented = await dmart.request(
            ActionRequest(
                space_name=SPACE,
                request_type=RequestType.create,
                records=[
                    ActionRequestRecord(
                        resource_type=ResourceType.comment,
                        shortname="auto",
                        subpath=f"tickets/{ticket}",
                        attributes={"is_active": True, "payload": {"content_type": "json", "body": {"body": "thanks!", "state": "resolved"}}},
                    )
                ],
            )
        )
        check(commented.records[0].attributes["payload"]["body"] == {"body": "thanks!", "state": "resolved"}, "the comment", commented)

        step("the comments as attachments")
        entry = await dmart.retrieve_entry(ResourceType.ticket, SPACE, "tickets", ticket, retrieve_attachments=True)
        comments = [c["attributes"]["payload"]["body"] for c in (entry.attachments or {}).get("comment", [])]
        expected = [
            {"body": "looking into it", "state": "in_progress"},
            {"body": "replaced the toner", "state": "resolved"},
            {"body": "thanks!", "state": "resolved"},
        ]
        check(comments == expected, "the comments in Dmart's shape, oldest first", comments)
        summary["comments"] = len(comments)

        step("search")
        found = await dmart.query(
            QueryRequest(
                type=QueryType.search,
                space_name=SPACE,
                subpath="tickets",
                search="@state:resolved",
                filter_shortnames=[ticket],
                retrieve_attachments=True,
            )
        )
        check([r.shortname for r in found.records] == [ticket], "the search finds the ticket", found)
        check(len(found.records[0].attachments["comment"]) == 3, "the search shows its comments", found.records[0])

        step("history")
        history = await dmart.query(
            QueryRequest(type=QueryType.history, space_name=SPACE, subpath="tickets", search="", filter_shortnames=[ticket], limit=50)
        )
        check(len(history.records) >= 5, "one history record per event (create, lock, unlock, start, resolve, comment)", history.records)
        summary["history"] = len(history.records)

        step("a failure it must raise: progress of a resolved (closed) ticket, code 299")
        refused = await expect_failure(299, dmart.progress_ticket(SPACE, "tickets", ticket, "start"))
        summary["refused"] = refused.error.code

        step("logout")
        out = await dmart.logout()
        check(out.status == "success", "logout", out)
    return summary


if __name__ == "__main__":
    try:
        result = asyncio.run(main())
    except Exception as error:  # noqa: BLE001 - the test reads the message
        print(f"scenario failed: {type(error).__name__}: {error}", flush=True)
        sys.exit(1)
    print(json.dumps({"scenario": "passed", **result}), flush=True)
