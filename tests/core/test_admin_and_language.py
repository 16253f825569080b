from django.urls import reverse

from kam.core.models import ApiToken


def test_only_directors_reach_the_admin_whatever_their_staff_flag(world, login):
    world.kam.is_staff = True
    world.kam.save()
    for persona in (world.kam, world.assistant, world.member):
        response = login(persona).get(reverse("admin:index"))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    assert login(world.director).get(reverse("admin:index")).status_code == 200


def test_every_admin_list_opens_for_the_director(world, login):
    client = login(world.director)
    for name in (
        "core_user",
        "clients_client",
        "clients_contact",
        "clients_competitor",
        "clients_competitorpresence",
        "clients_tender",
        "sales_product",
        "sales_salesline",
        "core_apitoken",
    ):
        response = client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name
    response = client.get(reverse("admin:clients_client_history", args=[world.own.pk]))
    assert response.status_code == 200


def test_the_language_choice_is_remembered_for_the_user(world, login):
    client = login(world.kam)
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/clients/"})
    assert response.status_code == 302 and response["Location"] == "/clients/"
    world.kam.refresh_from_db()
    assert world.kam.language == "ru"
    fresh = login(world.kam)  # another browser: no cookie, the profile decides
    assert fresh.get(reverse("clients:list"))["Content-Language"] == "ru"


def test_an_unknown_language_or_foreign_redirect_is_ignored(world, login):
    client = login(world.kam)
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    world.kam.refresh_from_db()
    assert world.kam.language == ""


def test_a_user_creates_and_revokes_a_token_and_sees_the_secret_once(world, login):
    client = login(world.kam)
    response = client.post(reverse("tokens"), {"name": "ERP sync"})
    key = response.context["new_key"]
    token = ApiToken.objects.get(user=world.kam)
    assert key.startswith("kam_") and token.key_hash == ApiToken.hash_key(key)
    assert key not in client.get(reverse("tokens")).content.decode()
    client.post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_empty_token_name_is_a_field_error(world, login):
    response = login(world.kam).post(reverse("tokens"), {"name": ""})
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()
