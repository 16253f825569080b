import re


def test_the_api_docs_page_loads_nothing_from_the_internet(client):
    page = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == []
