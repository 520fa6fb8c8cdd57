"""The shipped knowledge meets the product's promises: roles, aliases, modifiers, sources."""

from __future__ import annotations

ARTICLE_ROLES = {
    "ml-researcher": ("pytorch", []),
    "ai-software-engineer": ("tensorflow", []),
    "data-scientist": ("keras", ["tensorflow"]),
    "ml-engineer": ("pytorch", ["keras"]),
    "research-academic": ("pytorch", []),
    "enterprise-scalable": ("tensorflow", []),
    "quick-development": ("keras", []),
    "cv-researcher": ("pytorch", []),
    "enterprise-ml-engineer": ("tensorflow", []),
}


def test_article_roles_give_the_articles_answer(knowledge):
    for role_id, (primary, secondary) in ARTICLE_ROLES.items():
        role = knowledge.roles[role_id]
        assert role.basis == "article" and "article" in role.sources
        assert role.primary.framework == primary, role_id
        assert [p.framework for p in role.secondary] == secondary, role_id


def test_at_least_ten_more_roles_each_with_a_cited_source(knowledge):
    more = [r for r in knowledge.roles.values() if r.group == "more-roles"]
    assert len(more) >= 10
    for role in more:
        assert role.basis == "source" and role.sources, role.id
        assert any(s != "article" for s in role.sources), role.id


def test_every_modifier_option_has_a_reason_and_the_article_regions_exist(knowledge):
    regions = {o.id for o in knowledge.dimensions["region"].options}
    assert {"north-america", "europe", "silicon-valley", "boston", "toronto", "asia"} <= regions
    assert {o.id for o in knowledge.dimensions["experience"].options} >= {
        "beginner", "intermediate", "advanced"}
    assert {o.id for o in knowledge.dimensions["goal"].options} >= {
        "research", "enterprise", "startup", "prototyping"}


def test_out_of_date_points_carry_a_dated_source(knowledge):
    updates = {u.id: u for fw in knowledge.frameworks.values() for u in fw.updates}
    assert len(updates) >= 5
    text = " ".join(u.now for u in updates.values())
    for fact in ("Keras 3", "eager", "torch.compile", "LiteRT"):
        assert fact in text, fact
