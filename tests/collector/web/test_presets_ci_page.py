"""The CI page lists the register columns a preset kept (cis.attributes), escaped."""

from __future__ import annotations

from sqlalchemy import select


def test_the_ci_page_lists_kept_attributes_escaped(client, users, login, database):
    from collector.cmdb.importing import import_cis
    from collector.models.cmdb import ConfigurationItem

    text = b"Asset Tag,RAM,Location Notes\nA-1,16 GB,<script>alert(1)</script>\n"
    with database.write() as session:
        assert import_cis(session, text, "csv", preset="snipeit").ok
    with database.session() as session:
        ci_id = session.scalar(select(ConfigurationItem.id).where(ConfigurationItem.asset_tag == "A-1"))
    login("auditor")
    html = client.get(f"/cis/{ci_id}").get_data(as_text=True)
    register = html.split('id="ci-register"', 1)[1].split("</dl>", 1)[0]
    assert '<dt class="kept">RAM</dt><dd class="kept">16 GB</dd>' in register
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in register and "<script>" not in register
