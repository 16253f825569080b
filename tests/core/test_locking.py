"""kam.core.locking: the three-way merge, the base token, and the race at the service level."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from kam.clients import services
from kam.clients.models import Client
from kam.core import services as core_services
from kam.core.locking import (
    Base,
    EditConflict,
    IfMatch,
    PreconditionFailed,
    StaleBase,
    base_for,
    canonical,
    fingerprint,
)
from kam.core.models import Role

from ..factories import make_client, make_user

FIELDS = ("region", "industry", "parent", "employees", "annual_revenue", "description")


def base_of(client):
    return base_for(client, FIELDS)


# --- the merge ---------------------------------------------------------------------------------


def test_the_merge_keeps_theirs_writes_mine_and_reports_fields_changed_twice():
    base = Base.of("x:1", {"a": 1, "b": 1, "c": 1, "d": 1})
    current = {"a": 2, "b": 1, "c": 2, "d": 2}  # someone changed a, c and d
    submitted = {"a": 1, "b": 3, "c": 3, "d": 2}  # I left a, changed b, changed c, agreed on d

    write, theirs, conflicts = base.merge(current, submitted)

    assert write == {"b": 3}
    assert theirs == {"a": 2, "c": 2, "d": 2}
    assert [(c.name, c.theirs, c.yours) for c in conflicts] == [("c", 2, 3)]


def test_a_strict_base_makes_any_change_since_a_conflict():
    base = Base.of("x:1", {"is_key": False, "owner": 1}, strict=True)

    _write, _theirs, conflicts = base.merge({"is_key": False, "owner": 2}, {"is_key": True})

    assert [c.name for c in conflicts] == ["owner"]


def test_equal_values_compare_equal_however_they_are_written():
    assert canonical(Decimal("10.00")) == canonical(Decimal("10"))
    assert canonical("line one\r\nline two  ") == canonical("line one\nline two")
    assert canonical(dt.date(2025, 1, 2)) == "2025-01-02"
    assert canonical([3, 1, 2]) == canonical((1, 2, 3))


def test_the_token_carries_keyed_fingerprints_not_values(world):
    Client.objects.filter(pk=world.own.pk).update(parent=world.foreign, region="Secretvalley")
    world.own.refresh_from_db()
    token = base_of(world.own).token()

    import base64
    import zlib

    payload = token.split(":")[0].lstrip(".")
    decoded = zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert b"Secretvalley" not in decoded
    assert fingerprint("parent", world.foreign.pk) in decoded.decode()
    assert f'"{world.foreign.pk}"'.encode() not in decoded
    assert Base.parse(token).fingerprints == base_of(world.own).fingerprints


@pytest.mark.parametrize("token", ["", "garbage", "eyJrIjoxfQ:1abc:bad"])
def test_a_damaged_token_is_refused(token):
    with pytest.raises(StaleBase):
        Base.parse(token)


def test_a_base_of_another_record_is_refused(world):
    other = base_of(world.foreign)

    with pytest.raises(StaleBase):
        services.client_update(by=world.director, client=world.own, base=other, region="X")


# --- the race, at the service level --------------------------------------------------------------


def test_two_editors_from_the_same_state_the_second_gets_a_conflict_with_who_and_when(world):
    world.director.first_name = "Dina"
    world.director.save()
    mine = base_of(world.own)
    theirs = base_of(world.own)
    services.client_update(by=world.director, client=world.own, base=theirs, region="Ural")

    with pytest.raises(EditConflict) as caught:
        services.client_update(by=world.kam, client=world.own, base=mine, region="Volga")

    conflict = caught.value
    assert [(c.name, c.theirs, c.yours) for c in conflict.conflicts] == [
        ("region", "Ural", "Volga")
    ]
    change = conflict.changed_by("region")
    assert change.who == world.director and change.when is not None
    assert Client.objects.get(pk=world.own.pk).region == "Ural"
    # The fresh base is the record as it is now: saving on it goes through.
    services.client_update(by=world.kam, client=world.own, base=conflict.base, region="Volga")
    assert Client.objects.get(pk=world.own.pk).region == "Volga"


def test_two_editors_of_different_fields_both_keep_their_change_and_the_second_learns_it(world):
    mine, theirs = base_of(world.own), base_of(world.own)
    services.client_update(by=world.director, client=world.own, base=theirs, region="Ural")

    services.client_update(
        by=world.kam, client=world.own, base=mine, region="", industry="Cement", description=""
    )

    stored = Client.objects.values("region", "industry").get(pk=world.own.pk)
    assert stored == {"region": "Ural", "industry": "Cement"}
    assert mine.outcome.theirs == {"region": "Ural"}
    assert [c.who for c in mine.outcome.changes] == [world.director]


def test_an_etag_precondition_is_checked_on_the_locked_row(world):
    seen = []

    def current(locked):
        seen.append(locked.region)
        return '"now"'

    with pytest.raises(PreconditionFailed) as caught:
        services.client_update(
            by=world.kam, client=world.own, base=IfMatch('"then"', current), region="X"
        )
    assert caught.value.etag == '"now"'
    assert Client.objects.get(pk=world.own.pk).region == ""
    services.client_update(
        by=world.kam, client=world.own, base=IfMatch('"now"', current), region="X"
    )
    assert Client.objects.get(pk=world.own.pk).region == "X"


def test_a_record_deleted_meanwhile_is_a_clear_error(world):
    from django.core.exceptions import ValidationError

    from ..factories import make_contact

    contact = make_contact(world.own)
    stale = type(contact).objects.get(pk=contact.pk)
    contact.delete()

    with pytest.raises(ValidationError, match="deleted while you were editing"):
        services.contact_update(by=world.kam, contact=stale, phone="1")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads share SQLite's in-memory test database without its write lock; on SQLite "
    "the IMMEDIATE transaction serialises writers (tests/core/test_sqlite_concurrency.py)",
)
@pytest.mark.django_db(transaction=True)
def test_the_row_lock_makes_the_second_writer_wait_and_then_see_the_first_change():
    """Two editors save at the same moment: the second blocks on the row lock while the first
    writes, then finds the first one's change and gets a conflict — never a lost update."""
    director = make_user("boss", Role.DIRECTOR)
    kam = make_user("kam1", Role.KAM)
    client = make_client(kam, name="Raced")
    mine, theirs = base_of(client), base_of(client)
    inside, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}
    original = core_services.save_audited

    def slow_save(instance, **kwargs):
        inside.set()
        release.wait(10)
        original(instance, **kwargs)

    def first():
        try:
            with transaction.atomic():
                locked = core_services.lock(Client.objects.get(pk=client.pk))
                fields = core_services.check(theirs, locked, {"region": "Ural"})
                locked.region = fields["region"]
                slow_save(locked, by=director)
            results["first"] = "saved"
        finally:
            connection.close()

    def second():
        inside.wait(10)
        try:
            services.client_update(by=kam, client=client, base=mine, region="Volga")
            results["second"] = "saved"
        except EditConflict as conflict:
            results["second"] = [(c.name, c.theirs) for c in conflict.conflicts]
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    inside.wait(10)
    threads[1].join(1.0)
    assert threads[1].is_alive(), "the second writer did not wait for the row lock"
    release.set()
    for t in threads:
        t.join(20)

    assert results == {"first": "saved", "second": [("region", "Ural")]}
    assert Client.objects.get(pk=client.pk).region == "Ural"
