"""Broken knowledge files fail at load with the file, the line, the entry and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge import loader
from knowledge.loader import KnowledgeError

SHIPPED = Path(loader.__file__).parent
FILES = ("sources", "frameworks", "roles", "modifiers", "trends_sample")


@pytest.fixture
def kdir(tmp_path: Path) -> Path:
    for stem in FILES:
        shutil.copy(SHIPPED / f"{stem}.yaml", tmp_path / f"{stem}.yaml")
    return tmp_path


def edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def problems(kdir: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        loader.load(kdir)
    return str(caught.value)


def test_shipped_knowledge_loads(knowledge):
    assert set(knowledge.frameworks) == {"pytorch", "tensorflow", "keras", "jax"}


def test_unknown_framework_in_a_role_names_file_line_entry(kdir):
    edit(kdir / "roles.yaml", lambda d: d["roles"][0]["primary"].update(framework="pytorh"))
    message = problems(kdir)
    first = yaml.safe_load((kdir / "roles.yaml").read_text())["roles"][0]["id"]
    line = line_of(kdir / "roles.yaml", "framework: pytorh")
    assert f"roles.yaml line {line}, role '{first}'" in message
    assert "unknown framework 'pytorh'" in message


def test_missing_field_names_the_field(kdir):
    edit(kdir / "roles.yaml", lambda d: d["roles"][1].pop("market_note"))
    second = yaml.safe_load((kdir / "roles.yaml").read_text())["roles"][1]["id"]
    message = problems(kdir)
    assert f"role '{second}'" in message and "market_note: Field required" in message


def test_wrong_type_and_unknown_key_are_errors(kdir):
    def breaks(d):
        d["frameworks"][0]["year"] = "long ago"
        d["frameworks"][1]["colour_name"] = "orange"

    edit(kdir / "frameworks.yaml", breaks)
    message = problems(kdir)
    assert "frameworks.yaml line" in message
    assert "year:" in message and "colour_name: Extra inputs are not permitted" in message


def test_yaml_syntax_error_names_the_line(kdir):
    path = kdir / "modifiers.yaml"
    lines = path.read_text().splitlines()
    lines.insert(3, "  broken: [unclosed")
    path.write_text("\n".join(lines) + "\n")
    message = problems(kdir)
    assert message.startswith("modifiers.yaml line") and "YAML syntax error" in message


def test_unknown_source_and_duplicate_alias_are_cross_reference_errors(kdir):
    def breaks(d):
        d["roles"][0]["sources"].append("no-such-source")
        d["roles"][1]["aliases"].append(d["roles"][0]["name"])

    edit(kdir / "roles.yaml", breaks)
    message = problems(kdir)
    assert "unknown source 'no-such-source'" in message
    assert "already names role" in message


def test_modifier_weight_for_unknown_framework(kdir):
    edit(kdir / "modifiers.yaml",
         lambda d: d["dimensions"][0]["options"][0]["weights"].update({"mxnet": 1.0}))
    assert "unknown framework 'mxnet'" in problems(kdir)


def test_missing_and_non_mapping_files(kdir):
    (kdir / "sources.yaml").unlink()
    (kdir / "roles.yaml").write_text("- just a list\n")
    message = problems(kdir)
    assert "sources.yaml: cannot be read" in message
    assert "roles.yaml line 1: expected a mapping" in message


def test_yaml_tags_are_not_executed(kdir):
    (kdir / "sources.yaml").write_text("sources: !!python/object/apply:os.system ['true']\n")
    assert "sources.yaml" in problems(kdir)


def test_sample_trends_with_unknown_framework_names_file_and_line(kdir: Path) -> None:
    path = kdir / "trends_sample.yaml"
    path.write_text(path.read_text().replace("keras: 17500000", "kerass: 17500000"))
    message = problems(kdir)
    assert f"trends_sample.yaml line {line_of(path, 'kerass')}" in message
    assert "unknown framework 'kerass'" in message


def test_sample_trend_rows_out_of_order_are_rejected(kdir: Path) -> None:
    path = kdir / "trends_sample.yaml"
    path.write_text(path.read_text().replace("2025-04-01", "2023-04-01"))
    assert "date order" in problems(kdir)


@pytest.mark.parametrize(("breaks", "expected"), [
    (lambda d: d["roles"][0]["notes"].append("no-such-update"),
     "unknown update 'no-such-update'"),
    (lambda d: d["start_with"].pop("jax"), "start_with has no first step for framework 'jax'"),
    (lambda d: d["chooser"][0].update(role="astronaut"), "unknown role 'astronaut'"),
    (lambda d: d["roles"][0]["paths"].update(torch=["a", "b", "c"])
     if "paths" in d["roles"][0] else d["roles"][0].update(paths={"torch": ["a", "b"]}),
     "unknown framework 'torch'"),
    (lambda d: d["roles"][0].update(needs_framework=False),
     "a role that needs no framework must say what to learn 'instead'"),
])
def test_role_notes_paths_first_steps_and_chooser_are_checked(kdir, breaks, expected):
    edit(kdir / "roles.yaml", breaks)
    assert expected in problems(kdir)


def test_an_option_that_lifts_a_framework_must_say_why(kdir):
    def breaks(d):
        goal = next(dim for dim in d["dimensions"] if dim["id"] == "goal")
        goal["options"][0]["why"].pop("pytorch")

    edit(kdir / "modifiers.yaml", breaks)
    assert "'pytorch' gains weight but has no one-sentence 'why'" in problems(kdir)
