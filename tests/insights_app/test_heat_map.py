"""The Analytics page's heat maps: the ABC-XYZ matrix coloured by share of value, its "new"
column only when it holds clients, RFM cells opening the client list by segment."""

from urllib.parse import parse_qs, urlsplit

from kam.analytics.rfm import SEGMENT_GRID
from tests.factories import make_client

from .conftest import snapshot
from .test_pages import chart_data


def _cell(data, abc, xyz):
    return next(c for c in data["cells"] if (c["abc"], c["xyz"]) == (abc, xyz))


def test_the_matrix_is_coloured_by_share_of_value_not_by_client_count(world, login):
    """One A-X client holds most of the value; four C-Z clients are many but small. By count
    C-Z was darkest and A-X palest — the report's 37.8 % cell."""
    snapshot(world.own, abc="A", xyz="X", value=900)
    for i in range(4):
        snapshot(make_client(world.kam, name=f"Small {i}"), abc="C", xyz="Z", value=25)
    data = chart_data(login(world.kam).get("/analytics/"))
    ax, cz = _cell(data, "A", "X"), _cell(data, "C", "Z")
    assert (ax["clients"], cz["clients"]) == (1, 4)
    assert ax["value_share"] == 0.9 and ax["heat"] == 1.0
    assert cz["heat"] == 0.1 / 0.9
    assert _cell(data, "B", "Y")["heat"] == 0.0


def test_a_cell_links_to_its_clients(world, login):
    snapshot(world.own, abc="A", xyz="X", value=900)
    data = chart_data(login(world.kam).get("/analytics/"))
    url = urlsplit(_cell(data, "A", "X")["url"])
    assert url.path == "/clients/" and parse_qs(url.query) == {"abc": ["A"], "xyz": ["X"]}


def test_the_new_column_is_hidden_while_empty(world, login):
    snapshot(world.own, abc="A", xyz="X", value=900)
    response = login(world.kam).get("/analytics/")
    data = chart_data(response)
    assert data["xyz_keys"] == ["X", "Y", "Z"] and not data["new_shown"]
    assert {c["xyz"] for c in data["cells"]} == {"X", "Y", "Z"}
    assert 'id="new-legend"' not in response.content.decode()


def test_the_new_column_is_explained_when_it_holds_clients(world, login):
    snapshot(world.own, abc="A", xyz="new", value=900)
    response = login(world.kam).get("/analytics/")
    data = chart_data(response)
    assert data["xyz_keys"] == ["X", "Y", "Z", "new"] and data["new_shown"]
    assert _cell(data, "A", "new")["heat"] == 1.0
    html = response.content.decode()
    assert "first purchase falls in the last 3 months of the window" in html


def test_rfm_cells_open_the_client_list_by_their_segment(world, login):
    snapshot(world.own, r_score=5, f_score=5, rfm_segment=SEGMENT_GRID[55])
    snapshot(make_client(world.kam, name="Loyal"), r_score=4, f_score=4, rfm_segment="loyal")
    snapshot(make_client(world.kam, name="Loyal too"), r_score=3, f_score=4, rfm_segment="loyal")
    http = login(world.kam)
    data = chart_data(http.get("/analytics/"))
    loyal = next(c for c in data["rfm"] if (c["r"], c["f"]) == (4, 4))
    assert loyal["clients"] == 1 and loyal["segment_clients"] == 2  # two cells of "loyal"
    url = urlsplit(loyal["url"])
    assert url.path == "/clients/" and parse_qs(url.query) == {"rfm_segment": ["loyal"]}
    listed = http.get(loyal["url"]).content.decode()
    assert "Loyal too" in listed and "Own Client" not in listed
    assert all(
        c["url"].endswith("rfm_segment=" + SEGMENT_GRID[10 * c["r"] + c["f"]]) for c in data["rfm"]
    )


def test_the_counts_in_the_tooltips_take_the_plural_of_the_readers_language(world, login_in):
    for i in range(5):
        snapshot(
            make_client(world.kam, name=f"C{i}"),
            abc="C",
            xyz="Z",
            value=10,
            r_score=1,
            f_score=1,
            rfm_segment=SEGMENT_GRID[11],
        )
    snapshot(
        world.own, abc="A", xyz="X", value=900, r_score=5, f_score=5, rfm_segment=SEGMENT_GRID[55]
    )
    data = chart_data(login_in(world.kam, "ru").get("/analytics/"))
    assert _cell(data, "C", "Z")["clients_text"] == "5 клиентов"
    assert _cell(data, "A", "X")["clients_text"] == "1 клиент"
    rfm = {(c["r"], c["f"]): c for c in data["rfm"]}
    assert rfm[(1, 1)]["clients_text"] == "5 клиентов"
    assert rfm[(5, 5)]["segment_clients_text"] == "1 клиент"
    english = chart_data(login_in(world.kam, "en").get("/analytics/"))
    assert _cell(english, "C", "Z")["clients_text"] == "5 clients"
