"""Survey definitions: the shipped files load; a broken file fails with file, question and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_DIR, Settings
from bot.surveys.schema import (
    DEEP_LINK_PREFIX,
    Choice,
    Question,
    Survey,
    SurveyDefinitionError,
    load_surveys,
)
from knowledge.schema import Localized

L = {"lv": "a", "en": "a", "ru": "a"}


def test_shipped_surveys_load_in_three_languages():
    surveys = load_surveys(Settings(_env_file=None).surveys_dir)
    assert set(surveys) == {"participants", "assistant"}
    participants = surveys["participants"]
    every_type = {q.type for survey in surveys.values() for q in survey.questions}
    assert every_type == {"scale", "single", "multi", "yes_no", "text"}
    assert any(q.optional for q in participants.questions)
    assert participants.allow_repeat is False and participants.open is True
    assert len(surveys["assistant"].questions) == 4 and surveys["assistant"].allow_repeat is True
    for survey in surveys.values():
        assert len(DEEP_LINK_PREFIX + survey.id) <= 64
        for question in survey.questions:
            for language in ("lv", "en", "ru"):
                assert question.text.get(language).strip()
                for choice in question.choices:
                    assert choice.label.get(language).strip()


def test_participants_survey_follows_the_presentation_results():
    """The levels of change/results of the presentation: understanding, other groups, belonging, skills."""
    survey = load_surveys(PROJECT_DIR / "surveys")["participants"]
    ids = [question.id for question in survey.questions]
    for expected in ("understanding", "met_groups", "view_change", "belonging_change", "skills", "readiness",
                     "overall", "improve"):
        assert expected in ids
    overall = survey.question("overall")
    assert (overall.min, overall.max) == (0, 10)
    assert survey.question("improve").max_length == 1000


def _write(tmp_path: Path, data: dict, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _survey(**questions) -> dict:
    return {"id": "s", "title": L, "intro": L, "questions": list(questions.values())}


@pytest.mark.parametrize(
    ("question", "field", "message"),
    [
        ({"id": "q", "type": "scale", "text": L, "min": 1, "max": 20}, "field max", "at most 11 points"),
        ({"id": "q", "type": "scale", "text": L, "min": 5, "max": 1}, "field max", "greater than min"),
        ({"id": "q", "type": "scale", "text": L}, "field min/max", "needs both"),
        ({"id": "q", "type": "single", "text": L, "choices": [{"id": "a", "label": L}]}, "field choices", "at least 2"),
        ({"id": "q", "type": "multi", "text": L, "choices": [{"id": "a", "label": L}, {"id": "a", "label": L}]},
         "field choices", "duplicate choice id(s): a"),
        ({"id": "q", "type": "yes_no", "text": L, "choices": [{"id": "a", "label": L}, {"id": "b", "label": L}]},
         "field choices", "only allowed for single and multi"),
        ({"id": "q", "type": "yes_no", "text": L, "min": 1}, "field min", "only allowed for scale"),
        ({"id": "q", "type": "text", "text": L, "max_length": 0}, "field max_length", "between 1 and"),
        ({"id": "q", "type": "single", "text": L, "max_length": 10, "choices": [{"id": "a", "label": L},
                                                                                {"id": "b", "label": L}]},
         "field max_length", "only allowed for text"),
        ({"id": "q", "type": "text", "text": {"lv": "a", "en": "a"}}, "field text.ru", "Field required"),
        ({"id": "q", "type": "essay", "text": L}, "field type", "'scale'"),
        ({"id": "Q-1", "type": "text", "text": L}, "field id", "question id must match"),
        ({"id": "q", "type": "text", "text": L, "colour": "red"}, "field colour", "Extra inputs"),
        ({"id": "q", "type": "single", "text": L, "choices": [{"id": "A B", "label": L}, {"id": "b", "label": L}]},
         "field choices.0.id", "choice id must match"),
    ],
)
def test_broken_question_names_file_question_and_field(tmp_path, question, field, message):
    good = {"id": "ok1", "type": "yes_no", "text": L}
    directory = _write(tmp_path, _survey(a=good, b=question))
    with pytest.raises(SurveyDefinitionError) as error:
        load_surveys(directory)
    text = str(error.value)
    assert str(tmp_path / "broken.yaml") in text
    assert f"question #2 '{question['id']}'" in text
    assert field in text and message in text, text


def test_broken_survey_level_fields(tmp_path):
    data = _survey(a={"id": "q", "type": "yes_no", "text": L}, b={"id": "q", "type": "yes_no", "text": L})
    data["id"] = "Bad Id"
    with pytest.raises(SurveyDefinitionError) as error:
        load_surveys(_write(tmp_path, data))
    assert "field id" in str(error.value) and "field questions" in str(error.value)
    assert "duplicate question id(s): q" in str(error.value)

    (tmp_path / "broken.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(SurveyDefinitionError, match="not valid YAML"):
        load_surveys(tmp_path)
    (tmp_path / "broken.yaml").write_text("", encoding="utf-8")
    with pytest.raises(SurveyDefinitionError, match="empty"):
        load_surveys(tmp_path)
    data = _survey(a={"id": "q", "type": "yes_no", "text": L})
    data["questions"] = []
    with pytest.raises(SurveyDefinitionError, match="field questions"):
        load_surveys(_write(tmp_path, data))


def test_duplicate_survey_ids_across_files(tmp_path):
    data = _survey(a={"id": "q", "type": "yes_no", "text": L})
    _write(tmp_path, data, "one.yaml")
    _write(tmp_path, data, "two.yaml")
    with pytest.raises(SurveyDefinitionError, match="two.yaml: field id: duplicate survey id 's'"):
        load_surveys(tmp_path)


def test_survey_id_fits_deep_link_and_models_are_frozen():
    with pytest.raises(ValueError):
        Survey(id="x" * 41, title=Localized(**L), intro=Localized(**L),
               questions=[Question(id="q", type="yes_no", text=Localized(**L))])
    survey = Survey(id="x" * 40, title=Localized(**L), intro=Localized(**L),
                    questions=[Question(id="q", type="yes_no", text=Localized(**L))])
    assert len(survey.deep_link_payload) <= 64
    with pytest.raises(ValueError):
        survey.open = False  # frozen
    assert Choice(id="1", label=Localized(**L)).id == "1"


def test_use_cases_engine_and_schema_import_no_telegram():
    code = (
        "import sys; import bot.surveys.schema, bot.surveys.engine, bot.surveys.repository, bot.privacy, bot.uow,"
        " bot.surveys.service, bot.surveys.reminders, bot.questions, bot.handoff, bot.accounts, bot.staff.service,"
        " bot.services;"
        "bad = [m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_DIR)
