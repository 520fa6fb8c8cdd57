"""The shape of every knowledge file, as pydantic models.

Content lives in YAML beside this module; these models are the contract a content edit must
meet. Anything the loader cannot trust (a missing reason, an unknown framework, a duplicate
alias) is rejected here or in the cross-reference checks in ``knowledge.loader``, so the
bot never answers from half-valid data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a lowercase-hyphenated id such as 'ml-engineer'")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
Text = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    """Unknown keys are typos in content files, so they are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- sources


class Source(Strict):
    """Where a claim comes from. Every recommendation and update names at least one."""

    id: Slug
    title: Text
    publisher: Text
    url: HttpUrl | None = None
    published: dt.date | None = None
    note: str | None = None


class SourcesFile(Strict):
    sources: list[Source] = Field(min_length=1)


# --------------------------------------------------------------------------- frameworks


class Link(Strict):
    label: Text
    url: HttpUrl


class Update(Strict):
    """A point where the career article is out of date: keep its point, add today's fact."""

    id: Slug
    article_says: Text
    now: Text
    as_of: dt.date
    sources: list[Slug] = Field(min_length=1)


GLANCE_CHARS = 60  # about one line beside the framework's name in a comparison row


class Glance(Strict):
    """The framework in a few words per attribute: what ``/compare`` shows side by side
    (the long forms stay in the profile, one press away)."""

    best_for: Annotated[str, Field(min_length=1, max_length=GLANCE_CHARS)]
    watch_out: Annotated[str, Field(min_length=1, max_length=GLANCE_CHARS)]
    deployment: Annotated[str, Field(min_length=1, max_length=GLANCE_CHARS)]
    usage: Annotated[str, Field(min_length=1, max_length=GLANCE_CHARS)]  # dated figures
    maker: Annotated[str, Field(min_length=1, max_length=GLANCE_CHARS)]


class Framework(Strict):
    id: Slug
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    maker: Text
    year: int = Field(ge=2000, le=2100)
    summary: Text
    key_features: list[Text] = Field(min_length=1)
    pros: list[Text] = Field(min_length=1)
    cons: list[Text] = Field(min_length=1)
    learning_curve: Literal["gentle", "moderate", "steep"]
    learning_notes: Text
    community: Text
    deployment: Text
    typical_roles: list[Slug] = Field(min_length=1)
    links: list[Link] = Field(min_length=1)
    updates: list[Update] = Field(default_factory=list)
    sources: list[Slug] = Field(min_length=1)
    # Canonical names used by trend collection and by adapters (embed colour).
    pypi_package: Text
    github_repo: Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$")]
    stackoverflow_tag: Text
    colour: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
    glance: Glance | None = None


class FrameworksFile(Strict):
    frameworks: list[Framework] = Field(min_length=1)


# --------------------------------------------------------------------------- roles


class Pick(Strict):
    """One framework recommended for a role, with the reason in the project's own words."""

    framework: Slug
    why: Text


class Role(Strict):
    id: Slug
    name: Text
    group: Slug
    aliases: list[Text] = Field(default_factory=list)
    hint: Annotated[str, Field(min_length=1, max_length=100)]
    primary: Pick
    secondary: list[Pick] = Field(default_factory=list, max_length=2)
    learning_path: list[Text] = Field(min_length=3, max_length=8)
    pair_with: list[Text] = Field(default_factory=list)
    market_note: Text
    basis: Literal["article", "source"]
    sources: list[Slug] = Field(min_length=1)
    # "Since the article" notes (framework update ids) that matter for this role, most
    # important first; only those about the frameworks finally picked are shown.
    notes: list[Slug] = Field(default_factory=list)
    # False for work that needs no deep-learning framework (prompting, analytics): the
    # answer says so, ``instead`` says what to learn, and ``primary`` is for later.
    needs_framework: bool = True
    instead: str | None = None
    # The path to use instead of ``learning_path`` when options make another framework
    # the main pick (otherwise it is derived: see bot.recommend).
    paths: dict[Slug, list[Text]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _distinct_picks(self) -> Role:
        names = [self.primary.framework, *(p.framework for p in self.secondary)]
        if len(set(names)) != len(names):
            raise ValueError(f"a framework is picked twice: {names}")
        if not self.needs_framework and not self.instead:
            raise ValueError("a role that needs no framework must say what to learn 'instead'")
        return self


class RoleGroup(Strict):
    id: Slug
    title: Text


class BuildChoice(Strict):
    """One answer to the guided chooser's "what do you want to build?", leading to a role."""

    id: Slug
    label: Annotated[str, Field(min_length=1, max_length=40)]
    role: Slug


class RolesFile(Strict):
    groups: list[RoleGroup] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    # The first step when a framework becomes the main pick and the role's own path does
    # not start with it (options can reorder the picks).
    start_with: dict[Slug, list[Text]] = Field(min_length=1)
    # Libraries and tools that belong to one framework: a step or pairing naming them is
    # about that framework, so it is left out when the framework is not picked.
    ecosystem: dict[Slug, list[Text]] = Field(default_factory=dict)
    chooser: list[BuildChoice] = Field(min_length=2, max_length=10)


# --------------------------------------------------------------------------- modifiers


class ModifierOption(Strict):
    """One value of experience, region or goal, and how it shifts the answer.

    ``weights`` are added to the role's base scores (primary 3, secondaries 2 then 1.5), so a
    modifier can promote a framework or bring a new one in; ``reason`` is shown in the
    details, and ``why`` gives the one-sentence reason for a framework it brings in.
    ``first_step`` may name the main pick as ``{main}``; ``notes`` are "since the article"
    update ids that matter for this option, most important first.
    """

    id: Slug
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    weights: dict[Slug, float] = Field(default_factory=dict)
    reason: Text
    why: dict[Slug, Text] = Field(default_factory=dict)
    first_step: str | None = None
    notes: list[Slug] = Field(default_factory=list)
    sources: list[Slug] = Field(min_length=1)


class Dimension(Strict):
    id: Literal["experience", "region", "goal"]
    title: Text
    description: Text
    options: list[ModifierOption] = Field(min_length=2)


class ModifiersFile(Strict):
    dimensions: list[Dimension] = Field(min_length=3, max_length=3)


# --------------------------------------------------------------------------- quiz

QuizTopic = Literal["pytorch", "tensorflow", "keras", "jax", "concepts", "careers"]


class QuizOption(Strict):
    text: Annotated[str, Field(min_length=1, max_length=200)]
    correct: bool = False


class Question(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    topic: QuizTopic
    difficulty: int = Field(ge=1, le=3)
    prompt: Annotated[str, Field(min_length=1, max_length=500)]
    options: list[QuizOption] = Field(min_length=2, max_length=5)
    explanation: Annotated[str, Field(min_length=1, max_length=1000)]
    source: Text
    # Optional, so a reader can check the answer: a link to the source, and the date it was
    # published (or, for a living page, the date it was checked).
    source_url: HttpUrl | None = None
    source_date: dt.date | None = None

    @property
    def citation(self) -> str:
        """The source as shown beside the answer, with its date and link when known."""
        text = self.source
        if self.source_date:
            text += f" ({self.source_date.isoformat()})"
        return f"{text} {self.source_url}" if self.source_url else text

    @model_validator(mode="after")
    def _exactly_one_correct(self) -> Question:
        correct = sum(1 for o in self.options if o.correct)
        if correct != 1:
            raise ValueError(f"needs exactly one correct option, found {correct}")
        texts = [o.text.strip().lower() for o in self.options]
        if len(set(texts)) != len(texts):
            raise ValueError("two options have the same text")
        return self


class QuizFile(Strict):
    questions: list[Question] = Field(min_length=1)


# --------------------------------------------------------------------------- sample trends


class SampleRow(Strict):
    date: dt.date
    values: dict[Slug, Annotated[float, Field(ge=0)]] = Field(min_length=1)


class SampleSeries(Strict):
    """Dated values per framework from one source, oldest row first."""

    source: Slug
    note: Text
    rows: list[SampleRow] = Field(min_length=2)
    # Why a framework's newest figure here is older than the others' (shown beside it).
    gaps: dict[Slug, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> SampleSeries:
        dates = [r.date for r in self.rows]
        if dates != sorted(set(dates)):
            raise ValueError("rows must be in date order without repeats")
        return self


class SampleReleases(Strict):
    as_of: dt.date
    note: Text
    tags: dict[Slug, Text]


class HiringSampleRow(Strict):
    """One month's "Who is hiring?" thread: its job posts, and how many name each framework."""

    month: dt.date
    posts: Annotated[int, Field(gt=0)]
    mentions: dict[Slug, Annotated[int, Field(ge=0)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _within_posts(self) -> HiringSampleRow:
        if self.month.day != 1:
            raise ValueError("month must be the first of a month")
        if any(n > self.posts for n in self.mentions.values()):
            raise ValueError("a framework cannot be named in more posts than there are")
        return self


class HiringSample(Strict):
    """Monthly counts from Hacker News "Who is hiring?" threads (bot/trends/hiring.py rules)."""

    source: Slug
    note: Text
    rows: list[HiringSampleRow] = Field(min_length=2)

    @model_validator(mode="after")
    def _ordered(self) -> HiringSample:
        months = [r.month for r in self.rows]
        if months != sorted(set(months)):
            raise ValueError("rows must be in month order without repeats")
        return self


class TrendSampleFile(Strict):
    """Shipped trend history, shown (labelled) until the bot has collected its own."""

    label: Text
    downloads_30d: SampleSeries
    stars: SampleSeries
    releases: SampleReleases
    hiring: HiringSample | None = None
