"""Every setting the app reads from the environment is documented where a new user looks."""

from pathlib import Path

import pytest

from config import load_settings

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION = ROOT / "docs" / "configuration.md"
# Settings whose environment variable has another name than the setting.
VARIABLE = {"ENV_NAME": "INVESTOCHAT_ENV", "DATA_DIR": "INVESTOCHAT_DATA_DIR"}


@pytest.mark.parametrize("setting", sorted(load_settings({})))
def test_each_setting_is_in_the_configuration_reference_and_env_example(setting):
    variable = VARIABLE.get(setting, setting)
    assert f"`{variable}`" in CONFIGURATION.read_text(encoding="utf-8")
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert f"\n{variable}=" in env_example or f"\n# {variable}=" in env_example


def test_the_readme_links_to_the_configuration_reference():
    assert "(docs/configuration.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_env_example_can_be_sourced_by_a_shell_as_the_configuration_page_says():
    import subprocess

    result = subprocess.run(
        ["bash", "-c", 'set -a; . ./.env.example; set +a; printf %s "$BROKER_CALL_WINDOW"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout == "within 2 hours (9 am – 9 pm IST)"
