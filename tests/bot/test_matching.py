from bot.matching import Match, Matcher, NoMatch, normalise

ROLES = Matcher({
    "ml-engineer": ["mle", "ml eng", "machine learning engineer"],
    "ml-researcher": ["researcher", "ml research"],
    "data-scientist": ["data sci", "ds"],
    "data-analyst": ["analyst"],
})


def test_normalise_folds_case_and_separators():
    assert normalise("  ML_Engineer-(Startup) ") == "ml engineer startup"


def test_exact_aliases_case_and_separators():
    for text in ["MLE", "ml eng", "ML_Engineer", "ml-engineer", "Ml  Engineer", "mlengineer"]:
        assert ROLES.resolve(text) == Match("ml-engineer", exact=True), text


def test_typo_resolves_but_is_marked_inexact():
    assert ROLES.resolve("reseacher") == Match("ml-researcher", exact=False)
    assert ROLES.resolve("data scientst") == Match("data-scientist", exact=False)


def test_unknown_offers_three_suggestions():
    found = ROLES.resolve("astronaut")
    assert isinstance(found, NoMatch) and len(found.suggestions) == 3


def test_ambiguous_text_is_not_guessed():
    assert isinstance(ROLES.resolve("data"), NoMatch)


def test_complete_prefers_prefixes_and_caps_the_count():
    assert ROLES.complete("da")[:2] == ["data-scientist", "data-analyst"]
    assert ROLES.complete("", limit=2) == ["ml-engineer", "ml-researcher"]


def test_descriptions_feed_suggestions_but_never_a_match():
    matcher = Matcher(
        {"mobile": ["mobile developer"], "research": ["researcher"], "data": ["analyst"]},
        {"mobile": "Runs models on phones and devices",
         "research": "Invents and tests new models",
         "data": "Analyses business data"},
    )
    found = matcher.resolve("someone putting models on phones")
    assert isinstance(found, NoMatch) and found.suggestions[0] == "mobile"
    # A typo in a described word still counts; a description alone never resolves.
    assert matcher.resolve("analyses busines data").suggestions[0] == "data"
    assert isinstance(matcher.resolve("phones"), NoMatch)


def test_a_tie_in_similarity_goes_to_the_fewest_edits():
    """'statz' shares four letters with both 'start' and 'stats'; one edit makes it 'stats'."""
    subcommands = Matcher({name: () for name in ("start", "stop", "stats", "review")})
    assert subcommands.closest("statz") == "stats"
    assert subcommands.closest("strat") == "start"
