"""The OpenAPI document describes exactly the routes the blueprint serves."""

import re


def _flask_routes(app):
    routes = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routes.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_openapi_paths_and_methods_match_the_url_map(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {path: set(methods) for path, methods in document["paths"].items()}
    assert documented == _flask_routes(app)


def test_openapi_request_schemas_resolve(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', __import__("json").dumps(document)))
    assert refs <= set(schemas), refs - set(schemas)
    assert "software" in schemas["InventoryReport"]["properties"]
