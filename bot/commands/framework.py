"""/framework: which framework(s) to learn for a role, tailored by experience, region, goal.

The answer is a card a person reads in a chat in seconds (the picks, one sentence of why
each, what the options changed, the first step for this week); the learning path, the notes
since the article, the job market and the sources are one press away, shown only to the
presser. ``/framework`` alone lists the roles and offers a three-question guided chooser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._shared import (
    bullets,
    dimension_choices,
    numbered,
    recommender,
    unknown_value,
)
from bot.models import (
    Button,
    ButtonStyle,
    Context,
    FieldItem,
    Request,
    Response,
    Section,
    Visibility,
    error,
)
from bot.recommend import DIMENSIONS, Applied, Note, Recommendation, UnknownValue
from bot.registry import CommandSpec, OptionSpec

if TYPE_CHECKING:
    from bot.core import Core

CARD_WORDS = 150  # the card's budget: what a person reads in a chat in about ten seconds
MAX_NOTES = 2  # "since the article" notes shown for one answer, most important first
DETAIL = "fw"  # button prefix: fw:<view>:<role>:<experience>:<region>:<goal>
CHOOSER = "fwc"  # button prefix: fwc:start, fwc:<build>, fwc:<build>:<exp>, …:<goal>
ANY = "-"  # "no preference" in a chooser id
VIEWS = ("path", "since", "market", "sources")


async def handle(request: Request, core: Core) -> Response:
    rec = recommender(core)
    role_text = request.option("role")
    if not role_text:
        return role_menu(core)
    role = rec.resolve_role(role_text)
    if isinstance(role, UnknownValue):
        return unknown_value(role, "/framework role:{value}")
    applied = rec.resolve_modifiers(request.options)
    if isinstance(applied, UnknownValue):
        return unknown_value(applied, f"/framework role:{role.id} {applied.option}:{{value}}")
    return card(core, rec.recommend(role, applied))


def role_menu(core: Core) -> Response:
    """The roles, grouped, each with its one-line hint, and the guided chooser's button."""
    knowledge = core.knowledge
    sections = []
    for group in knowledge.groups.values():
        roles = [r for r in knowledge.roles.values() if r.group == group.id]
        if roles:
            lines = bullets([f"{r.id}: {r.hint}" for r in roles])
            sections.append(Section(lines, heading=group.title))
    dims = bullets([
        f"{d.id}:{'|'.join(o.id for o in d.options)}" for d in knowledge.dimensions.values()
    ])
    sections.append(Section(f"Add any of:\n{dims}", heading="Tailor the answer"))
    return Response(
        title="Which framework should you learn? Pick your role",
        sections=tuple(sections),
        buttons=(Button(f"{CHOOSER}:start", "Not sure? Answer 3 questions",
                        ButtonStyle.PRIMARY),),
        footer="Example: /framework role:data-scientist experience:beginner goal:enterprise",
        visibility=Visibility.PRIVATE,
    )


# --------------------------------------------------------------------------- the card


def card(core: Core, rec: Recommendation, *, private: bool = False) -> Response:
    """The first answer: picks with one sentence each, the options' effect, a first step."""
    role, first = rec.role, rec.learning_path[0]
    if rec.needs_framework:
        title = f"{role.name}: {' + '.join(p.framework.name for p in rec.picks)}"
        sections = [Section(rec.primary.why, heading=f"{rec.primary.framework.name}: main pick")]
        sections += [Section(p.why, heading=f"{p.framework.name}: also learn")
                     for p in rec.secondary]
    else:
        title = f"{role.name}: no deep-learning framework needed"
        sections = [Section(role.instead or "", heading="Learn this instead"),
                    Section(rec.primary.why, heading=f"Later: {rec.primary.framework.name}")]
    if rec.applied:
        sections.append(Section(options_line(rec), heading="Your options"))
    sections.append(Section(first, heading="First step this week"))
    fields = [FieldItem("Based on",
                        "the career article" if role.basis == "article" else "cited sources")]
    if rec.needs_framework:
        fields.insert(0, FieldItem("Learning curve", rec.primary.framework.learning_curve))
    buttons = [*detail_buttons(rec), *about_buttons(rec)]
    footer = "The buttons show the rest, only to you."
    if private:  # the chooser's answer: say which role it assumed, as a command to repeat
        buttons.append(Button(f"run:{command_for(rec)}", "Post this in the channel"))
        footer = f"Same answer any time: {command_for(rec)}. {footer}"
    return Response(
        title=title,
        sections=tuple(sections),
        fields=tuple(fields),
        buttons=tuple(buttons),
        footer=footer,
        visibility=Visibility.PRIVATE if private else Visibility.CHANNEL,
        accent=rec.primary.framework.id,
    )


def options_line(rec: Recommendation) -> str:
    """One line: which options were applied and what they did to the picks."""
    names = _and([a.option.name for a in rec.applied])
    if not rec.needs_framework:
        return f"{names}: no change, as the work itself needs no deep-learning framework."
    if rec.changes:
        return f"With {names}: {_and(list(rec.changes))}."
    return f"With {names}, the picks stay the same."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def detail_buttons(rec: Recommendation) -> list[Button]:
    key = answer_key(rec)
    buttons = [Button(f"{DETAIL}:path:{key}", "Learning path", ButtonStyle.PRIMARY)]
    if rec.notes:
        buttons.append(Button(f"{DETAIL}:since:{key}", "Since the article"))
    market = "Job market and your options" if rec.applied else "Job market"
    buttons.append(Button(f"{DETAIL}:market:{key}", market))
    buttons.append(Button(f"{DETAIL}:sources:{key}", "Sources"))
    return buttons


def about_buttons(rec: Recommendation) -> list[Button]:
    buttons = [Button(f"run:/about name:{p.framework.id}", f"About {p.framework.name}")
               for p in rec.picks]
    if rec.secondary:
        a, b = rec.primary.framework, rec.secondary[0].framework
        buttons.append(Button(f"run:/compare a:{a.id} b:{b.id}", f"Compare {a.name} and {b.name}"))
    return buttons


def answer_key(rec: Recommendation) -> str:
    """The role and options of an answer, compact enough for any platform's button id."""
    chosen = {a.dimension.id: a.option.id for a in rec.applied}
    return ":".join([rec.role.id, *(chosen.get(d, "") for d in DIMENSIONS)])


def command_for(rec: Recommendation) -> str:
    options = " ".join(f"{a.dimension.id}:{a.option.id}" for a in rec.applied)
    return f"/framework role:{rec.role.id} {options}".strip()


def word_count(response: Response) -> int:
    """Words a reader reads in a response, buttons aside (they are labels, not reading)."""
    texts = [response.title, response.footer,
             *(t for s in response.sections for t in (s.heading or "", s.body)),
             *(t for f in response.fields for t in (f.name, f.value))]
    return sum(len(t.split()) for t in texts)


# --------------------------------------------------------------------------- details


def detail(core: Core, rec: Recommendation, view: str) -> Response:
    """One part of the full answer, for the person who pressed its button."""
    role = rec.role
    if view == "path":
        main = rec.primary.framework.name
        heading = f"Starting with {main}" if rec.needs_framework else "Steps"
        sections = [Section(numbered(rec.learning_path), heading=heading)]
        if rec.pair_with:
            sections.append(Section(", ".join(rec.pair_with), heading="Pair it with"))
        return _private(f"{role.name}: learning path", sections)
    if view == "since":
        return since_the_article(core, rec)
    if view == "market":
        sections = [Section(role.market_note, heading="Job market")]
        if rec.outcomes:
            sections.append(Section(
                bullets([f"{o.applied.option.name}: {o.applied.option.reason} {o.result}"
                         for o in rec.outcomes]),
                heading="How your options shape this"))
        return _private(f"{role.name}: job market", sections)
    titles = [f"{s.title}, {s.publisher}" + (f": {s.url}" if s.url else "")
              for sid in rec.sources if (s := core.knowledge.sources.get(sid))]
    return _private(f"{role.name}: sources", [Section(bullets(titles))])


def since_the_article(core: Core, rec: Recommendation) -> Response:
    """The notes that matter for this answer: at most two, dated and sourced."""
    shown = rec.notes[:MAX_NOTES]
    if not shown:
        return _private(f"{rec.role.name}: since the article",
                        [Section("Nothing the article says about these picks has changed in "
                                 "a way that matters for this role.")])
    sections = [Section(_note_text(n), heading=f"{n.framework.name}, as of {n.update.as_of}")
                for n in shown]
    seen = {n.update.id for n in shown}
    more = [p.framework.id for p in rec.picks
            if any(u.id not in seen for u in p.framework.updates)]
    if more and rec.needs_framework:
        sections.append(Section("Every change, per framework: "
                                + ", ".join(f"/about name:{fw}" for fw in more)))
    sources = core.knowledge.source_titles(s for n in shown for s in n.update.sources)
    return _private(f"{rec.role.name}: what changed since the article", sections,
                    f"Sources: {'; '.join(sources)}")


def _note_text(note: Note) -> str:
    said = note.update.article_says
    return f"{note.update.now}\n" + (said if said.startswith("The article")
                                     else f"The article said: {said}")


def _private(title: str, sections: list[Section], footer: str = "") -> Response:
    return Response(title=title, sections=tuple(sections), footer=footer,
                    visibility=Visibility.PRIVATE)


def _expired() -> Response:
    return error("That button has expired", "Ask again with /framework.",
                 "/framework role:ml-engineer")


def _recommendation(core: Core, role_id: str, chosen: dict[str, str]) -> Recommendation | None:
    """The answer for exact ids from a button, or None if the knowledge no longer has them."""
    knowledge = core.knowledge
    role = knowledge.roles.get(role_id)
    if role is None:
        return None
    applied = []
    for dim_id in DIMENSIONS:
        option_id = chosen.get(dim_id)
        if not option_id or option_id == ANY:
            continue
        dim = knowledge.dimensions.get(dim_id)
        option = next((o for o in dim.options if o.id == option_id), None) if dim else None
        if dim is None or option is None:
            return None
        applied.append(Applied(dim, option))
    return recommender(core).recommend(role, applied)


async def press_detail(button_id: str, ctx: Context, core: Core) -> Response:
    parts = button_id.split(":")
    if len(parts) != 2 + 1 + len(DIMENSIONS) or parts[1] not in VIEWS:
        return _expired()
    rec = _recommendation(core, parts[2], dict(zip(DIMENSIONS, parts[3:], strict=True)))
    return detail(core, rec, parts[1]) if rec else _expired()


# --------------------------------------------------------------------------- guided chooser


async def press_chooser(button_id: str, ctx: Context, core: Core) -> Response:
    """Three questions (what to build, experience, goal), each a private set of buttons,
    ending in the same card as /framework, privately, with a button to post it."""
    knowledge = core.knowledge
    answers = button_id.split(":")[1:]
    builds = {c.id: c for c in knowledge.chooser}
    if answers == ["start"]:
        return _question(1, "What do you want to build?",
                         "Pick the closest; the answer says which role it assumed.",
                         [(c.id, c.label) for c in knowledge.chooser])
    if not answers or answers[0] not in builds or len(answers) > 3:
        return _expired()
    build = answers[0]
    if len(answers) == 1:
        experience = knowledge.dimensions["experience"]
        return _question(2, "How much deep-learning experience do you have?", None,
                         [(f"{build}:{o.id}", o.name) for o in experience.options])
    if len(answers) == 2:
        goal = knowledge.dimensions["goal"]
        return _question(3, "What are you aiming for?", None,
                         [*((f"{build}:{answers[1]}:{o.id}", o.name) for o in goal.options),
                          (f"{build}:{answers[1]}:{ANY}", "No preference")])
    rec = _recommendation(core, builds[build].role,
                          {"experience": answers[1], "goal": answers[2]})
    return card(core, rec, private=True) if rec else _expired()


def _question(step: int, question: str, hint: str | None,
              choices: list[tuple[str, str]]) -> Response:
    return Response(
        title=f"Step {step} of 3: {question}",
        sections=(Section(hint),) if hint else (),
        buttons=tuple(Button(f"{CHOOSER}:{value}", label) for value, label in choices),
        visibility=Visibility.PRIVATE,
    )


BUTTONS = {DETAIL: press_detail, CHOOSER: press_chooser}


def complete_role(core: Core, partial: str) -> list[tuple[str, str]]:
    """Role suggestions as the user types: aliases and typos count, 25 at most."""
    roles = core.knowledge.roles
    return [(rid, roles[rid].name) for rid in recommender(core).roles.complete(partial, 25)]


COMMAND = CommandSpec(
    name="framework",
    description="Which framework(s) to learn for a job role, and why",
    example="/framework role:ml-engineer experience:beginner",
    handler=handle,
    options=(
        OptionSpec("role", "Your target job role (e.g. ml-engineer, data scientist)",
                   autocomplete=complete_role, example="ml-engineer"),
        OptionSpec("experience", "How much deep-learning experience you have",
                   choices=dimension_choices("experience"), example="beginner"),
        OptionSpec("region", "Where you are looking for work",
                   choices=dimension_choices("region"), example="europe"),
        OptionSpec("goal", "What you want the skills for",
                   choices=dimension_choices("goal"), example="research"),
    ),
    positional=("role",),
    pure=True,
    order=10,
)
