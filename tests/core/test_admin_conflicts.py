"""The admin is an edit path too: two directors editing the same record do not overwrite each
other silently (kam.core.admin.LockedAdminForm)."""

from django.urls import reverse

from kam.clients.models import Client
from kam.core.models import Role

from ..browser_form import changed, load
from ..factories import make_user


def two_directors(world, login):
    second = make_user("director2", Role.DIRECTOR, first_name="Boris", last_name="Bossov")
    url = reverse("admin:clients_client_change", args=[world.own.pk])
    first, other = login(second), login(world.director)
    return url, (first, load(first, url)), (other, load(other, url))


def test_the_second_admin_save_of_the_same_field_is_refused_with_both_values(world, login):
    url, (first, first_form), (second, second_form) = two_directors(world, login)
    assert first.post(url, changed(first_form, region="Ural", _save="Save")).status_code == 302

    response = second.post(url, changed(second_form, region="Volga", _save="Save"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone changed this while you were editing" in html
    assert "Ural" in html and "Volga" in html and "Boris Bossov" in html
    assert Client.objects.get(pk=world.own.pk).region == "Ural"


def test_saving_again_after_the_refusal_keeps_the_second_directors_value(world, login):
    from ..browser_form import form_data

    url, (first, first_form), (second, second_form) = two_directors(world, login)
    first.post(url, changed(first_form, region="Ural", _save="Save"))
    html = second.post(url, changed(second_form, region="Volga", _save="Save")).content.decode()

    response = second.post(url, changed(form_data(html), _save="Save"))

    assert response.status_code == 302
    assert Client.objects.get(pk=world.own.pk).region == "Volga"


def test_admin_changes_to_different_fields_are_both_kept(world, login):
    url, (first, first_form), (second, second_form) = two_directors(world, login)
    first.post(url, changed(first_form, region="Ural", _save="Save"))

    response = second.post(url, changed(second_form, industry="Cement", _save="Save"))

    assert response.status_code == 302
    stored = Client.objects.values("region", "industry").get(pk=world.own.pk)
    assert stored == {"region": "Ural", "industry": "Cement"}
